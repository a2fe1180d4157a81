/* The Lua worker runs scripts on behalf of authenticated users: scripts
 * read-only, its own data dir read-write, unix sockets to the capture
 * workers, Redis and the frontend, and the outbound policy below for the
 * ntop.* calls that reach out (httpGet, DNS, mail, send). */
#include "policy.h"

#include <errno.h>
#include <sys/socket.h>

static const struct nw_fs_rule fs[] = {
	{"%B/netward-lua", NW_FS_READ | NW_FS_EXEC, false},
	{"%I/scripts", NW_FS_READ, false},
	{"%D/lua", NW_FS_READ | NW_FS_WRITE, false},
	{"%R", NW_FS_MAKE_SOCK, false},		/* lua-N.sock */
	/* name resolution (c-ares, libcurl) and TLS trust for httpGet */
	{"/etc/resolv.conf", NW_FS_READ, true},
	{"/etc/hosts", NW_FS_READ, true},
	{"/etc/nsswitch.conf", NW_FS_READ, true},
	{"/etc/host.conf", NW_FS_READ, true},
	{"/etc/gai.conf", NW_FS_READ, true},
	{"/etc/ssl", NW_FS_READ, true},
	{NULL, 0, false},
};

/* Outbound: IPv4/IPv6 sockets for the ntop.* calls that reach out. TCP
 * connects only to these ports (landlock, ABI >= 4): DNS, HTTP(S), mail
 * submission. UDP cannot be narrowed by landlock yet; it serves DNS and
 * ntop.send's datagrams. Any other family (netlink, packet, ...) is
 * refused. No bind() at all once serving: nothing can listen, and no
 * unix socket can be planted in the runtime dir under a peer's name. */
static const struct nw_sys extra[] = {
	{"connect", NW_ANY, 0, 0, 0},
	{"socket", NW_EQ, 0, AF_UNIX, 0},
	{"socket", NW_EQ, 0, AF_INET, 0},
	{"socket", NW_EQ, 0, AF_INET6, 0},
	{"socket", NW_GT, 0, AF_INET6, EACCES},
	/* librrd's rrd_create (ntop.rrd_create) makes the file with
	 * mkstemp (0600), then chmods it to 0644 (or to the mode of the
	 * file it replaces, 0600 here) before renaming it into place. The
	 * worker's files stay private: those two chmods answer success
	 * without running; any other chmod still kills. */
	{"chmod", NW_EQ, 1, 0644, NW_ERR_NOOP},
	{"chmod", NW_EQ, 1, 0600, NW_ERR_NOOP},
	{NULL, NW_ANY, 0, 0, 0},
};

static const struct nw_sys *const syscalls[] = {nw_sys_base, extra, NULL};

const struct nw_policy nw_policy_lua = {
	.role = "lua",
	.live_caps = {-1},
	.limits = {.nofile = 1024, .data_mb = 4096},
	.fs = fs,
	.tcp_bind = {0},
	.tcp_connect = {53, 80, 443, 25, 465, 587, 0},
	.syscalls = syscalls,
};
