/* interface.* of section 12 that a capture can answer: host pools, and
 * setHostPools, the capture side of ntop.reloadHostPools.
 *
 * Pools, their members and their traffic are host_pools.c's: pool 0 is
 * the default pool holding every host no member names; the configured
 * pools come from the Lua worker (ntopng's Redis layout, read by
 * lua-worker/ntop_misc.c), are checked again here, and are saved in the
 * alert store (as host checks are) so a restarted worker assigns its
 * hosts before it reads its capture. num_hosts counts the hosts of a
 * pool (local and remote, as ntopng's pool membership does),
 * num_l2_devices the MACs seen as a frame's source whose pool is that
 * one (MAC members; every other MAC is in pool 0). A caller limited to
 * some networks gets the count of the hosts it may see (and no L2
 * devices: a MAC has no network); the traffic counters are the pool's.
 * Quotas and dynamic blacklists are nEdge: the Lua worker raises an
 * error for them (lua-worker/iface_absent.c). */
#include "rpc_common.h"

#include "alert_store.h"
#include "caller.h"
#include "host_pools.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pool_count {
	const struct ipc_ctx *ctx;
	uint64_t hosts[HP_MAX_POOLS + 1], l2[HP_MAX_POOLS + 1];
	uint64_t all_hosts, all_l2;
};

static void
count_host(struct host *h, void *arg)
{
	struct pool_count *pc = arg;
	if (ctx_may_see_host(pc->ctx, h)) {
		pc->hosts[hp_slot_of_host(h)]++;
		pc->all_hosts++;
	}
}

static void
count_mac(struct mac *m, void *arg)
{
	struct pool_count *pc = arg;
	if (m->source_mac) {
		pc->l2[hp_slot_of_mac(m->addr)]++;
		pc->all_l2++;
	}
}

/* Under the lock: each pool's members as the caller may see them. */
static void
pool_members(struct call *c, struct pool_count *pc)
{
	memset(pc, 0, sizeof *pc);
	pc->ctx = &c->rq->ctx;
	ht_foreach(&c->ifc->hosts, count_host, pc);
	if (caller_sees_all(&c->rq->ctx))
		mt_foreach(&c->ifc->macs, count_mac, pc);
}

/* getHostPoolsInfo(): {num_members_per_pool = {["id"] = {num_hosts,
 * num_l2_devices}}, num_members = {num_hosts, num_l2_devices,
 * num_active_pools}}; a pool without members is not listed. */
void
m_get_host_pools_info(struct call *c)
{
	struct pool_count pc;
	struct mapb top, per, one, tot;
	uint64_t active = 0;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	pool_members(c, &pc);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&top);
	mb_init(&per);
	for (size_t s = 0; s < hp_count(); s++) {
		char id[8];
		if (pc.hosts[s] == 0 && pc.l2[s] == 0)
			continue;
		active++;
		snprintf(id, sizeof id, "%u", hp_pool_at(s)->id);
		mb_init(&one);
		mb_u64(&one, "num_hosts", pc.hosts[s]);
		mb_u64(&one, "num_l2_devices", pc.l2[s]);
		mb_end(&one, mb_key(&per, id));
	}
	mb_end(&per, mb_key(&top, "num_members_per_pool"));
	mb_init(&tot);
	mb_u64(&tot, "num_hosts", pc.all_hosts);
	mb_u64(&tot, "num_l2_devices", pc.all_l2);
	mb_u64(&tot, "num_active_pools", active);
	mb_end(&tot, mb_key(&top, "num_members"));
	mb_end(&top, &c->w->pk);
	pthread_mutex_unlock(&c->ifc->lock);
}

static void
pack_traffic4(struct mapb *m, const struct traffic *t)
{
	mb_u64(m, "bytes.sent", t->bytes_sent);
	mb_u64(m, "bytes.rcvd", t->bytes_rcvd);
	mb_u64(m, "packets.sent", t->pkts_sent);
	mb_u64(m, "packets.rcvd", t->pkts_rcvd);
}

/* The statistics of the pool in slot s as a map; the caller holds the
 * lock and has counted the members. */
static void
pack_pool(struct call *c, const struct pool_count *pc, size_t s,
    msgpack_packer *pk)
{
	struct iface *ifc = c->ifc;
	const struct hp_pool *p = hp_pool_at(s);
	struct mapb m, nd;

	mb_init(&m);
	mb_u64(&m, "pool_id", p->id);
	mb_str(&m, "name", p->name);
	pack_traffic4(&m, &p->st.t);
	mb_u64(&m, "bytes", p->st.t.bytes_sent + p->st.t.bytes_rcvd);
	mb_u64(&m, "packets", p->st.t.pkts_sent + p->st.t.pkts_rcvd);
	mb_u64(&m, "seen.first", p->st.first_us / 1000000u);
	mb_u64(&m, "seen.last", p->st.last_us / 1000000u);
	mb_u64(&m, "num_hosts", pc->hosts[s]);
	mb_u64(&m, "num_members", p->members);
	mb_init(&nd);
	for (uint32_t i = 0; i < ifc->nprotos; i++) {
		const struct traffic *t = &p->st.proto[i];
		struct mapb e;
		if (t->pkts_sent + t->pkts_rcvd == 0)
			continue;
		mb_init(&e);
		pack_traffic4(&e, t);
		mb_end(&e, mb_key(&nd, ndpi_get_proto_name(ifc->ndpi,
		    (uint16_t)i)));
	}
	mb_end(&nd, mb_key(&m, "ndpi"));
	mb_end(&m, pk);
}

/* getHostPoolsStats(): {[pool_id] = stats} of every pool. */
void
m_get_host_pools_stats(struct call *c)
{
	struct pool_count pc;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	pool_members(c, &pc);
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, (uint32_t)hp_count());
	for (size_t s = 0; s < hp_count(); s++) {
		msgpack_pack_uint64(&c->w->pk, hp_pool_at(s)->id);
		pack_pool(c, &pc, s, &c->w->pk);
	}
	pthread_mutex_unlock(&c->ifc->lock);
}

/* getHostPoolStats(pool_id): the stats of one pool; nil for a pool that
 * is not configured. */
void
m_get_host_pool_stats(struct call *c)
{
	struct pool_count pc;
	int64_t id;
	int s;

	if (!want_args(c, 1, 1) ||
	    !arg_int(c, 0, true, 0, HP_MAX_POOL_ID, &id))
		return;
	iface_lock_rpc(c->ifc);
	if ((s = hp_slot_of_id(id)) < 0) {
		pthread_mutex_unlock(&c->ifc->lock);
		fail(c, IPC_ERR_NOT_FOUND, "no host pool %lld", (long long)id);
		return;
	}
	pool_members(c, &pc);
	ipc_reply_begin(c->w, c->rq->id);
	pack_pool(c, &pc, (size_t)s, &c->w->pk);
	pthread_mutex_unlock(&c->ifc->lock);
}

/* ---- configuration ------------------------------------------------------ */

/* s, copied from o, is short printable text worth quoting. */
static bool
printable(const msgpack_object *o, const char *s)
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size > HP_MEMBER_MAX)
		return false;
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* An empty Lua table arrives as an empty map. */
static bool
as_list(const msgpack_object *o, const msgpack_object **v, uint32_t *n)
{
	if (o && o->type == MSGPACK_OBJECT_MAP && o->via.map.size == 0) {
		*v = NULL;
		*n = 0;
		return true;
	}
	if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY)
		return false;
	*v = o->via.array.ptr;
	*n = o->via.array.size;
	return true;
}

/* setHostPools({{id = N, name = "...", members = {"ip[/len][@vlan]" or
 * "mac", ...}}, ...}): replaces every configured pool. Pool 0 may be
 * listed to name it and to take members out of a broader member of
 * another pool. */
static bool
pools_apply(struct iface *ifc, const msgpack_object *cfg, char *err,
    size_t errlen)
{
	const msgpack_object *pv, *mv;
	uint32_t np, nmem, total = 0;
	struct hp_pool *pools = NULL;
	struct hp_member *mem = NULL;
	size_t n = 0, nm = 0;
	char name0[HP_NAME_MAX + 1] = "";

	if (!as_list(cfg, &pv, &np) || np > HP_MAX_POOLS + 1) {
		snprintf(err, errlen, "argument #1 must be a list of at most "
		    "%d pools", HP_MAX_POOLS);
		return false;
	}
	for (uint32_t i = 0; i < np; i++) {
		if (!as_list(map_field(&pv[i], "members"), &mv, &nmem)) {
			snprintf(err, errlen, "pool %u: members must be a list",
			    i + 1);
			return false;
		}
		total += nmem;
		if (total > HP_MAX_MEMBERS) {
			snprintf(err, errlen, "more than %d members",
			    HP_MAX_MEMBERS);
			return false;
		}
	}
	if ((np && (pools = calloc(np, sizeof *pools)) == NULL) ||
	    (total && (mem = calloc(total, sizeof *mem)) == NULL)) {
		free(pools);
		snprintf(err, errlen, "out of memory");
		return false;
	}
	for (uint32_t i = 0; i < np; i++) {
		int64_t id;
		char name[HP_NAME_MAX + 1];
		uint16_t slot;
		const msgpack_object *idv = map_field(&pv[i], "id");
		if (idv == NULL || !obj_int(idv, &id) || id < 0 ||
		    id > HP_MAX_POOL_ID) {
			snprintf(err, errlen, "pool %u: id must be an integer "
			    "in 0..%d", i + 1, HP_MAX_POOL_ID);
			goto bad;
		}
		if (!ipc_obj_strcpy(map_field(&pv[i], "name"), name, sizeof name)) {
			snprintf(err, errlen, "pool %lld: name must be a string"
			    " of at most %d bytes", (long long)id,
			    HP_NAME_MAX);
			goto bad;
		}
		for (size_t k = 0; k < n; k++)
			if (pools[k].id == id) {
				snprintf(err, errlen, "pool %lld is listed "
				    "twice", (long long)id);
				goto bad;
			}
		if (id == 0) {
			if (name0[0]) {
				snprintf(err, errlen, "pool 0 is listed twice");
				goto bad;
			}
			memcpy(name0, name, sizeof name0);
			slot = 0;
		} else {
			if (n == HP_MAX_POOLS) {
				snprintf(err, errlen, "more than %d pools",
				    HP_MAX_POOLS);
				goto bad;
			}
			pools[n].id = (uint16_t)id;
			memcpy(pools[n].name, name, sizeof name);
			slot = (uint16_t)++n;
		}
		as_list(map_field(&pv[i], "members"), &mv, &nmem);
		for (uint32_t k = 0; k < nmem; k++) {
			char s[HP_MEMBER_MAX + 1] = "";
			if (!ipc_obj_strcpy(&mv[k], s, sizeof s) ||
			    !hp_member_parse(s, &mem[nm])) {
				snprintf(err, errlen, "pool %lld: member '%s' is"
				    " no address, CIDR (with @vlan) or MAC",
				    (long long)id, printable(&mv[k], s) ? s :
				    "?");
				goto bad;
			}
			mem[nm++].slot = slot;
		}
	}
	iface_lock_rpc(ifc);
	bool ok = hp_set(pools, n, mem, nm, err, errlen);
	if (ok) {
		struct hp_pool *p0 = (struct hp_pool *)hp_pool_at(0);
		snprintf(p0->name, sizeof p0->name, "%s",
		    name0[0] ? name0 : "Default");
	}
	pthread_mutex_unlock(&ifc->lock);
	return ok;
bad:
	free(pools);
	free(mem);
	return false;
}

void
m_set_host_pools(struct call *c)
{
	char err[200];

	if (!want_args(c, 1, 1))
		return;
	if (!pools_apply(c->ifc, arg(c, 0), err, sizeof err)) {
		fail(c, IPC_ERR_BAD_REQUEST, "%s", err);
		return;
	}
	if (!as_config_save("host_pools", arg(c, 0), err, sizeof err)) {
		fail(c, IPC_ERR_INTERNAL, "applied but not saved: %s", err);
		return;
	}
	reply_nil(c);
}

/* findMacPool(mac), findMemberPool(host[, vlan]): the pool a MAC, or an
 * address (seen or not) in a VLAN, belongs to by the configuration. */
void
m_find_pool(struct call *c)
{
	char s[64];
	uint8_t mac[6], ver, ip[16];
	uint16_t vlan = 0;
	bool given;
	uint16_t slot;

	if (!want_args(c, 1, 2))
		return;
	if (strcmp(c->rq->method, "findMacPool") == 0) {
		if (!arg_str(c, 0, true, s, sizeof s))
			return;
		if (!mac_parse(s, mac)) {
			fail(c, IPC_ERR_BAD_REQUEST, "findMacPool: '%s' is no "
			    "MAC address", s);
			return;
		}
		iface_lock_rpc(c->ifc);
		slot = hp_slot_of_mac(mac);
	} else {
		if (!host_args_at(c, 0, true, &given, &ver, ip, &vlan))
			return;
		iface_lock_rpc(c->ifc);
		struct host *h = ht_find(&c->ifc->hosts, ver, ip, vlan);
		uint16_t id = h ? hp_pool_id_of(h) :
		    hp_pool_id_of_addr(ver, ip, vlan);
		pthread_mutex_unlock(&c->ifc->lock);
		reply_u64(c, id);
		return;
	}
	uint16_t id = hp_pool_at(slot)->id;
	pthread_mutex_unlock(&c->ifc->lock);
	reply_u64(c, id);
}

/* At start, before the capture: the pools last configured. */
void
rpc_pools_restore(struct iface *ifc)
{
	msgpack_unpacked u;
	char err[200];
	void *buf = NULL;

	msgpack_unpacked_init(&u);
	if (as_config_load("host_pools", &u, &buf)) {
		if (pools_apply(ifc, &u.data, err, sizeof err))
			log_info("host_pools restored from the alert store");
		else
			log_warn("saved host_pools not applied: %s", err);
	}
	msgpack_unpacked_destroy(&u);
	free(buf);
}
