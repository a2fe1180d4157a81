/* The `ntop` table: process information and the Redis cache.
 *
 * Arguments are type-checked as ntopng does, with errors naming the
 * function. A function answers with real values only: a directory that
 * has no meaning here is left out of getDirs() rather than invented. */
#include "lw.h"
#include "log.h"

#include <hiredis.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef NETWARD_VERSION
#define NETWARD_VERSION "unknown"
#endif
#define NETWARD_ETC_DIR "/etc/netward"

static const char *
check_string(lua_State *L, int idx, const char *fname, const char *what,
    size_t *len)
{
	if (lua_type(L, idx) != LUA_TSTRING)
		luaL_error(L, "%s: argument #%d (%s) must be a string, got %s",
		    fname, idx, what, luaL_typename(L, idx));
	return lua_tolstring(L, idx, len);
}

/* Values may be strings or numbers (stored as their text). */
static const char *
check_value(lua_State *L, int idx, const char *fname, size_t *len)
{
	int t = lua_type(L, idx);
	if (t != LUA_TSTRING && t != LUA_TNUMBER)
		luaL_error(L, "%s: argument #%d (value) must be a string, got %s",
		    fname, idx, luaL_typename(L, idx));
	return lua_tolstring(L, idx, len);
}

static void
set_str(lua_State *L, const char *key, const char *val)
{
	lua_pushstring(L, val);
	lua_setfield(L, -2, key);
}

static int
l_getDirs(lua_State *L)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	lua_newtable(L);
	set_str(L, "installdir", lw_cfg.install_dir);
	lua_pushfstring(L, "%s/scripts", lw_cfg.install_dir);
	lua_setfield(L, -2, "scriptdir");
	lua_pushfstring(L, "%s/httpdocs", lw_cfg.install_dir);
	lua_setfield(L, -2, "httpdocsdir");
	lua_pushfstring(L, "%s/scripts/callbacks", lw_cfg.install_dir);
	lua_setfield(L, -2, "callbacksdir");
	set_str(L, "sharedir", lw_cfg.install_dir);
	set_str(L, "workingdir", lw_cfg.data_dir);
	set_str(L, "etcdir", NETWARD_ETC_DIR);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			set_str(L, "bindir", exe);
		}
	}
	return 1;
}

static lua_Integer
uptime_sec(void)
{
	return (lua_Integer)(time(NULL) - lw_cfg.start_time);
}

static int
l_getUptime(lua_State *L)
{
	lua_pushinteger(L, uptime_sec());
	return 1;
}

static int
l_getInfo(lua_State *L)
{
	struct utsname u;
	bool verbose = lua_isnoneornil(L, 1) || lua_toboolean(L, 1);

	lua_newtable(L);
	set_str(L, "product", "netward");
	set_str(L, "version", NETWARD_VERSION);
	set_str(L, "license", "GPL-3.0-or-later");
	lua_pushinteger(L, uptime_sec());
	lua_setfield(L, -2, "uptime");
	lua_pushinteger(L, (lua_Integer)lw_cfg.start_time);
	lua_setfield(L, -2, "starttime");
	if (uname(&u) == 0) {
		lua_pushfstring(L, "%s %s", u.sysname, u.release);
		lua_setfield(L, -2, "OS");
		set_str(L, "platform", u.machine);
	}
	lua_pushinteger(L, (lua_Integer)(sizeof(void *) * CHAR_BIT));
	lua_setfield(L, -2, "bits");
	if (verbose) {
		lua_pushinteger(L, (lua_Integer)getpid());
		lua_setfield(L, -2, "pid");
		set_str(L, "version.lua", LUA_RELEASE);
		lua_pushfstring(L, "%d.%d.%d", HIREDIS_MAJOR, HIREDIS_MINOR,
		    HIREDIS_PATCH);
		lua_setfield(L, -2, "version.hiredis");
		lua_pushinteger(L, lw_cfg.id);
		lua_setfield(L, -2, "lua_worker_id");
	}
	return 1;
}

/* ---- Redis: strings ---------------------------------------------------- */

static void
push_string_reply(lua_State *L, const redisReply *r)
{
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
		lua_pushlstring(L, r->str, r->len);
	else if (r->type == REDIS_REPLY_INTEGER)
		lua_pushinteger(L, (lua_Integer)r->integer);
	else
		lua_pushnil(L);
}

static int
l_getCache(lua_State *L)
{
	size_t klen;
	const char *key = check_string(L, 1, "ntop.getCache", "key", &klen);
	const char *argv[] = {"GET", key};
	size_t lens[] = {3, klen};

	redisReply *r = lw_redis_command(L, "ntop.getCache", 2, argv, lens);
	int box = lua_gettop(L);
	push_string_reply(L, r);
	lw_redis_done(L, box);
	return 1;
}

static int
l_setCache(lua_State *L)
{
	size_t klen, vlen;
	const char *key = check_string(L, 1, "ntop.setCache", "key", &klen);
	const char *val = check_value(L, 2, "ntop.setCache", &vlen);
	char ttlbuf[32];
	const char *argv[5] = {"SET", key, val, "EX", ttlbuf};
	size_t lens[5] = {3, klen, vlen, 2, 0};
	int argc = 3;

	if (!lua_isnoneornil(L, 3)) {
		if (!lua_isinteger(L, 3) && !lua_isnumber(L, 3))
			return luaL_error(L,
			    "ntop.setCache: argument #3 (ttl) must be a number");
		lua_Integer ttl = (lua_Integer)lua_tonumber(L, 3);
		if (ttl > 0) {
			lens[4] = (size_t)snprintf(ttlbuf, sizeof ttlbuf,
			    LUA_INTEGER_FMT, ttl);
			argc = 5;
		}
	}
	lw_redis_command(L, "ntop.setCache", argc, argv, lens);
	lw_redis_done(L, lua_gettop(L));
	return 0;
}

static int
l_delCache(lua_State *L)
{
	size_t klen;
	const char *key = check_string(L, 1, "ntop.delCache", "key", &klen);
	const char *argv[] = {"DEL", key};
	size_t lens[] = {3, klen};

	lw_redis_command(L, "ntop.delCache", 2, argv, lens);
	lw_redis_done(L, lua_gettop(L));
	return 0;
}

static int
l_incrCache(lua_State *L)
{
	size_t klen;
	const char *key = check_string(L, 1, "ntop.incrCache", "key", &klen);
	lua_Integer by = luaL_optinteger(L, 2, 1);
	char nbuf[32];
	const char *argv[] = {"INCRBY", key, nbuf};
	size_t lens[] = {6, klen, 0};

	lens[2] = (size_t)snprintf(nbuf, sizeof nbuf, LUA_INTEGER_FMT, by);
	redisReply *r = lw_redis_command(L, "ntop.incrCache", 3, argv, lens);
	int box = lua_gettop(L);
	push_string_reply(L, r);
	lw_redis_done(L, box);
	return 1;
}

/* ---- Redis: hashes ----------------------------------------------------- */

static int
l_getHashCache(lua_State *L)
{
	size_t klen, flen;
	const char *key = check_string(L, 1, "ntop.getHashCache", "key", &klen);
	const char *fld = check_string(L, 2, "ntop.getHashCache", "field",
	    &flen);
	const char *argv[] = {"HGET", key, fld};
	size_t lens[] = {4, klen, flen};

	redisReply *r = lw_redis_command(L, "ntop.getHashCache", 3, argv,
	    lens);
	int box = lua_gettop(L);
	push_string_reply(L, r);
	lw_redis_done(L, box);
	return 1;
}

static int
l_setHashCache(lua_State *L)
{
	size_t klen, flen, vlen;
	const char *key = check_string(L, 1, "ntop.setHashCache", "key", &klen);
	const char *fld = check_string(L, 2, "ntop.setHashCache", "field",
	    &flen);
	const char *val = check_value(L, 3, "ntop.setHashCache", &vlen);
	const char *argv[] = {"HSET", key, fld, val};
	size_t lens[] = {4, klen, flen, vlen};

	lw_redis_command(L, "ntop.setHashCache", 4, argv, lens);
	lw_redis_done(L, lua_gettop(L));
	return 0;
}

static int
l_delHashCache(lua_State *L)
{
	size_t klen, flen;
	const char *key = check_string(L, 1, "ntop.delHashCache", "key", &klen);
	const char *fld = check_string(L, 2, "ntop.delHashCache", "field",
	    &flen);
	const char *argv[] = {"HDEL", key, fld};
	size_t lens[] = {4, klen, flen};

	lw_redis_command(L, "ntop.delHashCache", 3, argv, lens);
	lw_redis_done(L, lua_gettop(L));
	return 0;
}

static int
l_getHashAllCache(lua_State *L)
{
	size_t klen;
	const char *key = check_string(L, 1, "ntop.getHashAllCache", "key",
	    &klen);
	const char *argv[] = {"HGETALL", key};
	size_t lens[] = {7, klen};

	redisReply *r = lw_redis_command(L, "ntop.getHashAllCache", 2, argv,
	    lens);
	int box = lua_gettop(L);
	lua_newtable(L);
	if (r->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i + 1 < r->elements; i += 2) {
			push_string_reply(L, r->element[i]);
			push_string_reply(L, r->element[i + 1]);
			if (lua_isnil(L, -2))
				lua_pop(L, 2);
			else
				lua_rawset(L, -3);
		}
	lw_redis_done(L, box);
	return 1;
}

static const luaL_Reg ntop_functions[] = {
	{"getDirs", l_getDirs},
	{"getInfo", l_getInfo},
	{"getUptime", l_getUptime},
	{"getCache", l_getCache},
	{"setCache", l_setCache},
	{"delCache", l_delCache},
	{"incrCache", l_incrCache},
	{"getHashCache", l_getHashCache},
	{"setHashCache", l_setHashCache},
	{"delHashCache", l_delHashCache},
	{"getHashAllCache", l_getHashAllCache},
	{NULL, NULL},
};

void
lw_push_ntop_table(lua_State *L)
{
	luaL_newlib(L, ntop_functions);
	lw_ntop_users_register(L);
}
