#define _GNU_SOURCE
#include "rpc.h"
#include "log.h"
#include "stream.h"

#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Only the same uid (or root, the supervisor) may talk to a netward
 * socket: the runtime dir is 0700 already, this is the second lock. */
static void
check_peer(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	int uid;
	if (nng_pipe_get_int(p, NNG_OPT_IPC_PEER_UID, &uid) != 0)
		return; /* not an ipc:// pipe (tls+tcp authenticates itself) */
	if (uid != 0 && (uid_t)uid != geteuid()) {
		log_warn("refusing ipc peer with uid %d", uid);
		nng_pipe_close(p);
	}
}

static int
send_reply(nng_ctx ctx, nng_aio *aio, const struct ipc_writer *w)
{
	nng_msg *out;
	int rv = nng_msg_alloc(&out, 0);
	if (rv != 0)
		return rv;
	rv = nng_msg_append(out, w->sb.data, w->sb.size);
	if (rv != 0) {
		nng_msg_free(out);
		return rv;
	}
	nng_aio_set_msg(aio, out);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	rv = nng_aio_result(aio);
	if (rv != 0)
		nng_msg_free(out);
	return rv;
}

void
ipc_server_answer(struct ipc_server *s, const void *buf, size_t len,
    struct ipc_writer *w)
{
	struct ipc_request rq;
	char err[256];

	__atomic_add_fetch(&s->n_requests, 1, __ATOMIC_RELAXED);
	ipc_writer_reset(w);
	int st = ipc_request_decode(&rq, buf, len, err, sizeof err);
	if (st != IPC_OK) {
		__atomic_add_fetch(&s->n_malformed, 1, __ATOMIC_RELAXED);
		log_warn("rejected request: %s", err);
		ipc_reply_error(w, rq.id, st, "%s", err);
	} else {
		s->handler(&rq, w, s->arg);
		if (w->sb.size == 0)
			ipc_reply_error(w, rq.id, IPC_ERR_INTERNAL,
			    "%s: handler gave no reply", rq.method);
	}
	ipc_request_free(&rq);
}

void
ipc_server_wait_gate(struct ipc_server *s)
{
	pthread_mutex_lock(&s->gate_lock);
	while (!s->gate_open && !s->stopping)
		pthread_cond_wait(&s->gate_cv, &s->gate_lock);
	pthread_mutex_unlock(&s->gate_lock);
}

static void *
server_thread(void *arg)
{
	struct ipc_server_thread *t = arg;
	struct ipc_server *s = t->server;
	struct ipc_writer w;

	ipc_writer_init(&w);
	ipc_server_wait_gate(s);
	while (!__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE)) {
		nng_ctx_recv(t->ctx, t->aio);
		nng_aio_wait(t->aio);
		int rv = nng_aio_result(t->aio);
		if (rv == NNG_ECLOSED ||
		    __atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE))
			break;
		if (rv != 0)
			continue;
		nng_msg *msg = nng_aio_get_msg(t->aio);
		ipc_server_answer(s, nng_msg_body(msg), nng_msg_len(msg), &w);
		nng_msg_free(msg);
		if (send_reply(t->ctx, t->aio, &w) == NNG_ECLOSED)
			break;
	}
	ipc_writer_free(&w);
	return NULL;
}

static void
gate_set(struct ipc_server *s, bool stopping)
{
	pthread_mutex_lock(&s->gate_lock);
	if (stopping)
		__atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
	else
		s->gate_open = true;
	pthread_cond_broadcast(&s->gate_cv);
	pthread_mutex_unlock(&s->gate_lock);
}

int
ipc_server_listen(struct ipc_server *s, const char *url, int nthreads,
    ipc_handler_fn handler, void *arg)
{
	int rv;

	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->gate_lock, NULL);
	pthread_cond_init(&s->gate_cv, NULL);
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > IPC_SERVER_MAX_THREADS)
		nthreads = IPC_SERVER_MAX_THREADS;
	s->handler = handler;
	s->arg = arg;

	if (strncmp(url, IPC_STREAM_SCHEME, strlen(IPC_STREAM_SCHEME)) == 0)
		return stream_server_listen(s,
		    url + strlen(IPC_STREAM_SCHEME), nthreads);
	if ((rv = nng_rep0_open(&s->sock)) != 0)
		return rv;
	nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, IPC_MAX_MESSAGE);
	nng_pipe_notify(s->sock, NNG_PIPE_EV_ADD_PRE, check_peer, NULL);
	if (strncmp(url, "ipc://", 6) == 0)
		unlink(url + 6); /* a stale socket of a dead predecessor */
	if ((rv = nng_listen(s->sock, url, NULL, 0)) != 0) {
		nng_close(s->sock);
		return rv;
	}
	if (strncmp(url, "ipc://", 6) == 0 && chmod(url + 6, 0600) != 0)
		log_warn("chmod %s: %s", url + 6, strerror(errno));

	/* Contexts and aios belong to the server, not to its threads: stop
	 * closes every context (which ends any wait on it) before it joins
	 * the threads, and frees them only after. */
	for (int i = 0; i < nthreads; i++) {
		struct ipc_server_thread *t = &s->threads[i];
		t->server = s;
		if (nng_ctx_open(&t->ctx, s->sock) != 0)
			break;
		if (nng_aio_alloc(&t->aio, NULL, NULL) != 0) {
			nng_ctx_close(t->ctx);
			break;
		}
		if (pthread_create(&t->thread, NULL, server_thread, t) != 0) {
			nng_aio_free(t->aio);
			nng_ctx_close(t->ctx);
			break;
		}
		s->nthreads++;
	}
	if (s->nthreads == 0) {
		nng_close(s->sock);
		return NNG_ENOMEM;
	}
	return 0;
}

void
ipc_server_serve(struct ipc_server *s)
{
	gate_set(s, false);
}

int
ipc_server_start(struct ipc_server *s, const char *url, int nthreads,
    ipc_handler_fn handler, void *arg)
{
	int rv = ipc_server_listen(s, url, nthreads, handler, arg);
	if (rv == 0)
		ipc_server_serve(s);
	return rv;
}

void
ipc_server_stop(struct ipc_server *s)
{
	gate_set(s, true);
	if (s->stream != NULL) {
		stream_server_stop(s);
		pthread_cond_destroy(&s->gate_cv);
		pthread_mutex_destroy(&s->gate_lock);
		return;
	}
	for (int i = 0; i < s->nthreads; i++)
		nng_ctx_close(s->threads[i].ctx);
	for (int i = 0; i < s->nthreads; i++) {
		pthread_join(s->threads[i].thread, NULL);
		nng_aio_free(s->threads[i].aio);
	}
	s->nthreads = 0;
	nng_close(s->sock);
	pthread_cond_destroy(&s->gate_cv);
	pthread_mutex_destroy(&s->gate_lock);
}

/* ---- client ----------------------------------------------------------- */

/* One asynchronous call; after a completed exchange it is kept in its
 * client's async_pool, context and aio included, for a later call. */
struct async_call {
	struct ipc_client *client;
	nng_ctx ctx;
	nng_aio *aio;
	int sent;
	ipc_async_done_fn done;
	void *arg;
};

int
ipc_client_open(struct ipc_client *c, int timeout_ms)
{
	memset(c, 0, sizeof *c);
	c->timeout_ms = timeout_ms;
	c->next_id = 1;
	pthread_mutex_init(&c->lock, NULL);
	return 0;
}

static int
open_nng(struct ipc_client *c)
{
	int rv = nng_req0_open(&c->sock);
	if (rv != 0)
		return rv;
	c->nng_open = true;
	nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, IPC_MAX_MESSAGE);
	/* Re-send only after the call has timed out: a slow handler must
	 * not run twice. A peer that dies makes NNG re-send at once. */
	nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME,
	    c->timeout_ms + 2000);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 50);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 500);
	return 0;
}

int
ipc_client_dial(struct ipc_client *c, const char *url)
{
	if (strncmp(url, IPC_STREAM_SCHEME, strlen(IPC_STREAM_SCHEME)) == 0) {
		if (c->nng_open)
			return NNG_EINVAL; /* one kind of peer per client */
		return stream_client_dial(c, url + strlen(IPC_STREAM_SCHEME));
	}
	if (c->stream != NULL)
		return NNG_EINVAL;
	if (!c->nng_open) {
		int rv = open_nng(c);
		if (rv != 0)
			return rv;
	}
	return nng_dial(c->sock, url, NULL, NNG_FLAG_NONBLOCK);
}

void
ipc_client_close(struct ipc_client *c)
{
	if (c->stream != NULL)
		stream_client_close(c);
	for (int i = 0; i < c->n_pool; i++) {
		nng_aio_free(c->pool[i].aio);
		nng_ctx_close(c->pool[i].ctx);
	}
	c->n_pool = 0;
	pthread_mutex_lock(&c->lock);
	c->closing = true;
	int n = c->n_async_pool;
	c->n_async_pool = 0;
	pthread_mutex_unlock(&c->lock);
	for (int i = 0; i < n; i++) {
		struct async_call *ac = c->async_pool[i];
		nng_aio_free(ac->aio); /* waits for its last callback */
		nng_ctx_close(ac->ctx);
		free(ac);
	}
	if (c->nng_open)
		nng_close(c->sock);
	c->nng_open = false;
	pthread_mutex_destroy(&c->lock);
}

uint64_t
ipc_client_next_id(struct ipc_client *c)
{
	return __atomic_fetch_add(&c->next_id, 1, __ATOMIC_RELAXED);
}

static nng_msg *
message_from(const struct ipc_writer *w)
{
	nng_msg *m;
	if (nng_msg_alloc(&m, 0) != 0)
		return NULL;
	if (nng_msg_append(m, w->sb.data, w->sb.size) != 0) {
		nng_msg_free(m);
		return NULL;
	}
	return m;
}

/* A context and aio for one call: a pooled one, or new. */
static int
call_slot_get(struct ipc_client *c, struct ipc_call_slot *slot)
{
	int rv;

	pthread_mutex_lock(&c->lock);
	if (c->n_pool > 0) {
		*slot = c->pool[--c->n_pool];
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	pthread_mutex_unlock(&c->lock);
	if ((rv = nng_ctx_open(&slot->ctx, c->sock)) != 0)
		return rv;
	if ((rv = nng_aio_alloc(&slot->aio, NULL, NULL)) != 0) {
		nng_ctx_close(slot->ctx);
		return rv;
	}
	return 0;
}

/* After a call whose exchange completed the context is idle again and
 * goes back to the pool; after a failed one (timeout, closed) it is
 * closed, so nothing of that exchange can reach a later call. */
static void
call_slot_put(struct ipc_client *c, struct ipc_call_slot *slot, bool reuse)
{
	if (reuse) {
		pthread_mutex_lock(&c->lock);
		if (c->n_pool < IPC_CALL_POOL) {
			c->pool[c->n_pool++] = *slot;
			pthread_mutex_unlock(&c->lock);
			return;
		}
		pthread_mutex_unlock(&c->lock);
	}
	nng_aio_free(slot->aio);
	nng_ctx_close(slot->ctx);
}

int
ipc_call(struct ipc_client *c, struct ipc_writer *w, uint64_t id,
    struct ipc_reply *rp, char *err, size_t errlen)
{
	struct ipc_call_slot slot;
	nng_aio *aio;
	nng_ctx ctx;
	bool exchanged = false;
	int rv;

	if (c->stream != NULL)
		return stream_call(c, w, id, rp, err, errlen);
	memset(rp, 0, sizeof *rp);
	msgpack_unpacked_init(&rp->up);
	if (!c->nng_open) {
		snprintf(err, errlen, "ipc: no peer dialled");
		return IPC_ERR_UNAVAILABLE;
	}
	if ((rv = call_slot_get(c, &slot)) != 0) {
		snprintf(err, errlen, "ipc: %s", nng_strerror(rv));
		return IPC_ERR_UNAVAILABLE;
	}
	ctx = slot.ctx;
	aio = slot.aio;
	nng_aio_set_timeout(aio, c->timeout_ms);

	int status = IPC_ERR_UNAVAILABLE;
	nng_msg *m = message_from(w);
	if (m == NULL) {
		snprintf(err, errlen, "ipc: out of memory");
		goto out;
	}
	nng_aio_set_msg(aio, m);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		nng_msg_free(m);
		snprintf(err, errlen, "ipc send: %s", nng_strerror(rv));
		goto out;
	}
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		snprintf(err, errlen, "ipc receive: %s", nng_strerror(rv));
		goto out;
	}
	exchanged = true;
	nng_msg *reply = nng_aio_get_msg(aio);
	/* msgpack-c points strings into the buffer: keep a copy with rp. */
	size_t len = nng_msg_len(reply);
	void *copy = malloc(len ? len : 1);
	if (copy == NULL) {
		nng_msg_free(reply);
		snprintf(err, errlen, "ipc: out of memory");
		goto out;
	}
	memcpy(copy, nng_msg_body(reply), len);
	nng_msg_free(reply);
	msgpack_unpacked_destroy(&rp->up);
	status = ipc_reply_decode(rp, copy, len, err, errlen);
	rp->owned = copy;
	if (status == IPC_OK && rp->id != id) {
		snprintf(err, errlen, "ipc: reply id %llu for request %llu",
		    (unsigned long long)rp->id, (unsigned long long)id);
		status = IPC_ERR_BAD_REQUEST;
	}
out:
	call_slot_put(c, &slot, exchanged);
	return status;
}

/* ---- asynchronous client call ------------------------------------------ */

static void
async_finish(struct async_call *ac, nng_msg *msg, int status,
    const char *err)
{
	struct ipc_client *c = ac->client;

	ac->done(ac->arg, msg, status, err);
	if (status == IPC_OK) {
		/* the exchange completed: the context is idle, keep it.
		 * The taker waits for this callback to return first. */
		pthread_mutex_lock(&c->lock);
		if (!c->closing && c->n_async_pool < IPC_CALL_POOL) {
			c->async_pool[c->n_async_pool++] = ac;
			pthread_mutex_unlock(&c->lock);
			return;
		}
		pthread_mutex_unlock(&c->lock);
	}
	nng_ctx_close(ac->ctx);
	/* nng_aio_free would wait for this very callback: reap instead. */
	nng_aio_reap(ac->aio);
	free(ac);
}

static void
async_step(void *arg)
{
	struct async_call *ac = arg;
	int rv = nng_aio_result(ac->aio);

	if (rv != 0) {
		if (!ac->sent)
			nng_msg_free(nng_aio_get_msg(ac->aio));
		async_finish(ac, NULL, IPC_ERR_UNAVAILABLE, nng_strerror(rv));
		return;
	}
	if (!ac->sent) {
		ac->sent = 1;
		nng_ctx_recv(ac->ctx, ac->aio);
		return;
	}
	async_finish(ac, nng_aio_get_msg(ac->aio), IPC_OK, NULL);
}

/* A pooled call (its last callback finished), or a new one. */
static int
async_call_get(struct ipc_client *c, struct async_call **out)
{
	struct async_call *ac = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->n_async_pool > 0)
		ac = c->async_pool[--c->n_async_pool];
	pthread_mutex_unlock(&c->lock);
	if (ac != NULL) {
		nng_aio_wait(ac->aio); /* until its callback has returned */
		*out = ac;
		return 0;
	}
	if ((ac = calloc(1, sizeof *ac)) == NULL)
		return NNG_ENOMEM;
	ac->client = c;
	int rv = nng_ctx_open(&ac->ctx, c->sock);
	if (rv != 0) {
		free(ac);
		return rv;
	}
	if ((rv = nng_aio_alloc(&ac->aio, async_step, ac)) != 0) {
		nng_ctx_close(ac->ctx);
		free(ac);
		return rv;
	}
	*out = ac;
	return 0;
}

int
ipc_call_async(struct ipc_client *c, struct ipc_writer *w,
    ipc_async_done_fn done, void *arg)
{
	struct async_call *ac;
	if (c->stream != NULL)
		return stream_call_async(c, w, done, arg);
	if (!c->nng_open)
		return NNG_ECLOSED;
	int rv = async_call_get(c, &ac);
	if (rv != 0)
		return rv;
	ac->done = done;
	ac->arg = arg;
	ac->sent = 0;
	nng_aio_set_timeout(ac->aio, c->timeout_ms);
	nng_msg *m = message_from(w);
	if (m == NULL) {
		nng_aio_free(ac->aio);
		nng_ctx_close(ac->ctx);
		free(ac);
		return NNG_ENOMEM;
	}
	nng_aio_set_msg(ac->aio, m);
	nng_ctx_send(ac->ctx, ac->aio);
	return 0;
}
