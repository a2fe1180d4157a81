/* A stand-in Lua worker for testing netward-web: serves the "http" method
 * on a REP socket and answers with a JSON echo of what it received, so a
 * test can see exactly what the frontend forwarded (and, through the log
 * file, whether a request reached a worker at all).
 *
 *   fake-lua-worker URL [LOGFILE]
 *
 * Special paths: /lua/sleep.lua answers after 5 s; /lua/status.lua?code=N
 * answers with status N; /lua/headers.lua returns extra headers, some of
 * which the frontend must drop. */
#include "envelope.h"
#include "log.h"
#include "rpc.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static FILE *seen_log;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

struct buf {
	char *p;
	size_t n, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
json_kv(struct buf *b, const char *key, const char *s, size_t n, bool last)
{
	char tmp[8];
	buf_add(b, "\"", 1);
	buf_add(b, key, strlen(key));
	buf_add(b, "\":\"", 3);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			buf_add(b, tmp, 2);
		} else if (c < 0x20) {
			snprintf(tmp, sizeof tmp, "\\u%04x", c);
			buf_add(b, tmp, 6);
		} else {
			buf_add(b, (const char *)&c, 1);
		}
	}
	buf_add(b, last ? "\"" : "\",", last ? 1 : 2);
}

static void
handle(const struct ipc_request *rq, struct ipc_writer *w, void *arg)
{
	const char *a[5];
	size_t n[5];

	if (strcmp(rq->method, "http") != 0) {
		ipc_reply_error(w, rq->id, IPC_ERR_UNKNOWN_METHOD, "%s",
		    rq->method);
		return;
	}
	if (rq->nargs != 5) {
		ipc_reply_error(w, rq->id, IPC_ERR_BAD_REQUEST, "5 args");
		return;
	}
	for (int i = 0; i < 5; i++) {
		if (!ipc_obj_str(&rq->args[i], &a[i], &n[i])) {
			ipc_reply_error(w, rq->id, IPC_ERR_BAD_REQUEST,
			    "arg %d is not a string", i);
			return;
		}
	}
	pthread_mutex_lock(&seen_lock);
	if (seen_log != NULL) {
		fprintf(seen_log, "%.*s %.*s\n", (int)n[0], a[0], (int)n[1],
		    a[1]);
		fflush(seen_log);
	}
	pthread_mutex_unlock(&seen_lock);

	int status = 200;
	bool extra_headers = false;
	if (n[1] == 14 && memcmp(a[1], "/lua/sleep.lua", 14) == 0)
		sleep(5);
	if (n[1] == 15 && memcmp(a[1], "/lua/status.lua", 15) == 0 &&
	    n[2] > 5 && memcmp(a[2], "code=", 5) == 0)
		status = atoi(a[2] + 5);
	if (n[1] == 16 && memcmp(a[1], "/lua/headers.lua", 16) == 0)
		extra_headers = true;

	char rid[32];
	snprintf(rid, sizeof rid, "%llu",
	    (unsigned long long)rq->ctx.request_id);
	struct buf b = {0};
	buf_add(&b, "{", 1);
	json_kv(&b, "method", a[0], n[0], false);
	json_kv(&b, "path", a[1], n[1], false);
	json_kv(&b, "query", a[2], n[2], false);
	json_kv(&b, "body", a[3], n[3], false);
	json_kv(&b, "content_type", a[4], n[4], false);
	json_kv(&b, "user", rq->ctx.user, strlen(rq->ctx.user), false);
	json_kv(&b, "group", rq->ctx.group, strlen(rq->ctx.group), false);
	json_kv(&b, "allowed_nets", rq->ctx.allowed_nets,
	    strlen(rq->ctx.allowed_nets), false);
	json_kv(&b, "allowed_ifname", rq->ctx.allowed_ifname,
	    strlen(rq->ctx.allowed_ifname), false);
	json_kv(&b, "remote_addr", rq->ctx.remote_addr,
	    strlen(rq->ctx.remote_addr), false);
	json_kv(&b, "request_id", rid, strlen(rid), true);
	buf_add(&b, "}", 1);

	ipc_reply_begin(w, rq->id);
	msgpack_pack_map(&w->pk, extra_headers ? 4 : 3);
	ipc_pack_kv_i64(&w->pk, "status", status);
	ipc_pack_kv_str(&w->pk, "content_type", "application/json");
	ipc_pack_key(&w->pk, "body");
	ipc_pack_strn(&w->pk, b.p, b.n);
	if (extra_headers) {
		ipc_pack_key(&w->pk, "headers");
		msgpack_pack_map(&w->pk, 4);
		ipc_pack_kv_str(&w->pk, "X-Test", "yes");
		ipc_pack_kv_str(&w->pk, "Set-Cookie", "session=planted");
		ipc_pack_kv_str(&w->pk, "X-Split", "a\r\nInjected: 1");
		ipc_pack_kv_str(&w->pk, "Content-Length", "1");
	}
	free(b.p);
}

int
main(int argc, char **argv)
{
	struct ipc_server server;
	sigset_t set;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: fake-lua-worker URL [LOGFILE]\n");
		return 2;
	}
	log_init("fake-lua-worker", LOG_LVL_INFO);
	if (argc == 3 && (seen_log = fopen(argv[2], "a")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	/* Block the stop signals in every thread; main waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	int rv = ipc_server_start(&server, argv[1], 4, handle, NULL);
	if (rv != 0) {
		fprintf(stderr, "listen %s: %s\n", argv[1], nng_strerror(rv));
		return 1;
	}
	fprintf(stderr, "fake-lua-worker: serving %s\n", argv[1]);
	int sig;
	sigwait(&set, &sig);
	ipc_server_stop(&server);
	if (seen_log != NULL)
		fclose(seen_log);
	return 0;
}
