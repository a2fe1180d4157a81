/* The HTTPS frontend faces the network and holds the TLS key and the
 * session store: httpdocs read-only, its own dir (certificate, key)
 * read-write, TCP bind on its one port, no TCP connect; unix sockets to
 * the Lua workers and Redis. */
#include "policy.h"

static const struct nw_fs_rule fs[] = {
	{"%B/netward-web", NW_FS_READ | NW_FS_EXEC, false},
	{"%I/httpdocs", NW_FS_READ, true},
	{"%D/web", NW_FS_READ | NW_FS_WRITE, false},
	{"%R", NW_FS_MAKE_SOCK, false},		/* web-control.sock */
	{"/etc/ssl", NW_FS_READ, true},		/* openssl.cnf */
	{NULL, 0, false},
};

static const struct nw_sys extra[] = {
	{"connect", NW_ANY, 0, 0, 0},	/* unix: Lua workers, Redis */
	{"sendfile", NW_ANY, 0, 0, 0},	/* static files */
	{NULL, NW_ANY, 0, 0, 0},
};

static const struct nw_sys *const syscalls[] = {nw_sys_base, nw_sys_unix_only,
	extra, NULL};

const struct nw_policy nw_policy_web = {
	.role = "web",
	.live_caps = {-1},
	.limits = {.nofile = 4096, .data_mb = 2048},
	.fs = fs,
	.tcp_bind = {NW_PORT_LISTEN, 0},
	.tcp_connect = {0},
	.syscalls = syscalls,
};
