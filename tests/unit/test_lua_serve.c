/* netward-lua served over IPC: the "http" method end to end, with this
 * process as a fake capture worker for interface 0, so the generic
 * marshaller (Lua -> msgpack -> worker -> msgpack -> Lua), the identity in
 * ctx, IPC_ERR_NOT_FOUND -> nil and the 404 mapping are all exercised. */
#include "envelope.h"
#include "rpc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			failures++;                                        \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
		}                                                          \
	} while (0)

static void
pack_flow(msgpack_packer *pk, const char *cli, int64_t bytes, int64_t key)
{
	msgpack_pack_map(pk, 8);
	ipc_pack_kv_str(pk, "cli.ip", cli);
	ipc_pack_kv_i64(pk, "cli.port", 40000);
	ipc_pack_kv_str(pk, "srv.ip", "10.0.0.1");
	ipc_pack_kv_i64(pk, "srv.port", 443);
	ipc_pack_kv_str(pk, "proto.l4", "TCP");
	ipc_pack_kv_str(pk, "proto.ndpi", "TLS");
	ipc_pack_kv_i64(pk, "bytes", bytes);
	ipc_pack_kv_i64(pk, "ntopng.key", key);
}

/* The fake capture worker of interface 0. */
static void
capture_handler(const struct ipc_request *rq, struct ipc_writer *w, void *arg)
{
	msgpack_packer *pk = &w->pk;
	const char *s;
	size_t n;

	if (strcmp(rq->ctx.user, "alice") != 0) {
		ipc_reply_error(w, rq->id, IPC_ERR_DENIED, "no identity");
		return;
	}
	if (strcmp(rq->method, "getStats") == 0) {
		ipc_reply_begin(w, rq->id);
		msgpack_pack_map(pk, 4);
		ipc_pack_kv_i64(pk, "packets", 1234);
		ipc_pack_kv_i64(pk, "bytes", 99999);
		ipc_pack_kv_i64(pk, "numFlows", 2);
		ipc_pack_key(pk, "ingestion");
		msgpack_pack_map(pk, 1);
		ipc_pack_kv_bool(pk, "complete", true);
	} else if (strcmp(rq->method, "getNumHosts") == 0 ||
	    strcmp(rq->method, "getNumLocalHosts") == 0) {
		ipc_reply_begin(w, rq->id);
		msgpack_pack_int64(pk, 5);
	} else if (strcmp(rq->method, "getHostInfo") == 0) {
		int64_t vlan = -1;
		if (rq->nargs != 2 || !ipc_obj_str(&rq->args[0], &s, &n) ||
		    !ipc_obj_i64(&rq->args[1], &vlan)) {
			ipc_reply_error(w, rq->id, IPC_ERR_BAD_REQUEST, "args");
		} else if (n == 8 && memcmp(s, "10.0.0.1", 8) == 0) {
			ipc_reply_begin(w, rq->id);
			msgpack_pack_map(pk, 2);
			ipc_pack_kv_str(pk, "ip", "10.0.0.1");
			ipc_pack_kv_i64(pk, "vlan", vlan);
		} else {
			ipc_reply_error(w, rq->id, IPC_ERR_NOT_FOUND, "no host");
		}
	} else if (strcmp(rq->method, "getFlowsInfo") == 0) {
		/* the params table arrives as a map */
		const msgpack_object *pp = rq->nargs == 1
		    ? ipc_map_get(&rq->args[0], "perPage") : NULL;
		int64_t per_page = 0;
		if (pp == NULL || !ipc_obj_i64(pp, &per_page) || per_page != 1) {
			ipc_reply_error(w, rq->id, IPC_ERR_BAD_REQUEST,
			    "perPage missing");
			return;
		}
		/* The worker sorts and pages: the script must pass the
		 * sort through and show the one page as it is. */
		const msgpack_object *sc = ipc_map_get(&rq->args[0],
		    "sortColumn");
		const msgpack_object *so = ipc_map_get(&rq->args[0],
		    "sortOrder");
		char col[32], order[8];
		if (sc == NULL || !ipc_obj_strcpy(sc, col, sizeof col) ||
		    strcmp(col, "bytes") != 0 || so == NULL ||
		    !ipc_obj_strcpy(so, order, sizeof order) ||
		    strcmp(order, "desc") != 0) {
			ipc_reply_error(w, rq->id, IPC_ERR_BAD_REQUEST,
			    "sort not passed through");
			return;
		}
		ipc_reply_begin(w, rq->id);
		msgpack_pack_map(pk, 2);
		ipc_pack_kv_i64(pk, "numFlows", 2);
		ipc_pack_key(pk, "flows");
		msgpack_pack_array(pk, 1);
		pack_flow(pk, "10.0.0.3", 500, 8);
	} else {
		ipc_reply_error(w, rq->id, IPC_ERR_UNKNOWN_METHOD, "%s",
		    rq->method);
	}
}

struct answer {
	int64_t status;
	char body[8192];
	char ctype[128];
};

static int
http(struct ipc_client *c, const char *path, const char *query,
    struct answer *a)
{
	struct ipc_writer w;
	struct ipc_reply rp;
	struct ipc_ctx ctx = {0};
	char err[256];

	strcpy(ctx.user, "alice");
	strcpy(ctx.group, "administrator");
	ctx.request_id = 42;
	memset(a, 0, sizeof *a);
	a->status = -1;
	ipc_writer_init(&w);
	uint64_t id = ipc_client_next_id(c);
	ipc_request_begin(&w, id, "http", 5);
	ipc_pack_str(&w.pk, "GET");
	ipc_pack_str(&w.pk, path);
	ipc_pack_str(&w.pk, query);
	ipc_pack_str(&w.pk, "");
	msgpack_pack_nil(&w.pk);
	ipc_request_end(&w, &ctx);
	int st = ipc_call(c, &w, id, &rp, err, sizeof err);
	if (st == IPC_OK && rp.status == IPC_OK) {
		const msgpack_object *o;
		if ((o = ipc_map_get(rp.result, "status")))
			ipc_obj_i64(o, &a->status);
		if ((o = ipc_map_get(rp.result, "body")))
			ipc_obj_strcpy(o, a->body, sizeof a->body);
		if ((o = ipc_map_get(rp.result, "content_type")))
			ipc_obj_strcpy(o, a->ctype, sizeof a->ctype);
	} else {
		fprintf(stderr, "call %s: %s %s\n", path, err, rp.error);
	}
	ipc_reply_free(&rp);
	ipc_writer_free(&w);
	return st;
}

int
main(void)
{
	const char *bin = getenv("NETWARD_LUA");
	const char *src = getenv("NETWARD_SOURCE_DIR");
	char dir[] = "/tmp/netward-lua-serve-XXXXXX";
	char lua_url[256], cap_url[256], iface[300];
	struct answer a;

	if (bin == NULL || src == NULL) {
		fprintf(stderr, "NETWARD_LUA and NETWARD_SOURCE_DIR needed\n");
		return 77;
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(lua_url, sizeof lua_url, "ipc://%s/lua.sock", dir);
	snprintf(cap_url, sizeof cap_url, "ipc://%s/cap.sock", dir);
	snprintf(iface, sizeof iface, "0:eth0:%s", cap_url);

	pid_t pid = fork(); /* before the first nng call */
	if (pid == 0) {
		execl(bin, bin, "--install-dir", src, "--socket", lua_url,
		    "--interface", iface, "--threads", "2", (char *)NULL);
		_exit(127);
	}

	struct ipc_server cap;
	struct ipc_client c;
	if (ipc_server_start(&cap, cap_url, 2, capture_handler, NULL) != 0 ||
	    ipc_client_open(&c, 10000) != 0 || ipc_client_dial(&c, lua_url))
		return 1;

	http(&c, "/lua/rest/v2/get/interface/data.lua", "ifid=0", &a);
	CHECK(a.status == 200, "data.lua status %lld: %s",
	    (long long)a.status, a.body);
	CHECK(strcmp(a.ctype, "application/json") == 0, "ctype %s", a.ctype);
	CHECK(strstr(a.body, "\"packets\":1234") != NULL, "%s", a.body);
	CHECK(strstr(a.body, "\"ifname\":\"eth0\"") != NULL, "%s", a.body);
	CHECK(strstr(a.body, "\"ifid\":\"0\"") != NULL, "%s", a.body);
	CHECK(strstr(a.body, "\"num_flows\":2") != NULL, "%s", a.body);
	CHECK(strstr(a.body, "\"num_hosts\":5") != NULL, "%s", a.body);
	CHECK(strstr(a.body, "\"ingestion\":{\"complete\":true}") != NULL,
	    "%s", a.body);

	http(&c, "/lua/rest/v2/get/host/data.lua", "ifid=0&host=10.0.0.1&vlan=3",
	    &a);
	CHECK(a.status == 200 && strstr(a.body, "\"vlan\":3") != NULL,
	    "host/data: %s", a.body);
	http(&c, "/lua/rest/v2/get/host/data.lua", "ifid=0&host=10.9.9.9", &a);
	CHECK(a.status == 404 && strstr(a.body, "\"rc\":-1") != NULL,
	    "unknown host: %lld %s", (long long)a.status, a.body);

	http(&c, "/lua/rest/v2/get/flow/active.lua",
	    "ifid=0&perPage=1&sortColumn=bytes&sortOrder=desc", &a);
	CHECK(a.status == 200 && strstr(a.body, "\"totalRows\":2") != NULL &&
		strstr(a.body, "\"key\":\"8\"") != NULL &&
		strstr(a.body, "\"key\":\"7\"") == NULL,
	    "flow/active: %s", a.body);

	static const char *const refused[] = {
		"/lua/../../etc/passwd.lua", "/lua/modules/dkjson.lua",
		"/lua/nothere.lua", "/lua/rest/v2/get/../../../modules/x.lua",
		"/etc/passwd", "/lua//rest/v2/get/host/data.lua",
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		http(&c, refused[i], "", &a);
		CHECK(a.status == 404, "%s gave %lld", refused[i],
		    (long long)a.status);
	}

	ipc_client_close(&c);
	ipc_server_stop(&cap);
	kill(pid, SIGTERM);
	int wst;
	waitpid(pid, &wst, 0);
	CHECK(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "worker exit %d", wst);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	if (failures == 0)
		printf("test_lua_serve: OK\n");
	return failures ? 1 : 0;
}
