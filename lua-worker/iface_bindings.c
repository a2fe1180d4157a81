/* The `interface` table of a request.
 *
 * A few functions are answered here from the --interface list (select,
 * getIfNames, getId, ...). Every other one is the generic marshaller: its
 * Lua arguments go as msgpack to the capture worker owning the selected
 * interface, with the request's identity as ctx, and the reply comes back
 * as Lua values. Adding a remote function is adding its name to
 * remote_methods[]; the capture worker's method table does the rest. */
#include "lw.h"
#include "log.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

static const char *const remote_methods[] = {
	/* 3, 4: identity and flags */
	"getMasterInterfaceId",
	"getMaxIfSpeed",
	"getEndpoint",
	"getIfMac",
	"viewedBy",
	"isPacketInterface",
	"isDiscoverableInterface",
	"isBridgeInterface",
	"isPcapDumpInterface",
	"isDatabaseViewInterface",
	"isZMQInterface",
	"isView",
	"isViewed",
	"isLoopback",
	"isRunning",
	"isIdle",
	"isSubInterface",
	"isSyslogInterface",
	"hasVLANs",
	"hasEBPF",
	"hasExternalAlerts",
	"setInterfaceIdleState",
	"getStats",
	"getStatsUpdateFreq",
	"getThroughput",
	"getHashTablesStats",
	"getQueuesStats",
	"getActiveFlowsStats",
	"getProtocolFlowsStats",
	"getVLANFlowsStats",
	"resetCounters",
	/* 6: hosts */
	"getNumFlows",
	"getNumHosts",
	"getNumLocalHosts",
	"getNumLocalRxOnlyHosts",
	"getHostsInfo",
	"getLocalHostsInfo",
	"getRemoteHostsInfo",
	"getLocalHostsInfoNoTX",
	"getLocalHostsInfoNoTXTCP",
	"getRemoteHostsInfoNoTX",
	"getRemoteHostsInfoNoTXTCP",
	"getBroadcastDomainHostsInfo",
	"getBroadcastMulticastHostsInfo",
	"getPublicHostsInfo",
	"getBatchedHostsInfo",
	"getBatchedLocalHostsInfo",
	"getBatchedRemoteHostsInfo",
	"getInterfaceHosts",
	"getRxOnlyHostsList",
	"getHostInfo",
	"getHostMinInfo",
	"isHostActive",
	"findHost",
	"findHostByMac",
	"getHostAttributes",
	"getHostCountry",
	"getHostsByPort",
	"getHostsByService",
	"getHostsPorts",
	"getAddressInfo",
	"setHostOperatingSystem",
	"setHostResolvedName",
	"resetHostStats",
	"deleteHostData",
	/* 7: flows */
	"getFlowsInfo",
	"getBatchedFlowsInfo",
	"getGroupedFlows",
	"getFlowsStats",
	"getFlowsStatus",
	"findFlowByTuple",
	"getFlowKey",
	"findFlowByKeyAndHashId",
	"listHTTPhosts",
	"getLocalServerPorts",
	/* 8: MACs */
	"getMacsInfo",
	"getBatchedMacsInfo",
	"getActiveMacs",
	"isMacActive",
	"getMacInfo",
	"getMacHosts",
	"getMacManufacturers",
	"getMacDeviceTypes",
	"resetMacStats",
	"findMacPool",
	"findMemberPool",
	/* 9: nDPI */
	"getnDPIStats",
	"getnDPIHostStats",
	"getnDPIProtocols",
	"getnDPICategories",
	"getnDPIProtoName",
	"getnDPIFullProtoName",
	"getnDPIProtoId",
	"getnDPICategoryId",
	"getnDPICategoryName",
	"getnDPIProtoBreed",
	"getnDPIFlowsCount",
	/* added: the rest of sections 5-9, 13, 15, 24 */
	"getSecsToFirstData",
	"updateDirectionStats",
	"updateTopSites",
	"getPeriodicActivitiesStats",
	"setPeriodicActivityProgress",
	"getLiveASNStats",
	"getAnomalies",
	"getScore",
	/* 10: the alert store (issue 6) */
	"getAlerts",
	"getEngagedAlerts",
	"alert_store_query",
	"storeTriggeredAlert",
	"releaseTriggeredAlert",
	"triggerExternalAlert",
	"releaseExternalAlert",
	"releaseEngagedAlerts",
	"triggerTrafficAlert",
	"getCachedAlertValue",
	"setCachedAlertValue",
	"checkContext",
	"resetBroadcastDomains",
	"incSyslogStats",
	"getBatchedLocalHostsTs",
	"reloadHostPrefs",
	"resetHostTopSites",
	"addDataToLocalHostAssets",
	"removeDataFromLocalHostAssets",
	"addMacsIpAddresses",
	"dropHostTraffic",
	"updateHostTrafficPolicy",
	"findPidFlows",
	"findNameFlows",
	"dropFlowTraffic",
	"dropMultipleFlowsTraffic",
	"processFlow",
	"getAllZMQFlowFieldDescr",
	"getZMQFlowFieldDescr",
	"isMulticastMac",
	"deleteMacData",
	"appendMacEvent",
	"dumpnDPIProtocolId",
	"dumpnDPICategoryId",
	"getNetworksStats",
	"getNetworkStats",
	"getASesInfo",
	"getASInfo",
	"aggregateASNFlows",
	"aggregateSiteFlows",
	"getVLANsList",
	"getVLANsInfo",
	"getVLANInfo",
	"getCountriesInfo",
	"getCountryInfo",
	"convertCountryCode2U16",
	"convertCountryU162Code",
	"getObsPointsInfo",
	"getObsPointInfo",
	"prepareDeleteObsPoint",
	"deleteObsPoint",
	"insertIPACL",
	"removeIPACL",
	"insertMacACL",
	"removeMacACL",
	"getACLInfo",
	"updateSyslogProducers",
	"updateIPReassignment",
	"updateRanking",
	"swapHostnameIPCache",
	/* 12: host pools (the nEdge parts are in iface_absent.c) */
	"getHostPoolsInfo",
	"getHostPoolsStats",
	"getHostPoolStats",
	/* 14: service and periodicity maps */
	"isBehaviourAnalysisAvailable",
	"serviceMap",
	"periodicityMap",
	"serviceMapFilterList",
	"periodicityMapFilterList",
	"serviceMapLearningStatus",
	"flushServiceMap",
	"flushPeriodicityMap",
	"serviceMapSetStatus",
	"serviceMapSetMultipleStatus",
	/* 19: SQL over the live flows */
	"execInMemoryQuery",
	NULL,
};

void
lw_ifaces_open(void)
{
	for (int i = 0; i < lw_cfg.n_ifaces; i++) {
		struct lw_iface *f = &lw_cfg.ifaces[i];
		int rv = ipc_client_open(&f->client, LW_RPC_TIMEOUT_MS);
		if (rv == 0)
			rv = ipc_client_dial(&f->client, f->url);
		if (rv != 0) {
			log_error("interface %d (%s): cannot dial %s: %s",
			    f->ifid, f->name, f->url, nng_strerror(rv));
			continue;
		}
		f->open = true;
	}
}

void
lw_ifaces_close(void)
{
	for (int i = 0; i < lw_cfg.n_ifaces; i++)
		if (lw_cfg.ifaces[i].open) {
			ipc_client_close(&lw_cfg.ifaces[i].client);
			lw_cfg.ifaces[i].open = false;
		}
}

/* An unprivileged identity may be limited to one interface. */
static bool
iface_allowed(lua_State *L, int i)
{
	const struct ipc_ctx *ctx = lw_vm_of(L)->ctx;
	return ctx == NULL || ctx->allowed_ifname[0] == '\0' ||
	    strcmp(ctx->allowed_ifname, lw_cfg.ifaces[i].name) == 0;
}

/* Index of the interface named by the value at idx (an id as number or
 * decimal string, or a name), or -1. */
static int
find_iface(lua_State *L, int idx)
{
	if (lua_type(L, idx) == LUA_TNUMBER) {
		if (!lua_isinteger(L, idx))
			return -1;
		lua_Integer id = lua_tointeger(L, idx);
		for (int i = 0; i < lw_cfg.n_ifaces; i++)
			if (lw_cfg.ifaces[i].ifid == id && iface_allowed(L, i))
				return i;
		return -1;
	}
	if (lua_type(L, idx) != LUA_TSTRING)
		return -1;
	const char *s = lua_tostring(L, idx);
	char *end;
	long id = strtol(s, &end, 10);
	bool numeric = *s != '\0' && *end == '\0';
	for (int i = 0; i < lw_cfg.n_ifaces; i++) {
		const struct lw_iface *f = &lw_cfg.ifaces[i];
		if (((numeric && f->ifid == id) || strcmp(f->name, s) == 0) &&
		    iface_allowed(L, i))
			return i;
	}
	return -1;
}

int
lw_iface_index(lua_State *L, lua_Integer ifid)
{
	for (int i = 0; i < lw_cfg.n_ifaces; i++)
		if (lw_cfg.ifaces[i].ifid == ifid && iface_allowed(L, i))
			return i;
	return -1;
}

static struct lw_iface *
selected(lua_State *L, const char *fname)
{
	int i = lw_vm_of(L)->selected_iface;
	if (i < 0 || i >= lw_cfg.n_ifaces)
		luaL_error(L, "interface.%s: no interface selected", fname);
	return &lw_cfg.ifaces[i];
}

struct lw_iface *
lw_iface_selected(lua_State *L, const char *fname)
{
	return selected(L, fname);
}

static int
l_select(lua_State *L)
{
	if (lua_type(L, 1) != LUA_TNUMBER && lua_type(L, 1) != LUA_TSTRING)
		return luaL_error(L,
		    "interface.select: expected an interface id or name");
	int i = find_iface(L, 1);
	if (i < 0)
		return luaL_error(L, "interface.select: unknown interface '%s'",
		    luaL_tolstring(L, 1, NULL));
	lw_vm_of(L)->selected_iface = i;
	return 0;
}

static int
l_getIfNames(lua_State *L)
{
	lua_newtable(L);
	for (int i = 0; i < lw_cfg.n_ifaces; i++) {
		if (!iface_allowed(L, i))
			continue;
		lua_pushfstring(L, "%d", lw_cfg.ifaces[i].ifid);
		lua_pushstring(L, lw_cfg.ifaces[i].name);
		lua_rawset(L, -3);
	}
	return 1;
}

static int
l_getFirstInterfaceId(lua_State *L)
{
	for (int i = 0; i < lw_cfg.n_ifaces; i++)
		if (iface_allowed(L, i)) {
			lua_pushinteger(L, lw_cfg.ifaces[i].ifid);
			return 1;
		}
	return luaL_error(L, "interface.getFirstInterfaceId: no interface");
}

static int
l_getId(lua_State *L)
{
	lua_pushinteger(L, selected(L, "getId")->ifid);
	return 1;
}

static int
l_getName(lua_State *L)
{
	lua_pushstring(L, selected(L, "getName")->name);
	return 1;
}

static int
l_isValidIfId(lua_State *L)
{
	lua_pushboolean(L, find_iface(L, 1) >= 0);
	return 1;
}

static int
l_name2id(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TSTRING);
	int i = find_iface(L, 1);
	lua_pushinteger(L, i >= 0 ? lw_cfg.ifaces[i].ifid : -1);
	return 1;
}

/* ---- the generic marshaller ------------------------------------------- */

static int
remote_call(lua_State *L)
{
	const char *name = lua_tostring(L, lua_upvalueindex(1));
	const char *fullname = lua_tostring(L, lua_upvalueindex(2));
	int nargs = lua_gettop(L);
	struct lw_iface *f = selected(L, name);
	if (!f->open)
		return luaL_error(L, "%s: interface %s is not reachable",
		    fullname, f->name);
	return lw_rpc_call(L, &f->client, name, fullname, nargs);
}

static const luaL_Reg local_functions[] = {
	{"select", l_select},
	{"getIfNames", l_getIfNames},
	{"getFirstInterfaceId", l_getFirstInterfaceId},
	{"getId", l_getId},
	{"getName", l_getName},
	{"isValidIfId", l_isValidIfId},
	{"name2id", l_name2id},
	{NULL, NULL},
};

void
lw_push_interface_table(lua_State *L)
{
	lua_newtable(L);
	luaL_setfuncs(L, local_functions, 0);
	lw_push_iface_absent(L);
	lw_iface_rrd_queue_register(L);
	for (const char *const *m = remote_methods; *m; m++) {
		lua_pushstring(L, *m);
		lua_pushfstring(L, "interface.%s", *m);
		lua_pushcclosure(L, remote_call, 2);
		lua_setfield(L, -2, *m);
	}
}
