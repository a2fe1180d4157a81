/* The environment a request's scripts run in.
 *
 * A fresh table per request, built from a whitelist: no io, no debug, no
 * load/dofile/loadfile, an os with only the clock functions, a require
 * that finds modules only under <install>/scripts/lua/modules/. The
 * library tables are per-request views of hidden prototypes, so a script
 * that replaces string.format changes nothing for the next request. */
#include "lw.h"
#include "log.h"

#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_MODULE_NAME 128
#define MAX_PATH_TEMPLATES 32

static const char *const base_whitelist[] = {
	"assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall",
	"rawequal", "rawget", "rawlen", "select", "setmetatable",
	"getmetatable", "tonumber", "tostring", "type", "_VERSION", NULL,
};

static const char *const os_whitelist[] = {
	"time", "clock", "date", "difftime", NULL,
};

/* print(...) appends its arguments to the response body, without
 * separators or newline, as ntopng's print does. */
static int
lw_print(lua_State *L)
{
	struct lw_vm *vm = lw_vm_of(L);
	int n = lua_gettop(L);

	for (int i = 1; i <= n; i++) {
		size_t len;
		const char *s = luaL_tolstring(L, i, &len);
		if (vm->resp == NULL || !lw_buf_append(&vm->resp->body, s, len))
			return luaL_error(L, "print: response body too large");
		lua_pop(L, 1);
	}
	return 0;
}

static int
lw_collectgarbage(lua_State *L)
{
	static const char *const opts[] = {"collect", "count", "step",
		"isrunning", NULL};
	int o = luaL_checkoption(L, 1, "collect", opts);
	switch (o) {
	case 0:
		lua_gc(L, LUA_GCCOLLECT, 0);
		lua_pushinteger(L, 0);
		return 1;
	case 1: {
		int k = lua_gc(L, LUA_GCCOUNT, 0);
		int b = lua_gc(L, LUA_GCCOUNTB, 0);
		lua_pushnumber(L, (lua_Number)k + (lua_Number)b / 1024);
		return 1;
	}
	case 2:
		lua_pushboolean(L, lua_gc(L, LUA_GCSTEP, 0));
		return 1;
	default:
		lua_pushboolean(L, lua_gc(L, LUA_GCISRUNNING, 0));
		return 1;
	}
}

/* Copies the fields of the real library `lib` into a new table, leaving
 * out the names in `except` (NULL-terminated, may be NULL). */
static void
push_lib_copy(lua_State *L, const char *lib, const char *const *only,
    const char *const *except)
{
	lua_newtable(L);
	lua_getglobal(L, lib); /* the real globals of the state */
	if (only != NULL) {
		for (; *only; only++) {
			lua_getfield(L, -1, *only);
			lua_setfield(L, -3, *only);
		}
		lua_pop(L, 1);
		return;
	}
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		bool skip = false;
		if (except && lua_type(L, -2) == LUA_TSTRING)
			for (const char *const *e = except; *e; e++)
				if (strcmp(lua_tostring(L, -2), *e) == 0)
					skip = true;
		if (skip) {
			lua_pop(L, 1);
			continue;
		}
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_settable(L, -5);
	}
	lua_pop(L, 1);
}

/* The library tables (string, table, ..., interface and ntop, some 500
 * C functions) are built once per VM as prototypes that no script can
 * reach. A request gets, for each, an empty table of its own whose
 * metatable (one per VM and library, __metatable hidden) reads the
 * missing names from the prototype: what a script assigns into its
 * string or ntop table lands in that table and is gone with the
 * request, and nothing is copied per request. pairs() lists the
 * request's own fields, then the prototype's that it does not shadow. */
static int
lib_pairs_next(lua_State *L)
{
	/* upvalue 1: the prototype; 1: the request's table, 2: the key */
	lua_settop(L, 2);
	int proto = lua_upvalueindex(1);
	bool own_phase = lua_isnil(L, 2);
	if (!own_phase) {
		lua_pushvalue(L, 2);
		own_phase = lua_rawget(L, 1) != LUA_TNIL;
		lua_pop(L, 1);
	}
	if (own_phase) {
		lua_pushvalue(L, 2);
		if (lua_next(L, 1))
			return 2;
		lua_pushnil(L); /* own fields done: the prototype's */
	} else {
		lua_pushvalue(L, 2);
	}
	while (lua_next(L, proto)) {
		lua_pushvalue(L, -2);
		if (lua_rawget(L, 1) == LUA_TNIL) {
			lua_pop(L, 1);
			return 2; /* not shadowed by the request's table */
		}
		lua_pop(L, 2);
	}
	return 0;
}

static int
lib_pairs(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1)); /* lib_pairs_next */
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

/* Pushes the request's table of the library whose prototype is kept in
 * the registry under regkey (built by build on the VM's first use). */
static void
push_lib_view(lua_State *L, const char *regkey, void (*build)(lua_State *))
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, regkey) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_createtable(L, 0, 3); /* the metatable */
		build(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, "__index");
		lua_pushcclosure(L, lib_pairs_next, 1);
		lua_pushcclosure(L, lib_pairs, 1);
		lua_setfield(L, -2, "__pairs");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, regkey);
	}
	lua_newtable(L);
	lua_insert(L, -2);
	lua_setmetatable(L, -2);
}

static const char *const no_dump[] = {"dump", NULL};

static void
build_string(lua_State *L)
{
	push_lib_copy(L, "string", NULL, no_dump);
}

static void
build_table(lua_State *L)
{
	push_lib_copy(L, "table", NULL, NULL);
}

static void
build_math(lua_State *L)
{
	push_lib_copy(L, "math", NULL, NULL);
}

static void
build_utf8(lua_State *L)
{
	push_lib_copy(L, "utf8", NULL, NULL);
}

static void
build_coroutine(lua_State *L)
{
	push_lib_copy(L, "coroutine", NULL, NULL);
}

static void
build_os(lua_State *L)
{
	push_lib_copy(L, "os", os_whitelist, NULL);
}

/* The names every environment has: the whitelisted base functions,
 * print, collectgarbage, the library views and require. */
void
lw_env_push_base(lua_State *L)
{
	lua_createtable(L, 0, 40);
	int env = lua_gettop(L);

	for (const char *const *n = base_whitelist; *n; n++) {
		lua_getglobal(L, *n);
		lua_setfield(L, env, *n);
	}
	lua_pushcfunction(L, lw_guarded_rawset);
	lua_setfield(L, env, "rawset");
	lua_pushcfunction(L, lw_print);
	lua_setfield(L, env, "print");
	lua_pushcfunction(L, lw_collectgarbage);
	lua_setfield(L, env, "collectgarbage");

	/* the filtered libraries are made once per VM, a view per request */
	push_lib_view(L, "netward.proto.string", build_string);
	lua_setfield(L, env, "string");
	push_lib_view(L, "netward.proto.table", build_table);
	lua_setfield(L, env, "table");
	push_lib_view(L, "netward.proto.math", build_math);
	lua_setfield(L, env, "math");
	push_lib_view(L, "netward.proto.utf8", build_utf8);
	lua_setfield(L, env, "utf8");
	push_lib_view(L, "netward.proto.coroutine", build_coroutine);
	lua_setfield(L, env, "coroutine");
	push_lib_view(L, "netward.proto.os", build_os);
	lua_setfield(L, env, "os");

	push_lib_view(L, "netward.proto.interface", lw_push_interface_table);
	lua_setfield(L, env, "interface");
	push_lib_view(L, "netward.proto.ntop", lw_push_ntop_table);
	lua_setfield(L, env, "ntop");

	lua_pushcfunction(L, lw_require);
	lua_setfield(L, env, "require");
}

void
lw_env_push_new(lua_State *L)
{
	struct lw_vm *vm = lw_vm_of(L);

	lw_env_push_base(L);
	int env = lua_gettop(L);

	/* module cache of this request, also visible as package.loaded */
	lua_newtable(L);
	lua_pushvalue(L, -1);
	vm->loaded_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L); /* package */
	lua_insert(L, -2);
	lua_setfield(L, -2, "loaded");
	lua_pushfstring(L, "%s/?.lua", lw_cfg.modules_dir);
	lua_setfield(L, -2, "path");
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "cpath");
	lua_setfield(L, env, "package");

	lua_pushvalue(L, env);
	lua_setfield(L, env, "_G");

	lua_pushvalue(L, env);
	vm->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

void
lw_env_release(lua_State *L)
{
	struct lw_vm *vm = lw_vm_of(L);
	luaL_unref(L, LUA_REGISTRYINDEX, vm->env_ref);
	luaL_unref(L, LUA_REGISTRYINDEX, vm->loaded_ref);
	vm->env_ref = LUA_NOREF;
	vm->loaded_ref = LUA_NOREF;
}

/* Compiled scripts and modules are cached per VM, so a request parses
 * nothing that an earlier request of this thread already compiled. The
 * source is compiled as the body of `function(_ENV, ...)`: every run
 * gets its own _ENV as an argument, so no upvalue (and nothing a script
 * could keep) is shared between two requests. The cache key includes
 * the file's identity and mtime, so an edited script is recompiled. */
#define CHUNK_CACHE_KEY "netward.chunks"
#define CHUNK_MAX_BYTES (8u * 1024 * 1024)

static const char chunk_head[] = "return function(_ENV, ...) ";
static const char chunk_tail[] = "\nend";

/* Calls the cached compiled chunk (upvalue 1) with the request's
 * environment (upvalue 2) in front of the arguments. */
static int
bound_chunk(lua_State *L)
{
	int n = lua_gettop(L);

	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, lua_upvalueindex(2));
	lua_rotate(L, 1, 2);
	lua_call(L, n + 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* Reads path and compiles it wrapped; pushes the compiled chunk (the
 * function taking _ENV) or an error message. */
static int
compile_wrapped(lua_State *L, const char *path, const struct stat *st)
{
	size_t hl = sizeof chunk_head - 1, tl = sizeof chunk_tail - 1;
	size_t size = (size_t)st->st_size, off = 0;
	FILE *f;
	char *buf;
	int rc;

	if (size > CHUNK_MAX_BYTES) {
		lua_pushfstring(L, "cannot read %s: too large", path);
		return LUA_ERRFILE;
	}
	if ((f = fopen(path, "rb")) == NULL) {
		lua_pushfstring(L, "cannot open %s", path);
		return LUA_ERRFILE;
	}
	buf = malloc(hl + size + tl + 1);
	if (buf == NULL) {
		fclose(f);
		lua_pushliteral(L, "not enough memory");
		return LUA_ERRMEM;
	}
	size_t got = fread(buf + hl, 1, size, f);
	fclose(f);
	if (got != size) {
		free(buf);
		lua_pushfstring(L, "cannot read %s", path);
		return LUA_ERRFILE;
	}
	/* as luaL_loadfile: skip a UTF-8 BOM and a first line starting
	 * with '#' (its newline stays, so line numbers do not move) */
	if (size >= 3 && memcmp(buf + hl, "\xEF\xBB\xBF", 3) == 0)
		off = 3;
	if (off < size && buf[hl + off] == '#')
		while (off < size && buf[hl + off] != '\n')
			off++;
	if (off < size && buf[hl + off] == 0x1b) {
		free(buf); /* bytecode: refused, as mode "t" did */
		lua_pushfstring(L, "attempt to load a binary chunk (%s)", path);
		return LUA_ERRSYNTAX;
	}
	memcpy(buf + off, chunk_head, hl); /* right before the text */
	memcpy(buf + hl + size, chunk_tail, tl);
	lua_pushfstring(L, "@%s", path);
	rc = luaL_loadbufferx(L, buf + off, hl + size - off + tl,
	    lua_tostring(L, -1), "t");
	free(buf);
	lua_remove(L, -2); /* chunkname */
	if (rc != LUA_OK)
		return rc;
	/* the outer chunk only returns the inner function: give it an
	 * empty _ENV so it can reach nothing */
	lua_newtable(L);
	if (lua_setupvalue(L, -2, 1) == NULL)
		lua_pop(L, 1);
	lua_call(L, 0, 1);
	return lua_type(L, -1) == LUA_TFUNCTION ? LUA_OK : LUA_ERRSYNTAX;
}

int
lw_load_file_in_env(lua_State *L, const char *path, const char *chunkname)
{
	struct lw_vm *vm = lw_vm_of(L);

	(void)chunkname;
	lua_rawgeti(L, LUA_REGISTRYINDEX, vm->env_ref);
	int rc = lw_load_file_with_env(L, path, -1);
	lua_remove(L, -2);
	return rc;
}

int
lw_load_file_with_env(lua_State *L, const char *path, int envidx)
{
	struct stat st;
	int rc;

	envidx = lua_absindex(L, envidx);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		lua_pushfstring(L, "cannot open %s", path);
		return LUA_ERRFILE;
	}
	lua_pushfstring(L, "%s|%I|%I|%I|%I", path, (lua_Integer)st.st_dev,
	    (lua_Integer)st.st_ino, (lua_Integer)st.st_size,
	    (lua_Integer)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
	int key = lua_gettop(L);
	if (lua_getfield(L, LUA_REGISTRYINDEX, CHUNK_CACHE_KEY) !=
	    LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, CHUNK_CACHE_KEY);
	}
	int cache = lua_gettop(L);
	lua_pushstring(L, path);
	if (lua_rawget(L, cache) == LUA_TTABLE &&
	    lua_getfield(L, -1, "key") == LUA_TSTRING &&
	    lua_rawequal(L, -1, key)) {
		lua_pop(L, 1);
		lua_getfield(L, -1, "fn");
	} else {
		lua_settop(L, cache);
		if ((rc = compile_wrapped(L, path, &st)) != LUA_OK) {
			lua_replace(L, key); /* the message */
			lua_settop(L, key);
			return rc;
		}
		lua_createtable(L, 0, 2);
		lua_pushvalue(L, -2);
		lua_setfield(L, -2, "fn");
		lua_pushvalue(L, key);
		lua_setfield(L, -2, "key");
		lua_setfield(L, cache, path);
	}
	/* stack: key cache ... fn */
	lua_pushvalue(L, envidx);
	lua_pushcclosure(L, bound_chunk, 2);
	lua_replace(L, key);
	lua_settop(L, key);
	return LUA_OK;
}

/* Module names are identifiers separated by dots ("alert_store.x"). */
static bool
valid_module_name(const char *name, size_t len)
{
	if (len == 0 || len > MAX_MODULE_NAME || name[0] == '.' ||
	    name[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
		if (!ok || (c == '.' && name[i + 1] == '.'))
			return false;
	}
	return true;
}

/* A candidate is accepted only when its real path is a regular file
 * inside the modules directory: package.path entries that point
 * elsewhere are ignored, symlinks out of the tree too. */
static bool
inside_modules(const char *candidate, char *real, size_t realsize)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t mlen = strlen(lw_cfg.modules_dir);

	if (realpath(candidate, buf) == NULL)
		return false;
	if (strncmp(buf, lw_cfg.modules_dir, mlen) != 0 || buf[mlen] != '/')
		return false;
	if (stat(buf, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	if (strlen(buf) >= realsize)
		return false;
	strcpy(real, buf);
	return true;
}

/* Expands one "dir/?.lua" template for the module path "a/b". */
static bool
try_template(const char *tmpl, size_t tlen, const char *modpath, char *real,
    size_t realsize)
{
	char cand[PATH_MAX];
	size_t o = 0;

	for (size_t i = 0; i < tlen; i++) {
		const char *add = tmpl[i] == '?' ? modpath : &tmpl[i];
		size_t alen = tmpl[i] == '?' ? strlen(modpath) : 1;
		if (o + alen >= sizeof cand)
			return false;
		memcpy(cand + o, add, alen);
		o += alen;
	}
	cand[o] = '\0';
	return inside_modules(cand, real, realsize);
}

static void
module_path(const char *name, char *modpath)
{
	strcpy(modpath, name);
	for (char *p = modpath; *p; p++)
		if (*p == '.')
			*p = '/';
}

bool
lw_find_default_module(const char *name, char *real, size_t realsize)
{
	char modpath[MAX_MODULE_NAME + 1];
	char deflt[PATH_MAX];

	module_path(name, modpath);
	int n = snprintf(deflt, sizeof deflt, "%s/?.lua", lw_cfg.modules_dir);
	return n < (int)sizeof deflt &&
	    try_template(deflt, (size_t)n, modpath, real, realsize);
}

static bool
find_module(lua_State *L, const char *name, char *real, size_t realsize)
{
	struct lw_vm *vm = lw_vm_of(L);
	char modpath[MAX_MODULE_NAME + 1];

	module_path(name, modpath);
	lua_rawgeti(L, LUA_REGISTRYINDEX, vm->env_ref);
	lua_getfield(L, -1, "package");
	const char *path = NULL;
	if (lua_type(L, -1) == LUA_TTABLE) {
		lua_getfield(L, -1, "path");
		path = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
						      : NULL;
	} else {
		lua_pushnil(L);
	}
	bool found = false;
	int tried = 0;
	for (const char *p = path; p && *p && !found &&
	     tried < MAX_PATH_TEMPLATES;) {
		const char *end = strchr(p, ';');
		size_t tlen = end ? (size_t)(end - p) : strlen(p);
		if (tlen > 0 && memchr(p, '?', tlen) != NULL) {
			found = try_template(p, tlen, modpath, real, realsize);
			tried++;
		}
		p = end ? end + 1 : p + tlen;
	}
	lua_pop(L, 3);
	if (!found)
		found = lw_find_default_module(name, real, realsize);
	return found;
}

int
lw_require(lua_State *L)
{
	struct lw_vm *vm = lw_vm_of(L);
	size_t len;
	const char *name = luaL_checklstring(L, 1, &len);
	char real[PATH_MAX];

	if (!valid_module_name(name, len))
		return luaL_error(L, "require: invalid module name '%s'", name);
	lua_settop(L, 1);
	lua_rawgeti(L, LUA_REGISTRYINDEX, vm->loaded_ref); /* 2 */
	if (lua_getfield(L, 2, name) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	if (lw_shared_module(name)) {
		lw_shared_require(L, name); /* pushes the frozen value */
		lua_pushvalue(L, -1);
		lua_setfield(L, 2, name);
		return 1;
	}
	if (!find_module(L, name, real, sizeof real))
		return luaL_error(L,
		    "module '%s' not found in the scripts modules tree", name);
	if (lw_load_file_in_env(L, real, name) != LUA_OK)
		return lua_error(L);
	/* Modules receive (name, path, http): the third argument is the
	 * response control of the request, reachable only by modules. */
	lua_pushvalue(L, 1);
	lua_pushstring(L, real);
	lw_push_http_module(L);
	lua_call(L, 3, 1);
	if (!lua_isnil(L, -1))
		lua_setfield(L, 2, name);
	else
		lua_pop(L, 1);
	if (lua_getfield(L, 2, name) == LUA_TNIL) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
		lua_pushvalue(L, -1);
		lua_setfield(L, 2, name);
	}
	return 1;
}
