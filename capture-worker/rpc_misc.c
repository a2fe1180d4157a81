/* The interface.* calls of sections 5-9 and 24 that are about state
 * beside the traffic tables (periodic activity progress, host assets,
 * nDPI observations) or about subsystems a packet capture does not have
 * (nEdge inline policies, eBPF processes, ZMQ/nProbe export, syslog).
 * The latter answer IPC_ERR_UNSUPPORTED with the reason: the Lua caller
 * gets an error saying why, never a made-up value. */
#include "rpc_common.h"

#include "host_info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- what a packet interface cannot do ------------------------------------ */

static const struct absent {
	const char *method;
	const char *why;
} absent[] = {
	{ "dropHostTraffic", "needs nEdge inline (bridge) mode; this "
	    "interface only observes traffic" },
	{ "updateHostTrafficPolicy", "traffic policies are nEdge inline "
	    "(bridge) mode; this interface only observes traffic" },
	{ "dropFlowTraffic", "needs nEdge inline (bridge) mode; this "
	    "interface only observes traffic" },
	{ "dropMultipleFlowsTraffic", "needs nEdge inline (bridge) mode; "
	    "this interface only observes traffic" },
	{ "appendMacEvent", "captive-portal events are nEdge; this interface "
	    "only observes traffic" },
	{ "findPidFlows", "process information comes from eBPF (nProbe "
	    "Agent); packets carry no process ids" },
	{ "findNameFlows", "process information comes from eBPF (nProbe "
	    "Agent); packets carry no process names" },
	{ "processFlow", "flow records are injected only into ZMQ/collector "
	    "interfaces; this is a packet interface" },
	{ "getAllZMQFlowFieldDescr", "flow field descriptions come from a "
	    "ZMQ exporter's templates; this is a packet interface" },
	{ "getZMQFlowFieldDescr", "flow field descriptions come from a ZMQ "
	    "exporter's templates; this is a packet interface" },
	{ "incSyslogStats", "not a syslog interface" },
	{ "updateSyslogProducers", "not a syslog interface" },
	{ "updateRanking", "site ranking is an ntopng Pro feature that "
	    "netward does not have" },
	{ "aggregateSiteFlows", "site aggregation is an ntopng Pro feature "
	    "that netward does not have" },
	{ "getAnomalies", "behavioural anomaly detection (ntopng Pro) is not "
	    "part of netward" },
};

void
m_unsupported(struct call *c)
{
	for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
		if (strcmp(absent[i].method, c->rq->method) == 0) {
			fail(c, IPC_ERR_UNSUPPORTED, "%s", absent[i].why);
			return;
		}
	fail(c, IPC_ERR_UNSUPPORTED, "not available on this interface");
}

/* ---- section 5 -------------------------------------------------------------- */

/* Seconds from the first packet to now (a live device) or to the last
 * packet (a file: its own clock); 0 before any packet. */
void
m_get_secs_to_first_data(struct call *c)
{
	uint64_t secs = 0;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	if (c->ifc->packets > 0) {
		uint64_t end = c->ifc->is_file ? c->ifc->last_us :
		    (uint64_t)time(NULL) * 1000000u;
		if (end > c->ifc->first_us)
			secs = (end - c->ifc->first_us) / 1000000u;
	}
	pthread_mutex_unlock(&c->ifc->lock);
	reply_u64(c, secs);
}

/* Direction, top-site, broadcast-domain and MAC-IP statistics are derived
 * from the tables when asked, so there is nothing to refresh or reset:
 * these calls succeed and return nil, as ntopng's do. */
void
m_nothing_to_refresh(struct call *c)
{
	if (!want_args(c, 0, 0))
		return;
	reply_nil(c);
}

#define MAX_ACTIVITIES 64
static struct activity {
	char name[64];
	int64_t progress;
	uint64_t updated;
} activities[MAX_ACTIVITIES];
static size_t n_activities;
static pthread_mutex_t act_lock = PTHREAD_MUTEX_INITIALIZER;

/* setPeriodicActivityProgress(activity, progress_pct) */
void
m_set_periodic_activity_progress(struct call *c)
{
	char name[64];
	int64_t pct;

	if (!want_args(c, 2, 2) || !arg_str(c, 0, true, name, sizeof name) ||
	    !arg_int(c, 1, true, 0, 100, &pct))
		return;
	if (name[0] == '\0') {
		fail(c, IPC_ERR_BAD_REQUEST, "activity name is empty");
		return;
	}
	pthread_mutex_lock(&act_lock);
	size_t i;
	for (i = 0; i < n_activities; i++)
		if (strcmp(activities[i].name, name) == 0)
			break;
	if (i == n_activities && n_activities < MAX_ACTIVITIES)
		snprintf(activities[n_activities++].name, 64, "%s", name);
	if (i < n_activities) {
		activities[i].progress = pct;
		activities[i].updated = (uint64_t)time(NULL);
	}
	pthread_mutex_unlock(&act_lock);
	if (i >= MAX_ACTIVITIES)
		fail(c, IPC_ERR_BAD_REQUEST, "more than %d activities",
		    MAX_ACTIVITIES);
	else
		reply_nil(c);
}

/* {activity = {progress, last_update}} of the progress reported above
 * (the periodic scripts themselves run in the Lua workers). */
void
m_get_periodic_activities_stats(struct call *c)
{
	struct mapb m;

	if (!want_args(c, 0, 0))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	pthread_mutex_lock(&act_lock);
	for (size_t i = 0; i < n_activities; i++) {
		struct mapb e;
		mb_init(&e);
		mb_i64(&e, "progress", activities[i].progress);
		mb_u64(&e, "last_update", activities[i].updated);
		mb_end(&e, mb_key(&m, activities[i].name));
	}
	pthread_mutex_unlock(&act_lock);
	mb_end(&m, &c->w->pk);
}

/* getScore(): the interface's score is the sum of its hosts' scores
 * (each the client or server part of its alerted flows' scores,
 * flow_checks.c), as ntopng sums them, over the hosts the caller sees. */
struct score_sum {
	const struct ipc_ctx *ctx;
	uint64_t cli, srv, hosts;
};

static void
sum_score(struct host *h, void *arg)
{
	struct score_sum *s = arg;

	if (!ctx_may_see_host(s->ctx, h))
		return;
	s->cli += h->score_as_cli;
	s->srv += h->score_as_srv;
	s->hosts++;
}

void
m_get_score(struct call *c)
{
	struct mapb m;
	struct score_sum s = { .ctx = &c->rq->ctx };

	if (!want_args(c, 0, 0))
		return;
	iface_walk_hosts(c->ifc, sum_score, &s);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_u64(&m, "score", s.cli + s.srv);
	mb_u64(&m, "score_as_cli", s.cli);
	mb_u64(&m, "score_as_srv", s.srv);
	mb_u64(&m, "num_hosts", s.hosts);
	mb_end(&m, &c->w->pk);
}

/* ---- section 6 -------------------------------------------------------------- */

/* getBatchedLocalHostsTs(cursor, count): the time-series points of local
 * hosts, count at a time from cursor, as ntopng's ts_utils reads them. */
struct ts_walk {
	struct call *c;
	struct item_vec iv;
	uint32_t seq;
};

static void
collect_local(struct host *h, void *arg)
{
	struct ts_walk *tw = arg;
	struct sort_item *it;

	if (!h->local || !ctx_may_see_host(&tw->c->rq->ctx, h))
		return;
	if ((it = iv_push(&tw->iv, h, tw->seq++)) != NULL)
		host_key(h, it->str, sizeof it->str);
}

void
m_get_batched_local_hosts_ts(struct call *c)
{
	int64_t cursor = 0, count = DEFAULT_PER_PAGE;
	struct ts_walk tw = { .c = c };
	char key[ADDR_STRLEN + 8];

	if (!want_args(c, 0, 2) ||
	    !arg_int(c, 0, false, 0, INT32_MAX, &cursor) ||
	    !arg_int(c, 1, false, 1, MAX_PER_PAGE, &count))
		return;
	iface_lock_rpc(c->ifc);
	ht_foreach(&c->ifc->hosts, collect_local, &tw);
	if (tw.iv.oom) {
		pthread_mutex_unlock(&c->ifc->lock);
		iv_free(&tw.iv);
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	sort_items(tw.iv.v, tw.iv.n, true, true);
	size_t from = (size_t)cursor < tw.iv.n ? (size_t)cursor : tw.iv.n;
	size_t to = from + (size_t)count < tw.iv.n ? from + (size_t)count :
	    tw.iv.n;
	uint64_t tstamp = c->ifc->last_us / 1000000u;
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, 2);
	ipc_pack_kv_u64(&c->w->pk, "nextSlot", to < tw.iv.n ? to : 0);
	ipc_pack_key(&c->w->pk, "hosts");
	msgpack_pack_map(&c->w->pk, (uint32_t)(to - from));
	for (size_t i = from; i < to; i++) {
		const struct host *h = tw.iv.v[i].obj;
		struct mapb m;
		ipc_pack_str(&c->w->pk, host_key(h, key, sizeof key));
		mb_init(&m);
		mb_str(&m, "host", addr_fmt(h->ipver, h->ip, key));
		mb_u64(&m, "vlan", h->vlan);
		mb_u64(&m, "tstamp", tstamp);
		mb_u64(&m, "bytes.sent", h->t.bytes_sent);
		mb_u64(&m, "bytes.rcvd", h->t.bytes_rcvd);
		mb_u64(&m, "packets.sent", h->t.pkts_sent);
		mb_u64(&m, "packets.rcvd", h->t.pkts_rcvd);
		mb_u64(&m, "active_flows.as_client", h->active_as_client);
		mb_u64(&m, "active_flows.as_server", h->active_as_server);
		mb_u64(&m, "total_flows.as_client", h->total_as_client);
		mb_u64(&m, "total_flows.as_server", h->total_as_server);
		mb_u64(&m, "score", h->score_as_cli + h->score_as_srv);
		mb_end(&m, &c->w->pk);
	}
	pthread_mutex_unlock(&c->ifc->lock);
	iv_free(&tw.iv);
}

/* (host[, vlan]) calls that only need the host to exist: per-host
 * preferences live in Redis and are read by the Lua side, so there is
 * nothing cached here to reload. */
void
m_reload_host_prefs(struct call *c)
{
	bool bad;

	if (!want_args(c, 1, 2))
		return;
	iface_lock_rpc(c->ifc);
	struct host *h = find_host_arg(c, &bad);
	pthread_mutex_unlock(&c->ifc->lock);
	if (h != NULL)
		reply_nil(c);
	else if (!bad)
		fail(c, IPC_ERR_NOT_FOUND, "no such host");
}

/* resetHostTopSites(host, vlan): the sites a host was seen contacting are
 * the names its traffic revealed (DNS, TLS SNI, HTTP Host); forget them. */
void
m_reset_host_top_sites(struct call *c)
{
	bool bad;

	if (!want_args(c, 1, 2))
		return;
	iface_lock_rpc(c->ifc);
	struct host *h = find_host_arg(c, &bad);
	if (h != NULL) {
		memset(h->names, 0, sizeof h->names);
		memset(h->name_src, 0, sizeof h->name_src);
		h->nnames = 0;
	}
	pthread_mutex_unlock(&c->ifc->lock);
	if (h != NULL)
		reply_nil(c);
	else if (!bad)
		fail(c, IPC_ERR_NOT_FOUND, "no such host");
}

/* Asset data of local hosts: ip -> a few string attributes. */
#define MAX_ASSETS 4096
#define ASSET_FIELDS 8
static struct asset {
	uint8_t ver, ip[16];
	int nf;
	char key[ASSET_FIELDS][32], val[ASSET_FIELDS][128];
} *assets;
static size_t n_assets;
static pthread_mutex_t asset_lock = PTHREAD_MUTEX_INITIALIZER;

static struct asset *
asset_find(uint8_t ver, const uint8_t ip[16])
{
	for (size_t i = 0; i < n_assets; i++)
		if (assets[i].ver == ver && memcmp(assets[i].ip, ip, 16) == 0)
			return &assets[i];
	return NULL;
}

static bool
ip_arg(struct call *c, uint8_t *ver, uint8_t ip[16])
{
	char buf[64];

	if (!arg_str(c, 0, true, buf, sizeof buf))
		return false;
	if (!addr_parse(buf, ver, ip)) {
		fail(c, IPC_ERR_BAD_REQUEST, "'%s' is not an IP address", buf);
		return false;
	}
	return true;
}

/* addDataToLocalHostAssets(ip, {key = string|number, ...}) */
void
m_add_host_assets(struct call *c)
{
	uint8_t ver, ip[16];
	const msgpack_object *t;
	struct asset a;

	if (!want_args(c, 2, 2) || !ip_arg(c, &ver, ip))
		return;
	if ((t = arg(c, 1)) == NULL || t->type != MSGPACK_OBJECT_MAP) {
		fail(c, IPC_ERR_BAD_REQUEST, "argument 2 must be a table");
		return;
	}
	if (t->via.map.size > ASSET_FIELDS) {
		fail(c, IPC_ERR_BAD_REQUEST, "at most %d asset fields",
		    ASSET_FIELDS);
		return;
	}
	if (!localnets_contains(&c->ifc->nets, ver, ip)) {
		fail(c, IPC_ERR_BAD_REQUEST, "not a local host address");
		return;
	}
	memset(&a, 0, sizeof a);
	a.ver = ver;
	memcpy(a.ip, ip, 16);
	for (uint32_t i = 0; i < t->via.map.size; i++) {
		const msgpack_object_kv *kv = &t->via.map.ptr[i];
		int64_t n;
		if (!ipc_obj_strcpy(&kv->key, a.key[a.nf], sizeof a.key[0])) {
			fail(c, IPC_ERR_BAD_REQUEST, "asset keys are strings "
			    "of < 32 bytes");
			return;
		}
		if (obj_int(&kv->val, &n))
			snprintf(a.val[a.nf], sizeof a.val[0], "%lld",
			    (long long)n);
		else if (!ipc_obj_strcpy(&kv->val, a.val[a.nf],
		    sizeof a.val[0])) {
			fail(c, IPC_ERR_BAD_REQUEST, "asset '%s': a string of "
			    "< 128 bytes or an integer", a.key[a.nf]);
			return;
		}
		a.nf++;
	}
	pthread_mutex_lock(&asset_lock);
	struct asset *slot = asset_find(ver, ip);
	if (slot == NULL && n_assets < MAX_ASSETS) {
		if (assets == NULL)
			assets = calloc(MAX_ASSETS, sizeof *assets);
		if (assets != NULL)
			slot = &assets[n_assets++];
	}
	if (slot != NULL)
		*slot = a;
	pthread_mutex_unlock(&asset_lock);
	if (slot == NULL)
		fail(c, IPC_ERR_INTERNAL, "asset table full");
	else
		reply_nil(c);
}

/* removeDataFromLocalHostAssets(ip): true if there was a record. */
void
m_remove_host_assets(struct call *c)
{
	uint8_t ver, ip[16];

	if (!want_args(c, 1, 1) || !ip_arg(c, &ver, ip))
		return;
	pthread_mutex_lock(&asset_lock);
	struct asset *a = asset_find(ver, ip);
	if (a != NULL)
		*a = assets[--n_assets];
	pthread_mutex_unlock(&asset_lock);
	reply_bool(c, a != NULL);
}

/* Packs the asset record of h as "assets" into m, if there is one. */
void
pack_host_assets(const struct host *h, struct mapb *m)
{
	pthread_mutex_lock(&asset_lock);
	struct asset *a = asset_find(h->ipver, h->ip);
	if (a != NULL) {
		struct mapb e;
		mb_init(&e);
		for (int i = 0; i < a->nf; i++)
			mb_str(&e, a->key[i], a->val[i]);
		mb_end(&e, mb_key(m, "assets"));
	}
	pthread_mutex_unlock(&asset_lock);
}

/* "ndpi_categories_seen": names of the categories dumpnDPICategoryId
 * recorded for h. */
void
pack_host_cats_seen(struct iface *ifc, const struct host *h, struct mapb *m)
{
	uint32_t n = 0;

	for (int i = 0; i < 256; i++)
		n += (h->cats_seen[i >> 6] >> (i & 63)) & 1;
	if (n == 0)
		return;
	msgpack_packer *pk = mb_key(m, "ndpi_categories_seen");
	msgpack_pack_array(pk, n);
	for (int i = 0; i < 256; i++)
		if ((h->cats_seen[i >> 6] >> (i & 63)) & 1)
		{
			const char *name = ndpi_category_get_name(ifc->ndpi,
			    (ndpi_protocol_category_t)i);
			ipc_pack_str(pk, name ? name : "Unknown");
		}
}

/* ---- section 8 -------------------------------------------------------------- */

void
m_is_multicast_mac(struct call *c)
{
	char buf[24];
	uint8_t a[6];

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, buf, sizeof buf))
		return;
	if (!mac_parse(buf, a)) {
		fail(c, IPC_ERR_BAD_REQUEST, "'%s' is not a MAC address", buf);
		return;
	}
	reply_bool(c, mac_is_multicast(a));
}

/* deleteMacData(mac): forgets the MAC; true if it was there. */
void
m_delete_mac_data(struct call *c)
{
	char buf[24];
	uint8_t a[6];

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, buf, sizeof buf))
		return;
	if (!mac_parse(buf, a)) {
		fail(c, IPC_ERR_BAD_REQUEST, "'%s' is not a MAC address", buf);
		return;
	}
	iface_lock_rpc(c->ifc);
	bool found = mt_remove(&c->ifc->macs, a);
	pthread_mutex_unlock(&c->ifc->lock);
	reply_bool(c, found);
}

/* ---- section 9 -------------------------------------------------------------- */

/* dumpnDPIProtocolId(host, vlan, proto_id), dumpnDPICategoryId(host,
 * vlan, cat_id): record that the host was seen with the protocol (an
 * entry with no traffic in its nDPI breakdown, so getnDPIHostStats lists
 * it) or category (listed under the host's "ndpi_categories_seen"). */
void
m_dump_ndpi_id(struct call *c)
{
	bool is_cat = strcmp(c->rq->method, "dumpnDPICategoryId") == 0;
	int64_t id;
	bool bad;

	if (!want_args(c, 3, 3))
		return;
	if (!arg_int(c, 2, true, 0, is_cat ? (NDPI_PROTOCOL_NUM_CATEGORIES < 256 ?
	    NDPI_PROTOCOL_NUM_CATEGORIES : 256) - 1 :
	    (int64_t)c->ifc->nprotos - 1, &id))
		return;
	iface_lock_rpc(c->ifc);
	struct host *h = find_host_arg(c, &bad);
	bool ok = h != NULL;
	if (h != NULL && !is_cat)
		ok = host_proto_get(h, (uint16_t)id) != NULL;
	else if (h != NULL)
		h->cats_seen[(id >> 6) & 3] |= (uint64_t)1 << (id & 63);
	pthread_mutex_unlock(&c->ifc->lock);
	if (ok)
		reply_nil(c);
	else if (h != NULL)
		fail(c, IPC_ERR_INTERNAL, "out of memory");
	else if (!bad)
		fail(c, IPC_ERR_NOT_FOUND, "no such host");
}

/* ---- section 24 ------------------------------------------------------------- */

/* updateIPReassignment({ip = ..., mac = ...[, vlan = n]}): the address
 * now belongs to that MAC (a DHCP lease moved); the host follows. */
void
m_update_ip_reassignment(struct call *c)
{
	const msgpack_object *t;
	char ip_s[64] = "", mac_s[24] = "";
	uint8_t ver, ip[16], mac[6];
	int64_t vlan = 0;

	if (!want_args(c, 1, 1))
		return;
	if ((t = arg(c, 0)) == NULL || t->type != MSGPACK_OBJECT_MAP) {
		fail(c, IPC_ERR_BAD_REQUEST, "argument 1 must be a table");
		return;
	}
	for (uint32_t i = 0; i < t->via.map.size; i++) {
		const msgpack_object_kv *kv = &t->via.map.ptr[i];
		char k[8];
		if (!ipc_obj_strcpy(&kv->key, k, sizeof k))
			continue;
		if (strcmp(k, "ip") == 0 &&
		    !ipc_obj_strcpy(&kv->val, ip_s, sizeof ip_s))
			ip_s[0] = '\0';
		if (strcmp(k, "mac") == 0 &&
		    !ipc_obj_strcpy(&kv->val, mac_s, sizeof mac_s))
			mac_s[0] = '\0';
		if (strcmp(k, "vlan") == 0 && (!obj_int_or_str(&kv->val,
		    &vlan) || vlan < 0 || vlan > 4095)) {
			fail(c, IPC_ERR_BAD_REQUEST, "vlan must be 0..4095");
			return;
		}
	}
	if (!addr_parse(ip_s, &ver, ip) || !mac_parse(mac_s, mac)) {
		fail(c, IPC_ERR_BAD_REQUEST, "needs {ip = address, mac = "
		    "MAC address}");
		return;
	}
	iface_lock_rpc(c->ifc);
	struct host *h = ht_find(&c->ifc->hosts, ver, ip, (uint16_t)vlan);
	if (h != NULL) {
		memcpy(h->mac, mac, 6);
		h->has_mac = true;
	}
	pthread_mutex_unlock(&c->ifc->lock);
	reply_nil(c);
}
