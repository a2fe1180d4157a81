/* ntop.*Sampling* (spec/ntop-api.md section 13): historical statistics,
 * one text sample (JSON, by convention) per interface and time slot, in
 * three granularities, kept in SQLite at DATA/lua/historical.db.
 *
 *   ntop.insertMinuteSampling(ifid, data)    also Hour, Day
 *   ntop.getMinuteSampling(ifid, epoch)      -> data | nil
 *   ntop.getMinuteSamplingsFromEpoch(ifid, epoch [, n])   also Hour, Day
 *   ntop.getMinuteSamplingsInterval(ifid, from, to)
 *       -> {[epoch] = data, ...}
 *   ntop.deleteMinuteStatsOlderThan(ifid, days)           also Hour, Day
 *
 * A sample's epoch is the start of its slot: the current time rounded
 * down to the minute, hour or day (UTC). ntopng takes the current time
 * rounded to the minute for all three; a second insert into the same
 * slot replaces the first here (ntopng's INSERT would fail), so a slot
 * holds one sample and a periodic script that reruns does not error.
 * The listings map epoch -> data (ntopng returns a set of the data
 * strings, which loses the epochs). FromEpoch without n lists every
 * sample from epoch on; with n (ntopng's third argument) the n slots up
 * to epoch. Deleting keeps what is younger than `days` days before the
 * current minute, as ntopng does.
 *
 * Every Lua worker and the periodic worker open the same file: WAL, a
 * busy timeout, synchronous=FULL (a committed sample survives kill -9),
 * one connection per process behind a mutex, prepared statements. No Lua
 * call is made while the mutex is held (a Lua error would leave it
 * locked): rows are collected in C first. */
#define _GNU_SOURCE
#include "ntop.h"
#include "log.h"

#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STATS_FILE "historical.db"
#define MAX_SAMPLE (1u << 20)		/* bytes of one sample */
#define MAX_ROWS 100000			/* samples one listing returns */
#define MAX_EPOCH 253402300799LL	/* 9999-12-31 */
#define MAX_DAYS 36500
#define DB_MAX_PAGES 262144		/* of 4 KiB: 1 GiB at most */
#define BUSY_MS 5000

enum gran { G_MINUTE, G_HOUR, G_DAY, N_GRAN };
static const char *const table_of[N_GRAN] = {
	"minute_stats", "hour_stats", "day_stats",
};
static const long long slot_of[N_GRAN] = {60, 3600, 86400};

enum stmt { S_PUT, S_RANGE, S_DELETE, N_STMT };

static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3 *db;
static sqlite3_stmt *stmts[N_GRAN][N_STMT];

/* ---- the database (db_lock held) --------------------------------------- */

static void
db_close_locked(void)
{
	for (int g = 0; g < N_GRAN; g++)
		for (int s = 0; s < N_STMT; s++) {
			sqlite3_finalize(stmts[g][s]);
			stmts[g][s] = NULL;
		}
	if (db)
		sqlite3_close(db);
	db = NULL;
}

static bool
db_open_locked(char *err, size_t errlen)
{
	char path[PATH_MAX], sql[512];
	char *msg = NULL;

	if (db)
		return true;
	if (snprintf(path, sizeof path, "%s/%s", lw_cfg.data_dir,
	    STATS_FILE) >= (int)sizeof path) {
		snprintf(err, errlen, "data dir path too long");
		return false;
	}
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(db, BUSY_MS);
	snprintf(sql, sizeof sql,
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "PRAGMA max_page_count=%d;", DB_MAX_PAGES);
	if ((rc = sqlite3_exec(db, sql, NULL, NULL, &msg)) != SQLITE_OK)
		goto fail;
	for (int g = 0; g < N_GRAN; g++) {
		snprintf(sql, sizeof sql,
		    "CREATE TABLE IF NOT EXISTS %s (ifid INTEGER NOT NULL, "
		    "tstamp INTEGER NOT NULL, stats TEXT NOT NULL, "
		    "PRIMARY KEY (ifid, tstamp)) WITHOUT ROWID", table_of[g]);
		if ((rc = sqlite3_exec(db, sql, NULL, NULL, &msg)) != SQLITE_OK)
			goto fail;
	}
	for (int g = 0; g < N_GRAN; g++) {
		/* statement = head, table name, tail */
		static const char *const head[N_STMT] = {
			"INSERT OR REPLACE INTO ",
			"SELECT tstamp, stats FROM ",
			"DELETE FROM ",
		};
		static const char *const tail[N_STMT] = {
			" (ifid, tstamp, stats) VALUES (?1, ?2, ?3)",
			(" WHERE ifid = ?1 AND tstamp >= ?2 AND tstamp <= ?3 "
			"ORDER BY tstamp LIMIT ?4"),
			" WHERE ifid = ?1 AND tstamp < ?2",
		};
		for (int s = 0; s < N_STMT; s++) {
			snprintf(sql, sizeof sql, "%s%s%s", head[s],
			    table_of[g], tail[s]);
			rc = sqlite3_prepare_v3(db, sql, -1,
			    SQLITE_PREPARE_PERSISTENT, &stmts[g][s], NULL);
			if (rc != SQLITE_OK)
				goto fail;
		}
	}
	return true;
fail:
	snprintf(err, errlen, "%s: %s", STATS_FILE,
	    msg ? msg : db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	sqlite3_free(msg);
	log_error("historical stats: %s", err);
	db_close_locked();
	return false;
}

void
lw_stats_close(void)
{
	pthread_mutex_lock(&db_lock);
	db_close_locked();
	pthread_mutex_unlock(&db_lock);
}

/* ---- rows collected under the lock, pushed after it --------------------- */

struct rows {
	size_t n, cap;
	long long *epoch;
	char **data;
};

static int
rows_gc(lua_State *L)
{
	struct rows *r = lua_touserdata(L, 1);
	for (size_t i = 0; i < r->n; i++)
		free(r->data[i]);
	free(r->data);
	free(r->epoch);
	memset(r, 0, sizeof *r);
	return 0;
}

static struct rows *
push_rows(lua_State *L)
{
	struct rows *r = lua_newuserdatauv(L, sizeof *r, 0);
	memset(r, 0, sizeof *r);
	if (luaL_newmetatable(L, "netward.stats_rows")) {
		lua_pushcfunction(L, rows_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
	}
	lua_setmetatable(L, -2);
	return r;
}

static bool
rows_add(struct rows *r, long long epoch, const unsigned char *text,
    int len)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		long long *e = realloc(r->epoch, cap * sizeof *e);
		if (!e)
			return false;
		r->epoch = e;
		char **d = realloc(r->data, cap * sizeof *d);
		if (!d)
			return false;
		r->data = d;
		r->cap = cap;
	}
	char *copy = malloc((size_t)len + 1);
	if (!copy)
		return false;
	memcpy(copy, text ? (const char *)text : "", (size_t)len);
	copy[len] = '\0';
	r->epoch[r->n] = epoch;
	r->data[r->n++] = copy;
	return true;
}

/* Runs the range query of g for [from, to] into r. Returns NULL or an
 * error message (static or in err). */
static const char *
query_range(enum gran g, lua_Integer ifid, long long from, long long to,
    struct rows *r, char *err, size_t errlen)
{
	const char *fail = NULL;

	pthread_mutex_lock(&db_lock);
	if (!db_open_locked(err, errlen)) {
		pthread_mutex_unlock(&db_lock);
		return err;
	}
	sqlite3_stmt *st = stmts[g][S_RANGE];
	sqlite3_bind_int64(st, 1, ifid);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, MAX_ROWS + 1);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->n == MAX_ROWS) {
			snprintf(err, errlen, "more than %d samples: ask for a "
			    "shorter range", MAX_ROWS);
			fail = err;
			break;
		}
		/* text first, then its length (SQLite's documented order) */
		const unsigned char *text = sqlite3_column_text(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		if (!rows_add(r, sqlite3_column_int64(st, 0), text, len)) {
			fail = "out of memory";
			break;
		}
	}
	if (!fail && rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		fail = err;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	pthread_mutex_unlock(&db_lock);
	return fail;
}

/* Runs S_PUT (text) or S_DELETE of g. */
static const char *
write_row(enum gran g, enum stmt which, lua_Integer ifid, long long epoch,
    const char *text, size_t len, char *err, size_t errlen)
{
	const char *fail = NULL;

	pthread_mutex_lock(&db_lock);
	if (!db_open_locked(err, errlen)) {
		pthread_mutex_unlock(&db_lock);
		return err;
	}
	sqlite3_stmt *st = stmts[g][which];
	sqlite3_bind_int64(st, 1, ifid);
	sqlite3_bind_int64(st, 2, epoch);
	if (which == S_PUT)
		sqlite3_bind_text(st, 3, text, (int)len, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", rc == SQLITE_FULL ?
		    "the historical database is full (1 GiB)" :
		    sqlite3_errmsg(db));
		fail = err;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	pthread_mutex_unlock(&db_lock);
	return fail;
}

/* ---- argument checks ----------------------------------------------------- */

/* The interface must be one this worker serves and the caller may see. */
static lua_Integer
check_ifid(lua_State *L, const char *fn)
{
	lua_Integer ifid = nt_int(L, 1, fn, "ifid");
	if (ifid < 0 || ifid > INT_MAX || lw_iface_index(L, ifid) < 0)
		nt_error(L, fn, "no interface with id %lld",
		    (long long)ifid);
	return ifid;
}

static long long
check_epoch(lua_State *L, int i, const char *fn, const char *what)
{
	lua_Integer e = nt_int(L, i, fn, what);
	if (e < 0 || e > MAX_EPOCH)
		nt_error(L, fn, "argument #%d (%s) must be an epoch in "
		    "0..%lld", i, what, MAX_EPOCH);
	return (long long)e;
}

/* Samples are stored as text: valid UTF-8 without NUL, so every reader
 * (sqlite3 in C, Python, the shell) gets back what was stored. */
static bool
is_utf8_text(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned min;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			k = 1, min = 0x80, c &= 0x1f;
		else if ((c & 0xf0) == 0xe0)
			k = 2, min = 0x800, c &= 0x0f;
		else if ((c & 0xf8) == 0xf0)
			k = 3, min = 0x10000, c &= 0x07;
		else
			return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (s[i + j] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* Writing (insert, delete) is for administrators and the periodic
 * scripts; ntopng lets only administrators delete. */
static void
check_writer(lua_State *L, const char *fn)
{
	const struct ipc_ctx *ctx = lw_vm_of(L)->ctx;
	if (ctx && strcmp(ctx->group, "administrator") != 0 &&
	    strcmp(ctx->group, "system") != 0)
		nt_error(L, fn, "only an administrator may change the "
		    "historical statistics");
}

/* ---- the bindings -------------------------------------------------------- */

static int
do_insert(lua_State *L, const char *fn, enum gran g)
{
	char err[512];
	size_t len;

	nt_args(L, fn, 2, 2);
	lua_Integer ifid = check_ifid(L, fn);
	const char *data = nt_str(L, 2, fn, "data", &len);
	if (len > MAX_SAMPLE)
		nt_error(L, fn, "data of %zu bytes, more than %u", len,
		    MAX_SAMPLE);
	if (!is_utf8_text((const unsigned char *)data, len))
		nt_error(L, fn, "data must be UTF-8 text without NUL bytes");
	check_writer(L, fn);
	long long now = (long long)time(NULL);
	const char *e = write_row(g, S_PUT, ifid, now - now % slot_of[g], data,
	    len, err, sizeof err);
	if (e)
		nt_error(L, fn, "%s", e);
	return 0;
}

static int
push_listing(lua_State *L, const char *fn, enum gran g, lua_Integer ifid,
    long long from, long long to)
{
	char err[512];
	struct rows *r = push_rows(L);
	int ridx = lua_gettop(L);
	const char *e = query_range(g, ifid, from, to, r, err, sizeof err);
	if (e)
		nt_error(L, fn, "%s", e);
	lua_createtable(L, 0, (int)(r->n < INT_MAX ? r->n : 0));
	for (size_t i = 0; i < r->n; i++) {
		lua_pushstring(L, r->data[i]);
		lua_rawseti(L, -2, (lua_Integer)r->epoch[i]);
	}
	lua_pushcfunction(L, rows_gc); /* free now, not at the next GC */
	lua_pushvalue(L, ridx);
	lua_call(L, 1, 0);
	return 1;
}

static int
do_from_epoch(lua_State *L, const char *fn, enum gran g)
{
	nt_args(L, fn, 2, 3);
	lua_Integer ifid = check_ifid(L, fn);
	long long epoch = check_epoch(L, 2, fn, "epoch");
	if (lua_isnoneornil(L, 3))
		return push_listing(L, fn, g, ifid, epoch, MAX_EPOCH);
	lua_Integer n = nt_int(L, 3, fn, "count");
	if (n < 0 || n > MAX_ROWS)
		nt_error(L, fn, "argument #3 (count) must be in 0..%d",
		    MAX_ROWS);
	long long end = epoch - epoch % 60; /* as ntopng */
	long long start = end - (long long)n * slot_of[g];
	return push_listing(L, fn, g, ifid, start < 0 ? 0 : start, end);
}

static int
do_delete(lua_State *L, const char *fn, enum gran g)
{
	char err[512];

	nt_args(L, fn, 2, 2);
	lua_Integer ifid = check_ifid(L, fn);
	lua_Integer days = nt_int(L, 2, fn, "days");
	if (days < 0 || days > MAX_DAYS)
		nt_error(L, fn, "argument #2 (days) must be in 0..%d",
		    MAX_DAYS);
	check_writer(L, fn);
	long long now = (long long)time(NULL);
	long long cutoff = now - now % 60 - (long long)days * 86400;
	const char *e = write_row(g, S_DELETE, ifid, cutoff, NULL, 0, err,
	    sizeof err);
	if (e)
		nt_error(L, fn, "%s", e);
	return 0;
}

NT_FN(insertMinuteSampling) { return do_insert(L, __func__, G_MINUTE); }
NT_FN(insertHourSampling) { return do_insert(L, __func__, G_HOUR); }
NT_FN(insertDaySampling) { return do_insert(L, __func__, G_DAY); }

NT_FN(getMinuteSampling)
{
	char err[512];

	NT_ARGS(2, 2);
	lua_Integer ifid = check_ifid(L, __func__);
	long long epoch = check_epoch(L, 2, __func__, "epoch");
	struct rows *r = push_rows(L);
	int ridx = lua_gettop(L);
	long long from = epoch - epoch % 60;
	const char *e = query_range(G_MINUTE, ifid, from, from + 59, r, err,
	    sizeof err);
	if (e)
		NT_ERR("%s", e);
	if (r->n == 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, r->data[0]);
	lua_pushcfunction(L, rows_gc);
	lua_pushvalue(L, ridx);
	lua_call(L, 1, 0);
	return 1;
}

NT_FN(getMinuteSamplingsFromEpoch)
{
	return do_from_epoch(L, __func__, G_MINUTE);
}

NT_FN(getHourSamplingsFromEpoch)
{
	return do_from_epoch(L, __func__, G_HOUR);
}

NT_FN(getDaySamplingsFromEpoch)
{
	return do_from_epoch(L, __func__, G_DAY);
}

NT_FN(getMinuteSamplingsInterval)
{
	NT_ARGS(3, 3);
	lua_Integer ifid = check_ifid(L, __func__);
	long long from = check_epoch(L, 2, __func__, "from");
	long long to = check_epoch(L, 3, __func__, "to");
	if (from > to)
		NT_ERR("want from <= to");
	return push_listing(L, __func__, G_MINUTE, ifid, from, to);
}

NT_FN(deleteMinuteStatsOlderThan)
{
	return do_delete(L, __func__, G_MINUTE);
}

NT_FN(deleteHourStatsOlderThan) { return do_delete(L, __func__, G_HOUR); }
NT_FN(deleteDayStatsOlderThan) { return do_delete(L, __func__, G_DAY); }

static const luaL_Reg fns[] = {
	NT_ROW(insertMinuteSampling), NT_ROW(insertHourSampling),
	NT_ROW(insertDaySampling), NT_ROW(getMinuteSampling),
	NT_ROW(getMinuteSamplingsFromEpoch), NT_ROW(getHourSamplingsFromEpoch),
	NT_ROW(getDaySamplingsFromEpoch), NT_ROW(getMinuteSamplingsInterval),
	NT_ROW(deleteMinuteStatsOlderThan), NT_ROW(deleteHourStatsOlderThan),
	NT_ROW(deleteDayStatsOlderThan),
	{NULL, NULL},
};

void
ntop_stats_register(lua_State *L)
{
	nt_register(L, fns);
}
