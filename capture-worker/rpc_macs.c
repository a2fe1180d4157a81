/* interface.* MAC methods (section 8). */
#include "rpc_common.h"

#include "host_pools.h"
#include "mac_devtype.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void
pack_mac(struct iface *ifc, const struct mac *m, msgpack_packer *pk)
{
	struct mapb b;
	char txt[18];
	const char *manuf = oui_lookup(m->addr);
	uint32_t hosts = 0;

	(void)ifc;
	hosts = m->mark;
	mb_init(&b);
	mb_str(&b, "mac", mac_fmt(m->addr, txt));
	if (manuf)
		mb_str(&b, "manufacturer", manuf);
	mb_u64(&b, "vlan", m->vlan);
	mb_u64(&b, "bytes.sent", m->bytes_sent);
	mb_u64(&b, "bytes.rcvd", m->bytes_rcvd);
	mb_u64(&b, "packets.sent", m->pkts_sent);
	mb_u64(&b, "packets.rcvd", m->pkts_rcvd);
	mb_u64(&b, "seen.first", m->first_us / 1000000u);
	mb_u64(&b, "seen.last", m->last_us / 1000000u);
	mb_u64(&b, "duration", (m->last_us - m->first_us) / 1000000u);
	mb_bool(&b, "source_mac", m->source_mac);
	mb_bool(&b, "special_mac", mac_is_multicast(m->addr));
	mb_u64(&b, "num_hosts", hosts);
	mb_u64(&b, "devtype", dt_get(m->addr));
	mb_u64(&b, "pool", hp_pool_at(hp_slot_of_mac(m->addr))->id);
	mb_end(&b, pk);
}

/* m->mark = number of hosts whose last frame came from m */
static void
clear_mac(struct mac *m, void *arg)
{
	(void)arg;
	m->mark = 0;
}

static void
count_host_mac(struct host *h, void *arg)
{
	struct iface *ifc = arg;
	struct mac *m;

	if (h->has_mac && (m = mt_find(&ifc->macs, h->mac)) != NULL)
		m->mark++;
}

static void
count_hosts_per_mac(struct iface *ifc)
{
	mt_foreach(&ifc->macs, clear_mac, NULL);
	ht_foreach(&ifc->hosts, count_host_mac, ifc);
}

struct mac_walk {
	const struct list_params *lp;
	int64_t vlan;
	bool sources_only;
	char manuf[64];
	struct item_vec iv;
	uint32_t seq;
	bool by_bytes;
};

static void
collect_mac(struct mac *m, void *arg)
{
	struct mac_walk *mw = arg;
	struct sort_item *it;
	const char *manuf = oui_lookup(m->addr);

	if (mw->vlan >= 0 && m->vlan != mw->vlan)
		return;
	if (mw->sources_only && !m->source_mac)
		return;
	if (mw->manuf[0] && (manuf == NULL || strcasecmp(manuf, mw->manuf)))
		return;
	if ((it = iv_push(&mw->iv, m, mw->seq++)) == NULL)
		return;
	if (mw->by_bytes)
		it->num = m->bytes_sent + m->bytes_rcvd;
	else
		mac_fmt(m->addr, it->str);
}

/* ([params]): {numMacs, macs = [..]} with paging; params also take
 * manufacturer, sourceMacsOnly */
void
m_get_macs_info(struct call *c)
{
	struct list_params lp;
	struct mac_walk mw = { .lp = &lp };
	const msgpack_object *p;
	size_t from, to;

	if (!want_args(c, 0, 1) || !parse_list_params_at(c, 0, &lp, "mac"))
		return;
	if (strcmp(lp.sort, "bytes") == 0)
		mw.by_bytes = true;
	else if (strcmp(lp.sort, "mac") != 0) {
		fail(c, IPC_ERR_BAD_REQUEST, "unknown sortColumn '%s'", lp.sort);
		return;
	}
	mw.vlan = lp.vlan;
	if ((p = arg(c, 0)) != NULL) {
		const msgpack_object *o = ipc_map_get(p, "manufacturer");
		if (o && !ipc_obj_is_nil(o) &&
		    !ipc_obj_strcpy(o, mw.manuf, sizeof mw.manuf)) {
			fail(c, IPC_ERR_BAD_REQUEST, "manufacturer must be a "
			    "string");
			return;
		}
		o = ipc_map_get(p, "sourceMacsOnly");
		if (o && !ipc_obj_is_nil(o) &&
		    !ipc_obj_bool(o, &mw.sources_only)) {
			fail(c, IPC_ERR_BAD_REQUEST, "sourceMacsOnly must be "
			    "a boolean");
			return;
		}
	}
	iface_lock_rpc(c->ifc);
	count_hosts_per_mac(c->ifc);
	mt_foreach(&c->ifc->macs, collect_mac, &mw);
	if (mw.iv.oom)
		fail(c, IPC_ERR_INTERNAL, "out of memory");
	else {
		sort_items(mw.iv.v, mw.iv.n, lp.asc, !mw.by_bytes);
		page_bounds(&lp, mw.iv.n, &from, &to);
		ipc_reply_begin(c->w, c->rq->id);
		msgpack_pack_map(&c->w->pk, 2);
		ipc_pack_kv_u64(&c->w->pk, "numMacs", mw.iv.n);
		ipc_pack_key(&c->w->pk, "macs");
		msgpack_pack_array(&c->w->pk, (uint32_t)(to - from));
		for (size_t i = from; i < to; i++)
			pack_mac(c->ifc, mw.iv.v[i].obj, &c->w->pk);
	}
	pthread_mutex_unlock(&c->ifc->lock);
	iv_free(&mw.iv);
}

/* (cursor, count) */
void
m_get_batched_macs_info(struct call *c)
{
	int64_t cursor, count = 1000;
	struct list_params lp;
	struct mac_walk mw = { .lp = &lp, .vlan = -1 };

	if (!want_args(c, 1, 2) || !arg_int(c, 0, true, 0, INT32_MAX, &cursor) ||
	    !arg_int(c, 1, false, 1, MAX_PER_PAGE, &count))
		return;
	iface_lock_rpc(c->ifc);
	count_hosts_per_mac(c->ifc);
	mt_foreach(&c->ifc->macs, collect_mac, &mw);
	if (mw.iv.oom)
		fail(c, IPC_ERR_INTERNAL, "out of memory");
	else {
		sort_items(mw.iv.v, mw.iv.n, true, true);
		size_t from = (size_t)cursor < mw.iv.n ? (size_t)cursor : mw.iv.n;
		size_t to = from + (size_t)count < mw.iv.n ?
		    from + (size_t)count : mw.iv.n;
		ipc_reply_begin(c->w, c->rq->id);
		msgpack_pack_map(&c->w->pk, 3);
		ipc_pack_kv_u64(&c->w->pk, "numMacs", mw.iv.n);
		ipc_pack_kv_u64(&c->w->pk, "nextSlot", to < mw.iv.n ? to : 0);
		ipc_pack_key(&c->w->pk, "macs");
		msgpack_pack_array(&c->w->pk, (uint32_t)(to - from));
		for (size_t i = from; i < to; i++)
			pack_mac(c->ifc, mw.iv.v[i].obj, &c->w->pk);
	}
	pthread_mutex_unlock(&c->ifc->lock);
	iv_free(&mw.iv);
}

/* ([vlan]): array of MAC strings that sent frames */
void
m_get_active_macs(struct call *c)
{
	int64_t vlan = -1;
	struct list_params lp;
	struct mac_walk mw = { .lp = &lp, .sources_only = true };
	char txt[18];

	if (!want_args(c, 0, 1) || !arg_int(c, 0, false, 0, 4095, &vlan))
		return;
	mw.vlan = vlan;
	iface_lock_rpc(c->ifc);
	mt_foreach(&c->ifc->macs, collect_mac, &mw);
	if (mw.iv.oom)
		fail(c, IPC_ERR_INTERNAL, "out of memory");
	else {
		sort_items(mw.iv.v, mw.iv.n, true, true);
		ipc_reply_begin(c->w, c->rq->id);
		msgpack_pack_array(&c->w->pk, (uint32_t)mw.iv.n);
		for (size_t i = 0; i < mw.iv.n; i++)
			ipc_pack_str(&c->w->pk, mac_fmt(((const struct mac *)
			    mw.iv.v[i].obj)->addr, txt));
	}
	pthread_mutex_unlock(&c->ifc->lock);
	iv_free(&mw.iv);
}

static bool
mac_arg(struct call *c, uint8_t addr[6])
{
	char buf[24];

	if (!want_args(c, 1, 2) || !arg_str(c, 0, true, buf, sizeof buf))
		return false;
	if (!mac_parse(buf, addr)) {
		fail(c, IPC_ERR_BAD_REQUEST, "'%s' is not a MAC address", buf);
		return false;
	}
	return true;
}

void
m_is_mac_active(struct call *c)
{
	uint8_t a[6];

	if (!mac_arg(c, a))
		return;
	iface_lock_rpc(c->ifc);
	bool found = mt_find(&c->ifc->macs, a) != NULL;
	pthread_mutex_unlock(&c->ifc->lock);
	reply_bool(c, found);
}

void
m_get_mac_info(struct call *c)
{
	uint8_t a[6];

	if (!mac_arg(c, a))
		return;
	iface_lock_rpc(c->ifc);
	struct mac *m = mt_find(&c->ifc->macs, a);
	if (m) {
		count_hosts_per_mac(c->ifc);
		ipc_reply_begin(c->w, c->rq->id);
		pack_mac(c->ifc, m, &c->w->pk);
	} else
		fail(c, IPC_ERR_NOT_FOUND, "no such MAC");
	pthread_mutex_unlock(&c->ifc->lock);
}

struct mac_hosts {
	uint8_t a[6];
	struct item_vec iv;
};

static void
host_of_mac(struct host *h, void *arg)
{
	struct mac_hosts *mh = arg;
	if (h->has_mac && memcmp(h->mac, mh->a, 6) == 0)
		iv_push(&mh->iv, h, 0);
}

/* (mac): {"ip[@vlan]" = host} of hosts whose frames come from mac */
void
m_get_mac_hosts(struct call *c)
{
	struct mac_hosts mh = { .iv = { 0 } };
	char key[ADDR_STRLEN + 8];

	if (!mac_arg(c, mh.a))
		return;
	iface_lock_rpc(c->ifc);
	ht_foreach(&c->ifc->hosts, host_of_mac, &mh);
	if (mh.iv.oom)
		fail(c, IPC_ERR_INTERNAL, "out of memory");
	else {
		ipc_reply_begin(c->w, c->rq->id);
		msgpack_pack_map(&c->w->pk, (uint32_t)mh.iv.n);
		for (size_t i = 0; i < mh.iv.n; i++) {
			ipc_pack_str(&c->w->pk, host_key(mh.iv.v[i].obj, key,
			    sizeof key));
			pack_host(c->ifc, mh.iv.v[i].obj, false, &c->w->pk);
		}
	}
	pthread_mutex_unlock(&c->ifc->lock);
	iv_free(&mh.iv);
}

struct manuf_count {
	struct { const char *name; uint32_t n; } v[1024];
	size_t n;
};

static void
count_manuf(struct mac *m, void *arg)
{
	struct manuf_count *mc = arg;
	const char *name = oui_lookup(m->addr);

	if (name == NULL || !m->source_mac)
		return;
	for (size_t i = 0; i < mc->n; i++)
		if (mc->v[i].name == name) {
			mc->v[i].n++;
			return;
		}
	if (mc->n < sizeof mc->v / sizeof mc->v[0]) {
		mc->v[mc->n].name = name;
		mc->v[mc->n++].n = 1;
	}
}

/* ([params]): {manufacturer = number of source MACs} */
void
m_get_mac_manufacturers(struct call *c)
{
	struct manuf_count *mc;

	if (!want_args(c, 0, 1))
		return;
	if ((mc = calloc(1, sizeof *mc)) == NULL) {
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	iface_lock_rpc(c->ifc);
	mt_foreach(&c->ifc->macs, count_manuf, mc);
	pthread_mutex_unlock(&c->ifc->lock);
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, (uint32_t)mc->n);
	for (size_t i = 0; i < mc->n; i++) {
		ipc_pack_str(&c->w->pk, mc->v[i].name);
		msgpack_pack_uint32(&c->w->pk, mc->v[i].n);
	}
	free(mc);
}

/* netward has no device-type classifier: a MAC's type is the one set
 * with ntop.setMacDeviceType, else 0, "Unknown", as ntopng reports an
 * unclassified device. {[devtype] = number of MACs}. */
static void
count_devtype(struct mac *m, void *arg)
{
	((uint64_t *)arg)[dt_get(m->addr)]++;
}

void
m_get_mac_device_types(struct call *c)
{
	uint64_t n[DEVTYPE_MAX + 1] = {0};
	uint32_t k = 0;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	mt_foreach(&c->ifc->macs, count_devtype, n);
	pthread_mutex_unlock(&c->ifc->lock);
	for (int t = 0; t <= DEVTYPE_MAX; t++)
		k += n[t] != 0;
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, k);
	for (int t = 0; t <= DEVTYPE_MAX; t++)
		if (n[t]) {
			msgpack_pack_int(&c->w->pk, t);
			msgpack_pack_uint64(&c->w->pk, n[t]);
		}
}

void
m_reset_mac_stats(struct call *c)
{
	uint8_t a[6];

	if (!mac_arg(c, a))
		return;
	iface_lock_rpc(c->ifc);
	struct mac *m = mt_find(&c->ifc->macs, a);
	if (m) {
		mt_reset(m);
		reply_bool(c, true);
	} else
		fail(c, IPC_ERR_NOT_FOUND, "no such MAC");
	pthread_mutex_unlock(&c->ifc->lock);
}

