/* See alert_lua.h. */
#include "alert_lua.h"

#include "alert_store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <time.h>

bool
ea_store(const struct ea_alert *a, const char *source, bool engaged,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	bool ok = false;
	int64_t now = (int64_t)time(NULL);
	sqlite3 *db = as_lock();

	if (db == NULL) {
		snprintf(err, errlen, "the alert store is not open");
		goto out;
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO entity_alerts (alert_id,"
		" alert_status, interface_id, entity_id, entity_val, source,"
		" script_key, subtype, granularity, tstamp, tstamp_end,"
		" severity, score, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
		" ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
		" ON CONFLICT (source, entity_id, entity_val, alert_id,"
		" subtype) WHERE alert_status = 1 DO UPDATE SET"
		" tstamp_end = excluded.tstamp_end,"
		" severity = excluded.severity, score = excluded.score,"
		" script_key = excluded.script_key, json = excluded.json",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, a->alert_id);
	sqlite3_bind_int64(st, 2, engaged ? 1 : 0);
	sqlite3_bind_int64(st, 3, as_ifid());
	sqlite3_bind_int64(st, 4, a->entity_id);
	sqlite3_bind_text(st, 5, a->entity_val, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->script_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, a->subtype, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, a->granularity);
	sqlite3_bind_int64(st, 10, a->tstamp > 0 ? a->tstamp : now);
	sqlite3_bind_int64(st, 11, a->tstamp > 0 ? a->tstamp : now);
	sqlite3_bind_int64(st, 12, a->severity);
	sqlite3_bind_int64(st, 13, a->score);
	sqlite3_bind_text(st, 14, a->json ? a->json : "{}",
	    a->json ? (int)a->json_len : 2, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	ok = true;
	goto out;
fail:
	snprintf(err, errlen, "alert store: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	as_unlock();
	return ok;
}

bool
ea_release(const struct ea_filter *f, int64_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	bool ok = false;
	sqlite3 *db = as_lock();

	*n = 0;
	if (db == NULL) {
		snprintf(err, errlen, "the alert store is not open");
		goto out;
	}
	if (sqlite3_prepare_v2(db, "UPDATE entity_alerts SET"
		" alert_status = 0, tstamp_end = max(tstamp, ?1)"
		" WHERE alert_status = 1"
		" AND (?2 IS NULL OR source = ?2)"
		" AND (?3 < 0 OR alert_id = ?3)"
		" AND (?4 < 0 OR entity_id = ?4)"
		" AND (?5 IS NULL OR entity_val = ?5)"
		" AND (?6 IS NULL OR subtype = ?6)"
		" AND (?7 IS NULL OR script_key = ?7)", -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	if (f->source)
		sqlite3_bind_text(st, 2, f->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, f->alert_id);
	sqlite3_bind_int64(st, 4, f->entity_id);
	if (f->entity_val)
		sqlite3_bind_text(st, 5, f->entity_val, -1, SQLITE_STATIC);
	if (f->subtype)
		sqlite3_bind_text(st, 6, f->subtype, -1, SQLITE_STATIC);
	if (f->script_key)
		sqlite3_bind_text(st, 7, f->script_key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	*n = sqlite3_changes(db);
	ok = true;
	goto out;
fail:
	snprintf(err, errlen, "alert store: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	as_unlock();
	return ok;
}
