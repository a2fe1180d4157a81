/* interface.rrd_enqueue / rrd_dequeue / rrd_queue_length (spec/
 * interface-api.md section 18), served here, not by the capture worker.
 *
 * ntopng keeps one queue per interface in its own memory, filled by the
 * periodic scripts and drained by a writer; here the scripts run in
 * several processes (the Lua workers and the periodic worker, each
 * restarted on its own), so the queue is the Redis list
 * netward.rrd_queue.<ifid>: every worker sees the same queue and nothing
 * queued is lost when one of them dies.
 *
 *   interface.rrd_enqueue(rrd_path, value, step) -> true, or false when
 *       the queue holds MAX_QUEUE updates already (the caller may count
 *       the drop with ntop.rrd_inc_num_drops, as ntopng's driver does)
 *   interface.rrd_dequeue() -> {rrd_path, value, step, when} | nil
 *   interface.rrd_queue_length() -> integer
 *
 * rrd_path is confined to the data dir, value a finite number, step
 * 1..MAX_STEP seconds; `when` is the time of the enqueue. An entry is the
 * text "<when> <step> <value> <path>" (path last: it may hold spaces);
 * one that does not parse is dropped with an error naming it.
 *
 * interface.appendInfluxDB raises an error: netward has no InfluxDB. */
#define _GNU_SOURCE
#include "lw.h"

#include <errno.h>
#include <hiredis.h>
#include <lauxlib.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_QUEUE 65536
#define MAX_STEP (86400 * 365)

static void
queue_key(lua_State *L, const char *fname, char *key, size_t size)
{
	/* fname is "interface.<name>"; selected() adds the prefix */
	snprintf(key, size, "netward.rrd_queue.%d",
	    lw_iface_selected(L, fname + strlen("interface."))->ifid);
}

static redisReply *
cmd(lua_State *L, const char *fname, int *box, int argc, const char **argv)
{
	size_t lens[8];
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	redisReply *r = lw_redis_command(L, fname, argc, argv, lens);
	*box = lua_gettop(L);
	return r;
}

static int
l_rrd_enqueue(lua_State *L)
{
	static const char fn[] = "interface.rrd_enqueue";
	char path[PATH_MAX], key[64], entry[PATH_MAX + 96];
	int box;

	if (lua_gettop(L) != 3)
		return luaL_error(L, "%s: want (rrd_path, value, step)", fn);
	if (lua_type(L, 1) != LUA_TSTRING)
		return luaL_error(L, "%s: argument #1 (rrd_path) must be a "
		    "string", fn);
	if (lua_type(L, 2) != LUA_TNUMBER || !isfinite(lua_tonumber(L, 2)))
		return luaL_error(L, "%s: argument #2 (value) must be a finite "
		    "number", fn);
	int ok = 0;
	lua_Integer step = lua_type(L, 3) == LUA_TNUMBER ?
	    lua_tointegerx(L, 3, &ok) : 0;
	if (!ok || step < 1 || step > MAX_STEP)
		return luaL_error(L, "%s: argument #3 (step) must be an integer "
		    "in 1..%d", fn, MAX_STEP);
	queue_key(L, fn, key, sizeof key);
	if (!lw_confine_path(lua_tostring(L, 1), true, path, sizeof path))
		return luaL_error(L, "%s: rrd_path '%s' is not a path inside the "
		    "data dir (%s)", fn, lua_tostring(L, 1), lw_cfg.data_dir);
	char value[64];
	if (lua_isinteger(L, 2))
		snprintf(value, sizeof value, "%lld",
		    (long long)lua_tointeger(L, 2));
	else
		snprintf(value, sizeof value, "%.17g",
		    (double)lua_tonumber(L, 2));
	snprintf(entry, sizeof entry, "%lld %lld %s %s",
	    (long long)time(NULL), (long long)step, value, path);

	const char *push[] = {"RPUSH", key, entry};
	redisReply *r = cmd(L, fn, &box, 3, push);
	long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	lw_redis_done(L, box);
	if (n > MAX_QUEUE) {
		/* over the cap (racing workers included): take one back */
		const char *pop[] = {"RPOP", key};
		cmd(L, fn, &box, 2, pop);
		lw_redis_done(L, box);
		lua_pushboolean(L, 0);
		return 1;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* Parses "<when> <step> <value> <path>"; false when malformed. */
static bool
parse_entry(const char *s, long long *when, long long *step, double *value,
    const char **path)
{
	char *end;
	errno = 0;
	*when = strtoll(s, &end, 10);
	if (end == s || *end != ' ' || errno || *when < 0)
		return false;
	s = end + 1;
	*step = strtoll(s, &end, 10);
	if (end == s || *end != ' ' || errno || *step < 1 || *step > MAX_STEP)
		return false;
	s = end + 1;
	*value = strtod(s, &end);
	if (end == s || *end != ' ' || errno || !isfinite(*value))
		return false;
	*path = end + 1;
	return (*path)[0] == '/';
}

static int
l_rrd_dequeue(lua_State *L)
{
	static const char fn[] = "interface.rrd_dequeue";
	char key[64];
	int box;

	if (lua_gettop(L) != 0)
		return luaL_error(L, "%s: takes no arguments", fn);
	queue_key(L, fn, key, sizeof key);
	const char *pop[] = {"LPOP", key};
	redisReply *r = cmd(L, fn, &box, 2, pop);
	if (r->type != REDIS_REPLY_STRING) {
		lw_redis_done(L, box);
		lua_pushnil(L);
		return 1;
	}
	long long when, step;
	double value;
	const char *path;
	if (strlen(r->str) != r->len ||
	    !parse_entry(r->str, &when, &step, &value, &path)) {
		lw_redis_done(L, box);
		return luaL_error(L, "%s: dropped a malformed entry of %s", fn,
		    key);
	}
	lua_createtable(L, 0, 4);
	lua_pushstring(L, path);
	lua_setfield(L, -2, "rrd_path");
	if (value == floor(value) && fabs(value) < 9.0e15)
		lua_pushinteger(L, (lua_Integer)value);
	else
		lua_pushnumber(L, value);
	lua_setfield(L, -2, "value");
	lua_pushinteger(L, (lua_Integer)step);
	lua_setfield(L, -2, "step");
	lua_pushinteger(L, (lua_Integer)when);
	lua_setfield(L, -2, "when");
	lw_redis_done(L, box);
	return 1;
}

static int
l_rrd_queue_length(lua_State *L)
{
	static const char fn[] = "interface.rrd_queue_length";
	char key[64];
	int box;

	if (lua_gettop(L) != 0)
		return luaL_error(L, "%s: takes no arguments", fn);
	queue_key(L, fn, key, sizeof key);
	const char *len[] = {"LLEN", key};
	redisReply *r = cmd(L, fn, &box, 2, len);
	lua_Integer n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	lw_redis_done(L, box);
	lua_pushinteger(L, n);
	return 1;
}

static int
l_appendInfluxDB(lua_State *L)
{
	return luaL_error(L, "interface.appendInfluxDB: not available in "
	    "netward: netward has no InfluxDB time-series backend");
}

static const luaL_Reg fns[] = {
	{"rrd_enqueue", l_rrd_enqueue},
	{"rrd_dequeue", l_rrd_dequeue},
	{"rrd_queue_length", l_rrd_queue_length},
	{"appendInfluxDB", l_appendInfluxDB},
	{NULL, NULL},
};

void
lw_iface_rrd_queue_register(lua_State *L)
{
	luaL_setfuncs(L, fns, 0);
}
