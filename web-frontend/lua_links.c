/* The frontend's connections to the Lua workers' data sockets (unix://,
 * the framing of ipc/stream.h), driven by the event loop itself: the
 * thread that reads a reply is the one that answers its request, with no
 * other thread and no queue between them (two wake-ups a request fewer
 * than a client with a thread of its own; docs/PERFORMANCE.md).
 *
 * One request at a time per connection; idle connections are kept and
 * reused, new ones go round robin over the workers. A call whose worker
 * closes the connection before answering (it died) is sent again, to
 * another worker first (RESENDS times at most). A call waits for a
 * connection until its deadline while no worker accepts (they start, or
 * restart). Everything here runs on the loop thread. */
#include "web.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FRAME_HEADER 4
#define RETRY_MS 20		/* between attempts to connect */
#define RESENDS 3		/* after a worker closed before answering
				 * (why more than one: ipc/stream.c) */
#define MAX_IDLE 64		/* connections kept for later calls */

struct lua_link;

struct web_lua_call {
	struct lua_link *link;	/* carrying it, or NULL (waiting) */
	h2o_linklist_t waiting;	/* in waiting_calls while link == NULL */
	uint8_t *frame;		/* the request, header included */
	size_t frame_len;
	uint64_t deadline_ms;
	int resends, avoid_peer;
	web_lua_done_fn done;
	void *arg;
};

struct lua_link {
	h2o_socket_t *sock;
	int peer;
	struct web_lua_call *call; /* in flight, or NULL (idle) */
	h2o_linklist_t idle;	/* in idle_links while idle */
	h2o_linklist_t all;	/* in all_links */
	h2o_iovec_t out;
};

static h2o_evloop_t *loop;
static char peers[WEB_MAX_LUA_SOCKETS][sizeof(((struct sockaddr_un *)0)->sun_path)];
static int n_peers;
static unsigned next_peer;
static int timeout_ms;
static h2o_linklist_t idle_links = {&idle_links, &idle_links};
static h2o_linklist_t all_links = {&all_links, &all_links};
static int n_idle;
static h2o_linklist_t waiting_calls = {&waiting_calls, &waiting_calls};
static h2o_timeout_t retry_timeout;
static h2o_timeout_entry_t retry_entry;

static void call_send(struct web_lua_call *call);

static uint64_t
now_ms(void)
{
	return h2o_now(loop);
}

static void
call_finish(struct web_lua_call *call, const uint8_t *body, size_t len,
    int status, const char *err)
{
	web_lua_done_fn done = call->done;
	void *arg = call->arg;
	free(call->frame);
	free(call);
	done(arg, body, len, status, err);
}

/* The link goes; so does its call, unless it may be sent again. */
static void
link_close(struct lua_link *l, bool resend, const char *why)
{
	struct web_lua_call *call = l->call;
	if (h2o_linklist_is_linked(&l->idle)) {
		h2o_linklist_unlink(&l->idle);
		n_idle--;
	}
	h2o_linklist_unlink(&l->all);
	l->sock->data = NULL;
	h2o_socket_close(l->sock);
	int peer = l->peer;
	free(l);
	if (call == NULL)
		return;
	call->link = NULL;
	if (resend && call->resends++ < RESENDS &&
	    now_ms() < call->deadline_ms) {
		call->avoid_peer = peer;
		call_send(call);
		return;
	}
	call_finish(call, NULL, 0, IPC_ERR_UNAVAILABLE, why);
}

static void
on_link_read(h2o_socket_t *sock, const char *err)
{
	struct lua_link *l = sock->data;
	if (l == NULL)
		return;
	if (err != NULL) {
		/* closed before its answer: the worker died (or restarted) */
		link_close(l, true, "lua worker closed the connection");
		return;
	}
	h2o_buffer_t *in = sock->input;
	if (in->size < FRAME_HEADER)
		return;
	const uint8_t *p = (const uint8_t *)in->bytes;
	uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	if (len == 0 || len > IPC_MAX_MESSAGE || l->call == NULL) {
		log_error("lua worker sent %s", l->call == NULL ?
		    "a frame nobody asked for" : "a frame of a bad length");
		link_close(l, false, "broken reply");
		return;
	}
	if (in->size - FRAME_HEADER < len)
		return; /* more to come */
	if (in->size - FRAME_HEADER > len) {
		log_error("lua worker sent more than one reply");
		link_close(l, false, "broken reply");
		return;
	}
	struct web_lua_call *call = l->call;
	l->call = NULL;
	/* answered from the socket's buffer, consumed after */
	call_finish(call, p + FRAME_HEADER, len, IPC_OK, NULL);
	h2o_buffer_consume(&sock->input, FRAME_HEADER + len);
	if (n_idle < MAX_IDLE) {
		h2o_linklist_insert(&idle_links, &l->idle);
		n_idle++;
	} else {
		link_close(l, false, NULL);
	}
}

static void
on_link_written(h2o_socket_t *sock, const char *err)
{
	struct lua_link *l = sock->data;
	if (l != NULL && err != NULL)
		link_close(l, true, "lua worker closed the connection");
}

/* A new connection, round robin over the workers (the one to avoid last);
 * NULL when none accepts now. */
static struct lua_link *
link_open(int avoid)
{
	unsigned first = next_peer++;
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < n_peers; k++) {
			int peer = (int)((first + (unsigned)k) %
			    (unsigned)n_peers);
			if ((peer == avoid && n_peers > 1) != (pass == 1))
				continue;
			struct sockaddr_un sa = {.sun_family = AF_UNIX};
			memcpy(sa.sun_path, peers[peer], sizeof sa.sun_path);
			int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, 0);
			if (fd < 0)
				return NULL;
			if (connect(fd, (struct sockaddr *)&sa, sizeof sa) !=
			    0) {
				close(fd);
				continue;
			}
			struct lua_link *l = calloc(1, sizeof *l);
			if (l == NULL) {
				close(fd);
				return NULL;
			}
			l->peer = peer;
			h2o_linklist_insert(&all_links, &l->all);
			l->sock = h2o_evloop_socket_create(loop, fd, 0);
			l->sock->data = l;
			h2o_socket_read_start(l->sock, on_link_read);
			return l;
		}
	}
	return NULL;
}

static void
arm_retry(void)
{
	if (!h2o_timeout_is_linked(&retry_entry))
		h2o_timeout_link(loop, &retry_timeout, &retry_entry);
}

static void
call_send(struct web_lua_call *call)
{
	struct lua_link *l = NULL;
	if (!h2o_linklist_is_empty(&idle_links)) {
		l = H2O_STRUCT_FROM_MEMBER(struct lua_link, idle,
		    idle_links.next);
		h2o_linklist_unlink(&l->idle);
		n_idle--;
	} else {
		l = link_open(call->avoid_peer);
	}
	if (l == NULL) {
		h2o_linklist_insert(&waiting_calls, &call->waiting);
		arm_retry();
		return;
	}
	l->call = call;
	call->link = l;
	l->out = h2o_iovec_init(call->frame, call->frame_len);
	h2o_socket_write(l->sock, &l->out, 1, on_link_written);
}

static void
on_retry(h2o_timeout_entry_t *entry)
{
	(void)entry;
	h2o_linklist_t todo;
	h2o_linklist_init_anchor(&todo);
	h2o_linklist_insert_list(&todo, &waiting_calls);
	while (!h2o_linklist_is_empty(&todo)) {
		struct web_lua_call *call = H2O_STRUCT_FROM_MEMBER(
		    struct web_lua_call, waiting, todo.next);
		h2o_linklist_unlink(&call->waiting);
		if (now_ms() >= call->deadline_ms)
			call_finish(call, NULL, 0, IPC_ERR_UNAVAILABLE,
			    "no lua worker accepts connections");
		else
			call_send(call);
	}
}

int
web_lua_links_init(h2o_evloop_t *l, const struct web_config *cfg)
{
	loop = l;
	timeout_ms = cfg->lua_timeout_ms;
	for (int i = 0; i < cfg->n_lua_sockets; i++) {
		const char *url = cfg->lua_sockets[i];
		if (strncmp(url, "unix://", 7) != 0 ||
		    strlen(url + 7) == 0 ||
		    strlen(url + 7) >= sizeof peers[0]) {
			log_error("--lua-socket %s: want unix://PATH", url);
			return -1;
		}
		snprintf(peers[n_peers++], sizeof peers[0], "%s", url + 7);
	}
	h2o_timeout_init(loop, &retry_timeout, RETRY_MS);
	retry_entry.cb = on_retry;
	return 0;
}

struct web_lua_call *
web_lua_call(const struct ipc_writer *w, web_lua_done_fn done, void *arg)
{
	if (n_peers == 0 || w->sb.size == 0 || w->sb.size > IPC_MAX_MESSAGE)
		return NULL;
	struct web_lua_call *call = calloc(1, sizeof *call);
	if (call == NULL ||
	    (call->frame = malloc(FRAME_HEADER + w->sb.size)) == NULL) {
		free(call);
		return NULL;
	}
	uint32_t n = (uint32_t)w->sb.size;
	call->frame[0] = (uint8_t)(n >> 24);
	call->frame[1] = (uint8_t)(n >> 16);
	call->frame[2] = (uint8_t)(n >> 8);
	call->frame[3] = (uint8_t)n;
	memcpy(call->frame + FRAME_HEADER, w->sb.data, w->sb.size);
	call->frame_len = FRAME_HEADER + w->sb.size;
	call->deadline_ms = now_ms() + (uint64_t)timeout_ms;
	call->avoid_peer = -1;
	call->done = done;
	call->arg = arg;
	call_send(call);
	return call;
}

void
web_lua_call_cancel(struct web_lua_call *call)
{
	if (call->link != NULL) {
		/* its answer must not reach a later call: the link goes */
		call->link->call = NULL;
		link_close(call->link, false, NULL);
	} else {
		h2o_linklist_unlink(&call->waiting);
	}
	free(call->frame);
	free(call);
}

/* Every call in flight or waiting completes, with an error. */
void
web_lua_links_shutdown(void)
{
	while (!h2o_linklist_is_empty(&all_links))
		link_close(H2O_STRUCT_FROM_MEMBER(struct lua_link, all,
		    all_links.next), false, "frontend stopping");
	while (!h2o_linklist_is_empty(&waiting_calls)) {
		struct web_lua_call *call = H2O_STRUCT_FROM_MEMBER(
		    struct web_lua_call, waiting, waiting_calls.next);
		h2o_linklist_unlink(&call->waiting);
		call_finish(call, NULL, 0, IPC_ERR_UNAVAILABLE,
		    "frontend stopping");
	}
	if (h2o_timeout_is_linked(&retry_entry))
		h2o_timeout_unlink(&retry_entry);
}
