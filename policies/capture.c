/* The capture worker parses hostile packets: it gets the least. No file
 * but its binary and the libraries; no TCP at all; an RPC socket it
 * listens on and never dials out of (so it cannot reach another
 * interface's worker); CAP_NET_RAW only to open a live device, dropped by
 * the worker right after. */
#include "policy.h"

#include <linux/capability.h>

static const struct nw_fs_rule fs[] = {
	{"%B/netward-capture", NW_FS_READ | NW_FS_EXEC, false},
	{"%R", NW_FS_MAKE_SOCK, false},		/* capture-N.sock */
	{"%D/capture-%N", NW_FS_READ | NW_FS_WRITE, true}, /* its own store */
	{"/sys/class/net", NW_FS_READ, true},	/* libpcap: device facts */
	{"/sys/devices", NW_FS_READ, true},
	/* read once at start-up: OUI names, the --geoip-asn/-city files */
	{"/usr/share/ieee-data/oui.txt", NW_FS_READ, true},
	{"%A", NW_FS_READ, true},
	{"%C", NW_FS_READ, true},
	{NULL, 0, false},
};

/* Listening only: accept, never connect. */
static const struct nw_sys extra[] = {
	{NULL, NW_ANY, 0, 0, 0},
};

static const struct nw_sys *const syscalls[] = {nw_sys_base, nw_sys_unix_only,
	extra, NULL};

const struct nw_policy nw_policy_capture = {
	.role = "capture",
	.live_caps = {CAP_NET_RAW, -1},
	.limits = {.nofile = 1024, .data_mb = 8192},
	.fs = fs,
	.tcp_bind = {0},
	.tcp_connect = {0},
	.syscalls = syscalls,
};
