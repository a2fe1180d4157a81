/* ntop.* section 11 (HTTP client) and sendMail (33), over libcurl.
 *
 * Only http:// and https:// (and smtp/smtps for sendMail) are accepted,
 * redirects included; certificates are verified unless the caller asks
 * otherwise; every transfer ends before the script's deadline. Where the
 * connection may go is the Lua worker's network policy (policies/).
 *
 * Results follow ntopng: a table {RESPONSE_CODE, CONTENT_TYPE,
 * EFFECTIVE_URL, CONTENT (when return_content)}, or nil and an error
 * message when no HTTP answer came back. */
#include "ntop.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TIMEOUT 10
#define MAX_CONTENT (16u * 1024 * 1024)

struct fetch {
	const char *url;
	const char *method; /* NULL = GET, or POST when a body is given */
	const char *body;
	size_t body_len;
	const char *user, *pass, *bearer, *content_type;
	long timeout;
	bool return_content, verify, follow, compress;
	struct curl_slist *headers;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
init_curl(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct lw_buf *b = arg;
	return lw_buf_append(b, p, size * n) ? size * n : 0;
}

static long
cap_timeout(lua_State *L, long want)
{
	struct timespec now;
	const struct lw_vm *vm = lw_vm_of(L);
	clock_gettime(CLOCK_MONOTONIC, &now);
	long left = (long)(vm->deadline.tv_sec - now.tv_sec);
	if (left < 1)
		left = 1;
	return want <= 0 || want > left ? left : want;
}

/* Runs f; pushes the result table, or nil and a message. */
static int
perform(lua_State *L, const char *fn, struct fetch *f)
{
	struct lw_buf body = {.limit = MAX_CONTENT};
	char err[CURL_ERROR_SIZE] = "";
	long code = 0;
	char *ctype = NULL, *eff = NULL;

	if (strncmp(f->url, "http://", 7) != 0 &&
	    strncmp(f->url, "https://", 8) != 0)
		nt_error(L, fn, "only http:// and https:// URLs are allowed");
	pthread_once(&curl_once, init_curl);
	CURL *c = curl_easy_init();
	if (c == NULL)
		nt_error(L, fn, "cannot create a transfer");
	curl_easy_setopt(c, CURLOPT_URL, f->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, cap_timeout(L, f->timeout));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "netward");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, f->follow ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, f->verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, f->verify ? 2L : 0L);
	if (f->compress)
		curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (f->user != NULL && f->user[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_USERNAME, f->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, f->pass ? f->pass : "");
	}
	if (f->bearer != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, f->bearer);
	}
	if (f->content_type != NULL) {
		char h[256];
		snprintf(h, sizeof h, "Content-Type: %s", f->content_type);
		f->headers = curl_slist_append(f->headers, h);
	}
	if (f->headers != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, f->headers);
	if (f->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, f->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)f->body_len);
	}
	if (f->method != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, f->method);

	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(f->headers);
	f->headers = NULL;
	if (rc != CURLE_OK) {
		curl_easy_cleanup(c);
		lw_buf_free(&body);
		lua_pushnil(L);
		lua_pushfstring(L, "ntop.%s: %s", fn + 2,
		    err[0] ? err : curl_easy_strerror(rc));
		return 2;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype);
	curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
	lua_newtable(L);
	nt_setint(L, "RESPONSE_CODE", code);
	if (ctype != NULL)
		nt_setstr(L, "CONTENT_TYPE", ctype);
	if (eff != NULL)
		nt_setstr(L, "EFFECTIVE_URL", eff);
	if (f->return_content) {
		lua_pushlstring(L, body.data ? body.data : "", body.len);
		lua_setfield(L, -2, "CONTENT");
		nt_setint(L, "CONTENT_LEN", (lua_Integer)body.len);
	}
	curl_easy_cleanup(c);
	lw_buf_free(&body);
	return 1;
}

/* httpGet(url [, user, pass, timeout, return_content, no_verify_cert,
 *         use_compression, follow_redirects]) */
NT_FN(httpGet)
{
	NT_ARGS(1, 8);
	struct fetch f = {
		.url = NT_STR(1, "url"),
		.user = NT_OPTSTR(2, "username", NULL),
		.pass = NT_OPTSTR(3, "password", NULL),
		.timeout = (long)NT_OPTINT(4, "timeout", DEFAULT_TIMEOUT),
		.return_content = NT_OPTBOOL(5, "return_content", false),
		.verify = !NT_OPTBOOL(6, "no_verify_cert", false),
		.compress = NT_OPTBOOL(7, "use_compression", false),
		.follow = NT_OPTBOOL(8, "follow_redirects", true),
	};
	return perform(L, __func__, &f);
}

static void
table_opts(lua_State *L, int idx, const char *fn, struct fetch *f)
{
	static const char *const strs[] = {"username", "password", "bearer",
		"content_type", NULL};
	const char **dst[] = {&f->user, &f->pass, &f->bearer, &f->content_type};
	for (int i = 0; strs[i]; i++) {
		lua_getfield(L, idx, strs[i]);
		if (lua_type(L, -1) == LUA_TSTRING)
			*dst[i] = lua_tostring(L, -1);
		else if (!lua_isnil(L, -1))
			nt_error(L, fn, "option %s must be a string", strs[i]);
		lua_pop(L, 1); /* the string stays alive in the table */
	}
	lua_getfield(L, idx, "timeout");
	if (lua_isinteger(L, -1))
		f->timeout = (long)lua_tointeger(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, idx, "return_content");
	if (!lua_isnil(L, -1))
		f->return_content = lua_toboolean(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, idx, "no_verify_cert");
	if (!lua_isnil(L, -1))
		f->verify = !lua_toboolean(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, idx, "x_api_key");
	if (lua_type(L, -1) == LUA_TSTRING) {
		lua_pushfstring(L, "X-API-Key: %s", lua_tostring(L, -1));
		f->headers = curl_slist_append(f->headers, lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	lua_getfield(L, idx, "extra_header");
	if (lua_type(L, -1) == LUA_TSTRING &&
	    strpbrk(lua_tostring(L, -1), "\r\n") == NULL)
		f->headers = curl_slist_append(f->headers, lua_tostring(L, -1));
	lua_pop(L, 1);
	lua_getfield(L, idx, "headers");
	if (lua_istable(L, -1)) {
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			if (lua_type(L, -2) == LUA_TSTRING &&
			    lua_type(L, -1) == LUA_TSTRING) {
				lua_pushfstring(L, "%s: %s", lua_tostring(L, -2),
				    lua_tostring(L, -1));
				if (strpbrk(lua_tostring(L, -1), "\r\n") == NULL)
					f->headers = curl_slist_append(
					    f->headers, lua_tostring(L, -1));
				lua_pop(L, 1);
			}
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
}

/* httpPost(url, data [, params]) */
NT_FN(httpPost)
{
	NT_ARGS(2, 3);
	struct fetch f = {.url = NT_STR(1, "url"), .timeout = DEFAULT_TIMEOUT,
		.verify = true, .follow = true, .return_content = true,
		.content_type = "application/x-www-form-urlencoded"};
	f.body = NT_LSTR(2, "data", &f.body_len);
	if (!lua_isnoneornil(L, 3)) {
		NT_TABLE(3, "params");
		table_opts(L, 3, __func__, &f);
	}
	return perform(L, __func__, &f);
}

/* httpFetch{url=, method=, body=, headers={}, timeout=, username=, ...} */
NT_FN(httpFetch)
{
	NT_ARGS(1, 1);
	NT_TABLE(1, "params");
	struct fetch f = {.timeout = DEFAULT_TIMEOUT, .verify = true,
		.follow = true, .return_content = true};
	lua_getfield(L, 1, "url");
	if (lua_type(L, -1) != LUA_TSTRING)
		NT_ERR("params.url must be a string");
	f.url = lua_tostring(L, -1);
	lua_getfield(L, 1, "method");
	if (lua_type(L, -1) == LUA_TSTRING)
		f.method = lua_tostring(L, -1);
	lua_getfield(L, 1, "body");
	if (lua_type(L, -1) == LUA_TSTRING)
		f.body = lua_tolstring(L, -1, &f.body_len);
	lua_pop(L, 3); /* the values stay alive in the table */
	if (f.method != NULL && strspn(f.method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	    != strlen(f.method))
		NT_ERR("params.method '%s' is not an HTTP method", f.method);
	table_opts(L, 1, __func__, &f);
	return perform(L, __func__, &f);
}

/* httpGetAuthToken(url, token [, timeout, return_content, no_verify]) */
NT_FN(httpGetAuthToken)
{
	NT_ARGS(2, 5);
	struct fetch f = {
		.url = NT_STR(1, "url"),
		.bearer = NT_STR(2, "token"),
		.timeout = (long)NT_OPTINT(3, "timeout", DEFAULT_TIMEOUT),
		.return_content = NT_OPTBOOL(4, "return_content", true),
		.verify = !NT_OPTBOOL(5, "no_verify_cert", false),
		.follow = true,
	};
	return perform(L, __func__, &f);
}

static int
body_with_token(lua_State *L, const char *fn, const char *method,
    bool has_ctype)
{
	nt_args(L, fn, 3, has_ctype ? 5 : 4);
	struct fetch f = {
		.url = nt_str(L, 1, fn, "url", NULL),
		.bearer = nt_str(L, 2, fn, "token", NULL),
		.method = method,
		.timeout = (long)nt_optint(L, 4, fn, "timeout", DEFAULT_TIMEOUT),
		.return_content = true, .verify = true, .follow = true,
		.content_type = "application/json",
	};
	f.body = nt_str(L, 3, fn, "body", &f.body_len);
	if (has_ctype)
		f.content_type = nt_optstr(L, 5, fn, "content_type",
		    f.content_type);
	return perform(L, fn, &f);
}

NT_FN(httpPostAuthToken) { return body_with_token(L, __func__, NULL, true); }
NT_FN(httpPutAuthToken) { return body_with_token(L, __func__, "PUT", false); }
NT_FN(httpPatchAuthToken)
{
	return body_with_token(L, __func__, "PATCH", false);
}

static int
post_ok(lua_State *L, const char *fn, struct fetch *f)
{
	int n = perform(L, fn, f);
	bool ok = n == 1 && (lua_getfield(L, -1, "RESPONSE_CODE"),
	    lua_tointeger(L, -1) / 100 == 2);
	lua_pushboolean(L, ok);
	return 1;
}

NT_FN(postHTTPJsonData)
{
	NT_ARGS(2, 2);
	struct fetch f = {.url = NT_STR(1, "url"), .timeout = DEFAULT_TIMEOUT,
		.verify = true, .follow = true,
		.content_type = "application/json"};
	f.body = NT_LSTR(2, "body", &f.body_len);
	return post_ok(L, __func__, &f);
}

NT_FN(postHTTPTextFile)
{
	char p[PATH_MAX];
	NT_ARGS(2, 2);
	struct fetch f = {.url = NT_STR(1, "url"), .timeout = DEFAULT_TIMEOUT,
		.verify = true, .follow = true, .content_type = "text/plain"};
	nt_confine(L, __func__, NT_STR(2, "file_path"), false, p, sizeof p);
	FILE *fp = fopen(p, "re");
	if (fp == NULL)
		NT_ERR("cannot open %s: %s", p, strerror(errno));
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	size_t n;
	char chunk[8192];
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		luaL_addlstring(&b, chunk, n);
	fclose(fp);
	luaL_pushresult(&b);
	f.body = lua_tolstring(L, -1, &f.body_len);
	return post_ok(L, __func__, &f);
}

NT_FN(httpRedirect)
{
	size_t n;
	NT_ARGS(1, 1);
	const char *url = NT_LSTR(1, "url", &n);
	struct lw_response *r = lw_vm_of(L)->resp;
	if (r == NULL)
		NT_ERR("no response to redirect");
	if (n >= sizeof r->header_value[0] || strpbrk(url, "\r\n") != NULL)
		NT_ERR("bad redirect URL");
	if (r->n_headers >= LW_MAX_HEADERS)
		NT_ERR("too many headers");
	r->status = 302;
	strcpy(r->header_name[r->n_headers], "Location");
	memcpy(r->header_value[r->n_headers], url, n + 1);
	r->n_headers++;
	return 0;
}

/* The CSRF token of the request's session, nil without a session. */
NT_FN(getRandomCSRFValue)
{
	NT_ARGS(0, 0);
	const struct ipc_ctx *ctx = lw_vm_of(L)->ctx;
	if (ctx == NULL || ctx->csrf[0] == '\0')
		lua_pushnil(L);
	else
		lua_pushstring(L, ctx->csrf);
	return 1;
}

/* ---- sendMail --------------------------------------------------------------- */

struct mail_src {
	const char *p;
	size_t left;
};

static size_t
mail_read(char *buf, size_t size, size_t n, void *arg)
{
	struct mail_src *m = arg;
	size_t k = size * n < m->left ? size * n : m->left;
	memcpy(buf, m->p, k);
	m->p += k;
	m->left -= k;
	return k;
}

static const char *
mail_field(lua_State *L, const char *fn, const char *name, bool required)
{
	lua_getfield(L, 1, name);
	if (lua_type(L, -1) == LUA_TSTRING) {
		const char *s = lua_tostring(L, -1);
		lua_pop(L, 1);
		if (strpbrk(s, "\r\n") != NULL && strcmp(name, "message") != 0)
			nt_error(L, fn, "params.%s must be one line", name);
		return s;
	}
	if (required || !lua_isnil(L, -1))
		nt_error(L, fn, "params.%s must be a string", name);
	lua_pop(L, 1);
	return NULL;
}

/* sendMail{smtp_server = "smtp://host:port", from, to, cc?, subject?,
 *          message, username?, password?} -> true | false, error */
NT_FN(sendMail)
{
	char err[CURL_ERROR_SIZE] = "", date[64];
	struct curl_slist *rcpt = NULL;
	NT_ARGS(1, 1);
	NT_TABLE(1, "params");
	const char *server = mail_field(L, __func__, "smtp_server", true);
	const char *from = mail_field(L, __func__, "from", true);
	const char *to = mail_field(L, __func__, "to", true);
	const char *cc = mail_field(L, __func__, "cc", false);
	const char *subject = mail_field(L, __func__, "subject", false);
	const char *msg = mail_field(L, __func__, "message", true);
	const char *user = mail_field(L, __func__, "username", false);
	const char *pass = mail_field(L, __func__, "password", false);

	if (strncmp(server, "smtp://", 7) != 0 &&
	    strncmp(server, "smtps://", 8) != 0)
		NT_ERR("params.smtp_server must be smtp:// or smtps://");
	time_t now = time(NULL);
	struct tm tm;
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000",
	    gmtime_r(&now, &tm));
	lua_pushfstring(L, "Date: %s\r\nFrom: %s\r\nTo: %s\r\n%s%s%s"
	    "Subject: %s\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", date, from,
	    to, cc ? "Cc: " : "", cc ? cc : "", cc ? "\r\n" : "",
	    subject ? subject : "", msg);
	struct mail_src src = {.p = lua_tolstring(L, -1, &src.left)};

	pthread_once(&curl_once, init_curl);
	CURL *c = curl_easy_init();
	if (c == NULL)
		NT_ERR("cannot create a transfer");
	rcpt = curl_slist_append(rcpt, to);
	if (cc != NULL)
		rcpt = curl_slist_append(rcpt, cc);
	curl_easy_setopt(c, CURLOPT_URL, server);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, cap_timeout(L, DEFAULT_TIMEOUT));
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &src);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	if (user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass ? pass : "");
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	}
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	lua_pushboolean(L, rc == CURLE_OK);
	if (rc == CURLE_OK)
		return 1;
	lua_pushstring(L, err[0] ? err : curl_easy_strerror(rc));
	return 2;
}

static const luaL_Reg fns[] = {
	NT_ROW(httpGet), NT_ROW(httpPost), NT_ROW(httpFetch),
	NT_ROW(httpGetAuthToken), NT_ROW(httpPostAuthToken),
	NT_ROW(httpPutAuthToken), NT_ROW(httpPatchAuthToken),
	NT_ROW(postHTTPJsonData), NT_ROW(postHTTPTextFile),
	NT_ROW(httpRedirect), NT_ROW(getRandomCSRFValue), NT_ROW(sendMail),
	{NULL, NULL},
};

void
ntop_http_register(lua_State *L)
{
	nt_register(L, fns);
}
