/* A role's confinement, as data. One file per role (capture.c, lua.c,
 * web.c, redis.c) fills one struct nw_policy; the supervisor applies the
 * pre-exec part between fork and execve, and each netward worker installs
 * its final seccomp filter itself once its setup is done (sandbox.h).
 * docs/ARCHITECTURE.md ("Sandbox") gives the order and the reasons. */
#ifndef NETWARD_POLICY_H
#define NETWARD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- file system (landlock) --------------------------------------------
 * A rule names a path template; the supervisor expands
 *   %B the directory of the executables   %I the install dir
 *   %D the data dir    %R the runtime dir    %N the worker's index
 * and grants the access on that file or hierarchy. Everything not named
 * is denied, for every right the kernel's landlock ABI can handle. */
enum nw_fs_access {
	NW_FS_READ = 1 << 0,	/* read files, list directories */
	NW_FS_EXEC = 1 << 1,	/* execve (the worker's own binary) */
	NW_FS_WRITE = 1 << 2,	/* create, write, rename, remove anything */
	NW_FS_MAKE_SOCK = 1 << 3, /* create a unix socket (and nothing else) */
};

struct nw_fs_rule {
	const char *path;
	unsigned access;	/* enum nw_fs_access */
	bool optional;		/* skipped quietly when the path is absent */
};

/* ---- network (landlock, ABI >= 4: TCP only) ----------------------------
 * Ports a role may bind or connect to; NW_PORT_LISTEN is the HTTP port
 * given with -w. An empty list means none at all. UDP and other families
 * are refused by the seccomp socket() rule instead. */
#define NW_PORT_LISTEN 0xffffffffu
#define NW_MAX_PORTS 8

/* ---- seccomp -------------------------------------------------------------
 * One row per syscall (several rows for one syscall are OR-ed). The
 * condition compares one argument; err != 0 makes the row answer that
 * errno instead of allowing the call. Anything matching no row kills the
 * process (SCMP_ACT_KILL_PROCESS, logged by the kernel). */
enum nw_sys_cond {
	NW_ANY,		/* no condition */
	NW_EQ,		/* arg == value */
	NW_NE,		/* arg != value */
	NW_GT,		/* arg > value */
	NW_BITS_CLEAR,	/* (arg & value) == 0, e.g. no PROT_EXEC */
	NW_BITS_SET,	/* (arg & value) == value, e.g. CLONE_THREAD */
	NW_SELF,	/* arg == our own pid (signals to ourselves only) */
};

/* err: answer 0 (success) without running the call, for a call whose
 * effect the policy refuses but whose failure a library would not survive
 * (policies/lua.c: librrd's chmod) */
#define NW_ERR_NOOP (-1)

struct nw_sys {
	const char *name;	/* resolved per architecture; unknown = skipped */
	enum nw_sys_cond cond;
	unsigned arg;
	uint64_t value;
	int err;
};

/* ---- rlimits ------------------------------------------------------------ */
struct nw_limits {
	uint64_t nofile;	/* RLIMIT_NOFILE, soft = hard */
	uint64_t data_mb;	/* RLIMIT_DATA; 0 = none. Not applied in
				 * sanitizer builds (their shadow memory) */
};

struct nw_policy {
	const char *role;
	/* Capabilities kept across execve when the role needs one (only a
	 * capture worker of a live device: CAP_NET_RAW, dropped by the
	 * worker once its handle is open). -1 ends the list. */
	int live_caps[4];
	struct nw_limits limits;
	const struct nw_fs_rule *fs;	/* ends with a NULL path */
	uint32_t tcp_bind[NW_MAX_PORTS]; /* 0-terminated (NW_PORT_LISTEN ok) */
	uint32_t tcp_connect[NW_MAX_PORTS];
	/* Final allowlist the worker installs itself; NULL for a role that
	 * is not ours to change (redis: pre-exec confinement only). */
	const struct nw_sys *const *syscalls; /* NULL-terminated list of
						* NULL-name-terminated tables */
};

extern const struct nw_policy nw_policy_capture;
extern const struct nw_policy nw_policy_lua;
extern const struct nw_policy nw_policy_web;
extern const struct nw_policy nw_policy_redis;

/* Shared parts (common.c). */
extern const struct nw_fs_rule nw_fs_runtime_libs[]; /* ld.so, libc */
extern const struct nw_sys nw_sys_base[];	/* every netward worker */
extern const struct nw_sys nw_sys_unix_only[];	/* sockets: AF_UNIX only */
extern const struct nw_sys nw_sys_sanitizer[];	/* ASan/LSan/UBSan extras */
extern const struct nw_sys nw_sys_preexec_deny[]; /* the pre-exec filter */

#endif
