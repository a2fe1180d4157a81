/* Applying a policy (policy.h).
 *
 * Supervisor, in the parent before fork (may allocate):
 *   nw_landlock_prepare()   a landlock ruleset fd for one child
 *   nw_preexec_filter()     the pre-exec seccomp program, built once
 * Supervisor, in the forked child (system calls only, no allocation):
 *   nw_limits_apply(), nw_landlock_apply(), nw_filter_apply()
 * Worker, at "drop, sandbox, serve":
 *   nw_sandbox_enter()      its final seccomp allowlist, on every thread */
#ifndef NETWARD_SANDBOX_H
#define NETWARD_SANDBOX_H

#include "policy.h"

#include <linux/filter.h>
#include <stddef.h>

struct nw_paths {
	const char *bin_dir;
	const char *install_dir;
	const char *data_dir;
	const char *runtime_dir;
	int index;
	unsigned listen_port;
	const char *geoip_asn, *geoip_city; /* %A %C: --geoip-* files or NULL */
};

/* The landlock ABI of the running kernel, 0 when it has none. */
int nw_landlock_abi(void);

/* Returns a ruleset fd (close it after fork), or -1 with why in err: the
 * kernel has no landlock (errno ENOSYS/EOPNOTSUPP: log it and go on) or a
 * required path is missing (a configuration error). */
int nw_landlock_prepare(const struct nw_policy *p, const struct nw_paths *paths,
    char *err, size_t errlen);
int nw_landlock_apply(int ruleset_fd);

/* The pre-exec filter: allow all but nw_sys_preexec_deny (kill). The
 * program stays valid for the life of the process. */
int nw_preexec_filter(struct sock_fprog *out, char *err, size_t errlen);
int nw_filter_apply(const struct sock_fprog *prog);

int nw_limits_apply(const struct nw_policy *p);

/* The worker's final filter: allowlist, kill the process on anything
 * else (logged by the kernel), all threads synchronised. With
 * NETWARD_SECCOMP_DEBUG=1 in the environment a forbidden call is reported
 * on stderr and fails with ENOSYS instead (for writing a policy). */
int nw_sandbox_enter(const struct nw_policy *p);

#endif
