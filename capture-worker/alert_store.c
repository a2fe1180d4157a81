/* See alert_store.h. Column names follow ntopng's flow_alerts table. */
#include "alert_store.h"

#include "addr.h"
#include "envelope.h"
#include "alert_internal.h"
#include "flow_checks.h"
#include "flow_risk.h"
#include "host_checks.h"
#include "log.h"

#include <msgpack.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ALERT_FLUSH_MS 250
#define BATCH 512

static sqlite3 *db;
static sqlite3_stmt *ins, *host_engage, *host_release;
static char db_uri[4200]; /* what as_sql_query opens read-only */
static bool db_is_uri;
static int64_t run_id;
static pthread_mutex_t dblock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t writer;
static bool running;
static volatile bool stop;
static int store_ifid;
static uint64_t rows;
/* this run's writes (as_get_stats), under dblock */
static uint64_t flow_written, host_written, failed_batches;

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS flow_alerts ("
    " rowid INTEGER PRIMARY KEY AUTOINCREMENT,"
    " flow_key INTEGER NOT NULL,"
    " alert_id INTEGER NOT NULL, alert_status INTEGER NOT NULL,"
    " interface_id INTEGER NOT NULL,"
    " tstamp INTEGER NOT NULL, tstamp_end INTEGER NOT NULL,"
    " first_seen INTEGER NOT NULL,"
    " severity INTEGER NOT NULL, score INTEGER NOT NULL,"
    " cli_score INTEGER NOT NULL, srv_score INTEGER NOT NULL,"
    " cli_ip TEXT NOT NULL, srv_ip TEXT NOT NULL,"
    " cli_port INTEGER NOT NULL, srv_port INTEGER NOT NULL,"
    " vlan_id INTEGER NOT NULL, proto INTEGER NOT NULL,"
    " l7_proto INTEGER NOT NULL, l7_master_proto INTEGER NOT NULL,"
    " l7_cat INTEGER NOT NULL,"
    " cli2srv_bytes INTEGER NOT NULL, srv2cli_bytes INTEGER NOT NULL,"
    " cli2srv_pkts INTEGER NOT NULL, srv2cli_pkts INTEGER NOT NULL,"
    " flow_risk_bitmap INTEGER NOT NULL, alerts_map TEXT NOT NULL,"
    " info TEXT NOT NULL,"
    " UNIQUE (flow_key, first_seen));"
    "CREATE INDEX IF NOT EXISTS flow_alerts_t ON flow_alerts(tstamp);"
    /* host checks (host_checks.c): engaged while the condition holds;
     * one row per (check, host, packet time it engaged) */
    "CREATE TABLE IF NOT EXISTS host_alerts ("
    " rowid INTEGER PRIMARY KEY AUTOINCREMENT,"
    " alert_id INTEGER NOT NULL, alert_status INTEGER NOT NULL,"
    " interface_id INTEGER NOT NULL, ip_version INTEGER NOT NULL,"
    " ip TEXT NOT NULL, vlan_id INTEGER NOT NULL,"
    " is_local INTEGER NOT NULL,"
    " is_attacker INTEGER NOT NULL, is_victim INTEGER NOT NULL,"
    " tstamp INTEGER NOT NULL, tstamp_end INTEGER NOT NULL,"
    " severity INTEGER NOT NULL, score INTEGER NOT NULL,"
    " granularity INTEGER NOT NULL, value INTEGER NOT NULL,"
    " threshold INTEGER NOT NULL, json TEXT NOT NULL,"
    " UNIQUE (alert_id, ip, vlan_id, tstamp));"
    "CREATE INDEX IF NOT EXISTS host_alerts_t ON host_alerts(tstamp);"
    /* alerts scripts raise (interface.storeTriggeredAlert & co., see
     * alert_lua.c) and the worker's own internal alerts */
    "CREATE TABLE IF NOT EXISTS entity_alerts ("
    " rowid INTEGER PRIMARY KEY AUTOINCREMENT,"
    " alert_id INTEGER NOT NULL, alert_status INTEGER NOT NULL,"
    " interface_id INTEGER NOT NULL, entity_id INTEGER NOT NULL,"
    " entity_val TEXT NOT NULL, source TEXT NOT NULL,"
    " script_key TEXT NOT NULL, subtype TEXT NOT NULL,"
    " granularity INTEGER NOT NULL,"
    " tstamp INTEGER NOT NULL, tstamp_end INTEGER NOT NULL,"
    " severity INTEGER NOT NULL, score INTEGER NOT NULL,"
    " json TEXT NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS entity_alerts_engaged ON"
    " entity_alerts(source, entity_id, entity_val, alert_id, subtype)"
    " WHERE alert_status = 1;"
    "CREATE INDEX IF NOT EXISTS entity_alerts_t ON entity_alerts(tstamp);"
    /* one row per start of the worker: a row never closed is a run that
     * ended by kill -9 or a crash (an internal alert at the next start) */
    "CREATE TABLE IF NOT EXISTS netward_config ("
    " name TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS netward_runs ("
    " rowid INTEGER PRIMARY KEY AUTOINCREMENT, started INTEGER NOT NULL,"
    " stopped INTEGER);";

static const char HOST_ENGAGE[] =
    "INSERT INTO host_alerts (alert_id, alert_status, interface_id,"
    " ip_version, ip, vlan_id, is_local, is_attacker, is_victim, tstamp,"
    " tstamp_end, severity, score, granularity, value, threshold, json)"
    " VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12,"
    " ?13, ?14, ?15) ON CONFLICT (alert_id, ip, vlan_id, tstamp) DO"
    " UPDATE SET alert_status = 1";

static const char HOST_RELEASE[] =
    "UPDATE host_alerts SET alert_status = 0, tstamp_end = ?4"
    " WHERE alert_id = ?1 AND ip = ?2 AND vlan_id = ?3"
    " AND alert_status = 1";

static const char INSERT[] =
    "INSERT OR IGNORE INTO flow_alerts (flow_key, alert_id, alert_status,"
    " interface_id, tstamp, tstamp_end, first_seen, severity, score,"
    " cli_score, srv_score, cli_ip, srv_ip, cli_port, srv_port, vlan_id,"
    " proto, l7_proto, l7_master_proto, l7_cat, cli2srv_bytes,"
    " srv2cli_bytes, cli2srv_pkts, srv2cli_pkts, flow_risk_bitmap,"
    " alerts_map, info) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
    " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23,"
    " ?24, ?25, ?26, ?27)";

/* ntopng's alert_status: 0 historical (past), 1 engaged */
#define STATUS_PAST 0

sqlite3 *
as_lock(void)
{
	pthread_mutex_lock(&dblock);
	return db;
}

void
as_unlock(void)
{
	pthread_mutex_unlock(&dblock);
}

int
as_ifid(void)
{
	return store_ifid;
}

const char *
as_uri(bool *is_uri)
{
	*is_uri = db_is_uri;
	return db_uri;
}

/* Runs one statement of the start-up sequence; false after logging. */
static bool
exec1(const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
		return true;
	log_error("alert store: %s", err ? err : sqlite3_errmsg(db));
	sqlite3_free(err);
	return false;
}

/* Closes the runs a kill -9 or a crash left open (one internal alert),
 * closes the host alerts they left engaged (re-engaged by the re-read
 * capture, same rows), and opens this run. */
static bool
start_run(void)
{
	sqlite3_stmt *st = NULL;
	int64_t open_runs = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM netward_runs"
		" WHERE stopped IS NULL", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		open_runs = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (open_runs > 0)
		ai_raise(FR_SEV_ERROR, "capture_worker_unclean_stop",
		    "the capture worker of this interface stopped without "
		    "closing its alert store (killed or crashed) and was "
		    "restarted");
	if (!exec1("UPDATE netward_runs SET stopped = -1 WHERE stopped IS"
		" NULL;"
		"UPDATE host_alerts SET alert_status = 0 WHERE"
		" alert_status = 1;"))
		return false;
	if (sqlite3_prepare_v2(db, "INSERT INTO netward_runs (started)"
		" VALUES (?1)", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	bool ok = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	run_id = sqlite3_last_insert_rowid(db);
	return ok;
}

int
as_open(const char *path, int ifid)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_FULLMUTEX;

	store_ifid = ifid;
	if (path) {
		snprintf(db_uri, sizeof db_uri, "%s", path);
		db_is_uri = false;
	} else {
		/* a named in-memory database, so that alert_store_query
		 * can open a second, read-only connection to it */
		snprintf(db_uri, sizeof db_uri,
		    "file:netward-alerts-%d-%ld?mode=memory&cache=shared",
		    ifid, (long)getpid());
		db_is_uri = true;
		flags |= SQLITE_OPEN_URI;
	}
	if (sqlite3_open_v2(db_uri, &db, flags, NULL) != SQLITE_OK) {
		log_error("alert store %s: %s", path ? path : ":memory:",
		    db ? sqlite3_errmsg(db) : "out of memory");
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	if (!exec1("PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;") ||
	    !exec1(SCHEMA))
		return -1;
	if (sqlite3_prepare_v2(db, INSERT, -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, HOST_ENGAGE, -1, &host_engage, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(db, HOST_RELEASE, -1, &host_release, NULL) !=
		SQLITE_OK) {
		log_error("alert store: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM flow_alerts", -1,
		&st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		rows = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return start_run() ? 0 : -1;
}

static bool
insert(const struct fc_alert *a)
{
	char cli[ADDR_STRLEN], srv[ADDR_STRLEN], map[17];
	int i = 1;

	snprintf(map, sizeof map, "%016llx", (unsigned long long)a->risk);
	sqlite3_reset(ins);
	sqlite3_clear_bindings(ins);
	sqlite3_bind_int64(ins, i++, (sqlite3_int64)a->flow_key);
	sqlite3_bind_int64(ins, i++, a->alert_id);
	sqlite3_bind_int64(ins, i++, STATUS_PAST);
	sqlite3_bind_int64(ins, i++, store_ifid);
	sqlite3_bind_int64(ins, i++, (sqlite3_int64)a->tstamp);
	sqlite3_bind_int64(ins, i++, (sqlite3_int64)a->tstamp);
	sqlite3_bind_int64(ins, i++, (sqlite3_int64)a->first_seen);
	sqlite3_bind_int64(ins, i++, a->severity);
	sqlite3_bind_int64(ins, i++, a->score);
	sqlite3_bind_int64(ins, i++, a->cli_score);
	sqlite3_bind_int64(ins, i++, a->srv_score);
	sqlite3_bind_text(ins, i++, addr_fmt(a->ipver, a->cli_ip, cli), -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_text(ins, i++, addr_fmt(a->ipver, a->srv_ip, srv), -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_int64(ins, i++, a->cli_port);
	sqlite3_bind_int64(ins, i++, a->srv_port);
	sqlite3_bind_int64(ins, i++, a->vlan);
	sqlite3_bind_int64(ins, i++, a->l4proto);
	sqlite3_bind_int64(ins, i++, a->l7_proto);
	sqlite3_bind_int64(ins, i++, a->l7_master_proto);
	sqlite3_bind_int64(ins, i++, a->l7_cat);
	sqlite3_bind_int64(ins, i++, (sqlite3_int64)a->cli2srv_bytes);
	sqlite3_bind_int64(ins, i++, (sqlite3_int64)a->srv2cli_bytes);
	sqlite3_bind_int64(ins, i++, (sqlite3_int64)a->cli2srv_pkts);
	sqlite3_bind_int64(ins, i++, (sqlite3_int64)a->srv2cli_pkts);
	sqlite3_bind_int64(ins, i++, (sqlite3_int64)a->risk);
	sqlite3_bind_text(ins, i++, map, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ins, i++, a->info, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(ins);
	if (rc == SQLITE_DONE && sqlite3_changes(db) > 0) {
		rows++;
		flow_written++;
	}
	return rc == SQLITE_DONE;
}

/* One engage or release of a host check. */
static bool
host_event(const struct hc_event *e)
{
	char ip[ADDR_STRLEN], json[256];
	sqlite3_stmt *st = e->engage ? host_engage : host_release;

	addr_fmt(e->ipver, e->ip, ip);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (!e->engage) {
		sqlite3_bind_int64(st, 1, hc_def(e->check)->alert_id);
		sqlite3_bind_text(st, 2, ip, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, e->vlan);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)e->tstamp_end);
		return sqlite3_step(st) == SQLITE_DONE;
	}
	snprintf(json, sizeof json, "{\"check\":\"%s\",\"value\":%llu,"
	    "\"threshold\":%llu,\"period\":%d,\"is_attacker\":%s}",
	    hc_def(e->check)->key, (unsigned long long)e->value,
	    (unsigned long long)e->threshold, HC_PERIOD_S,
	    e->attacker ? "true" : "false");
	sqlite3_bind_int64(st, 1, hc_def(e->check)->alert_id);
	sqlite3_bind_int64(st, 2, store_ifid);
	sqlite3_bind_int64(st, 3, e->ipver);
	sqlite3_bind_text(st, 4, ip, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, e->vlan);
	sqlite3_bind_int64(st, 6, e->local);
	sqlite3_bind_int64(st, 7, e->attacker);
	sqlite3_bind_int64(st, 8, e->victim);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)e->tstamp);
	sqlite3_bind_int64(st, 10, e->severity);
	sqlite3_bind_int64(st, 11, e->score);
	sqlite3_bind_int64(st, 12, HC_PERIOD_S);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)e->value);
	sqlite3_bind_int64(st, 14, (sqlite3_int64)e->threshold);
	sqlite3_bind_text(st, 15, json, -1, SQLITE_TRANSIENT);
	return sqlite3_step(st) == SQLITE_DONE;
}

/* Writes one batch of each queue in one transaction; on failure the
 * batches go back to their queues for the next round (never dropped
 * silently). */
static size_t
flush_once(void)
{
	static struct fc_alert batch[BATCH];
	static struct hc_event hbatch[BATCH];
	size_t n = fc_drain(batch, BATCH);
	size_t hn = hc_drain(hbatch, BATCH);
	bool ok = true;

	if (n == 0 && hn == 0)
		return 0;
	pthread_mutex_lock(&dblock);
	ok = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK;
	for (size_t i = 0; ok && i < n; i++)
		ok = insert(&batch[i]);
	for (size_t i = 0; ok && i < hn; i++)
		ok = host_event(&hbatch[i]);
	if (ok)
		ok = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	if (!ok) {
		log_error("alert store: %s; %zu flow alerts and %zu host "
		    "alert events requeued", sqlite3_errmsg(db), n, hn);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		failed_batches++;
	} else {
		host_written += hn;
	}
	pthread_mutex_unlock(&dblock);
	if (!ok) {
		fc_requeue(batch, n);
		hc_requeue(hbatch, hn);
		ai_raise(FR_SEV_ERROR, "alert_store_write_failed",
		    "the alert store could not write a batch; it is retried");
		return 0;
	}
	return n > hn ? n : hn;
}

static void *
writer_main(void *arg)
{
	(void)arg;
	while (!stop) {
		size_t n = flush_once();
		ai_persist();
		if (n == BATCH)
			continue;
		struct timespec ts = { 0, ALERT_FLUSH_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
	while (flush_once() > 0)
		;
	ai_persist();
	return NULL;
}

int
as_start(void)
{
	if (pthread_create(&writer, NULL, writer_main, NULL) != 0)
		return -1;
	running = true;
	fc_enable_queue();
	hc_enable_queue();
	return 0;
}

void
as_close(void)
{
	if (running) {
		stop = true;
		pthread_join(writer, NULL);
		running = false;
	}
	as_sql_close();
	if (db && run_id > 0) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, "UPDATE netward_runs SET stopped ="
			" ?1 WHERE rowid = ?2", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
			sqlite3_bind_int64(st, 2, run_id);
			sqlite3_step(st);
		}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(host_engage);
	sqlite3_finalize(host_release);
	ins = host_engage = host_release = NULL;
	sqlite3_close(db);
	db = NULL;
}

bool
as_get_stats(struct as_stats *st)
{
	static const char *const q[3] = {
		"SELECT count(*), coalesce(sum(alert_status = 1), 0) FROM"
		" flow_alerts",
		"SELECT count(*), coalesce(sum(alert_status = 1), 0) FROM"
		" host_alerts",
		"SELECT count(*), coalesce(sum(alert_status = 1), 0) FROM"
		" entity_alerts",
	};
	bool ok = true;

	memset(st, 0, sizeof *st);
	pthread_mutex_lock(&dblock);
	if (db == NULL) {
		pthread_mutex_unlock(&dblock);
		return false;
	}
	st->flow_written = flow_written;
	st->host_events_written = host_written;
	st->failed_batches = failed_batches;
	for (int t = 0; t < 3 && ok; t++) {
		sqlite3_stmt *s = NULL;
		ok = sqlite3_prepare_v2(db, q[t], -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW;
		if (ok) {
			st->rows[t] = (uint64_t)sqlite3_column_int64(s, 0);
			st->engaged[t] = (uint64_t)sqlite3_column_int64(s, 1);
		}
		sqlite3_finalize(s);
	}
	pthread_mutex_unlock(&dblock);
	return ok;
}

uint64_t
as_count(void)
{
	uint64_t n;

	pthread_mutex_lock(&dblock);
	n = rows;
	pthread_mutex_unlock(&dblock);
	return n;
}

static void
kv_i64(msgpack_packer *pk, const char *k, int64_t v)
{
	ipc_pack_key(pk, k);
	msgpack_pack_int64(pk, v);
}

/* nw_visible(a, b): an alert is visible to a caller whose allowed
 * networks hold either address (as flows are, caller.c). The networks
 * of the current query are its user data. */
static void
visible_fn(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const struct localnets *nets = sqlite3_user_data(cx);
	bool yes = nets == NULL;

	for (int i = 0; !yes && i < argc; i++) {
		const unsigned char *t = sqlite3_value_text(v[i]);
		uint8_t ver, ip[16];
		if (t && addr_parse((const char *)t, &ver, ip) &&
		    localnets_contains(nets, ver, ip))
			yes = true;
	}
	sqlite3_result_int(cx, yes);
}

/* nw_visible_entity(entity_id, entity_val): a host entity as a host
 * (its address, "ip" or "ip@vlan"); any other entity (interface,
 * system, network, ...) only to an unrestricted caller. */
static void
visible_entity_fn(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const struct localnets *nets = sqlite3_user_data(cx);
	bool yes = nets == NULL;
	char buf[ADDR_STRLEN];

	(void)argc;
	if (!yes && sqlite3_value_int64(v[0]) == FR_ENTITY_HOST) {
		const unsigned char *t = sqlite3_value_text(v[1]);
		uint8_t ver, ip[16];
		if (t) {
			snprintf(buf, sizeof buf, "%s", (const char *)t);
			buf[strcspn(buf, "@")] = '\0';
			yes = addr_parse(buf, &ver, ip) &&
			    localnets_contains(nets, ver, ip);
		}
	}
	sqlite3_result_int(cx, yes);
}

/* The filters every table shares: ?1 alert id, ?2 severity, ?3 entity
 * value, ?4 status, ?5 entity id (-1 = any). */
#define COMMON " (?1 < 0 OR alert_id = ?1) AND (?2 < 0 OR severity = ?2)" \
	" AND (?4 = '' OR alert_status = (?4 = 'engaged'))"
#define UNION_SQL \
	"SELECT 0 AS t, rowid AS r, tstamp AS ts FROM flow_alerts WHERE" \
	COMMON " AND (?5 < 0 OR ?5 = 4) AND (?3 = '' OR cli_ip = ?3 OR" \
	" srv_ip = ?3) AND nw_visible(cli_ip, srv_ip)" \
	" UNION ALL SELECT 1, rowid, tstamp FROM host_alerts WHERE" \
	COMMON " AND (?5 < 0 OR ?5 = 1) AND (?3 = '' OR ip = ?3 OR" \
	" ip || '@' || vlan_id = ?3) AND nw_visible(ip, ip)" \
	" UNION ALL SELECT 2, rowid, tstamp FROM entity_alerts WHERE" \
	COMMON " AND (?5 < 0 OR entity_id = ?5) AND (?3 = '' OR" \
	" entity_val = ?3) AND nw_visible_entity(entity_id, entity_val)"

static const char *const TABLES[3] = { "flow_alerts", "host_alerts",
	"entity_alerts" };

/* Packs every column of a row by its name: TEXT as strings, the rest
 * as integers (every column is NOT NULL). */
static void
pack_row(sqlite3_stmt *s, int table, msgpack_packer *pk)
{
	int n = sqlite3_column_count(s);

	msgpack_pack_map(pk, (uint32_t)n + (table == 2 ? 0 : 2));
	for (int i = 0; i < n; i++) {
		ipc_pack_key(pk, sqlite3_column_name(s, i));
		if (sqlite3_column_type(s, i) == SQLITE_TEXT)
			ipc_pack_str(pk, (const char *)sqlite3_column_text(s,
			    i));
		else
			msgpack_pack_int64(pk, sqlite3_column_int64(s, i));
	}
	if (table == 0) {
		const char *cli = "";
		for (int i = 0; i < n; i++)
			if (strcmp(sqlite3_column_name(s, i), "cli_ip") == 0)
				cli = (const char *)sqlite3_column_text(s, i);
		kv_i64(pk, "entity_id", FR_ENTITY_FLOW);
		ipc_pack_key(pk, "entity_val");
		ipc_pack_str(pk, cli ? cli : "");
	} else if (table == 1) {
		char ev[ADDR_STRLEN + 8];
		kv_i64(pk, "entity_id", FR_ENTITY_HOST);
		int64_t vlan = sqlite3_column_int64(s, 6);
		const char *ip = (const char *)sqlite3_column_text(s, 5);
		if (vlan)
			snprintf(ev, sizeof ev, "%s@%lld", ip ? ip : "",
			    (long long)vlan);
		else
			snprintf(ev, sizeof ev, "%s", ip ? ip : "");
		ipc_pack_key(pk, "entity_val");
		ipc_pack_str(pk, ev);
	}
}

bool
as_query_alerts(const struct as_query *q, msgpack_packer *pk, char *err,
    size_t errlen)
{
	sqlite3_stmt *cnt = NULL, *sel = NULL, *row[3] = { NULL, NULL, NULL };
	bool ok = false;
	int64_t total = 0;
	char sql[4096];

	pthread_mutex_lock(&dblock);
	/* registered per query, under dblock: the caller's networks */
	sqlite3_create_function(db, "nw_visible", 2, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, (void *)q->nets, visible_fn, NULL, NULL);
	sqlite3_create_function(db, "nw_visible_entity", 2, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, (void *)q->nets, visible_entity_fn, NULL,
	    NULL);
	snprintf(sql, sizeof sql, "SELECT t, r FROM (" UNION_SQL ")"
	    " ORDER BY ts %s, t, r %s LIMIT ?6 OFFSET ?7",
	    q->asc ? "ASC" : "DESC", q->asc ? "ASC" : "DESC");
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM (" UNION_SQL ")",
		-1, &cnt, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &sel, NULL) != SQLITE_OK)
		goto out;
	for (int t = 0; t < 3; t++) {
		snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE rowid = ?1",
		    TABLES[t]);
		if (sqlite3_prepare_v2(db, sql, -1, &row[t], NULL) !=
		    SQLITE_OK)
			goto out;
	}
	for (int k = 0; k < 2; k++) {
		sqlite3_stmt *s = k ? sel : cnt;
		sqlite3_bind_int64(s, 1, q->alert_id);
		sqlite3_bind_int64(s, 2, q->severity);
		sqlite3_bind_text(s, 3, q->entity_val, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, q->status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, q->entity);
	}
	if (sqlite3_step(cnt) != SQLITE_ROW)
		goto out;
	total = sqlite3_column_int64(cnt, 0);
	sqlite3_bind_int64(sel, 6, q->per_page);
	sqlite3_bind_int64(sel, 7, (q->page - 1) * q->per_page);
	int64_t from = (q->page - 1) * q->per_page;
	int64_t n = total - from;
	if (n < 0)
		n = 0;
	if (n > q->per_page)
		n = q->per_page;
	msgpack_pack_map(pk, 2);
	kv_i64(pk, "totalRows", total);
	ipc_pack_key(pk, "records");
	msgpack_pack_array(pk, (uint32_t)n);
	for (int64_t r = 0; r < n; r++) {
		int t;
		if (sqlite3_step(sel) != SQLITE_ROW ||
		    (t = sqlite3_column_int(sel, 0)) < 0 || t > 2) {
			/* cannot happen under the lock; keep the reply valid */
			msgpack_pack_map(pk, 0);
			continue;
		}
		sqlite3_reset(row[t]);
		sqlite3_bind_int64(row[t], 1, sqlite3_column_int64(sel, 1));
		if (sqlite3_step(row[t]) != SQLITE_ROW) {
			msgpack_pack_map(pk, 0);
			continue;
		}
		pack_row(row[t], t, pk);
	}
	ok = true;
out:
	if (!ok)
		snprintf(err, errlen, "alert store: %s", sqlite3_errmsg(db));
	sqlite3_finalize(cnt);
	sqlite3_finalize(sel);
	for (int t = 0; t < 3; t++)
		sqlite3_finalize(row[t]);
	pthread_mutex_unlock(&dblock);
	return ok;
}

bool
as_config_save(const char *name, const msgpack_object *o, char *err,
    size_t errlen)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	sqlite3_stmt *st = NULL;
	bool ok = false;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (o)
		msgpack_pack_object(&pk, *o);
	else
		msgpack_pack_nil(&pk);
	pthread_mutex_lock(&dblock);
	if (db && sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO"
		" netward_config (name, value) VALUES (?1, ?2)", -1, &st,
		NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, sb.data, (int)sb.size, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	if (!ok)
		snprintf(err, errlen, "%s", db ? sqlite3_errmsg(db) :
		    "the alert store is not open");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&dblock);
	msgpack_sbuffer_destroy(&sb);
	return ok;
}

bool
as_config_load(const char *name, msgpack_unpacked *u, void **buf)
{
	sqlite3_stmt *st = NULL;
	bool ok = false;

	pthread_mutex_lock(&dblock);
	if (db && sqlite3_prepare_v2(db, "SELECT value FROM netward_config"
		" WHERE name = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			int n = sqlite3_column_bytes(st, 0);
			const void *blob = sqlite3_column_blob(st, 0);
			/* strings of u point into the bytes: keep a copy */
			void *b = blob && n > 0 ? malloc((size_t)n) : NULL;
			if (b)
				memcpy(b, blob, (size_t)n);
			*buf = b;
			/* our own bytes, but checked like any message */
			char cerr[64];
			ok = b && n > 0 &&
			    ipc_check(b, (size_t)n, cerr, sizeof cerr) == 0 &&
			    msgpack_unpack_next(u, b, (size_t)n, NULL) ==
			    MSGPACK_UNPACK_SUCCESS;
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&dblock);
	return ok;
}
