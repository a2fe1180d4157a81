/* The attempts of "__test_escape" (escape.h). Each names one thing a
 * compromised worker would try; what stops it is the worker's policy. */
#define _GNU_SOURCE
#include "escape.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int
tcp(const char *portstr, bool do_bind)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	    .sin_port = htons((uint16_t)atoi(portstr)),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int rv = do_bind ? bind(fd, (struct sockaddr *)&sa, sizeof sa) :
	    connect(fd, (struct sockaddr *)&sa, sizeof sa);
	int e = errno;
	close(fd);
	errno = e;
	return rv;
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int rv = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	int e = errno;
	close(fd);
	errno = e;
	return rv;
}

static int
attempt(const char *what, const char *arg)
{
	int fd;

	if (strcmp(what, "open-read") == 0) {
		if ((fd = open(arg, O_RDONLY | O_CLOEXEC)) < 0)
			return -1;
		close(fd);
		return 0;
	}
	if (strcmp(what, "open-write") == 0) {
		fd = open(arg, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		close(fd);
		unlink(arg);
		return 0;
	}
	if (strcmp(what, "exec") == 0) {
		char *const argv[] = {(char *)arg, "-c", "true", NULL};
		char *const envp[] = {NULL};
		execve(arg, argv, envp);
		return -1; /* returned: refused */
	}
	if (strcmp(what, "tcp-connect") == 0)
		return tcp(arg, false);
	if (strcmp(what, "tcp-bind") == 0)
		return tcp(arg, true);
	if (strcmp(what, "udp-socket") == 0) {
		if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		close(fd);
		return 0;
	}
	if (strcmp(what, "unix-connect") == 0)
		return unix_connect(arg);
	if (strcmp(what, "ptrace") == 0) {
		pid_t pid = (pid_t)atoi(arg);
		if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) != 0)
			return -1;
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		return 0;
	}
	if (strcmp(what, "signal") == 0)
		return kill((pid_t)atoi(arg), SIGCONT);
	if (strcmp(what, "fork") == 0) {
		pid_t pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
		return 0;
	}
	/* librrd's chmod (policies/lua.c answers it without running it) */
	if (strcmp(what, "chmod-0644") == 0)
		return chmod(arg, 0644);
	if (strcmp(what, "chmod-0666") == 0)
		return chmod(arg, 0666);
	if (strcmp(what, "mmap-exec") == 0) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -1;
		munmap(p, 4096);
		return 0;
	}
	errno = EINVAL;
	return -2;
}

bool
nw_test_escape(const struct ipc_request *rq, struct ipc_writer *w)
{
	char what[32], arg[512] = "";

	if (strcmp(rq->method, "__test_escape") != 0)
		return false;
	if (rq->nargs < 1 || rq->nargs > 2 ||
	    !ipc_obj_strcpy(&rq->args[0], what, sizeof what) ||
	    (rq->nargs == 2 &&
	    !ipc_obj_strcpy(&rq->args[1], arg, sizeof arg))) {
		ipc_reply_error(w, rq->id, IPC_ERR_BAD_REQUEST,
		    "__test_escape: want [attempt, argument]");
		return true;
	}
	fprintf(stderr, "test hook: trying %s %s\n", what, arg);
	errno = 0;
	int rv = attempt(what, arg);
	int e = errno;
	if (rv == -2) {
		ipc_reply_error(w, rq->id, IPC_ERR_BAD_REQUEST,
		    "__test_escape: unknown attempt '%s'", what);
		return true;
	}
	char out[160];
	if (rv == 0)
		snprintf(out, sizeof out, "allowed");
	else
		snprintf(out, sizeof out, "refused: %s (errno %d)",
		    strerror(e), e);
	ipc_reply_begin(w, rq->id);
	ipc_pack_str(&w->pk, out);
	return true;
}
