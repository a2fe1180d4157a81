/* Users in Redis with ntopng's key layout (ntopng.user.<name>.<field>):
 * creation, deletion, attribute changes, API tokens and TOTP secrets.
 * Every value is validated before it is stored; a password is stored only
 * as a yescrypt hash. Callers check who may do what (users_rpc.c). */
#include "web.h"

#include "log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_MAX 256

static bool
printable(const char *s, size_t max, const char *forbidden)
{
	size_t n = strlen(s);
	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
		    strchr(forbidden, s[i]) != NULL)
			return false;
	return true;
}

bool
web_group_valid(const char *group)
{
	return strcmp(group, "administrator") == 0 ||
	    strcmp(group, "unprivileged") == 0 ||
	    strcmp(group, "captive_portal") == 0;
}

/* "" (every network) or a comma-separated list of address/prefix. */
bool
web_nets_valid(const char *nets)
{
	char buf[IPC_CTX_NETS_MAX], *save = NULL;
	if (strlen(nets) >= sizeof buf)
		return false;
	if (nets[0] == '\0')
		return true;
	snprintf(buf, sizeof buf, "%s", nets);
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		char *slash = strchr(tok, '/');
		long max = strchr(tok, ':') ? 128 : 32, plen = max;
		if (slash != NULL) {
			char *end;
			*slash = '\0';
			plen = strtol(slash + 1, &end, 10);
			if (*end != '\0' || end == slash + 1)
				return false;
		}
		unsigned char a[16];
		if (plen < 0 || plen > max ||
		    inet_pton(max == 32 ? AF_INET : AF_INET6, tok, a) != 1)
			return false;
	}
	return true;
}

static int
set_field(const char *user, const char *field, const char *value)
{
	char key[160];
	if (!web_user_key(key, sizeof key, user, field))
		return -1;
	return web_store_set(key, value, 0, false) == 1 ? 0 : -1;
}

bool
web_user_exists(const char *user)
{
	char key[160], buf[HASH_MAX];
	return web_user_name_valid(user) &&
	    web_user_key(key, sizeof key, user, "password") &&
	    web_store_get(key, buf, sizeof buf) == 1;
}

int
web_user_set_password(const char *user, const char *password)
{
	char hash[HASH_MAX], key[160];
	size_t n = strlen(password);
	if (n == 0 || n > 256)
		return -1;
	if (web_password_hash(password, hash, sizeof hash) != 0 ||
	    !web_user_key(key, sizeof key, user, "password"))
		return -1;
	return web_store_set(key, hash, 0, false) == 1 ? 0 : -1;
}

const char *
web_user_set_attribute(const char *user, const char *field,
    const char *value)
{
	if (strcmp(field, "group") == 0) {
		if (!web_group_valid(value))
			return "unknown role";
	} else if (strcmp(field, "allowed_nets") == 0) {
		if (!web_nets_valid(value))
			return "not a list of networks";
	} else if (strcmp(field, "allowed_ifname") == 0) {
		if (!printable(value, 63, ",/"))
			return "bad interface name";
	} else if (strcmp(field, "full_name") == 0) {
		if (!printable(value, 128, ""))
			return "bad full name";
	} else if (strcmp(field, "language") == 0) {
		if (!printable(value, 8, "") || strspn(value,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-") !=
		    strlen(value))
			return "bad language";
	} else if (strcmp(field, "host_pool_id") == 0 ||
	    strcmp(field, "allowed_host_pools") == 0) {
		if (strspn(value, "0123456789,") != strlen(value) ||
		    strlen(value) > 256)
			return "bad host pool list";
	} else if (strcmp(field, "allow_pcap_download") == 0 ||
	    strcmp(field, "allow_historical_flows") == 0 ||
	    strcmp(field, "allow_alerts") == 0 ||
	    strcmp(field, "totp_enabled") == 0) {
		if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
			return "not a boolean";
	} else if (strcmp(field, "totp_secret") == 0) {
		if (strlen(value) < 16 || strlen(value) > 64 ||
		    strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") !=
		    strlen(value))
			return "not a base32 secret";
	} else {
		return "unknown attribute";
	}
	return set_field(user, field, value) == 0 ? NULL : "store failed";
}

const char *
web_user_add(const struct web_new_user *nu)
{
	if (!web_user_name_valid(nu->name))
		return "bad user name";
	if (web_user_exists(nu->name))
		return "user exists";
	if (!web_group_valid(nu->group) || !web_nets_valid(nu->allowed_nets))
		return "bad role or networks";
	/* Attributes first, the password last: a user exists only once it
	 * is complete (web_user_exists looks at the password). */
	const char *fields[][2] = {
		{"group", nu->group},
		{"full_name", nu->full_name},
		{"allowed_nets", nu->allowed_nets},
		{"allowed_ifname", nu->allowed_ifname},
		{"language", nu->language[0] ? nu->language : "en"},
		{"allow_pcap_download", nu->allow_pcap ? "1" : "0"},
		{"allow_historical_flows", nu->allow_historical ? "1" : "0"},
		{"allow_alerts", nu->allow_alerts ? "1" : "0"},
	};
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		const char *why = web_user_set_attribute(nu->name,
		    fields[i][0], fields[i][1]);
		if (why != NULL)
			return why;
	}
	if (web_user_set_password(nu->name, nu->password) != 0)
		return "bad password";
	log_info("user %s added (%s)", nu->name, nu->group);
	return NULL;
}

static void
delete_key(const char *key, void *arg)
{
	web_store_del(key);
}

int
web_user_delete(const char *user)
{
	char pattern[160], key[160], token[80];
	if (!web_user_exists(user))
		return -1;
	if (web_user_key(key, sizeof key, user, "api_token") &&
	    web_store_get(key, token, sizeof token) == 1) {
		char tkey[128];
		web_secret_key(tkey, sizeof tkey, "ntopng.api_tokens.", token);
		web_store_del(tkey);
	}
	/* The password first: the user stops existing at once. */
	web_user_key(key, sizeof key, user, "password");
	web_store_del(key);
	snprintf(pattern, sizeof pattern, "ntopng.user.%s.*", user);
	web_store_scan(pattern, delete_key, NULL);
	log_info("user %s deleted", user);
	return 0;
}

int
web_user_new_token(const char *user, char *out, size_t outsize)
{
	unsigned char raw[24];
	char key[160], old[80], tkey[128];
	if (outsize < 2 * sizeof raw + 1 || RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	web_user_key(key, sizeof key, user, "api_token");
	if (web_store_get(key, old, sizeof old) == 1) {
		web_secret_key(tkey, sizeof tkey, "ntopng.api_tokens.", old);
		web_store_del(tkey);
	}
	web_secret_key(tkey, sizeof tkey, "ntopng.api_tokens.", out);
	if (web_store_set(tkey, user, 0, false) != 1 ||
	    web_store_set(key, out, 0, false) != 1)
		return -1;
	return 0;
}

int
web_user_get(const char *user, const char *field, char *out,
    size_t outsize)
{
	char key[160];
	if (!web_user_key(key, sizeof key, user, field))
		return -1;
	return web_store_get(key, out, outsize);
}
