/* What a worker keeps of the supervisor's privileges, applied in the forked
 * child before execve, in this order (tcpdump's and OpenSSH's):
 *   1. the bounding set shrinks to what the role keeps (needs CAP_SETPCAP,
 *      so before the uid changes),
 *   2. setgroups, setresgid, setresuid to the service user,
 *   3. check that uid 0 cannot be regained,
 *   4. the kept capabilities become permitted, effective, inheritable and
 *      ambient, so they survive execve (a capture worker of a live device
 *      only: CAP_NET_RAW, which it drops itself once its handle is open),
 *   5. PR_SET_NO_NEW_PRIVS, no core dumps.
 * What a role keeps comes from its policy (policies/); landlock, rlimits
 * and the pre-exec seccomp filter follow in confine.c. The capability
 * state is built in the parent (sv_caps_prepare), so the child only makes
 * system calls: the supervisor has NNG threads, and a fork of a threaded
 * process must not allocate. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

int
sv_resolve_user(const char *name, struct sv_identity *id)
{
	memset(id, 0, sizeof *id);
	if (geteuid() != 0)
		return 0; /* an ordinary user: nobody to become */
	struct passwd *pw = getpwnam(name);
	if (pw == NULL)
		return -1;
	if (pw->pw_uid == 0)
		return -1; /* workers never run as root */
	id->change_user = true;
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	return 0;
}

static int
child_fail(const char *step)
{
	fprintf(stderr, "privilege drop failed at %s: %s\n", step,
	    strerror(errno));
	return -1;
}

static int
shrink_bounding_set(const cap_value_t *keep, int nkeep)
{
	for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++) {
		bool kept = false;
		for (int i = 0; i < nkeep; i++)
			kept |= keep[i] == v;
		if (!kept && CAP_IS_SUPPORTED(v) && cap_drop_bound(v) != 0)
			return -1;
	}
	return 0;
}

static int
kept_list(const struct nw_policy *policy, bool live, cap_value_t *keep)
{
	int nkeep = 0;
	for (int i = 0; live && i < 4 && policy->live_caps[i] >= 0; i++)
		keep[nkeep++] = (cap_value_t)policy->live_caps[i];
	return nkeep;
}

void *
sv_caps_prepare(const struct nw_policy *policy, bool live)
{
	cap_value_t keep[4];
	int nkeep = kept_list(policy, live, keep);
	cap_t caps = cap_init();
	if (caps == NULL)
		return NULL;
	if (nkeep > 0 &&
	    (cap_set_flag(caps, CAP_PERMITTED, nkeep, keep, CAP_SET) != 0 ||
	     cap_set_flag(caps, CAP_EFFECTIVE, nkeep, keep, CAP_SET) != 0 ||
	     cap_set_flag(caps, CAP_INHERITABLE, nkeep, keep, CAP_SET) != 0)) {
		cap_free(caps);
		return NULL;
	}
	return caps;
}

void
sv_caps_free(void *caps)
{
	if (caps != NULL)
		cap_free(caps);
}

static int
set_kept_capabilities(cap_t caps, const cap_value_t *keep, int nkeep)
{
	if (caps == NULL || cap_set_proc(caps) != 0)
		return -1;
	if (cap_reset_ambient() != 0)
		return -1;
	for (int i = 0; i < nkeep; i++)
		if (cap_set_ambient(keep[i], CAP_SET) != 0)
			return -1;
	return 0;
}

int
sv_drop_privileges(const struct sv_identity *id,
    const struct nw_policy *policy, bool live_capture, void *caps)
{
	cap_value_t keep[4];
	int nkeep = kept_list(policy, live_capture, keep);

	struct rlimit no_core = {0, 0};
	if (setrlimit(RLIMIT_CORE, &no_core) != 0)
		return child_fail("RLIMIT_CORE");

	if (id->change_user) {
		if (shrink_bounding_set(keep, nkeep) != 0)
			return child_fail("bounding set");
		if (nkeep > 0 && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0)
			return child_fail("PR_SET_KEEPCAPS");
		if (setgroups(0, NULL) != 0)
			return child_fail("setgroups");
		if (setresgid(id->gid, id->gid, id->gid) != 0)
			return child_fail("setresgid");
		if (setresuid(id->uid, id->uid, id->uid) != 0)
			return child_fail("setresuid");
		if (setuid(0) == 0 || seteuid(0) == 0) {
			errno = EPERM;
			return child_fail("uid 0 still reachable");
		}
		if (set_kept_capabilities(caps, keep, nkeep) != 0)
			return child_fail("capabilities");
		if (prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) != 0)
			return child_fail("PR_SET_KEEPCAPS off");
	} else if (nkeep == 0) {
		/* An ordinary user may hold file capabilities; drop them. */
		if (set_kept_capabilities(caps, keep, 0) != 0 && errno != EPERM)
			return child_fail("capabilities");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0)
		return child_fail("PR_SET_NO_NEW_PRIVS");
	return 0;
}
