/* ntop.* sections 5 (Redis), 6 (preferences) and 32 (the Lua cache).
 *
 * Every call is one Redis command over the worker's hiredis connection
 * (redis_conn.c). Sets of names (getKeysCache, getHashKeysCache) come
 * back as {name = true}, lists and set members as arrays. Key scans use
 * SCAN, never KEYS, so a large database is not blocked. */
#include "ntop.h"
#include "log.h"

#include <hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFS_PREFIX "ntopng.prefs."
#define LUACACHE_PREFIX "netward.luacache."
#define SCAN_MAX 100000 /* keys returned by one pattern scan */

static int
done1(lua_State *L, int box)
{
	lw_redis_done(L, box);
	return 1;
}

/* One command of string arguments whose reply is pushed as a value. */
static int
simple(lua_State *L, const char *fn, int argc, const char **argv,
    const size_t *lens)
{
	int box;
	redisReply *r = nt_redis(L, fn, &box, argc, argv, lens);
	nt_push_reply(L, r);
	return done1(L, box);
}

static void
push_array(lua_State *L, const redisReply *r)
{
	lua_newtable(L);
	if (r->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < r->elements; i++) {
		nt_push_reply(L, r->element[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

static void
push_name_set(lua_State *L, const redisReply *r, size_t step)
{
	if (r->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < r->elements; i += step) {
		nt_push_reply(L, r->element[i]);
		lua_pushboolean(L, 1);
		lua_rawset(L, -3);
	}
}

static const char *
fmt_int(char *buf, size_t size, lua_Integer v)
{
	snprintf(buf, size, LUA_INTEGER_FMT, v);
	return buf;
}

/* ---- strings --------------------------------------------------------------- */

NT_FN(getCache)
{
	NT_ARGS(1, 1);
	const char *argv[] = {"GET", NT_STR(1, "key")};
	return simple(L, __func__, 2, argv, NULL);
}

static int
set_with_ttl(lua_State *L, const char *fn, bool nx)
{
	char ttl[32];
	size_t vlen;
	nt_args(L, fn, 2, 3);
	const char *key = nt_str(L, 1, fn, "key", NULL);
	const char *val = nt_value(L, 2, fn, "value", &vlen);
	lua_Integer t = nt_optint(L, 3, fn, "ttl", 0);
	const char *argv[6] = {"SET", key, val};
	size_t lens[6] = {(size_t)-1, (size_t)-1, vlen, (size_t)-1,
		(size_t)-1, (size_t)-1};
	int argc = 3, box;

	if (t < 0)
		nt_error(L, fn, "argument #3 (ttl) must not be negative");
	if (t > 0) {
		argv[argc++] = "EX";
		argv[argc++] = fmt_int(ttl, sizeof ttl, t);
	}
	if (nx)
		argv[argc++] = "NX";
	redisReply *r = nt_redis(L, fn, &box, argc, argv, lens);
	bool stored = r->type == REDIS_REPLY_STATUS;
	lw_redis_done(L, box);
	if (!nx)
		return 0;
	lua_pushboolean(L, stored);
	return 1;
}

NT_FN(setCache)
{
	return set_with_ttl(L, __func__, false);
}

NT_FN(setnxCache)
{
	return set_with_ttl(L, __func__, true);
}

NT_FN(delCache)
{
	int box;
	NT_ARGS(1, 1);
	const char *argv[] = {"DEL", NT_STR(1, "key")};
	nt_redis(L, __func__, &box, 2, argv, NULL);
	lw_redis_done(L, box);
	return 0;
}

NT_FN(renameCache)
{
	int box;
	NT_ARGS(2, 2);
	const char *argv[] = {"RENAME", NT_STR(1, "old_key"),
		NT_STR(2, "new_key")};
	nt_redis(L, __func__, &box, 3, argv, NULL);
	lw_redis_done(L, box);
	return 0;
}

NT_FN(incrCache)
{
	char n[32];
	NT_ARGS(1, 2);
	const char *key = NT_STR(1, "key");
	const char *argv[] = {"INCRBY", key,
		fmt_int(n, sizeof n, NT_OPTINT(2, "amount", 1))};
	return simple(L, __func__, 3, argv, NULL);
}

/* ntopng empties the whole database here. In netward that database also
 * holds the users and sessions, which only the frontend may touch, so the
 * Lua workers' Redis user is not allowed FLUSHDB: refused, saying why. */
NT_FN(flushCache)
{
	NT_ARGS(0, 0);
	NT_ERR("not allowed: Redis also holds users and sessions, which only "
	    "the web frontend may touch, so the Lua workers may not flush it");
	return 0;
}

/* SCAN with MATCH over the whole keyspace, keys into the table on top. */
static void
scan_keys(lua_State *L, const char *fn, const char *pattern, bool values,
    size_t strip)
{
	char cursor[32] = "0";
	size_t total = 0;

	do {
		int box;
		const char *argv[] = {"SCAN", cursor, "MATCH", pattern,
			"COUNT", "1000"};
		redisReply *r = nt_redis(L, fn, &box, 6, argv, NULL);
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY)
			nt_error(L, fn, "unexpected SCAN reply");
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		const redisReply *keys = r->element[1];
		/* The reply box sits just above the table. */
		for (size_t i = 0; i < keys->elements; i++) {
			const redisReply *k = keys->element[i];
			if (k->type != REDIS_REPLY_STRING || k->len < strip ||
			    ++total > SCAN_MAX)
				continue;
			lua_pushlstring(L, k->str + strip, k->len - strip);
			if (values) {
				int vbox;
				const char *gv[] = {"GET", k->str};
				redisReply *v = nt_redis(L, fn, &vbox, 2, gv,
				    (size_t[]){3, k->len});
				nt_push_reply(L, v);
				lw_redis_done(L, vbox);
			} else {
				lua_pushboolean(L, 1);
			}
			lua_rawset(L, box - 1);
		}
		lw_redis_done(L, box);
	} while (strcmp(cursor, "0") != 0);
}

NT_FN(getKeysCache)
{
	NT_ARGS(1, 1);
	const char *pattern = NT_STR(1, "pattern");
	lua_newtable(L);
	scan_keys(L, __func__, pattern, false, 0);
	return 1;
}

/* INFO as {section = {field = value}}, numbers converted. */
static int
info(lua_State *L, const char *fn, const char *section)
{
	int box;
	const char *argv[] = {"INFO", section};
	redisReply *r = nt_redis(L, fn, &box, section ? 2 : 1, argv, NULL);
	lua_newtable(L);
	if (r->type == REDIS_REPLY_STRING) {
		char *text = strndup(r->str, r->len), *save = NULL;
		if (text == NULL)
			nt_error(L, fn, "out of memory");
		for (char *line = strtok_r(text, "\r\n", &save); line;
		     line = strtok_r(NULL, "\r\n", &save)) {
			char *colon = strchr(line, ':');
			if (line[0] == '#' || colon == NULL)
				continue;
			*colon = '\0';
			char *end;
			long long v = strtoll(colon + 1, &end, 10);
			if (*end == '\0' && end != colon + 1)
				lua_pushinteger(L, v);
			else
				lua_pushstring(L, colon + 1);
			lua_setfield(L, -2, line);
		}
		free(text);
	}
	return done1(L, box);
}

NT_FN(getCacheStatus)
{
	NT_ARGS(0, 0);
	return info(L, __func__, NULL);
}

NT_FN(getCacheStats)
{
	NT_ARGS(0, 0);
	return info(L, __func__, "stats");
}

NT_FN(hasDumpCache)
{
	int box;
	NT_ARGS(1, 1);
	const char *argv[] = {"EXISTS", NT_STR(1, "key")};
	redisReply *r = nt_redis(L, __func__, &box, 2, argv, NULL);
	lua_pushboolean(L, r->type == REDIS_REPLY_INTEGER && r->integer > 0);
	return done1(L, box);
}

NT_FN(dumpCache)
{
	NT_ARGS(1, 1);
	const char *argv[] = {"DUMP", NT_STR(1, "key")};
	return simple(L, __func__, 2, argv, NULL);
}

/* RESTORE deserialises a payload inside Redis: one of the commands the
 * Lua workers' Redis user may not run (ACL category @dangerous). */
NT_FN(restoreCache)
{
	NT_ARGS(2, 2);
	(void)NT_STR(1, "key");
	(void)NT_STR(2, "dump");
	NT_ERR("not allowed: the Lua workers' Redis user may not RESTORE "
	    "serialized values");
	return 0;
}

/* ---- hashes ---------------------------------------------------------------- */

NT_FN(getHashCache)
{
	NT_ARGS(2, 2);
	const char *argv[] = {"HGET", NT_STR(1, "key"), NT_STR(2, "field")};
	return simple(L, __func__, 3, argv, NULL);
}

NT_FN(setHashCache)
{
	size_t vlen;
	int box;
	NT_ARGS(3, 3);
	const char *key = NT_STR(1, "key");
	const char *fld = NT_STR(2, "field");
	const char *val = NT_VALUE(3, "value", &vlen);
	const char *argv[] = {"HSET", key, fld, val};
	size_t lens[] = {(size_t)-1, (size_t)-1, (size_t)-1, vlen};
	nt_redis(L, __func__, &box, 4, argv, lens);
	lw_redis_done(L, box);
	return 0;
}

NT_FN(delHashCache)
{
	int box;
	NT_ARGS(2, 2);
	const char *argv[] = {"HDEL", NT_STR(1, "key"), NT_STR(2, "field")};
	nt_redis(L, __func__, &box, 3, argv, NULL);
	lw_redis_done(L, box);
	return 0;
}

NT_FN(getHashKeysCache)
{
	int box;
	NT_ARGS(1, 1);
	const char *argv[] = {"HKEYS", NT_STR(1, "key")};
	redisReply *r = nt_redis(L, __func__, &box, 2, argv, NULL);
	lua_newtable(L);
	push_name_set(L, r, 1);
	return done1(L, box);
}

NT_FN(getHashAllCache)
{
	int box;
	NT_ARGS(1, 1);
	const char *argv[] = {"HGETALL", NT_STR(1, "key")};
	redisReply *r = nt_redis(L, __func__, &box, 2, argv, NULL);
	lua_newtable(L);
	if (r->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i + 1 < r->elements; i += 2) {
			nt_push_reply(L, r->element[i]);
			nt_push_reply(L, r->element[i + 1]);
			lua_rawset(L, -3);
		}
	return done1(L, box);
}

/* ---- lists ----------------------------------------------------------------- */

static int
push_cmd(lua_State *L, const char *fn, const char *cmd)
{
	size_t vlen;
	int box;
	nt_args(L, fn, 2, 2);
	const char *key = nt_str(L, 1, fn, "key", NULL);
	const char *val = nt_value(L, 2, fn, "value", &vlen);
	const char *argv[] = {cmd, key, val};
	size_t lens[] = {(size_t)-1, (size_t)-1, vlen};
	nt_redis(L, fn, &box, 3, argv, lens);
	lw_redis_done(L, box);
	return 0;
}

NT_FN(lpushCache) { return push_cmd(L, __func__, "LPUSH"); }
NT_FN(rpushCache) { return push_cmd(L, __func__, "RPUSH"); }

NT_FN(lpopCache)
{
	NT_ARGS(1, 1);
	const char *argv[] = {"LPOP", NT_STR(1, "key")};
	return simple(L, __func__, 2, argv, NULL);
}

NT_FN(rpopCache)
{
	NT_ARGS(1, 1);
	const char *argv[] = {"RPOP", NT_STR(1, "key")};
	return simple(L, __func__, 2, argv, NULL);
}

NT_FN(lremCache)
{
	char n[32];
	size_t vlen;
	int box;
	NT_ARGS(3, 3);
	const char *key = NT_STR(1, "key");
	lua_Integer count = NT_INT(2, "count");
	const char *val = NT_VALUE(3, "value", &vlen);
	const char *argv[] = {"LREM", key, fmt_int(n, sizeof n, count), val};
	size_t lens[] = {(size_t)-1, (size_t)-1, (size_t)-1, vlen};
	nt_redis(L, __func__, &box, 4, argv, lens);
	lw_redis_done(L, box);
	return 0;
}

NT_FN(ltrimCache)
{
	char a[32], b[32];
	int box;
	NT_ARGS(3, 3);
	const char *argv[] = {"LTRIM", NT_STR(1, "key"),
		fmt_int(a, sizeof a, NT_INT(2, "start")),
		fmt_int(b, sizeof b, NT_INT(3, "stop"))};
	nt_redis(L, __func__, &box, 4, argv, NULL);
	lw_redis_done(L, box);
	return 0;
}

NT_FN(lrangeCache)
{
	char a[32], b[32];
	int box;
	NT_ARGS(1, 3);
	const char *argv[] = {"LRANGE", NT_STR(1, "key"),
		fmt_int(a, sizeof a, NT_OPTINT(2, "start", 0)),
		fmt_int(b, sizeof b, NT_OPTINT(3, "stop", -1))};
	redisReply *r = nt_redis(L, __func__, &box, 4, argv, NULL);
	push_array(L, r);
	return done1(L, box);
}

NT_FN(llenCache)
{
	NT_ARGS(1, 1);
	const char *argv[] = {"LLEN", NT_STR(1, "key")};
	return simple(L, __func__, 2, argv, NULL);
}

NT_FN(listIndexCache)
{
	char n[32];
	NT_ARGS(2, 2);
	const char *argv[] = {"LINDEX", NT_STR(1, "key"),
		fmt_int(n, sizeof n, NT_INT(2, "index"))};
	return simple(L, __func__, 3, argv, NULL);
}

/* ---- sets ------------------------------------------------------------------ */

static int
set_cmd(lua_State *L, const char *fn, const char *cmd)
{
	size_t vlen;
	int box;
	nt_args(L, fn, 2, 2);
	const char *key = nt_str(L, 1, fn, "key", NULL);
	const char *val = nt_value(L, 2, fn, "member", &vlen);
	const char *argv[] = {cmd, key, val};
	size_t lens[] = {(size_t)-1, (size_t)-1, vlen};
	nt_redis(L, fn, &box, 3, argv, lens);
	lw_redis_done(L, box);
	return 0;
}

NT_FN(setMembersCache) { return set_cmd(L, __func__, "SADD"); }
NT_FN(delMembersCache) { return set_cmd(L, __func__, "SREM"); }

NT_FN(getMembersCache)
{
	int box;
	NT_ARGS(1, 1);
	const char *argv[] = {"SMEMBERS", NT_STR(1, "key")};
	redisReply *r = nt_redis(L, __func__, &box, 2, argv, NULL);
	push_array(L, r);
	return done1(L, box);
}

/* ---- 6. preferences: Redis keys ntopng.prefs.<name> ------------------------ */

static void
push_pref_key(lua_State *L, const char *name)
{
	if (strncmp(name, PREFS_PREFIX, strlen(PREFS_PREFIX)) == 0)
		lua_pushstring(L, name);
	else
		lua_pushfstring(L, PREFS_PREFIX "%s", name);
}

NT_FN(setPref)
{
	size_t vlen;
	int box;
	NT_ARGS(2, 2);
	const char *name = NT_STR(1, "key");
	const char *val = NT_VALUE(2, "value", &vlen);
	push_pref_key(L, name);
	const char *argv[] = {"SET", lua_tostring(L, -1), val};
	size_t lens[] = {(size_t)-1, (size_t)-1, vlen};
	nt_redis(L, __func__, &box, 3, argv, lens);
	lw_redis_done(L, box);
	return 0;
}

NT_FN(getPref)
{
	NT_ARGS(1, 1);
	push_pref_key(L, NT_STR(1, "key"));
	const char *argv[] = {"GET", lua_tostring(L, -1)};
	return simple(L, __func__, 2, argv, NULL);
}

NT_FN(getPrefs)
{
	NT_ARGS(0, 0);
	lua_newtable(L);
	scan_keys(L, __func__, PREFS_PREFIX "*", true, strlen(PREFS_PREFIX));
	return 1;
}

/* Preferences are read from Redis at every use, so a Lua worker has no
 * copy to reload; the call is accepted for compatibility. */
NT_FN(reloadPreferences)
{
	NT_ARGS(0, 1);
	NT_OPTBOOL(1, "set_defaults", false);
	return 0;
}

/* ---- 32. the Lua cache: shared by every Lua worker, in Redis --------------- */

/* Values keep their Lua type: "s:" string, "i:" integer, "n:" float,
 * "b:" boolean. */
NT_FN(setLuaCache)
{
	char num[64];
	int box;
	size_t len;
	NT_ARGS(2, 3);
	const char *key = NT_STR(1, "key");
	lua_Integer ttl = NT_OPTINT(3, "ttl", 0);
	luaL_Buffer b;

	if (ttl < 0)
		NT_ERR("argument #3 (ttl) must not be negative");
	luaL_buffinit(L, &b);
	switch (lua_type(L, 2)) {
	case LUA_TSTRING: {
		const char *s = lua_tolstring(L, 2, &len);
		luaL_addstring(&b, "s:");
		luaL_addlstring(&b, s, len);
		break;
	}
	case LUA_TNUMBER:
		if (lua_isinteger(L, 2))
			snprintf(num, sizeof num, "i:" LUA_INTEGER_FMT,
			    lua_tointeger(L, 2));
		else
			snprintf(num, sizeof num, "n:%.17g", lua_tonumber(L, 2));
		luaL_addstring(&b, num);
		break;
	case LUA_TBOOLEAN:
		luaL_addstring(&b, lua_toboolean(L, 2) ? "b:1" : "b:0");
		break;
	default:
		NT_ERR("argument #2 (value) must be a string, number or "
		    "boolean, got %s", luaL_typename(L, 2));
	}
	luaL_pushresult(&b);
	const char *val = lua_tolstring(L, -1, &len);
	lua_pushfstring(L, LUACACHE_PREFIX "%s", key);
	const char *argv[] = {"SET", lua_tostring(L, -1), val, "EX", num};
	size_t lens[] = {(size_t)-1, (size_t)-1, len, (size_t)-1, (size_t)-1};
	if (ttl > 0)
		fmt_int(num, sizeof num, ttl);
	nt_redis(L, __func__, &box, ttl > 0 ? 5 : 3, argv, lens);
	lw_redis_done(L, box);
	return 0;
}

static void
push_cached(lua_State *L, const redisReply *r)
{
	if (r->type != REDIS_REPLY_STRING || r->len < 2 || r->str[1] != ':') {
		lua_pushnil(L);
		return;
	}
	const char *v = r->str + 2;
	switch (r->str[0]) {
	case 's':
		lua_pushlstring(L, v, r->len - 2);
		break;
	case 'i':
		lua_pushinteger(L, strtoll(v, NULL, 10));
		break;
	case 'n':
		lua_pushnumber(L, strtod(v, NULL));
		break;
	case 'b':
		lua_pushboolean(L, v[0] == '1');
		break;
	default:
		lua_pushnil(L);
	}
}

NT_FN(getLuaCache)
{
	int box;
	NT_ARGS(1, 1);
	lua_pushfstring(L, LUACACHE_PREFIX "%s", NT_STR(1, "key"));
	const char *argv[] = {"GET", lua_tostring(L, -1)};
	redisReply *r = nt_redis(L, __func__, &box, 2, argv, NULL);
	push_cached(L, r);
	return done1(L, box);
}

NT_FN(dumpLuaCache)
{
	NT_ARGS(0, 0);
	lua_newtable(L);
	int t = lua_gettop(L);
	lua_newtable(L); /* raw strings, decoded below */
	scan_keys(L, __func__, LUACACHE_PREFIX "*", true,
	    strlen(LUACACHE_PREFIX));
	lua_pushnil(L);
	while (lua_next(L, t + 1)) {
		size_t len;
		const char *s = lua_tolstring(L, -1, &len);
		redisReply fake = {.type = REDIS_REPLY_STRING,
			.str = (char *)s, .len = len};
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		push_cached(L, &fake);
		lua_rawset(L, t);
	}
	lua_pop(L, 1);
	return 1;
}

static const luaL_Reg fns[] = {
	NT_ROW(getCache), NT_ROW(setCache), NT_ROW(setnxCache),
	NT_ROW(delCache), NT_ROW(renameCache), NT_ROW(incrCache),
	NT_ROW(flushCache), NT_ROW(getKeysCache), NT_ROW(getCacheStatus),
	NT_ROW(getCacheStats), NT_ROW(hasDumpCache), NT_ROW(dumpCache),
	NT_ROW(restoreCache),
	NT_ROW(getHashCache), NT_ROW(setHashCache), NT_ROW(delHashCache),
	NT_ROW(getHashKeysCache), NT_ROW(getHashAllCache),
	NT_ROW(lpushCache), NT_ROW(rpushCache), NT_ROW(lpopCache),
	NT_ROW(rpopCache), NT_ROW(lremCache), NT_ROW(ltrimCache),
	NT_ROW(lrangeCache), NT_ROW(llenCache), NT_ROW(listIndexCache),
	NT_ROW(setMembersCache), NT_ROW(delMembersCache),
	NT_ROW(getMembersCache),
	NT_ROW(setPref), NT_ROW(getPref), NT_ROW(getPrefs),
	NT_ROW(reloadPreferences),
	NT_ROW(setLuaCache), NT_ROW(getLuaCache), NT_ROW(dumpLuaCache),
	{NULL, NULL},
};

void
ntop_redis_register(lua_State *L)
{
	nt_register(L, fns);
}
