/* The private redis-server is not our code: it gets the pre-exec part
 * only (service user, no capabilities, no_new_privs, landlock, the
 * pre-exec seccomp deny list, rlimits: the descriptors its default
 * maxclients asks for). Its own dir read-write, its
 * socket, no TCP (it runs with --port 0). */
#include "policy.h"

static const struct nw_fs_rule fs[] = {
	{"/usr/bin/redis-server", NW_FS_READ | NW_FS_EXEC, false},
	{"%D/redis", NW_FS_READ | NW_FS_WRITE, false},
	{"%R", NW_FS_MAKE_SOCK, false},		/* redis.sock */
	{"/sys/kernel/mm/transparent_hugepage", NW_FS_READ, true},
	{NULL, 0, false},
};

const struct nw_policy nw_policy_redis = {
	.role = "redis",
	.live_caps = {-1},
	.limits = {.nofile = 10032, .data_mb = 0},
	.fs = fs,
	.tcp_bind = {0},
	.tcp_connect = {0},
	.syscalls = NULL,
};
