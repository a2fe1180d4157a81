#define _GNU_SOURCE
/* Envelope round trips, strict decoding of hostile bytes, and a real
 * REQ/REP exchange over an ipc:// socket. */
#include "envelope.h"
#include "log.h"
#include "rpc.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
test_request_round_trip(void)
{
	struct ipc_writer w;
	struct ipc_ctx ctx = {0};
	struct ipc_request rq;
	char err[256];

	snprintf(ctx.user, sizeof ctx.user, "alice");
	snprintf(ctx.group, sizeof ctx.group, "unprivileged");
	snprintf(ctx.allowed_nets, sizeof ctx.allowed_nets, "10.0.0.0/8");
	ctx.request_id = 77;

	ipc_writer_init(&w);
	ipc_request_begin(&w, 42, "getHostInfo", 2);
	ipc_pack_str(&w.pk, "10.1.2.3");
	msgpack_pack_int(&w.pk, 5);
	ipc_request_end(&w, &ctx);

	CHECK(ipc_request_decode(&rq, w.sb.data, w.sb.size, err,
	    sizeof err) == IPC_OK);
	CHECK(rq.id == 42);
	CHECK(strcmp(rq.method, "getHostInfo") == 0);
	CHECK(rq.nargs == 2);
	char host[32];
	int64_t vlan = 0;
	CHECK(ipc_obj_strcpy(&rq.args[0], host, sizeof host) &&
	    strcmp(host, "10.1.2.3") == 0);
	CHECK(ipc_obj_i64(&rq.args[1], &vlan) && vlan == 5);
	CHECK(strcmp(rq.ctx.user, "alice") == 0);
	CHECK(strcmp(rq.ctx.allowed_nets, "10.0.0.0/8") == 0);
	CHECK(rq.ctx.request_id == 77);
	CHECK(!ipc_ctx_is_admin(&rq.ctx));
	ipc_request_free(&rq);

	/* Every strict prefix of a valid message is refused. */
	int refused = 0;
	for (size_t n = 0; n < w.sb.size; n++) {
		struct ipc_request t;
		if (ipc_request_decode(&t, w.sb.data, n, err, sizeof err) !=
		    IPC_OK)
			refused++;
		ipc_request_free(&t);
	}
	CHECK(refused == (int)w.sb.size);

	/* A trailing byte is an error, not ignored. */
	char *longer = malloc(w.sb.size + 1);
	memcpy(longer, w.sb.data, w.sb.size);
	longer[w.sb.size] = 0;
	CHECK(ipc_request_decode(&rq, longer, w.sb.size + 1, err,
	    sizeof err) == IPC_ERR_BAD_REQUEST);
	CHECK(strstr(err, "trailing") != NULL);
	ipc_request_free(&rq);
	free(longer);
	ipc_writer_free(&w);
}

static void
test_hostile_bytes(void)
{
	char err[256];
	struct ipc_request rq;

	/* array32 claiming 2^32-1 items in five bytes */
	const unsigned char huge[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
	CHECK(ipc_check(huge, sizeof huge, err, sizeof err) < 0);
	CHECK(ipc_request_decode(&rq, huge, sizeof huge, err, sizeof err) ==
	    IPC_ERR_BAD_REQUEST);
	ipc_request_free(&rq);

	/* str32 longer than the message */
	const unsigned char longstr[] = {0xdb, 0x00, 0x10, 0x00, 0x00, 'a'};
	CHECK(ipc_check(longstr, sizeof longstr, err, sizeof err) < 0);

	/* nesting deeper than IPC_MAX_DEPTH */
	unsigned char deep[IPC_MAX_DEPTH + 8];
	memset(deep, 0x91, sizeof deep - 1); /* fixarray of 1 */
	deep[sizeof deep - 1] = 0xc0;
	CHECK(ipc_check(deep, sizeof deep, err, sizeof err) < 0);
	CHECK(strstr(err, "deep") != NULL);

	/* nesting at the limit is fine */
	unsigned char ok[IPC_MAX_DEPTH + 1];
	memset(ok, 0x91, IPC_MAX_DEPTH);
	ok[IPC_MAX_DEPTH] = 0xc0;
	CHECK(ipc_check(ok, sizeof ok, err, sizeof err) == 0);

	/* ext types are refused */
	const unsigned char ext[] = {0xd4, 0x01, 0x02};
	CHECK(ipc_check(ext, sizeof ext, err, sizeof err) < 0);

	/* wrong version is its own status */
	struct ipc_writer w;
	ipc_writer_init(&w);
	msgpack_pack_array(&w.pk, 5);
	msgpack_pack_uint32(&w.pk, IPC_VERSION + 1);
	msgpack_pack_uint64(&w.pk, 9);
	ipc_pack_str(&w.pk, "ping");
	msgpack_pack_array(&w.pk, 0);
	msgpack_pack_map(&w.pk, 0);
	CHECK(ipc_request_decode(&rq, w.sb.data, w.sb.size, err, sizeof err) ==
	    IPC_ERR_VERSION);
	CHECK(rq.id == 9);
	ipc_request_free(&rq);

	/* a method name that is not a string */
	ipc_writer_reset(&w);
	msgpack_pack_array(&w.pk, 5);
	msgpack_pack_uint32(&w.pk, IPC_VERSION);
	msgpack_pack_uint64(&w.pk, 1);
	msgpack_pack_int(&w.pk, 3);
	msgpack_pack_array(&w.pk, 0);
	msgpack_pack_map(&w.pk, 0);
	CHECK(ipc_request_decode(&rq, w.sb.data, w.sb.size, err, sizeof err) ==
	    IPC_ERR_BAD_REQUEST);
	ipc_request_free(&rq);

	/* too many arguments */
	ipc_writer_reset(&w);
	ipc_request_begin(&w, 1, "x", IPC_MAX_ARGS + 1);
	for (int i = 0; i < IPC_MAX_ARGS + 1; i++)
		msgpack_pack_nil(&w.pk);
	ipc_request_end(&w, NULL);
	CHECK(ipc_request_decode(&rq, w.sb.data, w.sb.size, err, sizeof err) ==
	    IPC_ERR_BAD_REQUEST);
	ipc_request_free(&rq);

	/* a ctx string with an embedded NUL could truncate a user name */
	ipc_writer_reset(&w);
	ipc_request_begin(&w, 1, "x", 0);
	msgpack_pack_map(&w.pk, 1);
	ipc_pack_str(&w.pk, "user");
	ipc_pack_strn(&w.pk, "admin\0evil", 10);
	CHECK(ipc_request_decode(&rq, w.sb.data, w.sb.size, err, sizeof err) ==
	    IPC_ERR_BAD_REQUEST);
	ipc_request_free(&rq);
	ipc_writer_free(&w);
}

static void
test_reply_round_trip(void)
{
	struct ipc_writer w;
	struct ipc_reply rp;
	char err[256];

	ipc_writer_init(&w);
	ipc_reply_begin(&w, 5);
	msgpack_pack_map(&w.pk, 1);
	ipc_pack_kv_u64(&w.pk, "packets", 1234);
	CHECK(ipc_reply_decode(&rp, w.sb.data, w.sb.size, err, sizeof err) ==
	    IPC_OK);
	CHECK(rp.status == IPC_OK && rp.id == 5);
	int64_t v = 0;
	CHECK(ipc_obj_i64(ipc_map_get(rp.result, "packets"), &v) && v == 1234);
	CHECK(ipc_map_get(rp.result, "bytes") == NULL);
	ipc_reply_free(&rp);

	ipc_reply_error(&w, 6, IPC_ERR_NOT_FOUND, "host %s", "1.2.3.4");
	CHECK(ipc_reply_decode(&rp, w.sb.data, w.sb.size, err, sizeof err) ==
	    IPC_OK);
	CHECK(rp.status == IPC_ERR_NOT_FOUND);
	CHECK(strcmp(rp.error, "host 1.2.3.4") == 0);
	ipc_reply_free(&rp);

	/* An empty error string (found by the fuzzer: msgpack-c gives it a
	 * NULL pointer) decodes to "". */
	ipc_reply_error(&w, 7, IPC_ERR_INTERNAL, "%s", "");
	CHECK(ipc_reply_decode(&rp, w.sb.data, w.sb.size, err, sizeof err) ==
	    IPC_OK);
	CHECK(rp.status == IPC_ERR_INTERNAL && rp.error[0] == '\0');
	ipc_reply_free(&rp);
	ipc_writer_free(&w);
}

static void
echo_handler(const struct ipc_request *rq, struct ipc_writer *reply,
    void *arg)
{
	if (strcmp(rq->method, "echo") != 0) {
		ipc_reply_error(reply, rq->id, IPC_ERR_UNKNOWN_METHOD,
		    "unknown method %s", rq->method);
		return;
	}
	ipc_reply_begin(reply, rq->id);
	ipc_pack_str(&reply->pk, rq->ctx.user);
}

static void
test_server_client(void)
{
	char dir[] = "/tmp/netward-test-ipc-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char url[128];
	snprintf(url, sizeof url, "ipc://%s/s.sock", dir);

	struct ipc_server srv;
	CHECK(ipc_server_start(&srv, url, 2, echo_handler, NULL) == 0);

	struct ipc_client cl;
	CHECK(ipc_client_open(&cl, 2000) == 0);
	CHECK(ipc_client_dial(&cl, url) == 0);

	struct ipc_writer w;
	struct ipc_reply rp;
	struct ipc_ctx ctx = {0};
	char err[256];
	snprintf(ctx.user, sizeof ctx.user, "bob");
	ipc_writer_init(&w);

	uint64_t id = ipc_client_next_id(&cl);
	ipc_request_begin(&w, id, "echo", 0);
	ipc_request_end(&w, &ctx);
	CHECK(ipc_call(&cl, &w, id, &rp, err, sizeof err) == IPC_OK);
	CHECK(rp.status == IPC_OK && rp.result != NULL &&
	    rp.result->type == MSGPACK_OBJECT_STR &&
	    rp.result->via.str.size == 3 &&
	    memcmp(rp.result->via.str.ptr, "bob", 3) == 0);
	ipc_reply_free(&rp);

	ipc_writer_reset(&w);
	id = ipc_client_next_id(&cl);
	ipc_request_begin(&w, id, "nosuch", 0);
	ipc_request_end(&w, &ctx);
	CHECK(ipc_call(&cl, &w, id, &rp, err, sizeof err) == IPC_OK);
	CHECK(rp.status == IPC_ERR_UNKNOWN_METHOD);
	ipc_reply_free(&rp);

	/* Garbage on the wire gets an error reply and the server lives on. */
	ipc_writer_reset(&w);
	msgpack_pack_str(&w.pk, 3);
	msgpack_pack_str_body(&w.pk, "bad", 3);
	CHECK(ipc_call(&cl, &w, 0, &rp, err, sizeof err) == IPC_OK);
	CHECK(rp.status == IPC_ERR_BAD_REQUEST);
	ipc_reply_free(&rp);
	CHECK(srv.n_malformed == 1);

	ipc_writer_reset(&w);
	id = ipc_client_next_id(&cl);
	ipc_request_begin(&w, id, "echo", 0);
	ipc_request_end(&w, &ctx);
	CHECK(ipc_call(&cl, &w, id, &rp, err, sizeof err) == IPC_OK);
	CHECK(rp.status == IPC_OK);
	ipc_reply_free(&rp);

	ipc_writer_free(&w);
	ipc_client_close(&cl);
	ipc_server_stop(&srv);

	/* With the server gone, a call times out as unavailable. */
	CHECK(ipc_client_open(&cl, 200) == 0);
	CHECK(ipc_client_dial(&cl, url) == 0);
	ipc_writer_init(&w);
	ipc_request_begin(&w, 1, "echo", 0);
	ipc_request_end(&w, NULL);
	CHECK(ipc_call(&cl, &w, 1, &rp, err, sizeof err) ==
	    IPC_ERR_UNAVAILABLE);
	ipc_reply_free(&rp);
	ipc_writer_free(&w);
	ipc_client_close(&cl);

	char path[160];
	snprintf(path, sizeof path, "%s/s.sock", dir);
	unlink(path);
	rmdir(dir);
}

static int
echo_call(const char *url, int timeout_ms)
{
	struct ipc_client cl;
	struct ipc_writer w;
	struct ipc_reply rp;
	char err[256];

	CHECK(ipc_client_open(&cl, timeout_ms) == 0);
	CHECK(ipc_client_dial(&cl, url) == 0);
	ipc_writer_init(&w);
	ipc_request_begin(&w, 1, "echo", 0);
	ipc_request_end(&w, NULL);
	int st = ipc_call(&cl, &w, 1, &rp, err, sizeof err);
	if (st == IPC_OK)
		st = rp.status;
	ipc_reply_free(&rp);
	ipc_writer_free(&w);
	ipc_client_close(&cl);
	return st;
}

struct gate_call {
	const char *url;
	int status;
	volatile int done;
};

static void *
gate_call_thread(void *arg)
{
	struct gate_call *gc = arg;
	gc->status = echo_call(gc->url, 5000);
	__atomic_store_n(&gc->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A listening server answers nothing before ipc_server_serve() (the
 * workers enter their sandbox in between): a request waits, and is
 * answered once served. One never served stops. */
static void
test_server_gate(void)
{
	char dir[] = "/tmp/netward-test-ipc-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char url[128];
	snprintf(url, sizeof url, "ipc://%s/g.sock", dir);

	struct ipc_server srv;
	CHECK(ipc_server_listen(&srv, url, 2, echo_handler, NULL) == 0);
	struct gate_call gc = {.url = url, .status = -1};
	pthread_t th;
	CHECK(pthread_create(&th, NULL, gate_call_thread, &gc) == 0);
	usleep(300 * 1000);
	CHECK(!__atomic_load_n(&gc.done, __ATOMIC_ACQUIRE));
	CHECK(srv.n_requests == 0);
	ipc_server_serve(&srv);
	pthread_join(th, NULL);
	CHECK(gc.status == IPC_OK);
	CHECK(srv.n_requests == 1);
	ipc_server_stop(&srv);

	CHECK(ipc_server_listen(&srv, url, 2, echo_handler, NULL) == 0);
	ipc_server_stop(&srv);
	CHECK(srv.n_requests == 0);

	char path[160];
	snprintf(path, sizeof path, "%s/g.sock", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	log_init("test-ipc", LOG_LVL_ERROR);
	test_request_round_trip();
	test_hostile_bytes();
	test_reply_round_trip();
	test_server_client();
	test_server_gate();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
