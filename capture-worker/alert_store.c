/* See alert_store.h. Column names follow ntopng's flow_alerts table. */
#include "alert_store.h"

#include "addr.h"
#include "envelope.h"
#include "flow_checks.h"
#include "flow_risk.h"
#include "log.h"

#include <msgpack.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ALERT_FLUSH_MS 250
#define BATCH 512

static sqlite3 *db;
static sqlite3_stmt *ins;
static pthread_mutex_t dblock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t writer;
static bool running;
static volatile bool stop;
static int store_ifid;
static uint64_t rows;

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
    "CREATE INDEX IF NOT EXISTS flow_alerts_t ON flow_alerts(tstamp);";

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

int
as_open(const char *path, int ifid)
{
	char *err = NULL;

	store_ifid = ifid;
	if (sqlite3_open_v2(path ? path : ":memory:", &db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		log_error("alert store %s: %s", path ? path : ":memory:",
		    db ? sqlite3_errmsg(db) : "out of memory");
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL;"
		"PRAGMA synchronous=FULL;", NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(db, SCHEMA, NULL, NULL, &err) != SQLITE_OK) {
		log_error("alert store: %s", err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	if (sqlite3_prepare_v2(db, INSERT, -1, &ins, NULL) != SQLITE_OK) {
		log_error("alert store: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM flow_alerts", -1,
		&st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		rows = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
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
	if (rc == SQLITE_DONE && sqlite3_changes(db) > 0)
		rows++;
	return rc == SQLITE_DONE;
}

/* Writes one batch in one transaction; on failure the batch goes back to
 * the queue for the next round (never dropped silently). */
static size_t
flush_once(void)
{
	static struct fc_alert batch[BATCH];
	size_t n = fc_drain(batch, BATCH);
	bool ok = true;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&dblock);
	ok = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK;
	for (size_t i = 0; ok && i < n; i++)
		ok = insert(&batch[i]);
	if (ok)
		ok = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	if (!ok) {
		log_error("alert store: %s; %zu alerts requeued",
		    sqlite3_errmsg(db), n);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	pthread_mutex_unlock(&dblock);
	if (!ok) {
		fc_requeue(batch, n);
		return 0;
	}
	return n;
}

static void *
writer_main(void *arg)
{
	(void)arg;
	while (!stop) {
		if (flush_once() == BATCH)
			continue;
		struct timespec ts = { 0, ALERT_FLUSH_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
	while (flush_once() > 0)
		;
	return NULL;
}

int
as_start(void)
{
	if (pthread_create(&writer, NULL, writer_main, NULL) != 0)
		return -1;
	running = true;
	fc_enable_queue();
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
	sqlite3_finalize(ins);
	ins = NULL;
	sqlite3_close(db);
	db = NULL;
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

static void
kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	ipc_pack_key(pk, k);
	ipc_pack_str(pk, v ? v : "");
}

#define WHERE " WHERE (?1 < 0 OR alert_id = ?1) AND (?2 < 0 OR severity" \
	" = ?2) AND (?3 = '' OR cli_ip = ?3 OR srv_ip = ?3)" \
	" AND (?4 = '' OR ?4 = 'past') AND nw_visible(cli_ip, srv_ip)"

/* nw_visible(cli_ip, srv_ip): a flow alert is visible to a caller whose
 * allowed networks hold either end (as flows are, caller.c). The
 * networks of the current query are its user data. */
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

bool
as_query_flow_alerts(const struct as_query *q, msgpack_packer *pk, char *err,
    size_t errlen)
{
	sqlite3_stmt *cnt = NULL, *sel = NULL;
	bool ok = false;
	int64_t total = 0;
	static const char *const cols[] = {
		"rowid", "alert_id", "alert_status", "interface_id", "tstamp",
		"tstamp_end", "first_seen", "severity", "score", "cli_score",
		"srv_score", "cli_ip", "srv_ip", "cli_port", "srv_port",
		"vlan_id", "proto", "l7_proto", "l7_master_proto", "l7_cat",
		"cli2srv_bytes", "srv2cli_bytes", "cli2srv_pkts",
		"srv2cli_pkts", "flow_risk_bitmap", "alerts_map", "info",
	};
	const size_t ncols = sizeof cols / sizeof *cols;
	char sql[1024];

	if (q->entity >= 0 && q->entity != FR_ENTITY_FLOW) {
		/* only flow alerts exist so far */
		msgpack_pack_map(pk, 2);
		ipc_pack_key(pk, "records");
		msgpack_pack_array(pk, 0);
		kv_i64(pk, "totalRows", 0);
		return true;
	}
	snprintf(sql, sizeof sql, "SELECT rowid, alert_id, alert_status,"
	    " interface_id, tstamp, tstamp_end, first_seen, severity, score,"
	    " cli_score, srv_score, cli_ip, srv_ip, cli_port, srv_port,"
	    " vlan_id, proto, l7_proto, l7_master_proto, l7_cat,"
	    " cli2srv_bytes, srv2cli_bytes, cli2srv_pkts, srv2cli_pkts,"
	    " flow_risk_bitmap, alerts_map, info FROM flow_alerts" WHERE
	    " ORDER BY tstamp %s, rowid %s LIMIT ?5 OFFSET ?6",
	    q->asc ? "ASC" : "DESC", q->asc ? "ASC" : "DESC");
	pthread_mutex_lock(&dblock);
	/* registered per query, under dblock: the caller's networks */
	sqlite3_create_function(db, "nw_visible", 2, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, (void *)q->nets, visible_fn, NULL, NULL);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM flow_alerts" WHERE,
		-1, &cnt, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &sel, NULL) != SQLITE_OK)
		goto out;
	for (int k = 0; k < 2; k++) {
		sqlite3_stmt *s = k ? sel : cnt;
		sqlite3_bind_int64(s, 1, q->alert_id);
		sqlite3_bind_int64(s, 2, q->severity);
		sqlite3_bind_text(s, 3, q->entity_val, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, q->status, -1, SQLITE_STATIC);
	}
	if (sqlite3_step(cnt) != SQLITE_ROW)
		goto out;
	total = sqlite3_column_int64(cnt, 0);
	if (strcmp(q->status, "engaged") == 0)
		total = 0; /* flow alerts are never engaged */
	sqlite3_bind_int64(sel, 5, strcmp(q->status, "engaged") == 0 ? 0 :
	    q->per_page);
	sqlite3_bind_int64(sel, 6, (q->page - 1) * q->per_page);
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
		if (sqlite3_step(sel) != SQLITE_ROW) {
			/* cannot happen under the lock; keep the reply valid */
			msgpack_pack_map(pk, 0);
			continue;
		}
		msgpack_pack_map(pk, (uint32_t)ncols + 1);
		for (size_t i = 0; i < ncols; i++) {
			if (sqlite3_column_type(sel, (int)i) == SQLITE_TEXT)
				kv_str(pk, cols[i], (const char *)
				    sqlite3_column_text(sel, (int)i));
			else
				kv_i64(pk, cols[i],
				    sqlite3_column_int64(sel, (int)i));
		}
		kv_i64(pk, "entity_id", FR_ENTITY_FLOW);
	}
	ok = true;
out:
	if (!ok)
		snprintf(err, errlen, "alert store: %s", sqlite3_errmsg(db));
	sqlite3_finalize(cnt);
	sqlite3_finalize(sel);
	pthread_mutex_unlock(&dblock);
	return ok;
}
