/* ntop.* sections 9 (network and IP utilities) and 24 (UDP/TCP send).
 *
 * Local networks are those given with --local-nets (the supervisor's -m)
 * followed by those added at run time with addLocalNetwork, kept in the
 * Redis list netward.local_networks so that every Lua worker sees them;
 * a network's id is its position in that order, from 0. Sending takes
 * numeric addresses only: the Lua worker never blocks on DNS. */
#include "ntop.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_NETS 256
#define ADDED_KEY "netward.local_networks"
#define ALIAS_KEY "ntopng.prefs.local_network_aliases"
#define SEND_TIMEOUT_MS 3000

struct net {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int bits;
	char text[INET6_ADDRSTRLEN + 4];
};

static struct net configured[MAX_NETS];
static int n_configured;

struct addr {
	int family;
	unsigned char b[16];
};

static bool
parse_addr(const char *s, struct addr *a)
{
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

static int
addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static void
mask(unsigned char *b, int len, int bits)
{
	for (int i = 0; i < len; i++) {
		int keep = bits - 8 * i;
		if (keep <= 0)
			b[i] = 0;
		else if (keep < 8)
			b[i] &= (unsigned char)(0xff << (8 - keep));
	}
}

/* "a.b.c.d/n", "x::/n" or a bare address (host network). */
static bool
parse_net(const char *s, struct net *n)
{
	char buf[INET6_ADDRSTRLEN + 8], out[INET6_ADDRSTRLEN];
	struct addr a;
	size_t len = strlen(s);

	if (len >= sizeof buf)
		return false;
	memcpy(buf, s, len + 1);
	char *slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (!parse_addr(buf, &a))
		return false;
	int max = addr_len(a.family) * 8, bits = max;
	if (slash != NULL) {
		char *end;
		long v = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || v < 0 || v > max)
			return false;
		bits = (int)v;
	}
	n->family = a.family;
	memcpy(n->addr, a.b, 16);
	n->bits = bits;
	mask(n->addr, addr_len(a.family), bits);
	inet_ntop(a.family, n->addr, out, sizeof out);
	snprintf(n->text, sizeof n->text, "%s/%d", out, bits);
	return true;
}

static bool
net_contains(const struct net *n, const struct addr *a)
{
	unsigned char b[16];
	if (n->family != a->family)
		return false;
	memcpy(b, a->b, 16);
	mask(b, addr_len(a->family), n->bits);
	return memcmp(b, n->addr, (size_t)addr_len(a->family)) == 0;
}

void
lw_set_local_networks(const char *list)
{
	char buf[4096], *save = NULL;
	snprintf(buf, sizeof buf, "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t && n_configured < MAX_NETS;
	     t = strtok_r(NULL, ",", &save)) {
		if (!parse_net(t, &configured[n_configured])) {
			log_error("bad local network '%s'", t);
			exit(EXIT_CONFIG_ERROR);
		}
		n_configured++;
	}
}

/* All local networks, configured then added; returns the count. The
 * caller's array must hold MAX_NETS. */
static int
all_nets(lua_State *L, const char *fn, struct net *out)
{
	int n = n_configured, box;
	memcpy(out, configured, sizeof(struct net) * (size_t)n);
	if (lw_cfg.redis_path == NULL)
		return n;
	const char *argv[] = {"LRANGE", ADDED_KEY, "0", "-1"};
	redisReply *r = nt_redis(L, fn, &box, 4, argv, NULL);
	if (r->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i < r->elements && n < MAX_NETS; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING &&
			    parse_net(r->element[i]->str, &out[n]))
				n++;
	lw_redis_done(L, box);
	return n;
}

static struct addr
check_addr(lua_State *L, int i, const char *fn)
{
	struct addr a;
	const char *s = nt_str(L, i, fn, "ip", NULL);
	if (!parse_addr(s, &a))
		nt_error(L, fn, "'%s' is not an IP address", s);
	return a;
}

static struct net
check_net(lua_State *L, int i, const char *fn)
{
	struct net n;
	const char *s = nt_str(L, i, fn, "network", NULL);
	if (!parse_net(s, &n))
		nt_error(L, fn, "'%s' is not a network (address/bits)", s);
	return n;
}

NT_FN(ipToNumber)
{
	struct in_addr a;
	NT_ARGS(1, 1);
	const char *s = NT_STR(1, "ip");
	if (inet_pton(AF_INET, s, &a) != 1)
		NT_ERR("'%s' is not an IPv4 address", s);
	lua_pushinteger(L, (lua_Integer)ntohl(a.s_addr));
	return 1;
}

NT_FN(inet_ntoa)
{
	char out[INET_ADDRSTRLEN];
	lua_Integer v;
	NT_ARGS(1, 1);
	if (lua_type(L, 1) == LUA_TSTRING) {
		char *end;
		const char *s = lua_tostring(L, 1);
		v = strtoll(s, &end, 10);
		if (*s == '\0' || *end != '\0')
			NT_ERR("'%s' is not a number", s);
	} else {
		v = NT_INT(1, "number");
	}
	if (v < 0 || v > 0xffffffffLL)
		NT_ERR("%lld is not a 32-bit number", (long long)v);
	struct in_addr a = {htonl((uint32_t)v)};
	inet_ntop(AF_INET, &a, out, sizeof out);
	lua_pushstring(L, out);
	return 1;
}

NT_FN(networkPrefix)
{
	char out[INET6_ADDRSTRLEN];
	NT_ARGS(2, 2);
	struct addr a = check_addr(L, 1, __func__);
	lua_Integer bits = NT_INT(2, "bits");
	if (bits < 0 || bits > addr_len(a.family) * 8)
		NT_ERR("argument #2 (bits) must be in 0..%d",
		    addr_len(a.family) * 8);
	mask(a.b, addr_len(a.family), (int)bits);
	inet_ntop(a.family, a.b, out, sizeof out);
	lua_pushstring(L, out);
	return 1;
}

/* IPv4 sorts before IPv6; within a family, by address bytes. */
NT_FN(ipCmp)
{
	NT_ARGS(2, 2);
	struct addr a = check_addr(L, 1, __func__);
	struct addr b = check_addr(L, 2, __func__);
	int c;
	if (a.family != b.family)
		c = a.family == AF_INET ? -1 : 1;
	else
		c = memcmp(a.b, b.b, (size_t)addr_len(a.family));
	lua_pushinteger(L, c < 0 ? -1 : c > 0 ? 1 : 0);
	return 1;
}

NT_FN(isIPv6)
{
	unsigned char b[16];
	NT_ARGS(1, 1);
	lua_pushboolean(L, inet_pton(AF_INET6, NT_STR(1, "ip"), b) == 1);
	return 1;
}

/* Index of the first local network holding a, -1 if none. */
static int
find_local(lua_State *L, const char *fn, const struct addr *a,
    struct net *nets, int *count)
{
	*count = all_nets(L, fn, nets);
	for (int i = 0; i < *count; i++)
		if (net_contains(&nets[i], a))
			return i;
	return -1;
}

NT_FN(isLocalAddress)
{
	static __thread struct net nets[MAX_NETS];
	int n;
	NT_ARGS(1, 1);
	struct addr a = check_addr(L, 1, __func__);
	lua_pushboolean(L, find_local(L, __func__, &a, nets, &n) >= 0);
	return 1;
}

NT_FN(isLocalInterfaceAddress)
{
	struct ifaddrs *ifa, *p;
	bool found = false;
	NT_ARGS(1, 1);
	struct addr a = check_addr(L, 1, __func__);
	if (getifaddrs(&ifa) != 0)
		NT_ERR("getifaddrs: %s", strerror(errno));
	for (p = ifa; p != NULL && !found; p = p->ifa_next) {
		if (p->ifa_addr == NULL || p->ifa_addr->sa_family != a.family)
			continue;
		const void *b = a.family == AF_INET ?
		    (const void *)&((struct sockaddr_in *)p->ifa_addr)->sin_addr :
		    (const void *)&((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr;
		found = memcmp(b, a.b, (size_t)addr_len(a.family)) == 0;
	}
	freeifaddrs(ifa);
	lua_pushboolean(L, found);
	return 1;
}

NT_FN(isAllowedInterface)
{
	NT_ARGS(1, 1);
	const char *ifname = NT_STR(1, "ifname");
	const struct ipc_ctx *ctx = lw_vm_of(L)->ctx;
	lua_pushboolean(L, ctx == NULL || ctx->allowed_ifname[0] == '\0' ||
	    strcmp(ctx->allowed_ifname, ifname) == 0);
	return 1;
}

/* Allowed when the network (or address) lies inside one of the user's
 * allowed networks; an empty list allows everything. */
NT_FN(isAllowedNetwork)
{
	char buf[sizeof(((struct ipc_ctx *)0)->allowed_nets)], *save = NULL;
	NT_ARGS(1, 1);
	struct net n = check_net(L, 1, __func__);
	const struct ipc_ctx *ctx = lw_vm_of(L)->ctx;
	bool ok = ctx == NULL || ctx->allowed_nets[0] == '\0';

	if (!ok) {
		snprintf(buf, sizeof buf, "%s", ctx->allowed_nets);
		for (char *t = strtok_r(buf, ",", &save); t && !ok;
		     t = strtok_r(NULL, ",", &save)) {
			struct net a;
			struct addr x = {n.family, {0}};
			memcpy(x.b, n.addr, 16);
			ok = parse_net(t, &a) && a.bits <= n.bits &&
			    net_contains(&a, &x);
		}
	}
	lua_pushboolean(L, ok);
	return 1;
}

NT_FN(addLocalNetwork)
{
	static __thread struct net nets[MAX_NETS];
	int box;
	NT_ARGS(1, 1);
	struct net n = check_net(L, 1, __func__);
	int count = all_nets(L, __func__, nets);
	for (int i = 0; i < count; i++)
		if (strcmp(nets[i].text, n.text) == 0)
			return 0;
	if (count >= MAX_NETS)
		NT_ERR("too many local networks (%d)", MAX_NETS);
	const char *argv[] = {"RPUSH", ADDED_KEY, n.text};
	nt_redis(L, __func__, &box, 3, argv, NULL);
	lw_redis_done(L, box);
	return 0;
}

/* {cidr = id} */
NT_FN(getNetworks)
{
	static __thread struct net nets[MAX_NETS];
	NT_ARGS(0, 0);
	int n = all_nets(L, __func__, nets);
	lua_newtable(L);
	for (int i = 0; i < n; i++)
		nt_setint(L, nets[i].text, i);
	return 1;
}

NT_FN(getNetworkNameById)
{
	static __thread struct net nets[MAX_NETS];
	NT_ARGS(1, 1);
	lua_Integer id = NT_INT(1, "id");
	int n = all_nets(L, __func__, nets);
	if (id >= 0 && id < n)
		lua_pushstring(L, nets[id].text);
	else
		lua_pushnil(L);
	return 1;
}

static int
net_id(lua_State *L, const char *fn)
{
	static __thread struct net nets[MAX_NETS];
	struct net want = check_net(L, 1, fn);
	int n = all_nets(L, fn, nets);
	for (int i = 0; i < n; i++)
		if (strcmp(nets[i].text, want.text) == 0)
			return i;
	return -1;
}

NT_FN(getNetworkIdByName)
{
	NT_ARGS(1, 1);
	lua_pushinteger(L, net_id(L, __func__));
	return 1;
}

NT_FN(getLocalNetworkID)
{
	NT_ARGS(1, 1);
	lua_pushinteger(L, net_id(L, __func__));
	return 1;
}

/* {network = cidr, network_id = id} of the local network holding ip, or
 * an empty table. */
NT_FN(getAddressNetwork)
{
	static __thread struct net nets[MAX_NETS];
	int n;
	NT_ARGS(1, 1);
	struct addr a = check_addr(L, 1, __func__);
	int i = find_local(L, __func__, &a, nets, &n);
	lua_newtable(L);
	if (i >= 0) {
		nt_setstr(L, "network", nets[i].text);
		nt_setint(L, "network_id", i);
	}
	return 1;
}

/* Aliases are the Redis hash ntopng.prefs.local_network_aliases. */
NT_FN(getLocalNetworkAlias)
{
	int box;
	NT_ARGS(1, 1);
	struct net n = check_net(L, 1, __func__);
	const char *argv[] = {"HGET", ALIAS_KEY, n.text};
	redisReply *r = nt_redis(L, __func__, &box, 3, argv, NULL);
	nt_push_reply(L, r);
	lw_redis_done(L, box);
	return 1;
}

NT_FN(checkNetworkPolicy)
{
	NT_ARGS(1, 1);
	NT_STR(1, "ip");
	NT_UNAVAILABLE("network policies belong to nEdge bridge mode, which "
	    "is not running");
}

/* ---- 24. UDP / TCP send ----------------------------------------------------- */

static void
numeric_sockaddr(lua_State *L, const char *fn, struct sockaddr_storage *ss,
    socklen_t *sl)
{
	const char *host = nt_str(L, 1, fn, "host", NULL);
	lua_Integer port = nt_int(L, 2, fn, "port");
	struct addr a;

	if (port <= 0 || port > 65535)
		nt_error(L, fn, "argument #2 (port) must be in 1..65535");
	if (!parse_addr(host, &a))
		nt_error(L, fn, "'%s' is not a numeric IP address (the Lua "
		    "worker does not block on DNS)", host);
	memset(ss, 0, sizeof *ss);
	if (a.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		memcpy(&s4->sin_addr, a.b, 4);
		*sl = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, a.b, 16);
		*sl = sizeof *s6;
	}
}

NT_FN(send_udp_data)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t len;
	NT_ARGS(3, 3);
	numeric_sockaddr(L, __func__, &ss, &sl);
	const char *data = NT_LSTR(3, "data", &len);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		NT_ERR("socket: %s", strerror(errno));
	ssize_t n = sendto(fd, data, len, 0, (struct sockaddr *)&ss, sl);
	int e = errno;
	close(fd);
	if (n < 0)
		NT_ERR("sendto: %s", strerror(e));
	return 0;
}

/* A connected TCP socket within timeout_ms, or -1 with errno set. */
static int
tcp_connect(const struct sockaddr_storage *ss, socklen_t sl, int timeout_ms)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)ss, sl) != 0) {
		if (errno != EINPROGRESS)
			goto fail;
		struct pollfd p = {fd, POLLOUT, 0};
		int err = 0;
		socklen_t el = sizeof err;
		int pr = poll(&p, 1, timeout_ms);
		if (pr == 0)
			errno = ETIMEDOUT;
		if (pr <= 0)
			goto fail;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* Connects, sends everything and closes (no connection is kept between
 * requests: a request's state never outlives it). */
NT_FN(send_tcp_data)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t len, off = 0;
	NT_ARGS(3, 3);
	numeric_sockaddr(L, __func__, &ss, &sl);
	const char *data = NT_LSTR(3, "data", &len);
	int fd = tcp_connect(&ss, sl, SEND_TIMEOUT_MS);
	if (fd < 0)
		NT_ERR("connect: %s", strerror(errno));
	struct timeval tv = {SEND_TIMEOUT_MS / 1000, 0};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	while (off < len) {
		ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
		if (n <= 0) {
			int e = errno;
			close(fd);
			NT_ERR("send: %s", strerror(e));
		}
		off += (size_t)n;
	}
	close(fd);
	return 0;
}

NT_FN(tcpProbe)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	NT_ARGS(2, 3);
	numeric_sockaddr(L, __func__, &ss, &sl);
	lua_Integer t = NT_OPTINT(3, "timeout", 3);
	if (t < 1 || t > 30)
		NT_ERR("argument #3 (timeout) must be in 1..30 seconds");
	int fd = tcp_connect(&ss, sl, (int)t * 1000);
	if (fd >= 0)
		close(fd);
	lua_pushboolean(L, fd >= 0);
	return 1;
}

static const luaL_Reg fns[] = {
	NT_ROW(ipToNumber), NT_ROW(inet_ntoa), NT_ROW(networkPrefix),
	NT_ROW(ipCmp), NT_ROW(isIPv6), NT_ROW(isLocalAddress),
	NT_ROW(isLocalInterfaceAddress), NT_ROW(isAllowedInterface),
	NT_ROW(isAllowedNetwork), NT_ROW(addLocalNetwork),
	NT_ROW(getNetworks), NT_ROW(getNetworkNameById),
	NT_ROW(getNetworkIdByName), NT_ROW(getAddressNetwork),
	NT_ROW(getLocalNetworkAlias), NT_ROW(getLocalNetworkID),
	NT_ROW(checkNetworkPolicy),
	NT_ROW(send_udp_data), NT_ROW(send_tcp_data), NT_ROW(tcpProbe),
	{NULL, NULL},
};

void
ntop_net_register(lua_State *L)
{
	nt_register(L, fns);
}
