/* Users, passwords, sessions and API tokens, in Redis with ntopng's key
 * layout:
 *
 *   ntopng.user.<name>.password        yescrypt hash (crypt(5) "$y$")
 *   ntopng.user.<name>.group           "administrator" | "unprivileged"
 *   ntopng.user.<name>.full_name
 *   ntopng.user.<name>.allowed_nets    comma-separated CIDRs
 *   ntopng.user.<name>.allowed_ifname  "" = every interface
 *   sessions.<sha256 of id>            user name, TTL = session lifetime
 *   ntopng.api_tokens.<sha256 of token> user name
 * Key names hold a hash of the secret, never the secret: anyone allowed
 * to list key names (KEYS, SCAN) learns nothing that logs in.
 *
 * A clear password is never stored nor logged; buffers that held one are
 * wiped. */
#include "web.h"

#include "log.h"

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ADMIN_USER "admin"
#define ALL_NETS "0.0.0.0/0,::/0" /* ntopng's value for "every network" */
#define HASH_MAX 256
#define LOGIN_FAIL_WINDOW 300	  /* seconds a failure is remembered */
#define LOGIN_FAIL_LIMIT 10	  /* failures of one user before blocking */
/* An address may be a NAT in front of many users: it gets more room. */
#define LOGIN_ADDR_FAIL_LIMIT 30

static bool auth_disabled;
/* Hash checked when the user does not exist, so that a wrong user name
 * costs as much time as a wrong password. */
static char dummy_hash[HASH_MAX];
/* crypt_r's state is 32 KiB: one per thread (the loop and the RPC
 * threads), made on first use and freed when its thread ends. */
static pthread_key_t crypt_key;
static pthread_once_t crypt_once = PTHREAD_ONCE_INIT;

static void
crypt_key_init(void)
{
	pthread_key_create(&crypt_key, free);
}

static struct crypt_data *
crypt_buf(void)
{
	pthread_once(&crypt_once, crypt_key_init);
	struct crypt_data *cd = pthread_getspecific(crypt_key);
	if (cd == NULL) {
		cd = calloc(1, sizeof *cd);
		if (cd != NULL && pthread_setspecific(crypt_key, cd) != 0) {
			free(cd);
			cd = NULL;
		}
	}
	return cd;
}

void
web_secret_key(char *key, size_t keysize, const char *prefix,
    const char *secret)
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_Digest(secret, strlen(secret), md, &len, EVP_sha256(), NULL);
	int n = snprintf(key, keysize, "%s", prefix);
	for (unsigned i = 0; i < len && n > 0 && (size_t)n + 2 < keysize; i++)
		n += snprintf(key + n, keysize - (size_t)n, "%02x", md[i]);
}

bool
web_user_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= IPC_CTX_USER_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '_' && c != '-' && c != '.' &&
		    c != '@')
			return false;
	}
	return true;
}

bool
web_user_key(char *key, size_t keysize, const char *name, const char *field)
{
	return snprintf(key, keysize, "ntopng.user.%s.%s", name, field) <
	    (int)keysize;
}

static void cred_forget_all(void);

int
web_password_hash(const char *password, char *out, size_t outsize)
{
	cred_forget_all(); /* a password is changing: verify anew */
	if (crypt_buf() == NULL)
		return -1;
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof salt) == NULL) {
		log_error("crypt_gensalt: %s", strerror(errno));
		return -1;
	}
	const char *h = crypt_r(password, salt, crypt_buf());
	if (h == NULL || h[0] == '*' || strlen(h) >= outsize) {
		log_error("crypt: cannot hash a password");
		return -1;
	}
	strcpy(out, h);
	return 0;
}

/* The session and the user record are read from Redis by the event loop
 * for every request; a dashboard sends many per second. Both are kept
 * for LOOKUP_CACHE_MS: a change made elsewhere (a user's group or
 * networks, a session expiring in Redis) applies at most that much later;
 * a logout through this frontend applies at once. Only found entries are
 * kept. */
#define LOOKUP_CACHE_SLOTS 32
#define LOOKUP_CACHE_MS 1000

static struct lookup_entry {
	char key[96]; /* user name, or "sessions.<sha256 of id>" */
	char user[IPC_CTX_USER_MAX];
	struct web_user u;
	uint64_t expires_ms;
} user_cache[LOOKUP_CACHE_SLOTS], session_cache[LOOKUP_CACHE_SLOTS],
    unblocked_cache[LOOKUP_CACHE_SLOTS];
static pthread_mutex_t lookup_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t mono_ms(void);

static struct lookup_entry *
lookup_slot(struct lookup_entry *cache, const char *key)
{
	uint32_t h = 2166136261u;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &cache[h % LOOKUP_CACHE_SLOTS];
}

static bool web_user_load_store(const char *name, struct web_user *u);

bool
web_user_load(const char *name, struct web_user *u)
{
	if (strlen(name) >= sizeof user_cache[0].key)
		return web_user_load_store(name, u);
	pthread_mutex_lock(&lookup_lock);
	struct lookup_entry *e = lookup_slot(user_cache, name);
	bool hit = e->expires_ms > mono_ms() && strcmp(e->key, name) == 0;
	if (hit)
		*u = e->u;
	pthread_mutex_unlock(&lookup_lock);
	if (hit)
		return true;
	if (!web_user_load_store(name, u))
		return false;
	pthread_mutex_lock(&lookup_lock);
	snprintf(e->key, sizeof e->key, "%s", name);
	e->u = *u;
	e->expires_ms = mono_ms() + LOOKUP_CACHE_MS;
	pthread_mutex_unlock(&lookup_lock);
	return true;
}

static bool
web_user_load_store(const char *name, struct web_user *u)
{
	char key[160];
	memset(u, 0, sizeof *u);
	if (!web_user_name_valid(name))
		return false;
	snprintf(u->name, sizeof u->name, "%s", name);

	if (!web_user_key(key, sizeof key, name, "group") ||
	    web_store_get(key, u->group, sizeof u->group) != 1)
		return false;
	if (strcmp(u->group, "administrator") != 0 &&
	    strcmp(u->group, "unprivileged") != 0)
		return false; /* e.g. captive-portal users have no GUI */
	/* Absent permissions mean none were restricted; a value too long to
	 * pass on is refused rather than cut (a cut CIDR list could widen). */
	web_user_key(key, sizeof key, name, "allowed_nets");
	if (web_store_get(key, u->allowed_nets, sizeof u->allowed_nets) < 0)
		return false;
	web_user_key(key, sizeof key, name, "allowed_ifname");
	if (web_store_get(key, u->allowed_ifname, sizeof u->allowed_ifname)
	    < 0)
		return false;
	return true;
}

static bool web_password_check_slow(const char *user, const char *password);

/* Verified credentials, for HTTP basic auth: a script sends the same
 * user and password with every request, and a yescrypt hash per request
 * would cap the API at a few dozen requests per second. A successful
 * check is remembered for CRED_CACHE_TTL_MS as an HMAC of user and
 * password under a key drawn at start (never the password, nor a plain
 * hash of it); any new password hash empties the cache. Failures are
 * never cached, so guessing still pays the full cost and is counted. */
#define CRED_CACHE_SLOTS 64
#define CRED_CACHE_TTL_MS 10000

static struct cred_entry {
	unsigned char mac[32];
	uint64_t expires_ms;
} cred_cache[CRED_CACHE_SLOTS];
static unsigned char cred_key[32];
static bool cred_key_ok;
static pthread_once_t cred_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t cred_lock = PTHREAD_MUTEX_INITIALIZER;

static void
cred_key_init(void)
{
	cred_key_ok = RAND_bytes(cred_key, sizeof cred_key) == 1;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool
cred_mac(const char *user, const char *password, unsigned char mac[32])
{
	char buf[IPC_CTX_USER_MAX + 1024];
	size_t ul = strlen(user), pl = strlen(password);
	unsigned int len = 0;

	pthread_once(&cred_once, cred_key_init);
	if (!cred_key_ok || ul + 1 + pl > sizeof buf)
		return false;
	memcpy(buf, user, ul + 1); /* with its NUL: user and password apart */
	memcpy(buf + ul + 1, password, pl);
	bool ok = HMAC(EVP_sha256(), cred_key, sizeof cred_key,
	    (const unsigned char *)buf, ul + 1 + pl, mac, &len) != NULL &&
	    len == 32;
	OPENSSL_cleanse(buf, sizeof buf);
	return ok;
}

static bool
cred_cached(const unsigned char mac[32])
{
	struct cred_entry *e = &cred_cache[mac[0] % CRED_CACHE_SLOTS];
	pthread_mutex_lock(&cred_lock);
	bool hit = e->expires_ms > mono_ms() &&
	    CRYPTO_memcmp(e->mac, mac, 32) == 0;
	pthread_mutex_unlock(&cred_lock);
	return hit;
}

static void
cred_remember(const unsigned char mac[32])
{
	struct cred_entry *e = &cred_cache[mac[0] % CRED_CACHE_SLOTS];
	pthread_mutex_lock(&cred_lock);
	memcpy(e->mac, mac, 32);
	e->expires_ms = mono_ms() + CRED_CACHE_TTL_MS;
	pthread_mutex_unlock(&cred_lock);
}

static void
cred_forget_all(void)
{
	pthread_mutex_lock(&cred_lock);
	OPENSSL_cleanse(cred_cache, sizeof cred_cache);
	pthread_mutex_unlock(&cred_lock);
}

bool
web_password_check(const char *user, const char *password)
{
	unsigned char mac[32];
	bool have_mac = web_user_name_valid(user) &&
	    cred_mac(user, password, mac);

	if (have_mac && cred_cached(mac))
		return true;
	bool ok = web_password_check_slow(user, password);
	if (ok && have_mac)
		cred_remember(mac);
	OPENSSL_cleanse(mac, sizeof mac);
	return ok;
}

static bool
web_password_check_slow(const char *user, const char *password)
{
	char key[160], stored[HASH_MAX];
	bool known = web_user_name_valid(user) &&
	    web_user_key(key, sizeof key, user, "password") &&
	    web_store_get(key, stored, sizeof stored) == 1 &&
	    stored[0] == '$';
	if (!known)
		snprintf(stored, sizeof stored, "%s", dummy_hash);
	if (crypt_buf() == NULL)
		return false;

	struct crypt_data *cd = crypt_buf();
	const char *h = crypt_r(password, stored, cd);
	bool ok = h != NULL && h[0] != '*' && strlen(h) == strlen(stored) &&
	    CRYPTO_memcmp(h, stored, strlen(stored)) == 0;
	OPENSSL_cleanse(cd, sizeof *cd);
	return ok && known;
}

static void
random_hex(char *out, size_t nbytes)
{
	unsigned char raw[64];
	if (nbytes > sizeof raw || RAND_bytes(raw, (int)nbytes) != 1)
		fatalx("RAND_bytes failed");
	for (size_t i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", raw[i]);
	out[2 * nbytes] = '\0';
}

static bool
hex_id_valid(const char *s, size_t want)
{
	size_t n = strlen(s);
	if (n != want)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

int
web_session_create(const char *user, char *id, size_t idsize)
{
	char key[96];
	if (idsize < 65)
		return -1;
	random_hex(id, 32);
	web_secret_key(key, sizeof key, "sessions.", id);
	return web_store_set(key, user, WEB_SESSION_TTL, true) == 1 ? 0 : -1;
}

int
web_session_lookup(const char *id, char *user, size_t usersize)
{
	char key[96];
	if (!hex_id_valid(id, 64))
		return 0;
	web_secret_key(key, sizeof key, "sessions.", id);
	pthread_mutex_lock(&lookup_lock);
	struct lookup_entry *e = lookup_slot(session_cache, key);
	bool hit = e->expires_ms > mono_ms() && strcmp(e->key, key) == 0 &&
	    strlen(e->user) < usersize;
	if (hit)
		strcpy(user, e->user);
	pthread_mutex_unlock(&lookup_lock);
	if (hit)
		return 1;
	int rc = web_store_get(key, user, usersize);
	if (rc == 1 && strlen(user) < sizeof e->user) {
		pthread_mutex_lock(&lookup_lock);
		snprintf(e->key, sizeof e->key, "%s", key);
		strcpy(e->user, user);
		e->expires_ms = mono_ms() + LOOKUP_CACHE_MS;
		pthread_mutex_unlock(&lookup_lock);
	}
	return rc;
}

void
web_session_delete(const char *id)
{
	char key[96];
	if (!hex_id_valid(id, 64))
		return;
	web_secret_key(key, sizeof key, "sessions.", id);
	pthread_mutex_lock(&lookup_lock);
	struct lookup_entry *e = lookup_slot(session_cache, key);
	if (strcmp(e->key, key) == 0)
		memset(e, 0, sizeof *e);
	pthread_mutex_unlock(&lookup_lock);
	web_store_del(key);
}

int
web_token_lookup(const char *token, char *user, size_t usersize)
{
	char key[192];
	size_t n = strlen(token);
	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)token[i];
		if (!isalnum(c) && c != '-' && c != '_')
			return 0;
	}
	web_secret_key(key, sizeof key, "ntopng.api_tokens.", token);
	return web_store_get(key, user, usersize);
}

static void
fail_key(char *key, size_t keysize, const char *remote_addr)
{
	snprintf(key, keysize, "netward.web.failed_logins.%s", remote_addr);
}

/* Basic auth asks this on every request. An address found not blocked
 * is kept for LOOKUP_CACHE_MS, like a session; a failure from it through
 * this frontend (the only writer of the counter) drops that at once, so
 * only a change made in Redis by hand applies up to a second late. */
bool
web_login_blocked(const char *remote_addr)
{
	char key[128], val[24];
	fail_key(key, sizeof key, remote_addr);
	bool cacheable = strlen(key) < sizeof unblocked_cache[0].key;
	if (cacheable) {
		pthread_mutex_lock(&lookup_lock);
		struct lookup_entry *e = lookup_slot(unblocked_cache, key);
		bool hit = e->expires_ms > mono_ms() &&
		    strcmp(e->key, key) == 0;
		pthread_mutex_unlock(&lookup_lock);
		if (hit)
			return false;
	}
	int rc = web_store_get(key, val, sizeof val);
	bool blocked = rc == 1 && atoi(val) >= LOGIN_ADDR_FAIL_LIMIT;
	if (!blocked && rc >= 0 && cacheable) {
		pthread_mutex_lock(&lookup_lock);
		struct lookup_entry *e = lookup_slot(unblocked_cache, key);
		memcpy(e->key, key, strlen(key) + 1); /* fits: cacheable */
		e->expires_ms = mono_ms() + LOOKUP_CACHE_MS;
		pthread_mutex_unlock(&lookup_lock);
	}
	return blocked;
}

static void
unblocked_forget(const char *key)
{
	pthread_mutex_lock(&lookup_lock);
	struct lookup_entry *e = lookup_slot(unblocked_cache, key);
	if (strcmp(e->key, key) == 0)
		memset(e, 0, sizeof *e);
	pthread_mutex_unlock(&lookup_lock);
}

/* Per user too: a guesser spread over many addresses still gets stopped
 * (ntop.isLoginBlacklisted reads this). */
static void
user_fail_key(char *key, size_t keysize, const char *user)
{
	snprintf(key, keysize, "netward.web.failed_logins.user.%s", user);
}

bool
web_login_user_blocked(const char *user)
{
	char key[128], val[24];
	if (!web_user_name_valid(user))
		return false;
	user_fail_key(key, sizeof key, user);
	return web_store_get(key, val, sizeof val) == 1 &&
	    atoi(val) >= LOGIN_FAIL_LIMIT;
}

void
web_login_user_failed(const char *user)
{
	char key[128];
	if (!web_user_name_valid(user))
		return;
	user_fail_key(key, sizeof key, user);
	if (web_store_incr_ttl(key, LOGIN_FAIL_WINDOW) == LOGIN_FAIL_LIMIT)
		log_warn("login: user %s blocked for %d s after %d failures",
		    user, LOGIN_FAIL_WINDOW, LOGIN_FAIL_LIMIT);
}

void
web_login_failed(const char *remote_addr)
{
	char key[128];
	fail_key(key, sizeof key, remote_addr);
	unblocked_forget(key);
	if (web_store_incr_ttl(key, LOGIN_FAIL_WINDOW) == LOGIN_ADDR_FAIL_LIMIT)
		log_warn("login: %s blocked for %d s after %d failures",
		    remote_addr, LOGIN_FAIL_WINDOW, LOGIN_ADDR_FAIL_LIMIT);
}

/* 16 characters from [A-Za-z0-9], unbiased (rejection sampling). */
static void
random_password(char *out, size_t len)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t i = 0;
	while (i < len) {
		unsigned char b;
		if (RAND_bytes(&b, 1) != 1)
			fatalx("RAND_bytes failed");
		if (b < 248) /* 248 = 4 * 62 */
			out[i++] = alphabet[b % 62];
	}
	out[len] = '\0';
}

static int
read_password_file(const char *path, char *out, size_t outsize)
{
	/* "fd:N": the supervisor opened the file and passed it, so the
	 * operator's file may stay readable by root only. */
	FILE *f;
	if (strncmp(path, "fd:", 3) == 0) {
		char *end;
		long fd = strtol(path + 3, &end, 10);
		f = (*end == '\0' && fd >= 3 && fd < 1024) ?
		    fdopen((int)fd, "r") : NULL;
	} else {
		f = fopen(path, "re");
	}
	if (f == NULL) {
		log_error("admin password file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	int rc = -1;
	if (fgets(out, (int)outsize, f) != NULL) {
		out[strcspn(out, "\r\n")] = '\0';
		rc = out[0] != '\0' ? 0 : -1;
	}
	fclose(f);
	if (rc != 0)
		log_error("admin password file %s: first line empty", path);
	return rc;
}

/* At first start there is no admin: create it, with the operator's
 * password or a random one shown once. NX makes two starting frontends
 * agree on one password. */
static int
create_admin(const char *password_file)
{
	char key[160], pw[256], hash[HASH_MAX];
	web_user_key(key, sizeof key, ADMIN_USER, "password");
	int exists = web_store_get(key, hash, sizeof hash);
	if (exists != 0)
		return exists < 0 ? -1 : 0;

	bool generated = password_file == NULL;
	if (generated)
		random_password(pw, 16);
	else if (read_password_file(password_file, pw, sizeof pw) != 0)
		return -1;
	int rc = web_password_hash(pw, hash, sizeof hash);
	if (rc == 0 && web_store_set(key, hash, 0, true) == 1) {
		web_user_key(key, sizeof key, ADMIN_USER, "group");
		web_store_set(key, "administrator", 0, false);
		web_user_key(key, sizeof key, ADMIN_USER, "full_name");
		web_store_set(key, "Administrator", 0, false);
		web_user_key(key, sizeof key, ADMIN_USER, "allowed_nets");
		web_store_set(key, ALL_NETS, 0, false);
		web_user_key(key, sizeof key, ADMIN_USER, "allowed_ifname");
		web_store_set(key, "", 0, false);
		log_info("created user %s", ADMIN_USER);
		if (generated)
			fprintf(stderr, "admin password: %s\n", pw);
	}
	OPENSSL_cleanse(pw, sizeof pw);
	return rc;
}

int
web_auth_init(const struct web_config *cfg)
{
	auth_disabled = cfg->disable_login;
	if (crypt_buf() == NULL)
		return -1;
	char pw[24];
	random_password(pw, 16);
	int rc = web_password_hash(pw, dummy_hash, sizeof dummy_hash);
	OPENSSL_cleanse(pw, sizeof pw);
	if (rc != 0)
		return -1;
	if (auth_disabled)
		return 0;
	return create_admin(cfg->admin_password_file);
}

bool
web_login_disabled(void)
{
	return auth_disabled;
}

void
web_auth_dispose(void)
{
	struct crypt_data *cd = crypt_buf();
	pthread_setspecific(crypt_key, NULL);
	free(cd);
}
