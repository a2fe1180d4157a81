/* ntop.* section 19 (ping), getMacManufacturer (25) and the stateful
 * calls of 33: offline mode, the pools lock, restart/shutdown and the
 * reloads that concern the capture workers.
 *
 * Ping uses an unprivileged ICMP datagram socket (Linux, allowed to the
 * groups in net.ipv4.ping_group_range): the Lua worker has no raw-socket
 * capability. Where the kernel does not allow it, isPingAvailable() is
 * false and pingHost() says why. */
#include "ntop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <hiredis.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define OFFLINE_KEY "netward.offline"
#define POOLS_LOCK_KEY "netward.pools.lock"
#define POOLS_LOCK_TTL "30"
#define OUI_FILE "/usr/share/ieee-data/oui.txt"
#define MAX_PINGS 64
#define PING_WAIT_MS 1000

/* ---- 19. ping ---------------------------------------------------------------- */

struct ping {
	char host[INET6_ADDRSTRLEN];
	int family;
	unsigned char addr[16];
	uint16_t seq;
	struct timespec sent;
	double rtt_ms; /* < 0: no answer yet */
};

static __thread struct {
	int fd4, fd6; /* 0 = not opened (fds 0 is stdin, never ours) */
	struct ping p[MAX_PINGS];
	int n;
	uint16_t seq;
} pg;

static int
ping_socket(int family)
{
	int *fd = family == AF_INET ? &pg.fd4 : &pg.fd6;
	if (*fd > 0)
		return *fd;
	int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (s < 0)
		return -1;
	*fd = s;
	return s;
}

NT_FN(isPingAvailable)
{
	NT_ARGS(0, 0);
	lua_pushboolean(L, ping_socket(AF_INET) >= 0);
	return 1;
}

NT_FN(isPingIfaceAvailable)
{
	NT_ARGS(1, 1);
	const char *ifname = NT_STR(1, "ifname");
	lua_pushboolean(L, ping_socket(AF_INET) >= 0 &&
	    if_nametoindex(ifname) != 0);
	return 1;
}

NT_FN(getPingIfNames)
{
	struct ifaddrs *ifa;
	NT_ARGS(0, 0);
	lua_newtable(L);
	if (ping_socket(AF_INET) < 0 || getifaddrs(&ifa) != 0)
		return 1;
	for (struct ifaddrs *p = ifa; p != NULL; p = p->ifa_next)
		if (p->ifa_addr != NULL && p->ifa_addr->sa_family == AF_INET &&
		    (p->ifa_flags & IFF_UP)) {
			lua_pushstring(L, p->ifa_name);
			lua_pushboolean(L, 1);
			lua_rawset(L, -3);
		}
	freeifaddrs(ifa);
	return 1;
}

/* pingHost(host, is_v6 [, ifname]): one echo request; the answer is
 * read by collectPingResults(). */
NT_FN(pingHost)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	NT_ARGS(1, 3);
	const char *host = NT_STR(1, "host");
	bool v6 = NT_OPTBOOL(2, "is_v6", false);
	const char *ifname = NT_OPTSTR(3, "ifname", NULL);
	int family = v6 ? AF_INET6 : AF_INET;
	struct ping *p;

	if (pg.n >= MAX_PINGS)
		NT_ERR("more than %d pings pending: collect them first",
		    MAX_PINGS);
	p = &pg.p[pg.n];
	if (inet_pton(family, host, p->addr) != 1)
		NT_ERR("'%s' is not a numeric IPv%d address", host, v6 ? 6 : 4);
	int fd = ping_socket(family);
	if (fd < 0)
		NT_ERR("ICMP datagram sockets are not allowed for this group "
		    "(sysctl net.ipv4.ping_group_range) and the Lua worker "
		    "has no raw-socket capability: %s", strerror(errno));
	if (ifname != NULL && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE,
	    ifname, (socklen_t)strlen(ifname)) != 0)
		NT_ERR("cannot bind to interface %s: %s", ifname,
		    strerror(errno));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, p->addr, 16);
		sl = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, p->addr, 4);
		sl = sizeof *s4;
	}
	unsigned char pkt[16] = {0};
	p->seq = ++pg.seq;
	pkt[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	pkt[6] = (unsigned char)(p->seq >> 8);
	pkt[7] = (unsigned char)p->seq;
	clock_gettime(CLOCK_MONOTONIC, &p->sent);
	if (sendto(fd, pkt, sizeof pkt, 0, (struct sockaddr *)&ss, sl) < 0)
		NT_ERR("sendto %s: %s", host, strerror(errno));
	snprintf(p->host, sizeof p->host, "%s", host);
	p->family = family;
	p->rtt_ms = -1;
	pg.n++;
	return 0;
}

static void
read_replies(int fd, int family)
{
	unsigned char buf[512];
	struct sockaddr_storage from;
	struct timespec now;

	for (;;) {
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, 0,
		    (struct sockaddr *)&from, &fl);
		if (n < 8)
			return;
		if (buf[0] != (family == AF_INET ? ICMP_ECHOREPLY :
		    ICMP6_ECHO_REPLY))
			continue;
		uint16_t seq = (uint16_t)(buf[6] << 8 | buf[7]);
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (int i = 0; i < pg.n; i++)
			if (pg.p[i].family == family && pg.p[i].seq == seq &&
			    pg.p[i].rtt_ms < 0)
				pg.p[i].rtt_ms =
				    (double)(now.tv_sec - pg.p[i].sent.tv_sec) *
				    1e3 + (double)(now.tv_nsec -
				    pg.p[i].sent.tv_nsec) / 1e6;
	}
}

/* {host = rtt_ms} of the answered pings, after waiting up to 1 s for
 * the pending ones; the unanswered are dropped. */
NT_FN(collectPingResults)
{
	struct timespec start, now;
	NT_ARGS(0, 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd fds[2];
		int nf = 0, pending = 0;
		if (pg.fd4 > 0)
			fds[nf++] = (struct pollfd){pg.fd4, POLLIN, 0};
		if (pg.fd6 > 0)
			fds[nf++] = (struct pollfd){pg.fd6, POLLIN, 0};
		if (pg.fd4 > 0)
			read_replies(pg.fd4, AF_INET);
		if (pg.fd6 > 0)
			read_replies(pg.fd6, AF_INET6);
		for (int i = 0; i < pg.n; i++)
			pending += pg.p[i].rtt_ms < 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long el = (now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000;
		if (pending == 0 || nf == 0 || el >= PING_WAIT_MS)
			break;
		poll(fds, (nfds_t)nf, (int)(PING_WAIT_MS - el));
	}
	lua_newtable(L);
	for (int i = 0; i < pg.n; i++)
		if (pg.p[i].rtt_ms >= 0)
			nt_setnum(L, pg.p[i].host, pg.p[i].rtt_ms);
	pg.n = 0;
	return 1;
}

/* ---- 25. MAC vendors from the IEEE registry (Debian's ieee-data) ------------- */

NT_FN(getMacManufacturer)
{
	unsigned m[3];
	char want[16], line[512];
	NT_ARGS(1, 1);
	const char *mac = NT_STR(1, "mac");
	if (sscanf(mac, "%2x%*1[:-]%2x%*1[:-]%2x", &m[0], &m[1], &m[2]) != 3)
		NT_ERR("'%s' is not a MAC address", mac);
	snprintf(want, sizeof want, "%02X-%02X-%02X", m[0], m[1], m[2]);
	FILE *f = fopen(OUI_FILE, "re");
	if (f == NULL)
		NT_ERR("cannot open %s (package ieee-data): %s", OUI_FILE,
		    strerror(errno));
	lua_pushnil(L);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncasecmp(line, want, 8) != 0 ||
		    strstr(line, "(hex)") == NULL)
			continue;
		char *v = strstr(line, "(hex)") + 5;
		v += strspn(v, " \t");
		v[strcspn(v, "\r\n")] = '\0';
		lua_pop(L, 1);
		lua_pushstring(L, v);
		break;
	}
	fclose(f);
	return 1;
}

/* ---- 33. offline mode, pools lock, lifecycle, reloads ----------------------- */

/* Offline mode (no outbound connections wanted) is shared by every Lua
 * worker through Redis; it is never forced from the command line. */
NT_FN(isOffline)
{
	int box;
	NT_ARGS(0, 0);
	const char *argv[] = {"EXISTS", OFFLINE_KEY};
	redisReply *r = nt_redis(L, __func__, &box, 2, argv, NULL);
	lua_pushboolean(L, r->type == REDIS_REPLY_INTEGER && r->integer > 0);
	lw_redis_done(L, box);
	return 1;
}

NT_FN(isForcedOffline)
{
	NT_ARGS(0, 0);
	lua_pushboolean(L, 0);
	return 1;
}

NT_FN(setOffline)
{
	int box;
	NT_ARGS(0, 0);
	const char *argv[] = {"SET", OFFLINE_KEY, "1"};
	nt_redis(L, __func__, &box, 3, argv, NULL);
	lw_redis_done(L, box);
	return 0;
}

NT_FN(setOnline)
{
	int box;
	NT_ARGS(0, 0);
	const char *argv[] = {"DEL", OFFLINE_KEY};
	nt_redis(L, __func__, &box, 2, argv, NULL);
	lw_redis_done(L, box);
	return 0;
}

/* A lock shared by all Lua workers (Redis SET NX with a 30 s lease, so a
 * worker that dies holding it cannot block the others for ever). Waits
 * up to 5 s; returns true when taken. */
NT_FN(poolsLock)
{
	char me[64];
	NT_ARGS(0, 0);
	snprintf(me, sizeof me, "%d:%ld", (int)getpid(), (long)pthread_self());
	for (int tries = 0; tries < 100; tries++) {
		int box;
		const char *argv[] = {"SET", POOLS_LOCK_KEY, me, "NX", "EX",
			POOLS_LOCK_TTL};
		redisReply *r = nt_redis(L, __func__, &box, 6, argv, NULL);
		bool got = r->type == REDIS_REPLY_STATUS;
		lw_redis_done(L, box);
		if (got) {
			lua_pushboolean(L, 1);
			return 1;
		}
		usleep(50000);
	}
	lua_pushboolean(L, 0);
	return 1;
}

NT_FN(poolsUnlock)
{
	int box;
	NT_ARGS(0, 0);
	const char *argv[] = {"DEL", POOLS_LOCK_KEY};
	nt_redis(L, __func__, &box, 2, argv, NULL);
	lw_redis_done(L, box);
	return 0;
}

NT_FN(serviceRestart)
{
	NT_ARGS(0, 0);
	NT_ERR("a Lua worker cannot restart netward: that is the "
	    "supervisor's, which takes no orders from scripts");
}

NT_FN(shutdown)
{
	NT_ARGS(0, 0);
	NT_ERR("a Lua worker cannot shut netward down: that is the "
	    "supervisor's, which takes no orders from scripts");
}

NT_FN(registerRuntimeInterface)
{
	NT_ARGS(1, 1);
	NT_TABLE(1, "params");
	NT_UNAVAILABLE("the supervisor does not register runtime interfaces "
	    "yet");
}

#define NO_CAPTURE_SIDE(name, what)                                        \
	NT_FN(name)                                                        \
	{                                                                  \
		NT_ARGS(0, 0);                                             \
		NT_UNAVAILABLE("the capture workers have no " what);       \
	}
NO_CAPTURE_SIDE(reloadDeviceProtocols, "device protocol policies")
NO_CAPTURE_SIDE(reloadServersConfiguration, "server configuration")
NO_CAPTURE_SIDE(reloadASNConfiguration, "custom ASN configuration")
NO_CAPTURE_SIDE(reloadNetworksPolicyConfiguration, "network policies")

/* ---- host pools ------------------------------------------------------------ */

/* ntopng's layout: set POOL_IDS_KEY of pool ids, hash
 * POOL_DETAILS_KEY.<id> (field "name"), set POOL_MEMBERS_KEY.<id> of
 * "ip[/len][@vlan]" or MAC members. The capture worker checks every
 * value again (capture-worker/rpc_pools.c); the bounds are its own. */
#define POOL_IDS_KEY "ntopng.prefs.host_pools.pool_ids"
#define POOL_DETAILS_KEY "ntopng.prefs.host_pools.details."
#define POOL_MEMBERS_KEY "ntopng.prefs.host_pools.members."
#define POOLS_MAX 257	    /* 256 pools and pool 0 */
#define POOL_MEMBERS_MAX 65536
#define POOL_TEXT_MAX 64    /* a name or a member */

static bool
short_text(const struct redisReply *r)
{
	if (r->type != REDIS_REPLY_STRING || r->len == 0 ||
	    r->len > POOL_TEXT_MAX)
		return false;
	for (size_t i = 0; i < r->len; i++)
		if ((unsigned char)r->str[i] < 0x20 ||
		    (unsigned char)r->str[i] == 0x7f)
			return false;
	return true;
}

/* Pushes {id = N, name = "...", members = {...}} of pool id. */
static void
push_pool(lua_State *L, const char *fn, long id, size_t *total)
{
	char key[96];
	const char *argv[3];
	const struct redisReply *r;
	int box;

	lua_createtable(L, 0, 3);
	nt_setint(L, "id", id);
	snprintf(key, sizeof key, POOL_DETAILS_KEY "%ld", id);
	argv[0] = "HGET";
	argv[1] = key;
	argv[2] = "name";
	r = nt_redis(L, fn, &box, 3, argv, NULL);
	if (r->type == REDIS_REPLY_NIL && id == 0) {
		lw_redis_done(L, box);
		nt_setstr(L, "name", "Default"); /* ntopng's pool 0 */
	} else if (!short_text(r)) {
		lw_redis_done(L, box);
		nt_error(L, fn, "%s: field name must be text of 1..%d "
		    "bytes", key, POOL_TEXT_MAX);
	} else {
		lua_pushlstring(L, r->str, r->len);
		lw_redis_done(L, box);
		lua_setfield(L, -2, "name");
	}
	snprintf(key, sizeof key, POOL_MEMBERS_KEY "%ld", id);
	argv[0] = "SMEMBERS";
	argv[1] = key;
	r = nt_redis(L, fn, &box, 2, argv, NULL);
	size_t n = r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
	if (n > POOL_MEMBERS_MAX - *total) {
		lw_redis_done(L, box);
		nt_error(L, fn, "more than %d pool members", POOL_MEMBERS_MAX);
	}
	*total += n;
	lua_createtable(L, (int)n, 0);
	for (size_t k = 0; k < n; k++) {
		if (!short_text(r->element[k])) {
			lw_redis_done(L, box);
			nt_error(L, fn, "%s: member %zu is not text of 1..%d "
			    "bytes", key, k + 1, POOL_TEXT_MAX);
		}
		lua_pushlstring(L, r->element[k]->str, r->element[k]->len);
		lua_rawseti(L, -2, (lua_Integer)k + 1);
	}
	lw_redis_done(L, box); /* the box was below the members table */
	lua_setfield(L, -2, "members");
}

/* Reads the host pools from Redis and sends them to every capture
 * worker (RPC setHostPools), which assigns its hosts to them. */
NT_FN(reloadHostPools)
{
	const char *argv[] = { "SMEMBERS", POOL_IDS_KEY };
	const struct redisReply *r;
	long ids[POOLS_MAX];
	size_t n = 0, total = 0;
	int box;

	NT_ARGS(0, 0);
	r = nt_redis(L, __func__, &box, 2, argv, NULL);
	if (r->type == REDIS_REPLY_ARRAY && r->elements > POOLS_MAX) {
		lw_redis_done(L, box);
		NT_ERR("%s holds more than %d pools", POOL_IDS_KEY,
		    POOLS_MAX - 1);
	}
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements;
	    i++) {
		const struct redisReply *e = r->element[i];
		char *end = NULL;
		long v = -1;
		if (e->type == REDIS_REPLY_STRING && e->len > 0 && e->len < 6 &&
		    e->str[0] >= '0' && e->str[0] <= '9')
			v = strtol(e->str, &end, 10);
		if (v < 0 || v > 65535 || *end != '\0') {
			char txt[POOL_TEXT_MAX + 1] = "?";
			if (short_text(e))
				memcpy(txt, e->str, e->len + 1);
			lw_redis_done(L, box); /* frees e */
			NT_ERR("%s: '%.32s' is no pool id (0..65535)",
			    POOL_IDS_KEY, txt);
		}
		ids[n++] = v;
	}
	lw_redis_done(L, box);
	lua_settop(L, 0);
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		push_pool(L, __func__, ids[i], &total);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	for (int i = 0; i < lw_cfg.n_ifaces; i++) {
		lua_settop(L, 1);
		nt_capture_call(L, __func__, i, "setHostPools", 1);
	}
	lua_pushnil(L);
	return 1;
}

/* ---- BPF filters -------------------------------------------------------- */

#define FILTER_MAX 4096 /* the capture worker's bound */

/* The Lua worker does not link libpcap: a capture worker compiles the
 * filter (capture-worker/rpc_bpf.c). true / false as ntopng; an error
 * for a filter only a name lookup could check. */
NT_FN(checkFilterSyntax)
{
	size_t len;

	NT_ARGS(1, 1);
	nt_str(L, 1, __func__, "filter", &len);
	if (len > FILTER_MAX || memchr(lua_tostring(L, 1), '\0', len))
		NT_ERR("a filter is text of at most %d bytes", FILTER_MAX);
	nt_capture_first(L, __func__, "checkFilterSyntax", 1);
	return 1;
}

/* ---- MAC device types ------------------------------------------------------ */

#define DEVTYPE_KEY "ntopng.prefs.device_types." /* ntopng's key + MAC */
#define DEVTYPE_MAX 12				/* ntopng's device_iot */

/* Keeps the type in Redis as ntopng does (type 0, unknown, removes the
 * key) and sets it in every capture worker, which lists it as the MAC's
 * devtype and keeps it across its restarts. */
NT_FN(setMacDeviceType)
{
	char mac[18], key[64], val[4];
	unsigned b[6];
	char end;
	int box;

	NT_ARGS(2, 2);
	const char *s = NT_STR(1, "mac");
	lua_Integer type = NT_INT(2, "type");
	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0],
	    &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6 ||
	    strspn(s, "0123456789abcdefABCDEF:") != 17)
		NT_ERR("argument #1 (mac) must be a MAC address "
		    "aa:bb:cc:dd:ee:ff");
	if (type < 0 || type > DEVTYPE_MAX)
		NT_ERR("argument #2 (type) must be a device type id in 0..%d",
		    DEVTYPE_MAX);
	snprintf(mac, sizeof mac, "%02X:%02X:%02X:%02X:%02X:%02X", b[0], b[1],
	    b[2], b[3], b[4], b[5]);
	snprintf(key, sizeof key, DEVTYPE_KEY "%s", mac);
	snprintf(val, sizeof val, "%d", (int)type);
	const char *set[] = { "SET", key, val };
	const char *del[] = { "DEL", key };
	nt_redis(L, __func__, &box, type ? 3 : 2, type ? set : del, NULL);
	lw_redis_done(L, box);
	for (int i = 0; i < lw_cfg.n_ifaces; i++) {
		lua_settop(L, 0);
		lua_pushstring(L, mac);
		lua_pushinteger(L, type);
		nt_capture_call(L, __func__, i, "setMacDeviceType", 2);
	}
	lua_pushnil(L);
	return 1;
}

static const luaL_Reg fns[] = {
	NT_ROW(isPingAvailable), NT_ROW(isPingIfaceAvailable),
	NT_ROW(getPingIfNames), NT_ROW(pingHost), NT_ROW(collectPingResults),
	NT_ROW(getMacManufacturer),
	NT_ROW(isOffline), NT_ROW(isForcedOffline), NT_ROW(setOffline),
	NT_ROW(setOnline), NT_ROW(poolsLock), NT_ROW(poolsUnlock),
	NT_ROW(serviceRestart), NT_ROW(shutdown),
	NT_ROW(registerRuntimeInterface), NT_ROW(reloadHostPools),
	NT_ROW(reloadDeviceProtocols), NT_ROW(reloadServersConfiguration),
	NT_ROW(reloadASNConfiguration),
	NT_ROW(reloadNetworksPolicyConfiguration), NT_ROW(setMacDeviceType),
	NT_ROW(checkFilterSyntax),
	{NULL, NULL},
};

void
ntop_misc_register(lua_State *L)
{
	nt_register(L, fns);
}
