/* Argument checks, small table setters, path confinement and the
 * assembly of the ntop table from the per-section files. */
#include "ntop.h"
#include "log.h"

#include <errno.h>
#include <hiredis.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
short_name(const char *fn)
{
	return strncmp(fn, "l_", 2) == 0 ? fn + 2 : fn;
}

int
nt_error(lua_State *L, const char *fn, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	luaL_error(L, "ntop.%s: %s", short_name(fn), msg);
	abort(); /* not reached: luaL_error does not return */
}

void
nt_args(lua_State *L, const char *fn, int min, int max)
{
	int n = lua_gettop(L);
	if (n > max)
		nt_error(L, fn, "expects at most %d argument%s, got %d", max,
		    max == 1 ? "" : "s", n);
	if (n < min)
		nt_error(L, fn, "expects at least %d argument%s, got %d", min,
		    min == 1 ? "" : "s", n);
}

static void
bad_type(lua_State *L, int i, const char *fn, const char *what,
    const char *want)
{
	nt_error(L, fn, "argument #%d (%s) must be %s, got %s", i, what, want,
	    luaL_typename(L, i));
}

const char *
nt_str(lua_State *L, int i, const char *fn, const char *what, size_t *len)
{
	if (lua_type(L, i) != LUA_TSTRING)
		bad_type(L, i, fn, what, "a string");
	return lua_tolstring(L, i, len);
}

const char *
nt_optstr(lua_State *L, int i, const char *fn, const char *what,
    const char *def)
{
	if (lua_isnoneornil(L, i))
		return def;
	return nt_str(L, i, fn, what, NULL);
}

const char *
nt_value(lua_State *L, int i, const char *fn, const char *what, size_t *len)
{
	int t = lua_type(L, i);
	if (t != LUA_TSTRING && t != LUA_TNUMBER)
		bad_type(L, i, fn, what, "a string");
	return lua_tolstring(L, i, len);
}

lua_Integer
nt_int(lua_State *L, int i, const char *fn, const char *what)
{
	int ok = 0;
	lua_Integer v = 0;
	if (lua_type(L, i) == LUA_TNUMBER)
		v = lua_tointegerx(L, i, &ok);
	if (!ok) {
		if (lua_type(L, i) == LUA_TNUMBER)
			nt_error(L, fn, "argument #%d (%s) must be an integer",
			    i, what);
		bad_type(L, i, fn, what, "an integer");
	}
	return v;
}

lua_Integer
nt_optint(lua_State *L, int i, const char *fn, const char *what,
    lua_Integer def)
{
	return lua_isnoneornil(L, i) ? def : nt_int(L, i, fn, what);
}

lua_Number
nt_num(lua_State *L, int i, const char *fn, const char *what)
{
	if (lua_type(L, i) != LUA_TNUMBER)
		bad_type(L, i, fn, what, "a number");
	return lua_tonumber(L, i);
}

bool
nt_bool(lua_State *L, int i, const char *fn, const char *what)
{
	if (lua_type(L, i) != LUA_TBOOLEAN)
		bad_type(L, i, fn, what, "a boolean");
	return lua_toboolean(L, i);
}

bool
nt_optbool(lua_State *L, int i, const char *fn, const char *what, bool def)
{
	return lua_isnoneornil(L, i) ? def : nt_bool(L, i, fn, what);
}

void
nt_table(lua_State *L, int i, const char *fn, const char *what)
{
	if (lua_type(L, i) != LUA_TTABLE)
		bad_type(L, i, fn, what, "a table");
}

void
nt_setstr(lua_State *L, const char *key, const char *val)
{
	lua_pushstring(L, val);
	lua_setfield(L, -2, key);
}

void
nt_setint(lua_State *L, const char *key, lua_Integer val)
{
	lua_pushinteger(L, val);
	lua_setfield(L, -2, key);
}

void
nt_setbool(lua_State *L, const char *key, bool val)
{
	lua_pushboolean(L, val);
	lua_setfield(L, -2, key);
}

void
nt_setnum(lua_State *L, const char *key, lua_Number val)
{
	lua_pushnumber(L, val);
	lua_setfield(L, -2, key);
}

struct redisReply *
nt_redis(lua_State *L, const char *fn, int *box, int argc, const char **argv,
    const size_t *lens)
{
	char name[96];
	size_t l[16];

	if (argc > 16)
		nt_error(L, fn, "internal: too many Redis arguments");
	for (int k = 0; k < argc; k++)
		l[k] = lens != NULL && lens[k] != (size_t)-1 ? lens[k] :
		    strlen(argv[k]);
	snprintf(name, sizeof name, "ntop.%s", short_name(fn));
	redisReply *r = lw_redis_command(L, name, argc, argv, l);
	*box = lua_gettop(L);
	return r;
}

void
nt_push_reply(lua_State *L, const redisReply *r)
{
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
		lua_pushlstring(L, r->str, r->len);
	else if (r->type == REDIS_REPLY_INTEGER)
		lua_pushinteger(L, (lua_Integer)r->integer);
	else
		lua_pushnil(L);
}

static bool
inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 0)
		return false;
	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Resolves the longest existing prefix of path with realpath() and
 * appends the rest, refusing "..": so a path that does not exist yet
 * (mkdir) is judged by where it would be created. */
static bool
resolve(const char *path, char *out, size_t outsize)
{
	char buf[PATH_MAX], real[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof buf || path[0] != '/')
		return false;
	memcpy(buf, path, n + 1);
	char *cut = buf + n;
	for (;;) {
		char saved = *cut;
		*cut = '\0';
		if (realpath(buf[0] ? buf : "/", real) != NULL) {
			*cut = saved;
			const char *rest = path + (cut - buf);
			if (strstr(rest, "/..") != NULL)
				return false;
			int w = snprintf(out, outsize, "%s%s",
			    strcmp(real, "/") == 0 && rest[0] == '/' ? "" : real,
			    rest);
			return w > 0 && (size_t)w < outsize;
		}
		*cut = saved;
		if (errno != ENOENT && errno != ENOTDIR)
			return false;
		char *slash = cut;
		while (slash > buf && *--slash != '/')
			;
		if (slash == buf && cut == buf)
			return false;
		cut = slash;
	}
}

bool
lw_confine_path(const char *path, bool write, char *out, size_t outsize)
{
	return resolve(path, out, outsize) && lw_path_allowed(out, write);
}

bool
lw_path_allowed(const char *resolved, bool write)
{
	return inside(resolved, lw_cfg.data_dir) ||
	    (!write && inside(resolved, lw_cfg.install_dir));
}

void
nt_confine(lua_State *L, const char *fn, const char *path, bool write,
    char *out, size_t outsize)
{
	if (!resolve(path, out, outsize))
		nt_error(L, fn, "path '%s' is not an absolute path the Lua "
		    "worker may use", path);
	if (lw_path_allowed(out, write))
		return;
	nt_error(L, fn, "path '%s' is outside the directories the Lua worker "
	    "may %s (%s%s%s)", path, write ? "write" : "read",
	    lw_cfg.data_dir, write ? "" : ", ", write ? "" : lw_cfg.install_dir);
}

void
nt_register(lua_State *L, const luaL_Reg *fns)
{
	luaL_setfuncs(L, fns, 0);
}

void
lw_push_ntop_table(lua_State *L)
{
	lua_newtable(L);
	ntop_system_register(L);
	ntop_fs_register(L);
	ntop_redis_register(L);
	ntop_net_register(L);
	ntop_dns_register(L);
	ntop_http_register(L);
	ntop_ndpi_register(L);
	ntop_time_register(L);
	ntop_misc_register(L);
	ntop_absent_register(L);
	ntop_geo_register(L);
	ntop_checks_register(L);
	ntop_rrd_register(L);
	ntop_recipients_register(L);
	ntop_stats_register(L);
	lw_ntop_users_register(L);
}

void
nt_capture_call(lua_State *L, const char *fn, int i, const char *method,
    int nargs)
{
	char full[96];
	struct lw_iface *f = &lw_cfg.ifaces[i];

	snprintf(full, sizeof full, "ntop.%s", short_name(fn));
	if (!f->open)
		nt_error(L, fn, "interface %s is not reachable", f->name);
	lw_rpc_call(L, &f->client, method, full, nargs);
}

void
nt_capture_first(lua_State *L, const char *fn, const char *method,
    int nargs)
{
	for (int i = 0; i < lw_cfg.n_ifaces; i++)
		if (lw_cfg.ifaces[i].open) {
			nt_capture_call(L, fn, i, method, nargs);
			return;
		}
	nt_error(L, fn, "no capture worker is reachable");
}

static lua_Integer
field_int(lua_State *L, int t, const char *name)
{
	char a[64];
	const char *dot = strchr(name, '.');
	lua_Integer v = 0;
	int top = lua_gettop(L);

	if (dot && (size_t)(dot - name) < sizeof a) {
		memcpy(a, name, (size_t)(dot - name));
		a[dot - name] = '\0';
		if (lua_getfield(L, t, a) == LUA_TTABLE &&
		    lua_getfield(L, -1, dot + 1) == LUA_TNUMBER)
			v = lua_tointeger(L, -1);
	} else if (lua_getfield(L, t, name) == LUA_TNUMBER) {
		v = lua_tointeger(L, -1);
	}
	lua_settop(L, top);
	return v;
}

void
nt_capture_sum(lua_State *L, const char *fn, const char *method,
    const char *const *sum)
{
	lua_Integer tot[16] = {0};
	int n = 0, res, ifs;

	while (sum[n] && n < 16)
		n++;
	lua_settop(L, 0);
	lua_createtable(L, 0, n + 1);
	res = lua_gettop(L);
	lua_createtable(L, 0, lw_cfg.n_ifaces);
	ifs = lua_gettop(L);
	for (int i = 0; i < lw_cfg.n_ifaces; i++) {
		nt_capture_call(L, fn, i, method, 0);
		for (int k = 0; k < n && lua_istable(L, -1); k++)
			tot[k] += field_int(L, lua_gettop(L), sum[k]);
		lua_rawseti(L, ifs, lw_cfg.ifaces[i].ifid);
		lua_settop(L, ifs);
	}
	lua_setfield(L, res, "interfaces");
	for (int k = 0; k < n; k++) {
		char key[64];
		snprintf(key, sizeof key, "%s", sum[k]);
		for (char *p = key; *p; p++)
			if (*p == '.')
				*p = '_';
		lua_pushinteger(L, tot[k]);
		lua_setfield(L, res, key);
	}
}
