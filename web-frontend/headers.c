/* What every response gets whoever produced it (our handlers, h2o's file
 * handler, h2o's own errors): the security headers and one access-log
 * line. Both are done in an h2o filter, which sees each response as it
 * starts. Also the small canned replies the handlers share. */
#include "web.h"

#include "log.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const struct {
	const char *name; /* lower case: HTTP/2 requires it */
	const char *value;
} security_headers[] = {
	{"strict-transport-security", "max-age=31536000; includeSubDomains"},
	{"content-security-policy",
	    "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
	    "form-action 'self'"},
	{"x-content-type-options", "nosniff"},
	{"x-frame-options", "DENY"},
	{"referrer-policy", "no-referrer"},
};

static void
on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
	for (size_t i = 0; i < sizeof security_headers /
	    sizeof security_headers[0]; i++) {
		h2o_set_header_by_str(&req->pool, &req->res.headers,
		    security_headers[i].name, strlen(security_headers[i].name),
		    1, security_headers[i].value,
		    strlen(security_headers[i].value), 1);
	}

	if (log_get_level() >= LOG_LVL_DEBUG) {
		char remote[64];
		web_remote_addr(req, remote, sizeof remote);
		h2o_iovec_t *user = h2o_req_getenv(req, H2O_STRLIT("USER"), 0);
		log_debug("access %s %.*s %.*s %.*s %d", remote,
		    user != NULL ? (int)user->len : 1,
		    user != NULL ? user->base : "-", (int)req->method.len,
		    req->method.base, (int)req->path.len, req->path.base,
		    req->res.status);
	}
	h2o_setup_next_ostream(req, slot);
}

void
web_headers_register(h2o_pathconf_t *pc)
{
	h2o_filter_t *f = h2o_create_filter(pc, sizeof *f);
	f->on_setup_ostream = on_setup_ostream;
}

void
web_note_user(h2o_req_t *req, const char *user)
{
	h2o_iovec_t *v = h2o_req_getenv(req, H2O_STRLIT("USER"), 1);
	*v = h2o_strdup(&req->pool, user, SIZE_MAX);
}

const char *
web_status_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	if (status < 300)
		return "OK";
	if (status < 400)
		return "Redirect";
	if (status < 500)
		return "Client Error";
	return "Server Error";
}

void
web_remote_addr(h2o_req_t *req, char *buf, size_t bufsize)
{
	struct sockaddr_storage ss;
	socklen_t len = req->conn->callbacks->get_peername(req->conn,
	    (struct sockaddr *)&ss);
	if (len == 0 || getnameinfo((struct sockaddr *)&ss, len, buf,
	    (socklen_t)bufsize, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(buf, bufsize, "unknown");
}

void
web_reply_json_error(h2o_req_t *req, int http_status, int rc,
    const char *rc_str, const char *rc_str_hr)
{
	char body[256];
	int n = snprintf(body, sizeof body,
	    "{\"rc\":%d,\"rc_str\":\"%s\",\"rc_str_hr\":\"%s\",\"rsp\":{}}",
	    rc, rc_str, rc_str_hr);
	req->res.status = http_status;
	req->res.reason = web_status_reason(http_status);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
	    NULL, H2O_STRLIT("application/json"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL,
	    NULL, H2O_STRLIT("no-store"));
	h2o_send_inline(req, body, (size_t)n);
}

void
web_reply_redirect(h2o_req_t *req, const char *location)
{
	/* Not h2o_send_redirect(): it drops the headers set so far, and a
	 * login redirect carries Set-Cookie. */
	req->res.status = 302;
	req->res.reason = "Found";
	/* Header values are referenced, not copied: keep them in the pool. */
	h2o_iovec_t loc = h2o_strdup(&req->pool, location, SIZE_MAX);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION,
	    NULL, loc.base, loc.len);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL,
	    NULL, H2O_STRLIT("no-store"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
	    NULL, H2O_STRLIT("text/plain; charset=utf-8"));
	h2o_send_inline(req, H2O_STRLIT("Redirecting\n"));
}

void
web_url_encode(const char *in, char *out, size_t outsize)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (; *in != '\0' && n + 4 < outsize; in++) {
		unsigned char c = (unsigned char)*in;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '/' || c == '.' ||
		    c == '_' || c == '-') {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
}
