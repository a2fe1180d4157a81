/* Listings taken while flows and hosts are added and purged.
 *
 *   test-listing-churn PATH/TO/netward-capture
 *
 * Writes a capture of waves of short UDP flows, one wave per second of
 * packet time, each from new client addresses, and has netward-capture
 * read it with a 2 s idle timeout: while it reads, flows and hosts are
 * created, the tables grow, and idle ones are purged, every second of
 * packet time. Meanwhile the listings that walk the tables in slices
 * (getFlowsInfo, getBatchedFlowsInfo, getHostsInfo, getFlowsStats,
 * getGroupedFlows, getActiveFlowsStats, getVLANsList, getScore,
 * findFlowByKeyAndHashId) are
 * called again and again; every answer must be well formed, list each
 * flow or host once, keep hash_entry_id order where it was asked for,
 * and the worker must exit cleanly (a sanitizer build aborts on a use
 * after free). No timing is measured. */
#define _GNU_SOURCE
#include "envelope.h"
#include "rpc.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAVES 80
#define FLOWS_PER_WAVE 8000
#define MAX_SECONDS 240
#define PER_PAGE 5000

static struct ipc_client cli;
static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			failures++;                                        \
		}                                                          \
	} while (0)

/* ---- the capture ----------------------------------------------------- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
write_packet(FILE *f, uint32_t sec, uint32_t usec, uint32_t src,
    uint16_t sport, uint32_t dst, uint16_t dport, size_t payload)
{
	uint8_t pkt[14 + 20 + 8 + 64] = { 0 };
	size_t len = 14 + 20 + 8 + payload;
	uint32_t rec[4] = { sec, usec, (uint32_t)len, (uint32_t)len };

	memcpy(pkt, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00", 14);
	uint8_t *ip = pkt + 14;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + payload));
	ip[8] = 64;
	ip[9] = 17;
	for (int i = 0; i < 4; i++) {
		ip[12 + i] = (uint8_t)(src >> (24 - 8 * i));
		ip[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(ip + 10, (uint16_t)~sum);
	uint8_t *udp = ip + 20;
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + payload));
	memset(udp + 8, 'x', payload);
	fwrite(rec, sizeof rec, 1, f);
	fwrite(pkt, len, 1, f);
}

static void
write_capture(const char *path)
{
	FILE *f = fopen(path, "wb");
	uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fwrite(hdr, sizeof hdr, 1, f);
	for (uint32_t w = 0; w < WAVES; w++)
		for (uint32_t i = 0; i < FLOWS_PER_WAVE; i++) {
			/* a new client per flow and wave, a few servers */
			uint32_t src = 0x0a000000u | (w << 16) | i;
			uint32_t dst = 0xc0a80001u + (i % 8);
			uint32_t us = i * (1000000 / FLOWS_PER_WAVE);
			uint16_t sp = (uint16_t)(10000 + i % 50000);
			write_packet(f, 1700000000 + w, us, src, sp, dst, 5000,
			    16 + i % 32);
			if (i % 3)
				write_packet(f, 1700000000 + w, us + 1, dst,
				    5000, src, sp, 24);
		}
	if (fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

/* ---- calls ------------------------------------------------------------- */

struct kv {
	const char *key;
	const char *s; /* a string, or NULL for n */
	int64_t n;
};

/* method(args): args is NULL (no argument), a params table of kvs, or,
 * with nint > 0, nint integers then that table. Returns the status;
 * rp holds the reply (freed by the caller). */
static int
call(const char *method, const int64_t *ints, int nint, const struct kv *kv,
    int nkv, struct ipc_reply *rp)
{
	struct ipc_writer w;
	char err[256];
	uint64_t id = ipc_client_next_id(&cli);

	ipc_writer_init(&w);
	ipc_request_begin(&w, id, method, (uint32_t)(nint + (kv ? 1 : 0)));
	for (int i = 0; i < nint; i++)
		msgpack_pack_int64(&w.pk, ints[i]);
	if (kv) {
		msgpack_pack_map(&w.pk, (uint32_t)nkv);
		for (int i = 0; i < nkv; i++)
			if (kv[i].s)
				ipc_pack_kv_str(&w.pk, kv[i].key, kv[i].s);
			else
				ipc_pack_kv_i64(&w.pk, kv[i].key, kv[i].n);
	}
	ipc_request_end(&w, NULL);
	int rc = ipc_call(&cli, &w, id, rp, err, sizeof err);
	ipc_writer_free(&w);
	if (rc != 0) {
		fprintf(stderr, "FAIL %s: no reply: %s\n", method, err);
		exit(1); /* the worker died */
	}
	return rp->status;
}

static bool
get_i64(const msgpack_object *m, const char *key, int64_t *v)
{
	const msgpack_object *o = m ? ipc_map_get(m, key) : NULL;
	return o && ipc_obj_i64(o, v);
}

static bool
get_str(const msgpack_object *m, const char *key, char *buf, size_t len)
{
	const msgpack_object *o = m ? ipc_map_get(m, key) : NULL;
	return o && ipc_obj_strcpy(o, buf, len);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Checks a "flows" array; stores one hash_entry_id / ntopng.key pair
 * for findFlowByKeyAndHashId. */
static void
check_flows(const char *what, const msgpack_object *res, bool id_order,
    int64_t *one_id, int64_t *one_key)
{
	const msgpack_object *fl = ipc_map_get(res, "flows");
	int64_t total = -1;

	CHECK(get_i64(res, "numFlows", &total) && total >= 0,
	    "%s: numFlows", what);
	CHECK(fl && fl->type == MSGPACK_OBJECT_ARRAY, "%s: flows", what);
	if (fl == NULL || fl->type != MSGPACK_OBJECT_ARRAY)
		return;
	uint32_t n = fl->via.array.size;
	int64_t *ids = calloc(n + 1, sizeof *ids);
	CHECK(n <= PER_PAGE, "%s: %u flows in a page", what, n);
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *f = &fl->via.array.ptr[i];
		char ip[64];
		int64_t id = 0, b = -1, c2s = -1, s2c = -1, key = 0;
		CHECK(f->type == MSGPACK_OBJECT_MAP, "%s: flow %u", what, i);
		CHECK(get_str(f, "cli.ip", ip, sizeof ip) &&
			strncmp(ip, "10.", 3) == 0, "%s: cli.ip", what);
		CHECK(get_str(f, "srv.ip", ip, sizeof ip) &&
			strncmp(ip, "192.168.0.", 10) == 0, "%s: srv.ip %s",
		    what, ip);
		CHECK(get_i64(f, "hash_entry_id", &id) && id > 0,
		    "%s: hash_entry_id", what);
		CHECK(get_i64(f, "ntopng.key", &key), "%s: key", what);
		CHECK(get_i64(f, "bytes", &b) &&
			get_i64(f, "cli2srv.bytes", &c2s) &&
			get_i64(f, "srv2cli.bytes", &s2c) && b == c2s + s2c &&
			b > 0, "%s: bytes %lld != %lld + %lld", what,
		    (long long)b, (long long)c2s, (long long)s2c);
		CHECK(!id_order || i == 0 || id > ids[i - 1],
		    "%s: hash_entry_id %lld after %lld", what, (long long)id,
		    (long long)ids[i - 1]);
		ids[i] = id;
		if (i == n / 2) {
			*one_id = id;
			*one_key = key;
		}
	}
	qsort(ids, n, sizeof *ids, cmp_i64);
	for (uint32_t i = 1; i < n; i++)
		CHECK(ids[i] != ids[i - 1], "%s: flow %lld listed twice", what,
		    (long long)ids[i]);
	free(ids);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
check_hosts(const char *what, const msgpack_object *res)
{
	const msgpack_object *hs = ipc_map_get(res, "hosts");
	int64_t total;

	CHECK(get_i64(res, "numHosts", &total), "%s: numHosts", what);
	CHECK(hs && hs->type == MSGPACK_OBJECT_MAP, "%s: hosts", what);
	if (hs == NULL || hs->type != MSGPACK_OBJECT_MAP)
		return;
	uint32_t n = hs->via.map.size;
	char **keys = calloc(n + 1, sizeof *keys);
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object_kv *e = &hs->via.map.ptr[i];
		char ip[64];
		keys[i] = calloc(1, 64);
		CHECK(ipc_obj_strcpy(&e->key, keys[i], 64), "%s: key", what);
		CHECK(e->val.type == MSGPACK_OBJECT_MAP &&
			get_str(&e->val, "ip", ip, sizeof ip) &&
			strcmp(ip, keys[i]) == 0, "%s: host %s", what,
		    keys[i]);
	}
	qsort(keys, n, sizeof *keys, cmp_str);
	for (uint32_t i = 0; i < n; i++) {
		CHECK(i == 0 || strcmp(keys[i], keys[i - 1]) != 0,
		    "%s: host %s listed twice", what, keys[i]);
	}
	for (uint32_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* One round of every listing; returns whether ingestion was complete
 * before it began. */
static bool
round_of_listings(void)
{
	static const char *const sorts[] = { "bytes", "client",
		"hash_entry_id" };
	struct ipc_reply rp;
	int64_t one_id = 0, one_key = 0, v;
	bool complete = false;
	char what[96];

	CHECK(call("getStats", NULL, 0, NULL, 0, &rp) == IPC_OK, "getStats");
	const msgpack_object *ing = ipc_map_get(rp.result, "ingestion");
	const msgpack_object *o = ing ? ipc_map_get(ing, "complete") : NULL;
	if (o)
		ipc_obj_bool(o, &complete);
	ipc_reply_free(&rp);

	for (size_t s = 0; s < sizeof sorts / sizeof sorts[0]; s++)
		for (int page = 1; page <= 2; page++) {
			struct kv kv[] = { { "perPage", NULL, PER_PAGE },
				{ "currentPage", NULL, page },
				{ "sortColumn", sorts[s], 0 },
				{ "sortOrder", "asc", 0 } };
			snprintf(what, sizeof what, "getFlowsInfo %s page %d",
			    sorts[s], page);
			CHECK(call("getFlowsInfo", NULL, 0, kv, 4, &rp) ==
				IPC_OK, "%s: status", what);
			check_flows(what, rp.result,
			    strcmp(sorts[s], "hash_entry_id") == 0, &one_id,
			    &one_key);
			ipc_reply_free(&rp);
		}
	int64_t batch[2] = { 0, 5000 };
	CHECK(call("getBatchedFlowsInfo", batch, 2, NULL, 0, &rp) == IPC_OK,
	    "getBatchedFlowsInfo");
	check_flows("getBatchedFlowsInfo", rp.result, true, &one_id,
	    &one_key);
	ipc_reply_free(&rp);

	for (int page = 1; page <= 2; page++) {
		struct kv kv[] = { { "perPage", NULL, PER_PAGE },
			{ "currentPage", NULL, page },
			{ "sortColumn", page == 2 ? "ip" : "bytes", 0 } };
		snprintf(what, sizeof what, "getHostsInfo page %d", page);
		CHECK(call("getHostsInfo", NULL, 0, kv, 3, &rp) == IPC_OK,
		    "%s: status", what);
		check_hosts(what, rp.result);
		ipc_reply_free(&rp);
	}

	CHECK(call("getFlowsStats", NULL, 0, NULL, 0, &rp) == IPC_OK &&
		get_i64(rp.result, "num_flows", &v) &&
		ipc_map_get(rp.result, "l4_protos"), "getFlowsStats");
	ipc_reply_free(&rp);
	struct kv g[] = { { "group_by", "l4proto", 0 } };
	CHECK(call("getGroupedFlows", NULL, 0, g, 1, &rp) == IPC_OK &&
		get_i64(rp.result, "numGroups", &v) && v <= 1,
	    "getGroupedFlows");
	ipc_reply_free(&rp);
	CHECK(call("getActiveFlowsStats", NULL, 0, NULL, 0, &rp) == IPC_OK &&
		get_i64(rp.result, "num_flows", &v), "getActiveFlowsStats");
	ipc_reply_free(&rp);
	/* hosts, then flows, in slices (rpc_geo.c): every flow is on VLAN 0 */
	CHECK(call("getVLANsList", NULL, 0, NULL, 0, &rp) == IPC_OK &&
		rp.result->type == MSGPACK_OBJECT_ARRAY &&
		rp.result->via.array.size <= 1, "getVLANsList");
	ipc_reply_free(&rp);
	CHECK(call("getScore", NULL, 0, NULL, 0, &rp) == IPC_OK &&
		get_i64(rp.result, "num_hosts", &v), "getScore");
	ipc_reply_free(&rp);
	if (one_id) {
		int64_t k[2] = { one_key, one_id };
		int st = call("findFlowByKeyAndHashId", k, 2, NULL, 0, &rp);
		CHECK(st == IPC_OK || st == IPC_ERR_NOT_FOUND,
		    "findFlowByKeyAndHashId: status %d", st);
		if (st == IPC_OK)
			CHECK(get_i64(rp.result, "hash_entry_id", &v) &&
				v == one_id, "findFlowByKeyAndHashId: another flow");
		ipc_reply_free(&rp);
	}
	return complete;
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/netward-churn-XXXXXX", pcap[64], url[96];
	int status, during = 0, rounds = 0;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: %s NETWARD-CAPTURE\n", argv[0]);
		return 2;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(pcap, sizeof pcap, "%s/churn.pcap", dir);
	snprintf(url, sizeof url, "ipc://%s/capture.sock", dir);
	write_capture(pcap);

	if ((pid = fork()) == 0) {
		execl(argv[1], argv[1], "--pcap-file", pcap, "--socket", url,
		    "--idle-timeout", "2", "--rpc-threads", "2", (char *)NULL);
		perror(argv[1]);
		_exit(127);
	}
	if (ipc_client_open(&cli, 60000) != 0 ||
	    ipc_client_dial(&cli, url) != 0) {
		fprintf(stderr, "cannot dial %s\n", url);
		kill(pid, SIGKILL);
		return 1;
	}
	time_t end = time(NULL) + MAX_SECONDS;
	while (time(NULL) < end) {
		bool complete = round_of_listings();
		rounds++;
		if (complete)
			break;
		during++;
	}
	ipc_client_close(&cli);
	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "FAIL netward-capture exited with status "
		    "0x%x\n", status);
		failures++;
	}
	printf("%d rounds of listings, %d during ingestion, %d failures\n",
	    rounds, during, failures);
	unlink(pcap);
	rmdir(dir);
	return failures ? 1 : 0;
}
