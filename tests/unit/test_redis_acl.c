/* The Lua workers' Redis key patterns: every key but the credential
 * prefixes, checked with fnmatch (the same glob dialect as Redis) on keys
 * on both sides of each boundary. With --write FILE WEB_HASH LUA_HASH it
 * writes the ACL file for the Redis test (test_redis_acl.py). */
#define _GNU_SOURCE
#include "redis_acl.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char patterns[128][SV_ACL_PATTERN_MAX];
static int n_patterns;

static int
collect(const char *p, void *arg)
{
	if (n_patterns == 128)
		return -1;
	snprintf(patterns[n_patterns++], SV_ACL_PATTERN_MAX, "%s", p);
	return 0;
}

static int
allowed(const char *key)
{
	for (int i = 0; i < n_patterns; i++)
		if (fnmatch(patterns[i], key, 0) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "--write") == 0) {
		FILE *f = fopen(argv[2], "w");
		if (f == NULL || sv_acl_write(f, argv[3], argv[4]) != 0)
			return 1;
		return fclose(f) == 0 ? 0 : 1;
	}
	if (sv_acl_complement(sv_credential_prefixes, collect, NULL) != 0) {
		fprintf(stderr, "complement failed\n");
		return 1;
	}
	static const char *const denied[] = {
		"ntopng.user.admin.password", "ntopng.user.", "ntopng.user.x",
		"ntopng.api_tokens.abc", "ntopng.api_tokens.", "sessions.ab12",
		"sessions.", "netward.web.failed_logins.1.2.3.4",
	};
	static const char *const ok[] = {
		"ntopng.prefs.disable_alerts", "ntopng.cache.x", "ntopng.users",
		"ntopng.user", "ntopng.use", "ntopng.usera.x", "ntopng.",
		"ntopng", "n", "session", "sessions", "sessionsX", "netward.web",
		"netward.webx", "netward.lua.cache.k", "ntopng.api_token",
		"ntopng.api_tokensx", "x", "ntopng.userx.y", "a.b.c", "s",
		"ntopng.alerts.queue",
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof denied / sizeof *denied; i++)
		if (allowed(denied[i])) {
			fprintf(stderr, "credential key allowed: %s\n", denied[i]);
			bad++;
		}
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (!allowed(ok[i])) {
			fprintf(stderr, "ordinary key refused: %s\n", ok[i]);
			bad++;
		}
	printf("%d patterns, %zu keys checked, %d wrong\n", n_patterns,
	    sizeof denied / sizeof *denied + sizeof ok / sizeof *ok, bad);
	return bad ? 1 : 0;
}
