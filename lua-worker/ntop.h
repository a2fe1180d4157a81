/* The ntop.* table, split by section of spec/ntop-api.md: one file per
 * concern (ntop_system.c, ntop_fs.c, ntop_redis.c, ntop_net.c, ...).
 *
 * Every binding is written NT_FN(name) and checks its arguments with the
 * NT_* helpers below, so a wrong type or count raises a Lua error that
 * starts with "ntop.<name>:" and nothing reaches C with a bad value. A
 * function that cannot work in netward raises nt_unavailable() with the
 * reason; none returns an invented value. */
#ifndef NETWARD_NTOP_H
#define NETWARD_NTOP_H

#include "lw.h"

#include <lauxlib.h>
#include <stdbool.h>
#include <stddef.h>

#define NT_FN(name) static int l_##name(lua_State *L)
#define NT_ROW(name) {#name, l_##name}

/* Helpers take __func__ ("l_<name>") and report "ntop.<name>". */
#define NT_ARGS(min, max) nt_args(L, __func__, (min), (max))
#define NT_STR(i, what) nt_str(L, (i), __func__, (what), NULL)
#define NT_LSTR(i, what, lenp) nt_str(L, (i), __func__, (what), (lenp))
#define NT_OPTSTR(i, what, def) nt_optstr(L, (i), __func__, (what), (def))
#define NT_INT(i, what) nt_int(L, (i), __func__, (what))
#define NT_OPTINT(i, what, def) nt_optint(L, (i), __func__, (what), (def))
#define NT_NUM(i, what) nt_num(L, (i), __func__, (what))
#define NT_BOOL(i, what) nt_bool(L, (i), __func__, (what))
#define NT_OPTBOOL(i, what, def) nt_optbool(L, (i), __func__, (what), (def))
#define NT_TABLE(i, what) nt_table(L, (i), __func__, (what))
#define NT_VALUE(i, what, lenp) nt_value(L, (i), __func__, (what), (lenp))
#define NT_ERR(...) nt_error(L, __func__, __VA_ARGS__)
#define NT_UNAVAILABLE(why) nt_error(L, __func__, "not available in netward: %s", (why))

void nt_args(lua_State *L, const char *fn, int min, int max);
const char *nt_str(lua_State *L, int i, const char *fn, const char *what,
    size_t *len);
const char *nt_optstr(lua_State *L, int i, const char *fn, const char *what,
    const char *def);
lua_Integer nt_int(lua_State *L, int i, const char *fn, const char *what);
lua_Integer nt_optint(lua_State *L, int i, const char *fn, const char *what,
    lua_Integer def);
lua_Number nt_num(lua_State *L, int i, const char *fn, const char *what);
bool nt_bool(lua_State *L, int i, const char *fn, const char *what);
bool nt_optbool(lua_State *L, int i, const char *fn, const char *what,
    bool def);
void nt_table(lua_State *L, int i, const char *fn, const char *what);
/* A string or a number (taken as its text). */
const char *nt_value(lua_State *L, int i, const char *fn, const char *what,
    size_t *len);
int nt_error(lua_State *L, const char *fn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

void nt_setstr(lua_State *L, const char *key, const char *val);
void nt_setint(lua_State *L, const char *key, lua_Integer val);
void nt_setbool(lua_State *L, const char *key, bool val);
void nt_setnum(lua_State *L, const char *key, lua_Number val);

/* Runs a Redis command of string arguments; the reply's box is left on
 * the stack at the returned index (free it with lw_redis_done). */
struct redisReply;
struct redisReply *nt_redis(lua_State *L, const char *fn, int *box,
    int argc, const char **argv, const size_t *lens);
/* Pushes a Redis bulk/status/integer reply, nil otherwise. */
void nt_push_reply(lua_State *L, const struct redisReply *r);

/* Capture worker RPCs of ntop.* functions, errors naming fn:
 * nt_capture_call calls method on interface index i (0..n_ifaces-1)
 * with the values at 1..nargs and leaves its answer on top;
 * nt_capture_first does so on the first reachable worker. */
void nt_capture_call(lua_State *L, const char *fn, int i, const char *method,
    int nargs);
void nt_capture_first(lua_State *L, const char *fn, const char *method,
    int nargs);
/* Calls method (no argument) on every capture worker and pushes
 * {interfaces = {[ifid] = answer}}, plus at top level the sum over the
 * interfaces of each integer field named in sum (NULL-terminated; a
 * name "a.b" sums field b of table a) under its name with '.' as '_'. */
void nt_capture_sum(lua_State *L, const char *fn, const char *method,
    const char *const *sum);

/* True when path (resolved) lies inside one of the directories the Lua
 * worker may use; write=true allows only the data dir. out receives the
 * resolved path. Raises a Lua error naming fn when refused. */
void nt_confine(lua_State *L, const char *fn, const char *path, bool write,
    char *out, size_t outsize);

/* Each file adds its functions to the table on top of the stack. */
void nt_register(lua_State *L, const luaL_Reg *fns);
void ntop_system_register(lua_State *L);
void ntop_fs_register(lua_State *L);
void ntop_redis_register(lua_State *L);
void ntop_net_register(lua_State *L);
void ntop_dns_register(lua_State *L);
void ntop_http_register(lua_State *L);
void ntop_ndpi_register(lua_State *L);
void ntop_time_register(lua_State *L);
void ntop_misc_register(lua_State *L);
void ntop_absent_register(lua_State *L);
void ntop_geo_register(lua_State *L);
void ntop_checks_register(lua_State *L);
void ntop_rrd_register(lua_State *L);
void ntop_recipients_register(lua_State *L);
void ntop_stats_register(lua_State *L);

#endif
