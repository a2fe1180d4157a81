/* The credentials a request offers, checked in this order:
 *
 *   Cookie: session=<id>          a browser after POST /authorize.html
 *   Authorization: Basic <b64>    scripts (curl -u)
 *   Authorization: Token <token>  API tokens (ntopng.api_tokens.<sha256>)
 *
 * With --disable-login every request is admin, as in ntopng. */
#include "web.h"

#include "log.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *
web_cookie_get(h2o_req_t *req, const char *name, size_t *len)
{
	size_t nlen = strlen(name);
	ssize_t cur = -1;
	/* HTTP/2 may split cookies over several header fields. */
	while ((cur = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, cur))
	    != -1) {
		const char *p = req->headers.entries[cur].value.base;
		const char *end = p + req->headers.entries[cur].value.len;
		while (p < end) {
			while (p < end && (*p == ' ' || *p == ';'))
				p++;
			const char *semi = memchr(p, ';', end - p);
			const char *pair_end = semi != NULL ? semi : end;
			if ((size_t)(pair_end - p) > nlen &&
			    memcmp(p, name, nlen) == 0 && p[nlen] == '=') {
				*len = pair_end - (p + nlen + 1);
				return p + nlen + 1;
			}
			p = pair_end;
		}
	}
	return NULL;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 with optional padding; -1 on any other byte. */
static ssize_t
b64_decode(const char *in, size_t len, char *out, size_t outsize)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	while (len > 0 && in[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= outsize)
				return -1;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return (ssize_t)n;
}

static enum web_auth_result
auth_basic(h2o_req_t *req, const char *b64, size_t len, struct web_user *u)
{
	char creds[512], remote[64];
	ssize_t n = b64_decode(b64, len, creds, sizeof creds);
	char *colon = n > 0 ? memchr(creds, ':', (size_t)n) : NULL;
	if (colon == NULL || memchr(creds, '\0', (size_t)n) != NULL)
		return WEB_AUTH_DENIED;
	*colon = '\0';

	web_remote_addr(req, remote, sizeof remote);
	enum web_auth_result res = WEB_AUTH_DENIED;
	if (web_login_blocked(remote)) {
		log_warn("basic auth from %s refused: too many failures",
		    remote);
	} else if (web_password_check(creds, colon + 1) &&
	    web_user_load(creds, u)) {
		res = WEB_AUTH_OK;
	} else if (web_store_unreachable()) {
		res = WEB_AUTH_BACKEND; /* 503: the client may retry */
	} else {
		web_login_failed(remote);
		log_info("basic auth failed for user \"%.64s\" from %s",
		    web_user_name_valid(creds) ? creds : "(invalid)", remote);
	}
	OPENSSL_cleanse(creds, sizeof creds);
	return res;
}

static enum web_auth_result
auth_token(const char *tok, size_t len, struct web_user *u)
{
	char token[160], user[IPC_CTX_USER_MAX];
	if (len == 0 || len >= sizeof token)
		return WEB_AUTH_DENIED;
	memcpy(token, tok, len);
	token[len] = '\0';
	int rc = web_token_lookup(token, user, sizeof user);
	if (rc < 0)
		return WEB_AUTH_BACKEND;
	return rc == 1 && web_user_load(user, u) ? WEB_AUTH_OK
						 : WEB_AUTH_DENIED;
}

enum web_auth_result
web_authenticate(h2o_req_t *req, struct web_user *u, bool *had_cookie)
{
	*had_cookie = false;
	if (web_login_disabled()) {
		memset(u, 0, sizeof *u);
		snprintf(u->name, sizeof u->name, "admin");
		snprintf(u->group, sizeof u->group, "administrator");
		return WEB_AUTH_OK;
	}

	enum web_auth_result res = WEB_AUTH_NONE;
	size_t len;
	const char *sid = web_cookie_get(req, "session", &len);
	if (sid != NULL) {
		char id[80], user[IPC_CTX_USER_MAX];
		*had_cookie = true;
		res = WEB_AUTH_DENIED;
		if (len < sizeof id) {
			memcpy(id, sid, len);
			id[len] = '\0';
			int rc = web_session_lookup(id, user, sizeof user);
			if (rc < 0)
				return WEB_AUTH_BACKEND;
			if (rc == 1 && web_user_load(user, u)) {
				u->via_cookie = true;
				web_csrf_token(id, u->csrf);
				return WEB_AUTH_OK;
			}
		}
	}

	/* A stale cookie does not hide valid script credentials. */
	ssize_t cur = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION,
	    -1);
	if (cur == -1)
		return res;
	h2o_iovec_t v = req->headers.entries[cur].value;
	if (v.len > 6 && strncasecmp(v.base, "Basic ", 6) == 0)
		return auth_basic(req, v.base + 6, v.len - 6, u);
	if (v.len > 6 && strncasecmp(v.base, "Token ", 6) == 0)
		return auth_token(v.base + 6, v.len - 6, u);
	return WEB_AUTH_DENIED;
}
