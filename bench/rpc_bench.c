/* rpc_bench: round-trip latency of capture-worker RPCs, over the same
 * ipc/ client the Lua workers use (ipc_call on an NNG REQ socket).
 *
 *   rpc_bench URL stats N            N x getStats back to back
 *   rpc_bench URL flows N GAP_MS     N x getFlowsInfo{perPage=100},
 *                                    GAP_MS between calls
 *   rpc_bench URL wait-flows MIN     waits until the table has MIN flows
 *                                    (or ingestion is complete)
 *   rpc_bench URL wait-complete      waits until ingestion is complete
 *   rpc_bench URL counters           prints "packets drops flows"
 *   rpc_bench URL call METHOD N      N x METHOD without arguments
 *   rpc_bench URL call METHOD N ARG  N x METHOD with one argument: "true",
 *                                    or "key=value" for {key = "value"}
 *                                    (getInterfaceHosts true,
 *                                    getGroupedFlows group_by=client)
 *
 * "stats"/"flows" may be suffixed by "-ingest" to stop as soon as
 * ingestion is complete (the "during ingestion" figures). Each series
 * stops after MAX_SECONDS. Latencies are printed as
 * "n p50_us p99_us max_us". */
#include "rpc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SECONDS 20

static struct ipc_client cli;
static const char *call_arg; /* "true" or "key=value", else none */

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One call; returns the decoded reply in rp (caller frees) or exits. */
static void
call(const char *method, bool flows_args, struct ipc_reply *rp)
{
	struct ipc_writer w;
	char err[256];
	uint64_t id = ipc_client_next_id(&cli);
	int rc;

	ipc_writer_init(&w);
	ipc_request_begin(&w, id, method, flows_args || call_arg ? 1 : 0);
	if (call_arg && strcmp(call_arg, "true") == 0)
		msgpack_pack_true(&w.pk);
	else if (call_arg) {
		const char *eq = strchr(call_arg, '=');
		char key[64];
		snprintf(key, sizeof key, "%.*s",
		    eq ? (int)(eq - call_arg) : 0, call_arg);
		msgpack_pack_map(&w.pk, 1);
		ipc_pack_kv_str(&w.pk, key, eq ? eq + 1 : "");
	}
	if (flows_args) {
		msgpack_pack_map(&w.pk, 3);
		ipc_pack_kv_i64(&w.pk, "perPage", 100);
		ipc_pack_kv_i64(&w.pk, "currentPage", 1);
		ipc_pack_kv_str(&w.pk, "sortColumn", "bytes");
	}
	ipc_request_end(&w, NULL);
	rc = ipc_call(&cli, &w, id, rp, err, sizeof err);
	ipc_writer_free(&w);
	if (rc != 0 || rp->status != IPC_OK) {
		fprintf(stderr, "rpc_bench: %s: %s\n", method,
		    rc ? err : rp->error);
		exit(1);
	}
}

static uint64_t
map_u64(const msgpack_object *m, const char *key)
{
	const msgpack_object *o = m ? ipc_map_get(m, key) : NULL;
	int64_t v = 0;

	if (o == NULL || !ipc_obj_i64(o, &v))
		return 0;
	return (uint64_t)v;
}

struct counters {
	uint64_t packets, drops, flows;
	bool complete;
};

static struct counters
get_counters(void)
{
	struct ipc_reply rp;
	struct counters c = { 0 };
	const msgpack_object *ing;

	call("getStats", false, &rp);
	c.packets = map_u64(rp.result, "packets");
	c.drops = map_u64(rp.result, "drops");
	c.flows = map_u64(rp.result, "numFlows");
	ing = ipc_map_get(rp.result, "ingestion");
	if (ing) {
		const msgpack_object *o = ipc_map_get(ing, "complete");
		if (o)
			ipc_obj_bool(o, &c.complete);
	}
	ipc_reply_free(&rp);
	return c;
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(double *lat, size_t n)
{
	if (n == 0) {
		printf("0 0 0 0\n");
		return;
	}
	qsort(lat, n, sizeof *lat, cmp_dbl);
	printf("%zu %.1f %.1f %.1f\n", n, lat[(n - 1) / 2],
	    lat[(size_t)((double)(n - 1) * 0.99)], lat[n - 1]);
}

static void
latency(const char *method, bool flows_args, long n, int gap_ms,
    bool while_ingesting)
{
	double *lat = calloc((size_t)n, sizeof *lat);
	struct ipc_reply rp;
	long i;

	if (lat == NULL)
		exit(1);
	double end = now_us() + MAX_SECONDS * 1e6;

	for (i = 0; i < n; i++) {
		if (while_ingesting && i % 16 == 0 && get_counters().complete)
			break;
		if (i % 16 == 0 && now_us() > end)
			break; /* bounded in time whatever the latency */
		double t0 = now_us();
		call(method, flows_args, &rp);
		lat[i] = now_us() - t0;
		ipc_reply_free(&rp);
		if (gap_ms > 0)
			sleep_ms(gap_ms);
	}
	report(lat, (size_t)i);
	free(lat);
}

int
main(int argc, char **argv)
{
	const char *mode;
	bool ingest;

	if (argc < 3) {
		fprintf(stderr, "usage: see the comment in rpc_bench.c\n");
		return 2;
	}
	if (ipc_client_open(&cli, 30000) != 0 ||
	    ipc_client_dial(&cli, argv[1]) != 0) {
		fprintf(stderr, "rpc_bench: cannot dial %s\n", argv[1]);
		return 1;
	}
	mode = argv[2];
	ingest = strstr(mode, "-ingest") != NULL;
	if (strncmp(mode, "stats", 5) == 0 && argc == 4)
		latency("getStats", false, atol(argv[3]), 0, ingest);
	else if (strncmp(mode, "flows", 5) == 0 && argc == 5)
		latency("getFlowsInfo", true, atol(argv[3]), atoi(argv[4]),
		    ingest);
	else if (strcmp(mode, "call") == 0 && (argc == 5 || argc == 6)) {
		if (argc == 6)
			call_arg = argv[5];
		latency(argv[3], false, atol(argv[4]), 0, false);
		call_arg = NULL;
	}
	else if (strcmp(mode, "wait-flows") == 0 && argc == 4) {
		uint64_t min = strtoull(argv[3], NULL, 10);
		for (;;) {
			struct counters c = get_counters();
			if (c.complete || c.flows >= min)
				break;
			sleep_ms(2);
		}
	} else if (strcmp(mode, "wait-complete") == 0) {
		while (!get_counters().complete)
			sleep_ms(20);
	} else if (strcmp(mode, "counters") == 0) {
		struct counters c = get_counters();
		printf("%llu %llu %llu\n", (unsigned long long)c.packets,
		    (unsigned long long)c.drops, (unsigned long long)c.flows);
	} else {
		fprintf(stderr, "rpc_bench: bad arguments\n");
		return 2;
	}
	ipc_client_close(&cli);
	return 0;
}
