/* netward, the supervisor: reads the options, prepares the directories,
 * starts every worker by execve with a cleared environment and only its
 * role's privileges, restarts the ones that die, and stops them all. It
 * parses no traffic and no HTTP. */
#ifndef NETWARD_SUPERVISOR_H
#define NETWARD_SUPERVISOR_H

#include "policy.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SV_MAX_INTERFACES 16
#define SV_MAX_LUA_WORKERS 16
#define SV_MAX_ARGS 64

struct sv_options {
	const char *interfaces[SV_MAX_INTERFACES]; /* -i: pcap file or device */
	int n_interfaces;
	char data_dir[4096];
	char runtime_dir[4096];
	char install_dir[4096]; /* holds scripts/ and httpdocs/ */
	char bin_dir[4096];	/* holds the worker executables */
	char http_listen[128];	/* [addr:]port, as ntopng -w */
	const char *user;	/* service user, -U */
	const char *redis;	/* -r: an existing Redis (unix socket path) */
	const char *local_networks; /* -m */
	const char *admin_password_file;
	char *geoip_asn, *geoip_city; /* MaxMind .mmdb files (absolute) */
	bool disable_login;
	int lua_workers;
	int minute_seconds;	/* tests only: length of the periodic "minute" */
	int verbose;
};

/* options.c */
int sv_options_parse(struct sv_options *o, int argc, char **argv);
void sv_options_usage(void);
/* The configuration file's parser: splits text (NUL-terminated, changed
 * in place; the arguments point into it) into at most room arguments,
 * one or two per line. Returns the count, or -1 when they do not fit. */
int sv_config_split(char *text, char **args, int room);

/* A worker the supervisor keeps alive. */
enum sv_role { ROLE_REDIS, ROLE_CAPTURE, ROLE_LUA, ROLE_WEB };

struct sv_child {
	char name[32];
	enum sv_role role;
	int index;		/* interface id or Lua worker number */
	char *argv[SV_MAX_ARGS];
	int argc;
	const char *pass_path;	/* opened here, passed as fd 3 (pcap file, admin password) */
	char secrets[512];	/* "name=value" lines passed through a pipe */
	size_t secrets_len;
	bool live_capture;	/* keeps CAP_NET_RAW until its handle is open */
	const struct nw_policy *policy; /* policies/: what it may do */
	char socket_path[4200];	/* its listening socket, "" if none */
	char socket_path2[4200]; /* a second one: the data socket of a
				  * capture or Lua worker, the frontend's
				  * users RPC */
	char rpc_url[4300];	/* where the health check pings it */
	struct sv_health *health; /* health.c's client, NULL until used */
	_Atomic uint64_t last_pong_ms; /* set on an NNG thread */
	atomic_bool ping_in_flight;
	uint64_t last_ping_ms;
	bool hung;		/* killed by the health check */
	bool reloading;		/* stopped by a SIGHUP reload: restart now */
	pid_t pid;
	int log_fd;		/* read end of the child's stdout+stderr */
	char log_buf[4096];
	size_t log_len;
	uint64_t started_ms;
	uint64_t restart_at_ms;	/* 0 = not scheduled */
	unsigned restarts;
	unsigned quick_failures; /* consecutive deaths soon after start */
	bool given_up;
	char last_exit[128];
};

/* privdrop.c: what a role keeps, applied between fork and execve. */
struct sv_identity {
	bool change_user;
	uid_t uid;
	gid_t gid;
};
int sv_resolve_user(const char *name, struct sv_identity *id);
/* Runs in the forked child; on failure writes why to stderr and returns
 * -1 (the child then exits with EXIT_CONFIG_ERROR). */
int sv_drop_privileges(const struct sv_identity *id,
    const struct nw_policy *policy, bool live_capture, void *caps);
/* In the parent, before fork: the capability state the child sets
 * (a cap_t), so the child does not allocate. */
void *sv_caps_prepare(const struct nw_policy *policy, bool live);
void sv_caps_free(void *caps);

/* confine.c: landlock, rlimits and the pre-exec seccomp filter of a
 * child's policy (the worker installs its final filter itself). */
void sv_confine_init(const struct sv_options *o);
/* In the parent: a landlock ruleset for c; -1 the kernel has none
 * (logged once, the child starts without); -2 an error (logged). */
int sv_confine_prepare(const struct sv_child *c);
/* In the child, after sv_drop_privileges: -1 with why on stderr. */
int sv_confine_child(const struct sv_child *c, int ruleset_fd);

/* children.c */
void sv_child_init(struct sv_child *c, enum sv_role role, int index,
    const char *name);
void sv_child_arg(struct sv_child *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Adds a "name=value" line to what the child reads from --secrets-fd. */
void sv_child_secret(struct sv_child *c, const char *name,
    const char *value);
/* Appends --secrets-fd=N when the child has secrets; call after
 * pass_path is set, once argv is complete. */
void sv_child_secrets_arg(struct sv_child *c);
int sv_child_spawn(struct sv_child *c, const struct sv_identity *id);
/* Reads what the child wrote and logs it line by line with its name. */
void sv_child_drain_log(struct sv_child *c, bool flush_partial);
/* Records how the child ended and schedules its restart. */
void sv_child_exited(struct sv_child *c, int wstatus, uint64_t now_ms);
const char *sv_role_name(enum sv_role role);

/* health.c: pings a running child, kills it when hung. */
void sv_health_check(struct sv_child *c, uint64_t now_ms);
void sv_health_close(struct sv_child *c);

/* control.c: the control socket (RUNTIME/control.sock) and its client,
 * `netward status`. */
int sv_control_open(const char *runtime_dir);
void sv_control_serve(int lfd, const struct sv_child *children, int n,
    uint64_t now_ms);
int sv_status_main(int argc, char **argv);

/* secrets.c: the identity key and the Redis passwords of this run */
void sv_secrets_init(void);
void sv_secrets_write_acl(const char *path, const struct sv_identity *owner);
/* Adds the child's secrets and its --secrets-fd argument. */
void sv_secrets_give(struct sv_child *c, bool private_redis);

/* redis.c */
void sv_redis_args(struct sv_child *c, const struct sv_options *o,
    const char *socket_path, const char *dir, const char *aclfile);
int sv_wait_for_socket(const char *path, int timeout_ms);

uint64_t sv_now_ms(void);

#endif
