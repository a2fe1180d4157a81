#define _GNU_SOURCE /* strcasestr */
/* interface.* host methods (section 6): counts, listings with their
 * params table, batched cursors, single-host queries and modification. */
#include "rpc_common.h"

#include "host_info.h"
#include "host_peers.h"
#include "host_pools.h"
#include "mac_devtype.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum host_set { HSET_ALL, HSET_LOCAL, HSET_REMOTE, HSET_LOCAL_NOTX,
	HSET_LOCAL_NOTXTCP, HSET_REMOTE_NOTX, HSET_REMOTE_NOTXTCP,
	HSET_BCAST_DOMAIN, HSET_BCAST_MCAST, HSET_PUBLIC, HSET_RX_ONLY };

static const struct {
	const char *method;
	enum host_set set;
} host_sets[] = {
	{ "getHostsInfo", HSET_ALL },
	{ "getLocalHostsInfo", HSET_LOCAL },
	{ "getRemoteHostsInfo", HSET_REMOTE },
	{ "getLocalHostsInfoNoTX", HSET_LOCAL_NOTX },
	{ "getLocalHostsInfoNoTXTCP", HSET_LOCAL_NOTXTCP },
	{ "getRemoteHostsInfoNoTX", HSET_REMOTE_NOTX },
	{ "getRemoteHostsInfoNoTXTCP", HSET_REMOTE_NOTXTCP },
	{ "getBroadcastDomainHostsInfo", HSET_BCAST_DOMAIN },
	{ "getBroadcastMulticastHostsInfo", HSET_BCAST_MCAST },
	{ "getPublicHostsInfo", HSET_PUBLIC },
	{ "getBatchedHostsInfo", HSET_ALL },
	{ "getBatchedLocalHostsInfo", HSET_LOCAL },
	{ "getBatchedRemoteHostsInfo", HSET_REMOTE },
};

enum host_sort { HS_BYTES, HS_PACKETS, HS_IP, HS_NAME, HS_FIRST, HS_LAST,
	HS_FLOWS, HS_VLAN, HS_SENT, HS_RCVD, HS_COUNTRY, HS_ASN, HS_OS };

static const struct {
	const char *name;
	enum host_sort col;
	bool by_str;
} host_sorts[] = {
	{ "bytes", HS_BYTES, false },	   { "traffic", HS_BYTES, false },
	{ "packets", HS_PACKETS, false },  { "ip", HS_IP, true },
	{ "name", HS_NAME, true },	   { "seen.first", HS_FIRST, false },
	{ "first_seen", HS_FIRST, false }, { "seen.last", HS_LAST, false },
	{ "last_seen", HS_LAST, false },   { "flows", HS_FLOWS, false },
	{ "num_flows", HS_FLOWS, false },  { "vlan", HS_VLAN, false },
	{ "bytes.sent", HS_SENT, false },  { "bytes.rcvd", HS_RCVD, false },
	{ "country", HS_COUNTRY, true },   { "asn", HS_ASN, false },
	{ "os", HS_OS, false },
};

/* Adds to the set every host that sent TCP traffic (a flow walk). */
static void
note_tcp_sender(struct flow *f, void *arg)
{
	struct id_set *s = arg;

	if (f->l4proto != IPPROTO_TCP)
		return;
	if (f->cli_host && f->pkts[DIR_C2S])
		idset_add(s, f->cli_host->id);
	if (f->srv_host && f->pkts[DIR_S2C])
		idset_add(s, f->srv_host->id);
}

static bool
host_public(const struct host *h)
{
	return !addr_is_private(h->ipver, h->ip) &&
	    !addr_is_multicast(h->ipver, h->ip) &&
	    !addr_is_broadcast(h->ipver, h->ip);
}

/* tcp_senders: the hosts that sent TCP, for the two "no TCP sent" sets */
static bool
in_set(const struct host *h, enum host_set set,
    const struct id_set *tcp_senders)
{
	bool tx = h->t.pkts_sent > 0;

	switch (set) {
	case HSET_ALL:
		return true;
	case HSET_LOCAL:
		return h->local;
	case HSET_REMOTE:
		return !h->local;
	case HSET_LOCAL_NOTX:
		return h->local && !tx;
	case HSET_LOCAL_NOTXTCP:
		return h->local && !idset_has(tcp_senders, h->id);
	case HSET_REMOTE_NOTX:
		return !h->local && !tx;
	case HSET_REMOTE_NOTXTCP:
		return !h->local && !idset_has(tcp_senders, h->id);
	case HSET_BCAST_DOMAIN:
		/* on our layer 2: a local host whose own frames we saw */
		return h->local && h->has_mac && tx;
	case HSET_BCAST_MCAST:
		return addr_is_broadcast(h->ipver, h->ip) ||
		    addr_is_multicast(h->ipver, h->ip);
	case HSET_PUBLIC:
		return host_public(h);
	case HSET_RX_ONLY:
		return !tx;
	}
	return false;
}

const char *
host_display_name(const struct host *h)
{
	const char *dns;

	if (h->name[0])
		return h->name;
	if ((dns = host_dns_name(h)) != NULL)
		return dns;
	if (h->dhcp_name[0])
		return h->dhcp_name;
	return NULL;
}

bool
host_matches(struct iface *ifc, const struct list_params *lp,
    const struct host *h)
{
	char ip[ADDR_STRLEN];

	if (lp->vlan >= 0 && h->vlan != lp->vlan)
		return false;
	if (lp->has_host && (h->ipver != lp->host_ver ||
				memcmp(h->ip, lp->host_ip, 16) != 0))
		return false;
	if (lp->os >= 0 && h->os != lp->os)
		return false;
	if (lp->asn >= 0 && h->asn != lp->asn)
		return false;
	if (lp->pool >= 0 && hp_pool_id_of(h) != lp->pool)
		return false;
	if (lp->network >= 0 && (!h->local ||
				    localnets_index(&ifc->nets, h->ipver,
					h->ip) != lp->network))
		return false;
	if (lp->country[0] && strcasecmp(lp->country, h->country) != 0)
		return false;
	if (lp->has_mac && (!h->has_mac || memcmp(h->mac, lp->mac_bytes, 6)))
		return false;
	if (lp->filter[0]) {
		const char *n = host_display_name(h);
		addr_fmt(h->ipver, h->ip, ip);
		if (strstr(ip, lp->filter) == NULL &&
		    (n == NULL || strcasestr(n, lp->filter) == NULL))
			return false;
	}
	return true;
}

struct host_walk {
	struct call *c;
	const struct list_params *lp;
	enum host_set set;
	enum host_sort col;
	struct topk tk;
	uint32_t seq;
	struct id_set tcp_senders;
};

/* Runs under the lock, one slice at a time (iface_walk_hosts). */
static void
collect_host(struct host *h, void *arg)
{
	struct host_walk *hw = arg;
	struct sort_item item, *it = &item;
	const char *n;

	if (!in_set(h, hw->set, &hw->tcp_senders) || !host_matches(hw->c->ifc, hw->lp, h) ||
	    !ctx_may_see_host(&hw->c->rq->ctx, h))
		return;
	/* the key, not the pointer: h may be freed before the page is
	 * packed (pack_live_host) */
	it->obj = NULL;
	it->tie = hw->seq++;
	it->num = 0;
	it->str[0] = '\0';
	it->key_ver = h->ipver;
	memcpy(it->key_ip, h->ip, 16);
	it->key_vlan = h->vlan;
	switch (hw->col) {
	case HS_BYTES:
		it->num = h->t.bytes_sent + h->t.bytes_rcvd;
		break;
	case HS_PACKETS:
		it->num = h->t.pkts_sent + h->t.pkts_rcvd;
		break;
	case HS_IP:
		host_key(h, it->str, sizeof it->str);
		break;
	case HS_NAME:
		n = host_display_name(h);
		if (n)
			snprintf(it->str, sizeof it->str, "%s", n);
		else
			host_key(h, it->str, sizeof it->str);
		break;
	case HS_FIRST:
		it->num = h->first_us;
		break;
	case HS_LAST:
		it->num = h->last_us;
		break;
	case HS_FLOWS:
		it->num = h->active_as_client + h->active_as_server;
		break;
	case HS_VLAN:
		it->num = h->vlan;
		break;
	case HS_SENT:
		it->num = h->t.bytes_sent;
		break;
	case HS_RCVD:
		it->num = h->t.bytes_rcvd;
		break;
	case HS_COUNTRY:
		snprintf(it->str, sizeof it->str, "%s", h->country);
		break;
	case HS_ASN:
		it->num = h->asn;
		break;
	case HS_OS:
		it->num = h->os;
		break;
	}
	topk_offer(&hw->tk, it);
}

static bool
set_of_method(struct call *c, enum host_set *set)
{
	for (size_t i = 0; i < sizeof host_sets / sizeof host_sets[0]; i++)
		if (strcmp(host_sets[i].method, c->rq->method) == 0) {
			*set = host_sets[i].set;
			return true;
		}
	fail(c, IPC_ERR_INTERNAL, "no host set");
	return false;
}

static bool
sort_column(struct call *c, const char *name, enum host_sort *col,
    bool *by_str)
{
	for (size_t i = 0; i < sizeof host_sorts / sizeof host_sorts[0]; i++)
		if (strcmp(name, host_sorts[i].name) == 0) {
			*col = host_sorts[i].col;
			*by_str = host_sorts[i].by_str;
			return true;
		}
	fail(c, IPC_ERR_BAD_REQUEST, "unknown sortColumn '%s'", name);
	return false;
}

/* Selects the first lp->need hosts of set matching lp, in order; the
 * caller does not hold the lock and frees hw->tk. False after replying
 * with an error. The hosts are walked in slices; for the two "no TCP
 * sent" sets the flows are walked first (in slices too) for the ids of
 * the hosts that sent TCP: a host that sends its first TCP segment
 * between the two walks may still be listed. */
static bool
walk_hosts(struct call *c, struct host_walk *hw, bool by_str)
{
	topk_init(&hw->tk, hw->lp->need, hw->lp->asc, by_str);
	if (hw->set == HSET_LOCAL_NOTXTCP || hw->set == HSET_REMOTE_NOTXTCP)
		iface_walk_flows(c->ifc, note_tcp_sender, &hw->tcp_senders);
	if (!hw->tcp_senders.oom)
		iface_walk_hosts(c->ifc, collect_host, hw);
	if (hw->tcp_senders.oom)
		hw->tk.oom = true;
	idset_free(&hw->tcp_senders);
	if (hw->tk.oom) {
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return false;
	}
	topk_finish(&hw->tk);
	return true;
}

/* The host of it's key, if it is still there (pack_live_items). */
static struct host *
live_host(struct call *c, const struct sort_item *it)
{
	return ht_find(&c->ifc->hosts, it->key_ver, it->key_ip,
	    it->key_vlan);
}

/* "ip[@vlan]" = host: ntopng answers a table keyed by host key; msgpack
 * maps keep the sorted order for clients that iterate in order. */
static bool
pack_live_host_entry(struct call *c, const struct sort_item *it,
    msgpack_packer *pk)
{
	char key[ADDR_STRLEN + 8];
	struct host *h = live_host(c, it);

	if (h == NULL)
		return false;
	ipc_pack_str(pk, host_key(h, key, sizeof key));
	pack_host(c->ifc, h, NULL, pk);
	return true;
}

/* A host as its details when c->peers holds the peers, else brief. */
static bool
pack_live_host_peers(struct call *c, const struct sort_item *it,
    msgpack_packer *pk)
{
	struct host *h = live_host(c, it);

	if (h == NULL)
		return false;
	pack_host(c->ifc, h, c->peers, pk);
	return true;
}

static bool
pack_live_host_key(struct call *c, const struct sort_item *it,
    msgpack_packer *pk)
{
	char key[ADDR_STRLEN + 8];
	struct host *h = live_host(c, it);

	if (h == NULL)
		return false;
	ipc_pack_str(pk, host_key(h, key, sizeof key));
	return true;
}

static void
pack_host_page(struct call *c, struct host_walk *hw, size_t from, size_t to,
    const char *count_key)
{
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, count_key ? 2 : 3);
	ipc_pack_kv_u64(&c->w->pk, count_key ? count_key : "numHosts",
	    hw->tk.seen);
	if (!count_key)
		ipc_pack_kv_u64(&c->w->pk, "nextSlot",
		    to < hw->tk.seen ? to : 0);
	ipc_pack_key(&c->w->pk, "hosts");
	pack_live_items(c, hw->tk.v, from, to, true, pack_live_host_entry);
}

void
m_host_listing(struct call *c)
{
	struct list_params lp;
	struct host_walk hw = { .c = c, .lp = &lp };
	bool by_str;
	size_t from, to;

	if (!set_of_method(c, &hw.set) || !want_args(c, 0, 1) ||
	    !parse_list_params_at(c, 0, &lp, "bytes") ||
	    !sort_column(c, lp.sort, &hw.col, &by_str))
		return;
	lp.need = page_need(&lp);
	if (walk_hosts(c, &hw, by_str)) {
		page_bounds(&lp, hw.tk.n, &from, &to);
		pack_host_page(c, &hw, from, to, "numHosts");
	}
	topk_free(&hw.tk);
}

void
m_get_hosts_info(struct call *c)
{
	m_host_listing(c);
}

/* (cursor, count[, params]): hosts cursor .. cursor+count-1 in the
 * order of the listing; nextSlot is 0 after the last batch. */
void
m_get_batched_hosts(struct call *c)
{
	struct list_params lp;
	struct host_walk hw = { .c = c, .lp = &lp };
	int64_t cursor = 0, count = 0;
	bool by_str;

	if (!set_of_method(c, &hw.set) || !want_args(c, 1, 3) ||
	    !arg_int(c, 0, true, 0, INT32_MAX, &cursor) ||
	    !arg_int(c, 1, false, 1, MAX_PER_PAGE, &count) ||
	    !parse_list_params_at(c, 2, &lp, "ip") ||
	    !sort_column(c, lp.sort, &hw.col, &by_str))
		return;
	if (count == 0)
		count = 1000;
	lp.asc = true;
	lp.need = (size_t)cursor + (size_t)count;
	if (walk_hosts(c, &hw, by_str)) {
		size_t from = (size_t)cursor < hw.tk.n ? (size_t)cursor : hw.tk.n;
		size_t to = from + (size_t)count < hw.tk.n ?
		    from + (size_t)count : hw.tk.n;
		pack_host_page(c, &hw, from, to, NULL);
	}
	topk_free(&hw.tk);
}

/* ([include_details]): every host as an array */
void
m_get_interface_hosts(struct call *c)
{
	struct list_params lp;
	struct host_walk hw = { .c = c, .lp = &lp, .set = HSET_ALL,
		.col = HS_IP };
	bool details = false;

	if (!want_args(c, 0, 1) || !arg_bool(c, 0, false, &details) ||
	    !parse_list_params_at(c, 1, &lp, "ip"))
		return;
	lp.asc = true;
	lp.need = 0;
	if (walk_hosts(c, &hw, true)) {
		struct host_peers peers;
		if (details && !peers_collect(c->ifc, &peers, 0))
			fail(c, IPC_ERR_INTERNAL, "out of memory");
		else {
			c->peers = details ? &peers : NULL;
			ipc_reply_begin(c->w, c->rq->id);
			pack_live_items(c, hw.tk.v, 0, hw.tk.n, false,
			    pack_live_host_peers);
			if (details)
				peers_free(&peers);
			c->peers = NULL;
		}
	}
	topk_free(&hw.tk);
}

void
m_get_rx_only_hosts(struct call *c)
{
	struct list_params lp;
	struct host_walk hw = { .c = c, .lp = &lp, .set = HSET_RX_ONLY,
		.col = HS_IP };

	if (!want_args(c, 0, 0) || !parse_list_params_at(c, 0, &lp, "ip"))
		return;
	lp.asc = true;
	lp.need = 0;
	if (walk_hosts(c, &hw, true)) {
		ipc_reply_begin(c->w, c->rq->id);
		pack_live_items(c, hw.tk.v, 0, hw.tk.n, false,
		    pack_live_host_key);
	}
	topk_free(&hw.tk);
}

static void
count_rx_only_local(struct host *h, void *arg)
{
	if (h->local && h->t.pkts_sent == 0)
		(*(uint64_t *)arg)++;
}

void
m_get_num_local_rx_only_hosts(struct call *c)
{
	uint64_t n = 0;

	if (!want_args(c, 0, 0))
		return;
	iface_walk_hosts(c->ifc, count_rx_only_local, &n);
	reply_u64(c, n);
}

/* ---- single host ---------------------------------------------------------- */

/* Runs fn on the host of (host[, vlan]) under the lock, or answers
 * NOT_FOUND (nil in Lua). */
static void
with_host(struct call *c, uint32_t maxargs,
    void (*fn)(struct call *, struct host *))
{
	bool bad;

	if (!want_args(c, 1, maxargs))
		return;
	iface_lock_rpc(c->ifc);
	struct host *h = find_host_arg(c, &bad);
	if (h)
		fn(c, h);
	else if (!bad)
		fail(c, IPC_ERR_NOT_FOUND, "no such host");
	pthread_mutex_unlock(&c->ifc->lock);
}

/* Where a host was found, to find it again after the lock was
 * released: its key, and its id to tell it from a host that came back
 * under that key meanwhile. */
struct host_ref {
	uint32_t id; /* 0: none */
	uint8_t ver, ip[16];
	uint16_t vlan;
	bool visible; /* ctx_may_see_host */
};

static void
host_ref_set(struct call *c, struct host_ref *r, const struct host *h)
{
	r->id = h->id;
	r->ver = h->ipver;
	memcpy(r->ip, h->ip, 16);
	r->vlan = h->vlan;
	r->visible = ctx_may_see_host(&c->rq->ctx, h);
}

/* Answers the details of the host r names: its contacted peers from a
 * walk of the flows in slices (the caller does not hold the lock), then
 * the host packed whole under the lock; NOT_FOUND with err when it is
 * gone or not visible. */
static void
reply_host_details(struct call *c, const struct host_ref *r,
    const char *err)
{
	struct host_peers peers;
	struct host *h;

	if (r->id == 0 || !r->visible) {
		fail(c, IPC_ERR_NOT_FOUND, "%s", err);
		return;
	}
	if (!peers_collect(c->ifc, &peers, r->id)) {
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	iface_lock_rpc(c->ifc);
	h = ht_find(&c->ifc->hosts, r->ver, r->ip, r->vlan);
	if (h && ctx_may_see_host(&c->rq->ctx, h)) {
		ipc_reply_begin(c->w, c->rq->id);
		pack_host(c->ifc, h, &peers, &c->w->pk);
	} else
		fail(c, IPC_ERR_NOT_FOUND, "%s", err);
	pthread_mutex_unlock(&c->ifc->lock);
	peers_free(&peers);
}

void
m_get_host_info(struct call *c)
{
	struct host_ref r = { .id = 0 };
	bool bad;

	if (!want_args(c, 1, 2))
		return;
	iface_lock_rpc(c->ifc);
	struct host *h = find_host_arg(c, &bad);
	if (h)
		host_ref_set(c, &r, h);
	pthread_mutex_unlock(&c->ifc->lock);
	if (!bad)
		reply_host_details(c, &r, "no such host");
}

static void
do_host_min_info(struct call *c, struct host *h)
{
	ipc_reply_begin(c->w, c->rq->id);
	pack_host(c->ifc, h, false, &c->w->pk);
}

void
m_get_host_min_info(struct call *c)
{
	with_host(c, 2, do_host_min_info);
}

void
m_is_host_active(struct call *c)
{
	bool bad;

	if (!want_args(c, 1, 2))
		return;
	iface_lock_rpc(c->ifc);
	struct host *h = find_host_arg(c, &bad);
	pthread_mutex_unlock(&c->ifc->lock);
	if (!bad)
		reply_bool(c, h != NULL);
}

static void
do_host_country(struct call *c, struct host *h)
{
	if (h->country[0] == '\0') {
		reply_nil(c);
		return;
	}
	ipc_reply_begin(c->w, c->rq->id);
	ipc_pack_str(&c->w->pk, h->country);
}

void
m_get_host_country(struct call *c)
{
	with_host(c, 2, do_host_country);
}

static void
do_host_attributes(struct call *c, struct host *h)
{
	struct mapb m;

	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_u64(&m, "os", h->os);
	mb_str(&m, "os_detail", host_os_name(h->os));
	mb_u64(&m, "devtype", h->has_mac ? dt_get(h->mac) : 0);
	mb_bool(&m, "localhost", h->local);
	mb_u64(&m, "host_pool_id", hp_pool_id_of(h));
	mb_end(&m, &c->w->pk);
}

void
m_get_host_attributes(struct call *c)
{
	with_host(c, 2, do_host_attributes);
}

/* findHost(ip or name): the host by address, else the first host whose
 * name (resolved, DNS, SNI, HTTP Host) equals it, in the order of a walk
 * of the hosts in slices (bucket order while the table does not grow). */
struct find_name {
	struct call *c;
	const char *name;
	struct host_ref found;
};

static void
match_name(struct host *h, void *arg)
{
	struct find_name *fn = arg;
	const char *n;
	bool hit = false;

	if (fn->found.id)
		return;
	if ((n = host_display_name(h)) && strcasecmp(n, fn->name) == 0)
		hit = true;
	for (unsigned i = 0; !hit && i < h->nnames; i++)
		if (strcasecmp(h->names[i], fn->name) == 0)
			hit = true;
	if (hit)
		host_ref_set(fn->c, &fn->found, h);
}

void
m_find_host(struct call *c)
{
	char buf[128];
	uint8_t ver, ip[16];
	struct find_name fn = { c, buf, { .id = 0 } };

	if (!want_args(c, 1, 2) || !arg_str(c, 0, true, buf, sizeof buf))
		return;
	if (addr_parse(buf, &ver, ip) || strchr(buf, '@')) {
		m_get_host_info(c);
		return;
	}
	iface_walk_hosts(c->ifc, match_name, &fn);
	reply_host_details(c, &fn.found, "no such host");
}

struct find_mac {
	struct call *c;
	uint8_t mac[6];
	struct host_ref found;
};

static void
match_mac(struct host *h, void *arg)
{
	struct find_mac *fm = arg;
	if (!fm->found.id && h->has_mac && memcmp(h->mac, fm->mac, 6) == 0)
		host_ref_set(fm->c, &fm->found, h);
}

void
m_find_host_by_mac(struct call *c)
{
	char buf[24], err[48];
	struct find_mac fm = { .c = c, .found = { .id = 0 } };

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, buf, sizeof buf))
		return;
	if (!mac_parse(buf, fm.mac)) {
		fail(c, IPC_ERR_BAD_REQUEST, "'%s' is not a MAC address", buf);
		return;
	}
	iface_walk_hosts(c->ifc, match_mac, &fm);
	snprintf(err, sizeof err, "no host with MAC %s", buf);
	reply_host_details(c, &fm.found, err);
}

/* ---- hosts by server port / service -------------------------------------- */

struct port_walk {
	struct call *c;
	int64_t port, l4;  /* -1 = any */
	uint16_t ndpi;	   /* 0 = any */
	struct item_vec iv;
	struct id_set seen;
};

/* Runs under the lock, one slice of flows at a time. */
static void
collect_server(struct flow *f, void *arg)
{
	struct port_walk *pw = arg;
	struct host *h = f->srv_host;
	struct sort_item *it;

	if (h == NULL || idset_has(&pw->seen, h->id) ||
	    !ctx_may_see_host(&pw->c->rq->ctx, h))
		return;
	if (pw->port >= 0 && f->srv_port != pw->port)
		return;
	if (pw->l4 >= 0 && f->l4proto != pw->l4)
		return;
	if (pw->ndpi && flow_stats_proto(f) != pw->ndpi &&
	    f->proto.master_protocol != pw->ndpi)
		return;
	if (!idset_add(&pw->seen, h->id) ||
	    (it = iv_push(&pw->iv, NULL, 0)) == NULL)
		return;
	/* the key, not the pointer: h may be freed before it is packed */
	it->key_ver = h->ipver;
	memcpy(it->key_ip, h->ip, 16);
	it->key_vlan = h->vlan;
	host_key(h, it->str, sizeof it->str);
}

/* {"ip[@vlan]" = host} of the servers the flow walk found, by key; each
 * host packed whole under the lock, one gone since the walk left out. */
static void
reply_server_hosts(struct call *c, struct port_walk *pw)
{
	iface_walk_flows(c->ifc, collect_server, pw);
	if (pw->iv.oom || pw->seen.oom)
		fail(c, IPC_ERR_INTERNAL, "out of memory");
	else {
		sort_items(pw->iv.v, pw->iv.n, true, true);
		ipc_reply_begin(c->w, c->rq->id);
		pack_live_items(c, pw->iv.v, 0, pw->iv.n, true,
		    pack_live_host_entry);
	}
	idset_free(&pw->seen);
	iv_free(&pw->iv);
}

/* (port[, l4proto]): hosts that served flows on that port */
void
m_get_hosts_by_port(struct call *c)
{
	struct port_walk pw = { .c = c, .l4 = -1 };

	if (!want_args(c, 1, 2) || !arg_int(c, 0, true, 0, 65535, &pw.port) ||
	    !arg_int(c, 1, false, 0, 255, &pw.l4))
		return;
	reply_server_hosts(c, &pw);
}

/* (service): hosts that served flows of that nDPI protocol name */
void
m_get_hosts_by_service(struct call *c)
{
	char name[64];
	struct port_walk pw = { .c = c, .port = -1, .l4 = -1 };

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, name, sizeof name))
		return;
	int id = ndpi_get_protocol_id(c->ifc->ndpi, name);
	if (id <= 0) {
		fail(c, IPC_ERR_BAD_REQUEST, "unknown service '%s'", name);
		return;
	}
	pw.ndpi = (uint16_t)id;
	reply_server_hosts(c, &pw);
}

/* ({l4proto}): {"proto:port" = number of server hosts} */
struct ports_walk {
	int64_t l4;
	struct { uint8_t l4; uint16_t port; uint32_t n; } *v;
	size_t n, cap;
	bool oom;
};

static void
count_port(struct flow *f, void *arg)
{
	struct ports_walk *pw = arg;

	if (f->srv_port == 0 || (pw->l4 >= 0 && f->l4proto != pw->l4) ||
	    f->pkts[DIR_S2C] == 0)
		return;
	for (size_t i = 0; i < pw->n; i++)
		if (pw->v[i].l4 == f->l4proto && pw->v[i].port == f->srv_port) {
			pw->v[i].n++;
			return;
		}
	if (pw->n == pw->cap) {
		size_t cap = pw->cap ? pw->cap * 2 : 64;
		void *v = realloc(pw->v, cap * sizeof *pw->v);
		if (v == NULL) {
			pw->oom = true;
			return;
		}
		pw->v = v;
		pw->cap = cap;
	}
	pw->v[pw->n].l4 = f->l4proto;
	pw->v[pw->n].port = f->srv_port;
	pw->v[pw->n++].n = 1;
}

void
m_get_hosts_ports(struct call *c)
{
	struct list_params lp;
	struct ports_walk pw = { .l4 = -1 };
	char key[32];

	if (!want_args(c, 0, 1) || !parse_list_params_at(c, 0, &lp, "bytes"))
		return;
	pw.l4 = lp.l4;
	iface_lock_rpc(c->ifc);
	ft_foreach(&c->ifc->flows, count_port, &pw);
	pthread_mutex_unlock(&c->ifc->lock);
	if (pw.oom) {
		free(pw.v);
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, (uint32_t)pw.n);
	for (size_t i = 0; i < pw.n; i++) {
		snprintf(key, sizeof key, "%s:%u", l4_name(pw.v[i].l4),
		    pw.v[i].port);
		ipc_pack_str(&c->w->pk, key);
		msgpack_pack_uint32(&c->w->pk, pw.v[i].n);
	}
	free(pw.v);
}

/* (ip_or_name): what netward knows of an address without DNS queries */
void
m_get_address_info(struct call *c)
{
	char buf[128];
	uint8_t ver, ip[16];
	struct mapb m;

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, buf, sizeof buf))
		return;
	if (!addr_parse(buf, &ver, ip)) {
		fail(c, IPC_ERR_BAD_REQUEST, "'%s' is not an IP address", buf);
		return;
	}
	iface_lock_rpc(c->ifc);
	struct host *h = ht_find(&c->ifc->hosts, ver, ip, 0);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_str(&m, "ip", buf);
	mb_bool(&m, "is_local", localnets_contains(&c->ifc->nets, ver, ip));
	mb_bool(&m, "is_private", addr_is_private(ver, ip));
	mb_bool(&m, "is_multicast", addr_is_multicast(ver, ip));
	mb_bool(&m, "is_broadcast", addr_is_broadcast(ver, ip));
	mb_bool(&m, "is_active", h != NULL);
	if (h && host_display_name(h))
		mb_str(&m, "name", host_display_name(h));
	if (h && h->country[0])
		mb_str(&m, "country", h->country);
	if (h && h->asn) {
		mb_u64(&m, "asn", h->asn);
		mb_str(&m, "asname", h->asname);
	}
	mb_end(&m, &c->w->pk);
	pthread_mutex_unlock(&c->ifc->lock);
}

/* ---- modification ------------------------------------------------------- */

/* (host, vlan, os_id) */
void
m_set_host_os(struct call *c)
{
	int64_t os;
	bool bad;

	if (!want_args(c, 3, 3) || !arg_int(c, 2, true, 0, OS_MAX - 1, &os))
		return;
	iface_lock_rpc(c->ifc);
	struct host *h = find_host_arg(c, &bad);
	if (h) {
		h->os = (uint8_t)os;
		h->os_manual = true;
		reply_bool(c, true);
	} else if (!bad)
		fail(c, IPC_ERR_NOT_FOUND, "no such host");
	pthread_mutex_unlock(&c->ifc->lock);
}

/* (host, vlan, name) */
void
m_set_host_name(struct call *c)
{
	char name[64];
	bool bad;

	if (!want_args(c, 3, 3) || !arg_str(c, 2, true, name, sizeof name))
		return;
	iface_lock_rpc(c->ifc);
	struct host *h = find_host_arg(c, &bad);
	if (h) {
		snprintf(h->name, sizeof h->name, "%s", name);
		reply_bool(c, true);
	} else if (!bad)
		fail(c, IPC_ERR_NOT_FOUND, "no such host");
	pthread_mutex_unlock(&c->ifc->lock);
}

static void
reset_host(struct host *h)
{
	memset(&h->t, 0, sizeof h->t);
	for (uint16_t i = 0; i < h->nprotos; i++) {
		memset(&h->protos[i].t, 0, sizeof h->protos[i].t);
		h->protos[i].flows = 0;
	}
	h->total_as_client = h->active_as_client;
	h->total_as_server = h->active_as_server;
}

/* (host, vlan): counters back to zero; the host stays active */
void
m_reset_host_stats(struct call *c)
{
	bool bad;

	if (!want_args(c, 1, 2))
		return;
	iface_lock_rpc(c->ifc);
	struct host *h = find_host_arg(c, &bad);
	if (h) {
		reset_host(h);
		reply_bool(c, true);
	} else if (!bad)
		fail(c, IPC_ERR_NOT_FOUND, "no such host");
	pthread_mutex_unlock(&c->ifc->lock);
}

/* (host, vlan): counters, names and overrides forgotten. netward keeps
 * no per-host data outside memory. */
void
m_delete_host_data(struct call *c)
{
	bool bad;

	if (!want_args(c, 1, 2))
		return;
	iface_lock_rpc(c->ifc);
	struct host *h = find_host_arg(c, &bad);
	if (h) {
		reset_host(h);
		h->name[0] = h->dhcp_name[0] = '\0';
		h->nnames = 0;
		h->os_manual = false;
		h->os = OS_UNKNOWN;
		reply_bool(c, true);
	} else if (!bad)
		fail(c, IPC_ERR_NOT_FOUND, "no such host");
	pthread_mutex_unlock(&c->ifc->lock);
}
