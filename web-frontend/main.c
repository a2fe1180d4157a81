/* netward-web: options, start-up and the event loop.
 *
 * Reads top to bottom: parse and check options, make sure a certificate
 * exists, connect to Redis and make the first admin, bind, build the h2o
 * configuration, dial the Lua workers, serve until SIGTERM. */
#include "web.h"

#include "control.h"
#include "log.h"
#include "secrets.h"
#include "sandbox.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_BODY (16u * 1024 * 1024)
#define LIMIT_MAX_BODY (IPC_MAX_MESSAGE / 2) /* leave room in the message */
#define DEFAULT_LUA_TIMEOUT_MS 30000
#define REDIS_START_TRIES 40 /* x 250 ms: Redis may start alongside us */

static volatile sig_atomic_t stopping;
static h2o_globalconf_t config;
static h2o_context_t ctx;
static h2o_accept_ctx_t accept_ctx;
static char listen_host[INET6_ADDRSTRLEN + 2];
static char data_cert[4096], data_key[4096];
static const char *control_url; /* --control-socket: the supervisor's */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: netward-web [options]\n"
	    "  --listen [ADDR:]PORT       HTTPS address (default 127.0.0.1:"
	    WEB_DEFAULT_PORT "; PORT alone = all addresses)\n"
	    "  --data-dir DIR             certificate and key in DIR/web/ "
	    "unless given\n"
	    "  --cert FILE --key FILE     TLS certificate chain and key (PEM)\n"
	    "  --lua-socket unix://PATH   a Lua worker's data socket "
	    "(repeatable)\n"
	    "  --lua-timeout MS           Lua reply deadline (default %d)\n"
	    "  --socket URL               REP socket for the Lua workers' "
	    "user calls\n"
	    "  --secrets-fd N             read the identity key and Redis "
	    "credentials from fd N\n"
	    "  --redis PATH               Redis unix socket\n"
	    "  --httpdocs DIR             static web UI\n"
	    "  --admin-password-file FILE first admin password (first line)\n"
	    "  --disable-login            everyone is admin (loopback only)\n"
	    "  --max-body BYTES           request body limit (default %u)\n"
	    "  -v, --verbose              debug log, one line per request\n",
	    DEFAULT_LUA_TIMEOUT_MS, DEFAULT_MAX_BODY);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
config_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(EXIT_CONFIG_ERROR);
}

/* [ADDR:]PORT, with an IPv6 ADDR in brackets. */
static void
parse_listen(const char *arg, struct web_config *cfg)
{
	const char *port = arg;
	cfg->listen_addr = NULL;
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		if (close == NULL || close[1] != ':' ||
		    (size_t)(close - arg - 1) >= sizeof listen_host)
			config_error("--listen %s: expected [ADDR]:PORT", arg);
		memcpy(listen_host, arg + 1, close - arg - 1);
		listen_host[close - arg - 1] = '\0';
		cfg->listen_addr = listen_host;
		port = close + 2;
	} else if (strchr(arg, ':') != NULL) {
		const char *colon = strrchr(arg, ':');
		if (strchr(arg, ':') != colon ||
		    (size_t)(colon - arg) >= sizeof listen_host)
			config_error("--listen %s: put an IPv6 address in "
			    "brackets", arg);
		memcpy(listen_host, arg, colon - arg);
		listen_host[colon - arg] = '\0';
		cfg->listen_addr = listen_host;
		port = colon + 1;
	}
	char *end;
	long p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || p < 1 || p > 65535)
		config_error("--listen %s: bad port", arg);
	cfg->listen_port = port;
	unsigned char buf[sizeof(struct in6_addr)];
	if (cfg->listen_addr != NULL &&
	    inet_pton(AF_INET, cfg->listen_addr, buf) != 1 &&
	    inet_pton(AF_INET6, cfg->listen_addr, buf) != 1)
		config_error("--listen %s: ADDR must be a numeric address",
		    arg);
}

static bool
listen_is_loopback(const struct web_config *cfg)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (cfg->listen_addr == NULL)
		return false; /* all addresses */
	if (inet_pton(AF_INET, cfg->listen_addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, cfg->listen_addr, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

static size_t
parse_size(const char *opt, const char *arg, size_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno != 0 || *arg == '\0' || *end != '\0' || v == 0 || v > max)
		config_error("%s: out of range", opt);
	return (size_t)v;
}

static void
parse_options(int argc, char **argv, struct web_config *cfg)
{
	static char pw_fd_path[32];
	enum {
		OPT_LISTEN = 256, OPT_DATA_DIR, OPT_CERT, OPT_KEY,
		OPT_LUA_SOCKET, OPT_LUA_TIMEOUT, OPT_REDIS, OPT_HTTPDOCS,
		OPT_ADMIN_PW, OPT_ADMIN_PW_FD, OPT_SOCKET, OPT_SECRETS_FD,
		OPT_DISABLE_LOGIN, OPT_MAX_BODY,
		OPT_CONTROL_SOCKET,
	};
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"data-dir", required_argument, NULL, OPT_DATA_DIR},
		{"cert", required_argument, NULL, OPT_CERT},
		{"key", required_argument, NULL, OPT_KEY},
		{"lua-socket", required_argument, NULL, OPT_LUA_SOCKET},
		{"lua-timeout", required_argument, NULL, OPT_LUA_TIMEOUT},
		{"redis", required_argument, NULL, OPT_REDIS},
		{"httpdocs", required_argument, NULL, OPT_HTTPDOCS},
		{"admin-password-file", required_argument, NULL, OPT_ADMIN_PW},
		{"admin-password-fd", required_argument, NULL, OPT_ADMIN_PW_FD},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"secrets-fd", required_argument, NULL, OPT_SECRETS_FD},
		{"disable-login", no_argument, NULL, OPT_DISABLE_LOGIN},
		{"max-body", required_argument, NULL, OPT_MAX_BODY},
		{"control-socket", required_argument, NULL, OPT_CONTROL_SOCKET},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};

	*cfg = (struct web_config){
		.listen_addr = "127.0.0.1",
		.listen_port = WEB_DEFAULT_PORT,
		.lua_timeout_ms = DEFAULT_LUA_TIMEOUT_MS,
		.max_body = DEFAULT_MAX_BODY,
		.secrets_fd = -1,
	};
	int c;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN: parse_listen(optarg, cfg); break;
		case OPT_DATA_DIR: cfg->data_dir = optarg; break;
		case OPT_CERT: cfg->cert_file = optarg; break;
		case OPT_KEY: cfg->key_file = optarg; break;
		case OPT_LUA_SOCKET:
			if (cfg->n_lua_sockets == WEB_MAX_LUA_SOCKETS)
				config_error("too many --lua-socket (%s)",
				    optarg);
			cfg->lua_sockets[cfg->n_lua_sockets++] = optarg;
			break;
		case OPT_LUA_TIMEOUT:
			cfg->lua_timeout_ms = (int)parse_size("--lua-timeout",
			    optarg, 600000);
			break;
		case OPT_REDIS: cfg->redis_path = optarg; break;
		case OPT_HTTPDOCS: cfg->httpdocs = optarg; break;
		case OPT_ADMIN_PW: cfg->admin_password_file = optarg; break;
		case OPT_ADMIN_PW_FD:
			snprintf(pw_fd_path, sizeof pw_fd_path, "fd:%s", optarg);
			cfg->admin_password_file = pw_fd_path;
			break;
		case OPT_DISABLE_LOGIN: cfg->disable_login = true; break;
		case OPT_SOCKET: cfg->users_socket = optarg; break;
		case OPT_SECRETS_FD:
			cfg->secrets_fd = (int)parse_size("--secrets-fd",
			    optarg, 1023);
			break;
		case OPT_CONTROL_SOCKET: control_url = optarg; break;
		case OPT_MAX_BODY:
			cfg->max_body = parse_size("--max-body", optarg,
			    LIMIT_MAX_BODY);
			break;
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EXIT_CONFIG_ERROR);
		}
	}
	if (optind != argc)
		config_error("unexpected argument %s", argv[optind]);

	if (cfg->disable_login && !listen_is_loopback(cfg))
		config_error("--disable-login needs a loopback --listen "
		    "address");
	if (!cfg->disable_login && cfg->redis_path == NULL)
		config_error("--redis is required");
	if ((cfg->cert_file == NULL) != (cfg->key_file == NULL))
		config_error("give both --cert and --key, or neither");
	if (cfg->cert_file == NULL && cfg->data_dir == NULL)
		config_error("--data-dir or --cert/--key is required");
	if (cfg->httpdocs == NULL)
		log_warn("no --httpdocs: only /lua/ is served");
}

/* The certificate pair of the data dir, made at first start. */
static void
default_cert(struct web_config *cfg)
{
	char dir[sizeof data_cert - 16];
	if (snprintf(dir, sizeof dir, "%s/web", cfg->data_dir) >=
	    (int)sizeof dir)
		config_error("--data-dir %s: too long", cfg->data_dir);
	if ((mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST))
		fatal("mkdir %s", dir);
	snprintf(data_cert, sizeof data_cert, "%s/cert.pem", dir);
	snprintf(data_key, sizeof data_key, "%s/key.pem", dir);
	if (web_tls_ensure_cert(data_cert, data_key) != 0)
		exit(EXIT_CONFIG_ERROR);
	cfg->cert_file = data_cert;
	cfg->key_file = data_key;
}

static int
open_listener(const struct web_config *cfg)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
	}, *res;
	/* PORT alone: one dual-stack IPv6 socket serves both families. */
	const char *host = cfg->listen_addr != NULL ? cfg->listen_addr : "::";
	int rc = getaddrinfo(host, cfg->listen_port, &hints, &res);
	if (rc != 0)
		config_error("--listen: %s", gai_strerror(rc));

	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int on = 1, off = 0;
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
	    (cfg->listen_addr == NULL &&
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) !=
		    0) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, SOMAXCONN) != 0)
		fatal("listen on %s port %s", host, cfg->listen_port);
	freeaddrinfo(res);
	return fd;
}

static void
on_accept(h2o_socket_t *listener, const char *err)
{
	if (err != NULL)
		return;
	h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
	if (sock != NULL)
		h2o_accept(&accept_ctx, sock);
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
connect_redis(const struct web_config *cfg)
{
	if (cfg->redis_path == NULL)
		return;
	for (int i = 0; i < REDIS_START_TRIES; i++) {
		if (web_store_open(cfg->redis_path) == 0)
			return;
		usleep(250 * 1000);
	}
	fatalx("redis at %s is not answering", cfg->redis_path);
}

int
main(int argc, char **argv)
{
	struct web_config cfg;

	log_init("netward-web", LOG_LVL_INFO);
	parse_options(argc, argv, &cfg);

	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (cfg.cert_file == NULL)
		default_cert(&cfg);
	SSL_CTX *ssl = web_tls_context(cfg.cert_file, cfg.key_file);
	if (ssl == NULL)
		exit(EXIT_CONFIG_ERROR);
	/* Before Redis: the secrets hold its password. */
	struct ipc_secrets secrets = {0};
	if (cfg.secrets_fd >= 0 && ipc_secrets_read(cfg.secrets_fd, &secrets)
	    != 0)
		fatalx("--secrets-fd: unreadable or malformed");
	web_store_set_auth(secrets.redis_user, secrets.redis_password);
	connect_redis(&cfg);
	if (web_auth_init(&cfg) != 0 || web_identity_init(
	    secrets.has_identity_key ? secrets.identity_key : NULL) != 0)
		fatalx("cannot set up users");
	ipc_secrets_clear(&secrets);
	if (cfg.users_socket != NULL &&
	    web_users_rpc_listen(cfg.users_socket) != 0)
		exit(EXIT_CONFIG_ERROR);
	/* Listen only once users exist: a connect that succeeds means
	 * ready. */
	int lfd = open_listener(&cfg);

	h2o_config_init(&config);
	config.server_name = h2o_iovec_init(H2O_STRLIT("netward"));
	config.max_request_entity_size = cfg.max_body;
	config.handshake_timeout = 10 * 1000;
	config.http1.req_timeout = 15 * 1000;
	config.http2.idle_timeout = 30 * 1000;
	h2o_hostconf_t *host = h2o_config_register_host(&config,
	    h2o_iovec_init(H2O_STRLIT("default")), 65535);
	web_router_register(host, &cfg);

	h2o_context_init(&ctx, h2o_evloop_create(), &config);
	if (web_forward_init(&ctx, &cfg) != 0)
		exit(EXIT_CONFIG_ERROR);

	if (control_url != NULL && web_control_listen(control_url) != 0)
		exit(EXIT_CONFIG_ERROR);
	/* Everything is open and listening: from here on, the policy's
	 * system calls only (policies/web.c). */
	if (nw_sandbox_enter(&nw_policy_web) != 0)
		fatalx("cannot enter the sandbox");
	web_users_rpc_serve();
	web_control_serve();

	accept_ctx.ctx = &ctx;
	accept_ctx.hosts = config.hosts;
	accept_ctx.ssl_ctx = ssl;
	h2o_socket_t *ls = h2o_evloop_socket_create(ctx.loop, lfd,
	    H2O_SOCKET_FLAG_DONT_READ);
	h2o_socket_read_start(ls, on_accept);
	log_info("listening on https://%s%s%s:%s/",
	    cfg.listen_addr != NULL && strchr(cfg.listen_addr, ':') ? "[" : "",
	    cfg.listen_addr != NULL ? cfg.listen_addr : "*",
	    cfg.listen_addr != NULL && strchr(cfg.listen_addr, ':') ? "]" : "",
	    cfg.listen_port);

	while (!stopping) {
		web_control_tick();
		h2o_evloop_run(ctx.loop, 1000);
	}

	log_info("stopping");
	h2o_socket_read_stop(ls);
	h2o_socket_close(ls);
	web_forward_shutdown();
	web_users_rpc_stop();
	web_control_stop();
	h2o_evloop_run(ctx.loop, 10); /* flush the last responses */
	/* No h2o_context_dispose(): it asserts when a client connection is
	 * still open, and exit releases everything anyway. ctx and config
	 * are static so leak checkers see them as still reachable. */
	web_store_close();
	web_auth_dispose();
	SSL_CTX_free(ssl);
	return 0;
}
