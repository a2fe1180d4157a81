/* Response control of the current request: status, content type and
 * extra headers. It is not a global of the request environment; require
 * hands it to modules as their third chunk argument, so lua_utils and
 * rest_utils can use it while a REST script sees only their API. */
#include "lw.h"

#include <lauxlib.h>
#include <string.h>
#include <strings.h>

/* Headers the frontend owns: a script must not set them. */
static const char *const reserved_headers[] = {
	"content-length", "transfer-encoding", "connection", "set-cookie",
	"content-type", "strict-transport-security",
	"content-security-policy", NULL,
};

static struct lw_response *
current(lua_State *L, const char *fname)
{
	struct lw_response *r = lw_vm_of(L)->resp;
	if (r == NULL)
		luaL_error(L, "%s: no request", fname);
	return r;
}

static bool
printable_no_crlf(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool
token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static int
h_setStatus(lua_State *L)
{
	lua_Integer code = luaL_checkinteger(L, 1);
	if (code < 100 || code > 599)
		return luaL_error(L, "http.setStatus: bad status %d", (int)code);
	current(L, "http.setStatus")->status = (int)code;
	return 0;
}

static int
h_setContentType(lua_State *L)
{
	size_t n;
	const char *ct = luaL_checklstring(L, 1, &n);
	struct lw_response *r = current(L, "http.setContentType");
	if (n == 0 || n >= sizeof r->content_type || !printable_no_crlf(ct, n))
		return luaL_error(L, "http.setContentType: bad content type");
	memcpy(r->content_type, ct, n + 1);
	return 0;
}

static int
h_addHeader(lua_State *L)
{
	size_t nn, vn;
	const char *name = luaL_checklstring(L, 1, &nn);
	const char *val = luaL_checklstring(L, 2, &vn);
	struct lw_response *r = current(L, "http.addHeader");

	if (!token(name, nn) || nn >= sizeof r->header_name[0])
		return luaL_error(L, "http.addHeader: bad header name");
	if (vn >= sizeof r->header_value[0] || !printable_no_crlf(val, vn))
		return luaL_error(L, "http.addHeader: bad header value");
	for (const char *const *h = reserved_headers; *h; h++)
		if (strcasecmp(name, *h) == 0)
			return luaL_error(L,
			    "http.addHeader: %s is set by the frontend", name);
	if (r->n_headers >= LW_MAX_HEADERS)
		return luaL_error(L, "http.addHeader: too many headers");
	memcpy(r->header_name[r->n_headers], name, nn + 1);
	memcpy(r->header_value[r->n_headers], val, vn + 1);
	r->n_headers++;
	return 0;
}

static const luaL_Reg http_functions[] = {
	{"setStatus", h_setStatus},
	{"setContentType", h_setContentType},
	{"addHeader", h_addHeader},
	{NULL, NULL},
};

void
lw_push_http_module(lua_State *L)
{
	luaL_newlib(L, http_functions);
}

/* Shared modules get one http table per VM (its functions act on the
 * current request); it is frozen with the module that keeps it. */
void
lw_push_shared_http_module(lua_State *L)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, "netward.shared_http") ==
	    LUA_TTABLE)
		return;
	lua_pop(L, 1);
	luaL_newlib(L, http_functions);
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, "netward.shared_http");
}
