/* Health checks (Varnish's manager pings its child): every worker with an
 * RPC socket is pinged every PING_EVERY_MS; one that has not answered for
 * HUNG_MS, once past its start-up grace, is hung (a deadlock, a stopped
 * process, a loop that never returns) and is killed with SIGKILL, which
 * the normal restart path then handles. The pings are asynchronous: their
 * completions run on NNG threads and only store a timestamp. */
#define _GNU_SOURCE
#include "supervisor.h"
#include "log.h"
#include "rpc.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define PING_EVERY_MS 1000
#define PING_TIMEOUT_MS 2000
#define HUNG_MS 5000
#define START_GRACE_MS 10000

struct sv_health {
	struct ipc_client client;
	bool open;
};

static void
on_pong(void *arg, nng_msg *msg, int status, const char *err)
{
	struct sv_child *c = arg;
	(void)err;
	if (msg != NULL) {
		struct ipc_reply rp;
		char e[128];
		size_t len = nng_msg_len(msg);
		void *copy = malloc(len ? len : 1);
		if (copy != NULL) {
			memcpy(copy, nng_msg_body(msg), len);
			if (ipc_reply_decode(&rp, copy, len, e, sizeof e) ==
			    IPC_OK && rp.status == IPC_OK)
				atomic_store(&c->last_pong_ms, sv_now_ms());
			rp.owned = copy; /* freed with the reply */
			ipc_reply_free(&rp);
		}
		nng_msg_free(msg);
	}
	(void)status;
	atomic_store(&c->ping_in_flight, false);
}

static void
send_ping(struct sv_child *c, uint64_t now)
{
	if (c->health == NULL) {
		c->health = calloc(1, sizeof *c->health);
		if (c->health == NULL)
			return;
	}
	struct sv_health *h = c->health;
	if (!h->open) {
		if (ipc_client_open(&h->client, PING_TIMEOUT_MS) != 0)
			return;
		if (ipc_client_dial(&h->client, c->rpc_url) != 0) {
			ipc_client_close(&h->client);
			return;
		}
		h->open = true;
	}
	struct ipc_writer w;
	struct ipc_ctx ctx = {0};
	snprintf(ctx.user, sizeof ctx.user, "netward");
	snprintf(ctx.group, sizeof ctx.group, "system");
	ipc_writer_init(&w);
	ipc_request_begin(&w, ipc_client_next_id(&h->client), "ping", 0);
	ipc_request_end(&w, &ctx);
	atomic_store(&c->ping_in_flight, true);
	c->last_ping_ms = now;
	if (ipc_call_async(&h->client, &w, on_pong, c) != 0)
		atomic_store(&c->ping_in_flight, false);
	ipc_writer_free(&w);
}

void
sv_health_check(struct sv_child *c, uint64_t now)
{
	if (c->pid <= 0 || c->rpc_url[0] == '\0')
		return;
	uint64_t alive = atomic_load(&c->last_pong_ms);
	if (alive < c->started_ms)
		alive = c->started_ms;
	if (now >= c->started_ms + START_GRACE_MS && now > alive + HUNG_MS &&
	    !c->hung) {
		log_error("%s: no answer to ping for %llu ms: hung, killing "
		    "pid %d", c->name, (unsigned long long)(now - alive),
		    (int)c->pid);
		c->hung = true;
		kill(c->pid, SIGKILL);
		return;
	}
	if (!atomic_load(&c->ping_in_flight) &&
	    now >= c->last_ping_ms + PING_EVERY_MS)
		send_ping(c, now);
}

void
sv_health_close(struct sv_child *c)
{
	if (c->health != NULL && c->health->open)
		ipc_client_close(&c->health->client);
	free(c->health);
	c->health = NULL;
}
