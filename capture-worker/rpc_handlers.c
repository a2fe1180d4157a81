/* The capture worker's RPC methods: one table (name, handler, roles that
 * may call it). Arguments are the Lua call's arguments; each is checked
 * for type and count, and a wrong one is IPC_ERR_BAD_REQUEST naming the
 * method. Every handler reads the interface under iface->lock. The
 * handlers live by concern in rpc_iface.c, rpc_hosts.c, rpc_flows.c,
 * rpc_macs.c and rpc_ndpi.c (helpers: rpc_common.c). */
#include "rpc_handlers.h"

#include "log.h"
#include "rpc_common.h"
#include "rpc_alerts.h"
#include "caller.h"

#include <string.h>

enum role { ROLE_ADMIN = 1, ROLE_UNPRIV = 2, ROLE_SYSTEM = 4 };
#define ROLES_ANY (ROLE_ADMIN | ROLE_UNPRIV | ROLE_SYSTEM)
#define ROLES_WRITE (ROLE_ADMIN | ROLE_SYSTEM)

/* ---- the method table ------------------------------------------------- */
static const struct method {
	const char *name;
	method_fn fn;
	unsigned roles;
} methods[] = {
	{ "ping", m_ping, ROLES_ANY },
	/* section 3, 4: identity and flags */
	{ "getMasterInterfaceId", m_iface_identity, ROLES_ANY },
	{ "getMaxIfSpeed", m_iface_identity, ROLES_ANY },
	{ "getEndpoint", m_iface_identity, ROLES_ANY },
	{ "getIfMac", m_iface_identity, ROLES_ANY },
	{ "viewedBy", m_iface_identity, ROLES_ANY },
	{ "isPacketInterface", m_iface_flag, ROLES_ANY },
	{ "isDiscoverableInterface", m_iface_flag, ROLES_ANY },
	{ "isBridgeInterface", m_iface_flag, ROLES_ANY },
	{ "isPcapDumpInterface", m_iface_flag, ROLES_ANY },
	{ "isDatabaseViewInterface", m_iface_flag, ROLES_ANY },
	{ "isZMQInterface", m_iface_flag, ROLES_ANY },
	{ "isView", m_iface_flag, ROLES_ANY },
	{ "isViewed", m_iface_flag, ROLES_ANY },
	{ "isLoopback", m_iface_flag, ROLES_ANY },
	{ "isRunning", m_iface_flag, ROLES_ANY },
	{ "isIdle", m_iface_flag, ROLES_ANY },
	{ "isSubInterface", m_iface_flag, ROLES_ANY },
	{ "isSyslogInterface", m_iface_flag, ROLES_ANY },
	{ "hasVLANs", m_iface_flag, ROLES_ANY },
	{ "hasEBPF", m_iface_flag, ROLES_ANY },
	{ "hasExternalAlerts", m_iface_flag, ROLES_ANY },
	{ "setInterfaceIdleState", m_set_idle, ROLES_WRITE },
	/* section 5: statistics */
	{ "getStats", m_get_stats, ROLES_ANY },
	{ "getStatsUpdateFreq", m_get_stats_update_freq, ROLES_ANY },
	{ "getThroughput", m_get_throughput, ROLES_ANY },
	{ "getHashTablesStats", m_get_hash_tables_stats, ROLES_ANY },
	{ "getQueuesStats", m_get_queues_stats, ROLES_ANY },
	{ "getActiveFlowsStats", m_get_active_flows_stats, ROLES_ANY },
	{ "getProtocolFlowsStats", m_get_protocol_flows_stats, ROLES_ANY },
	{ "getVLANFlowsStats", m_get_vlan_flows_stats, ROLES_ANY },
	{ "resetCounters", m_reset_counters, ROLES_WRITE },
	/* section 6: hosts */
	{ "getNumFlows", m_get_num_flows, ROLES_ANY },
	{ "getNumHosts", m_get_num_hosts, ROLES_ANY },
	{ "getNumLocalHosts", m_get_num_local_hosts, ROLES_ANY },
	{ "getNumLocalRxOnlyHosts", m_get_num_local_rx_only_hosts, ROLES_ANY },
	{ "getHostsInfo", m_host_listing, ROLES_ANY },
	{ "getLocalHostsInfo", m_host_listing, ROLES_ANY },
	{ "getRemoteHostsInfo", m_host_listing, ROLES_ANY },
	{ "getLocalHostsInfoNoTX", m_host_listing, ROLES_ANY },
	{ "getLocalHostsInfoNoTXTCP", m_host_listing, ROLES_ANY },
	{ "getRemoteHostsInfoNoTX", m_host_listing, ROLES_ANY },
	{ "getRemoteHostsInfoNoTXTCP", m_host_listing, ROLES_ANY },
	{ "getBroadcastDomainHostsInfo", m_host_listing, ROLES_ANY },
	{ "getBroadcastMulticastHostsInfo", m_host_listing, ROLES_ANY },
	{ "getPublicHostsInfo", m_host_listing, ROLES_ANY },
	{ "getBatchedHostsInfo", m_get_batched_hosts, ROLES_ANY },
	{ "getBatchedLocalHostsInfo", m_get_batched_hosts, ROLES_ANY },
	{ "getBatchedRemoteHostsInfo", m_get_batched_hosts, ROLES_ANY },
	{ "getInterfaceHosts", m_get_interface_hosts, ROLES_ANY },
	{ "getRxOnlyHostsList", m_get_rx_only_hosts, ROLES_ANY },
	{ "getHostInfo", m_get_host_info, ROLES_ANY },
	{ "getHostMinInfo", m_get_host_min_info, ROLES_ANY },
	{ "isHostActive", m_is_host_active, ROLES_ANY },
	{ "findHost", m_find_host, ROLES_ANY },
	{ "findHostByMac", m_find_host_by_mac, ROLES_ANY },
	{ "getHostAttributes", m_get_host_attributes, ROLES_ANY },
	{ "getHostCountry", m_get_host_country, ROLES_ANY },
	{ "getHostsByPort", m_get_hosts_by_port, ROLES_ANY },
	{ "getHostsByService", m_get_hosts_by_service, ROLES_ANY },
	{ "getHostsPorts", m_get_hosts_ports, ROLES_ANY },
	{ "getAddressInfo", m_get_address_info, ROLES_ANY },
	{ "setHostOperatingSystem", m_set_host_os, ROLES_WRITE },
	{ "setHostResolvedName", m_set_host_name, ROLES_WRITE },
	{ "resetHostStats", m_reset_host_stats, ROLES_WRITE },
	{ "deleteHostData", m_delete_host_data, ROLES_WRITE },
	/* section 7: flows */
	{ "getFlowsInfo", m_get_flows_info, ROLES_ANY },
	{ "getBatchedFlowsInfo", m_get_batched_flows_info, ROLES_ANY },
	{ "getGroupedFlows", m_get_grouped_flows, ROLES_ANY },
	{ "getFlowsStats", m_get_flows_stats, ROLES_ANY },
	{ "getFlowsStatus", m_get_flows_status, ROLES_ANY },
	{ "findFlowByTuple", m_find_flow_by_tuple, ROLES_ANY },
	{ "getFlowKey", m_get_flow_key, ROLES_ANY },
	{ "findFlowByKeyAndHashId", m_find_flow_by_key, ROLES_ANY },
	{ "listHTTPhosts", m_list_http_hosts, ROLES_ANY },
	{ "getLocalServerPorts", m_get_local_server_ports, ROLES_ANY },
	/* section 8: MACs */
	{ "getMacsInfo", m_get_macs_info, ROLES_ANY },
	{ "getBatchedMacsInfo", m_get_batched_macs_info, ROLES_ANY },
	{ "getActiveMacs", m_get_active_macs, ROLES_ANY },
	{ "isMacActive", m_is_mac_active, ROLES_ANY },
	{ "getMacInfo", m_get_mac_info, ROLES_ANY },
	{ "getMacHosts", m_get_mac_hosts, ROLES_ANY },
	{ "getMacManufacturers", m_get_mac_manufacturers, ROLES_ANY },
	{ "getMacDeviceTypes", m_get_mac_device_types, ROLES_ANY },
	{ "setMacDeviceType", m_set_mac_device_type, ROLES_WRITE },
	{ "resetMacStats", m_reset_mac_stats, ROLES_WRITE },
	{ "findMacPool", m_find_pool, ROLES_ANY },
	{ "findMemberPool", m_find_pool, ROLES_ANY },
	/* section 9: nDPI */
	{ "getnDPIStats", m_get_ndpi_stats, ROLES_ANY },
	{ "getnDPIHostStats", m_get_ndpi_host_stats, ROLES_ANY },
	{ "getnDPIProtocols", m_get_ndpi_protocols, ROLES_ANY },
	{ "getnDPICategories", m_get_ndpi_categories, ROLES_ANY },
	{ "getnDPIProtoName", m_get_ndpi_proto_name, ROLES_ANY },
	{ "getnDPIFullProtoName", m_get_ndpi_full_proto_name, ROLES_ANY },
	{ "getnDPIProtoId", m_get_ndpi_proto_id, ROLES_ANY },
	{ "getnDPICategoryId", m_get_ndpi_category_id, ROLES_ANY },
	{ "getnDPICategoryName", m_get_ndpi_category_name, ROLES_ANY },
	{ "getnDPIProtoBreed", m_get_ndpi_proto_breed, ROLES_ANY },
	{ "getnDPIFlowsCount", m_get_ndpi_flows_count, ROLES_ANY },
	{ "loadCustomCategories", m_load_custom_categories, ROLES_WRITE },
	/* section 5, missing until now */
	{ "getSecsToFirstData", m_get_secs_to_first_data, ROLES_ANY },
	{ "updateDirectionStats", m_nothing_to_refresh, ROLES_WRITE },
	{ "updateTopSites", m_nothing_to_refresh, ROLES_WRITE },
	{ "getPeriodicActivitiesStats", m_get_periodic_activities_stats,
	    ROLES_ANY },
	{ "setPeriodicActivityProgress", m_set_periodic_activity_progress,
	    ROLES_WRITE },
	{ "getLiveASNStats", m_get_as_info, ROLES_ANY },
	{ "getAnomalies", m_unsupported, ROLES_ANY },
	{ "getScore", m_get_score, ROLES_ANY },
	{ "resetBroadcastDomains", m_nothing_to_refresh, ROLES_WRITE },
	{ "incSyslogStats", m_unsupported, ROLES_WRITE },
	/* section 6 */
	{ "getBatchedLocalHostsTs", m_get_batched_local_hosts_ts, ROLES_ANY },
	{ "reloadHostPrefs", m_reload_host_prefs, ROLES_WRITE },
	{ "resetHostTopSites", m_reset_host_top_sites, ROLES_WRITE },
	{ "addDataToLocalHostAssets", m_add_host_assets, ROLES_WRITE },
	{ "removeDataFromLocalHostAssets", m_remove_host_assets, ROLES_WRITE },
	{ "addMacsIpAddresses", m_nothing_to_refresh, ROLES_WRITE },
	{ "dropHostTraffic", m_unsupported, ROLES_WRITE },
	{ "updateHostTrafficPolicy", m_unsupported, ROLES_WRITE },
	/* section 7 */
	{ "findPidFlows", m_unsupported, ROLES_ANY },
	{ "findNameFlows", m_unsupported, ROLES_ANY },
	{ "dropFlowTraffic", m_unsupported, ROLES_WRITE },
	{ "dropMultipleFlowsTraffic", m_unsupported, ROLES_WRITE },
	{ "processFlow", m_unsupported, ROLES_WRITE },
	{ "getAllZMQFlowFieldDescr", m_unsupported, ROLES_ANY },
	{ "getZMQFlowFieldDescr", m_unsupported, ROLES_ANY },
	/* section 8 */
	{ "isMulticastMac", m_is_multicast_mac, ROLES_ANY },
	{ "deleteMacData", m_delete_mac_data, ROLES_WRITE },
	{ "appendMacEvent", m_unsupported, ROLES_WRITE },
	/* section 9 */
	{ "dumpnDPIProtocolId", m_dump_ndpi_id, ROLES_WRITE },
	{ "dumpnDPICategoryId", m_dump_ndpi_id, ROLES_WRITE },
	/* section 13: networks, ASes, VLANs, countries, observation points */
	{ "getNetworksStats", m_get_networks_stats, ROLES_ANY },
	{ "getNetworkStats", m_get_network_stats, ROLES_ANY },
	{ "getASesInfo", m_agg_listing, ROLES_ANY },
	{ "getASInfo", m_get_as_info, ROLES_ANY },
	{ "aggregateASNFlows", m_aggregate_asn_flows, ROLES_WRITE },
	{ "aggregateSiteFlows", m_unsupported, ROLES_WRITE },
	{ "getVLANsList", m_get_vlans_list, ROLES_ANY },
	{ "getVLANsInfo", m_agg_listing, ROLES_ANY },
	{ "getVLANInfo", m_get_vlan_info, ROLES_ANY },
	{ "getCountriesInfo", m_agg_listing, ROLES_ANY },
	{ "getCountryInfo", m_get_country_info, ROLES_ANY },
	{ "convertCountryCode2U16", m_convert_country_code, ROLES_ANY },
	{ "convertCountryU162Code", m_convert_country_u16, ROLES_ANY },
	{ "geoDatabases", m_geo_databases, ROLES_ANY },
	{ "geoLookup", m_geo_lookup, ROLES_ANY },
	{ "geoASName", m_geo_as_name, ROLES_ANY },
	/* ntop.checkFilterSyntax (rpc_bpf.c) */
	{ "checkFilterSyntax", m_check_filter_syntax, ROLES_ANY },
	{ "getObsPointsInfo", m_get_obs_points_info, ROLES_ANY },
	{ "getObsPointInfo", m_obs_point, ROLES_ANY },
	{ "prepareDeleteObsPoint", m_obs_point, ROLES_WRITE },
	{ "deleteObsPoint", m_obs_point, ROLES_WRITE },
	/* section 12: host pools (rpc_pools.c; quotas are nEdge) */
	{ "getHostPoolsInfo", m_get_host_pools_info, ROLES_ANY },
	{ "getHostPoolsStats", m_get_host_pools_stats, ROLES_ANY },
	{ "getHostPoolStats", m_get_host_pool_stats, ROLES_ANY },
	{ "setHostPools", m_set_host_pools, ROLES_WRITE },
	/* section 14: service and periodicity maps (rpc_behaviour.c) */
	{ "isBehaviourAnalysisAvailable", m_is_behaviour_available,
	    ROLES_ANY },
	{ "serviceMap", m_service_map, ROLES_ANY },
	{ "periodicityMap", m_periodicity_map, ROLES_ANY },
	{ "serviceMapFilterList", m_service_map_filter_list, ROLES_ANY },
	{ "periodicityMapFilterList", m_periodicity_map_filter_list,
	    ROLES_ANY },
	{ "serviceMapLearningStatus", m_service_map_learning_status,
	    ROLES_ANY },
	{ "flushServiceMap", m_flush_service_map, ROLES_WRITE },
	{ "flushPeriodicityMap", m_flush_periodicity_map, ROLES_WRITE },
	{ "serviceMapSetStatus", m_service_map_set_status, ROLES_WRITE },
	{ "serviceMapSetMultipleStatus", m_service_map_set_multiple_status,
	    ROLES_WRITE },
	/* section 19: SQL over the live flows (rpc_sql.c) */
	{ "execInMemoryQuery", m_exec_in_memory_query, ROLES_ANY },
	/* section 15: ACLs */
	{ "insertIPACL", m_insert_acl, ROLES_WRITE },
	{ "removeIPACL", m_remove_acl, ROLES_WRITE },
	{ "insertMacACL", m_insert_acl, ROLES_WRITE },
	{ "removeMacACL", m_remove_acl, ROLES_WRITE },
	{ "getACLInfo", m_get_acl_info, ROLES_ANY },
	/* section 24 */
	{ "updateSyslogProducers", m_unsupported, ROLES_WRITE },
	{ "updateIPReassignment", m_update_ip_reassignment, ROLES_WRITE },
	{ "updateRanking", m_unsupported, ROLES_WRITE },
	{ "swapHostnameIPCache", m_nothing_to_refresh, ROLES_WRITE },
	/* issue 6: flow checks (ntop.getFlowChecksStats, reloadFlowChecks) */
	{ "getFlowChecksStats", m_get_flow_checks_stats, ROLES_ANY },
	{ "setFlowChecksDisabled", m_set_flow_checks_disabled, ROLES_WRITE },
	/* section 10: the alert store (alert_store.c) */
	{ "getAlerts", m_get_alerts, ROLES_ANY },
	{ "getEngagedAlerts", m_get_engaged_alerts, ROLES_ANY },
	{ "alert_store_query", m_alert_store_query, ROLES_ANY },
	{ "storeTriggeredAlert", m_store_triggered_alert, ROLES_WRITE },
	{ "releaseTriggeredAlert", m_release_triggered_alert, ROLES_WRITE },
	{ "triggerExternalAlert", m_trigger_external_alert, ROLES_WRITE },
	{ "releaseExternalAlert", m_release_external_alert, ROLES_WRITE },
	{ "releaseEngagedAlerts", m_release_engaged_alerts, ROLES_WRITE },
	{ "triggerTrafficAlert", m_trigger_traffic_alert, ROLES_WRITE },
	{ "getCachedAlertValue", m_get_cached_alert_value, ROLES_ANY },
	{ "setCachedAlertValue", m_set_cached_alert_value, ROLES_WRITE },
	{ "checkContext", m_check_context, ROLES_ANY },
	/* issue 6: host checks, exclusions, internal alerts (ntop.*) */
	{ "setHostChecksConfig", m_set_host_checks_config, ROLES_WRITE },
	{ "getHostChecksStats", m_get_host_checks_stats, ROLES_ANY },
	{ "setAlertExclusions", m_set_alert_exclusions, ROLES_WRITE },
	{ "popInternalAlerts", m_pop_internal_alerts, ROLES_WRITE },
	/* ntop.getSystemAlertsStats, get/resetBlacklistStats */
	{ "getAlertStoreStats", m_get_alert_store_stats, ROLES_ANY },
	{ "getBlacklistStats", m_get_blacklist_stats, ROLES_ANY },
	{ "resetBlacklistStats", m_reset_blacklist_stats, ROLES_WRITE },
};

static unsigned
caller_role(const struct ipc_ctx *ctx)
{
	if (strcmp(ctx->group, "administrator") == 0)
		return ROLE_ADMIN;
	if (strcmp(ctx->group, "system") == 0)
		return ROLE_SYSTEM;
	return ROLE_UNPRIV; /* anything else gets the least */
}

void
rpc_dispatch(const struct ipc_request *rq, struct ipc_writer *reply,
    void *arg)
{
	struct call c = { rq, reply, arg, NULL };

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		if (strcmp(methods[i].name, rq->method) != 0)
			continue;
		/* Liveness needs no identity; everything else does. */
		const char *why = methods[i].fn == m_ping ? NULL :
		    caller_refusal(&rq->ctx, c.ifc->name);
		if (why != NULL) {
			log_warn("%s refused: %s (user \"%.64s\")", rq->method,
			    why, rq->ctx.user);
			fail(&c, IPC_ERR_DENIED, "%s", why);
			return;
		}
		if (!(methods[i].roles & caller_role(&rq->ctx))) {
			fail(&c, IPC_ERR_DENIED, "not allowed for group '%s'",
			    rq->ctx.group);
			return;
		}
		/* before and after: a getStats packed while fn runs is not
		 * kept under either generation */
		bool changes = methods[i].fn != m_get_stats &&
		    methods[i].fn != m_ping;
		if (changes)
			atomic_fetch_add(&rpc_state_gen, 1);
		methods[i].fn(&c);
		if (changes)
			atomic_fetch_add(&rpc_state_gen, 1);
		return;
	}
	ipc_reply_error(reply, rq->id, IPC_ERR_UNKNOWN_METHOD,
	    "unknown method '%s'", rq->method);
}
