/* The engine behind policy.h: landlock rulesets, seccomp filters and
 * rlimits. Landlock rights are masked to the ABI the kernel reports (as
 * xz does), so a newer policy still works on an older kernel; a kernel
 * without landlock is reported by the caller and the rest still applies. */
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define NW_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NW_SANITIZED 1
#endif
#endif

/* The 6.1 headers stop at ABI 2; the later rights, by their ABI. */
#define LL_FS_TRUNCATE (1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_RULE_NET_PORT 2
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
} __attribute__((packed));

#define LL_FS_FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | \
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | \
	LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)
#define LL_FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_FS_WRITE (LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
	LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER | \
	LL_FS_TRUNCATE)

int
nw_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

static uint64_t
fs_handled(int abi)
{
	uint64_t all = (1ULL << 13) - 1; /* ABI 1: execute .. make_sym */
	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		all |= LL_FS_TRUNCATE;
	if (abi >= 5)
		all |= LL_FS_IOCTL_DEV;
	return all;
}

/* %B %I %D %R %N %A %C of a rule's path template. */
static int
expand(const char *tmpl, const struct nw_paths *p, char *out, size_t n)
{
	size_t len = 0;
	for (const char *s = tmpl; *s != '\0'; s++) {
		char num[16];
		const char *part = NULL;
		if (*s == '%' && s[1] != '\0') {
			switch (*++s) {
			case 'B': part = p->bin_dir; break;
			case 'I': part = p->install_dir; break;
			case 'D': part = p->data_dir; break;
			case 'R': part = p->runtime_dir; break;
			case 'A': part = p->geoip_asn; break;
			case 'C': part = p->geoip_city; break;
			case 'N':
				snprintf(num, sizeof num, "%d", p->index);
				part = num;
				break;
			default: return -1;
			}
			if (part == NULL)
				return -1;
		}
		size_t k = part ? strlen(part) : 1;
		if (len + k >= n)
			return -1;
		memcpy(out + len, part ? part : s, k);
		len += k;
	}
	out[len] = '\0';
	return 0;
}

static uint64_t
fs_rights(unsigned access)
{
	uint64_t r = 0;
	if (access & NW_FS_READ)
		r |= LL_FS_READ;
	if (access & NW_FS_EXEC)
		r |= LANDLOCK_ACCESS_FS_EXECUTE;
	if (access & NW_FS_WRITE)
		r |= LL_FS_READ | LL_FS_WRITE;
	if (access & NW_FS_MAKE_SOCK)
		r |= LANDLOCK_ACCESS_FS_MAKE_SOCK;
	return r;
}

static int
add_fs_rules(int rfd, const struct nw_fs_rule *rules,
    const struct nw_paths *paths, uint64_t handled, char *err, size_t errlen)
{
	char path[4400];

	for (const struct nw_fs_rule *r = rules; r->path != NULL; r++) {
		if (expand(r->path, paths, path, sizeof path) != 0) {
			if (r->optional)
				continue; /* e.g. %A without --geoip-asn */
			snprintf(err, errlen, "landlock: cannot expand %s",
			    r->path);
			errno = EINVAL;
			return -1;
		}
		int fd = open(path, O_PATH | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			if (r->optional)
				continue;
			snprintf(err, errlen, "landlock: %s: %s", path,
			    strerror(e));
			errno = e;
			return -1;
		}
		struct landlock_path_beneath_attr pb = {
			.allowed_access = fs_rights(r->access) & handled,
			.parent_fd = fd,
		};
		if (!S_ISDIR(st.st_mode))
			pb.allowed_access &= LL_FS_FILE_RIGHTS;
		long rv = pb.allowed_access == 0 ? 0 :
		    syscall(SYS_landlock_add_rule, rfd,
			LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
		int e = errno;
		close(fd);
		if (rv != 0) {
			snprintf(err, errlen, "landlock rule %s: %s", path,
			    strerror(e));
			errno = e;
			return -1;
		}
	}
	return 0;
}

static int
add_port_rules(int rfd, const uint32_t *ports, uint64_t right,
    const struct nw_paths *paths, char *err, size_t errlen)
{
	for (int i = 0; i < NW_MAX_PORTS && ports[i] != 0; i++) {
		uint32_t port = ports[i] == NW_PORT_LISTEN ?
		    paths->listen_port : ports[i];
		if (port == 0 || port > 65535)
			continue;
		struct ll_net_port_attr np = {right, port};
		if (syscall(SYS_landlock_add_rule, rfd, LL_RULE_NET_PORT, &np,
		    0) != 0) {
			snprintf(err, errlen, "landlock port %u: %s", port,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
nw_landlock_prepare(const struct nw_policy *p, const struct nw_paths *paths,
    char *err, size_t errlen)
{
	int abi = nw_landlock_abi();
	if (abi <= 0) {
		snprintf(err, errlen, "landlock is not available in this "
		    "kernel (%s)", strerror(errno));
		errno = EOPNOTSUPP;
		return -1;
	}
	struct ll_ruleset_attr attr = {.handled_access_fs = fs_handled(abi)};
	size_t attr_size = sizeof attr.handled_access_fs;
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		attr_size += sizeof attr.handled_access_net;
	}
	if (abi >= 6) {
		/* no signals to, and no abstract sockets of, processes
		 * outside the worker's own domain */
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		attr_size += sizeof attr.scoped;
	}
	int rfd = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size,
	    0);
	if (rfd < 0) {
		snprintf(err, errlen, "landlock_create_ruleset: %s",
		    strerror(errno));
		return -1;
	}
	if (add_fs_rules(rfd, nw_fs_runtime_libs, paths,
	    attr.handled_access_fs, err, errlen) != 0 ||
	    add_fs_rules(rfd, p->fs, paths, attr.handled_access_fs, err,
	    errlen) != 0 ||
	    (abi >= 4 &&
	    (add_port_rules(rfd, p->tcp_bind, LL_NET_BIND_TCP, paths, err,
	    errlen) != 0 ||
	    add_port_rules(rfd, p->tcp_connect, LL_NET_CONNECT_TCP, paths,
	    err, errlen) != 0))) {
		int e = errno;
		close(rfd);
		errno = e == EOPNOTSUPP ? EINVAL : e;
		return -1;
	}
	return rfd;
}

int
nw_landlock_apply(int ruleset_fd)
{
	/* needs no_new_privs (or CAP_SYS_ADMIN), set before */
	return (int)syscall(SYS_landlock_restrict_self, ruleset_fd, 0);
}

/* ---- seccomp --------------------------------------------------------- */

static int
add_row(scmp_filter_ctx ctx, const struct nw_sys *r, uint32_t allow)
{
	int nr = seccomp_syscall_resolve_name(r->name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a call of this architecture */
	uint32_t action = r->err == NW_ERR_NOOP ? SCMP_ACT_ERRNO(0) :
	    r->err != 0 ? SCMP_ACT_ERRNO((uint32_t)r->err) : allow;
	/* spelled out: clang warns on SCMP_CMP()'s missing datum_b */
	struct scmp_arg_cmp cmp = {.arg = r->arg, .op = SCMP_CMP_EQ,
	    .datum_a = r->value, .datum_b = 0};
	switch (r->cond) {
	case NW_ANY:
		return seccomp_rule_add(ctx, action, nr, 0);
	case NW_EQ:
		break;
	case NW_NE:
		cmp.op = SCMP_CMP_NE;
		break;
	case NW_GT:
		cmp.op = SCMP_CMP_GT;
		break;
	case NW_BITS_CLEAR: /* (arg & value) == 0 */
		cmp.op = SCMP_CMP_MASKED_EQ;
		cmp.datum_b = 0;
		break;
	case NW_BITS_SET: /* (arg & value) == value */
		cmp.op = SCMP_CMP_MASKED_EQ;
		cmp.datum_b = r->value;
		break;
	case NW_SELF:
		cmp.datum_a = (uint64_t)getpid();
		break;
	default:
		return -EINVAL;
	}
	return seccomp_rule_add_array(ctx, action, nr, 1, &cmp);
}

int
nw_preexec_filter(struct sock_fprog *out, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rv = -1, mfd = -1;
	if (ctx == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS) != 0)
		goto out;
	for (const struct nw_sys *r = nw_sys_preexec_deny; r->name; r++)
		if (add_row(ctx, r, SCMP_ACT_KILL_PROCESS) != 0) {
			snprintf(err, errlen, "seccomp rule %s", r->name);
			goto out;
		}
	/* libseccomp 2.5 exports to a descriptor only */
	mfd = memfd_create("netward-preexec-bpf", MFD_CLOEXEC);
	if (mfd < 0 || seccomp_export_bpf(ctx, mfd) != 0) {
		snprintf(err, errlen, "seccomp export: %s", strerror(errno));
		goto out;
	}
	off_t size = lseek(mfd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		snprintf(err, errlen, "seccomp export: bad size");
		goto out;
	}
	struct sock_filter *prog = malloc((size_t)size);
	if (prog == NULL || pread(mfd, prog, (size_t)size, 0) != size) {
		free(prog);
		snprintf(err, errlen, "seccomp export: read");
		goto out;
	}
	out->filter = prog;
	out->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	rv = 0;
out:
	if (mfd >= 0)
		close(mfd);
	seccomp_release(ctx);
	return rv;
}

int
nw_filter_apply(const struct sock_fprog *prog)
{
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_LOG, prog);
}

/* ---- rlimits --------------------------------------------------------- */

static int
limit(int resource, uint64_t value)
{
	struct rlimit cur, want;
	if (getrlimit(resource, &cur) != 0)
		return -1;
	want.rlim_max = cur.rlim_max != RLIM_INFINITY &&
	    cur.rlim_max < value ? cur.rlim_max : value;
	want.rlim_cur = want.rlim_max;
	return setrlimit(resource, &want);
}

int
nw_limits_apply(const struct nw_policy *p)
{
	if (limit(RLIMIT_CORE, 0) != 0)
		return -1;
	if (p->limits.nofile != 0 && limit(RLIMIT_NOFILE, p->limits.nofile))
		return -1;
#ifndef NW_SANITIZED
	/* sanitizer shadow memory would not fit under a data limit */
	if (p->limits.data_mb != 0 &&
	    limit(RLIMIT_DATA, p->limits.data_mb << 20) != 0)
		return -1;
#endif
	return 0;
}

/* ---- the worker's final filter ----------------------------------------- */

static void
on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char msg[96];
	int nr = si->si_syscall, n = 0;
	char digits[12];
	int k = 0;
	(void)sig;
	const char *head = "seccomp debug: forbidden system call ";
	size_t hl = strlen(head);
	memcpy(msg, head, hl);
	n = (int)hl;
	do {
		digits[k++] = (char)('0' + nr % 10);
		nr /= 10;
	} while (nr > 0 && k < 11);
	while (k > 0)
		msg[n++] = digits[--k];
	msg[n++] = '\n';
	(void)!write(2, msg, (size_t)n);
#if defined(__x86_64__)
	((ucontext_t *)uctx)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#else
	(void)uctx;
#endif
}

int
nw_sandbox_enter(const struct nw_policy *p)
{
	if (p->syscalls == NULL)
		return 0;
	const char *dbg = getenv("NETWARD_SECCOMP_DEBUG");
	bool debug = dbg != NULL && strcmp(dbg, "1") == 0;
	if (debug) {
		struct sigaction sa = {.sa_sigaction = on_sigsys,
		    .sa_flags = SA_SIGINFO};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSYS, &sa, NULL);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0)
		return -1;
	scmp_filter_ctx ctx = seccomp_init(debug ? SCMP_ACT_TRAP :
	    SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return -1;
	int rv = -1, n = 0;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1) != 0)
		goto out;
	for (const struct nw_sys *const *t = p->syscalls; *t != NULL; t++)
		for (const struct nw_sys *r = *t; r->name != NULL; r++, n++) {
			int e = add_row(ctx, r, SCMP_ACT_ALLOW);
			if (e != 0 && e != -EEXIST) {
				fprintf(stderr, "seccomp: rule %s: %s\n",
				    r->name, strerror(-e));
				goto out;
			}
		}
#ifdef NW_SANITIZED
	for (const struct nw_sys *r = nw_sys_sanitizer; r->name != NULL; r++)
		(void)add_row(ctx, r, SCMP_ACT_ALLOW);
#endif
	int e = seccomp_load(ctx);
	if (e != 0) {
		fprintf(stderr, "seccomp_load: %s\n", strerror(-e));
		goto out;
	}
	rv = 0;
out:
	seccomp_release(ctx);
	return rv;
}
