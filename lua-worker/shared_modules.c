/* Modules loaded once per VM and shared, read-only, by its requests.
 *
 * Running the top level of dkjson, rest_utils and lua_utils for every
 * request was a large part of a REST request's cost. The modules listed
 * in shared_names are instead run once per VM, in an environment of
 * their own, and frozen; require hands every request the same frozen
 * value (and, for lua_utils, copies the globals it defines into the
 * request's environment). What keeps one request from changing what the
 * next one sees:
 *
 * - The module's environment M is an empty table (metatable hidden)
 *   whose reads look in G (the globals the module defined while
 *   loading), then D (a pristine environment of the module's own: the
 *   whitelisted base functions, its own library views, print, require),
 *   then, once loading is over, the current request's environment (for
 *   _GET, _SESSION and the like). While the module loads, the request's
 *   environment is not consulted at all, so nothing of the request that
 *   first required it can be captured. Writes of globals after loading
 *   go to the current request's environment, as before.
 * - Every table reachable from the module's value, from the globals it
 *   defined, and from the upvalues of their functions (recursively) is
 *   frozen in place: its contents move to a hidden table, it stays empty,
 *   and its metatable (hidden behind __metatable) reads from the hidden
 *   table, raises on __newindex, and gives __len and __pairs. An
 *   existing metatable's fields are kept (json.null keeps __tostring) and
 *   it is frozen too. rawset of the request environment refuses frozen
 *   tables (lw_guarded_rawset), so no path writes into one.
 * - A shared module must not assign its own upvalues at run time (no
 *   counters or caches in locals): that is a review rule for the names
 *   in shared_names, which is why the list is short and explicit.
 *
 * A shared module is loaded from the default modules path only (not the
 * request's package.path) and stays for the life of the VM: an edited
 * one is read again when the worker restarts. */
#include "lw.h"

#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static const char *const shared_names[] = {
	"dkjson", "rest_utils", "lua_utils", NULL,
};

#define SHARED_KEY "netward.shared"	/* name -> {value, G} */
#define FROZEN_KEY "netward.frozen"	/* frozen table -> true (weak) */
#define EXCLUDE_KEY "netward.nofreeze" /* tables freeze must not touch */

bool
lw_shared_module(const char *name)
{
	for (const char *const *n = shared_names; *n; n++)
		if (strcmp(*n, name) == 0)
			return true;
	return false;
}

/* Pushes the registry table under key, made on first use (weak keys
 * when weak is set). */
static int
registry_table(lua_State *L, const char *key, bool weak)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, key) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		if (weak) {
			lua_createtable(L, 0, 1);
			lua_pushliteral(L, "k");
			lua_setfield(L, -2, "__mode");
			lua_setmetatable(L, -2);
		}
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, key);
	}
	return lua_gettop(L);
}

static bool
in_set(lua_State *L, const char *key, int idx)
{
	idx = lua_absindex(L, idx);
	registry_table(L, key, true);
	lua_pushvalue(L, idx);
	bool in = lua_rawget(L, -2) != LUA_TNIL;
	lua_pop(L, 2);
	return in;
}

static void
add_to_set(lua_State *L, const char *key, int idx)
{
	idx = lua_absindex(L, idx);
	registry_table(L, key, true);
	lua_pushvalue(L, idx);
	lua_pushboolean(L, 1);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

bool
lw_is_frozen(lua_State *L, int idx)
{
	return lua_type(L, idx) == LUA_TTABLE && in_set(L, FROZEN_KEY, idx);
}

/* ---- frozen tables ----------------------------------------------------- */

static int
frozen_newindex(lua_State *L)
{
	return luaL_error(L, "attempt to modify a read-only shared table");
}

static int
frozen_len(lua_State *L)
{
	/* upvalue 1: the hidden contents */
	lua_pushinteger(L, (lua_Integer)lua_rawlen(L, lua_upvalueindex(1)));
	return 1;
}

static int
frozen_next(lua_State *L)
{
	lua_settop(L, 2);
	if (lua_next(L, lua_upvalueindex(1)))
		return 2;
	return 0;
}

/* The iterator closes over the hidden table: pairs never hands it out
 * (as the state of the loop it is the frozen table itself). */
static int
frozen_pairs(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

static void freeze_value(lua_State *L, int idx, int depth);

static void
freeze_table(lua_State *L, int t, int depth)
{
	t = lua_absindex(L, t);
	if (in_set(L, FROZEN_KEY, t) || in_set(L, EXCLUDE_KEY, t))
		return;
	if (depth > 100)
		luaL_error(L, "shared module: tables nested too deep");
	add_to_set(L, FROZEN_KEY, t);

	/* move the contents into S, leave t empty */
	lua_newtable(L);
	int s = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, s);
	}
	lua_pushnil(L);
	while (lua_next(L, s)) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushnil(L);
		lua_rawset(L, t);
	}
	/* the metatable: the old one's fields, then ours over them */
	lua_newtable(L);
	int fm = lua_gettop(L);
	bool had_mt = lua_getmetatable(L, t);
	if (had_mt) {
		int old = lua_gettop(L);
		lua_pushnil(L);
		while (lua_next(L, old)) {
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_rawset(L, fm);
		}
		if (lua_getfield(L, old, "__index") != LUA_TNIL) {
			/* misses in S go where the old __index sent them */
			lua_createtable(L, 0, 1);
			lua_insert(L, -2);
			lua_setfield(L, -2, "__index");
			lua_setmetatable(L, s);
		} else {
			lua_pop(L, 1);
		}
		if (lua_getfield(L, old, "__metatable") == LUA_TNIL) {
			lua_pop(L, 1);
			lua_pushvalue(L, old); /* getmetatable shows it, frozen */
		}
		freeze_value(L, -1, depth + 1);
		lua_setfield(L, fm, "__metatable");
		freeze_value(L, old, depth + 1);
		lua_pop(L, 1);
	} else {
		lua_pushboolean(L, 0);
		lua_setfield(L, fm, "__metatable");
	}
	lua_pushvalue(L, s);
	lua_setfield(L, fm, "__index");
	lua_pushcfunction(L, frozen_newindex);
	lua_setfield(L, fm, "__newindex");
	lua_pushvalue(L, s);
	lua_pushcclosure(L, frozen_len, 1);
	lua_setfield(L, fm, "__len");
	lua_pushvalue(L, s);
	lua_pushcclosure(L, frozen_next, 1);
	lua_pushcclosure(L, frozen_pairs, 1);
	lua_setfield(L, fm, "__pairs");
	lua_pushvalue(L, fm);
	lua_setmetatable(L, t);

	/* then what it holds */
	lua_pushnil(L);
	while (lua_next(L, s)) {
		freeze_value(L, -2, depth + 1);
		freeze_value(L, -1, depth + 1);
		lua_pop(L, 1);
	}
	lua_settop(L, s - 1);
}

static void
freeze_value(lua_State *L, int idx, int depth)
{
	idx = lua_absindex(L, idx);
	luaL_checkstack(L, 8, "shared module too deep");
	if (lua_type(L, idx) == LUA_TTABLE) {
		freeze_table(L, idx, depth);
	} else if (lua_type(L, idx) == LUA_TFUNCTION) {
		/* a function is visited once: it is marked like a table */
		if (in_set(L, FROZEN_KEY, idx))
			return;
		add_to_set(L, FROZEN_KEY, idx);
		for (int n = 1; lua_getupvalue(L, idx, n) != NULL; n++) {
			freeze_value(L, -1, depth + 1);
			lua_pop(L, 1);
		}
	}
}

/* rawset of the request environment: as Lua's, but never into a frozen
 * table (its emptiness is what makes its metatable see every access). */
int
lw_guarded_rawset(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkany(L, 2);
	luaL_checkany(L, 3);
	if (lw_is_frozen(L, 1))
		return luaL_error(L, "rawset: a shared table is read-only");
	lua_settop(L, 3);
	lua_rawset(L, 1);
	return 1;
}

/* ---- the module environment -------------------------------------------- */

/* M's __index: upvalues G, D, state ({loading = bool}). */
static int
menv_index(lua_State *L)
{
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	lua_getfield(L, lua_upvalueindex(3), "loading");
	bool loading = lua_toboolean(L, -1);
	lua_pop(L, 1);
	struct lw_vm *vm = lw_vm_of(L);
	if (loading || vm->env_ref == LUA_NOREF) {
		lua_pushnil(L);
		return 1;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, vm->env_ref);
	lua_pushvalue(L, 2);
	lua_gettable(L, -2);
	return 1;
}

/* M's __newindex: while loading, a global the module defines (into G);
 * after, a global of the current request. */
static int
menv_newindex(lua_State *L)
{
	lua_getfield(L, lua_upvalueindex(3), "loading");
	bool loading = lua_toboolean(L, -1);
	lua_pop(L, 1);
	lua_settop(L, 3);
	if (loading) {
		lua_rawset(L, lua_upvalueindex(1));
		return 0;
	}
	struct lw_vm *vm = lw_vm_of(L);
	if (vm->env_ref == LUA_NOREF)
		return luaL_error(L, "shared module: no request");
	lua_rawgeti(L, LUA_REGISTRYINDEX, vm->env_ref);
	lua_insert(L, 2);
	lua_settable(L, 2);
	return 0;
}

/* Loads the module at path once for this VM: pushes {value=, G=}. */
static void
load_shared(lua_State *L, const char *name, const char *path)
{
	int top = lua_gettop(L);

	lua_newtable(L); /* G */
	int g = lua_gettop(L);
	lw_env_push_base(L); /* D */
	int d = lua_gettop(L);
	/* the C half of dkjson's encoder, for the shared modules only */
	lw_push_json_encode(L);
	lua_setfield(L, d, "netward_json_encode");
	lua_createtable(L, 0, 1); /* state */
	int st = lua_gettop(L);
	lua_pushboolean(L, 1);
	lua_setfield(L, st, "loading");

	lua_newtable(L); /* M */
	int m = lua_gettop(L);
	lua_createtable(L, 0, 3);
	lua_pushvalue(L, g);
	lua_pushvalue(L, d);
	lua_pushvalue(L, st);
	lua_pushcclosure(L, menv_index, 3);
	lua_setfield(L, -2, "__index");
	lua_pushvalue(L, g);
	lua_pushvalue(L, d);
	lua_pushvalue(L, st);
	lua_pushcclosure(L, menv_newindex, 3);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, m);

	/* D, its library views, G and M are the module's machinery, not
	 * its data: freezing stops at them. */
	add_to_set(L, EXCLUDE_KEY, g);
	add_to_set(L, EXCLUDE_KEY, d);
	add_to_set(L, EXCLUDE_KEY, m);
	lua_pushnil(L);
	while (lua_next(L, d)) {
		if (lua_type(L, -1) == LUA_TTABLE)
			add_to_set(L, EXCLUDE_KEY, -1);
		lua_pop(L, 1);
	}

	if (lw_load_file_with_env(L, path, m) != LUA_OK)
		lua_error(L);
	lua_pushstring(L, name);
	lua_pushstring(L, path);
	lw_push_shared_http_module(L);
	lua_call(L, 3, 1);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	int value = lua_gettop(L);
	lua_pushboolean(L, 0);
	lua_setfield(L, st, "loading");

	freeze_value(L, value, 0);
	lua_pushnil(L);
	while (lua_next(L, g)) {
		freeze_value(L, -1, 0);
		lua_pop(L, 1);
	}
	/* library views of D the module added fields to (string.split) */
	lua_newtable(L);
	int libs = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, d)) {
		if (lua_type(L, -1) == LUA_TTABLE) {
			lua_pushnil(L);
			if (lua_next(L, -2)) {
				lua_pop(L, 2);
				lua_pushvalue(L, -2);
				lua_pushvalue(L, -2);
				lua_rawset(L, libs);
				lua_pushnil(L);
				while (lua_next(L, -2)) {
					freeze_value(L, -1, 0);
					lua_pop(L, 1);
				}
			}
		}
		lua_pop(L, 1);
	}

	lua_createtable(L, 0, 3);
	lua_pushvalue(L, libs);
	lua_setfield(L, -2, "libs");
	lua_pushvalue(L, value);
	lua_setfield(L, -2, "value");
	lua_pushvalue(L, g);
	lua_setfield(L, -2, "G");
	lua_replace(L, top + 1);
	lua_settop(L, top + 1);
}

/* The globals a shared module defined go into the request environment;
 * a library table it extended (string.split) lends the request's view
 * the fields it added. */
static void
export_globals(lua_State *L, int entry)
{
	struct lw_vm *vm = lw_vm_of(L);

	lua_rawgeti(L, LUA_REGISTRYINDEX, vm->env_ref);
	int env = lua_gettop(L);
	lua_getfield(L, entry, "G");
	int g = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, g)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_settable(L, env);
	}
	lua_getfield(L, entry, "libs");
	int libs = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, libs)) {
		/* key: library name, value: the module's view */
		lua_pushvalue(L, -2);
		if (lua_gettable(L, env) == LUA_TTABLE) {
			int dst = lua_gettop(L);
			lua_pushnil(L);
			while (lua_next(L, dst - 1)) {
				lua_pushvalue(L, -2);
				lua_insert(L, -2);
				lua_settable(L, dst);
			}
		}
		lua_pop(L, 2);
	}
	lua_settop(L, env - 1);
}

int
lw_shared_require(lua_State *L, const char *name)
{
	char real[PATH_MAX];
	int top = lua_gettop(L);

	int shared = registry_table(L, SHARED_KEY, false);
	if (lua_getfield(L, shared, name) != LUA_TTABLE) {
		lua_pop(L, 1);
		if (!lw_find_default_module(name, real, sizeof real))
			return luaL_error(L, "module '%s' not found in the "
			    "scripts modules tree", name);
		load_shared(L, name, real);
		lua_pushvalue(L, -1);
		lua_setfield(L, shared, name);
	}
	int entry = lua_gettop(L);
	export_globals(L, entry);
	lua_getfield(L, entry, "value");
	lua_replace(L, top + 1);
	lua_settop(L, top + 1);
	return 1;
}
