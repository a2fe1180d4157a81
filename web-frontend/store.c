/* The Redis connection holding users, sessions and API tokens.
 *
 * hiredis is used synchronously on the event-loop thread: each lookup is a
 * few microseconds over a local unix socket. NEXT STEP: move to hiredis'
 * async API on the h2o loop so a stalled Redis cannot stall every client.
 *
 * When a command fails on the connection (Redis restarted), the
 * connection is dropped and redone once, then the command is retried. */
#include "web.h"

#include "log.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

/* One connection per thread: the event loop and the user-management RPC
 * threads each have their own, so no command interleaves with another;
 * a thread's connection is closed when the thread ends. */
static __thread redisContext *store_conn;
/* The last command of this thread found no Redis at all (not an error
 * answer): a refused login then means "cannot decide", not "wrong". */
static __thread bool store_unreachable;
static char store_path[256];
static char store_user[32], store_password[80];
static pthread_key_t store_key;
static pthread_once_t store_once = PTHREAD_ONCE_INIT;

static void
store_thread_end(void *conn)
{
	redisFree(conn);
}

static void
store_key_init(void)
{
	pthread_key_create(&store_key, store_thread_end);
}

static int
store_connect(void)
{
	if (store_conn != NULL)
		return 0;
	redisContext *c = redisConnectUnixWithTimeout(store_path,
	    (struct timeval){2, 0});
	if (c == NULL || c->err) {
		log_error("redis %s: %s", store_path,
		    c != NULL ? c->errstr : "out of memory");
		redisFree(c);
		return -1;
	}
	/* Bound every command too, not only the connect. */
	redisSetTimeout(c, (struct timeval){2, 0});
	if (store_user[0] != '\0') {
		redisReply *r = redisCommand(c, "AUTH %s %s", store_user,
		    store_password);
		bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;
		if (r != NULL)
			freeReplyObject(r);
		if (!ok) {
			log_error("redis %s: AUTH as %s refused", store_path,
			    store_user);
			redisFree(c);
			return -1;
		}
	}
	store_conn = c;
	pthread_once(&store_once, store_key_init);
	pthread_setspecific(store_key, c);
	return 0;
}

static void
store_drop(void)
{
	pthread_once(&store_once, store_key_init);
	pthread_setspecific(store_key, NULL);
	redisFree(store_conn);
	store_conn = NULL;
}

void
web_store_set_auth(const char *user, const char *password)
{
	snprintf(store_user, sizeof store_user, "%s", user);
	snprintf(store_password, sizeof store_password, "%s", password);
}

int
web_store_open(const char *unix_path)
{
	if (snprintf(store_path, sizeof store_path, "%s", unix_path) >=
	    (int)sizeof store_path) {
		log_error("redis socket path too long");
		return -1;
	}
	return store_connect();
}

void
web_store_close(void)
{
	store_drop();
}

/* Runs one command with argv semantics (binary-safe, no formatting of
 * user data into the command), reconnecting once on a dead connection. */
static redisReply *
store_command(int argc, const char **argv)
{
	size_t lens[8];
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);

	store_unreachable = false;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (store_connect() != 0) {
			store_unreachable = true;
			return NULL;
		}
		redisReply *r = redisCommandArgv(store_conn, argc, argv, lens);
		if (r != NULL && r->type != REDIS_REPLY_ERROR)
			return r;
		if (r != NULL) {
			log_error("redis %s: %s", argv[0], r->str);
			freeReplyObject(r);
			return NULL;
		}
		log_warn("redis connection lost (%s), reconnecting",
		    store_conn->errstr);
		store_drop();
	}
	store_unreachable = true;
	return NULL;
}

bool
web_store_unreachable(void)
{
	return store_unreachable;
}

int
web_store_get(const char *key, char *buf, size_t bufsize)
{
	const char *argv[] = {"GET", key};
	redisReply *r = store_command(2, argv);
	if (r == NULL)
		return -1;
	int rc;
	if (r->type == REDIS_REPLY_NIL) {
		rc = 0;
	} else if (r->type == REDIS_REPLY_STRING && (size_t)r->len < bufsize
	    && memchr(r->str, '\0', r->len) == NULL) {
		memcpy(buf, r->str, r->len);
		buf[r->len] = '\0';
		rc = 1;
	} else {
		log_error("redis GET: unexpected value of %zu bytes",
		    r->type == REDIS_REPLY_STRING ? (size_t)r->len : 0);
		rc = -1;
	}
	freeReplyObject(r);
	return rc;
}

int
web_store_set(const char *key, const char *value, int ttl_s, bool nx)
{
	char ttl[24];
	const char *argv[6] = {"SET", key, value};
	int argc = 3;
	if (ttl_s > 0) {
		snprintf(ttl, sizeof ttl, "%d", ttl_s);
		argv[argc++] = "EX";
		argv[argc++] = ttl;
	}
	if (nx)
		argv[argc++] = "NX";
	redisReply *r = store_command(argc, argv);
	if (r == NULL)
		return -1;
	int rc = r->type == REDIS_REPLY_STATUS ? 1 : 0; /* NIL: NX refused */
	freeReplyObject(r);
	return rc;
}

int
web_store_del(const char *key)
{
	const char *argv[] = {"DEL", key};
	redisReply *r = store_command(2, argv);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

long long
web_store_incr_ttl(const char *key, int ttl_s)
{
	const char *argv[] = {"INCR", key};
	redisReply *r = store_command(2, argv);
	if (r == NULL)
		return -1;
	long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	freeReplyObject(r);

	char ttl[24];
	snprintf(ttl, sizeof ttl, "%d", ttl_s);
	const char *exp[] = {"EXPIRE", key, ttl};
	if ((r = store_command(3, exp)) != NULL)
		freeReplyObject(r);
	return n;
}

/* Calls fn with every key matching pattern (SCAN, never KEYS: no stall of
 * Redis on a large database). Returns the count, or -1. */
int
web_store_scan(const char *pattern, void (*fn)(const char *key, void *arg),
    void *arg)
{
	char cursor[32] = "0";
	int count = 0;
	do {
		const char *argv[] = {"SCAN", cursor, "MATCH", pattern,
		    "COUNT", "200"};
		redisReply *r = store_command(6, argv);
		if (r == NULL)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY ||
		    (size_t)r->element[0]->len >= sizeof cursor) {
			freeReplyObject(r);
			return -1;
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len);
		cursor[r->element[0]->len] = '\0';
		for (size_t i = 0; i < r->element[1]->elements; i++) {
			redisReply *k = r->element[1]->element[i];
			if (k->type == REDIS_REPLY_STRING &&
			    memchr(k->str, '\0', k->len) == NULL) {
				fn(k->str, arg);
				count++;
			}
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return count;
}
