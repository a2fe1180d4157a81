/* The supervisor's control socket, RUNTIME/control.sock: a unix stream
 * socket that only root and the supervisor's own uid may use (socket file
 * 0600, owned by the supervisor, and the peer's uid checked), one request
 * line, one text answer, served from the main loop. Workers run as the
 * service user and cannot connect; their sandbox cannot remove it.
 *
 *   status   one line per worker: name, pid, uptime, restarts, last exit
 *
 * `netward status [--runtime-dir DIR]` is the client. */
#define _GNU_SOURCE
#include "supervisor.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CONTROL_NAME "control.sock"

static int
control_path(const char *runtime_dir, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	int n = snprintf(sa->sun_path, sizeof sa->sun_path, "%s/%s",
	    runtime_dir, CONTROL_NAME);
	return n < 0 || n >= (int)sizeof sa->sun_path ? -1 : 0;
}

int
sv_control_open(const char *runtime_dir)
{
	struct sockaddr_un sa;
	if (control_path(runtime_dir, &sa) != 0) {
		log_warn("control socket: runtime dir path too long");
		return -1;
	}
	unlink(sa.sun_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	mode_t old = umask(077);
	int rv = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rv != 0 || listen(fd, 8) != 0) {
		log_warn("control socket %s: %s", sa.sun_path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void
format_uptime(char *buf, size_t n, uint64_t ms)
{
	uint64_t s = ms / 1000;
	if (s >= 86400)
		snprintf(buf, n, "%llud%02lluh", (unsigned long long)(s / 86400),
		    (unsigned long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, n, "%lluh%02llum", (unsigned long long)(s / 3600),
		    (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, n, "%llus", (unsigned long long)s);
}

static void
answer(int fd, const char *req, const struct sv_child *children, int n,
    uint64_t now)
{
	char out[16384];
	size_t len = 0;

	if (strcmp(req, "status") != 0) {
		len = (size_t)snprintf(out, sizeof out,
		    "error: unknown command '%.64s' (try: status)\n", req);
	} else {
		len = (size_t)snprintf(out, sizeof out, "%-12s %8s %9s %8s  %s\n",
		    "WORKER", "PID", "UPTIME", "RESTARTS", "LAST EXIT");
		for (int i = 0; i < n && len < sizeof out; i++) {
			const struct sv_child *c = &children[i];
			char pid[16], up[32];
			if (c->pid > 0) {
				snprintf(pid, sizeof pid, "%d", (int)c->pid);
				format_uptime(up, sizeof up,
				    now - c->started_ms);
			} else {
				snprintf(pid, sizeof pid, "-");
				snprintf(up, sizeof up, "%s",
				    c->given_up ? "given up" : "down");
			}
			len += (size_t)snprintf(out + len, sizeof out - len,
			    "%-12s %8s %9s %8u  %s\n", c->name, pid, up,
			    c->restarts, c->last_exit[0] ? c->last_exit : "-");
		}
	}
	if (len > sizeof out)
		len = sizeof out;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, out + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

/* Serves every pending connection; a client gets 200 ms to send its
 * line, so a stuck one cannot hold the supervisor. */
void
sv_control_serve(int lfd, const struct sv_child *children, int n,
    uint64_t now)
{
	int fd;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		struct ucred cred;
		socklen_t cl = sizeof cred;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 ||
		    (cred.uid != 0 && cred.uid != geteuid())) {
			close(fd);
			continue;
		}
		char req[128];
		size_t got = 0;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		while (got < sizeof req - 1 && poll(&p, 1, 200) == 1) {
			ssize_t r = read(fd, req + got, sizeof req - 1 - got);
			if (r <= 0)
				break;
			got += (size_t)r;
			if (memchr(req, '\n', got) != NULL)
				break;
		}
		req[got] = '\0';
		req[strcspn(req, "\r\n")] = '\0';
		answer(fd, req, children, n, now);
		close(fd);
	}
}

/* netward status [--runtime-dir DIR] */
int
sv_status_main(int argc, char **argv)
{
	char dir[4096];
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (geteuid() == 0)
		snprintf(dir, sizeof dir, "/run/netward");
	else if (xdg != NULL)
		snprintf(dir, sizeof dir, "%s/netward", xdg);
	else
		snprintf(dir, sizeof dir, "/tmp/netward-%u",
		    (unsigned)getuid());
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--runtime-dir") == 0 && i + 1 < argc)
			snprintf(dir, sizeof dir, "%s", argv[++i]);
		else if (strncmp(argv[i], "--runtime-dir=", 14) == 0)
			snprintf(dir, sizeof dir, "%s", argv[i] + 14);
		else {
			fprintf(stderr, "usage: netward status "
			    "[--runtime-dir DIR]\n");
			return 64;
		}
	}
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (control_path(dir, &sa) != 0 || fd < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fprintf(stderr, "netward status: %s/%s: %s (is netward "
		    "running with this --runtime-dir?)\n", dir, CONTROL_NAME,
		    strerror(errno));
		return 1;
	}
	if (write(fd, "status\n", 7) != 7) {
		perror("netward status: write");
		return 1;
	}
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return 0;
}
