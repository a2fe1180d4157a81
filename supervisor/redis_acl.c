/* Redis ACL users, one per role, so that a role reaches only its keys.
 *
 * The frontend ("web") owns the credentials; the Lua workers ("lua") may
 * use every other key, but not the credential prefixes below: not read,
 * not write, not delete. Redis key patterns only allow, so the Lua
 * worker's patterns are the complement of those prefixes, built from a
 * trie of them. The default user is off. Passwords are stored in the ACL
 * file only as SHA-256 hashes (Redis' "#<hash>" form). */
#define _GNU_SOURCE
#include "redis_acl.h"

#include <stdio.h>
#include <string.h>

/* Keys only the frontend may touch (see web-frontend/auth.c). */
const char *const sv_credential_prefixes[] = {
	"ntopng.user.",
	"ntopng.api_tokens.",
	"sessions.",
	"netward.web.",
	NULL,
};

/* Escapes what Redis' glob treats as special. */
static size_t
glob_escape(char *out, size_t room, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (strchr("*?[]\\^", s[i]) != NULL && k + 1 < room)
			out[k++] = '\\';
		if (k + 1 < room)
			out[k++] = s[i];
	}
	out[k < room ? k : room - 1] = '\0';
	return k;
}

/* True when some prefix equals exactly s[0..n). */
static bool
is_prefix_end(const char *const *prefixes, const char *s, size_t n)
{
	for (const char *const *p = prefixes; *p; p++)
		if (strlen(*p) == n && strncmp(*p, s, n) == 0)
			return true;
	return false;
}

/* The characters that follow s[0..n) in some prefix. */
static size_t
next_chars(const char *const *prefixes, const char *s, size_t n, char *out,
    size_t room)
{
	size_t k = 0;
	for (const char *const *p = prefixes; *p; p++) {
		if (strlen(*p) > n && strncmp(*p, s, n) == 0 &&
		    memchr(out, (*p)[n], k) == NULL && k + 1 < room)
			out[k++] = (*p)[n];
	}
	out[k] = '\0';
	return k;
}

static int
emit(sv_acl_pattern_fn fn, void *arg, const char *pattern)
{
	return fn(pattern, arg);
}

/* Walks the trie of prefixes below s[0..n): at each node, every key that
 * leaves the trie there is allowed: the node itself as an exact key, and
 * any continuation by a character no prefix continues with. */
static int
walk(const char *const *prefixes, const char *s, size_t n,
    sv_acl_pattern_fn fn, void *arg)
{
	char pat[SV_ACL_PATTERN_MAX], kids[64], esc[SV_ACL_PATTERN_MAX];
	if (is_prefix_end(prefixes, s, n))
		return 0; /* everything below is a credential */
	size_t nk = next_chars(prefixes, s, n, kids, sizeof kids);
	glob_escape(esc, sizeof esc, s, n);
	if (n > 0) {
		if (emit(fn, arg, esc) != 0)
			return -1;
	}
	char kesc[2 * sizeof kids];
	glob_escape(kesc, sizeof kesc, kids, nk);
	if (snprintf(pat, sizeof pat, "%s[^%s]*", esc, kesc) >=
	    (int)sizeof pat || emit(fn, arg, pat) != 0)
		return -1;
	for (size_t i = 0; i < nk; i++) {
		/* any prefix with this continuation spells the child */
		for (const char *const *p = prefixes; *p; p++) {
			if (strlen(*p) > n && strncmp(*p, s, n) == 0 &&
			    (*p)[n] == kids[i]) {
				if (walk(prefixes, *p, n + 1, fn, arg) != 0)
					return -1;
				break;
			}
		}
	}
	return 0;
}

int
sv_acl_complement(const char *const *prefixes, sv_acl_pattern_fn fn,
    void *arg)
{
	return walk(prefixes, "", 0, fn, arg);
}

struct line {
	char *buf;
	size_t room, len;
	bool overflow;
};

static int
append_pattern(const char *pattern, void *arg)
{
	struct line *l = arg;
	int n = snprintf(l->buf + l->len, l->room - l->len, " ~%s", pattern);
	if (n < 0 || (size_t)n >= l->room - l->len) {
		l->overflow = true;
		return -1;
	}
	l->len += (size_t)n;
	return 0;
}

int
sv_acl_write(FILE *f, const char web_hash[65], const char lua_hash[65])
{
	char buf[8192];
	struct line l = {buf, sizeof buf, 0, false};

	/* The frontend: every key, no administration of the server. */
	fprintf(f, "user default off nopass -@all\n");
	fprintf(f, "user web on #%s ~* &* +@all -@admin -@dangerous "
	    "+info +scan\n", web_hash);
	buf[0] = '\0';
	if (sv_acl_complement(sv_credential_prefixes, append_pattern, &l) != 0
	    || l.overflow)
		return -1;
	/* The Lua workers: all but the credentials; KEYS and SCAN list
	 * names, which hold no secret (sessions and tokens are hashed). */
	fprintf(f, "user lua on #%s%s &* +@all -@admin -@dangerous "
	    "+info +keys +scan\n", lua_hash, buf);
	return ferror(f) ? -1 : 0;
}
