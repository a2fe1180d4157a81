/* libFuzzer target: the HTTP request-to-Lua mapping of query strings and
 * form bodies (lua-worker/params.c) into _GET/_POST tables. */
#include "lw.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static lua_State *L;
	if (L == NULL)
		L = luaL_newstate();
	lua_settop(L, 0);
	lua_newtable(L);
	lw_parse_urlencoded(L, 1, (const char *)data, size);
	/* every key and value must be a Lua string */
	lua_pushnil(L);
	while (lua_next(L, 1) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING ||
		    lua_type(L, -1) != LUA_TSTRING)
			__builtin_trap();
		lua_pop(L, 1);
	}
	lua_settop(L, 0);
	lua_gc(L, LUA_GCCOLLECT);
	return 0;
}
