/* Lua values <-> msgpack, for the generic interface.* marshaller.
 *
 * Lua -> msgpack: nil, booleans, integers, floats, strings; a table whose
 * keys are exactly 1..n becomes an array, any other table a map whose keys
 * are strings (integer keys are written as their decimal text). Depth and
 * element count are bounded, so a cyclic or huge table is an error, not a
 * hang. msgpack -> Lua: maps become tables, arrays sequences 1..n. */
#include "lw.h"

#include <lauxlib.h>
#include <string.h>

#define MAX_PACK_DEPTH (IPC_MAX_DEPTH - 4) /* envelope and args nest too */
#define MAX_PACK_ELEMS 100000

struct pack_state {
	const char *fname;
	size_t elems;
};

static void pack_at(lua_State *L, msgpack_packer *pk, int idx, int depth,
    struct pack_state *ps);

/* Returns n when the table at idx is a sequence 1..n (n > 0), else 0. */
static lua_Integer
sequence_length(lua_State *L, int idx)
{
	lua_Integer count = 0, max = 0;

	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1)) {
			lua_pop(L, 1);
			return 0;
		}
		lua_Integer k = lua_tointeger(L, -1);
		if (k < 1) {
			lua_pop(L, 1);
			return 0;
		}
		if (k > max)
			max = k;
		count++;
	}
	return count == max ? count : 0;
}

static void
pack_key(lua_State *L, msgpack_packer *pk, int kidx, struct pack_state *ps)
{
	size_t len;
	const char *s;
	char num[32];

	switch (lua_type(L, kidx)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, kidx, &len);
		ipc_pack_strn(pk, s, len);
		return;
	case LUA_TNUMBER:
		if (lua_isinteger(L, kidx)) {
			len = (size_t)snprintf(num, sizeof num, LUA_INTEGER_FMT,
			    lua_tointeger(L, kidx));
			ipc_pack_strn(pk, num, len);
			return;
		}
		break;
	default:
		break;
	}
	luaL_error(L, "%s: unsupported %s table key", ps->fname,
	    luaL_typename(L, kidx));
}

static void
pack_table(lua_State *L, msgpack_packer *pk, int idx, int depth,
    struct pack_state *ps)
{
	if (depth >= MAX_PACK_DEPTH)
		luaL_error(L, "%s: table nested too deep (or cyclic)",
		    ps->fname);
	luaL_checkstack(L, 4, ps->fname);
	lua_Integer n = sequence_length(L, idx);
	if (n > 0) {
		if ((size_t)n > MAX_PACK_ELEMS - ps->elems)
			luaL_error(L, "%s: table too large", ps->fname);
		msgpack_pack_array(pk, (uint32_t)n);
		for (lua_Integer i = 1; i <= n; i++) {
			lua_rawgeti(L, idx, i);
			pack_at(L, pk, lua_gettop(L), depth + 1, ps);
			lua_pop(L, 1);
		}
		return;
	}
	uint32_t count = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		count++;
	}
	if (count > MAX_PACK_ELEMS - ps->elems)
		luaL_error(L, "%s: table too large", ps->fname);
	msgpack_pack_map(pk, count);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		pack_key(L, pk, lua_gettop(L) - 1, ps);
		pack_at(L, pk, lua_gettop(L), depth + 1, ps);
		lua_pop(L, 1);
	}
}

static void
pack_at(lua_State *L, msgpack_packer *pk, int idx, int depth,
    struct pack_state *ps)
{
	size_t len;
	const char *s;

	if (++ps->elems > MAX_PACK_ELEMS)
		luaL_error(L, "%s: arguments too large", ps->fname);
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		msgpack_pack_nil(pk);
		break;
	case LUA_TBOOLEAN:
		if (lua_toboolean(L, idx))
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			msgpack_pack_int64(pk, lua_tointeger(L, idx));
		else
			msgpack_pack_double(pk, lua_tonumber(L, idx));
		break;
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		if (len > IPC_MAX_MESSAGE / 2)
			luaL_error(L, "%s: string argument too long",
			    ps->fname);
		ipc_pack_strn(pk, s, len);
		break;
	case LUA_TTABLE:
		pack_table(L, pk, idx, depth, ps);
		break;
	default:
		luaL_error(L, "%s: cannot pass a %s value", ps->fname,
		    luaL_typename(L, idx));
	}
}

void
lw_pack_value(lua_State *L, msgpack_packer *pk, int idx, const char *fname)
{
	struct pack_state ps = {fname, 0};
	pack_at(L, pk, lua_absindex(L, idx), 0, &ps);
}

void
lw_push_object(lua_State *L, const msgpack_object *o)
{
	luaL_checkstack(L, 4, "reply too deep");
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		lua_pushnil(L);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		lua_pushboolean(L, o->via.boolean);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > (uint64_t)LUA_MAXINTEGER)
			lua_pushnumber(L, (lua_Number)o->via.u64);
		else
			lua_pushinteger(L, (lua_Integer)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		lua_pushinteger(L, (lua_Integer)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		lua_pushnumber(L, o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		lua_pushlstring(L, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		lua_pushlstring(L, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		lua_createtable(L, (int)o->via.array.size, 0);
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			lw_push_object(L, &o->via.array.ptr[i]);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	case MSGPACK_OBJECT_MAP:
		lua_createtable(L, 0, (int)o->via.map.size);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];
			if (kv->key.type == MSGPACK_OBJECT_NIL)
				continue; /* Lua tables cannot hold it */
			lw_push_object(L, &kv->key);
			if (lua_type(L, -1) == LUA_TTABLE ||
			    (lua_type(L, -1) == LUA_TNUMBER &&
				lua_tonumber(L, -1) != lua_tonumber(L, -1))) {
				lua_pop(L, 1); /* NaN or composite key */
				continue;
			}
			lw_push_object(L, &kv->val);
			lua_rawset(L, -3);
		}
		break;
	default:
		lua_pushnil(L); /* ext types carry nothing for Lua */
		break;
	}
}
