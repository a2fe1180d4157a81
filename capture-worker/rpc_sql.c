/* interface.execInMemoryQuery(sql): one read-only SQL SELECT over a
 * snapshot of the interface's live flows.
 *
 * Under the lock the flows the caller may see are copied (fixed-size
 * records, no SQL work); the lock is released; a private in-memory SQLite
 * database gets the table
 *
 *   flows(key, cli_ip, cli_port, srv_ip, srv_port, vlan, l4_proto,
 *         l7_proto, l7_proto_id, master_proto_id, category, first_seen,
 *         last_seen, cli2srv_bytes, srv2cli_bytes, cli2srv_packets,
 *         srv2cli_packets, bytes, packets, info, score)
 *
 * and the query runs against it with an authorizer that allows only
 * SELECT, reading columns of that table and calling functions (no
 * PRAGMA, ATTACH, writes, transactions or recursive CTEs), no extension
 * loading, a limit on the SQL and value lengths, a VM step budget
 * (progress handler: about 2 million steps) and caps on rows (10000) and
 * result size (8 MiB). The answer is an
 * array of rows, each {column = value}; an SQL error comes back as a
 * BAD_REQUEST with SQLite's message. The database lives only for the
 * call. */
#include "rpc_common.h"

#include "addr.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_MAX_LEN 4096
#define SQL_MAX_ROWS 10000
#define SQL_MAX_REPLY (8u << 20) /* bytes of values in the answer */
#define SQL_MAX_FLOWS 1000000
#define SQL_STEP_BUDGET 200 /* progress callbacks of 10000 VM steps */

struct flow_rec {
	uint32_t id;
	uint8_t ipver, l4proto;
	uint8_t cli_ip[16], srv_ip[16];
	uint16_t cli_port, srv_port, vlan;
	uint16_t l7, app, master;
	int category;
	uint64_t first_us, last_us;
	uint64_t bytes[2], pkts[2];
	uint16_t score;
	char info[80];
};

struct snap {
	struct call *c;
	struct flow_rec *v;
	size_t n, cap;
	bool oom;
};

static void
snap_one(struct flow *f, void *arg)
{
	struct snap *s = arg;

	if (s->oom || !ctx_may_see_flow(&s->c->rq->ctx, f))
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct flow_rec *v;
		if (cap > SQL_MAX_FLOWS ||
		    (v = realloc(s->v, cap * sizeof *v)) == NULL) {
			s->oom = true;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	struct flow_rec *r = &s->v[s->n++];
	r->id = f->id;
	r->ipver = f->ipver;
	r->l4proto = f->l4proto;
	memcpy(r->cli_ip, f->cli_ip, 16);
	memcpy(r->srv_ip, f->srv_ip, 16);
	r->cli_port = f->cli_port;
	r->srv_port = f->srv_port;
	r->vlan = f->vlan;
	r->l7 = flow_stats_proto(f);
	r->app = f->proto.app_protocol;
	r->master = f->proto.master_protocol;
	r->category = f->proto.category;
	r->first_us = f->first_us;
	r->last_us = f->last_us;
	memcpy(r->bytes, f->bytes, sizeof r->bytes);
	memcpy(r->pkts, f->pkts, sizeof r->pkts);
	r->score = f->score;
	memcpy(r->info, f->host_server_name, sizeof r->info);
	r->info[sizeof r->info - 1] = '\0';
}

static int
authorize(void *arg, int action, const char *a, const char *b,
    const char *db, const char *trigger)
{
	(void)arg, (void)b, (void)db, (void)trigger;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_FUNCTION:
		return SQLITE_OK;
	case SQLITE_READ:
		/* only the snapshot table, not sqlite_schema */
		return a && strcmp(a, "flows") == 0 ? SQLITE_OK : SQLITE_DENY;
	default:
		return SQLITE_DENY;
	}
}

static int
progress(void *arg)
{
	int *budget = arg;
	return --*budget <= 0; /* non-zero interrupts the query */
}

#define SCHEMA "CREATE TABLE flows(key INTEGER, cli_ip TEXT, " \
	"cli_port INTEGER, srv_ip TEXT, srv_port INTEGER, vlan INTEGER, " \
	"l4_proto INTEGER, l7_proto TEXT, l7_proto_id INTEGER, " \
	"master_proto_id INTEGER, category TEXT, first_seen INTEGER, " \
	"last_seen INTEGER, cli2srv_bytes INTEGER, srv2cli_bytes INTEGER, " \
	"cli2srv_packets INTEGER, srv2cli_packets INTEGER, bytes INTEGER, " \
	"packets INTEGER, info TEXT, score INTEGER)"
#define INSERT "INSERT INTO flows VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?," \
	"?,?,?,?,?)"

/* Loads the snapshot; false with a message on failure. */
static bool
load(sqlite3 *db, struct iface *ifc, const struct snap *s, char *err,
    size_t errlen)
{
	sqlite3_stmt *ins = NULL;
	char a[ADDR_STRLEN];
	bool ok = false;

	if (sqlite3_exec(db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, INSERT, -1, &ins, NULL) != SQLITE_OK)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		const struct flow_rec *r = &s->v[i];
		int k = 1;
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, k++, r->id);
		sqlite3_bind_text(ins, k++, addr_fmt(r->ipver, r->cli_ip, a),
		    -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ins, k++, r->cli_port);
		sqlite3_bind_text(ins, k++, addr_fmt(r->ipver, r->srv_ip, a),
		    -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ins, k++, r->srv_port);
		sqlite3_bind_int(ins, k++, r->vlan);
		sqlite3_bind_int(ins, k++, r->l4proto);
		/* nDPI's name tables are constant after start-up */
		sqlite3_bind_text(ins, k++, ndpi_get_proto_name(ifc->ndpi,
		    r->l7), -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ins, k++, r->app);
		sqlite3_bind_int(ins, k++, r->master);
		sqlite3_bind_text(ins, k++, ndpi_category_get_name(ifc->ndpi,
		    (ndpi_protocol_category_t)r->category), -1,
		    SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, k++, (sqlite3_int64)(r->first_us /
		    1000000u));
		sqlite3_bind_int64(ins, k++, (sqlite3_int64)(r->last_us /
		    1000000u));
		sqlite3_bind_int64(ins, k++, (sqlite3_int64)r->bytes[DIR_C2S]);
		sqlite3_bind_int64(ins, k++, (sqlite3_int64)r->bytes[DIR_S2C]);
		sqlite3_bind_int64(ins, k++, (sqlite3_int64)r->pkts[DIR_C2S]);
		sqlite3_bind_int64(ins, k++, (sqlite3_int64)r->pkts[DIR_S2C]);
		sqlite3_bind_int64(ins, k++, (sqlite3_int64)(r->bytes[0] +
		    r->bytes[1]));
		sqlite3_bind_int64(ins, k++, (sqlite3_int64)(r->pkts[0] +
		    r->pkts[1]));
		sqlite3_bind_text(ins, k++, r->info, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ins, k++, r->score);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto out;
	}
	ok = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
out:
	if (!ok)
		snprintf(err, errlen, "cannot build the snapshot: %s",
		    sqlite3_errmsg(db));
	sqlite3_finalize(ins);
	return ok;
}

/* Runs st and packs its rows into w (an array); false with a message. */
static bool
run(sqlite3_stmt *st, struct ipc_writer *rows, uint32_t *nrows, char *err,
    size_t errlen)
{
	size_t size = 0;
	int rc, ncol = sqlite3_column_count(st);

	*nrows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*nrows >= SQL_MAX_ROWS) {
			snprintf(err, errlen, "more than %d rows: add a LIMIT",
			    SQL_MAX_ROWS);
			return false;
		}
		msgpack_pack_map(&rows->pk, (uint32_t)ncol);
		for (int i = 0; i < ncol; i++) {
			const char *name = sqlite3_column_name(st, i);
			ipc_pack_str(&rows->pk, name ? name : "");
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				msgpack_pack_int64(&rows->pk,
				    sqlite3_column_int64(st, i));
				size += 8;
				break;
			case SQLITE_FLOAT:
				msgpack_pack_double(&rows->pk,
				    sqlite3_column_double(st, i));
				size += 8;
				break;
			case SQLITE_NULL:
				msgpack_pack_nil(&rows->pk);
				break;
			default: { /* text; a blob is given as its bytes */
				const unsigned char *t =
				    sqlite3_column_text(st, i);
				int len = sqlite3_column_bytes(st, i);
				ipc_pack_strn(&rows->pk, t ? (const char *)t :
				    "", t ? (size_t)len : 0);
				size += (size_t)len;
			}
			}
			size += name ? strlen(name) : 0;
		}
		(*nrows)++;
		if (size > SQL_MAX_REPLY) {
			snprintf(err, errlen, "the answer is over %u bytes",
			    SQL_MAX_REPLY);
			return false;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", rc == SQLITE_INTERRUPT ?
		    "the query ran too long" :
		    sqlite3_errmsg(sqlite3_db_handle(st)));
		return false;
	}
	return true;
}

void
m_exec_in_memory_query(struct call *c)
{
	char *sql = NULL, err[256] = "";
	struct snap s = { .c = c };
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct ipc_writer rows;
	bool have_rows = false;
	uint32_t nrows = 0;
	int budget = SQL_STEP_BUDGET;
	const char *tail = NULL;

	if (!want_args(c, 1, 1))
		return;
	const msgpack_object *o = arg(c, 0);
	if (o == NULL || o->type != MSGPACK_OBJECT_STR ||
	    o->via.str.size == 0 || o->via.str.size > SQL_MAX_LEN) {
		fail(c, IPC_ERR_BAD_REQUEST, "expects one SQL SELECT of 1 to "
		    "%d bytes", SQL_MAX_LEN);
		return;
	}
	if ((sql = malloc(o->via.str.size + 1)) == NULL)
		goto oom;
	memcpy(sql, o->via.str.ptr, o->via.str.size);
	sql[o->via.str.size] = '\0';
	if (strlen(sql) != o->via.str.size) {
		fail(c, IPC_ERR_BAD_REQUEST, "the SQL text holds a NUL byte");
		goto out;
	}

	/* each record is copied whole under the lock, in slices */
	iface_walk_flows(c->ifc, snap_one, &s);
	if (s.oom)
		goto oom;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto oom;
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, SQL_MAX_LEN + 1);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	/* a large sort must not spill to a temp file: no file is allowed */
	sqlite3_exec(db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
	if (!load(db, c->ifc, &s, err, sizeof err)) {
		fail(c, IPC_ERR_INTERNAL, "%s", err);
		goto out;
	}
	free(s.v);
	s.v = NULL;

	sqlite3_set_authorizer(db, authorize, NULL);
	sqlite3_progress_handler(db, 10000, progress, &budget);
	if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK ||
	    st == NULL) {
		fail(c, IPC_ERR_BAD_REQUEST, "%s", st == NULL &&
		    sqlite3_errcode(db) == SQLITE_OK ? "no statement" :
		    sqlite3_errmsg(db));
		goto out;
	}
	while (tail && (*tail == ' ' || *tail == '\t' || *tail == '\n' ||
	    *tail == '\r' || *tail == ';'))
		tail++;
	if ((tail && *tail != '\0') || !sqlite3_stmt_readonly(st)) {
		fail(c, IPC_ERR_BAD_REQUEST, "only one read-only SELECT");
		goto out;
	}
	ipc_writer_init(&rows);
	have_rows = true;
	if (!run(st, &rows, &nrows, err, sizeof err)) {
		fail(c, IPC_ERR_BAD_REQUEST, "%s", err);
		goto out;
	}
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_array(&c->w->pk, nrows);
	msgpack_sbuffer_write(&c->w->sb, rows.sb.data, rows.sb.size);
	goto out;
oom:
	fail(c, IPC_ERR_INTERNAL, "out of memory (at most %d flows)",
	    SQL_MAX_FLOWS);
out:
	if (have_rows)
		ipc_writer_free(&rows);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(s.v);
	free(sql);
}
