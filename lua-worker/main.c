/* netward-lua: runs the ntopng-style Lua scripts for the frontend.
 *
 * Reads top to bottom: options, directories, interfaces, then either one
 * script (--exec, for tests) or the REP socket whose serving threads each
 * own a lua_State. The only method served is "http":
 *
 *   args   [http_method, path, query, body, content_type]
 *   result {status: int, content_type: str, body: str, headers: {str: str}}
 */
#include "lw.h"
#include "log.h"
#include "secrets.h"
#include "sandbox.h"
#ifdef NETWARD_TEST_HOOKS
#include "escape.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lw_config lw_cfg;

#define MAX_EXEC_GET 64

static struct {
	const char *exec_script;
	const char *get[MAX_EXEC_GET];
	int n_get;
	bool show_headers;
	const char *body;
	const char *content_type;
	long repeat; /* --repeat: runs of the script in one VM (profiling) */
} opts;

/* VMs of the serving threads, freed at shutdown. */
static pthread_mutex_t vms_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lw_vm *vms[IPC_SERVER_MAX_THREADS];
static int n_vms;
static __thread struct lw_vm *thread_vm;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: netward-lua --install-dir DIR [--data-dir DIR] [--redis PATH]\n"
	    "         [--interface IFID:NAME:URL ...] [--web-socket URL]\n"
	    "         [--secrets-fd N] [--periodic [--minute-seconds N]]\n"
	    "         [--local-nets CIDR,...] [--dns-server ADDR:PORT]\n"
	    "         (--socket URL [--data-socket unix://PATH] [--id N]\n"
	    "         [--threads N] | --exec SCRIPT [--get k=v ...] [--show-headers]\n"
	    "         [--body TEXT --content-type TYPE] [--repeat N])\n"
	    "         [--max-memory-mb N] [--max-instructions N] [--timeout SEC]\n"
	    "         [--verbose]\n");
}

static long
parse_long(const char *s, const char *what, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < min || v > max) {
		log_error("bad %s '%s'", what, s);
		exit(EXIT_CONFIG_ERROR);
	}
	return v;
}

/* IFID:NAME:URL, split on the first two colons (the URL has its own). */
static void
add_interface(const char *spec)
{
	const char *c1 = strchr(spec, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char idbuf[16];

	if (lw_cfg.n_ifaces >= LW_MAX_IFACES)
		fatalx("too many --interface options");
	struct lw_iface *f = &lw_cfg.ifaces[lw_cfg.n_ifaces];
	if (c2 == NULL || c1 == spec || c2 == c1 + 1 || c2[1] == '\0' ||
	    (size_t)(c1 - spec) >= sizeof idbuf ||
	    (size_t)(c2 - c1 - 1) >= sizeof f->name ||
	    strlen(c2 + 1) >= sizeof f->url) {
		log_error("bad --interface '%s' (want IFID:NAME:URL)", spec);
		exit(EXIT_CONFIG_ERROR);
	}
	memcpy(idbuf, spec, (size_t)(c1 - spec));
	idbuf[c1 - spec] = '\0';
	f->ifid = (int)parse_long(idbuf, "interface id", 0, INT_MAX);
	memcpy(f->name, c1 + 1, (size_t)(c2 - c1 - 1));
	f->name[c2 - c1 - 1] = '\0';
	strcpy(f->url, c2 + 1);
	for (int i = 0; i < lw_cfg.n_ifaces; i++)
		if (lw_cfg.ifaces[i].ifid == f->ifid ||
		    strcmp(lw_cfg.ifaces[i].name, f->name) == 0) {
			log_error("duplicate interface '%s'", spec);
			exit(EXIT_CONFIG_ERROR);
		}
	lw_cfg.n_ifaces++;
}

static void
real_dir(const char *path, char *out, const char *what)
{
	if (realpath(path, out) == NULL) {
		log_error("%s %s: %s", what, path, strerror(errno));
		exit(EXIT_CONFIG_ERROR);
	}
}

static void
parse_options(int argc, char **argv)
{
	enum { O_GET = 256, O_SHOW, O_MEM, O_INSN, O_TIMEOUT, O_BODY, O_CTYPE,
		O_WEB, O_LOCALNETS, O_DNS, O_SECRETS, O_PERIODIC, O_MINUTE,
		O_REPEAT, O_DATA_SOCKET };
	static const struct option longopts[] = {
		{"id", required_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"data-socket", required_argument, NULL, O_DATA_SOCKET},
		{"interface", required_argument, NULL, 'i'},
		{"redis", required_argument, NULL, 'r'},
		{"web-socket", required_argument, NULL, O_WEB},
		{"secrets-fd", required_argument, NULL, O_SECRETS},
		{"periodic", no_argument, NULL, O_PERIODIC},
		{"minute-seconds", required_argument, NULL, O_MINUTE},
		{"local-nets", required_argument, NULL, O_LOCALNETS},
		{"dns-server", required_argument, NULL, O_DNS},
		{"install-dir", required_argument, NULL, 'I'},
		{"data-dir", required_argument, NULL, 'd'},
		{"threads", required_argument, NULL, 't'},
		{"exec", required_argument, NULL, 'e'},
		{"get", required_argument, NULL, O_GET},
		{"show-headers", no_argument, NULL, O_SHOW},
		{"body", required_argument, NULL, O_BODY},
		{"content-type", required_argument, NULL, O_CTYPE},
		{"repeat", required_argument, NULL, O_REPEAT},
		{"max-memory-mb", required_argument, NULL, O_MEM},
		{"max-instructions", required_argument, NULL, O_INSN},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *install = NULL, *data = NULL;
	char tmp[PATH_MAX];
	int c;

	lw_cfg.threads = 2;
	lw_cfg.mem_limit = LW_DEFAULT_MEM_LIMIT;
	lw_cfg.insn_limit = LW_DEFAULT_INSN_LIMIT;
	lw_cfg.timeout_sec = LW_DEFAULT_TIMEOUT_SEC;
	lw_cfg.minute_sec = 60;
	while ((c = getopt_long(argc, argv, "n:s:i:r:I:d:t:e:vh", longopts,
		    NULL)) != -1) {
		switch (c) {
		case 'n':
			lw_cfg.id = (int)parse_long(optarg, "id", 0, 1000);
			break;
		case 's':
			lw_cfg.socket_url = optarg;
			break;
		case O_DATA_SOCKET:
			lw_cfg.data_socket_url = optarg;
			break;
		case 'i':
			add_interface(optarg);
			break;
		case 'r':
			lw_cfg.redis_path = optarg;
			break;
		case 'I':
			install = optarg;
			break;
		case 'd':
			data = optarg;
			break;
		case 't':
			lw_cfg.threads = (int)parse_long(optarg, "threads", 1,
			    IPC_SERVER_MAX_THREADS);
			break;
		case 'e':
			opts.exec_script = optarg;
			break;
		case O_GET:
			if (opts.n_get >= MAX_EXEC_GET ||
			    strchr(optarg, '=') == NULL) {
				log_error("bad --get '%s' (want k=v)", optarg);
				exit(EXIT_CONFIG_ERROR);
			}
			opts.get[opts.n_get++] = optarg;
			break;
		case O_BODY:
			opts.body = optarg;
			break;
		case O_SECRETS: {
			struct ipc_secrets sec;
			if (ipc_secrets_read((int)parse_long(optarg,
			    "secrets-fd", 3, 1023), &sec) != 0) {
				log_error("--secrets-fd: unreadable or "
				    "malformed");
				exit(EXIT_CONFIG_ERROR);
			}
			snprintf(lw_cfg.redis_user, sizeof lw_cfg.redis_user,
			    "%s", sec.redis_user);
			snprintf(lw_cfg.redis_password,
			    sizeof lw_cfg.redis_password, "%s",
			    sec.redis_password);
			lw_cfg.has_identity_key = sec.has_identity_key;
			memcpy(lw_cfg.identity_key, sec.identity_key,
			    sizeof lw_cfg.identity_key);
			ipc_secrets_clear(&sec);
			break;
		}
		case O_PERIODIC:
			lw_cfg.periodic = true;
			break;
		case O_MINUTE: /* tests only */
			lw_cfg.minute_sec = (int)parse_long(optarg,
			    "minute-seconds", 1, 60);
			break;
		case O_WEB:
			lw_cfg.web_url = optarg;
			break;
		case O_LOCALNETS:
			lw_set_local_networks(optarg);
			break;
		case O_DNS:
			lw_set_dns_server(optarg);
			break;
		case O_CTYPE:
			opts.content_type = optarg;
			break;
		case O_SHOW:
			opts.show_headers = true;
			break;
		case O_REPEAT:
			opts.repeat = parse_long(optarg, "repeat", 1, 10000000);
			break;
		case O_MEM:
			lw_cfg.mem_limit = (size_t)parse_long(optarg,
			    "max-memory-mb", 4, 16384) * 1024 * 1024;
			break;
		case O_INSN:
			lw_cfg.insn_limit = (uint64_t)parse_long(optarg,
			    "max-instructions", 10000, LONG_MAX);
			break;
		case O_TIMEOUT:
			lw_cfg.timeout_sec = (int)parse_long(optarg, "timeout",
			    1, 3600);
			break;
		case 'v':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EXIT_CONFIG_ERROR);
		}
	}
	if (optind != argc || install == NULL ||
	    (opts.exec_script == NULL && lw_cfg.socket_url == NULL)) {
		usage(stderr);
		exit(EXIT_CONFIG_ERROR);
	}
	/* The identity key lets its holder act as anyone: only the
	 * periodic worker, which serves no user's request, keeps it. */
	if (!lw_cfg.periodic && lw_cfg.has_identity_key) {
		memset(lw_cfg.identity_key, 0, sizeof lw_cfg.identity_key);
		lw_cfg.has_identity_key = false;
	}
	real_dir(install, lw_cfg.install_dir, "install dir");
	if (snprintf(tmp, sizeof tmp, "%s/scripts/lua", lw_cfg.install_dir) >=
	    (int)sizeof tmp)
		fatalx("install dir path too long");
	real_dir(tmp, lw_cfg.scripts_dir, "scripts dir");
	if (snprintf(tmp, sizeof tmp, "%s/modules", lw_cfg.scripts_dir) >=
	    (int)sizeof tmp)
		fatalx("install dir path too long");
	real_dir(tmp, lw_cfg.modules_dir, "modules dir");
	if (data != NULL)
		real_dir(data, lw_cfg.data_dir, "data dir");
	else
		strcpy(lw_cfg.data_dir, lw_cfg.install_dir);
}

/* ---- serving ------------------------------------------------------------ */

static struct lw_vm *
vm_of_this_thread(void)
{
	if (thread_vm != NULL)
		return thread_vm;
	thread_vm = lw_vm_new();
	if (thread_vm == NULL)
		return NULL;
	pthread_mutex_lock(&vms_lock);
	if (n_vms < IPC_SERVER_MAX_THREADS)
		vms[n_vms++] = thread_vm;
	pthread_mutex_unlock(&vms_lock);
	return thread_vm;
}

/* A string argument, nil, or absent; binary allowed for the body. */
static bool
opt_bytes(const struct ipc_request *rq, uint32_t i, const char **s,
    size_t *n)
{
	*s = NULL;
	*n = 0;
	if (i >= rq->nargs || ipc_obj_is_nil(&rq->args[i]))
		return true;
	if (rq->args[i].type == MSGPACK_OBJECT_BIN) {
		*s = rq->args[i].via.bin.ptr;
		*n = rq->args[i].via.bin.size;
		return true;
	}
	return ipc_obj_str(&rq->args[i], s, n);
}

static void
pack_response(struct ipc_writer *w, uint64_t id, const struct lw_response *r)
{
	msgpack_packer *pk = &w->pk;

	ipc_reply_begin(w, id);
	msgpack_pack_map(pk, 4);
	ipc_pack_kv_i64(pk, "status", r->status);
	ipc_pack_kv_str(pk, "content_type", r->content_type);
	ipc_pack_key(pk, "body");
	ipc_pack_strn(pk, r->body.data ? r->body.data : "", r->body.len);
	ipc_pack_key(pk, "headers");
	msgpack_pack_map(pk, (uint32_t)r->n_headers);
	for (int i = 0; i < r->n_headers; i++)
		ipc_pack_kv_str(pk, r->header_name[i], r->header_value[i]);
}

static void
handle_request(const struct ipc_request *rq, struct ipc_writer *w, void *arg)
{
	char method[16], path[1024], ctype[128];
	const char *ct;
	size_t ctlen;
	struct lw_http_request hr = {0};
	struct lw_response resp;

#ifdef NETWARD_TEST_HOOKS
	if (nw_test_escape(rq, w)) /* tests/privsep only */
		return;
#endif
	if (strcmp(rq->method, "ping") == 0) { /* the supervisor's health check */
		ipc_reply_begin(w, rq->id);
		ipc_pack_str(&w->pk, "pong");
		return;
	}
	if (strcmp(rq->method, "http") != 0) {
		ipc_reply_error(w, rq->id, IPC_ERR_UNKNOWN_METHOD,
		    "unknown method %s", rq->method);
		return;
	}
	if (rq->nargs < 2 || rq->nargs > 5 ||
	    !ipc_obj_strcpy(&rq->args[0], method, sizeof method) ||
	    !ipc_obj_strcpy(&rq->args[1], path, sizeof path) ||
	    !opt_bytes(rq, 2, &hr.query, &hr.query_len) ||
	    !opt_bytes(rq, 3, &hr.body, &hr.body_len) ||
	    !opt_bytes(rq, 4, &ct, &ctlen)) {
		ipc_reply_error(w, rq->id, IPC_ERR_BAD_REQUEST,
		    "http: want [method, path, query, body, content_type]");
		return;
	}
	ctype[0] = '\0';
	if (ct != NULL && ctlen < sizeof ctype && memchr(ct, 0, ctlen) == NULL) {
		memcpy(ctype, ct, ctlen);
		ctype[ctlen] = '\0';
	}
	struct lw_vm *vm = vm_of_this_thread();
	if (vm == NULL) {
		ipc_reply_error(w, rq->id, IPC_ERR_INTERNAL,
		    "http: cannot create a Lua state");
		return;
	}
	hr.method = method;
	hr.path = path;
	hr.content_type = ctype;
	hr.ctx = &rq->ctx;
	lw_response_init(&resp);
	lw_http_run(vm, &hr, NULL, &resp, NULL, 0);
	log_debug("%s %s -> %d (%zu bytes)", method, path, resp.status,
	    resp.body.len);
	pack_response(w, rq->id, &resp);
	lw_response_free(&resp);
}

static int
serve(void)
{
	struct ipc_server srv, data_srv;
	sigset_t set;
	int sig;

	/* Only this thread takes the stop signals; the server threads
	 * created below inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	int rv = ipc_server_listen(&srv, lw_cfg.socket_url, lw_cfg.threads,
	    handle_request, NULL);
	if (rv != 0) {
		log_error("cannot listen on %s: %s", lw_cfg.socket_url,
		    nng_strerror(rv));
		return EXIT_CONFIG_ERROR;
	}
	if (lw_cfg.data_socket_url != NULL &&
	    (rv = ipc_server_listen(&data_srv, lw_cfg.data_socket_url,
	    lw_cfg.threads, handle_request, NULL)) != 0) {
		log_error("cannot listen on %s: %s", lw_cfg.data_socket_url,
		    nng_strerror(rv));
		return EXIT_CONFIG_ERROR;
	}
	/* sandbox: from here on only policies/lua.c's system calls */
	if (nw_sandbox_enter(&nw_policy_lua) != 0)
		fatalx("cannot enter the sandbox");
	ipc_server_serve(&srv);
	if (lw_cfg.data_socket_url != NULL)
		ipc_server_serve(&data_srv);
	log_info("lua worker %d serving %s with %d threads, %d interfaces",
	    lw_cfg.id, lw_cfg.socket_url, srv.nthreads, lw_cfg.n_ifaces);
	if (lw_cfg.periodic && lw_periodic_start() != 0)
		fatalx("cannot start the periodic scripts");
	sigwait(&set, &sig);
	lw_shutting_down = 1;
	log_info("signal %d: stopping", sig);
	if (lw_cfg.periodic)
		lw_periodic_stop();
	if (lw_cfg.data_socket_url != NULL)
		ipc_server_stop(&data_srv);
	ipc_server_stop(&srv);
	for (int i = 0; i < n_vms; i++)
		lw_vm_free(vms[i]);
	return 0;
}

/* ---- --exec ------------------------------------------------------------- */

static bool
append_encoded(struct lw_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
		if (!lw_buf_append(b, plain ? (const char *)&s[i] : enc,
			plain ? 1 : 3))
			return false;
	}
	return true;
}

static int
exec_script(void)
{
	char script[PATH_MAX], err[2048];
	struct lw_buf query = {.limit = 1024 * 1024};
	struct ipc_ctx ctx = {0};
	struct lw_http_request hr = {0};
	struct lw_response resp;

	if (realpath(opts.exec_script, script) == NULL) {
		fprintf(stderr, "netward-lua: %s: %s\n", opts.exec_script,
		    strerror(errno));
		return 2;
	}
	for (int i = 0; i < opts.n_get; i++) {
		const char *eq = strchr(opts.get[i], '=');
		if ((i > 0 && !lw_buf_append(&query, "&", 1)) ||
		    !append_encoded(&query, opts.get[i],
			(size_t)(eq - opts.get[i])) ||
		    !lw_buf_append(&query, "=", 1) ||
		    !append_encoded(&query, eq + 1, strlen(eq + 1)))
			fatalx("--get arguments too long");
	}
	strcpy(ctx.user, "admin");
	strcpy(ctx.group, "administrator");
	strcpy(ctx.remote_addr, "127.0.0.1");
	hr.method = opts.body ? "POST" : "GET";
	hr.path = opts.exec_script;
	hr.body = opts.body;
	hr.body_len = opts.body ? strlen(opts.body) : 0;
	hr.query = query.data;
	hr.query_len = query.len;
	hr.content_type = opts.content_type ? opts.content_type : "";
	hr.ctx = &ctx;

	struct lw_vm *vm = lw_vm_new();
	if (vm == NULL)
		fatalx("cannot create a Lua state");
	/* --repeat N: N-1 runs whose output is dropped before the one shown,
	 * all in one VM as a serving thread runs them (for profiling) */
	for (long i = 1; i < opts.repeat; i++) {
		lw_response_init(&resp);
		lw_http_run(vm, &hr, script, &resp, err, sizeof err);
		lw_response_free(&resp);
	}
	lw_response_init(&resp);
	lw_http_run(vm, &hr, script, &resp, err, sizeof err);
	if (opts.show_headers) {
		printf("Status: %d\r\nContent-Type: %s\r\n", resp.status,
		    resp.content_type);
		for (int i = 0; i < resp.n_headers; i++)
			printf("%s: %s\r\n", resp.header_name[i],
			    resp.header_value[i]);
		printf("\r\n");
	}
	if (err[0] == '\0' && resp.body.len > 0)
		fwrite(resp.body.data, 1, resp.body.len, stdout);
	fflush(stdout);
	lw_response_free(&resp);
	lw_buf_free(&query);
	lw_vm_free(vm);
	if (err[0] != '\0') {
		fprintf(stderr, "netward-lua: %s\n", err);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	log_init("netward-lua", LOG_LVL_INFO);
	signal(SIGPIPE, SIG_IGN);
	parse_options(argc, argv);
	lw_cfg.start_time = time(NULL);
	/* ntop.getDirs' bindir: once, not a /proc lookup per request */
	ssize_t n = readlink("/proc/self/exe", lw_cfg.bin_dir,
	    sizeof lw_cfg.bin_dir - 1);
	lw_cfg.bin_dir[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(lw_cfg.bin_dir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		lw_cfg.bin_dir[0] = '\0';
	lw_ifaces_open();
	lw_web_open();

	int rc = opts.exec_script ? exec_script() : serve();

	lw_web_close();
	lw_ifaces_close();
	lw_stats_close();
	return rc;
}
