/* interface.* of section 14: the service map and the periodicity map
 * (behaviour.h keeps them on the packet path; this file answers).
 *
 * serviceMap / periodicityMap([host [, vlan [, host_pool_id
 * [, unicast_only]]]]): an array of entries, those with the host at
 * either end, in the VLAN, with an end in the host pool, and with a
 * unicast server when asked. A caller
 * limited to some networks sees the entries with an end inside them. */
#include "rpc_common.h"

#include "addr.h"
#include "caller.h"
#include "host_pools.h"

#include <stdlib.h>
#include <string.h>

struct map_filter {
	bool has_host;
	uint8_t ver, ip[16];
	int64_t vlan; /* -1 = any */
	int64_t pool; /* -1 = any */
	bool unicast_only;
};

struct map_walk {
	struct call *c;
	const struct map_filter *mf;
	bool periodic_only;
	struct beh_entry **v;
	size_t n, cap;
	bool oom;
};

void
m_is_behaviour_available(struct call *c)
{
	if (!want_args(c, 0, 0))
		return;
	reply_bool(c, true); /* this worker keeps both maps */
}

static bool
parse_map_filter(struct call *c, struct map_filter *mf)
{
	const msgpack_object *h = arg(c, 0);
	char buf[64];

	memset(mf, 0, sizeof *mf);
	mf->vlan = mf->pool = -1;
	if (!want_args(c, 0, 4))
		return false;
	if (h) {
		if (!ipc_obj_strcpy(h, buf, sizeof buf)) {
			fail(c, IPC_ERR_BAD_REQUEST, "host must be a string");
			return false;
		}
		char *at = strchr(buf, '@');
		if (at) {
			char *end;
			*at = '\0';
			long v = strtol(at + 1, &end, 10);
			if (at[1] == '\0' || *end != '\0' || v < 0 || v > 4095) {
				fail(c, IPC_ERR_BAD_REQUEST,
				    "bad vlan in host key");
				return false;
			}
			mf->vlan = v;
		}
		if (!addr_parse(buf, &mf->ver, mf->ip)) {
			fail(c, IPC_ERR_BAD_REQUEST,
			    "'%s' is not an IP address", buf);
			return false;
		}
		mf->has_host = true;
	}
	int64_t v;
	if (arg(c, 1)) {
		if (!arg_int(c, 1, false, 0, 4095, &v))
			return false;
		mf->vlan = v;
	}
	if (arg(c, 2)) {
		if (!arg_int(c, 2, false, 0, 65535, &v))
			return false;
		mf->pool = v;
	}
	return arg_bool(c, 3, false, &mf->unicast_only);
}

/* The pool of an entry's end (the lock is held). */
static int64_t
end_pool(struct call *c, uint8_t ver, const uint8_t ip[16], uint16_t vlan)
{
	const struct host *h = ht_find(&c->ifc->hosts, ver, ip, vlan);
	return h ? hp_pool_id_of(h) : hp_pool_id_of_addr(ver, ip, vlan);
}

static bool
entry_matches(struct call *c, const struct map_filter *mf,
    const struct beh_entry *e)
{
	const struct beh_key *k = &e->k;
	const struct ipc_ctx *ctx = &c->rq->ctx;

	if (mf->vlan >= 0 && k->vlan != mf->vlan)
		return false;
	if (mf->pool >= 0 && end_pool(c, k->ipver, k->cli_ip, k->vlan) !=
	    mf->pool && end_pool(c, k->ipver, k->srv_ip, k->vlan) != mf->pool)
		return false;
	if (mf->has_host && !(k->ipver == mf->ver &&
	    (memcmp(k->cli_ip, mf->ip, 16) == 0 ||
	    memcmp(k->srv_ip, mf->ip, 16) == 0)))
		return false;
	if (mf->unicast_only && (addr_is_multicast(k->ipver, k->srv_ip) ||
	    addr_is_broadcast(k->ipver, k->srv_ip)))
		return false;
	return caller_may_see_ip(ctx, k->ipver, k->cli_ip) ||
	    caller_may_see_ip(ctx, k->ipver, k->srv_ip);
}

static void
walk_one(struct beh_entry *e, void *arg)
{
	struct map_walk *mw = arg;

	if (mw->oom || (mw->periodic_only && !beh_periodic(e)) ||
	    !entry_matches(mw->c, mw->mf, e))
		return;
	if (mw->n == mw->cap) {
		size_t cap = mw->cap ? mw->cap * 2 : 64;
		struct beh_entry **v = realloc(mw->v, cap * sizeof *v);
		if (v == NULL) {
			mw->oom = true;
			return;
		}
		mw->v = v;
		mw->cap = cap;
	}
	mw->v[mw->n++] = e;
}

/* Entries in a stable order: first seen, then id. */
static int
cmp_entries(const void *a, const void *b)
{
	const struct beh_entry *x = *(struct beh_entry *const *)a;
	const struct beh_entry *y = *(struct beh_entry *const *)b;

	if (x->first_us != y->first_us)
		return x->first_us < y->first_us ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void
pack_common(struct iface *ifc, struct mapb *m, const struct beh_entry *e,
    uint16_t l7)
{
	char a[ADDR_STRLEN];
	const struct beh_key *k = &e->k;

	mb_str(m, "client", addr_fmt(k->ipver, k->cli_ip, a));
	mb_str(m, "server", addr_fmt(k->ipver, k->srv_ip, a));
	mb_u64(m, "vlan_id", k->vlan);
	mb_u64(m, "l4_proto", k->l4proto);
	mb_str(m, "l7_proto", ndpi_get_proto_name(ifc->ndpi, l7));
	mb_u64(m, "l7_proto_id", l7);
	mb_u64(m, "server_port", k->srv_port);
	mb_u64(m, "first_seen", e->first_us / 1000000u);
	mb_u64(m, "last_seen", e->last_us / 1000000u);
	mb_str(m, "info", e->info);
}

static void
map_listing(struct call *c, bool services)
{
	struct map_filter mf;
	struct iface *ifc = c->ifc;

	if (!parse_map_filter(c, &mf))
		return;
	struct map_walk mw = { .c = c, .mf = &mf, .periodic_only = !services };
	iface_lock_rpc(ifc);
	beh_foreach(services ? &ifc->beh.svc : &ifc->beh.per, walk_one, &mw);
	if (mw.oom) {
		pthread_mutex_unlock(&ifc->lock);
		free(mw.v);
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	if (mw.n > 1)
		qsort(mw.v, mw.n, sizeof *mw.v, cmp_entries);
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_array(&c->w->pk, (uint32_t)mw.n);
	for (size_t i = 0; i < mw.n; i++) {
		const struct beh_entry *e = mw.v[i];
		struct mapb m;
		mb_init(&m);
		if (services) {
			pack_common(ifc, &m, e, e->k.l7);
			mb_u64(&m, "num_uses", e->num_flows);
			mb_u64(&m, "service_acceptance", e->status);
			mb_u64(&m, "key", e->id);
		} else {
			pack_common(ifc, &m, e, e->last_l7);
			mb_u64(&m, "frequency",
			    (e->candidate_us + 500000u) / 1000000u);
			mb_u64(&m, "num_periodic_loops_accounted", e->loops);
			mb_u64(&m, "num_flows", e->num_flows);
		}
		mb_end(&m, &c->w->pk);
	}
	pthread_mutex_unlock(&ifc->lock);
	free(mw.v);
}

void
m_service_map(struct call *c)
{
	map_listing(c, true);
}

void
m_periodicity_map(struct call *c)
{
	map_listing(c, false);
}

/* serviceMapFilterList() / periodicityMapFilterList(): the application
 * protocols of the entries the caller sees, [{l7_proto, l7_proto_id,
 * count}] by name. */
static void
filter_list(struct call *c, bool services)
{
	struct map_filter mf = { .vlan = -1, .pool = -1 };
	struct iface *ifc = c->ifc;

	if (!want_args(c, 0, 0))
		return;
	struct map_walk mw = { .c = c, .mf = &mf, .periodic_only = !services };
	iface_lock_rpc(ifc);
	beh_foreach(services ? &ifc->beh.svc : &ifc->beh.per, walk_one, &mw);
	if (mw.oom) {
		pthread_mutex_unlock(&ifc->lock);
		free(mw.v);
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	uint32_t *count = calloc(ifc->nprotos, sizeof *count);
	uint32_t n = 0;
	if (count == NULL) {
		pthread_mutex_unlock(&ifc->lock);
		free(mw.v);
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	for (size_t i = 0; i < mw.n; i++) {
		uint16_t l7 = services ? mw.v[i]->k.l7 : mw.v[i]->last_l7;
		if (l7 < ifc->nprotos && count[l7]++ == 0)
			n++;
	}
	struct item_vec iv = { 0 };
	for (uint32_t p = 0; p < ifc->nprotos; p++) {
		struct sort_item *it;
		if (count[p] == 0 || (it = iv_push(&iv, NULL, p)) == NULL)
			continue;
		snprintf(it->str, sizeof it->str, "%s",
		    ndpi_get_proto_name(ifc->ndpi, (uint16_t)p));
	}
	if (iv.oom) {
		pthread_mutex_unlock(&ifc->lock);
		free(mw.v);
		free(count);
		iv_free(&iv);
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	sort_items(iv.v, iv.n, true, true);
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_array(&c->w->pk, (uint32_t)iv.n);
	for (size_t i = 0; i < iv.n; i++) {
		struct mapb m;
		mb_init(&m);
		mb_str(&m, "l7_proto", iv.v[i].str);
		mb_u64(&m, "l7_proto_id", iv.v[i].tie);
		mb_u64(&m, "count", count[iv.v[i].tie]);
		mb_end(&m, &c->w->pk);
	}
	pthread_mutex_unlock(&ifc->lock);
	free(mw.v);
	free(count);
	iv_free(&iv);
}

void
m_service_map_filter_list(struct call *c)
{
	filter_list(c, true);
}

void
m_periodicity_map_filter_list(struct call *c)
{
	filter_list(c, false);
}

void
m_flush_service_map(struct call *c)
{
	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	beh_flush_services(&c->ifc->beh);
	pthread_mutex_unlock(&c->ifc->lock);
	reply_nil(c);
}

void
m_flush_periodicity_map(struct call *c)
{
	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	beh_flush_periodicity(&c->ifc->beh);
	pthread_mutex_unlock(&c->ifc->lock);
	reply_nil(c);
}

/* serviceMapLearningStatus(): learning runs for BEH_LEARNING_S seconds of
 * traffic (packet time) from the first edge after start or a flush. */
void
m_service_map_learning_status(struct call *c)
{
	struct iface *ifc = c->ifc;
	struct mapb m;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(ifc);
	uint64_t start = ifc->beh.learning_start_us;
	bool learning = beh_learning(&ifc->beh, ifc->last_us);
	uint64_t end = start ? start + (uint64_t)BEH_LEARNING_S * 1000000u : 0;
	uint64_t dropped = ifc->beh.svc.dropped;
	size_t n = ifc->beh.svc.count;
	uint64_t now = ifc->last_us;
	pthread_mutex_unlock(&ifc->lock);

	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_bool(&m, "learning", learning);
	mb_bool(&m, "learning_done", !learning);
	mb_u64(&m, "learning_period", BEH_LEARNING_S);
	mb_u64(&m, "learning_start", start / 1000000u);
	mb_u64(&m, "learning_end", end / 1000000u);
	mb_u64(&m, "remaining_time", learning && end > now ?
	    (end - now + 999999u) / 1000000u : 0);
	mb_u64(&m, "num_services", n);
	mb_u64(&m, "num_dropped", dropped);
	mb_end(&m, &c->w->pk);
}

static bool
parse_status(const msgpack_object *o, uint8_t *st)
{
	int64_t v;
	char buf[16];

	if (obj_int_or_str(o, &v)) {
		if (v < SVC_ALLOWED || v > SVC_UNDECIDED)
			return false;
		*st = (uint8_t)v;
		return true;
	}
	if (!ipc_obj_strcpy(o, buf, sizeof buf))
		return false;
	if (strcmp(buf, "allowed") == 0)
		*st = SVC_ALLOWED;
	else if (strcmp(buf, "denied") == 0)
		*st = SVC_DENIED;
	else if (strcmp(buf, "undecided") == 0)
		*st = SVC_UNDECIDED;
	else
		return false;
	return true;
}

#define STATUS_HELP "status must be 0 (allowed), 1 (denied), 2 (undecided) " \
	"or their names"

/* serviceMapSetStatus(key, status): true when the edge exists. */
void
m_service_map_set_status(struct call *c)
{
	int64_t id;
	uint8_t st;

	if (!want_args(c, 2, 2) || !arg_int(c, 0, true, 1, UINT32_MAX, &id))
		return;
	if (!parse_status(arg(c, 1), &st)) {
		fail(c, IPC_ERR_BAD_REQUEST, STATUS_HELP);
		return;
	}
	iface_lock_rpc(c->ifc);
	struct beh_entry *e = beh_service_by_id(&c->ifc->beh, (uint32_t)id);
	if (e)
		e->status = st;
	pthread_mutex_unlock(&c->ifc->lock);
	reply_bool(c, e != NULL);
}

struct status_req {
	uint32_t id;
	uint8_t st;
	bool done;
};

static int
cmp_req(const void *a, const void *b)
{
	uint32_t x = ((const struct status_req *)a)->id;
	uint32_t y = ((const struct status_req *)b)->id;
	return x < y ? -1 : x > y;
}

struct set_walk {
	struct status_req *r;
	size_t n;
	uint32_t changed;
};

static void
set_one(struct beh_entry *e, void *arg)
{
	struct set_walk *sw = arg;
	struct status_req key = { .id = e->id };
	struct status_req *r = bsearch(&key, sw->r, sw->n, sizeof *sw->r,
	    cmp_req);

	if (r) {
		e->status = r->st;
		r->done = true;
		sw->changed++;
	}
}

#define MAX_STATUS_ENTRIES 10000

/* serviceMapSetMultipleStatus({[key] = status, ...}): the number of
 * edges changed; every key and status is checked before any change. */
void
m_service_map_set_multiple_status(struct call *c)
{
	const msgpack_object *t;

	if (!want_args(c, 1, 1))
		return;
	t = arg(c, 0);
	if (t == NULL || (t->type != MSGPACK_OBJECT_MAP &&
	    t->type != MSGPACK_OBJECT_ARRAY)) {
		fail(c, IPC_ERR_BAD_REQUEST, "expects a table {[key] = status}");
		return;
	}
	uint32_t n = t->type == MSGPACK_OBJECT_MAP ? t->via.map.size : 0;
	if (n > MAX_STATUS_ENTRIES) {
		fail(c, IPC_ERR_BAD_REQUEST, "at most %d entries",
		    MAX_STATUS_ENTRIES);
		return;
	}
	if (t->type == MSGPACK_OBJECT_ARRAY && t->via.array.size > 0) {
		fail(c, IPC_ERR_BAD_REQUEST, "expects a table {[key] = status}");
		return;
	}
	struct status_req *r = calloc(n ? n : 1, sizeof *r);
	if (r == NULL) {
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object_kv *kv = &t->via.map.ptr[i];
		int64_t id;
		if (!obj_int_or_str(&kv->key, &id) || id < 1 ||
		    id > UINT32_MAX) {
			free(r);
			fail(c, IPC_ERR_BAD_REQUEST, "keys must be service "
			    "keys (integers 1..%u)", UINT32_MAX);
			return;
		}
		if (!parse_status(&kv->val, &r[i].st)) {
			free(r);
			fail(c, IPC_ERR_BAD_REQUEST, STATUS_HELP);
			return;
		}
		r[i].id = (uint32_t)id;
	}
	qsort(r, n, sizeof *r, cmp_req);
	struct set_walk sw = { r, n, 0 };
	iface_lock_rpc(c->ifc);
	if (n > 0)
		beh_foreach(&c->ifc->beh.svc, set_one, &sw);
	pthread_mutex_unlock(&c->ifc->lock);
	free(r);
	reply_u64(c, sw.changed);
}
