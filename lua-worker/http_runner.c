/* Runs one HTTP request's script: maps the URL to a file of the scripts
 * tree, builds _GET/_POST/_SESSION/_SERVER in a fresh environment, runs
 * the script with print() buffered into the body, and turns a Lua error
 * into a 500 REST error (the message goes to the log, not the client). */
#include "lw.h"
#include "log.h"

#include <lauxlib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define GC_FULL_ABOVE (64u * 1024 * 1024) /* bytes left after a request */

/* Merges a JSON body's top-level keys into _GET as ntopng does: scalars
 * as their text, objects and arrays as their JSON. */
static const char json_merge_chunk[] =
    "local body, GET, json = ...\n"
    "local v = json.decode(body, 1, json.null)\n"
    "if type(v) ~= 'table' then return end\n"
    "for k, x in pairs(v) do\n"
    "  if x == json.null then x = nil\n"
    "  elseif type(x) == 'table' then x = json.encode(x)\n"
    "  else x = tostring(x) end\n"
    "  if x ~= nil then GET[tostring(k)] = x end\n"
    "end\n";

struct run_args {
	const struct lw_http_request *rq;
	const char *script; /* NULL: resolve rq->path into path */
	char *path;
	size_t pathsize;
	bool bad_params;
	bool not_found;
};

void
lw_response_init(struct lw_response *r)
{
	memset(r, 0, sizeof *r);
	r->status = 200;
	strcpy(r->content_type, "text/html; charset=utf-8");
	r->body.limit = LW_MAX_BODY;
}

void
lw_response_free(struct lw_response *r)
{
	lw_buf_free(&r->body);
}

static void
rest_error(struct lw_response *r, int status, int rc, const char *rc_str,
    const char *hr)
{
	char json[256];
	int n = snprintf(json, sizeof json,
	    "{\"rc\":%d,\"rc_str\":\"%s\",\"rc_str_hr\":\"%s\",\"rsp\":[]}", rc,
	    rc_str, hr);
	lw_buf_reset(&r->body);
	r->n_headers = 0;
	r->status = status;
	strcpy(r->content_type, "application/json");
	lw_buf_append(&r->body, json, (size_t)n);
}

static bool
content_type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);
	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static void
set_str_field(lua_State *L, const char *key, const char *val)
{
	lua_pushstring(L, val ? val : "");
	lua_setfield(L, -2, key);
}

static void
push_session(lua_State *L, const struct ipc_ctx *ctx)
{
	lua_newtable(L);
	set_str_field(L, "user", ctx->user);
	set_str_field(L, "group", ctx->group);
	set_str_field(L, "allowed_nets", ctx->allowed_nets);
	set_str_field(L, "allowed_ifname", ctx->allowed_ifname);
	set_str_field(L, "remote_addr", ctx->remote_addr);
	set_str_field(L, "csrf", ctx->csrf);
	lua_pushinteger(L, (lua_Integer)ctx->request_id);
	lua_setfield(L, -2, "request_id");
}

static void
merge_json_body(lua_State *L, int env, int get, const char *body,
    size_t len)
{
	if (luaL_loadbufferx(L, json_merge_chunk, sizeof json_merge_chunk - 1,
		"=json_body", "t") != LUA_OK)
		lua_error(L);
	lua_pushvalue(L, env);
	lua_setupvalue(L, -2, 1);
	lua_pushlstring(L, body, len);
	lua_pushvalue(L, get);
	lua_pushcfunction(L, lw_require);
	lua_pushliteral(L, "dkjson");
	lua_call(L, 1, 1);
	lua_call(L, 3, 0);
}

/* lw_resolve_script's answers are kept per VM for a second: realpath
 * of a script costs a readlink per path component on every request. A
 * kept path is used only while it is still a regular file, so a removed
 * script is not found at once; a script replaced by a symlink to another
 * file of the tree is followed within a second. */
#define SCRIPT_PATHS_KEY "netward.script_paths"
#define SCRIPT_PATH_TTL_SEC 1

static bool
resolve_cached(lua_State *L, const char *urlpath, char *out, size_t outsize)
{
	struct timespec now;
	struct stat st;
	size_t n;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_PATHS_KEY) !=
	    LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, SCRIPT_PATHS_KEY);
	}
	int cache = lua_gettop(L);
	/* entry: {real path, expiry second} */
	if (lua_getfield(L, cache, urlpath) == LUA_TTABLE) {
		lua_rawgeti(L, -1, 2);
		lua_rawgeti(L, -2, 1);
		const char *real = lua_tolstring(L, -1, &n);
		if (lua_tointeger(L, -2) > (lua_Integer)now.tv_sec &&
		    real != NULL && n < outsize && stat(real, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			memcpy(out, real, n + 1);
			lua_settop(L, cache - 1);
			return true;
		}
	}
	lua_settop(L, cache);
	if (!lw_resolve_script(urlpath, out, outsize)) {
		lua_pushnil(L);
		lua_setfield(L, cache, urlpath);
		lua_pop(L, 1);
		return false;
	}
	lua_createtable(L, 2, 0);
	lua_pushstring(L, out);
	lua_rawseti(L, -2, 1);
	lua_pushinteger(L, (lua_Integer)now.tv_sec + SCRIPT_PATH_TTL_SEC);
	lua_rawseti(L, -2, 2);
	lua_setfield(L, cache, urlpath);
	lua_pop(L, 1);
	return true;
}

static int
run_protected(lua_State *L)
{
	struct run_args *a = lua_touserdata(L, 1);
	const struct lw_http_request *rq = a->rq;

	if (a->script == NULL) {
		if (!resolve_cached(L, rq->path, a->path, a->pathsize)) {
			a->not_found = true;
			return 0;
		}
		a->script = a->path;
	}
	lw_env_push_new(L);
	int env = lua_gettop(L);

	lua_newtable(L);
	int get = lua_gettop(L);
	lua_newtable(L);
	int post = lua_gettop(L);
	if (rq->query && !lw_parse_urlencoded(L, get, rq->query,
			     rq->query_len)) {
		a->bad_params = true;
		return 0;
	}
	if (rq->body_len > 0) {
		if (content_type_is(rq->content_type,
			"application/x-www-form-urlencoded")) {
			if (!lw_parse_urlencoded(L, post, rq->body,
				rq->body_len)) {
				a->bad_params = true;
				return 0;
			}
		} else if (content_type_is(rq->content_type,
			       "application/json")) {
			lua_pushlstring(L, rq->body, rq->body_len);
			lua_setfield(L, post, "JSON");
			merge_json_body(L, env, get, rq->body, rq->body_len);
		}
	}
	lua_pushvalue(L, get);
	lua_setfield(L, env, "_GET");
	lua_pushvalue(L, post);
	lua_setfield(L, env, "_POST");
	push_session(L, rq->ctx);
	lua_setfield(L, env, "_SESSION");
	lua_newtable(L);
	set_str_field(L, "REQUEST_METHOD", rq->method);
	set_str_field(L, "URI", rq->path);
	set_str_field(L, "REMOTE_ADDR", rq->ctx->remote_addr);
	lua_setfield(L, env, "_SERVER");

	if (lw_load_file_in_env(L, a->script, rq->path) != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 0);
	return 0;
}

static void
default_interface(struct lw_vm *vm)
{
	vm->selected_iface = -1;
	for (int i = 0; i < lw_cfg.n_ifaces; i++)
		if (vm->ctx->allowed_ifname[0] == '\0' ||
		    strcmp(vm->ctx->allowed_ifname, lw_cfg.ifaces[i].name) ==
			0) {
			vm->selected_iface = i;
			break;
		}
}

void
lw_http_run(struct lw_vm *vm, const struct lw_http_request *rq,
    const char *script, struct lw_response *resp, char *err, size_t errlen)
{
	char path[PATH_MAX];
	lua_State *L = vm->L;
	struct run_args a = {rq, script, NULL, 0, false, false};

	if (err && errlen)
		err[0] = '\0';
	a.path = path;
	a.pathsize = sizeof path;
	vm->ctx = rq->ctx;
	vm->resp = resp;
	default_interface(vm);

	lw_vm_begin_limits(vm);
	lua_pushcfunction(L, run_protected);
	lua_pushlightuserdata(L, &a);
	int st = lua_pcall(L, 1, 0, 0);
	lw_vm_end_limits(vm);

	if (st != LUA_OK) {
		const char *msg = lua_type(L, -1) == LUA_TSTRING
		    ? lua_tostring(L, -1)
		    : "(error object is not a string)";
		log_error("%s (user %s, request %llu): %s", rq->path,
		    rq->ctx->user, (unsigned long long)rq->ctx->request_id,
		    msg);
		if (err && errlen)
			snprintf(err, errlen, "%s", msg);
		lua_pop(L, 1);
		rest_error(resp, 500, -6, "INTERNAL_ERROR", "Internal error");
	} else if (a.not_found) {
		rest_error(resp, 404, -1, "NOT_FOUND", "Not found");
	} else if (a.bad_params) {
		rest_error(resp, 400, -5, "INVALID_ARGUMENTS",
		    "Invalid arguments");
	}
	lw_env_release(L);
	vm->ctx = NULL;
	vm->resp = NULL;
	vm->selected_iface = -1;
	if (vm->mem_used > GC_FULL_ABOVE)
		lua_gc(L, LUA_GCCOLLECT, 0);
}
