/* The interface.* functions of subsystems netward does not have: SNMP
 * polling and NetFlow/sFlow exporters (no collector), ClickHouse, eBPF
 * containers, nEdge inline policies and quotas, RADIUS, active discovery
 * (ARP scan, ping sweep, mDNS: no worker may send raw frames), and
 * packet capture to pcap (not built: no worker writes packets to disk).
 *
 * These fail the same way on every interface, so the Lua worker answers
 * them itself, without asking a capture worker: a Lua error
 * "interface.<name>: not available in netward: <why>". The few that only
 * ask about a state that never exists here answer the truth instead: no
 * live capture runs, so dumpLiveCaptures() is empty, isCaptureRunning()
 * false, stopRunningCapture() has nothing to stop and stopLiveCapture(id)
 * finds no such capture (false). None returns a made-up value. */
#include "lw.h"

#include <lauxlib.h>
#include <string.h>

#define NO_SNMP "netward has no SNMP engine"
#define NO_FLOWDEV "flow exporters (NetFlow/IPFIX) are seen only by a " \
	"ZMQ/collector interface; netward captures packets and collects no " \
	"flow records"
#define NO_SFLOW "sFlow agents are seen only by a collector interface; " \
	"netward captures packets and collects no sFlow"
#define NO_NEDGE "nEdge inline (bridge) mode is not running; this " \
	"interface only observes traffic"
#define NO_QUOTA "host pool quotas are enforced only in nEdge inline " \
	"(bridge) mode; this interface only observes traffic"
#define NO_BLACKLIST "dynamic pool blacklists are nEdge (captive portal); " \
	"this interface only observes traffic"
#define NO_CH "netward has no ClickHouse backend"
#define NO_EBPF "container and pod information comes from eBPF (nProbe " \
	"Agent); packets carry none"
#define NO_COMPANION "netward has no companion interfaces (ntopng's flow " \
	"export between interfaces)"
#define NO_RADIUS "netward has no RADIUS support (nEdge captive portal)"
#define NO_ACTIVE "active discovery sends packets: the capture workers " \
	"only observe and the Lua workers may not open raw sockets"
#define NO_PCAP "capture to pcap is not built: no netward worker writes " \
	"packets to disk"

static const struct absent {
	const char *name;
	const char *why;
} absent[] = {
	/* 11. SNMP and flow devices */
	{ "getSNMPStats", NO_SNMP },
	{ "getFlowDevices", NO_FLOWDEV },
	{ "getFlowDeviceInfo", NO_FLOWDEV },
	{ "getFlowDeviceInfoByIP", NO_FLOWDEV },
	/* 12. the nEdge parts of host pools */
	{ "getHostUsedQuotasStats", NO_QUOTA },
	{ "resetPoolsQuotas", NO_QUOTA },
	{ "flushPoolDynamicBlacklist", NO_BLACKLIST },
	{ "getPoolDynamicBlacklistStats", NO_BLACKLIST },
	{ "getPoolDynamicBlacklistMembers", NO_BLACKLIST },
	/* 16. discovery */
	{ "discoverHosts", NO_ACTIVE },
	{ "arpScanHosts", NO_ACTIVE },
	{ "mdnsQueueAnyQuery", NO_ACTIVE },
	{ "mdnsQueueNameToResolve", NO_ACTIVE },
	{ "mdnsReadQueuedResponses", NO_ACTIVE },
	/* 17. live capture: the actions */
	{ "liveCapture", NO_PCAP },
	{ "captureToPcap", NO_PCAP },
	/* 19. ClickHouse */
	{ "clickhouseExecCSVQuery", NO_CH },
	{ "clickhouseArchiveData", NO_CH },
	{ "execSQLWrite", NO_CH },
	{ "chTsEnqueue", NO_CH },
	{ "chTsDequeue", NO_CH },
	{ "chTsQueueLen", NO_CH },
	{ "execSQLQuery", "the historical flows database (ClickHouse/MySQL) "
	    "is not part of netward" },
	/* 20. sFlow */
	{ "getSFlowDevices", NO_SFLOW },
	{ "getSFlowDeviceInfo", NO_SFLOW },
	/* 21. eBPF */
	{ "getContainersStats", NO_EBPF },
	{ "getPodsStats", NO_EBPF },
	{ "reloadCompanions", NO_COMPANION },
	/* 22. nEdge */
	{ "reloadL7Rules", NO_NEDGE },
	{ "reloadShapers", NO_NEDGE },
	{ "updateFlowsShapers", NO_NEDGE },
	{ "getPolicyChangeMarker", NO_NEDGE },
	{ "getl7PolicyInfo", NO_NEDGE },
	{ "addLanIPAddress", NO_NEDGE },
	{ "updateTrafficMirrored", NO_NEDGE },
	{ "updateSmartRecording", NO_NEDGE },
	{ "updateDynIfaceTrafficPolicy", NO_NEDGE },
	{ "updatePushFiltersSettings", NO_NEDGE },
	{ "updateLbdIdentifier", NO_NEDGE },
	{ "updateFlowsOnlyInterface", NO_NEDGE },
	{ "loadScalingFactorPrefs", NO_NEDGE },
	{ "reloadGwMacs", NO_NEDGE },
	{ "reloadDhcpRanges", NO_NEDGE },
	/* 23. RADIUS */
	{ "radiusAccountingStart", NO_RADIUS },
	{ "radiusAccountingStop", NO_RADIUS },
	{ "radiusAccountingUpdate", NO_RADIUS },
};

static int
absent_call(lua_State *L)
{
	const struct absent *a = lua_touserdata(L, lua_upvalueindex(1));
	return luaL_error(L, "interface.%s: not available in netward: %s",
	    a->name, a->why);
}

/* ---- 17. live capture state: none ever runs --------------------------- */

static void
no_args(lua_State *L, const char *fname, int max)
{
	int n = lua_gettop(L);
	while (n > 0 && lua_isnil(L, n))
		n--;
	if (n > max)
		luaL_error(L, "interface.%s: expected at most %d argument%s",
		    fname, max, max == 1 ? "" : "s");
}

static int
l_dumpLiveCaptures(lua_State *L)
{
	no_args(L, "dumpLiveCaptures", 0);
	lua_newtable(L);
	return 1;
}

static int
l_isCaptureRunning(lua_State *L)
{
	no_args(L, "isCaptureRunning", 0);
	lua_pushboolean(L, 0);
	return 1;
}

static int
l_stopRunningCapture(lua_State *L)
{
	no_args(L, "stopRunningCapture", 0);
	return 0;
}

static int
l_stopLiveCapture(lua_State *L)
{
	no_args(L, "stopLiveCapture", 1);
	if (!lua_isinteger(L, 1) && lua_type(L, 1) != LUA_TSTRING)
		return luaL_error(L, "interface.stopLiveCapture: expected a "
		    "capture id");
	lua_pushboolean(L, 0); /* no such capture */
	return 1;
}

static const luaL_Reg capture_state[] = {
	{ "dumpLiveCaptures", l_dumpLiveCaptures },
	{ "isCaptureRunning", l_isCaptureRunning },
	{ "stopRunningCapture", l_stopRunningCapture },
	{ "stopLiveCapture", l_stopLiveCapture },
	{ NULL, NULL },
};

void
lw_push_iface_absent(lua_State *L)
{
	luaL_checktype(L, -1, LUA_TTABLE);
	for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
		lua_pushlightuserdata(L, (void *)&absent[i]);
		lua_pushcclosure(L, absent_call, 1);
		lua_setfield(L, -2, absent[i].name);
	}
	luaL_setfuncs(L, capture_state, 0);
}
