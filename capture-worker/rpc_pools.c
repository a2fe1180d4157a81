/* interface.* of section 12 that a capture can answer: host pools.
 *
 * netward has one host pool, the default pool 0, which holds every host
 * (pool configuration, ntop.reloadHostPools, is not built). Its traffic is
 * kept on the packet path (iface.c: pool_t, pool_proto): every packet of
 * a flow with a local end, counted from that end's side (the client's
 * when both are local), as ntopng credits a pool through its local
 * hosts. num_hosts counts every host of the interface (local and remote,
 * as ntopng's pool membership does), num_l2_devices every MAC seen as a
 * frame's source. A caller limited to some networks gets the count of
 * the hosts it may see (and no L2 devices: a MAC has no network); the
 * traffic counters are the interface's, as getStats gives them. Quotas
 * and dynamic blacklists are nEdge: the Lua worker raises an error for
 * them (lua-worker/iface_absent.c). */
#include "rpc_common.h"

#include "caller.h"

#include <string.h>

#define MAX_POOL_ID 65535

struct pool_count {
	const struct ipc_ctx *ctx;
	uint64_t hosts, l2;
};

static void
count_host(struct host *h, void *arg)
{
	struct pool_count *pc = arg;
	if (ctx_may_see_host(pc->ctx, h))
		pc->hosts++;
}

static void
count_mac(struct mac *m, void *arg)
{
	struct pool_count *pc = arg;
	if (m->source_mac)
		pc->l2++;
}

/* Under the lock: pool 0's members as the caller may see them. */
static void
pool_members(struct call *c, struct pool_count *pc)
{
	pc->ctx = &c->rq->ctx;
	pc->hosts = pc->l2 = 0;
	ht_foreach(&c->ifc->hosts, count_host, pc);
	if (caller_sees_all(&c->rq->ctx))
		mt_foreach(&c->ifc->macs, count_mac, pc);
}

/* getHostPoolsInfo(): {num_members_per_pool = {["0"] = {num_hosts,
 * num_l2_devices}}, num_members = {num_hosts, num_l2_devices,
 * num_active_pools}}; a pool without members is not listed. */
void
m_get_host_pools_info(struct call *c)
{
	struct pool_count pc;
	struct mapb top, per, one, tot;

	if (!want_args(c, 0, 0))
		return;
	pthread_mutex_lock(&c->ifc->lock);
	pool_members(c, &pc);
	pthread_mutex_unlock(&c->ifc->lock);

	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&top);
	mb_init(&per);
	if (pc.hosts || pc.l2) {
		mb_init(&one);
		mb_u64(&one, "num_hosts", pc.hosts);
		mb_u64(&one, "num_l2_devices", pc.l2);
		mb_end(&one, mb_key(&per, "0"));
	}
	mb_end(&per, mb_key(&top, "num_members_per_pool"));
	mb_init(&tot);
	mb_u64(&tot, "num_hosts", pc.hosts);
	mb_u64(&tot, "num_l2_devices", pc.l2);
	mb_u64(&tot, "num_active_pools", (pc.hosts || pc.l2) ? 1 : 0);
	mb_end(&tot, mb_key(&top, "num_members"));
	mb_end(&top, &c->w->pk);
}

static void
pack_traffic4(struct mapb *m, const struct traffic *t)
{
	mb_u64(m, "bytes.sent", t->bytes_sent);
	mb_u64(m, "bytes.rcvd", t->bytes_rcvd);
	mb_u64(m, "packets.sent", t->pkts_sent);
	mb_u64(m, "packets.rcvd", t->pkts_rcvd);
}

/* Pool 0's statistics as a map; the caller holds the lock. */
static void
pack_pool0(struct call *c, msgpack_packer *pk)
{
	struct iface *ifc = c->ifc;
	struct pool_count pc;
	struct mapb m, nd;

	pool_members(c, &pc);
	mb_init(&m);
	mb_u64(&m, "pool_id", 0);
	pack_traffic4(&m, &ifc->pool_t);
	mb_u64(&m, "bytes", ifc->pool_t.bytes_sent + ifc->pool_t.bytes_rcvd);
	mb_u64(&m, "packets", ifc->pool_t.pkts_sent + ifc->pool_t.pkts_rcvd);
	mb_u64(&m, "seen.first", ifc->pool_first_us / 1000000u);
	mb_u64(&m, "seen.last", ifc->pool_last_us / 1000000u);
	mb_u64(&m, "num_hosts", pc.hosts);
	mb_init(&nd);
	for (uint32_t p = 0; p < ifc->nprotos; p++) {
		const struct traffic *t = &ifc->pool_proto[p];
		struct mapb e;
		if (t->pkts_sent + t->pkts_rcvd == 0)
			continue;
		mb_init(&e);
		pack_traffic4(&e, t);
		mb_end(&e, mb_key(&nd, ndpi_get_proto_name(ifc->ndpi,
		    (uint16_t)p)));
	}
	mb_end(&nd, mb_key(&m, "ndpi"));
	mb_end(&m, pk);
}

/* getHostPoolsStats(): {[pool_id] = stats} of every pool (pool 0). */
void
m_get_host_pools_stats(struct call *c)
{
	if (!want_args(c, 0, 0))
		return;
	pthread_mutex_lock(&c->ifc->lock);
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, 1);
	msgpack_pack_uint64(&c->w->pk, 0);
	pack_pool0(c, &c->w->pk);
	pthread_mutex_unlock(&c->ifc->lock);
}

/* getHostPoolStats(pool_id): the stats of one pool; nil for a pool that
 * does not exist (any but 0). */
void
m_get_host_pool_stats(struct call *c)
{
	int64_t id;

	if (!want_args(c, 1, 1) || !arg_int(c, 0, true, 0, MAX_POOL_ID, &id))
		return;
	if (id != 0) {
		fail(c, IPC_ERR_NOT_FOUND, "no host pool %lld", (long long)id);
		return;
	}
	pthread_mutex_lock(&c->ifc->lock);
	ipc_reply_begin(c->w, c->rq->id);
	pack_pool0(c, &c->w->pk);
	pthread_mutex_unlock(&c->ifc->lock);
}
