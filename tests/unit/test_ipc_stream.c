#define _GNU_SOURCE
/* The unix:// transport (ipc/stream.c) through rpc.h: blocking and
 * asynchronous calls, two peers, large replies, hostile frames, a peer
 * that restarts, timeouts, and a client closed with calls in flight. */
#include "envelope.h"
#include "log.h"
#include "rpc.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BIG_REPLY (3u * 1024 * 1024)

static char dir[] = "/tmp/netward-test-stream-XXXXXX";

/* "echo" answers the caller's user name, "sleep" waits args[0] ms first,
 * "big" answers BIG_REPLY bytes of 'x', "whoami" the server's tag. */
static void
handler(const struct ipc_request *rq, struct ipc_writer *reply, void *arg)
{
	if (strcmp(rq->method, "sleep") == 0) {
		int64_t ms = 0;
		if (rq->nargs == 1)
			ipc_obj_i64(&rq->args[0], &ms);
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (strcmp(rq->method, "big") == 0) {
		char *s = malloc(BIG_REPLY);
		memset(s, 'x', BIG_REPLY);
		ipc_reply_begin(reply, rq->id);
		ipc_pack_strn(&reply->pk, s, BIG_REPLY);
		free(s);
		return;
	}
	if (strcmp(rq->method, "whoami") == 0) {
		ipc_reply_begin(reply, rq->id);
		ipc_pack_str(&reply->pk, arg);
		return;
	}
	ipc_reply_begin(reply, rq->id);
	ipc_pack_str(&reply->pk, rq->ctx.user);
}

static void
url_of(char *url, size_t n, const char *name)
{
	snprintf(url, n, "unix://%s/%s", dir, name);
}

static int
call(struct ipc_client *cl, const char *method, int64_t arg,
    struct ipc_reply *rp, char *err, size_t errlen)
{
	struct ipc_writer w;
	struct ipc_ctx ctx = {0};
	snprintf(ctx.user, sizeof ctx.user, "carol");
	ipc_writer_init(&w);
	uint64_t id = ipc_client_next_id(cl);
	ipc_request_begin(&w, id, method, arg >= 0 ? 1 : 0);
	if (arg >= 0)
		msgpack_pack_int64(&w.pk, arg);
	ipc_request_end(&w, &ctx);
	int st = ipc_call(cl, &w, id, rp, err, errlen);
	ipc_writer_free(&w);
	return st;
}

static bool
reply_is(const struct ipc_reply *rp, const char *s)
{
	return rp->status == IPC_OK && rp->result != NULL &&
	    rp->result->type == MSGPACK_OBJECT_STR &&
	    rp->result->via.str.size == strlen(s) &&
	    memcmp(rp->result->via.str.ptr, s, strlen(s)) == 0;
}

static void
test_blocking_two_peers(void)
{
	char u1[200], u2[200], err[256];
	struct ipc_server s1, s2;
	url_of(u1, sizeof u1, "a.data");
	url_of(u2, sizeof u2, "b.data");
	CHECK(ipc_server_start(&s1, u1, 2, handler, "a") == 0);
	CHECK(ipc_server_start(&s2, u2, 2, handler, "b") == 0);

	struct ipc_client cl;
	CHECK(ipc_client_open(&cl, 2000) == 0);
	CHECK(ipc_client_dial(&cl, u1) == 0);
	CHECK(ipc_client_dial(&cl, u2) == 0);
	CHECK(ipc_client_dial(&cl, "ipc:///tmp/x.sock") != 0); /* one kind */
	struct ipc_reply rp;
	CHECK(call(&cl, "echo", -1, &rp, err, sizeof err) == IPC_OK);
	CHECK(reply_is(&rp, "carol"));
	ipc_reply_free(&rp);
	/* a pooled connection is reused; new ones alternate between peers */
	int seen_a = 0, seen_b = 0;
	for (int i = 0; i < 20; i++) {
		CHECK(call(&cl, "whoami", -1, &rp, err, sizeof err) == IPC_OK);
		seen_a += reply_is(&rp, "a");
		seen_b += reply_is(&rp, "b");
		ipc_reply_free(&rp);
	}
	CHECK(seen_a + seen_b == 20);
	CHECK(s1.n_requests + s2.n_requests == 21);

	CHECK(call(&cl, "big", -1, &rp, err, sizeof err) == IPC_OK);
	CHECK(rp.status == IPC_OK && rp.result != NULL &&
	    rp.result->type == MSGPACK_OBJECT_STR &&
	    rp.result->via.str.size == BIG_REPLY &&
	    rp.result->via.str.ptr[BIG_REPLY - 1] == 'x');
	ipc_reply_free(&rp);

	/* a peer that restarts: its pooled connections are stale; the call
	 * is sent again over a new one */
	ipc_server_stop(&s1);
	ipc_server_stop(&s2);
	CHECK(ipc_server_start(&s1, u1, 2, handler, "a2") == 0);
	CHECK(ipc_server_start(&s2, u2, 2, handler, "b2") == 0);
	CHECK(call(&cl, "whoami", -1, &rp, err, sizeof err) == IPC_OK);
	CHECK(reply_is(&rp, "a2") || reply_is(&rp, "b2"));
	ipc_reply_free(&rp);

	/* a slow handler: the call times out and its connection is not
	 * reused, so the next call gets its own reply */
	ipc_client_close(&cl);
	CHECK(ipc_client_open(&cl, 150) == 0);
	CHECK(ipc_client_dial(&cl, u1) == 0);
	CHECK(call(&cl, "sleep", 400, &rp, err, sizeof err) ==
	    IPC_ERR_UNAVAILABLE);
	CHECK(strstr(err, "timed out") != NULL);
	ipc_reply_free(&rp);
	CHECK(call(&cl, "echo", -1, &rp, err, sizeof err) == IPC_OK);
	CHECK(reply_is(&rp, "carol"));
	ipc_reply_free(&rp);
	ipc_client_close(&cl);

	/* nobody listening: unavailable once the deadline passes */
	ipc_server_stop(&s1);
	CHECK(ipc_client_open(&cl, 100) == 0);
	CHECK(ipc_client_dial(&cl, u1) == 0);
	CHECK(call(&cl, "echo", -1, &rp, err, sizeof err) ==
	    IPC_ERR_UNAVAILABLE);
	ipc_reply_free(&rp);
	ipc_client_close(&cl);
	ipc_server_stop(&s2);
}

struct async_result {
	pthread_mutex_t lock;
	int ok, failed, big;
};

static void
on_done(void *arg, nng_msg *msg, int status, const char *err)
{
	struct async_result *r = arg;
	(void)err;
	bool ok = false, big = false;
	if (status == IPC_OK && msg != NULL) {
		struct ipc_reply rp;
		char e[256];
		size_t len = nng_msg_len(msg);
		void *copy = malloc(len);
		memcpy(copy, nng_msg_body(msg), len);
		if (ipc_reply_decode(&rp, copy, len, e, sizeof e) == IPC_OK) {
			ok = reply_is(&rp, "carol");
			big = rp.result != NULL &&
			    rp.result->type == MSGPACK_OBJECT_STR &&
			    rp.result->via.str.size == BIG_REPLY;
		}
		rp.owned = copy;
		ipc_reply_free(&rp);
	}
	if (msg != NULL)
		nng_msg_free(msg);
	pthread_mutex_lock(&r->lock);
	if (ok)
		r->ok++;
	else if (big)
		r->big++;
	else
		r->failed++;
	pthread_mutex_unlock(&r->lock);
}

static int
send_async(struct ipc_client *cl, const char *method, int64_t arg,
    struct async_result *r)
{
	struct ipc_writer w;
	struct ipc_ctx ctx = {0};
	snprintf(ctx.user, sizeof ctx.user, "carol");
	ipc_writer_init(&w);
	ipc_request_begin(&w, ipc_client_next_id(cl), method,
	    arg >= 0 ? 1 : 0);
	if (arg >= 0)
		msgpack_pack_int64(&w.pk, arg);
	ipc_request_end(&w, &ctx);
	int rv = ipc_call_async(cl, &w, on_done, r);
	ipc_writer_free(&w);
	return rv;
}

static int
settled(struct async_result *r)
{
	pthread_mutex_lock(&r->lock);
	int n = r->ok + r->failed + r->big;
	pthread_mutex_unlock(&r->lock);
	return n;
}

static void
wait_settled(struct async_result *r, int n)
{
	for (int i = 0; i < 500 && settled(r) < n; i++)
		usleep(10 * 1000);
}

static void
test_async(void)
{
	char u1[200], u2[200];
	struct ipc_server s1, s2;
	url_of(u1, sizeof u1, "c.data");
	url_of(u2, sizeof u2, "d.data");
	CHECK(ipc_server_start(&s1, u1, 2, handler, "c") == 0);
	CHECK(ipc_server_start(&s2, u2, 2, handler, "d") == 0);

	struct async_result r = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct ipc_client cl;
	CHECK(ipc_client_open(&cl, 3000) == 0);
	CHECK(ipc_client_dial(&cl, u1) == 0);
	CHECK(ipc_client_dial(&cl, u2) == 0);
	for (int i = 0; i < 64; i++)
		CHECK(send_async(&cl, "echo", -1, &r) == 0);
	CHECK(send_async(&cl, "big", -1, &r) == 0);
	wait_settled(&r, 65);
	CHECK(r.ok == 64 && r.big == 1 && r.failed == 0);
	CHECK(s1.n_requests > 0 && s2.n_requests > 0);

	/* a server that starts late: the call waits for it */
	ipc_server_stop(&s1);
	ipc_server_stop(&s2);
	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.lock, NULL);
	CHECK(send_async(&cl, "echo", -1, &r) == 0);
	usleep(100 * 1000);
	CHECK(settled(&r) == 0);
	CHECK(ipc_server_start(&s1, u1, 2, handler, "c") == 0);
	wait_settled(&r, 1);
	CHECK(r.ok == 1);

	/* closing the client completes what is in flight, with an error */
	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.lock, NULL);
	CHECK(send_async(&cl, "sleep", 300, &r) == 0);
	CHECK(send_async(&cl, "sleep", 300, &r) == 0);
	usleep(50 * 1000);
	ipc_client_close(&cl);
	CHECK(r.failed == 2 && r.ok == 0);

	/* and a deadline passes */
	CHECK(ipc_client_open(&cl, 100) == 0);
	CHECK(ipc_client_dial(&cl, u1) == 0);
	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.lock, NULL);
	CHECK(send_async(&cl, "sleep", 400, &r) == 0);
	wait_settled(&r, 1);
	CHECK(r.failed == 1);
	ipc_client_close(&cl);
	ipc_server_stop(&s1);
}

static int
raw_connect(const char *url)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", url + 7);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	struct timeval tv = {.tv_sec = 3};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

/* Hostile frames: the connection is dropped or answered with an error;
 * the server lives on. */
static void
test_hostile_frames(void)
{
	char u[200], err[256];
	struct ipc_server s;
	url_of(u, sizeof u, "e.data");
	/* one thread: a peer stalled mid-frame must not hold it */
	CHECK(ipc_server_start(&s, u, 1, handler, "e") == 0);
	int stalled = raw_connect(u);
	const uint8_t announce[6] = {0x03, 0xff, 0xff, 0xff, 0x92, 0x01};
	CHECK(write(stalled, announce, sizeof announce) == 6);

	int fd = raw_connect(u);
	CHECK(fd >= 0);
	const uint8_t huge[4] = {0xff, 0xff, 0xff, 0xff};
	CHECK(write(fd, huge, 4) == 4);
	uint8_t b[64];
	CHECK(read(fd, b, sizeof b) == 0); /* closed on us */
	close(fd);

	fd = raw_connect(u);
	const uint8_t garbage[7] = {0, 0, 0, 3, 0xc1, 0xc1, 0xc1};
	CHECK(write(fd, garbage, sizeof garbage) == (ssize_t)sizeof garbage);
	ssize_t n = read(fd, b, sizeof b); /* an error reply */
	CHECK(n > 4 && (size_t)n == 4 + ((size_t)b[2] << 8 | b[3]));
	struct ipc_reply rp;
	CHECK(n > 4 && ipc_reply_decode(&rp, b + 4, (size_t)n - 4, err,
	    sizeof err) == IPC_OK && rp.status == IPC_ERR_BAD_REQUEST);
	ipc_reply_free(&rp);
	close(fd);

	fd = raw_connect(u); /* half a header, then gone */
	CHECK(write(fd, huge, 2) == 2);
	close(fd);
	CHECK(s.n_malformed == 2);

	struct ipc_client cl;
	CHECK(ipc_client_open(&cl, 1000) == 0);
	CHECK(ipc_client_dial(&cl, u) == 0);
	CHECK(call(&cl, "echo", -1, &rp, err, sizeof err) == IPC_OK);
	CHECK(reply_is(&rp, "carol"));
	ipc_reply_free(&rp);
	ipc_client_close(&cl);
	close(stalled);
	ipc_server_stop(&s);
}

int
main(void)
{
	log_init("test-ipc-stream", LOG_LVL_ERROR);
	if (mkdtemp(dir) == NULL)
		return 1;
	test_blocking_two_peers();
	test_async();
	test_hostile_frames();
	rmdir(dir);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
