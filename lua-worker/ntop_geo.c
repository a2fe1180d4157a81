/* ntop.* of spec section 25, ASN and geolocation (getMacManufacturer is
 * in ntop_misc.c). The MaxMind databases are the capture workers': they
 * open the files before confining themselves, and the Lua worker may not
 * read them. Each call is an RPC to the first reachable capture worker,
 * which answers for any address, seen on its interface or not. */
#include "ntop.h"

#include <arpa/inet.h>
#include <lauxlib.h>
#include <stdint.h>
#include <stdio.h>

#define NO_GEOIP "no GeoIP (MaxMind) database is configured " \
	"(netward --geoip-asn FILE --geoip-city FILE)"
#define NO_ASN_DB "no ASN database is configured (netward --geoip-asn FILE)"
#define NO_CITY_DB "no city or country database is configured " \
	"(netward --geoip-city FILE)"

static struct lw_iface *
geo_worker(lua_State *L, const char *fn)
{
	for (int i = 0; i < lw_cfg.n_ifaces; i++)
		if (lw_cfg.ifaces[i].open)
			return &lw_cfg.ifaces[i];
	nt_error(L, fn, "no capture worker is reachable");
	return NULL;
}

/* method(values at 1..nargs) on worker; leaves the answer on top. */
static void
geo_call(lua_State *L, const char *fn, struct lw_iface *worker,
    const char *method, int nargs)
{
	char full[96];

	snprintf(full, sizeof full, "ntop.%s", fn + 2);
	lw_rpc_call(L, &worker->client, method, full, nargs);
}

static void
databases(lua_State *L, const char *fn, bool *asn, bool *city)
{
	int top = lua_gettop(L);

	geo_call(L, fn, geo_worker(L, fn), "geoDatabases", 0);
	lua_getfield(L, -1, "asn");
	*asn = lua_toboolean(L, -1);
	lua_getfield(L, -2, "city");
	*city = lua_toboolean(L, -1);
	lua_settop(L, top);
}

static void
check_ip(lua_State *L, const char *fn)
{
	unsigned char buf[16];
	const char *ip = nt_str(L, 1, fn, "ip", NULL);

	if (inet_pton(AF_INET, ip, buf) != 1 &&
	    inet_pton(AF_INET6, ip, buf) != 1)
		nt_error(L, fn, "argument #1 (ip): '%s' is not an IP address",
		    ip);
}

/* The geoLookup answer for the address at 1, on top of the stack. */
static void
lookup(lua_State *L, const char *fn)
{
	lua_settop(L, 1);
	geo_call(L, fn, geo_worker(L, fn), "geoLookup", 1);
}

NT_FN(hasGeoIP)
{
	bool asn, city;

	NT_ARGS(0, 0);
	databases(L, __func__, &asn, &city);
	lua_pushboolean(L, asn || city);
	return 1;
}

NT_FN(getASName)
{
	bool asn, city;

	NT_ARGS(1, 1);
	check_ip(L, __func__);
	databases(L, __func__, &asn, &city);
	if (!asn)
		NT_UNAVAILABLE(NO_ASN_DB);
	lookup(L, __func__);
	lua_getfield(L, -1, "asname");
	return 1;
}

/* A MaxMind database is indexed by address, not by AS number: the name
 * is the one the database gave an address of that AS among the hosts
 * the capture workers have seen; nil when none was seen. */
NT_FN(getASNameFromASN)
{
	bool asn, city;

	NT_ARGS(1, 1);
	lua_Integer n = NT_INT(1, "asn");
	if (n < 1 || n > (lua_Integer)UINT32_MAX)
		NT_ERR("argument #1 (asn): %lld is not an AS number",
		    (long long)n);
	databases(L, __func__, &asn, &city);
	if (!asn)
		NT_UNAVAILABLE(NO_ASN_DB);
	for (int i = 0; i < lw_cfg.n_ifaces; i++) {
		if (!lw_cfg.ifaces[i].open)
			continue;
		lua_settop(L, 1);
		geo_call(L, __func__, &lw_cfg.ifaces[i], "geoASName", 1);
		if (!lua_isnil(L, -1))
			return 1;
	}
	lua_pushnil(L);
	return 1;
}

/* {country, city, continent, latitude, longitude}, each when known */
NT_FN(getHostGeolocation)
{
	static const char *const keys[] = {"country", "city", "continent",
		"latitude", "longitude", NULL};
	bool asn, city;

	NT_ARGS(1, 1);
	check_ip(L, __func__);
	databases(L, __func__, &asn, &city);
	if (!city)
		NT_UNAVAILABLE(NO_CITY_DB);
	lookup(L, __func__);
	int all = lua_gettop(L);
	lua_createtable(L, 0, 5);
	for (int i = 0; keys[i]; i++) {
		lua_getfield(L, all, keys[i]);
		lua_setfield(L, -2, keys[i]);
	}
	return 1;
}

/* {ip, asn, asname, country, city, continent, latitude, longitude} */
NT_FN(getHostInformation)
{
	bool asn, city;

	NT_ARGS(1, 1);
	check_ip(L, __func__);
	databases(L, __func__, &asn, &city);
	if (!asn && !city)
		NT_UNAVAILABLE(NO_GEOIP);
	lookup(L, __func__);
	lua_pushvalue(L, 1);
	lua_setfield(L, -2, "ip");
	return 1;
}

static const luaL_Reg fns[] = {
	NT_ROW(hasGeoIP), NT_ROW(getASName), NT_ROW(getASNameFromASN),
	NT_ROW(getHostGeolocation), NT_ROW(getHostInformation),
	{NULL, NULL},
};

void
ntop_geo_register(lua_State *L)
{
	nt_register(L, fns);
}
