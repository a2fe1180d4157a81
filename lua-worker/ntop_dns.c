/* ntop.* section 10 (address resolution) and setResolvedAddress (9).
 *
 * A script never waits on DNS. resolveName(ip) and resolveHost(name)
 * queue a lookup for one resolver thread per Lua worker process, which
 * runs c-ares against the servers of /etc/resolv.conf (or the one given
 * with --dns-server ADDR:PORT) and writes each answer to Redis, where
 * every Lua worker reads it:
 *
 *   ntopng.dns.cache.<ip>        reverse name (ntopng's key); an address
 *                                without a name caches as itself
 *   netward.dns.host.<name>      first address of a forward lookup
 *
 * resolveHost() answers from that cache (nil until the lookup is done). */
#include "ntop.h"
#include "log.h"

#include <ares.h>
#include <arpa/inet.h>
#include <hiredis.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#define REVERSE_PREFIX "ntopng.dns.cache."
#define FORWARD_PREFIX "netward.dns.host."
#define NAME_TTL 3600	  /* seconds an answer is kept */
#define NO_NAME_TTL 300	  /* and the lack of one */
#define QUEUE_MAX 1024
#define NAME_MAX_LEN 256

struct job {
	bool reverse;
	char name[NAME_MAX_LEN];
};

static struct {
	pthread_once_t once;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job q[QUEUE_MAX];
	int head, count;
	bool started;
	char server[128]; /* "" = system resolvers */
	redisContext *redis;
} rs = {
	.once = PTHREAD_ONCE_INIT,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

void
lw_set_dns_server(const char *addr_port)
{
	snprintf(rs.server, sizeof rs.server, "%s", addr_port);
}

static void
store(const char *prefix, const char *key, const char *value, int ttl)
{
	struct timeval tv = {5, 0};
	if (rs.redis == NULL || rs.redis->err) {
		if (rs.redis != NULL)
			redisFree(rs.redis);
		rs.redis = redisConnectUnixWithTimeout(lw_cfg.redis_path, tv);
		if (rs.redis == NULL || rs.redis->err) {
			log_warn("resolver: cannot reach Redis");
			return;
		}
	}
	redisReply *r = redisCommand(rs.redis, "SET %s%s %s EX %d", prefix,
	    key, value, ttl);
	if (r != NULL)
		freeReplyObject(r);
}

static void
on_reverse(void *arg, int status, int timeouts, struct hostent *h)
{
	struct job *j = arg;
	if (status == ARES_SUCCESS && h != NULL && h->h_name != NULL)
		store(REVERSE_PREFIX, j->name, h->h_name, NAME_TTL);
	else if (status == ARES_ENOTFOUND || status == ARES_ENODATA)
		store(REVERSE_PREFIX, j->name, j->name, NO_NAME_TTL);
	else
		log_debug("resolver: %s: %s", j->name, ares_strerror(status));
	free(j);
}

static void
on_forward(void *arg, int status, int timeouts, struct hostent *h)
{
	struct job *j = arg;
	char out[INET6_ADDRSTRLEN];
	if (status == ARES_SUCCESS && h != NULL && h->h_addr_list[0] != NULL &&
	    inet_ntop(h->h_addrtype, h->h_addr_list[0], out, sizeof out))
		store(FORWARD_PREFIX, j->name, out, NAME_TTL);
	else
		log_debug("resolver: %s: %s", j->name, ares_strerror(status));
	free(j);
}

static void
submit(ares_channel ch, const struct job *src)
{
	unsigned char b[16];
	struct job *j = malloc(sizeof *j);
	if (j == NULL)
		return;
	*j = *src;
	if (!j->reverse)
		ares_gethostbyname(ch, j->name, AF_INET, on_forward, j);
	else if (inet_pton(AF_INET, j->name, b) == 1)
		ares_gethostbyaddr(ch, b, 4, AF_INET, on_reverse, j);
	else if (inet_pton(AF_INET6, j->name, b) == 1)
		ares_gethostbyaddr(ch, b, 16, AF_INET6, on_reverse, j);
	else
		free(j);
}

static void *
resolver_main(void *arg)
{
	ares_channel ch;
	struct ares_options o = {.timeout = 2000, .tries = 2};

	if (ares_init_options(&ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) !=
	    ARES_SUCCESS) {
		log_error("resolver: c-ares initialisation failed");
		return NULL;
	}
	if (rs.server[0] != '\0' &&
	    ares_set_servers_ports_csv(ch, rs.server) != ARES_SUCCESS)
		log_error("resolver: bad --dns-server '%s'", rs.server);
	for (;;) {
		struct job batch[64];
		int n = 0;
		fd_set r, w;
		struct timeval tv, max = {0, 100000}, *tvp;

		pthread_mutex_lock(&rs.lock);
		FD_ZERO(&r);
		FD_ZERO(&w);
		int nfds = ares_fds(ch, &r, &w);
		while (rs.count == 0 && nfds == 0)
			pthread_cond_wait(&rs.cond, &rs.lock);
		while (rs.count > 0 && n < 64) {
			batch[n++] = rs.q[rs.head];
			rs.head = (rs.head + 1) % QUEUE_MAX;
			rs.count--;
		}
		pthread_mutex_unlock(&rs.lock);
		for (int i = 0; i < n; i++)
			submit(ch, &batch[i]);
		FD_ZERO(&r);
		FD_ZERO(&w);
		nfds = ares_fds(ch, &r, &w);
		if (nfds == 0)
			continue;
		tvp = ares_timeout(ch, &max, &tv);
		select(nfds, &r, &w, NULL, tvp);
		ares_process(ch, &r, &w);
	}
	return NULL;
}

static void
start(void)
{
	pthread_t t;
	pthread_attr_t a;
	sigset_t all, old;

	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return;
	/* The resolver never takes the stop signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	rs.started = pthread_create(&t, &a, resolver_main, NULL) == 0;
	pthread_attr_destroy(&a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void
enqueue(lua_State *L, const char *fn, bool reverse, const char *name)
{
	if (lw_cfg.redis_path == NULL)
		nt_error(L, fn, "no Redis configured (--redis) to keep answers");
	pthread_once(&rs.once, start);
	if (!rs.started)
		nt_error(L, fn, "the resolver thread could not start");
	pthread_mutex_lock(&rs.lock);
	if (rs.count < QUEUE_MAX) {
		struct job *j = &rs.q[(rs.head + rs.count) % QUEUE_MAX];
		j->reverse = reverse;
		snprintf(j->name, sizeof j->name, "%s", name);
		rs.count++;
		pthread_cond_signal(&rs.cond);
	}
	pthread_mutex_unlock(&rs.lock);
}

static const char *
check_ip(lua_State *L, const char *fn)
{
	unsigned char b[16];
	const char *ip = nt_str(L, 1, fn, "ip", NULL);
	if (inet_pton(AF_INET, ip, b) != 1 && inet_pton(AF_INET6, ip, b) != 1)
		nt_error(L, fn, "'%s' is not an IP address", ip);
	return ip;
}

static int
get_cached(lua_State *L, const char *fn, const char *prefix, const char *k)
{
	int box;
	lua_pushfstring(L, "%s%s", prefix, k);
	const char *argv[] = {"GET", lua_tostring(L, -1)};
	redisReply *r = nt_redis(L, fn, &box, 2, argv, NULL);
	nt_push_reply(L, r);
	lw_redis_done(L, box);
	return 1;
}

NT_FN(resolveName)
{
	NT_ARGS(1, 1);
	enqueue(L, __func__, true, check_ip(L, __func__));
	return 0;
}

NT_FN(getResolvedName)
{
	NT_ARGS(1, 1);
	return get_cached(L, __func__, REVERSE_PREFIX, check_ip(L, __func__));
}

NT_FN(resolveHost)
{
	size_t len;
	NT_ARGS(1, 1);
	const char *name = NT_LSTR(1, "hostname", &len);
	if (len == 0 || len >= NAME_MAX_LEN || strspn(name,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
	    != len)
		NT_ERR("'%s' is not a host name", name);
	get_cached(L, __func__, FORWARD_PREFIX, name);
	if (lua_isnil(L, -1))
		enqueue(L, __func__, false, name);
	return 1;
}

NT_FN(setResolvedAddress)
{
	char ttl[16];
	int box;
	NT_ARGS(2, 2);
	const char *ip = check_ip(L, __func__);
	const char *name = NT_STR(2, "hostname");
	lua_pushfstring(L, REVERSE_PREFIX "%s", ip);
	snprintf(ttl, sizeof ttl, "%d", NAME_TTL);
	const char *argv[] = {"SET", lua_tostring(L, -1), name, "EX", ttl};
	nt_redis(L, __func__, &box, 5, argv, NULL);
	lw_redis_done(L, box);
	return 0;
}

static const luaL_Reg fns[] = {
	NT_ROW(resolveName), NT_ROW(getResolvedName), NT_ROW(resolveHost),
	NT_ROW(setResolvedAddress),
	{NULL, NULL},
};

void
ntop_dns_register(lua_State *L)
{
	nt_register(L, fns);
}
