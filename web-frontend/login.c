/* The login form's target (POST /authorize.html, as ntopng) and logout.
 *
 * A successful login gets a fresh random session id in a cookie scripts
 * cannot read (HttpOnly), sent only over TLS (Secure) and never on
 * cross-site requests (SameSite=Strict). */
#include "web.h"
#include "hexdigit.h"

#include "log.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOGIN_PAGE "/login.html"
#define FIELD_MAX 512

/* Finds field name in an application/x-www-form-urlencoded body and
 * decodes it into out. False when absent, malformed, too long or holding
 * a NUL byte. */
static bool
form_field(h2o_iovec_t body, const char *name, char *out, size_t outsize)
{
	size_t nlen = strlen(name);
	const char *p = body.base, *end = body.base + body.len;
	while (p < end) {
		const char *amp = memchr(p, '&', end - p);
		const char *pair_end = amp != NULL ? amp : end;
		if ((size_t)(pair_end - p) >= nlen + 1 &&
		    memcmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t n = 0;
			for (const char *s = p + nlen + 1; s < pair_end; s++) {
				char c = *s;
				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					int hi, lo;
					if (pair_end - s < 3 ||
					    (hi = hex_digit_value(s[1])) < 0 ||
					    (lo = hex_digit_value(s[2])) < 0)
						return false;
					c = (char)(hi << 4 | lo);
					s += 2;
				}
				if (c == '\0' || n + 1 >= outsize)
					return false;
				out[n++] = c;
			}
			out[n] = '\0';
			return true;
		}
		p = amp != NULL ? amp + 1 : end;
	}
	return false;
}

/* Only a path on this server: no scheme, no "//host", no backslash (which
 * browsers treat as a slash), no control bytes, no login pages. */
static const char *
safe_referer(const char *ref)
{
	if (ref[0] != '/' || ref[1] == '/' || ref[1] == '\\' ||
	    strlen(ref) > 400)
		return "/";
	for (const char *p = ref; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '\\')
			return "/";
	if (strncmp(ref, LOGIN_PAGE, strlen(LOGIN_PAGE)) == 0 ||
	    strncmp(ref, "/authorize.html", 15) == 0 ||
	    strncmp(ref, "/logout.html", 12) == 0)
		return "/";
	return ref;
}

static void
set_session_cookie(h2o_req_t *req, const char *id, int max_age)
{
	char cookie[192];
	int n = snprintf(cookie, sizeof cookie,
	    "session=%s; HttpOnly; Secure; SameSite=Strict; Path=/; "
	    "Max-Age=%d", id, max_age);
	h2o_iovec_t v = h2o_strdup(&req->pool, cookie, (size_t)n);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SET_COOKIE,
	    NULL, v.base, v.len);
}

static void
login_failed(h2o_req_t *req, const char *referer)
{
	char enc[FIELD_MAX * 3], loc[FIELD_MAX * 3 + 64];
	web_url_encode(referer, enc, sizeof enc);
	snprintf(loc, sizeof loc, "%s?reason=wrong-credentials&referer=%s",
	    LOGIN_PAGE, enc);
	web_reply_redirect(req, loc);
}

/* A user with TOTP enabled also sends the current code (form field
 * "totp"); the password alone is not enough. */
static bool
totp_step_passed(h2o_req_t *req, const char *user)
{
	char enabled[8], secret[80], code[16];
	if (web_user_get(user, "totp_enabled", enabled, sizeof enabled) != 1 ||
	    strcmp(enabled, "1") != 0)
		return true;
	bool ok = web_user_get(user, "totp_secret", secret, sizeof secret)
	    == 1 && form_field(req->entity, "totp", code, sizeof code) &&
	    web_totp_valid(secret, code, (uint64_t)time(NULL));
	OPENSSL_cleanse(secret, sizeof secret);
	return ok;
}

int
web_login_post(h2o_req_t *req)
{
	char user[FIELD_MAX], password[FIELD_MAX], referer[FIELD_MAX];
	char remote[64], sid[80];
	struct web_user u;

	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"))) {
		web_reply_redirect(req, LOGIN_PAGE);
		return 0;
	}
	web_remote_addr(req, remote, sizeof remote);
	if (!form_field(req->entity, "referer", referer, sizeof referer))
		snprintf(referer, sizeof referer, "/");
	const char *target = safe_referer(referer);

	if (!form_field(req->entity, "user", user, sizeof user) ||
	    !form_field(req->entity, "password", password, sizeof password)) {
		login_failed(req, target);
		return 0;
	}
	if (web_login_blocked(remote) || web_login_user_blocked(user)) {
		log_warn("login of \"%.64s\" from %s refused: too many failures",
		    web_user_name_valid(user) ? user : "(invalid)", remote);
		OPENSSL_cleanse(password, sizeof password);
		login_failed(req, target);
		return 0;
	}
	bool ok = web_password_check(user, password) &&
	    web_user_load(user, &u) && totp_step_passed(req, user);
	OPENSSL_cleanse(password, sizeof password);
	if (!ok && web_store_unreachable()) {
		web_reply_json_error(req, 503, -6, "INTERNAL_ERROR",
		    "Internal Error");
		return 0;
	}
	if (!ok) {
		web_login_failed(remote);
		web_login_user_failed(user);
		log_info("login failed for user \"%.64s\" from %s",
		    web_user_name_valid(user) ? user : "(invalid)", remote);
		login_failed(req, target);
		return 0;
	}
	if (web_session_create(u.name, sid, sizeof sid) != 0) {
		web_reply_json_error(req, 503, -6, "INTERNAL_ERROR",
		    "Internal Error");
		return 0;
	}
	log_info("user %s logged in from %s", u.name, remote);
	web_note_user(req, u.name);
	set_session_cookie(req, sid, WEB_SESSION_TTL);
	OPENSSL_cleanse(sid, sizeof sid);
	web_reply_redirect(req, target);
	return 0;
}

int
web_logout(h2o_req_t *req)
{
	size_t len;
	const char *sid = web_cookie_get(req, "session", &len);
	if (sid != NULL && len < 80) {
		char id[80];
		memcpy(id, sid, len);
		id[len] = '\0';
		web_session_delete(id);
	}
	set_session_cookie(req, "", 0);
	web_reply_redirect(req, LOGIN_PAGE);
	return 0;
}
