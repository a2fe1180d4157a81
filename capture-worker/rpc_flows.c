#define _GNU_SOURCE /* strcasestr */
/* interface.* flow methods (section 7): listings with filters, batches,
 * grouping, counters, lookups by tuple and by key. */
#include "rpc_common.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum flow_sort {
	FS_BYTES, FS_PACKETS, FS_FIRST, FS_LAST, FS_DURATION, FS_CLIENT,
	FS_SERVER, FS_PROTOCOL, FS_VLAN, FS_L4, FS_CLI_PORT, FS_SRV_PORT,
	FS_KEY
};

static const struct {
	const char *name;
	enum flow_sort col;
	bool by_str;
} flow_sorts[] = {
	{ "bytes", FS_BYTES, false },	      { "packets", FS_PACKETS, false },
	{ "first_seen", FS_FIRST, false },    { "seen.first", FS_FIRST, false },
	{ "last_seen", FS_LAST, false },      { "seen.last", FS_LAST, false },
	{ "duration", FS_DURATION, false },   { "client", FS_CLIENT, true },
	{ "server", FS_SERVER, true },	      { "protocol", FS_PROTOCOL, true },
	{ "application", FS_PROTOCOL, true }, { "proto.ndpi", FS_PROTOCOL, true },
	{ "vlan", FS_VLAN, false },	      { "l4proto", FS_L4, false },
	{ "proto.l4", FS_L4, false },	      { "cli.port", FS_CLI_PORT, false },
	{ "srv.port", FS_SRV_PORT, false },   { "hash_entry_id", FS_KEY, false },
};

struct flow_walk {
	struct call *c;
	const struct list_params *lp;
	enum flow_sort col;
	struct topk tk;
};

static bool
is_unicast(const struct flow *f)
{
	return !addr_is_multicast(f->ipver, f->srv_ip) &&
	    !addr_is_broadcast(f->ipver, f->srv_ip);
}

bool
flow_matches(struct iface *ifc, const struct list_params *lp,
    const struct flow *f)
{
	if (lp->vlan >= 0 && f->vlan != lp->vlan)
		return false;
	if (lp->l4 >= 0 && f->l4proto != lp->l4)
		return false;
	if (lp->has_host &&
	    (f->ipver != lp->host_ver ||
		(memcmp(f->cli_ip, lp->host_ip, 16) != 0 &&
		    memcmp(f->srv_ip, lp->host_ip, 16) != 0)))
		return false;
	if (lp->app[0]) {
		const char *app = ndpi_get_proto_name(ifc->ndpi,
		    f->proto.app_protocol);
		const char *master = ndpi_get_proto_name(ifc->ndpi,
		    f->proto.master_protocol);
		char full[64], *end;
		long id = strtol(lp->app, &end, 10);
		ndpi_protocol2name(ifc->ndpi, f->proto, full, sizeof full);
		if (*end == '\0' ? (id != f->proto.app_protocol &&
				       id != f->proto.master_protocol) :
		    (strcasecmp(lp->app, full) != 0 &&
			strcasecmp(lp->app, app ? app : "") != 0 &&
			strcasecmp(lp->app, master ? master : "") != 0))
			return false;
	}
	if (lp->category[0]) {
		char *end;
		long id = strtol(lp->category, &end, 10);
		const char *n = ndpi_category_get_name(ifc->ndpi,
		    f->proto.category);
		if (*end == '\0' ? id != (long)f->proto.category :
				   strcasecmp(lp->category, n ? n : "") != 0)
			return false;
	}
	if (lp->traffic_type[0]) {
		bool uni = is_unicast(f);
		bool one_way = f->pkts[DIR_S2C] == 0;
		if ((strcmp(lp->traffic_type, "unicast") == 0 && !uni) ||
		    (strcmp(lp->traffic_type, "broadcast_multicast") == 0 &&
			uni) ||
		    (strcmp(lp->traffic_type, "one_way") == 0 && !one_way) ||
		    (strcmp(lp->traffic_type, "bidirectional") == 0 &&
			one_way))
			return false;
	}
	if (lp->status[0] && strcmp(lp->status, "normal") != 0)
		return false; /* no flow alerts yet: every flow is normal */
	return true;
}

static bool
check_flow_params(struct call *c, const struct list_params *lp)
{
	static const char *const tt[] = { "", "unicast",
		"broadcast_multicast", "one_way", "bidirectional" };
	bool ok = false;

	for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
		ok |= strcmp(lp->traffic_type, tt[i]) == 0;
	if (!ok) {
		fail(c, IPC_ERR_BAD_REQUEST, "unknown traffic_type '%s'",
		    lp->traffic_type);
		return false;
	}
	if (lp->status[0] && strcmp(lp->status, "normal") != 0 &&
	    strcmp(lp->status, "alerted") != 0) {
		fail(c, IPC_ERR_BAD_REQUEST, "status must be normal or "
		    "alerted");
		return false;
	}
	return true;
}

/* Runs under the lock, one slice at a time (iface_walk_flows): offers
 * f's sort item to the page's selection. */
static void
collect_flow(struct flow *f, void *arg)
{
	struct flow_walk *fw = arg;
	struct sort_item it;

	if (!flow_matches(fw->c->ifc, fw->lp, f) ||
	    !ctx_may_see_flow(&fw->c->rq->ctx, f))
		return;
	it.obj = f;
	it.tie = f->id;
	it.num = 0;
	it.str[0] = '\0';
	switch (fw->col) {
	case FS_BYTES:
		it.num = f->bytes[0] + f->bytes[1];
		break;
	case FS_PACKETS:
		it.num = f->pkts[0] + f->pkts[1];
		break;
	case FS_FIRST:
		it.num = f->first_us;
		break;
	case FS_LAST:
		it.num = f->last_us;
		break;
	case FS_DURATION:
		it.num = f->last_us - f->first_us;
		break;
	case FS_CLIENT:
		addr_fmt(f->ipver, f->cli_ip, it.str);
		break;
	case FS_SERVER:
		addr_fmt(f->ipver, f->srv_ip, it.str);
		break;
	case FS_PROTOCOL:
		ndpi_protocol2name(fw->c->ifc->ndpi, f->proto, it.str,
		    sizeof it.str);
		break;
	case FS_VLAN:
		it.num = f->vlan;
		break;
	case FS_L4:
		it.num = f->l4proto;
		break;
	case FS_CLI_PORT:
		it.num = f->cli_port;
		break;
	case FS_SRV_PORT:
		it.num = f->srv_port;
		break;
	case FS_KEY:
		it.num = f->id;
		break;
	}
	topk_offer(&fw->tk, &it);
}

/* Selects the first lp->need matching flows in order, walking the table
 * in slices (the caller does not hold the lock); the caller frees
 * fw->tk. A flow's sort key is read when its slice is walked. */
static bool
walk_flows(struct call *c, struct flow_walk *fw)
{
	bool by_str = false, found = false;

	for (size_t i = 0; i < sizeof flow_sorts / sizeof flow_sorts[0]; i++)
		if (strcmp(fw->lp->sort, flow_sorts[i].name) == 0) {
			fw->col = flow_sorts[i].col;
			by_str = flow_sorts[i].by_str;
			found = true;
		}
	if (!found) {
		fail(c, IPC_ERR_BAD_REQUEST, "unknown sortColumn '%s'",
		    fw->lp->sort);
		return false;
	}
	topk_init(&fw->tk, fw->lp->need, fw->lp->asc, by_str);
	iface_walk_flows(c->ifc, collect_flow, fw);
	if (fw->tk.oom) {
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return false;
	}
	topk_finish(&fw->tk);
	return true;
}

/* The flow of it, if it is still the one the walk saw: slab entries stay
 * valid memory, a removed flow has id 0, a reused entry a new id. */
static bool
pack_live_flow(struct call *c, const struct sort_item *it,
    msgpack_packer *pk)
{
	const struct flow *f = it->obj;

	if (f->id != it->tie)
		return false;
	pack_flow(c->ifc, f, pk);
	return true;
}

static void
pack_flows(struct call *c, struct flow_walk *fw, size_t from, size_t to,
    bool batch)
{
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, batch ? 3 : 2);
	ipc_pack_kv_u64(&c->w->pk, "numFlows", fw->tk.seen);
	if (batch)
		ipc_pack_kv_u64(&c->w->pk, "nextSlot",
		    to < fw->tk.seen ? to : 0);
	ipc_pack_key(&c->w->pk, "flows");
	pack_live_items(c, fw->tk.v, from, to, false, pack_live_flow);
}

void
m_get_flows_info(struct call *c)
{
	struct list_params lp;
	struct flow_walk fw = { .c = c, .lp = &lp };
	size_t from, to;

	if (!want_args(c, 0, 1) || !parse_list_params_at(c, 0, &lp, "bytes") ||
	    !check_flow_params(c, &lp))
		return;
	lp.need = page_need(&lp);
	if (walk_flows(c, &fw)) {
		page_bounds(&lp, fw.tk.n, &from, &to);
		pack_flows(c, &fw, from, to, false);
	}
	topk_free(&fw.tk);
}

/* (cursor, count[, params]) in hash_entry_id order */
void
m_get_batched_flows_info(struct call *c)
{
	struct list_params lp;
	struct flow_walk fw = { .c = c, .lp = &lp };
	int64_t cursor = 0, count = 1000;

	if (!want_args(c, 1, 3) || !arg_int(c, 0, true, 0, INT32_MAX, &cursor) ||
	    !arg_int(c, 1, false, 1, MAX_PER_PAGE, &count) ||
	    !parse_list_params_at(c, 2, &lp, "hash_entry_id") ||
	    !check_flow_params(c, &lp))
		return;
	lp.asc = true;
	lp.need = (size_t)cursor + (size_t)count;
	if (walk_flows(c, &fw)) {
		size_t from = (size_t)cursor < fw.tk.n ? (size_t)cursor : fw.tk.n;
		size_t to = from + (size_t)count < fw.tk.n ?
		    from + (size_t)count : fw.tk.n;
		pack_flows(c, &fw, from, to, true);
	}
	topk_free(&fw.tk);
}

/* ---- grouping and counters ----------------------------------------------- */

enum group_by { GB_APP, GB_CATEGORY, GB_L4, GB_VLAN, GB_CLIENT, GB_SERVER,
	GB_SRV_PORT };

static const struct {
	const char *name;
	enum group_by g;
} group_names[] = {
	{ "application", GB_APP }, { "proto.ndpi", GB_APP },
	{ "category", GB_CATEGORY }, { "l4proto", GB_L4 }, { "proto.l4", GB_L4 },
	{ "vlan", GB_VLAN }, { "client", GB_CLIENT }, { "cli.ip", GB_CLIENT },
	{ "server", GB_SERVER }, { "srv.ip", GB_SERVER },
	{ "srv.port", GB_SRV_PORT }, { "server_port", GB_SRV_PORT },
};

struct group {
	char key[64];
	uint64_t flows, bytes, packets, c2s_bytes, s2c_bytes;
};

/* The groups in order of their first flow (the order of the answer),
 * found by key through an open-addressed index of their positions, so a
 * grouping by client over a million flows is one lookup per flow. */
struct group_walk {
	struct call *c;
	const struct list_params *lp;
	enum group_by g;
	struct group *v;
	size_t n, cap;
	uint32_t *idx; /* position + 1 in v, 0: empty; icap slots */
	size_t icap;   /* power of two, at least twice n */
	bool oom;
};

static uint64_t
group_hash(const char *k)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */

	for (; *k; k++)
		h = (h ^ (uint8_t)*k) * 1099511628211u;
	return h;
}

/* The slot of key k in gw->idx: its group's, or the empty one where it
 * goes. */
static size_t
group_slot(const struct group_walk *gw, const char *k)
{
	size_t i = group_hash(k) & (gw->icap - 1);

	while (gw->idx[i] && strcmp(gw->v[gw->idx[i] - 1].key, k) != 0)
		i = (i + 1) & (gw->icap - 1);
	return i;
}

/* Doubles the index and puts every group back; false when out of
 * memory. */
static bool
group_index_grow(struct group_walk *gw)
{
	size_t cap = gw->icap ? gw->icap * 2 : 64;
	uint32_t *idx = calloc(cap, sizeof *idx);

	if (idx == NULL)
		return false;
	free(gw->idx);
	gw->idx = idx;
	gw->icap = cap;
	for (size_t i = 0; i < gw->n; i++)
		gw->idx[group_slot(gw, gw->v[i].key)] = (uint32_t)i + 1;
	return true;
}

static void
group_walk_free(struct group_walk *gw)
{
	free(gw->v);
	free(gw->idx);
	gw->v = NULL;
	gw->idx = NULL;
}

static void
group_key(struct iface *ifc, enum group_by g, const struct flow *f,
    char *k, size_t len)
{
	switch (g) {
	case GB_APP:
		ndpi_protocol2name(ifc->ndpi, f->proto, k, len);
		break;
	case GB_CATEGORY:
		snprintf(k, len, "%s",
		    ndpi_category_get_name(ifc->ndpi, f->proto.category));
		break;
	case GB_L4:
		snprintf(k, len, "%s", l4_name(f->l4proto));
		break;
	case GB_VLAN:
		snprintf(k, len, "%u", f->vlan);
		break;
	case GB_CLIENT:
		addr_fmt(f->ipver, f->cli_ip, k);
		break;
	case GB_SERVER:
		addr_fmt(f->ipver, f->srv_ip, k);
		break;
	case GB_SRV_PORT:
		snprintf(k, len, "%u", f->srv_port);
		break;
	}
}

static void
group_flow(struct flow *f, void *arg)
{
	struct group_walk *gw = arg;
	char k[64];
	struct group *g = NULL;
	size_t slot;

	if (gw->oom || !flow_matches(gw->c->ifc, gw->lp, f) ||
	    !ctx_may_see_flow(&gw->c->rq->ctx, f))
		return;
	group_key(gw->c->ifc, gw->g, f, k, sizeof k);
	if ((gw->n + 1) * 2 > gw->icap && !group_index_grow(gw)) {
		gw->oom = true;
		return;
	}
	slot = group_slot(gw, k);
	if (gw->idx[slot])
		g = &gw->v[gw->idx[slot] - 1];
	else {
		if (gw->n == gw->cap) {
			size_t cap = gw->cap ? gw->cap * 2 : 32;
			struct group *v = realloc(gw->v, cap * sizeof *v);
			if (v == NULL) {
				gw->oom = true;
				return;
			}
			gw->v = v;
			gw->cap = cap;
		}
		g = &gw->v[gw->n++];
		memset(g, 0, sizeof *g);
		snprintf(g->key, sizeof g->key, "%s", k);
		gw->idx[slot] = (uint32_t)gw->n;
	}
	g->flows++;
	g->bytes += f->bytes[0] + f->bytes[1];
	g->packets += f->pkts[0] + f->pkts[1];
	g->c2s_bytes += f->bytes[DIR_C2S];
	g->s2c_bytes += f->bytes[DIR_S2C];
}

static bool
group_all(struct call *c, struct group_walk *gw)
{
	iface_walk_flows(c->ifc, group_flow, gw);
	if (gw->oom) {
		group_walk_free(gw);
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return false;
	}
	return true;
}

/* ({group_by = "application"|..., + the filters of getFlowsInfo}) */
void
m_get_grouped_flows(struct call *c)
{
	struct list_params lp;
	struct group_walk gw = { .c = c, .lp = &lp };
	char by[32] = "application";
	const msgpack_object *p = arg(c, 0), *o;
	bool found = false;

	if (!want_args(c, 0, 1) || !parse_list_params_at(c, 0, &lp, "bytes") ||
	    !check_flow_params(c, &lp))
		return;
	if (p && (o = ipc_map_get(p, "group_by")) && !ipc_obj_is_nil(o) &&
	    !ipc_obj_strcpy(o, by, sizeof by)) {
		fail(c, IPC_ERR_BAD_REQUEST, "group_by must be a string");
		return;
	}
	for (size_t i = 0; i < sizeof group_names / sizeof group_names[0]; i++)
		if (strcmp(by, group_names[i].name) == 0) {
			gw.g = group_names[i].g;
			found = true;
		}
	if (!found) {
		fail(c, IPC_ERR_BAD_REQUEST, "unknown group_by '%s'", by);
		return;
	}
	if (!group_all(c, &gw))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, 2);
	ipc_pack_kv_u64(&c->w->pk, "numGroups", gw.n);
	ipc_pack_key(&c->w->pk, "groups");
	msgpack_pack_array(&c->w->pk, (uint32_t)gw.n);
	for (size_t i = 0; i < gw.n; i++) {
		struct mapb m;
		mb_init(&m);
		mb_str(&m, "key", gw.v[i].key);
		mb_u64(&m, "num_flows", gw.v[i].flows);
		mb_u64(&m, "bytes", gw.v[i].bytes);
		mb_u64(&m, "packets", gw.v[i].packets);
		mb_u64(&m, "cli2srv.bytes", gw.v[i].c2s_bytes);
		mb_u64(&m, "srv2cli.bytes", gw.v[i].s2c_bytes);
		mb_end(&m, &c->w->pk);
	}
	group_walk_free(&gw);
}

static void
pack_groups(struct group_walk *gw, struct mapb *top, const char *key)
{
	struct mapb m;

	mb_init(&m);
	for (size_t i = 0; i < gw->n && !gw->oom; i++) {
		struct mapb e;
		mb_init(&e);
		mb_u64(&e, "count", gw->v[i].flows);
		mb_u64(&e, "bytes", gw->v[i].bytes);
		mb_end(&e, mb_key(&m, gw->v[i].key));
	}
	mb_end(&m, mb_key(top, key));
	group_walk_free(gw);
}

#define FLOWS_STATS_GROUPS 4

static void
group_flow_stats(struct flow *f, void *arg)
{
	struct group_walk *gw = arg;

	for (int i = 0; i < FLOWS_STATS_GROUPS; i++)
		group_flow(f, &gw[i]);
}

/* {num_flows, protos = {name = {count, bytes}}, l4_protos, vlans,
 * categories}: one walk in slices for the four groupings */
void
m_get_flows_stats(struct call *c)
{
	static const struct {
		enum group_by g;
		const char *key;
	} groups[FLOWS_STATS_GROUPS] = { { GB_APP, "protos" },
		{ GB_L4, "l4_protos" }, { GB_VLAN, "vlans" },
		{ GB_CATEGORY, "categories" } };
	struct list_params lp;
	struct group_walk gw[FLOWS_STATS_GROUPS];
	struct mapb top;
	size_t nflows;

	if (!want_args(c, 0, 1))
		return;
	memset(&lp, 0, sizeof lp);
	lp.vlan = lp.l4 = -1;
	for (int i = 0; i < FLOWS_STATS_GROUPS; i++)
		gw[i] = (struct group_walk){ .c = c, .lp = &lp,
			.g = groups[i].g };
	iface_walk_flows(c->ifc, group_flow_stats, gw);
	iface_lock_rpc(c->ifc);
	nflows = c->ifc->flows.count;
	pthread_mutex_unlock(&c->ifc->lock);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&top);
	mb_u64(&top, "num_flows", nflows);
	for (int i = 0; i < FLOWS_STATS_GROUPS; i++)
		pack_groups(&gw[i], &top, groups[i].key);
	mb_end(&top, &c->w->pk);
}

/* {normal, warning, alerted}: no flow check raises alerts yet, so every
 * flow is normal. */
void
m_get_flows_status(struct call *c)
{
	struct mapb m;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_u64(&m, "normal", c->ifc->flows.count);
	mb_u64(&m, "warning", 0);
	mb_u64(&m, "alerted", 0);
	mb_u64(&m, "num_flows", c->ifc->flows.count);
	mb_end(&m, &c->w->pk);
	pthread_mutex_unlock(&c->ifc->lock);
}

/* ---- lookups ----------------------------------------------------------- */

/* (src_ip, src_port, dst_ip, dst_port, proto[, vlan]) into pi */
static bool
tuple_args(struct call *c, struct pkt_info *pi)
{
	char a[64], b[64];
	int64_t sp, dp, l4, vlan = 0;
	uint8_t v2;

	memset(pi, 0, sizeof *pi);
	if (!want_args(c, 5, 6) || !arg_str(c, 0, true, a, sizeof a) ||
	    !arg_int(c, 1, true, 0, 65535, &sp) ||
	    !arg_str(c, 2, true, b, sizeof b) ||
	    !arg_int(c, 3, true, 0, 65535, &dp) ||
	    !arg_int(c, 4, true, 0, 255, &l4) ||
	    !arg_int(c, 5, false, 0, 4095, &vlan))
		return false;
	if (!addr_parse(a, &pi->ipver, pi->src) ||
	    !addr_parse(b, &v2, pi->dst) || v2 != pi->ipver) {
		fail(c, IPC_ERR_BAD_REQUEST, "addresses must be two IP "
		    "addresses of the same family");
		return false;
	}
	pi->sport = (uint16_t)sp;
	pi->dport = (uint16_t)dp;
	pi->l4proto = (uint8_t)l4;
	pi->vlan = (uint16_t)vlan;
	return true;
}

void
m_find_flow_by_tuple(struct call *c)
{
	struct pkt_info pi;
	enum flow_dir dir;

	if (!tuple_args(c, &pi))
		return;
	iface_lock_rpc(c->ifc);
	struct flow *f = ft_lookup(&c->ifc->flows, &pi, &dir);
	if (f && ctx_may_see_flow(&c->rq->ctx, f)) {
		ipc_reply_begin(c->w, c->rq->id);
		pack_flow(c->ifc, f, &c->w->pk);
	} else
		fail(c, IPC_ERR_NOT_FOUND, "no such flow");
	pthread_mutex_unlock(&c->ifc->lock);
}

void
m_get_flow_key(struct call *c)
{
	struct pkt_info pi;

	if (!tuple_args(c, &pi))
		return;
	uint64_t h = ft_key_hash(&pi);
	reply_u64(c, (uint32_t)(h ^ (h >> 32)));
}

struct key_find {
	uint32_t key, id;
	struct flow *found;
};

static void
match_key(struct flow *f, void *arg)
{
	struct key_find *kf = arg;
	if (!kf->found && f->id == kf->id && flow_key32(f) == kf->key)
		kf->found = f;
}

/* (key, hash_id): ntopng.key and hash_entry_id of a listing */
void
m_find_flow_by_key(struct call *c)
{
	int64_t key, id;
	struct key_find kf = { 0 };

	if (!want_args(c, 2, 2) || !arg_int(c, 0, true, 0, UINT32_MAX, &key) ||
	    !arg_int(c, 1, true, 0, UINT32_MAX, &id))
		return;
	kf.key = (uint32_t)key;
	kf.id = (uint32_t)id;
	if (kf.id == 0) { /* the id of no live flow */
		fail(c, IPC_ERR_NOT_FOUND, "no such flow");
		return;
	}
	iface_walk_flows(c->ifc, match_key, &kf);
	iface_lock_rpc(c->ifc);
	/* still that flow (slab entries stay valid; see pack_live_flow) */
	if (kf.found && kf.found->id == kf.id &&
	    ctx_may_see_flow(&c->rq->ctx, kf.found)) {
		ipc_reply_begin(c->w, c->rq->id);
		pack_flow(c->ifc, kf.found, &c->w->pk);
	} else
		fail(c, IPC_ERR_NOT_FOUND, "no such flow");
	pthread_mutex_unlock(&c->ifc->lock);
}

/* ([filter]): {"server name" = {host = server ip, flows = n}} of HTTP
 * flows whose Host header contains filter */
struct http_walk {
	struct call *c;
	const char *filter;
	struct mapb *m;
	struct { char name[80]; char ip[ADDR_STRLEN]; uint32_t n; } *v;
	size_t n, cap;
	bool oom;
};

static void
http_flow(struct flow *f, void *arg)
{
	struct http_walk *hw = arg;

	if (hw->oom || f->host_server_name[0] == '\0' ||
	    (f->proto.master_protocol != NDPI_PROTOCOL_HTTP &&
		f->proto.app_protocol != NDPI_PROTOCOL_HTTP) ||
	    (hw->filter[0] && strcasestr(f->host_server_name, hw->filter) ==
		    NULL) || !ctx_may_see_flow(&hw->c->rq->ctx, f))
		return;
	for (size_t i = 0; i < hw->n; i++)
		if (strcmp(hw->v[i].name, f->host_server_name) == 0) {
			hw->v[i].n++;
			return;
		}
	if (hw->n == hw->cap) {
		size_t cap = hw->cap ? hw->cap * 2 : 32;
		void *v = realloc(hw->v, cap * sizeof *hw->v);
		if (v == NULL) {
			hw->oom = true;
			return;
		}
		hw->v = v;
		hw->cap = cap;
	}
	snprintf(hw->v[hw->n].name, sizeof hw->v[hw->n].name, "%s",
	    f->host_server_name);
	addr_fmt(f->ipver, f->srv_ip, hw->v[hw->n].ip);
	hw->v[hw->n++].n = 1;
}

void
m_list_http_hosts(struct call *c)
{
	char filter[64] = "";
	struct http_walk hw = { .c = c, .filter = filter };

	if (!want_args(c, 0, 1) || !arg_str(c, 0, false, filter, sizeof filter))
		return;
	iface_walk_flows(c->ifc, http_flow, &hw);
	if (hw.oom) {
		free(hw.v);
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, (uint32_t)hw.n);
	for (size_t i = 0; i < hw.n; i++) {
		struct mapb m;
		ipc_pack_str(&c->w->pk, hw.v[i].name);
		mb_init(&m);
		mb_str(&m, "host", hw.v[i].ip);
		mb_u64(&m, "flows", hw.v[i].n);
		mb_end(&m, &c->w->pk);
	}
	free(hw.v);
}

/* (proto): {port = number of flows} served by local hosts on l4 proto
 * ("tcp"/"udp" or a number) */
struct lsp_walk {
	uint8_t l4;
	uint32_t *count; /* 65536 */
};

static void
lsp_flow(struct flow *f, void *arg)
{
	struct lsp_walk *lw = arg;
	if (f->l4proto == lw->l4 && f->srv_host && f->srv_host->local &&
	    f->pkts[DIR_S2C] > 0)
		lw->count[f->srv_port]++;
}

void
m_get_local_server_ports(struct call *c)
{
	char name[8];
	int64_t l4 = -1;
	struct lsp_walk lw;
	uint32_t n = 0;

	if (!want_args(c, 1, 1))
		return;
	const msgpack_object *o = arg(c, 0);
	if (o && !obj_int(o, &l4)) {
		if (!arg_str(c, 0, true, name, sizeof name))
			return;
		l4 = strcasecmp(name, "tcp") == 0 ? IPPROTO_TCP :
		    strcasecmp(name, "udp") == 0 ? IPPROTO_UDP : -1;
	}
	if (l4 < 0 || l4 > 255) {
		fail(c, IPC_ERR_BAD_REQUEST, "proto must be tcp, udp or an "
		    "IP protocol number");
		return;
	}
	lw.l4 = (uint8_t)l4;
	if ((lw.count = calloc(65536, sizeof *lw.count)) == NULL) {
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	iface_walk_flows(c->ifc, lsp_flow, &lw);
	for (int p = 0; p < 65536; p++)
		n += lw.count[p] != 0;
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, n);
	for (int p = 0; p < 65536; p++)
		if (lw.count[p]) {
			msgpack_pack_int(&c->w->pk, p);
			msgpack_pack_uint32(&c->w->pk, lw.count[p]);
		}
	free(lw.count);
}
