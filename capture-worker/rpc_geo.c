/* interface.* networks, autonomous systems, VLANs, countries and
 * observation points (section 13). Every statistic is an aggregate of
 * the hosts (and, for VLANs and networks, the flows) the caller may see,
 * computed under the interface lock when asked. ASes and countries need
 * the GeoIP databases (geoip.h); without them the calls say so. */
#include "rpc_common.h"

#include "geoip.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One aggregate: an AS, a country, a VLAN or a local network. */
struct agg {
	uint64_t id;	  /* asn, vlan id, network id, country as u16 */
	char name[64];	  /* asname, country code, network CIDR */
	struct traffic t; /* of its hosts (sent = by them) */
	uint64_t hosts, flows, flow_bytes, flow_pkts;
	uint64_t ingress, egress, inner; /* networks */
	uint64_t first_us, last_us;
};

struct aggs {
	struct agg *v;
	size_t n, cap;
	bool oom;
	struct call *c;
	enum { BY_AS, BY_COUNTRY, BY_VLAN, BY_NET } by;
};

static struct agg *
agg_get(struct aggs *a, uint64_t id, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].id == id)
			return &a->v[i];
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct agg *v = realloc(a->v, cap * sizeof *v);
		if (v == NULL) {
			a->oom = true;
			return NULL;
		}
		a->v = v;
		a->cap = cap;
	}
	struct agg *g = &a->v[a->n++];
	memset(g, 0, sizeof *g);
	g->id = id;
	snprintf(g->name, sizeof g->name, "%s", name ? name : "");
	return g;
}

static uint64_t
country_u16(const char *cc)
{
	return (uint64_t)(uint8_t)cc[0] << 8 | (uint8_t)cc[1];
}

static void
seen(struct agg *g, uint64_t first, uint64_t last)
{
	if (g->first_us == 0 || first < g->first_us)
		g->first_us = first;
	if (last > g->last_us)
		g->last_us = last;
}

static void
agg_host(struct host *h, void *arg)
{
	struct aggs *a = arg;
	struct agg *g = NULL;
	int net;

	if (!ctx_may_see_host(&a->c->rq->ctx, h))
		return;
	switch (a->by) {
	case BY_AS:
		if (h->asn == 0)
			return;
		g = agg_get(a, h->asn, h->asname);
		break;
	case BY_COUNTRY:
		if (h->country[0] == '\0')
			return;
		g = agg_get(a, country_u16(h->country), h->country);
		break;
	case BY_VLAN:
		g = agg_get(a, h->vlan, NULL);
		break;
	case BY_NET:
		if (!h->local || (net = localnets_index(&a->c->ifc->nets,
		    h->ipver, h->ip)) < 0)
			return;
		for (size_t i = 0; i < a->n; i++)
			if (a->v[i].id == (uint64_t)net)
				g = &a->v[i];
		break;
	}
	if (g == NULL)
		return;
	g->hosts++;
	g->t.bytes_sent += h->t.bytes_sent;
	g->t.bytes_rcvd += h->t.bytes_rcvd;
	g->t.pkts_sent += h->t.pkts_sent;
	g->t.pkts_rcvd += h->t.pkts_rcvd;
	seen(g, h->first_us, h->last_us);
}

static int
net_of(struct iface *ifc, const struct host *h)
{
	if (h == NULL || !h->local)
		return -1;
	return localnets_index(&ifc->nets, h->ipver, h->ip);
}

static void
agg_flow(struct flow *f, void *arg)
{
	struct aggs *a = arg;
	uint64_t b = f->bytes[0] + f->bytes[1];

	if (!ctx_may_see_flow(&a->c->rq->ctx, f))
		return;
	if (a->by == BY_VLAN) {
		struct agg *g = agg_get(a, f->vlan, NULL);
		if (g == NULL)
			return;
		g->flows++;
		g->flow_bytes += b;
		g->flow_pkts += f->pkts[0] + f->pkts[1];
		seen(g, f->first_us, f->last_us);
		return;
	}
	if (a->by != BY_NET)
		return;
	int cn = net_of(a->c->ifc, f->cli_host);
	int sn = net_of(a->c->ifc, f->srv_host);
	for (size_t i = 0; i < a->n; i++) {
		struct agg *g = &a->v[i];
		bool cli = g->id == (uint64_t)cn, srv = g->id == (uint64_t)sn;
		if (cli && srv)
			g->inner += b;
		else if (cli) {
			g->egress += f->bytes[DIR_C2S];
			g->ingress += f->bytes[DIR_S2C];
		} else if (srv) {
			g->ingress += f->bytes[DIR_C2S];
			g->egress += f->bytes[DIR_S2C];
		}
		if (cli || srv)
			g->flows++;
	}
}

/* Fills a (by); false after replying. The caller does not hold the
 * lock: hosts, then flows, are walked in slices (iface_walk_*), so the
 * totals are of a table that may change between slices (flow_table.h);
 * nothing of a host or flow is kept but its numbers. */
static bool
gather(struct call *c, struct aggs *a)
{
	iface_lock_rpc(c->ifc);
	if (a->by == BY_NET) {
		char ip[ADDR_STRLEN], cidr[64];
		for (int i = 0; i < c->ifc->nets.n; i++) {
			snprintf(cidr, sizeof cidr, "%s/%u",
			    addr_fmt(c->ifc->nets.net[i].ver,
				c->ifc->nets.net[i].ip, ip),
			    c->ifc->nets.net[i].prefix);
			agg_get(a, (uint64_t)i, cidr);
		}
	}
	pthread_mutex_unlock(&c->ifc->lock);
	iface_walk_hosts(c->ifc, agg_host, a);
	if (a->by == BY_VLAN || a->by == BY_NET)
		iface_walk_flows(c->ifc, agg_flow, a);
	if (a->oom) {
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return false;
	}
	return true;
}

static void
pack_agg(struct aggs *a, const struct agg *g, msgpack_packer *pk)
{
	struct mapb m;

	mb_init(&m);
	switch (a->by) {
	case BY_AS:
		mb_u64(&m, "asn", g->id);
		mb_str(&m, "asname", g->name);
		break;
	case BY_COUNTRY:
		mb_str(&m, "country", g->name);
		mb_str(&m, "country_code", g->name);
		break;
	case BY_VLAN:
		mb_u64(&m, "vlan_id", g->id);
		mb_u64(&m, "num_flows", g->flows);
		mb_u64(&m, "flows.bytes", g->flow_bytes);
		mb_u64(&m, "flows.packets", g->flow_pkts);
		break;
	case BY_NET:
		mb_u64(&m, "network_id", g->id);
		mb_str(&m, "network_key", g->name);
		mb_u64(&m, "ingress", g->ingress);
		mb_u64(&m, "egress", g->egress);
		mb_u64(&m, "inner", g->inner);
		mb_u64(&m, "num_flows", g->flows);
		break;
	}
	mb_u64(&m, "num_hosts", g->hosts);
	mb_u64(&m, "bytes.sent", g->t.bytes_sent);
	mb_u64(&m, "bytes.rcvd", g->t.bytes_rcvd);
	mb_u64(&m, "packets.sent", g->t.pkts_sent);
	mb_u64(&m, "packets.rcvd", g->t.pkts_rcvd);
	mb_u64(&m, "seen.first", g->first_us / 1000000u);
	mb_u64(&m, "seen.last", g->last_us / 1000000u);
	mb_end(&m, pk);
}

static bool
need_geo(struct call *c, bool asn)
{
	if (asn ? geo_has_asn() : geo_has_country())
		return true;
	fail(c, IPC_ERR_UNSUPPORTED, "%s", GEO_NO_DB);
	return false;
}

/* ---- listings: getASesInfo, getCountriesInfo, getVLANsInfo ----------------- */

static const struct listing {
	const char *method;
	int by;
	const char *list_key, *count_key, *default_sort;
} listings[] = {
	{ "getASesInfo", BY_AS, "ASes", "numASes", "asn" },
	{ "getCountriesInfo", BY_COUNTRY, "Countries", "numCountries",
	    "country" },
	{ "getVLANsInfo", BY_VLAN, "VLANs", "numVLANs", "vlan_id" },
};

void
m_agg_listing(struct call *c)
{
	const struct listing *l = NULL;
	struct list_params lp;
	struct aggs a = { .c = c };
	struct item_vec iv = { 0 };

	for (size_t i = 0; i < sizeof listings / sizeof listings[0]; i++)
		if (strcmp(listings[i].method, c->rq->method) == 0)
			l = &listings[i];
	if (l == NULL) {
		fail(c, IPC_ERR_INTERNAL, "no listing");
		return;
	}
	a.by = l->by;
	if (!want_args(c, 0, 1) ||
	    !parse_list_params_at(c, 0, &lp, l->default_sort))
		return;
	bool by_str = false;
	int col;
	if (strcmp(lp.sort, l->default_sort) == 0 ||
	    strcmp(lp.sort, "column_id") == 0)
		col = 0, by_str = l->by == BY_COUNTRY;
	else if (strcmp(lp.sort, "name") == 0 ||
	    strcmp(lp.sort, "asname") == 0)
		col = 1, by_str = true;
	else if (strcmp(lp.sort, "bytes") == 0 ||
	    strcmp(lp.sort, "traffic") == 0)
		col = 2;
	else if (strcmp(lp.sort, "hosts") == 0 ||
	    strcmp(lp.sort, "num_hosts") == 0)
		col = 3;
	else if (strcmp(lp.sort, "seen.first") == 0)
		col = 4;
	else if (strcmp(lp.sort, "seen.last") == 0)
		col = 5;
	else {
		fail(c, IPC_ERR_BAD_REQUEST, "unknown sortColumn '%s'",
		    lp.sort);
		return;
	}
	if (l->by != BY_VLAN && !need_geo(c, l->by == BY_AS))
		return;
	if (!gather(c, &a)) {
		free(a.v);
		return;
	}
	for (size_t i = 0; i < a.n; i++) {
		struct agg *g = &a.v[i];
		if (l->by == BY_VLAN && lp.vlan >= 0 && g->id != (uint64_t)lp.vlan)
			continue;
		if (l->by == BY_AS && lp.asn >= 0 && g->id != (uint64_t)lp.asn)
			continue;
		if (l->by == BY_COUNTRY && lp.country[0] &&
		    strcasecmp(lp.country, g->name) != 0)
			continue;
		struct sort_item *it = iv_push(&iv, g, (uint32_t)i);
		if (it == NULL)
			break;
		switch (col) {
		case 0:
			it->num = g->id;
			snprintf(it->str, sizeof it->str, "%s", g->name);
			break;
		case 1:
			snprintf(it->str, sizeof it->str, "%s", g->name);
			break;
		case 2:
			it->num = g->t.bytes_sent + g->t.bytes_rcvd;
			break;
		case 3:
			it->num = g->hosts;
			break;
		case 4:
			it->num = g->first_us;
			break;
		default:
			it->num = g->last_us;
		}
	}
	if (iv.oom) {
		fail(c, IPC_ERR_INTERNAL, "out of memory");
	} else {
		size_t from, to;
		sort_items(iv.v, iv.n, lp.asc, by_str);
		page_bounds(&lp, iv.n, &from, &to);
		ipc_reply_begin(c->w, c->rq->id);
		msgpack_pack_map(&c->w->pk, 2);
		ipc_pack_kv_u64(&c->w->pk, l->count_key, iv.n);
		ipc_pack_key(&c->w->pk, l->list_key);
		msgpack_pack_array(&c->w->pk, (uint32_t)(to - from));
		for (size_t i = from; i < to; i++)
			pack_agg(&a, iv.v[i].obj, &c->w->pk);
	}
	iv_free(&iv);
	free(a.v);
}

/* ---- single aggregates ------------------------------------------------------ */

static void
reply_one(struct call *c, struct aggs *a, uint64_t id, const char *what)
{
	bool ok = gather(c, a);
	if (ok) {
		const struct agg *g = NULL;
		for (size_t i = 0; i < a->n; i++)
			if (a->v[i].id == id)
				g = &a->v[i];
		if (g == NULL || (a->by != BY_NET && g->hosts == 0 &&
		    g->flows == 0))
			fail(c, IPC_ERR_NOT_FOUND, "no such %s", what);
		else {
			ipc_reply_begin(c->w, c->rq->id);
			pack_agg(a, g, &c->w->pk);
		}
	}
	free(a->v);
}

/* getASInfo(asn), getLiveASNStats(asn) */
void
m_get_as_info(struct call *c)
{
	struct aggs a = { .c = c, .by = BY_AS };
	int64_t asn;

	if (!want_args(c, 1, 1) || !arg_int(c, 0, true, 0, UINT32_MAX, &asn) ||
	    !need_geo(c, true))
		return;
	reply_one(c, &a, (uint64_t)asn, "AS");
}

/* getCountryInfo(code) */
void
m_get_country_info(struct call *c)
{
	struct aggs a = { .c = c, .by = BY_COUNTRY };
	char cc[8];

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, cc, sizeof cc))
		return;
	if (strlen(cc) != 2) {
		fail(c, IPC_ERR_BAD_REQUEST, "'%s' is not a 2-letter country "
		    "code", cc);
		return;
	}
	if (!need_geo(c, false))
		return;
	cc[0] = (char)(cc[0] & ~0x20);
	cc[1] = (char)(cc[1] & ~0x20);
	reply_one(c, &a, country_u16(cc), "country");
}

/* getVLANInfo(vlan_id) */
void
m_get_vlan_info(struct call *c)
{
	struct aggs a = { .c = c, .by = BY_VLAN };
	int64_t vlan;

	if (!want_args(c, 1, 1) || !arg_int(c, 0, true, 0, 4095, &vlan))
		return;
	reply_one(c, &a, (uint64_t)vlan, "VLAN");
}

/* getVLANsList(): the VLAN ids of the active hosts and flows, ascending */
void
m_get_vlans_list(struct call *c)
{
	struct aggs a = { .c = c, .by = BY_VLAN };
	uint8_t seenv[4096] = { 0 };
	uint32_t n = 0;

	if (!want_args(c, 0, 0))
		return;
	bool ok = gather(c, &a);
	if (ok) {
		for (size_t i = 0; i < a.n; i++)
			n += !seenv[a.v[i].id & 4095]++;
		ipc_reply_begin(c->w, c->rq->id);
		msgpack_pack_array(&c->w->pk, n);
		for (int v = 0; v < 4096; v++)
			if (seenv[v])
				msgpack_pack_uint64(&c->w->pk, (uint64_t)v);
	}
	free(a.v);
}

/* getNetworksStats(): {CIDR = stats} of every --local-nets network */
void
m_get_networks_stats(struct call *c)
{
	struct aggs a = { .c = c, .by = BY_NET };

	if (!want_args(c, 0, 0))
		return;
	bool ok = gather(c, &a);
	if (ok) {
		ipc_reply_begin(c->w, c->rq->id);
		msgpack_pack_map(&c->w->pk, (uint32_t)a.n);
		for (size_t i = 0; i < a.n; i++) {
			ipc_pack_str(&c->w->pk, a.v[i].name);
			pack_agg(&a, &a.v[i], &c->w->pk);
		}
	}
	free(a.v);
}

/* getNetworkStats(network_id) */
void
m_get_network_stats(struct call *c)
{
	struct aggs a = { .c = c, .by = BY_NET };
	int64_t id;

	if (!want_args(c, 1, 1) ||
	    !arg_int(c, 0, true, 0, LOCALNETS_MAX - 1, &id))
		return;
	reply_one(c, &a, (uint64_t)id, "local network");
}

/* aggregateASNFlows(): AS statistics are aggregated when asked, so there
 * is nothing to trigger; without an ASN database it says so. */
void
m_aggregate_asn_flows(struct call *c)
{
	if (!want_args(c, 0, 0) || !need_geo(c, true))
		return;
	reply_nil(c);
}

/* ---- country codes ----------------------------------------------------------- */

void
m_convert_country_code(struct call *c)
{
	char cc[8];

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, cc, sizeof cc))
		return;
	if (strlen(cc) != 2 || cc[0] < 'A' || cc[0] > 'z' || cc[1] < 'A' ||
	    cc[1] > 'z') {
		fail(c, IPC_ERR_BAD_REQUEST, "'%s' is not a 2-letter country "
		    "code", cc);
		return;
	}
	reply_u64(c, country_u16(cc));
}

void
m_convert_country_u16(struct call *c)
{
	int64_t n;
	char cc[3];

	if (!want_args(c, 1, 1) || !arg_int(c, 0, true, 0, 65535, &n))
		return;
	cc[0] = (char)(n >> 8);
	cc[1] = (char)(n & 0xff);
	cc[2] = '\0';
	if (cc[0] < 'A' || cc[0] > 'z' || cc[1] < 'A' || cc[1] > 'z') {
		fail(c, IPC_ERR_BAD_REQUEST, "%lld is not a country code",
		    (long long)n);
		return;
	}
	ipc_reply_begin(c->w, c->rq->id);
	ipc_pack_str(&c->w->pk, cc);
}

/* ---- lookups of any address (ntop.hasGeoIP, getASName, ...) ----------------- */

/* geoDatabases(): {asn = bool, city = bool}, which databases are open */
void
m_geo_databases(struct call *c)
{
	struct mapb m;

	if (!want_args(c, 0, 0))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_bool(&m, "asn", geo_has_asn());
	mb_bool(&m, "city", geo_has_country());
	mb_end(&m, &c->w->pk);
}

/* geoLookup(ip): what the databases say of an address, seen or not:
 * {asn, asname, country, city, continent, latitude, longitude}, each
 * only when known; an empty map when the address is in none. */
void
m_geo_lookup(struct call *c)
{
	char s[INET6_ADDRSTRLEN];
	uint8_t ip[16] = {0}, ver = 4;
	struct geo_place p;
	struct mapb m;

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, s, sizeof s))
		return;
	if (inet_pton(AF_INET, s, ip) != 1) {
		ver = 6;
		if (inet_pton(AF_INET6, s, ip) != 1) {
			fail(c, IPC_ERR_BAD_REQUEST, "'%s' is not an IP "
			    "address", s);
			return;
		}
	}
	if (!geo_has_asn() && !geo_has_country()) {
		fail(c, IPC_ERR_UNSUPPORTED, "%s", GEO_NO_DB);
		return;
	}
	geo_lookup_place(ver, ip, &p);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	if (p.id.asn != 0) {
		mb_u64(&m, "asn", p.id.asn);
		mb_str(&m, "asname", p.id.asname);
	}
	if (p.id.country[0] != '\0')
		mb_str(&m, "country", p.id.country);
	if (p.city[0] != '\0')
		mb_str(&m, "city", p.city);
	if (p.continent[0] != '\0')
		mb_str(&m, "continent", p.continent);
	if (p.has_location) {
		mb_dbl(&m, "latitude", p.latitude);
		mb_dbl(&m, "longitude", p.longitude);
	}
	mb_end(&m, &c->w->pk);
}

struct as_name {
	uint32_t asn;
	char name[48];
};

static void
find_as_name(struct host *h, void *arg)
{
	struct as_name *a = arg;

	if (a->name[0] == '\0' && h->geo_done && h->asn == a->asn &&
	    h->asname[0] != '\0')
		snprintf(a->name, sizeof a->name, "%s", h->asname);
}

/* geoASName(asn): the name the ASN database gave an address of that AS
 * among the hosts of this interface; nil when none was seen (a MaxMind
 * database is indexed by address, not by AS number). */
void
m_geo_as_name(struct call *c)
{
	struct as_name a = { 0 };
	int64_t asn;

	if (!want_args(c, 1, 1) || !arg_int(c, 0, true, 1, UINT32_MAX, &asn) ||
	    !need_geo(c, true))
		return;
	a.asn = (uint32_t)asn;
	iface_lock_rpc(c->ifc);
	ht_foreach(&c->ifc->hosts, find_as_name, &a);
	pthread_mutex_unlock(&c->ifc->lock);
	if (a.name[0] == '\0')
		reply_nil(c);
	else {
		ipc_reply_begin(c->w, c->rq->id);
		ipc_pack_str(&c->w->pk, a.name);
	}
}

/* ---- observation points ------------------------------------------------------- */

/* Observation point ids come in nProbe's flow exports (ZMQ collector
 * interfaces); a packet interface has none, so a listing is empty and
 * asking for one is NOT_FOUND (nil). */
void
m_get_obs_points_info(struct call *c)
{
	struct list_params lp;

	if (!want_args(c, 0, 1) ||
	    !parse_list_params_at(c, 0, &lp, "obs_point"))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, 2);
	ipc_pack_kv_u64(&c->w->pk, "numObsPoints", 0);
	ipc_pack_key(&c->w->pk, "ObsPoints");
	msgpack_pack_array(&c->w->pk, 0);
}

void
m_obs_point(struct call *c)
{
	int64_t id;

	if (!want_args(c, 1, 1) || !arg_int(c, 0, true, 0, UINT32_MAX, &id))
		return;
	fail(c, IPC_ERR_NOT_FOUND, "no observation point %lld (they come "
	    "from nProbe flow exports; this is a packet interface)",
	    (long long)id);
}
