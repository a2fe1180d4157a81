/* The interface's alert store: SQLite in the capture worker's own data
 * dir (DATA/capture-N/alerts.db, WAL, synchronous=FULL so a committed
 * alert survives kill -9 and power loss), or in memory when the worker
 * runs without --data-dir (tests, bench).
 *
 * Flow alerts come from flow_checks.c's queue and host alert events from
 * host_checks.c's; a writer thread drains both every ALERT_FLUSH_MS in
 * one transaction. One flow gives one alert (INSERT OR IGNORE on the
 * flow's key and first packet time), one host check engagement one row
 * (keyed by check, host and the packet time it engaged), so a restarted
 * worker re-reading its pcap adds nothing twice. At start, host alerts
 * a kill -9 left engaged are closed (past); re-reading the capture
 * re-engages the same rows where the condition still holds. */
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
	char entity_val[128]; /* "" any: cli or srv ip for flows, ip or
				 ip@vlan for hosts, entity_val else */
	int64_t page, per_page;
	bool asc;	      /* by tstamp */
	/* the caller's allowed networks; NULL = all */
	const struct localnets *nets;
};

/* Packs {records = [...], totalRows = N} of the alerts matching q, of
 * every table (flow_alerts, host_alerts, entity_alerts) unless q->entity
 * picks one entity, in time order. Returns false with a message on a
 * database error. */
bool as_query_alerts(const struct as_query *q, struct msgpack_packer *pk,
    char *err, size_t errlen);
uint64_t as_count(void);

/* ntop.getSystemAlertsStats: what this run wrote (flow alerts inserted,
 * host alert engage/release events applied), batches that failed and
 * were requeued, and what the store holds now per table (total and
 * engaged). false when the store is not open or a count failed. */
struct as_stats {
	uint64_t flow_written, host_events_written, failed_batches;
	uint64_t rows[3], engaged[3]; /* flow, host, entity (others) */
};
bool as_get_stats(struct as_stats *st);

/* The store's connection under its lock, for alert_lua.c (lifecycle
 * calls) and alert_sql.c (read-only queries); NULL when not open. */
struct sqlite3;
struct sqlite3 *as_lock(void);
void as_unlock(void);
int as_ifid(void);
/* What a second connection opens (a path, or an in-memory URI). */
const char *as_uri(bool *is_uri);

/* The last configuration a method received (host checks, exclusions),
 * kept as its msgpack argument in table netward_config so a restarted
 * worker applies it before reading its capture. */
struct msgpack_object;
struct msgpack_unpacked;
bool as_config_save(const char *name, const struct msgpack_object *o,
    char *err, size_t errlen);
/* false when nothing is saved or it does not unpack; free(*buf) after
 * u is no longer used */
bool as_config_load(const char *name, struct msgpack_unpacked *u,
    void **buf);

/* alert_sql.c: interface.alert_store_query / ntop.alert_store_query:
 * one read-only SELECT over the alert tables, on its own read-only
 * connection with an authorizer; at most limit rows. Packs an array of
 * rows ({column = value}); false with a message when refused. */
bool as_sql_query(const char *sql, size_t len, int64_t limit,
    struct msgpack_packer *pk, char *err, size_t errlen);
void as_sql_close(void);

#endif
