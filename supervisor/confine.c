/* The pre-exec part of a child's policy: after the privilege drop
 * (privdrop.c) and before execve, in this order:
 *   1. rlimits: no core dumps, descriptors, data size,
 *   2. landlock: the role's file-system and TCP rules, signal scoping,
 *   3. the pre-exec seccomp filter: allow all but a deny list.
 * The landlock ruleset and the BPF program are built in the parent; the
 * child only makes the three system calls. Each netward worker then
 * installs its final allowlist itself (policies/sandbox.h), once what it
 * sets up after execve (dynamic loading, listening) is done; redis keeps
 * the pre-exec part only. */
#define _GNU_SOURCE
#include "supervisor.h"
#include "log.h"
#include "sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct nw_paths paths;
static struct sock_fprog preexec;
static bool have_preexec;
static bool landlock_missing_logged;

static unsigned
listen_port(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	long port = strtol(colon ? colon + 1 : listen, NULL, 10);
	return port > 0 && port < 65536 ? (unsigned)port : 0;
}

void
sv_confine_init(const struct sv_options *o)
{
	char err[256];

	paths.bin_dir = o->bin_dir;
	paths.install_dir = o->install_dir;
	paths.data_dir = o->data_dir;
	paths.runtime_dir = o->runtime_dir;
	paths.geoip_asn = o->geoip_asn;
	paths.geoip_city = o->geoip_city;
	paths.listen_port = listen_port(o->http_listen);
	if (nw_preexec_filter(&preexec, err, sizeof err) != 0)
		fatalx("pre-exec seccomp filter: %s", err);
	have_preexec = true;
#ifdef NETWARD_TEST_HOOKS
	log_warn("built with -Dtest_hooks=true: the workers answer "
	    "\"__test_escape\" (tests/privsep); not for production");
#endif
	int abi = nw_landlock_abi();
	if (abi > 0)
		log_info("sandbox: landlock ABI %d%s, seccomp", abi,
		    abi >= 4 ? " (with TCP rules)" : " (no TCP rules)");
	else
		log_warn("sandbox: this kernel has no landlock; workers run "
		    "without file-system rules (seccomp and the rest still "
		    "apply)");
}

int
sv_confine_prepare(const struct sv_child *c)
{
	char err[512];
	struct nw_paths p = paths;
	p.index = c->index;
	int fd = nw_landlock_prepare(c->policy, &p, err, sizeof err);
	if (fd >= 0)
		return fd;
	if (errno == EOPNOTSUPP || errno == ENOSYS) {
		if (!landlock_missing_logged)
			log_warn("%s: %s", c->name, err);
		landlock_missing_logged = true;
		return -1;
	}
	log_error("%s: %s", c->name, err);
	return -2;
}

static int
child_fail(const char *step)
{
	fprintf(stderr, "sandbox failed at %s: %s\n", step, strerror(errno));
	return -1;
}

int
sv_confine_child(const struct sv_child *c, int ruleset_fd)
{
	if (nw_limits_apply(c->policy) != 0)
		return child_fail("rlimits");
	if (ruleset_fd >= 0 && nw_landlock_apply(ruleset_fd) != 0)
		return child_fail("landlock_restrict_self");
	if (have_preexec && nw_filter_apply(&preexec) != 0)
		return child_fail("seccomp");
	return 0;
}
