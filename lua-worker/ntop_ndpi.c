/* ntop.* sections 17 and 30: nDPI lookups and custom categories.
 *
 * Lookups use one nDPI module of this process, built once and read-only
 * afterwards. Custom categories are staged per Lua state between
 * initnDPIReload() and finalizenDPIReload(); finalize stores the set in
 * Redis (netward.ndpi.custom_categories, a list of "ip|host CAT VALUE",
 * which matchCustomCategory and a restarted capture worker read) and
 * sends it to every capture worker with the RPC "loadCustomCategories",
 * which applies it to that interface's nDPI. Protocol category overrides
 * (setnDPIProtoCategory) are the Redis hash netward.ndpi.proto_category
 * and travel with the same RPC. */
#include "ntop.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <hiredis.h>
#include <limits.h>
#include <ndpi/ndpi_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CATS_KEY "netward.ndpi.custom_categories"
#define PROTO_CAT_KEY "netward.ndpi.proto_category"
#define STAGE_REG "netward.ndpi.stage"
#define MAX_ENTRIES 100000

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct ndpi_detection_module_struct *ndpi;

static void
init_ndpi(void)
{
	NDPI_PROTOCOL_BITMASK all;
	ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (ndpi == NULL)
		return;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(ndpi, &all);
	ndpi_finalize_initialization(ndpi);
}

static struct ndpi_detection_module_struct *
module(lua_State *L, const char *fn)
{
	pthread_once(&once, init_ndpi);
	if (ndpi == NULL)
		nt_error(L, fn, "nDPI could not be initialised");
	return ndpi;
}

static lua_Integer
check_proto(lua_State *L, const char *fn)
{
	lua_Integer p = nt_int(L, 1, fn, "proto_id");
	u_int n = ndpi_get_num_supported_protocols(module(L, fn));
	if (p < 0 || (lua_Unsigned)p >= n)
		nt_error(L, fn, "unknown nDPI protocol id %lld", (long long)p);
	return p;
}

static lua_Integer
check_cat(lua_State *L, int i, const char *fn)
{
	lua_Integer c = nt_int(L, i, fn, "category");
	if (c < 0 || c >= NDPI_PROTOCOL_NUM_CATEGORIES)
		nt_error(L, fn, "category %lld outside 0..%d", (long long)c,
		    NDPI_PROTOCOL_NUM_CATEGORIES - 1);
	return c;
}

NT_FN(getnDPIProtoCategory)
{
	int box;
	char id[32];
	NT_ARGS(1, 1);
	lua_Integer p = check_proto(L, __func__);
	snprintf(id, sizeof id, "%lld", (long long)p);
	if (lw_cfg.redis_path != NULL) {
		const char *argv[] = {"HGET", PROTO_CAT_KEY, id};
		redisReply *r = nt_redis(L, __func__, &box, 3, argv, NULL);
		bool set = r->type == REDIS_REPLY_STRING;
		lua_Integer v = set ? strtoll(r->str, NULL, 10) : 0;
		lw_redis_done(L, box);
		if (set) {
			lua_pushinteger(L, v);
			return 1;
		}
	}
	ndpi_protocol np = {.master_protocol = NDPI_PROTOCOL_UNKNOWN,
		.app_protocol = (u_int16_t)p};
	lua_pushinteger(L, ndpi_get_proto_category(module(L, __func__), np));
	return 1;
}

NT_FN(setnDPIProtoCategory)
{
	int box;
	char id[32], cat[32];
	NT_ARGS(2, 2);
	snprintf(id, sizeof id, "%lld", (long long)check_proto(L, __func__));
	snprintf(cat, sizeof cat, "%lld", (long long)check_cat(L, 2, __func__));
	const char *argv[] = {"HSET", PROTO_CAT_KEY, id, cat};
	nt_redis(L, __func__, &box, 4, argv, NULL);
	lw_redis_done(L, box);
	return 0;
}

/* netward loads no custom protocol file: every id is nDPI's own. */
NT_FN(isCustomApplication)
{
	NT_ARGS(1, 1);
	check_proto(L, __func__);
	lua_pushboolean(L, 0);
	return 1;
}

/* ---- staging ---------------------------------------------------------------- */

static void
push_stage(lua_State *L, const char *fn, bool create)
{
	lua_getfield(L, LUA_REGISTRYINDEX, STAGE_REG);
	if (lua_istable(L, -1))
		return;
	lua_pop(L, 1);
	if (!create)
		nt_error(L, fn, "call ntop.initnDPIReload() first");
	lua_newtable(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, STAGE_REG);
}

static void
stage(lua_State *L, const char *fn, const char *kind, lua_Integer cat,
    const char *value)
{
	push_stage(L, fn, false);
	lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
	if (n >= MAX_ENTRIES)
		nt_error(L, fn, "more than %d custom category entries",
		    MAX_ENTRIES);
	lua_pushfstring(L, "%s %d %s", kind, (int)cat, value);
	lua_rawseti(L, -2, n + 1);
	lua_pop(L, 1);
}

static bool
valid_host(const char *h)
{
	size_t n = strlen(h);
	return n > 0 && n < 254 && strspn(h, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_*") == n;
}

static bool
valid_ip(const char *s)
{
	char buf[64];
	unsigned char b[16];
	if (strlen(s) >= sizeof buf)
		return false;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	int max = strchr(buf, ':') ? 128 : 32;
	if (slash != NULL) {
		char *end;
		long v = strtol(slash + 1, &end, 10);
		if (*end != '\0' || slash[1] == '\0' || v < 0 || v > max)
			return false;
		*slash = '\0';
	}
	return inet_pton(max == 32 ? AF_INET : AF_INET6, buf, b) == 1;
}

NT_FN(initnDPIReload)
{
	NT_ARGS(0, 0);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, STAGE_REG);
	return 0;
}

NT_FN(loadCustomCategoryIp)
{
	NT_ARGS(2, 2);
	lua_Integer cat = check_cat(L, 1, __func__);
	const char *ip = NT_STR(2, "ip");
	if (!valid_ip(ip))
		NT_ERR("'%s' is not an address or network", ip);
	stage(L, __func__, "ip", cat, ip);
	return 0;
}

NT_FN(loadCustomCategoryHost)
{
	NT_ARGS(2, 2);
	lua_Integer cat = check_cat(L, 1, __func__);
	const char *host = NT_STR(2, "host");
	if (!valid_host(host))
		NT_ERR("'%s' is not a host name", host);
	stage(L, __func__, "host", cat, host);
	return 0;
}

/* One address, network or host name per line; '#' starts a comment. */
NT_FN(loadCustomCategoryFile)
{
	char p[PATH_MAX], line[512];
	int n = 0;
	NT_ARGS(2, 2);
	lua_Integer cat = check_cat(L, 1, __func__);
	nt_confine(L, __func__, NT_STR(2, "path"), false, p, sizeof p);
	push_stage(L, __func__, false);
	lua_pop(L, 1);
	FILE *f = fopen(p, "re");
	if (f == NULL)
		NT_ERR("cannot open %s: %s", p, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "#\r\n")] = '\0';
		char *s = line + strspn(line, " \t");
		s[strcspn(s, " \t")] = '\0';
		if (*s == '\0')
			continue;
		if (valid_ip(s))
			stage(L, __func__, "ip", cat, s);
		else if (valid_host(s))
			stage(L, __func__, "host", cat, s);
		else
			continue;
		n++;
	}
	fclose(f);
	lua_pushinteger(L, n);
	return 1;
}

/* Sends the set to every capture worker. */
static void
send_to_capture(lua_State *L, const char *fn, int list)
{
	struct lw_vm *vm = lw_vm_of(L);
	char err[256];

	for (int i = 0; i < lw_cfg.n_ifaces; i++) {
		struct lw_iface *f = &lw_cfg.ifaces[i];
		struct ipc_writer w;
		struct ipc_reply rp;
		lua_Integer n = (lua_Integer)lua_rawlen(L, list);

		if (!f->open)
			nt_error(L, fn, "interface %s is not reachable",
			    f->name);
		ipc_writer_init(&w);
		uint64_t id = ipc_client_next_id(&f->client);
		ipc_request_begin(&w, id, "loadCustomCategories", 1);
		msgpack_pack_array(&w.pk, (uint32_t)n);
		for (lua_Integer k = 1; k <= n; k++) {
			size_t len;
			lua_rawgeti(L, list, k);
			const char *s = lua_tolstring(L, -1, &len);
			msgpack_pack_str(&w.pk, len);
			msgpack_pack_str_body(&w.pk, s, len);
			lua_pop(L, 1);
		}
		ipc_request_end(&w, vm->ctx);
		int st = ipc_call(&f->client, &w, id, &rp, err, sizeof err);
		ipc_writer_free(&w);
		int status = st == IPC_OK ? rp.status : st;
		if (st == IPC_OK && rp.error[0] != '\0')
			snprintf(err, sizeof err, "%s", rp.error);
		ipc_reply_free(&rp);
		if (status == IPC_ERR_UNKNOWN_METHOD)
			nt_error(L, fn, "the capture worker of %s cannot apply "
			    "custom categories (no loadCustomCategories)",
			    f->name);
		if (status != IPC_OK)
			nt_error(L, fn, "interface %s: %s", f->name, err);
	}
}

NT_FN(finalizenDPIReload)
{
	int box;
	NT_ARGS(0, 0);
	push_stage(L, __func__, false);
	int list = lua_gettop(L);
	lua_Integer n = (lua_Integer)lua_rawlen(L, list);

	const char *del[] = {"DEL", CATS_KEY "~new"};
	nt_redis(L, __func__, &box, 2, del, NULL);
	lw_redis_done(L, box);
	for (lua_Integer k = 1; k <= n; k++) {
		lua_rawgeti(L, list, k);
		const char *argv[] = {"RPUSH", CATS_KEY "~new",
			lua_tostring(L, -1)};
		nt_redis(L, __func__, &box, 3, argv, NULL);
		lw_redis_done(L, box);
		lua_pop(L, 1);
	}
	const char *mv[] = {n > 0 ? "RENAME" : "DEL", n > 0 ? CATS_KEY "~new" :
		CATS_KEY, CATS_KEY};
	nt_redis(L, __func__, &box, n > 0 ? 3 : 2, mv, NULL);
	lw_redis_done(L, box);
	lua_pushnil(L);
	lua_setfield(L, LUA_REGISTRYINDEX, STAGE_REG);
	send_to_capture(L, __func__, list);
	return 0;
}

/* The category of the longest custom host entry that hostname equals or
 * ends with (at a label boundary), from the last finalized set. */
NT_FN(matchCustomCategory)
{
	int box;
	size_t best = 0;
	lua_Integer cat = -1;
	NT_ARGS(1, 1);
	const char *h = NT_STR(1, "hostname");
	size_t hl = strlen(h);
	const char *argv[] = {"LRANGE", CATS_KEY, "0", "-1"};
	redisReply *r = nt_redis(L, __func__, &box, 4, argv, NULL);
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements;
	     i++) {
		char host[256];
		int c;
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    sscanf(r->element[i]->str, "host %d %255s", &c, host) != 2)
			continue;
		size_t n = strlen(host);
		if (n > hl || n <= best || strcasecmp(h + hl - n, host) != 0 ||
		    (n < hl && h[hl - n - 1] != '.'))
			continue;
		best = n;
		cat = c;
	}
	lw_redis_done(L, box);
	if (cat < 0)
		lua_pushnil(L);
	else
		lua_pushinteger(L, cat);
	return 1;
}

NT_FN(setDomainMask)
{
	NT_ARGS(2, 2);
	NT_STR(1, "domain");
	NT_INT(2, "mask");
	NT_UNAVAILABLE("the capture workers apply no domain masks");
}

NT_FN(addTrustedIssuerDN)
{
	NT_ARGS(1, 1);
	NT_STR(1, "dn");
	NT_UNAVAILABLE("the capture workers do not check TLS certificate "
	    "issuers");
}

static const luaL_Reg fns[] = {
	NT_ROW(getnDPIProtoCategory), NT_ROW(setnDPIProtoCategory),
	NT_ROW(isCustomApplication), NT_ROW(matchCustomCategory),
	NT_ROW(initnDPIReload), NT_ROW(finalizenDPIReload),
	NT_ROW(loadCustomCategoryIp), NT_ROW(loadCustomCategoryHost),
	NT_ROW(loadCustomCategoryFile), NT_ROW(setDomainMask),
	NT_ROW(addTrustedIssuerDN),
	{NULL, NULL},
};

void
ntop_ndpi_register(lua_State *L)
{
	nt_register(L, fns);
}
