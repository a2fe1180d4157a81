/* interface.alert_store_query / ntop.alert_store_query: a script's SQL
 * over the alert store, confined to reading the alert tables.
 *
 * Defence in depth, each layer enough on its own for writes:
 *  - a second connection opened SQLITE_OPEN_READONLY, with defensive
 *    mode, no trusted schema, no extension loading, no ATTACH (limit 0);
 *  - an authorizer that allows SELECT, reading the three alert tables
 *    and calling functions (but load_extension and fts3_tokenizer), and
 *    denies everything else (PRAGMA, ATTACH, writes, DDL, transactions,
 *    recursive CTEs, sqlite_schema, other tables and virtual tables);
 *  - sqlite3_stmt_readonly on the prepared statement;
 *  - exactly one statement (only blanks and ';' may follow it);
 *  - bounds: SQL text 16 KiB, values 1 MiB, rows by the caller (at most
 *    AS_SQL_MAX_ROWS), 4 MiB of reply, 2 s of execution (progress
 *    handler), under the store's lock. */
#include "alert_store.h"

#include "envelope.h"
#include "log.h"

#include <msgpack.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define AS_SQL_MAX_LEN (16 * 1024)
#define AS_SQL_MAX_REPLY (4 * 1024 * 1024)
#define AS_SQL_MAX_MS 2000

static sqlite3 *ro;

static const char *const READABLE[] = { "flow_alerts", "host_alerts",
	"entity_alerts" };

static int
authorize(void *arg, int action, const char *a1, const char *a2,
    const char *db, const char *trigger)
{
	(void)arg;
	(void)db;
	if (trigger != NULL)
		return SQLITE_DENY;
	switch (action) {
	case SQLITE_SELECT:
		return SQLITE_OK;
	case SQLITE_READ:
		for (size_t i = 0; i < sizeof READABLE / sizeof *READABLE; i++)
			if (a1 && strcmp(a1, READABLE[i]) == 0)
				return SQLITE_OK;
		return SQLITE_DENY;
	case SQLITE_FUNCTION:
		if (a2 && (strcasecmp(a2, "load_extension") == 0 ||
		    strcasecmp(a2, "fts3_tokenizer") == 0))
			return SQLITE_DENY;
		return SQLITE_OK;
	default:
		return SQLITE_DENY;
	}
}

struct deadline {
	struct timespec end;
};

static int
progress(void *arg)
{
	const struct deadline *d = arg;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > d->end.tv_sec ||
	    (now.tv_sec == d->end.tv_sec && now.tv_nsec > d->end.tv_nsec);
}

static bool
open_ro(char *err, size_t errlen)
{
	bool is_uri;
	const char *uri = as_uri(&is_uri);
	int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX;

	if (ro)
		return true;
	if (uri[0] == '\0') {
		snprintf(err, errlen, "the alert store is not open");
		return false;
	}
	if (is_uri)
		flags |= SQLITE_OPEN_URI;
	if (sqlite3_open_v2(uri, &ro, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "alert store (read-only): %s",
		    ro ? sqlite3_errmsg(ro) : "out of memory");
		sqlite3_close(ro);
		ro = NULL;
		return false;
	}
	sqlite3_db_config(ro, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(ro, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(ro, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_db_config(ro, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(ro, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	sqlite3_limit(ro, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(ro, SQLITE_LIMIT_SQL_LENGTH, AS_SQL_MAX_LEN);
	sqlite3_limit(ro, SQLITE_LIMIT_LENGTH, 1024 * 1024);
	sqlite3_limit(ro, SQLITE_LIMIT_COLUMN, 200);
	sqlite3_limit(ro, SQLITE_LIMIT_EXPR_DEPTH, 100);
	sqlite3_limit(ro, SQLITE_LIMIT_COMPOUND_SELECT, 8);
	sqlite3_limit(ro, SQLITE_LIMIT_VDBE_OP, 100000);
	sqlite3_busy_timeout(ro, 2000);
	sqlite3_set_authorizer(ro, authorize, NULL);
	return true;
}

void
as_sql_close(void)
{
	sqlite3_close(ro);
	ro = NULL;
}

static bool
only_blanks(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ';' && *p != ' ' && *p != '\t' && *p != '\n' &&
		    *p != '\r')
			return false;
	return true;
}

bool
as_sql_query(const char *sql, size_t len, int64_t limit, msgpack_packer *pk,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	struct deadline dl;
	bool ok = false;
	msgpack_sbuffer rows;
	msgpack_packer rp;
	uint32_t n = 0;

	if (len == 0 || len > AS_SQL_MAX_LEN || memchr(sql, '\0', len)) {
		snprintf(err, errlen, "the query must be 1..%d bytes of text",
		    AS_SQL_MAX_LEN);
		return false;
	}
	msgpack_sbuffer_init(&rows);
	msgpack_packer_init(&rp, &rows, msgpack_sbuffer_write);
	as_lock(); /* one query at a time, and not while the writer commits */
	if (!open_ro(err, errlen))
		goto out;
	if (sqlite3_prepare_v2(ro, sql, (int)len, &st, &tail) != SQLITE_OK ||
	    st == NULL) {
		snprintf(err, errlen, "refused: %s", st == NULL &&
		    sqlite3_errcode(ro) == SQLITE_OK ? "no statement" :
		    sqlite3_errmsg(ro));
		goto out;
	}
	if (!only_blanks(tail, sql + len)) {
		snprintf(err, errlen, "refused: one statement only");
		goto out;
	}
	if (!sqlite3_stmt_readonly(st) || sqlite3_stmt_isexplain(st)) {
		snprintf(err, errlen, "refused: only a read-only SELECT");
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &dl.end);
	dl.end.tv_sec += AS_SQL_MAX_MS / 1000;
	sqlite3_progress_handler(ro, 1000, progress, &dl);
	int rc = SQLITE_DONE, ncol = sqlite3_column_count(st);
	while ((int64_t)n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		msgpack_pack_map(&rp, (uint32_t)ncol);
		for (int i = 0; i < ncol; i++) {
			const char *name = sqlite3_column_name(st, i);
			ipc_pack_str(&rp, name ? name : "?");
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				msgpack_pack_int64(&rp,
				    sqlite3_column_int64(st, i));
				break;
			case SQLITE_FLOAT:
				msgpack_pack_double(&rp,
				    sqlite3_column_double(st, i));
				break;
			case SQLITE_NULL:
				msgpack_pack_nil(&rp);
				break;
			default: {
				/* TEXT, and BLOB as its bytes */
				const void *b = sqlite3_column_blob(st, i);
				int bl = sqlite3_column_bytes(st, i);
				msgpack_pack_str(&rp, (size_t)bl);
				msgpack_pack_str_body(&rp, b ? b : "",
				    (size_t)bl);
			}
			}
		}
		n++;
		if (rows.size > AS_SQL_MAX_REPLY) {
			snprintf(err, errlen, "the result is larger than %d "
			    "bytes; select fewer rows or columns",
			    AS_SQL_MAX_REPLY);
			goto out;
		}
	}
	if ((int64_t)n < limit && rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", rc == SQLITE_INTERRUPT ?
		    "the query ran longer than 2 s" : sqlite3_errmsg(ro));
		goto out;
	}
	msgpack_pack_array(pk, n);
	/* the rows were packed apart (their count was unknown): append
	 * their bytes as they are, after the array header */
	msgpack_pack_str_body(pk, rows.data, rows.size);
	ok = true;
out:
	if (ro)
		sqlite3_progress_handler(ro, 0, NULL, NULL);
	sqlite3_finalize(st);
	as_unlock();
	msgpack_sbuffer_destroy(&rows);
	return ok;
}
