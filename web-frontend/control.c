/* The frontend's control socket, for the supervisor: "ping" answers
 * "pong" only while the h2o event loop turns (a stuck loop with live NNG
 * threads must look hung), and, in test builds, "__test_escape". */
#include "web.h"

#include "log.h"
#ifdef NETWARD_TEST_HOOKS
#include "escape.h"
#endif

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define LOOP_STALE_S 10

static struct ipc_server control;
static bool control_running;
static _Atomic long long loop_tick;

static long long
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

void
web_control_tick(void)
{
	atomic_store(&loop_tick, now_s());
}

static void
handle(const struct ipc_request *rq, struct ipc_writer *w, void *arg)
{
	(void)arg;
#ifdef NETWARD_TEST_HOOKS
	if (nw_test_escape(rq, w))
		return;
#endif
	if (strcmp(rq->method, "ping") != 0) {
		ipc_reply_error(w, rq->id, IPC_ERR_UNKNOWN_METHOD,
		    "unknown method %s", rq->method);
		return;
	}
	long long age = now_s() - atomic_load(&loop_tick);
	if (age > LOOP_STALE_S) {
		ipc_reply_error(w, rq->id, IPC_ERR_UNAVAILABLE,
		    "event loop idle for %lld s", age);
		return;
	}
	ipc_reply_begin(w, rq->id);
	ipc_pack_str(&w->pk, "pong");
}

int
web_control_listen(const char *url)
{
	web_control_tick();
	int rv = ipc_server_listen(&control, url, 1, handle, NULL);
	if (rv != 0) {
		log_error("control socket %s: %s", url, nng_strerror(rv));
		return -1;
	}
	control_running = true;
	return 0;
}

void
web_control_serve(void)
{
	if (control_running)
		ipc_server_serve(&control);
}

void
web_control_stop(void)
{
	if (control_running)
		ipc_server_stop(&control);
	control_running = false;
}
