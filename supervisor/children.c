/* Starting, logging and restarting one worker.
 *
 * Restarts back off exponentially (Zeek's supervisor): 250 ms after the
 * first quick death, doubling to a 30 s cap; a worker that stayed up for a
 * minute starts again from 250 ms. A worker that exits with
 * EXIT_CONFIG_ERROR cannot work with this configuration and is not
 * restarted (nginx). */
#define _GNU_SOURCE
#include "supervisor.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_FIRST_MS 250
#define BACKOFF_CAP_MS 30000
#define STABLE_UPTIME_MS 60000

uint64_t
sv_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
sv_role_name(enum sv_role role)
{
	switch (role) {
	case ROLE_REDIS: return "redis";
	case ROLE_CAPTURE: return "capture";
	case ROLE_LUA: return "lua";
	case ROLE_WEB: return "web";
	}
	return "?";
}

void
sv_child_init(struct sv_child *c, enum sv_role role, int index,
    const char *name)
{
	memset(c, 0, sizeof *c);
	c->role = role;
	c->index = index;
	c->pid = -1;
	c->log_fd = -1;
	snprintf(c->name, sizeof c->name, "%s", name);
}

void
sv_child_arg(struct sv_child *c, const char *fmt, ...)
{
	if (c->argc >= SV_MAX_ARGS - 1)
		fatalx("%s: too many arguments", c->name);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&c->argv[c->argc], fmt, ap) < 0)
		fatalx("out of memory");
	va_end(ap);
	c->argc++;
	c->argv[c->argc] = NULL;
}

void
sv_child_secret(struct sv_child *c, const char *name, const char *value)
{
	size_t room = sizeof c->secrets - c->secrets_len;
	int n = snprintf(c->secrets + c->secrets_len, room, "%s=%s\n", name,
	    value);
	if (n < 0 || (size_t)n >= room)
		fatalx("%s: secrets too long", c->name);
	c->secrets_len += (size_t)n;
}

/* The secrets pipe follows the passed file: fd 3, or 4 after one. */
static int
secrets_fd_number(const struct sv_child *c)
{
	return c->pass_path != NULL ? 4 : 3;
}

void
sv_child_secrets_arg(struct sv_child *c)
{
	if (c->secrets_len > 0)
		sv_child_arg(c, "--secrets-fd=%d", secrets_fd_number(c));
}

/* A pipe already holding the child's secrets (they fit its buffer). */
static int
secrets_pipe(const struct sv_child *c)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	ssize_t n = write(p[1], c->secrets, c->secrets_len);
	close(p[1]);
	if (n != (ssize_t)c->secrets_len) {
		close(p[0]);
		return -1;
	}
	return p[0];
}

/* In the child: from here on only system calls and exec (the supervisor
 * has NNG threads; everything that allocates was prepared before fork). */
static void
exec_child(struct sv_child *c, const struct sv_identity *id, int log_w,
    int pass_fd, int secrets_fd, int ruleset_fd, int exe_fd, void *caps,
    char *const *env)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	setpgid(0, 0); /* a terminal's ^C goes to the supervisor only */

	int devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(log_w, 1) < 0 ||
	    dup2(log_w, 2) < 0)
		_exit(EXIT_CONFIG_ERROR);
	/* The descriptors kept: first out of the way of 3, 4, ... (any of
	 * them may sit there now), then into place. The passed file and the
	 * secrets pipe are inherited; the landlock ruleset and the
	 * executable are close-on-exec. */
	int keep[4] = {pass_fd, secrets_fd, ruleset_fd, exe_fd};
	for (int i = 0; i < 4; i++)
		if (keep[i] >= 0 &&
		    (keep[i] = fcntl(keep[i], F_DUPFD_CLOEXEC, 64)) < 0)
			_exit(EXIT_CONFIG_ERROR);
	int next = 3;
	for (int i = 0; i < 4; i++) {
		if (keep[i] < 0)
			continue;
		if (dup2(keep[i], next) < 0 ||
		    (i >= 2 && fcntl(next, F_SETFD, FD_CLOEXEC) < 0))
			_exit(EXIT_CONFIG_ERROR);
		keep[i] = next++;
	}
	ruleset_fd = keep[2];
	exe_fd = keep[3];
	syscall(SYS_close_range, (unsigned)next, ~0u, 0);
	if (sv_drop_privileges(id, c->policy, c->live_capture, caps) != 0)
		_exit(EXIT_CONFIG_ERROR);
	if (sv_confine_child(c, ruleset_fd) != 0)
		_exit(EXIT_CONFIG_ERROR);
	if (ruleset_fd >= 0)
		close(ruleset_fd);
	/* by descriptor: exactly the file the landlock rule names */
	syscall(SYS_execveat, exe_fd, "", c->argv, env, AT_EMPTY_PATH);
	fprintf(stderr, "execve %s: %s\n", c->argv[0], strerror(errno));
	_exit(EXIT_CONFIG_ERROR);
}

int
sv_child_spawn(struct sv_child *c, const struct sv_identity *id)
{
	int pipefd[2] = {-1, -1};
	int pass_fd = -1, secrets_fd = -1, ruleset_fd = -1, exe_fd = -1;
	void *caps = NULL;
	int rc = -1;

	if (c->pass_path != NULL) {
		/* Opened here, as the supervisor, so the worker needs no
		 * access to the file system at all to read it. */
		pass_fd = open(c->pass_path, O_RDONLY | O_CLOEXEC);
		if (pass_fd < 0) {
			log_error("%s: %s: %s", c->name, c->pass_path,
			    strerror(errno));
			c->given_up = true;
			return -1;
		}
	}
	/* A socket left by a worker that was killed: removed here, so the
	 * worker itself needs no right to remove files in the runtime dir. */
	const char *sockets[] = {c->socket_path, c->socket_path2};
	for (int i = 0; i < 2; i++)
		if (sockets[i][0] != '\0' && unlink(sockets[i]) != 0 &&
		    errno != ENOENT)
			log_warn("%s: unlink %s: %s", c->name, sockets[i],
			    strerror(errno));
	/* The executable is opened first and run by descriptor: the landlock
	 * rule that lets the child execute it must name this very file, not
	 * one that replaced it (an upgrade, a rebuild) in between; if the
	 * path changed while the ruleset was built, build it again. */
	for (int tries = 0; tries < 3; tries++) {
		struct stat a, b;
		if (exe_fd >= 0)
			close(exe_fd);
		if (ruleset_fd >= 0)
			close(ruleset_fd);
		exe_fd = open(c->argv[0], O_PATH | O_CLOEXEC);
		if (exe_fd < 0) {
			log_error("%s: %s: %s", c->name, c->argv[0],
			    strerror(errno));
			c->given_up = true;
			goto fail;
		}
		ruleset_fd = sv_confine_prepare(c);
		if (ruleset_fd == -2 || fstat(exe_fd, &a) != 0 ||
		    stat(c->argv[0], &b) != 0 ||
		    (a.st_ino == b.st_ino && a.st_dev == b.st_dev))
			break;
	}
	caps = sv_caps_prepare(c->policy, c->live_capture);
	if (ruleset_fd == -2 || caps == NULL) {
		c->given_up = true;
		goto fail;
	}
	if (c->secrets_len > 0 && (secrets_fd = secrets_pipe(c)) < 0) {
		log_error("%s: secrets pipe: %s", c->name, strerror(errno));
		goto fail;
	}
	/* The environment is empty, but for the seccomp debug switch
	 * (policies/sandbox.h) when the supervisor was given it. */
	char *const debug_env[] = {"NETWARD_SECCOMP_DEBUG=1", NULL};
	const char *dbg = getenv("NETWARD_SECCOMP_DEBUG");
	char *const *env = dbg != NULL && strcmp(dbg, "1") == 0 ?
	    debug_env : debug_env + 1;
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		goto fail;
	pid_t pid = fork();
	if (pid < 0) {
		log_error("%s: fork: %s", c->name, strerror(errno));
		goto fail;
	}
	if (pid == 0)
		exec_child(c, id, pipefd[1], pass_fd, secrets_fd, ruleset_fd,
		    exe_fd, caps, env);

	close(pipefd[1]);
	pipefd[1] = -1;
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	if (c->log_fd >= 0)
		close(c->log_fd);
	c->log_fd = pipefd[0];
	pipefd[0] = -1;
	c->log_len = 0;
	c->pid = pid;
	c->started_ms = sv_now_ms();
	c->restart_at_ms = 0;
	log_info("%s: started, pid %d", c->name, (int)pid);
	rc = 0;
fail:
	{
		int fds[] = {pipefd[0], pipefd[1], pass_fd, secrets_fd,
		    ruleset_fd, exe_fd};
		for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	sv_caps_free(caps);
	return rc;
}

static void
log_child_line(struct sv_child *c, const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	log_info("%s: %.*s", c->name, (int)len, line);
}

void
sv_child_drain_log(struct sv_child *c, bool flush_partial)
{
	for (;;) {
		if (c->log_fd < 0)
			return;
		ssize_t n = read(c->log_fd, c->log_buf + c->log_len,
		    sizeof c->log_buf - c->log_len);
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(c->log_fd);
				c->log_fd = -1;
				flush_partial = true;
			}
			break;
		}
		c->log_len += (size_t)n;
		char *start = c->log_buf, *nl;
		while ((nl = memchr(start, '\n', c->log_len -
		    (size_t)(start - c->log_buf))) != NULL) {
			log_child_line(c, start, (size_t)(nl - start));
			start = nl + 1;
		}
		size_t rest = c->log_len - (size_t)(start - c->log_buf);
		memmove(c->log_buf, start, rest);
		c->log_len = rest;
		if (c->log_len == sizeof c->log_buf) {
			/* a line longer than the buffer: cut it */
			log_child_line(c, c->log_buf, c->log_len);
			c->log_len = 0;
		}
	}
	if (flush_partial && c->log_len > 0) {
		log_child_line(c, c->log_buf, c->log_len);
		c->log_len = 0;
	}
}

void
sv_child_exited(struct sv_child *c, int wstatus, uint64_t now_ms)
{
	sv_child_drain_log(c, true);
	if (WIFSIGNALED(wstatus))
		snprintf(c->last_exit, sizeof c->last_exit,
		    "killed by signal %d (%s)%s", WTERMSIG(wstatus),
		    strsignal(WTERMSIG(wstatus)),
		    WTERMSIG(wstatus) == SIGSYS ?
		    ": a system call its seccomp policy forbids" :
		    WCOREDUMP(wstatus) ? ", core dumped" : "");
	else
		snprintf(c->last_exit, sizeof c->last_exit,
		    "exited with status %d", WEXITSTATUS(wstatus));
	if (c->hung)
		snprintf(c->last_exit, sizeof c->last_exit,
		    "hung (no answer to ping), killed");
	c->hung = false;
	uint64_t uptime = now_ms - c->started_ms;
	c->pid = -1;

	if (WIFEXITED(wstatus) &&
	    WEXITSTATUS(wstatus) == EXIT_CONFIG_ERROR) {
		log_error("%s: %s after %llu ms: its configuration cannot "
		    "work, not restarting", c->name, c->last_exit,
		    (unsigned long long)uptime);
		c->given_up = true;
		return;
	}
	if (c->reloading) {
		/* stopped on purpose for a SIGHUP reload: no back-off */
		c->reloading = false;
		c->restart_at_ms = now_ms;
		log_info("%s: %s for the reload", c->name, c->last_exit);
		return;
	}
	if (uptime >= STABLE_UPTIME_MS)
		c->quick_failures = 0;
	uint64_t delay = BACKOFF_FIRST_MS;
	for (unsigned i = 0; i < c->quick_failures && delay < BACKOFF_CAP_MS;
	    i++)
		delay *= 2;
	if (delay > BACKOFF_CAP_MS)
		delay = BACKOFF_CAP_MS;
	c->quick_failures++;
	c->restarts++;
	c->restart_at_ms = now_ms + delay;
	/* A crash loop is reported once when it starts, then summed up
	 * every 20th death, not logged at every turn. */
	if (c->quick_failures <= 3)
		log_warn("%s: %s after %llu ms; restart %u in %llu ms",
		    c->name, c->last_exit, (unsigned long long)uptime,
		    c->restarts, (unsigned long long)delay);
	else if (c->quick_failures == 4)
		log_error("%s: crash loop: %s again after %llu ms; restarting "
		    "with back-off up to %d s, further deaths reported every "
		    "20th time (netward status shows the latest)", c->name,
		    c->last_exit, (unsigned long long)uptime,
		    BACKOFF_CAP_MS / 1000);
	else if (c->quick_failures % 20 == 0)
		log_error("%s: crash loop: %u quick deaths in a row, last %s; "
		    "restart in %llu ms", c->name, c->quick_failures,
		    c->last_exit, (unsigned long long)delay);
}
