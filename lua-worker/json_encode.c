/* The C fast path of dkjson's json.encode(value) (no state argument).
 *
 * Gives the same text as the Lua encoder of scripts/lua/modules/
 * dkjson.lua, or nil when the value needs something only the Lua encoder
 * does (an error message, an exception handler, a table with __index or
 * __pairs, a float or duplicate key text, nesting past 200): dkjson then
 * runs its Lua encoder, so errors and odd cases keep one implementation.
 * It is handed to dkjson alone, as a global of the shared module's
 * environment (shared_modules.c); scripts cannot reach it.
 *
 * The rules, as in dkjson.lua: strings are quoted with \" \\ \b \f \n \r
 * \t and \u00XX for other control bytes (bytes >= 0x80 pass through);
 * integers as %d; floats with the fewest of 15..17 digits that read
 * back the same, ".0" added when that looks like an integer, NaN and
 * infinities as null; a table with __tojson in its metatable is what
 * that returns; a table whose positive integer keys are all its keys (or
 * nearly: holes up to count*2+10, filled with null) or whose metatable
 * says __jsontype = "array" is an array, else an object with its keys
 * sorted by their text. */
#include "lw.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 200
#define OUT_LIMIT LW_MAX_BODY

/* The output: the worker's growing buffer (vm.c), bounded by OUT_LIMIT;
 * false from an append means over the limit or out of memory, and the
 * caller gives up. Freed by __gc if an error unwinds the encoder. */
static int
jbuf_gc(lua_State *L)
{
	lw_buf_free(lua_touserdata(L, 1));
	return 0;
}

static bool
quote(struct lw_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	if (!lw_buf_append(b, "\"", 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t en = 2;
		if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\')
			continue;
		if (!lw_buf_append(b, s + run, i - run))
			return false;
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			en = 6;
		}
		if (!lw_buf_append(b, esc, en))
			return false;
	}
	return lw_buf_append(b, s + run, n - run) && lw_buf_append(b, "\"", 1);
}

static size_t
int_text(char *out, size_t size, lua_Integer v)
{
	return (size_t)snprintf(out, size, LUA_INTEGER_FMT, v);
}

static bool
number(lua_State *L, struct lw_buf *b, int idx)
{
	char s[64];
	int n = 0;

	if (lua_isinteger(L, idx))
		return lw_buf_append(b, s, int_text(s, sizeof s,
		    lua_tointeger(L, idx)));
	double d = (double)lua_tonumber(L, idx);
	if (isnan(d) || isinf(d))
		return lw_buf_append(b, "null", 4);
	for (int digits = 15; digits <= 17; digits++) {
		n = snprintf(s, sizeof s, "%.*g", digits, d);
		if (strtod(s, NULL) == d)
			break;
	}
	if (strpbrk(s, ".eEn") == NULL && n + 2 < (int)sizeof s) {
		memcpy(s + n, ".0", 3);
		n += 2;
	}
	return lw_buf_append(b, s, (size_t)n);
}

struct key {
	const char *s;
	size_t len;
	bool is_int;
	lua_Integer i;
	char text[24]; /* an integer key's text */
};

/* an integer key's text lives in the entry, which qsort moves */
static const char *
key_str(const struct key *k)
{
	return k->is_int ? k->text : k->s;
}

static int
key_cmp(const void *pa, const void *pb)
{
	const struct key *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(key_str(a), key_str(b), n);
	if (c != 0)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static bool value(lua_State *L, struct lw_buf *b, int idx, int level,
    int seen);

/* The metatable as getmetatable() shows it (__metatable honoured):
 * pushes it and returns true, or pushes nothing. Sets *plain when the
 * raw metatable has neither __index nor __pairs, so the raw contents
 * are what the Lua encoder would see. */
static bool
visible_metatable(lua_State *L, int idx, bool *plain)
{
	*plain = true;
	if (!lua_getmetatable(L, idx))
		return false;
	int mt = lua_gettop(L);
	lua_pushliteral(L, "__index");
	if (lua_rawget(L, mt) != LUA_TNIL)
		*plain = false;
	lua_pop(L, 1);
	lua_pushliteral(L, "__pairs");
	if (lua_rawget(L, mt) != LUA_TNIL)
		*plain = false;
	lua_pop(L, 1);
	lua_pushliteral(L, "__metatable");
	if (lua_rawget(L, mt) != LUA_TNIL) {
		lua_remove(L, mt);
		return true;
	}
	lua_pop(L, 1);
	return true;
}

static bool
table(lua_State *L, struct lw_buf *b, int t, int level, int seen)
{
	bool plain;
	const char *forced = NULL;

	if (level > MAX_DEPTH)
		return false;
	luaL_checkstack(L, 8, "json.encode");
	if (visible_metatable(L, t, &plain)) {
		int mt = lua_gettop(L);
		if (lua_type(L, mt) == LUA_TTABLE) {
			if (lua_getfield(L, mt, "__tojson") != LUA_TNIL) {
				lua_pushvalue(L, t);
				lua_call(L, 1, 1); /* __tojson(v, nil) */
				size_t n;
				int ty = lua_type(L, -1);
				const char *s = lua_tolstring(L, -1, &n);
				bool ok = (ty == LUA_TSTRING ||
				    ty == LUA_TNUMBER) &&
				    lw_buf_append(b, s, n);
				lua_settop(L, mt - 1);
				return ok;
			}
			lua_pop(L, 1);
			lua_getfield(L, mt, "__jsontype");
			const char *ft = lua_tostring(L, -1);
			if (ft && strcmp(ft, "array") == 0)
				forced = "array";
			else if (ft && strcmp(ft, "object") == 0)
				forced = "object";
			else if (lua_toboolean(L, -1))
				forced = "other"; /* neither: as no metatable */
			lua_pop(L, 1);
		} else if (lua_type(L, mt) != LUA_TSTRING &&
		    lua_toboolean(L, mt)) {
			plain = false; /* dkjson would index it and fail */
		}
		lua_settop(L, mt - 1);
		if (!plain)
			return false;
	}
	/* a table seen on the way down is a cycle: the Lua encoder reports
	 * it (seen: the tables in progress, a table of this call) */
	lua_pushvalue(L, t);
	if (lua_rawget(L, seen) != LUA_TNIL)
		return false;
	lua_pop(L, 1);

	/* the kind, as table_kind() */
	lua_Integer count = 0, max = 0;
	size_t nkeys = 0;
	bool object = false;
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_pop(L, 1);
		nkeys++;
		if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0) {
			lua_Integer k = lua_tointeger(L, -1);
			if (k > max)
				max = k;
			count++;
		} else if (forced == NULL || strcmp(forced, "array") != 0) {
			object = true;
		}
	}
	bool array;
	if (forced && strcmp(forced, "object") == 0)
		array = false;
	else if (forced && strcmp(forced, "array") == 0)
		array = true;
	else
		array = !object && (count == max || max <= count * 2 + 10);

	lua_pushvalue(L, t);
	lua_pushboolean(L, 1);
	lua_rawset(L, seen);
	bool ok = true;
	if (array) {
		ok = lw_buf_append(b, "[", 1);
		for (lua_Integer i = 1; ok && i <= max; i++) {
			if (i > 1 && !lw_buf_append(b, ",", 1))
				ok = false;
			lua_rawgeti(L, t, i);
			ok = ok && value(L, b, lua_gettop(L), level + 1, seen);
			lua_pop(L, 1);
		}
		ok = ok && lw_buf_append(b, "]", 1);
	} else {
		struct key *keys = lua_newuserdatauv(L,
		    (nkeys ? nkeys : 1) * sizeof *keys, 0);
		size_t n = 0;
		lua_pushnil(L);
		while (lua_next(L, t)) {
			lua_pop(L, 1);
			struct key *k = &keys[n];
			if (n >= nkeys) { /* changed under us: give up */
				lua_pop(L, 1);
				ok = false;
				break;
			}
			if (lua_type(L, -1) == LUA_TSTRING) {
				k->s = lua_tolstring(L, -1, &k->len);
				k->is_int = false;
			} else if (lua_isinteger(L, -1)) {
				k->i = lua_tointeger(L, -1);
				k->len = int_text(k->text, sizeof k->text, k->i);
				k->is_int = true;
			} else {
				lua_pop(L, 1); /* float or other key */
				ok = false;
				break;
			}
			n++;
		}
		if (ok)
			qsort(keys, n, sizeof *keys, key_cmp);
		for (size_t i = 1; ok && i < n; i++)
			if (key_cmp(&keys[i - 1], &keys[i]) == 0)
				ok = false; /* 1 and "1": Lua's order is its own */
		ok = ok && lw_buf_append(b, "{", 1);
		for (size_t i = 0; ok && i < n; i++) {
			if (i > 0 && !lw_buf_append(b, ",", 1))
				ok = false;
			ok = ok && quote(b, key_str(&keys[i]), keys[i].len) &&
			    lw_buf_append(b, ":", 1);
			if (keys[i].is_int)
				lua_rawgeti(L, t, keys[i].i);
			else {
				lua_pushlstring(L, keys[i].s, keys[i].len);
				lua_rawget(L, t);
			}
			ok = ok && value(L, b, lua_gettop(L), level + 1, seen);
			lua_pop(L, 1);
		}
		ok = ok && lw_buf_append(b, "}", 1);
		lua_pop(L, 1); /* keys */
	}
	lua_pushvalue(L, t);
	lua_pushnil(L);
	lua_rawset(L, seen);
	return ok;
}

static bool
value(lua_State *L, struct lw_buf *b, int idx, int level, int seen)
{
	size_t n;
	const char *s;

	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &n);
		return quote(b, s, n);
	case LUA_TNUMBER:
		return number(L, b, idx);
	case LUA_TBOOLEAN:
		return lua_toboolean(L, idx) ? lw_buf_append(b, "true", 4)
					     : lw_buf_append(b, "false", 5);
	case LUA_TNIL:
		return lw_buf_append(b, "null", 4);
	case LUA_TTABLE:
		return table(L, b, idx, level, seen);
	default:
		return false; /* the Lua encoder raises its error */
	}
}

/* encode(value) -> string | nil */
static int
json_encode_fast(lua_State *L)
{
	lua_settop(L, 1);
	lua_newtable(L); /* 2: the tables in progress */
	struct lw_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
	memset(b, 0, sizeof *b);
	b->limit = OUT_LIMIT;
	if (luaL_newmetatable(L, "netward.jbuf")) {
		lua_pushcfunction(L, jbuf_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
	}
	lua_setmetatable(L, -2);
	bool ok = value(L, b, 1, 0, 2);
	if (ok)
		lua_pushlstring(L, b->data ? b->data : "", b->len);
	else
		lua_pushnil(L);
	lw_buf_free(b);
	return 1;
}

void
lw_push_json_encode(lua_State *L)
{
	lua_pushcfunction(L, json_encode_fast);
}
