/* What every RPC handler file shares: the call, argument checking,
 * listing parameters, sorting and paging. The method table itself is in
 * rpc_handlers.c; each handler file (rpc_iface.c, rpc_hosts.c,
 * rpc_flows.c, rpc_macs.c, rpc_ndpi.c, rpc_geo.c, rpc_acl.c) declares its
 * handlers below. Every handler checks each argument's type and bounds
 * and answers IPC_ERR_BAD_REQUEST naming the method for a wrong one. */
#ifndef NETWARD_CAPTURE_RPC_COMMON_H
#define NETWARD_CAPTURE_RPC_COMMON_H

#include "envelope.h"
#include "iface.h"
#include "rpc_pack.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_PER_PAGE 10000
#define DEFAULT_PER_PAGE 10

struct host_peers;

struct call {
	const struct ipc_request *rq;
	struct ipc_writer *w;
	struct iface *ifc;
	/* the contacted peers a handler gathered before packing hosts with
	 * their details (host_peers.h), else NULL */
	const struct host_peers *peers;
};

typedef void (*method_fn)(struct call *c);

void fail(struct call *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool want_args(struct call *c, uint32_t min, uint32_t max);
/* Argument i, or NULL when absent or nil. */
const msgpack_object *arg(struct call *c, uint32_t i);
/* Lua numbers may arrive as floats; integral ones are accepted. */
bool obj_int(const msgpack_object *o, int64_t *v);
/* Typed arguments; false after replying with an error. */
bool arg_int(struct call *c, uint32_t i, bool required, int64_t min,
    int64_t max, int64_t *v);
bool arg_str(struct call *c, uint32_t i, bool required, char *buf,
    size_t len);
bool arg_bool(struct call *c, uint32_t i, bool required, bool *v);
/* An integer that may come as a decimal string (ntopng scripts pass
 * _GET values through). */
bool obj_int_or_str(const msgpack_object *o, int64_t *v);
/* The value of key k in map o; NULL when absent, nil, or o no map. */
const msgpack_object *map_field(const msgpack_object *o, const char *k);

/* (host[, vlan]) with host "ip" or "ip@vlan" at argument index i. */
bool host_args_at(struct call *c, uint32_t i, bool required, bool *given,
    uint8_t *ver, uint8_t ip[16], uint16_t *vlan);
/* Finds the host of (host[, vlan]) at argument 0 under the lock held by
 * the caller; replies NOT_FOUND and returns NULL when it is not there. */
struct host *find_host_arg(struct call *c, bool *bad);

void reply_nil(struct call *c);
void reply_bool(struct call *c, bool v);
void reply_u64(struct call *c, uint64_t v);

/* ---- listing parameters ------------------------------------------------ */

struct list_params {
	int64_t page, per_page;
	char sort[32];
	bool asc;
	bool has_host;
	uint8_t host_ver, host_ip[16];
	int64_t vlan;	 /* -1 = any */
	int64_t l4;	 /* -1 = any */
	char app[64];	 /* "" = any */
	char category[64];
	char country[4];
	int64_t os, asn, pool; /* -1 = any */
	int64_t network;       /* -1 = any local network id */
	char filter[64];       /* substring of ip or name */
	char traffic_type[16]; /* flows: unicast, broadcast_multicast, ... */
	char status[16];       /* flows: normal, alerted */
	char mac[24];
	bool has_mac;
	uint8_t mac_bytes[6];
	size_t need; /* leading items the caller will use; 0 = all */
};

/* The number of leading sorted items a page (or a batch ending at end)
 * uses: what a listing's struct topk has to keep. */
size_t page_need(const struct list_params *lp);

/* Parses the optional params table at argument index i (want_args is the
 * caller's). default_sort is used when none is given. */
bool parse_list_params_at(struct call *c, uint32_t i, struct list_params *lp,
    const char *default_sort);

/* ---- sorting and paging -------------------------------------------------- */

/* Sort keys are computed once per item: a number or a string. */
struct sort_item {
	const void *obj;
	uint64_t num;
	char str[64];
	uint32_t tie;
	/* what finds the object again after the lock was released: a flow
	 * by obj and its id (tie), a host by its key */
	uint8_t key_ver, key_ip[16];
	uint16_t key_vlan;
};

struct item_vec {
	struct sort_item *v;
	size_t n, cap;
	bool oom;
};

/* A new zeroed item at the end, or NULL (oom set). */
struct sort_item *iv_push(struct item_vec *iv, const void *obj,
    uint32_t tie);
void iv_free(struct item_vec *iv);
void sort_items(struct sort_item *v, size_t n, bool asc, bool by_str);
/* The first k items of a listing in sort order, chosen while walking:
 * a max-heap of at most k items whose root is the last one kept, so a
 * page of 100 among a million flows costs a comparison per flow and keeps
 * 100 items, not a million. k == 0 keeps every item. Items are compared
 * by key, then by tie (unique within a listing). */
struct topk {
	struct sort_item *v;
	size_t n, cap, k;
	size_t seen; /* items offered: the listing's total */
	bool asc, by_str, oom;
};

void topk_init(struct topk *t, size_t k, bool asc, bool by_str);
/* Keeps a copy of it when it is among the first k so far. */
void topk_offer(struct topk *t, const struct sort_item *it);
/* Puts the kept items in sort order in v[0..n). */
void topk_finish(struct topk *t);
void topk_free(struct topk *t);

/* Packs the items v[from, to) of a finished listing that still exist:
 * one(c, item, pk) packs the object of item and returns true, or false
 * when it is gone. Takes the iface lock per slice of items (the caller
 * does not hold it), so each object is packed whole under the lock and
 * never half-updated; one removed since the walk is left out. The
 * array (or map, as_map) header counts what was packed. */
size_t pack_live_items(struct call *c, const struct sort_item *v,
    size_t from, size_t to, bool as_map,
    bool (*one)(struct call *, const struct sort_item *, msgpack_packer *));

/* [from, to) of page lp->page of lp->per_page in n items. */
void page_bounds(const struct list_params *lp, size_t n, size_t *from,
    size_t *to);

/* The single seam for per-user visibility: every listing asks it before
 * returning a host or a flow (caller.c: the identity's allowed networks). */
bool ctx_may_see_host(const struct ipc_ctx *ctx, const struct host *h);
bool ctx_may_see_flow(const struct ipc_ctx *ctx, const struct flow *f);

/* MAC address text <-> bytes. */
bool mac_parse(const char *s, uint8_t mac[6]);
const char *mac_fmt(const uint8_t mac[6], char *buf /* 18 */);

/* ---- handlers, by file ------------------------------------------------------ */

/* rpc_custom_categories.c */
void m_load_custom_categories(struct call *c);

/* rpc_iface.c */
/* Bumped by rpc_dispatch for every method but getStats and ping: what
 * tells getStats' cache that its answer may be stale. */
extern atomic_ulong rpc_state_gen;
void m_ping(struct call *c);
void m_get_stats(struct call *c);
void m_get_num_flows(struct call *c);
void m_get_num_hosts(struct call *c);
void m_get_num_local_hosts(struct call *c);
void m_iface_flag(struct call *c);
void m_iface_identity(struct call *c);
void m_set_idle(struct call *c);
void m_get_throughput(struct call *c);
void m_get_hash_tables_stats(struct call *c);
void m_get_queues_stats(struct call *c);
void m_get_active_flows_stats(struct call *c);
void m_get_protocol_flows_stats(struct call *c);
void m_get_vlan_flows_stats(struct call *c);
void m_reset_counters(struct call *c);
void m_get_stats_update_freq(struct call *c);

/* rpc_hosts.c */
bool host_matches(struct iface *ifc, const struct list_params *lp,
    const struct host *h);
/* Resolved, DNS or DHCP name of h, or NULL. */
const char *host_display_name(const struct host *h);
void m_get_hosts_info(struct call *c);
void m_host_listing(struct call *c);
void m_get_batched_hosts(struct call *c);
void m_get_interface_hosts(struct call *c);
void m_get_rx_only_hosts(struct call *c);
void m_get_num_local_rx_only_hosts(struct call *c);
void m_get_host_info(struct call *c);
void m_get_host_min_info(struct call *c);
void m_is_host_active(struct call *c);
void m_find_host(struct call *c);
void m_find_host_by_mac(struct call *c);
void m_get_host_attributes(struct call *c);
void m_get_host_country(struct call *c);
void m_get_hosts_by_port(struct call *c);
void m_get_hosts_by_service(struct call *c);
void m_get_hosts_ports(struct call *c);
void m_get_address_info(struct call *c);
void m_set_host_os(struct call *c);
void m_set_host_name(struct call *c);
void m_reset_host_stats(struct call *c);
void m_delete_host_data(struct call *c);

/* rpc_flows.c */
bool flow_matches(struct iface *ifc, const struct list_params *lp,
    const struct flow *f);
void m_get_flows_info(struct call *c);
void m_get_batched_flows_info(struct call *c);
void m_get_grouped_flows(struct call *c);
void m_get_flows_stats(struct call *c);
void m_get_flows_status(struct call *c);
void m_find_flow_by_tuple(struct call *c);
void m_get_flow_key(struct call *c);
void m_find_flow_by_key(struct call *c);
void m_list_http_hosts(struct call *c);
void m_get_local_server_ports(struct call *c);

/* rpc_macs.c */
void m_get_macs_info(struct call *c);
void m_get_batched_macs_info(struct call *c);
void m_get_active_macs(struct call *c);
void m_is_mac_active(struct call *c);
void m_get_mac_info(struct call *c);
void m_get_mac_hosts(struct call *c);
void m_get_mac_manufacturers(struct call *c);
void m_get_mac_device_types(struct call *c);
void m_reset_mac_stats(struct call *c);
void m_find_pool(struct call *c);

/* rpc_ndpi.c */
void m_get_ndpi_stats(struct call *c);
void m_get_ndpi_host_stats(struct call *c);
void m_get_ndpi_protocols(struct call *c);
void m_get_ndpi_categories(struct call *c);
void m_get_ndpi_proto_name(struct call *c);
void m_get_ndpi_full_proto_name(struct call *c);
void m_get_ndpi_proto_id(struct call *c);
void m_get_ndpi_category_id(struct call *c);
void m_get_ndpi_category_name(struct call *c);
void m_get_ndpi_proto_breed(struct call *c);
void m_get_ndpi_flows_count(struct call *c);

/* rpc_misc.c */
void m_unsupported(struct call *c);
void m_get_secs_to_first_data(struct call *c);
void m_nothing_to_refresh(struct call *c);
void m_set_periodic_activity_progress(struct call *c);
void m_get_periodic_activities_stats(struct call *c);
void m_get_score(struct call *c);
void m_get_batched_local_hosts_ts(struct call *c);
void m_reload_host_prefs(struct call *c);
void m_reset_host_top_sites(struct call *c);
void m_add_host_assets(struct call *c);
void m_remove_host_assets(struct call *c);
void pack_host_assets(const struct host *h, struct mapb *m);
void pack_host_cats_seen(struct iface *ifc, const struct host *h,
    struct mapb *m);
void m_is_multicast_mac(struct call *c);
void m_delete_mac_data(struct call *c);
void m_dump_ndpi_id(struct call *c);
void m_update_ip_reassignment(struct call *c);

/* rpc_geo.c */
void m_agg_listing(struct call *c);
void m_get_as_info(struct call *c);
void m_get_country_info(struct call *c);
void m_get_vlan_info(struct call *c);
void m_get_vlans_list(struct call *c);
void m_get_networks_stats(struct call *c);
void m_get_network_stats(struct call *c);
void m_aggregate_asn_flows(struct call *c);
void m_convert_country_code(struct call *c);
void m_convert_country_u16(struct call *c);
void m_geo_databases(struct call *c);
void m_geo_lookup(struct call *c);
void m_geo_as_name(struct call *c);
void m_get_obs_points_info(struct call *c);
void m_obs_point(struct call *c);

/* rpc_behaviour.c */
void m_is_behaviour_available(struct call *c);
void m_service_map(struct call *c);
void m_periodicity_map(struct call *c);
void m_service_map_filter_list(struct call *c);
void m_periodicity_map_filter_list(struct call *c);
void m_flush_service_map(struct call *c);
void m_flush_periodicity_map(struct call *c);
void m_service_map_learning_status(struct call *c);
void m_service_map_set_status(struct call *c);
void m_service_map_set_multiple_status(struct call *c);

/* rpc_pools.c */
void m_set_host_pools(struct call *c);
void m_find_pool(struct call *c);
void rpc_pools_restore(struct iface *ifc);
void m_get_host_pools_info(struct call *c);
void m_get_host_pools_stats(struct call *c);
void m_get_host_pool_stats(struct call *c);

/* rpc_devtype.c */
void m_set_mac_device_type(struct call *c);
void rpc_devtype_restore(struct iface *ifc);

/* rpc_bpf.c */
void m_check_filter_syntax(struct call *c);

/* rpc_sql.c */
void m_exec_in_memory_query(struct call *c);

/* rpc_acl.c */
void m_insert_acl(struct call *c);
void m_remove_acl(struct call *c);
void m_get_acl_info(struct call *c);

#endif
