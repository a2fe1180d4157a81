/* netward: set up directories, start Redis and the workers in dependency
 * order, keep them alive, stop them all on SIGTERM. */
#define _GNU_SOURCE
#include "supervisor.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN (3 + SV_MAX_INTERFACES + SV_MAX_LUA_WORKERS)
#define MAX_POLL (MAX_CHILDREN + 2)
#define STOP_GRACE_MS 5000

static struct sv_options opts;
static struct sv_identity service;
static struct sv_child children[MAX_CHILDREN];
static int n_children;
static char redis_socket[4200];
static int control_fd = -1;	/* control.c: `netward status` */
static int saved_argc;		/* for SIGHUP: the configuration again */
static char **saved_argv;

/* SIGHUP: the workers restarted one by one, each once the previous one
 * answers its ping again (reload_next() in the main loop). */
#define RELOAD_STEP_MS 30000
static struct {
	bool active;
	int pos;		/* index into children[] */
	pid_t old_pid;		/* 0: not yet stopped */
	uint64_t step_started_ms;
} reload;

/* Creates dir if needed and gives it to the service user, mode 0700. */
static void
make_private_dir(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		fatal("mkdir %s", path);
	if (service.change_user &&
	    chown(path, service.uid, service.gid) != 0)
		fatal("chown %s", path);
	if (chmod(path, 0700) != 0)
		fatal("chmod %s", path);
}

static void
make_dirs(void)
{
	char path[4300];

	umask(077);
	/* The top is traversable so each worker reaches its own subdir. */
	if (mkdir(opts.data_dir, 0755) == 0)
		chmod(opts.data_dir, 0755);
	else if (errno != EEXIST)
		fatal("mkdir %s", opts.data_dir);
	make_private_dir(opts.runtime_dir);
	const char *subdirs[] = {"redis", "web", "lua"};
	for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
		snprintf(path, sizeof path, "%s/%s", opts.data_dir,
		    subdirs[i]);
		make_private_dir(path);
	}
	/* each capture worker's own store (alerts) */
	for (int i = 0; i < opts.n_interfaces; i++) {
		snprintf(path, sizeof path, "%s/capture-%d", opts.data_dir, i);
		make_private_dir(path);
	}
}

/* --disable-login is only for a listener nobody else can reach. */
static bool
listen_is_loopback(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	if (colon == NULL)
		return false; /* a bare port listens on every address */
	char host[128];
	size_t n = (size_t)(colon - listen);
	if (n >= sizeof host)
		return false;
	memcpy(host, listen, n);
	host[n] = '\0';
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (strcmp(host, "localhost") == 0)
		return true;
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

static struct sv_child *
new_child(enum sv_role role, int index, const char *name)
{
	struct sv_child *c = &children[n_children++];
	sv_child_init(c, role, index, name);
	return c;
}

static bool
is_regular_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void
plan_children(void)
{
	char name[32];

	if (opts.redis == NULL) {
		struct sv_child *r = new_child(ROLE_REDIS, 0, "redis");
		char dir[4200];
		snprintf(redis_socket, sizeof redis_socket, "%s/redis.sock",
		    opts.runtime_dir);
		snprintf(dir, sizeof dir, "%s/redis", opts.data_dir);
		char acl[4300];
		snprintf(acl, sizeof acl, "%s/users.acl", dir);
		sv_secrets_write_acl(acl, &service);
		sv_redis_args(r, &opts, redis_socket, dir, acl);
		r->policy = &nw_policy_redis;
		snprintf(r->socket_path, sizeof r->socket_path, "%s",
		    redis_socket);
	} else {
		snprintf(redis_socket, sizeof redis_socket, "%s", opts.redis);
	}

	for (int i = 0; i < opts.n_interfaces; i++) {
		const char *ifname = opts.interfaces[i];
		if (strchr(ifname, ':') != NULL)
			fatalx("-i %s: interface names with ':' are not "
			    "supported", ifname);
		snprintf(name, sizeof name, "capture-%d", i);
		struct sv_child *c = new_child(ROLE_CAPTURE, i, name);
		c->policy = &nw_policy_capture;
		snprintf(c->socket_path, sizeof c->socket_path,
		    "%s/capture-%d.sock", opts.runtime_dir, i);
		snprintf(c->rpc_url, sizeof c->rpc_url,
		    "ipc://%s/capture-%d.sock", opts.runtime_dir, i);
		sv_child_arg(c, "%s/netward-capture", opts.bin_dir);
		sv_child_arg(c, "--ifid=%d", i);
		sv_child_arg(c, "--ifname=%s", ifname);
		sv_child_arg(c, "--socket=ipc://%s/capture-%d.sock",
		    opts.runtime_dir, i);
		/* the Lua workers' calls: the unix:// transport (ipc/) */
		snprintf(c->socket_path2, sizeof c->socket_path2,
		    "%s/capture-%d.data", opts.runtime_dir, i);
		sv_child_arg(c, "--data-socket=unix://%s", c->socket_path2);
		if (is_regular_file(ifname)) {
			c->pass_path = ifname;
			sv_child_arg(c, "--pcap-fd=3");
			sv_child_arg(c, "--progress");
		} else {
			c->live_capture = true;
			sv_child_arg(c, "--live=%s", ifname);
		}
		if (opts.local_networks != NULL)
			sv_child_arg(c, "--local-nets=%s",
			    opts.local_networks);
		if (opts.geoip_asn != NULL)
			sv_child_arg(c, "--geoip-asn=%s", opts.geoip_asn);
		if (opts.geoip_city != NULL)
			sv_child_arg(c, "--geoip-city=%s", opts.geoip_city);
		sv_child_arg(c, "--data-dir=%s/capture-%d", opts.data_dir, i);
	}

	/* the Lua workers, then one more that runs the periodic scripts
	 * (scripts/callbacks/); its socket only answers the health check */
	for (int i = 0; i <= opts.lua_workers; i++) {
		bool periodic = i == opts.lua_workers;
		if (periodic)
			snprintf(name, sizeof name, "periodic");
		else
			snprintf(name, sizeof name, "lua-%d", i);
		struct sv_child *c = new_child(ROLE_LUA, i, name);
		c->policy = &nw_policy_lua;
		snprintf(c->socket_path, sizeof c->socket_path,
		    "%s/%s.sock", opts.runtime_dir, name);
		snprintf(c->rpc_url, sizeof c->rpc_url, "ipc://%s/%s.sock",
		    opts.runtime_dir, name);
		sv_child_arg(c, "%s/netward-lua", opts.bin_dir);
		sv_child_arg(c, "--id=%d", i);
		sv_child_arg(c, "--socket=ipc://%s/%s.sock",
		    opts.runtime_dir, name);
		if (!periodic) { /* the frontend's requests */
			snprintf(c->socket_path2, sizeof c->socket_path2,
			    "%s/%s.data", opts.runtime_dir, name);
			sv_child_arg(c, "--data-socket=unix://%s",
			    c->socket_path2);
		}
		if (periodic) {
			sv_child_arg(c, "--periodic");
			if (opts.minute_seconds > 0)
				sv_child_arg(c, "--minute-seconds=%d",
				    opts.minute_seconds);
		}
		for (int k = 0; k < opts.n_interfaces; k++)
			sv_child_arg(c, "--interface=%d:%s:unix://%s/"
			    "capture-%d.data", k, opts.interfaces[k],
			    opts.runtime_dir, k);
		sv_child_arg(c, "--redis=%s", redis_socket);
		sv_child_arg(c, "--web-socket=ipc://%s/web.sock",
		    opts.runtime_dir);
		if (opts.local_networks != NULL)
			sv_child_arg(c, "--local-nets=%s",
			    opts.local_networks);
		sv_child_arg(c, "--install-dir=%s", opts.install_dir);
		sv_child_arg(c, "--data-dir=%s/lua", opts.data_dir);
	}

	struct sv_child *w = new_child(ROLE_WEB, 0, "web");
	w->policy = &nw_policy_web;
	snprintf(w->socket_path, sizeof w->socket_path,
	    "%s/web-control.sock", opts.runtime_dir);
	snprintf(w->rpc_url, sizeof w->rpc_url, "ipc://%s/web-control.sock",
	    opts.runtime_dir);
	snprintf(w->socket_path2, sizeof w->socket_path2, "%s/web.sock",
	    opts.runtime_dir);
	sv_child_arg(w, "%s/netward-web", opts.bin_dir);
	sv_child_arg(w, "--control-socket=%s", w->rpc_url);
	sv_child_arg(w, "--listen=%s", opts.http_listen);
	sv_child_arg(w, "--data-dir=%s", opts.data_dir);
	for (int i = 0; i < opts.lua_workers; i++)
		sv_child_arg(w, "--lua-socket=unix://%s/lua-%d.data",
		    opts.runtime_dir, i);
	sv_child_arg(w, "--redis=%s", redis_socket);
	sv_child_arg(w, "--socket=ipc://%s/web.sock", opts.runtime_dir);
	sv_child_arg(w, "--httpdocs=%s/httpdocs", opts.install_dir);
	if (opts.disable_login)
		sv_child_arg(w, "--disable-login");
	if (opts.admin_password_file != NULL) {
		w->pass_path = opts.admin_password_file;
		sv_child_arg(w, "--admin-password-fd=3");
	}
	if (opts.verbose)
		for (int i = 0; i < n_children; i++)
			if (children[i].role != ROLE_REDIS)
				sv_child_arg(&children[i], "--verbose");
	for (int i = 0; i < n_children; i++)
		sv_secrets_give(&children[i], opts.redis == NULL);
}

static struct sv_child *
child_by_pid(pid_t pid)
{
	for (int i = 0; i < n_children; i++)
		if (children[i].pid == pid)
			return &children[i];
	return NULL;
}

static void
reap(bool stopping)
{
	int ws;
	pid_t pid;
	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		struct sv_child *c = child_by_pid(pid);
		if (c == NULL)
			continue;
		if (stopping) {
			sv_child_drain_log(c, true);
			c->pid = -1;
			continue;
		}
		sv_child_exited(c, ws, sv_now_ms());
	}
}

static int
build_pollset(struct pollfd *pfd, int sigfd)
{
	int n = 0;
	pfd[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
	if (control_fd >= 0)
		pfd[n++] = (struct pollfd){.fd = control_fd, .events = POLLIN};
	for (int i = 0; i < n_children; i++)
		if (children[i].log_fd >= 0)
			pfd[n++] = (struct pollfd){.fd = children[i].log_fd,
			    .events = POLLIN};
	return n;
}

static void
drain_all_logs(void)
{
	for (int i = 0; i < n_children; i++)
		sv_child_drain_log(&children[i], false);
}

static int
running_children(void)
{
	int n = 0;
	for (int i = 0; i < n_children; i++)
		n += children[i].pid > 0;
	return n;
}

/* Stops the frontend first and Redis last, so nothing writes into a
 * Redis that is already gone. */
static void
stop_all(int sigfd)
{
	struct pollfd pfd[MAX_POLL];

	log_info("stopping %d workers", running_children());
	for (int i = n_children - 1; i >= 0; i--)
		if (children[i].pid > 0)
			kill(children[i].pid, SIGTERM);
	uint64_t deadline = sv_now_ms() + STOP_GRACE_MS;
	while (running_children() > 0 && sv_now_ms() < deadline) {
		int n = build_pollset(pfd, sigfd);
		poll(pfd, (nfds_t)n, 50);
		struct signalfd_siginfo si;
		while (read(sigfd, &si, sizeof si) == sizeof si)
			;
		drain_all_logs();
		reap(true);
	}
	for (int i = 0; i < n_children; i++) {
		if (children[i].pid > 0) {
			log_warn("%s: did not stop in %d ms, killing",
			    children[i].name, STOP_GRACE_MS);
			kill(children[i].pid, SIGKILL);
			waitpid(children[i].pid, NULL, 0);
			children[i].pid = -1;
		}
	}
	/* The sockets: every worker should have removed its own. */
	char path[4400];
	for (int i = 0; i < opts.n_interfaces; i++) {
		snprintf(path, sizeof path, "%s/capture-%d.sock",
		    opts.runtime_dir, i);
		unlink(path);
	}
	for (int i = 0; i < opts.lua_workers; i++) {
		snprintf(path, sizeof path, "%s/lua-%d.sock",
		    opts.runtime_dir, i);
		unlink(path);
	}
	/* what each child listened on: the sandbox lets none remove it */
	for (int i = 0; i < n_children; i++) {
		if (children[i].socket_path[0] != '\0')
			unlink(children[i].socket_path);
		if (children[i].socket_path2[0] != '\0')
			unlink(children[i].socket_path2);
	}
	if (opts.redis == NULL)
		unlink(redis_socket);
	if (control_fd >= 0) {
		char cpath[4400];
		snprintf(cpath, sizeof cpath, "%s/control.sock",
		    opts.runtime_dir);
		unlink(cpath);
		close(control_fd);
		control_fd = -1;
	}
	for (int i = 0; i < n_children; i++)
		sv_health_close(&children[i]);
	if (rmdir(opts.runtime_dir) != 0 && errno != ENOENT)
		log_warn("runtime dir %s: %s", opts.runtime_dir,
		    strerror(errno));
	log_info("stopped");
}

static void
restart_due(uint64_t now)
{
	for (int i = 0; i < n_children; i++) {
		struct sv_child *c = &children[i];
		if (c->pid < 0 && !c->given_up && c->restart_at_ms != 0 &&
		    c->restart_at_ms <= now)
			sv_child_spawn(c, &service);
	}
}

static int
next_timeout_ms(uint64_t now)
{
	int64_t t = 1000;
	for (int i = 0; i < n_children; i++) {
		const struct sv_child *c = &children[i];
		if (c->pid < 0 && !c->given_up && c->restart_at_ms != 0) {
			int64_t d = (int64_t)c->restart_at_ms - (int64_t)now;
			if (d < t)
				t = d < 0 ? 0 : d;
		}
	}
	return (int)t;
}

static void
start_all(void)
{
	for (int i = 0; i < n_children; i++) {
		struct sv_child *c = &children[i];
		if (sv_child_spawn(c, &service) != 0 && c->role != ROLE_REDIS)
			continue;
		if (c->role == ROLE_REDIS &&
		    sv_wait_for_socket(redis_socket, 10000) != 0) {
			sv_child_drain_log(c, true);
			fatalx("redis did not start on %s", redis_socket);
		}
	}
}

/* What a reload cannot change without stopping everything. */
static const char *
structural_change(const struct sv_options *a, const struct sv_options *b)
{
	if (a->n_interfaces != b->n_interfaces)
		return "the interfaces";
	for (int i = 0; i < a->n_interfaces; i++)
		if (strcmp(a->interfaces[i], b->interfaces[i]) != 0)
			return "the interfaces";
	if (a->lua_workers != b->lua_workers)
		return "--lua-workers";
	if (strcmp(a->data_dir, b->data_dir) != 0)
		return "the data dir";
	if (strcmp(a->runtime_dir, b->runtime_dir) != 0)
		return "the runtime dir";
	if (strcmp(a->http_listen, b->http_listen) != 0)
		return "-w";
	if (strcmp(a->user, b->user) != 0)
		return "the service user";
	if ((a->redis == NULL) != (b->redis == NULL) ||
	    (a->redis != NULL && strcmp(a->redis, b->redis) != 0))
		return "-r";
	return NULL;
}

/* Re-reads the configuration, rebuilds every worker's arguments (the
 * running ones keep their state) and starts the rolling restart. */
static void
reload_begin(void)
{
	static struct sv_options fresh;
	static struct sv_child saved[MAX_CHILDREN];

	if (reload.active) {
		log_warn("SIGHUP: a reload is already in progress");
		return;
	}
	if (sv_options_parse(&fresh, saved_argc, saved_argv) != 0) {
		log_error("SIGHUP: the configuration does not parse; keeping "
		    "the running one");
		return;
	}
	const char *what = structural_change(&opts, &fresh);
	if (what != NULL) {
		log_error("SIGHUP: %s changed: that needs a restart of "
		    "netward; keeping the running configuration", what);
		return;
	}
	opts = fresh;
	log_set_level(opts.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	int n = n_children;
	memcpy(saved, children, sizeof(struct sv_child) * (size_t)n);
	n_children = 0;
	plan_children();
	for (int i = 0; i < n; i++) {
		struct sv_child *c = &children[i], *o = &saved[i];
		for (int k = 0; k < o->argc; k++)
			free(o->argv[k]);
		c->pid = o->pid;
		c->log_fd = o->log_fd;
		memcpy(c->log_buf, o->log_buf, o->log_len);
		c->log_len = o->log_len;
		c->started_ms = o->started_ms;
		c->restart_at_ms = o->restart_at_ms;
		c->restarts = o->restarts;
		c->quick_failures = o->quick_failures;
		c->given_up = false; /* a new configuration may work */
		memcpy(c->last_exit, o->last_exit, sizeof c->last_exit);
		c->health = o->health;
		atomic_store(&c->last_pong_ms, atomic_load(&o->last_pong_ms));
		atomic_store(&c->ping_in_flight,
		    atomic_load(&o->ping_in_flight));
		c->last_ping_ms = o->last_ping_ms;
		c->hung = o->hung;
		if (c->pid < 0 && c->restart_at_ms == 0)
			c->restart_at_ms = sv_now_ms();
	}
	log_info("SIGHUP: configuration re-read; restarting the workers one "
	    "by one");
	reload = (typeof(reload)){.active = true, .pos = 0};
}

/* One step of the rolling restart: stop the current worker, wait until
 * its successor answers a ping, go on with the next. Redis keeps
 * running: the workers' state lives in it. */
static void
reload_next(uint64_t now)
{
	while (reload.active) {
		if (reload.pos >= n_children) {
			reload.active = false;
			log_info("SIGHUP: reload done");
			return;
		}
		struct sv_child *c = &children[reload.pos];
		if (c->role == ROLE_REDIS || c->given_up) {
			reload.pos++;
			continue;
		}
		if (reload.old_pid == 0) {
			if (c->pid <= 0) { /* down: it restarts on its own */
				reload.pos++;
				continue;
			}
			reload.old_pid = c->pid;
			reload.step_started_ms = now;
			c->reloading = true;
			log_info("%s: restarting for the reload", c->name);
			kill(c->pid, SIGTERM);
			return;
		}
		bool up = c->pid > 0 && c->pid != reload.old_pid &&
		    (c->rpc_url[0] == '\0' ||
		    atomic_load(&c->last_pong_ms) >= c->started_ms);
		if (!up && now < reload.step_started_ms + RELOAD_STEP_MS)
			return;
		if (!up)
			log_warn("%s: not back within %d s; the reload goes on",
			    c->name, RELOAD_STEP_MS / 1000);
		reload.old_pid = 0;
		reload.pos++;
	}
}

int
main(int argc, char **argv)
{
	log_init("netward", LOG_LVL_INFO);
	if (argc >= 2 && strcmp(argv[1], "status") == 0)
		return sv_status_main(argc, argv);
	saved_argc = argc;
	saved_argv = argv;
	if (sv_options_parse(&opts, argc, argv) != 0)
		return EXIT_CONFIG_ERROR;
	if (opts.verbose)
		log_set_level(LOG_LVL_DEBUG);
	if (opts.disable_login && !listen_is_loopback(opts.http_listen))
		fatalx("--disable-login is accepted only with a loopback "
		    "listener (-w 127.0.0.1:PORT), not '%s'",
		    opts.http_listen);
	if (sv_resolve_user(opts.user, &service) != 0)
		fatalx("service user '%s' does not exist or is root",
		    opts.user);

	make_dirs();
	sv_secrets_init();
	plan_children();
	sv_confine_init(&opts);
	control_fd = sv_control_open(opts.runtime_dir);

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0)
		fatal("signalfd");

	log_info("netward %s: %d interface(s), %d Lua worker(s), data %s, "
	    "runtime %s, workers as %s", NETWARD_VERSION, opts.n_interfaces,
	    opts.lua_workers, opts.data_dir, opts.runtime_dir,
	    service.change_user ? opts.user : "the invoking user");
	start_all();

	struct pollfd pfd[MAX_POLL];
	for (;;) {
		int n = build_pollset(pfd, sigfd);
		int rv = poll(pfd, (nfds_t)n, next_timeout_ms(sv_now_ms()));
		if (rv < 0 && errno != EINTR)
			fatal("poll");
		drain_all_logs();

		struct signalfd_siginfo si;
		bool stop = false;
		while (read(sigfd, &si, sizeof si) == sizeof si) {
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
				stop = true;
			else if (si.ssi_signo == SIGHUP)
				reload_begin();
		}
		reap(false);
		if (stop) {
			stop_all(sigfd);
			return 0;
		}
		uint64_t now = sv_now_ms();
		if (control_fd >= 0)
			sv_control_serve(control_fd, children, n_children, now);
		for (int i = 0; i < n_children; i++)
			sv_health_check(&children[i], now);
		restart_due(now);
		reload_next(now);
	}
}
