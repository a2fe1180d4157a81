/* Client and server helpers over NNG REQ/REP carrying the envelope.
 *
 * Server: a REP socket with one NNG context per serving thread, so a slow
 * handler never blocks the others. Every request is checked and decoded
 * before the handler sees it; a malformed one is answered with an error
 * and logged, never trusted.
 *
 * Client: a REQ socket shared by all threads of the process; each call
 * opens its own context, so calls from several threads run concurrently.
 * A REQ socket dialled to several REP sockets balances across them and
 * re-sends when one dies (the frontend's view of the Lua workers). */
#ifndef NETWARD_IPC_RPC_H
#define NETWARD_IPC_RPC_H

#include "envelope.h"

#include <nng/nng.h>
#include <pthread.h>

/* A handler packs its reply with ipc_reply_begin() + one value, or with
 * ipc_reply_error(). It runs on one of the server's threads. */
typedef void (*ipc_handler_fn)(const struct ipc_request *rq,
    struct ipc_writer *reply, void *arg);

#define IPC_SERVER_MAX_THREADS 16

struct ipc_server;
struct ipc_server_thread {
	struct ipc_server *server;
	pthread_t thread;
	nng_ctx ctx;  /* owned by the server: closed to stop the thread */
	nng_aio *aio;
};

struct stream_server;
struct stream_client;

struct ipc_server {
	nng_socket sock;
	struct stream_server *stream; /* a unix:// server (stream.h) */
	ipc_handler_fn handler;
	void *arg;
	int nthreads;
	struct ipc_server_thread threads[IPC_SERVER_MAX_THREADS];
	volatile int stopping;
	/* closed until ipc_server_serve(): no request is handled before the
	 * worker has entered its sandbox */
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cv;
	bool gate_open;
	uint64_t n_requests;
	uint64_t n_malformed;
};

/* Listens on url: ipc://path or tls+tcp:// (NNG REP), or unix://path
 * (netward's own stream transport, stream.h: the hot hops). path's mode
 * is set to 0600.
 * Returns 0 or an NNG error code. The threads exist but answer nothing
 * until ipc_server_serve(): a worker listens, enters its sandbox, then
 * serves, so no request ever runs outside the sandbox. Requests that
 * arrive in between wait in NNG's queue. */
int ipc_server_listen(struct ipc_server *s, const char *url, int nthreads,
    ipc_handler_fn handler, void *arg);
void ipc_server_serve(struct ipc_server *s);
/* ipc_server_listen() and ipc_server_serve() at once (tests, tools). */
int ipc_server_start(struct ipc_server *s, const char *url, int nthreads,
    ipc_handler_fn handler, void *arg);
void ipc_server_stop(struct ipc_server *s);

struct async_call;

/* ipc_call keeps the contexts of finished calls for the next ones: opening
 * a context and its aio per call cost a few thread hand-offs each. */
#define IPC_CALL_POOL 16
struct ipc_call_slot {
	nng_ctx ctx;
	nng_aio *aio;
};

struct ipc_client {
	nng_socket sock;	/* opened by the first ipc:// dial */
	bool nng_open;
	struct stream_client *stream; /* unix:// peers (stream.h) */
	int timeout_ms;
	uint64_t next_id;
	pthread_mutex_t lock;	/* guards pool and async_pool */
	struct ipc_call_slot pool[IPC_CALL_POOL];
	int n_pool;
	struct async_call *async_pool[IPC_CALL_POOL]; /* ipc_call_async's */
	int n_async_pool;
	bool closing;		/* no more pooling: ipc_client_close runs */
};

/* A client; add one or more peers with ipc_client_dial(). */
int ipc_client_open(struct ipc_client *c, int timeout_ms);
/* ipc:// or tls+tcp:// peers: an NNG REQ socket that keeps redialling
 * until the peer listens. unix:// peers: connections made per call (and
 * kept for later calls), round robin over the peers, retried until the
 * call's deadline. One client has peers of one kind. */
int ipc_client_dial(struct ipc_client *c, const char *url);
void ipc_client_close(struct ipc_client *c);
uint64_t ipc_client_next_id(struct ipc_client *c);

/* Sends the request in w (built with ipc_request_begin/end) and waits for
 * the reply. Returns 0 with rp decoded (check rp->status), or an
 * ipc_status (IPC_ERR_UNAVAILABLE on timeout or closed peer,
 * IPC_ERR_BAD_REQUEST on an undecodable reply) with err filled. rp must be
 * freed with ipc_reply_free() either way. */
int ipc_call(struct ipc_client *c, struct ipc_writer *w, uint64_t id,
    struct ipc_reply *rp, char *err, size_t errlen);

/* Asynchronous call: done() runs on an NNG thread with the raw reply
 * (msg == NULL on failure, with status and err). The callback owns msg and
 * must nng_msg_free() it. */
typedef void (*ipc_async_done_fn)(void *arg, nng_msg *msg, int status,
    const char *err);
int ipc_call_async(struct ipc_client *c, struct ipc_writer *w,
    ipc_async_done_fn done, void *arg);

#endif
