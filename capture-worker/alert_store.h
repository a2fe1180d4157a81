/* The interface's alert store: SQLite in the capture worker's own data
 * dir (DATA/capture-N/alerts.db, WAL, synchronous=FULL so a committed
 * alert survives kill -9 and power loss), or in memory when the worker
 * runs without --data-dir (tests, bench).
 *
 * Flow alerts come from flow_checks.c's queue; a writer thread drains it
 * every ALERT_FLUSH_MS in one transaction. One flow gives one alert
 * (INSERT OR IGNORE on the flow's key and first packet time), so a
 * restarted worker re-reading its pcap adds nothing twice. */
#ifndef NETWARD_CAPTURE_ALERT_STORE_H
#define NETWARD_CAPTURE_ALERT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct msgpack_packer;
struct localnets;

/* Opens (creates) the store; path NULL = in memory. 0 or -1. */
int as_open(const char *path, int ifid);
/* Starts the writer thread. */
int as_start(void);
/* Flushes what is queued and closes. */
void as_close(void);

struct as_query {
	int64_t alert_id, severity, entity; /* -1 = any */
	char status[8];	      /* "" any, "engaged", "past" */
	char entity_val[64];  /* "" any: cli or srv ip for flows */
	int64_t page, per_page;
	bool asc;	      /* by tstamp */
	/* the caller's allowed networks; NULL = all */
	const struct localnets *nets;
};

/* Packs {records = [...], totalRows = N} of the flow alerts matching q.
 * Returns false with a message on a database error. */
bool as_query_flow_alerts(const struct as_query *q, struct msgpack_packer *pk,
    char *err, size_t errlen);
uint64_t as_count(void);

#endif
