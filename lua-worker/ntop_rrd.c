/* ntop.rrd_* (spec/ntop-api.md section 14): round-robin databases with
 * Debian's librrd, through its thread-safe calls (rrd_create_r,
 * rrd_update_r with numeric timestamps only, rrd_fetch_r,
 * rrd_lastupdate_r; errors are per thread). Files are confined like every
 * ntop.* path: written only in the data dir, read there or in the install
 * dir.
 *
 *   ntop.rrd_create(path, step, start, def...)  defs "DS:…"/"RRA:…",
 *       as arguments or one table; start = last_up (nil: now - step).
 *       An existing file is replaced, as librrd does: check first.
 *   ntop.rrd_update(path, when, v...)           when = epoch (nil: now),
 *       values numbers or "U"
 *   ntop.rrd_fetch(path, cf, start, stop [, step])
 *       -> start, step, {ds names}, {{row values}...}
 *   ntop.rrd_fetch_columns(path, cf, start, stop [, step])
 *       -> start, step, {ds name = {values}}, count
 *   ntop.rrd_lastupdate(path) -> epoch, or nil when there is no file
 *   ntop.rrd_tune(path, arg...)                 rrd_tune's options
 *   ntop.rrd_inc_num_drops([path])  counts an update a script gave up
 *       on (ntopng's time-series driver calls it when its queue is full):
 *       Redis integer netward.rrd.drops, and with a path (confined to
 *       the data dir) the hash netward.rrd.drops.files path -> count, of
 *       at most MAX_DROP_FILES paths (past that only the total grows).
 *       In Redis, every worker adds to the same counts and they survive
 *       restarts; ntop.getCache/getHashCache read them.
 *   ntop.deleteOldRRDs([dir [, max_age]])  removes the *.rrd files under
 *       dir (default DATA/rrd, confined to the data dir) not modified for
 *       max_age seconds (default: the preference
 *       ntopng.prefs.ts_and_stats_data_retention_days, 365 days), then
 *       the directories this left empty (never dir itself). Symbolic
 *       links are not followed, other file systems not entered; the walk
 *       stops after MAX_WALK entries. Returns the number of files removed.
 * Row i of a fetch covers (start + i*step, start + (i+1)*step]; an
 * unknown value is NaN (v ~= v). */
#define _GNU_SOURCE
#include "ntop.h"

#include <errno.h>
#include <ftw.h>
#include <hiredis.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_DEFS 64
#define MAX_VALUES 64
#define MAX_ROWS 1000000 /* points one fetch may return */
#define MAX_DROP_FILES 4096
#define MAX_WALK 1000000 /* entries deleteOldRRDs looks at */
#define MAX_AGE (100LL * 365 * 86400)
#define RETENTION_PREF "ntopng.prefs.ts_and_stats_data_retention_days"
#define DEFAULT_RETENTION_DAYS 365

static pthread_mutex_t tune_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *
rrd_err(void)
{
	const char *e = rrd_get_error();
	return e && *e ? e : "unknown librrd error";
}

/* Collects the strings from index `from` on (or one table there). */
static int
collect_strings(lua_State *L, const char *fn, int from, const char **out,
    int room)
{
	int n = 0;
	if (lua_type(L, from) == LUA_TTABLE && lua_gettop(L) == from) {
		lua_Integer len = luaL_len(L, from);
		if (len > room)
			nt_error(L, fn, "too many definitions (%d at most)", room);
		for (lua_Integer i = 1; i <= len; i++) {
			lua_geti(L, from, i);
			if (lua_type(L, -1) != LUA_TSTRING)
				nt_error(L, fn, "definition %lld is not a string",
				    (long long)i);
			out[n++] = lua_tostring(L, -1);
			lua_pop(L, 1); /* the table keeps it alive */
		}
		return n;
	}
	for (int i = from; i <= lua_gettop(L); i++) {
		if (n >= room)
			nt_error(L, fn, "too many arguments (%d at most)", room);
		out[n++] = nt_str(L, i, fn, "definition", NULL);
	}
	return n;
}

NT_FN(rrd_create)
{
	const char *defs[MAX_DEFS];
	char path[PATH_MAX];

	if (lua_gettop(L) < 4)
		NT_ERR("want (path, step, start, definitions...)");
	nt_confine(L, __func__, NT_STR(1, "path"), true, path, sizeof path);
	lua_Integer step = NT_INT(2, "step");
	if (step < 1 || step > 86400 * 365)
		NT_ERR("argument #2 (step) must be in 1..%d", 86400 * 365);
	time_t start = lua_isnil(L, 3) ? time(NULL) - (time_t)step
	    : (time_t)NT_INT(3, "start");
	int n = collect_strings(L, __func__, 4, defs, MAX_DEFS);
	if (n == 0)
		NT_ERR("no data source or archive given");
	rrd_clear_error();
	if (rrd_create_r(path, (unsigned long)step, start, n, defs) != 0)
		NT_ERR("%s: %s", path, rrd_err());
	return 0;
}

NT_FN(rrd_update)
{
	char path[PATH_MAX], upd[4096];
	size_t len = 0;

	if (lua_gettop(L) < 3)
		NT_ERR("want (path, when, values...)");
	if (lua_gettop(L) - 2 > MAX_VALUES)
		NT_ERR("too many values (%d at most)", MAX_VALUES);
	nt_confine(L, __func__, NT_STR(1, "path"), true, path, sizeof path);
	/* numeric time only: librrd's at-style parser is not thread-safe */
	lua_Integer when = lua_isnil(L, 2) ? (lua_Integer)time(NULL)
	    : NT_INT(2, "when");
	len = (size_t)snprintf(upd, sizeof upd, "%lld", (long long)when);
	for (int i = 3; i <= lua_gettop(L); i++) {
		char v[64];
		if (lua_type(L, i) == LUA_TNUMBER) {
			if (lua_isinteger(L, i))
				snprintf(v, sizeof v, "%lld",
				    (long long)lua_tointeger(L, i));
			else if (isfinite(lua_tonumber(L, i)))
				snprintf(v, sizeof v, "%.17g",
				    (double)lua_tonumber(L, i));
			else
				snprintf(v, sizeof v, "U");
		} else {
			const char *s = NT_STR(i, "value");
			char *end;
			if (strcmp(s, "U") != 0) {
				errno = 0;
				double d = strtod(s, &end);
				if (*s == '\0' || *end != '\0' || errno ||
				    !isfinite(d))
					NT_ERR("argument #%d (value) must be a "
					    "number or \"U\"", i);
			}
			snprintf(v, sizeof v, "%s", s);
		}
		int w = snprintf(upd + len, sizeof upd - len, ":%s", v);
		if (w < 0 || (size_t)w >= sizeof upd - len)
			NT_ERR("update too long");
		len += (size_t)w;
	}
	const char *argv[1] = {upd};
	rrd_clear_error();
	if (rrd_update_r(path, NULL, 1, argv) != 0)
		NT_ERR("%s: %s", path, rrd_err());
	return 0;
}

struct fetch {
	time_t start, end;
	unsigned long step, ds_cnt;
	char **names;
	rrd_value_t *data;
	size_t rows;
};

static void
fetch_free(struct fetch *f)
{
	for (unsigned long i = 0; f->names && i < f->ds_cnt; i++)
		rrd_freemem(f->names[i]);
	rrd_freemem(f->names);
	rrd_freemem(f->data);
	f->names = NULL;
	f->data = NULL;
}

/* A fetch's memory lives in a userdata, so a Lua error while pushing
 * (memory limit) still frees it. */
static int
fetch_gc(lua_State *L)
{
	fetch_free(lua_touserdata(L, 1));
	return 0;
}

static struct fetch *
do_fetch(lua_State *L, const char *fn)
{
	char path[PATH_MAX];
	nt_args(L, fn, 4, 5);
	nt_confine(L, fn, nt_str(L, 1, fn, "path", NULL), false, path,
	    sizeof path);
	const char *cf = nt_str(L, 2, fn, "cf", NULL);
	if (strcmp(cf, "AVERAGE") != 0 && strcmp(cf, "MIN") != 0 &&
	    strcmp(cf, "MAX") != 0 && strcmp(cf, "LAST") != 0)
		nt_error(L, fn, "argument #2 (cf) must be AVERAGE, MIN, MAX "
		    "or LAST");
	time_t start = (time_t)nt_int(L, 3, fn, "start");
	time_t end = (time_t)nt_int(L, 4, fn, "stop");
	lua_Integer step = nt_optint(L, 5, fn, "step", 1);
	if (end < start || step < 1)
		nt_error(L, fn, "want start <= stop and step >= 1");
	struct fetch *f = lua_newuserdatauv(L, sizeof *f, 0);
	memset(f, 0, sizeof *f);
	if (luaL_newmetatable(L, "netward.rrd_fetch")) {
		lua_pushcfunction(L, fetch_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
	}
	lua_setmetatable(L, -2);
	f->start = start;
	f->end = end;
	f->step = (unsigned long)step;
	rrd_clear_error();
	if (rrd_fetch_r(path, cf, &f->start, &f->end, &f->step, &f->ds_cnt,
	    &f->names, &f->data) != 0)
		nt_error(L, fn, "%s: %s", path, rrd_err());
	if (f->step == 0 || f->end < f->start)
		nt_error(L, fn, "%s: librrd returned an empty range", path);
	f->rows = (size_t)((f->end - f->start) / (time_t)f->step);
	if (f->rows > MAX_ROWS)
		nt_error(L, fn, "%s: %zu points, more than %d", path, f->rows,
		    MAX_ROWS);
	return f;
}

NT_FN(rrd_fetch)
{
	struct fetch *f = do_fetch(L, __func__);
	lua_pushinteger(L, (lua_Integer)f->start);
	lua_pushinteger(L, (lua_Integer)f->step);
	lua_createtable(L, (int)f->ds_cnt, 0);
	for (unsigned long i = 0; i < f->ds_cnt; i++) {
		lua_pushstring(L, f->names[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_createtable(L, (int)f->rows, 0);
	for (size_t r = 0; r < f->rows; r++) {
		lua_createtable(L, (int)f->ds_cnt, 0);
		for (unsigned long i = 0; i < f->ds_cnt; i++) {
			lua_pushnumber(L, f->data[r * f->ds_cnt + i]);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		lua_rawseti(L, -2, (lua_Integer)r + 1);
	}
	fetch_free(f);
	return 4;
}

NT_FN(rrd_fetch_columns)
{
	struct fetch *f = do_fetch(L, __func__);
	lua_pushinteger(L, (lua_Integer)f->start);
	lua_pushinteger(L, (lua_Integer)f->step);
	lua_createtable(L, 0, (int)f->ds_cnt);
	for (unsigned long i = 0; i < f->ds_cnt; i++) {
		lua_createtable(L, (int)f->rows, 0);
		for (size_t r = 0; r < f->rows; r++) {
			lua_pushnumber(L, f->data[r * f->ds_cnt + i]);
			lua_rawseti(L, -2, (lua_Integer)r + 1);
		}
		lua_setfield(L, -2, f->names[i]);
	}
	lua_pushinteger(L, (lua_Integer)f->rows);
	fetch_free(f);
	return 4;
}

NT_FN(rrd_lastupdate)
{
	char path[PATH_MAX];
	struct stat st;
	time_t last;
	unsigned long n = 0;
	char **names = NULL, **values = NULL;

	NT_ARGS(1, 1);
	nt_confine(L, __func__, NT_STR(1, "path"), false, path, sizeof path);
	if (stat(path, &st) != 0) {
		lua_pushnil(L);
		return 1;
	}
	rrd_clear_error();
	if (rrd_lastupdate_r(path, &last, &n, &names, &values) != 0)
		NT_ERR("%s: %s", path, rrd_err());
	for (unsigned long i = 0; i < n; i++) {
		rrd_freemem(names[i]);
		rrd_freemem(values[i]);
	}
	rrd_freemem(names);
	rrd_freemem(values);
	lua_pushinteger(L, (lua_Integer)last);
	return 1;
}

NT_FN(rrd_tune)
{
	char path[PATH_MAX];
	const char *args[MAX_DEFS];
	char *argv[MAX_DEFS + 2];

	if (lua_gettop(L) < 2)
		NT_ERR("want (path, options...)");
	nt_confine(L, __func__, NT_STR(1, "path"), true, path, sizeof path);
	int n = collect_strings(L, __func__, 2, args, MAX_DEFS);
	argv[0] = (char *)"tune";
	argv[1] = path;
	for (int i = 0; i < n; i++)
		argv[i + 2] = (char *)args[i];
	/* rrd_tune has no _r form: one at a time in this process */
	pthread_mutex_lock(&tune_lock);
	rrd_clear_error();
	int rc = rrd_tune(n + 2, argv);
	char err[256];
	snprintf(err, sizeof err, "%s", rc != 0 ? rrd_err() : "");
	pthread_mutex_unlock(&tune_lock);
	if (rc != 0)
		NT_ERR("%s: %s", path, err);
	return 0;
}

NT_FN(rrd_inc_num_drops)
{
	char path[PATH_MAX];
	int box;

	NT_ARGS(0, 1);
	if (!lua_isnoneornil(L, 1))
		nt_confine(L, __func__, NT_STR(1, "path"), true, path,
		    sizeof path);
	const char *incr[] = {"INCR", "netward.rrd.drops"};
	nt_redis(L, __func__, &box, 2, incr, NULL);
	lw_redis_done(L, box);
	if (lua_isnoneornil(L, 1))
		return 0;
	const char *hexists[] = {"HEXISTS", "netward.rrd.drops.files", path};
	const redisReply *r = nt_redis(L, __func__, &box, 3, hexists, NULL);
	bool known = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	lw_redis_done(L, box);
	if (!known) {
		const char *hlen[] = {"HLEN", "netward.rrd.drops.files"};
		r = nt_redis(L, __func__, &box, 2, hlen, NULL);
		bool full = r->type != REDIS_REPLY_INTEGER ||
		    r->integer >= MAX_DROP_FILES;
		lw_redis_done(L, box);
		if (full)
			return 0;
	}
	const char *hincr[] = {"HINCRBY", "netward.rrd.drops.files", path,
	    "1"};
	nt_redis(L, __func__, &box, 4, hincr, NULL);
	lw_redis_done(L, box);
	return 0;
}

/* nftw has no user pointer: the walk's state is per thread. */
static __thread time_t old_cutoff;
static __thread long old_seen, old_removed;
static __thread const char *old_root;

static int
old_rrd_visit(const char *p, const struct stat *st, int type,
    struct FTW *ftw)
{
	if (++old_seen > MAX_WALK)
		return 1;
	if (type == FTW_F && S_ISREG(st->st_mode)) {
		size_t n = strlen(p + ftw->base);
		if (n > 4 && strcmp(p + ftw->base + n - 4, ".rrd") == 0 &&
		    st->st_mtime < old_cutoff && unlink(p) == 0)
			old_removed++;
	} else if (type == FTW_DP && strcmp(p, old_root) != 0) {
		rmdir(p); /* only when empty; ENOTEMPTY is fine */
	}
	return 0;
}

NT_FN(deleteOldRRDs)
{
	char dir[PATH_MAX], def[PATH_MAX];
	lua_Integer max_age;
	struct stat st;
	int box;

	NT_ARGS(0, 2);
	if (lua_isnoneornil(L, 1)) {
		if (snprintf(def, sizeof def, "%s/rrd", lw_cfg.data_dir) >=
		    (int)sizeof def)
			NT_ERR("data dir path too long");
		nt_confine(L, __func__, def, true, dir, sizeof dir);
	} else {
		nt_confine(L, __func__, NT_STR(1, "dir"), true, dir,
		    sizeof dir);
	}
	if (!lua_isnoneornil(L, 2)) {
		max_age = NT_INT(2, "max_age");
		if (max_age < 0 || max_age > MAX_AGE)
			NT_ERR("argument #2 (max_age) must be in 0..%lld "
			    "seconds", MAX_AGE);
	} else {
		const char *get[] = {"GET", RETENTION_PREF};
		const redisReply *r = nt_redis(L, __func__, &box, 2, get, NULL);
		long long days = DEFAULT_RETENTION_DAYS;
		if (r->type == REDIS_REPLY_STRING) {
			char *end;
			errno = 0;
			days = strtoll(r->str, &end, 10);
			if (r->len == 0 || *end != '\0' || errno || days < 1 ||
			    days > 36500)
				days = -1;
		}
		lw_redis_done(L, box);
		if (days < 0)
			NT_ERR("preference %s is not a number of days in "
			    "1..36500", RETENTION_PREF);
		max_age = (lua_Integer)days * 86400;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		lua_pushinteger(L, 0);
		return 1;
	}
	old_cutoff = time(NULL) - (time_t)max_age;
	old_seen = old_removed = 0;
	old_root = dir;
	int rc = nftw(dir, old_rrd_visit, 16, FTW_PHYS | FTW_MOUNT | FTW_DEPTH);
	if (rc < 0)
		NT_ERR("%s: %s", dir, strerror(errno));
	if (rc > 0)
		NT_ERR("%s: more than %d entries, stopped after removing %ld "
		    "files", dir, MAX_WALK, old_removed);
	lua_pushinteger(L, old_removed);
	return 1;
}

static const luaL_Reg fns[] = {
	NT_ROW(rrd_create), NT_ROW(rrd_update), NT_ROW(rrd_fetch),
	NT_ROW(rrd_fetch_columns), NT_ROW(rrd_lastupdate), NT_ROW(rrd_tune),
	NT_ROW(rrd_inc_num_drops), NT_ROW(deleteOldRRDs),
	{NULL, NULL},
};

void
ntop_rrd_register(lua_State *L)
{
	nt_register(L, fns);
}
