/* The private Redis: a unix socket in the runtime dir, no TCP listener,
 * persistence (RDB snapshots and an append-only file) in the data dir, so
 * users and preferences survive a restart. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REDIS_SERVER "/usr/bin/redis-server"

void
sv_redis_args(struct sv_child *c, const struct sv_options *o,
    const char *socket_path, const char *dir, const char *aclfile)
{
	sv_child_arg(c, REDIS_SERVER);
	sv_child_arg(c, "--port");
	sv_child_arg(c, "0");
	sv_child_arg(c, "--unixsocket");
	sv_child_arg(c, "%s", socket_path);
	sv_child_arg(c, "--unixsocketperm");
	sv_child_arg(c, "700");
	sv_child_arg(c, "--aclfile");
	sv_child_arg(c, "%s", aclfile);
	sv_child_arg(c, "--dir");
	sv_child_arg(c, "%s", dir);
	sv_child_arg(c, "--daemonize");
	sv_child_arg(c, "no");
	sv_child_arg(c, "--appendonly");
	sv_child_arg(c, "yes");
	sv_child_arg(c, "--appendfsync");
	sv_child_arg(c, "everysec");
	sv_child_arg(c, "--save");
	sv_child_arg(c, "300 1");
	sv_child_arg(c, "--logfile");
	sv_child_arg(c, "%s", ""); /* stdout, which we log */
	sv_child_arg(c, "--loglevel");
	sv_child_arg(c, "%s", o->verbose ? "verbose" : "warning");
	(void)o;
}

/* Waits until something accepts connections on the unix socket. */
int
sv_wait_for_socket(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path) >=
	    (int)sizeof sa.sun_path)
		return -1;
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		int rv = connect(fd, (struct sockaddr *)&sa, sizeof sa);
		close(fd);
		if (rv == 0)
			return 0;
		poll(NULL, 0, 20);
	}
	return -1;
}
