/* Which request goes where, and the rule that nothing but the login page
 * and its assets is served before authentication:
 *
 *   /authorize.html      login form target            login.c
 *   /logout.html         ends the session             login.c
 *   public assets        login page, its css/js       h2o file handler
 *   /lua/...             authenticate, then forward    forward.c
 *   anything else        authenticate, then static    h2o file handler
 *
 * One pathconf "/" holds this handler first and the file handler second;
 * returning -1 passes the request on to the file handler. */
#include "web.h"

#include "log.h"

#include <stdio.h>
#include <string.h>

static const char *const public_exact[] = {
	"/login.html", "/favicon.ico", "/js/login.js", NULL,
};
static const char *const public_prefix[] = {
	"/css/", NULL,
};

static bool
path_is(h2o_iovec_t path, const char *s)
{
	return h2o_memis(path.base, path.len, s, strlen(s));
}

static bool
path_starts(h2o_iovec_t path, const char *s)
{
	size_t n = strlen(s);
	return path.len >= n && memcmp(path.base, s, n) == 0;
}

static bool
is_public(h2o_iovec_t path)
{
	for (int i = 0; public_exact[i] != NULL; i++)
		if (path_is(path, public_exact[i]))
			return true;
	for (int i = 0; public_prefix[i] != NULL; i++)
		if (path_starts(path, public_prefix[i]))
			return true;
	return false;
}

static void
reply_not_granted(h2o_req_t *req, bool had_cookie)
{
	/* A browser with a dead session goes back to its login page rather
	 * than popping up a basic-auth dialog. */
	if (!had_cookie)
		h2o_add_header(&req->pool, &req->res.headers,
		    H2O_TOKEN_WWW_AUTHENTICATE, NULL,
		    H2O_STRLIT("Basic realm=\"netward\""));
	web_reply_json_error(req, 401, -3, "NOT_GRANTED", "Not Granted");
}

/* A browser session's request that may change something: any method but
 * GET/HEAD, or the REST trees that change state whatever the method. */
static bool
changes_state(h2o_req_t *req, size_t path_len)
{
	static const char *const trees[] = {"/lua/rest/v2/add/",
	    "/lua/rest/v2/set/", "/lua/rest/v2/edit/", "/lua/rest/v2/delete/",
	    "/lua/rest/v2/create/"};
	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")))
		return true;
	for (size_t i = 0; i < sizeof trees / sizeof *trees; i++)
		if (path_len >= strlen(trees[i]) &&
		    memcmp(req->path.base, trees[i], strlen(trees[i])) == 0)
			return true;
	return false;
}

static int
route_lua(h2o_req_t *req)
{
	struct web_user u;
	bool had_cookie;
	switch (web_authenticate(req, &u, &had_cookie)) {
	case WEB_AUTH_OK:
		break;
	case WEB_AUTH_BACKEND:
		web_reply_json_error(req, 503, -6, "INTERNAL_ERROR",
		    "Internal Error");
		return 0;
	default:
		reply_not_granted(req, had_cookie);
		return 0;
	}
	web_note_user(req, u.name);
	size_t path_len = req->query_at != SIZE_MAX ? req->query_at
						    : req->path.len;
	if (!web_lua_path_valid(req->path.base, path_len)) {
		web_reply_json_error(req, 404, -1, "NOT_FOUND", "Not Found");
		return 0;
	}
	if (u.via_cookie && changes_state(req, path_len) &&
	    !web_csrf_present(req, &u)) {
		web_reply_json_error(req, 403, -3, "NOT_GRANTED",
		    "Missing or wrong CSRF token");
		return 0;
	}
	return web_forward(req, &u);
}

static int
route_static(h2o_req_t *req)
{
	struct web_user u;
	bool had_cookie;
	enum web_auth_result res = web_authenticate(req, &u, &had_cookie);
	if (res == WEB_AUTH_OK) {
		web_note_user(req, u.name);
		return -1; /* on to the file handler */
	}
	if (res == WEB_AUTH_BACKEND) {
		web_reply_json_error(req, 503, -6, "INTERNAL_ERROR",
		    "Internal Error");
		return 0;
	}
	char enc[1024], loc[1100];
	size_t path_len = req->query_at != SIZE_MAX ? req->query_at
						    : req->path.len;
	char raw[512];
	snprintf(raw, sizeof raw, "%.*s", (int)path_len, req->path.base);
	web_url_encode(raw, enc, sizeof enc);
	snprintf(loc, sizeof loc, "/login.html?referer=%s", enc);
	web_reply_redirect(req, loc);
	return 0;
}

/* Headers are bounded before anything reads them: a client gets 431
 * rather than a frontend that parses (and copies to Lua) whatever it
 * sends. */
#define MAX_HEADER_BYTES (16 * 1024)
#define MAX_HEADERS 100

static bool
headers_too_large(const h2o_req_t *req)
{
	size_t bytes = req->path.len + req->authority.len;
	if (req->headers.size > MAX_HEADERS)
		return true;
	for (size_t i = 0; i < req->headers.size; i++)
		bytes += req->headers.entries[i].name->len +
		    req->headers.entries[i].value.len;
	return bytes > MAX_HEADER_BYTES;
}

static int
on_req(h2o_handler_t *self, h2o_req_t *req)
{
	if (headers_too_large(req)) {
		web_reply_json_error(req, 431, -8, "BAD_CONTENT",
		    "Request Header Fields Too Large");
		return 0;
	}
	/* Decisions on files use the normalized path (what the file handler
	 * will open); the raw path decides too for /lua/, so that no
	 * spelling of a Lua path ever reaches the file handler. */
	h2o_iovec_t norm = req->path_normalized;

	if (path_starts(norm, "/lua/") || path_is(norm, "/lua") ||
	    path_starts(req->path, "/lua/"))
		return route_lua(req);
	if (path_is(norm, "/authorize.html"))
		return web_login_post(req);
	if (path_is(norm, "/logout.html"))
		return web_logout(req);
	if (is_public(norm))
		return -1;
	return route_static(req);
}

void
web_router_register(h2o_hostconf_t *host, const struct web_config *cfg)
{
	static const char *index_files[] = {"index.html", NULL};

	h2o_pathconf_t *pc = h2o_config_register_path(host, "/", 0);
	h2o_handler_t *h = h2o_create_handler(pc, sizeof *h);
	h->on_req = on_req;
	/* flags 0: no directory listing, no compressed variants. */
	if (cfg->httpdocs != NULL)
		h2o_file_register(pc, cfg->httpdocs, index_files, NULL, 0);
	web_headers_register(pc);
	/* h2o's own errors (e.g. a request line it refuses) use this one. */
	web_headers_register(&host->fallback_path);
}
