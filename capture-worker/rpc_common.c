/* Argument checking, listing parameters, sorting and paging shared by the
 * RPC handler files; see rpc_common.h. */
#include "rpc_common.h"

#include "caller.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
fail(struct call *c, int status, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ipc_reply_error(c->w, c->rq->id, status, "%s: %s", c->rq->method, msg);
}

bool
want_args(struct call *c, uint32_t min, uint32_t max)
{
	if (c->rq->nargs < min || c->rq->nargs > max) {
		fail(c, IPC_ERR_BAD_REQUEST, "expects %u to %u arguments, got %u",
		    min, max, c->rq->nargs);
		return false;
	}
	return true;
}

bool
obj_int(const msgpack_object *o, int64_t *v)
{
	if (ipc_obj_i64(o, v))
		return true;
	if ((o->type == MSGPACK_OBJECT_FLOAT64 ||
		o->type == MSGPACK_OBJECT_FLOAT32) &&
	    o->via.f64 == floor(o->via.f64) && fabs(o->via.f64) < 9e15) {
		*v = (int64_t)o->via.f64;
		return true;
	}
	return false;
}

const msgpack_object *
map_field(const msgpack_object *o, const char *k)
{
	const msgpack_object *v = ipc_map_get(o, k);

	return v == NULL || ipc_obj_is_nil(v) ? NULL : v;
}

bool
obj_int_or_str(const msgpack_object *o, int64_t *v)
{
	char b[24], *end;

	if (obj_int(o, v))
		return true;
	if (!ipc_obj_strcpy(o, b, sizeof b) || b[0] == '\0')
		return false;
	long long x = strtoll(b, &end, 10);
	if (*end != '\0')
		return false;
	*v = x;
	return true;
}

const msgpack_object *
arg(struct call *c, uint32_t i)
{
	if (i >= c->rq->nargs || ipc_obj_is_nil(&c->rq->args[i]))
		return NULL;
	return &c->rq->args[i];
}

bool
arg_int(struct call *c, uint32_t i, bool required, int64_t min, int64_t max,
    int64_t *v)
{
	const msgpack_object *o = arg(c, i);

	if (o == NULL) {
		if (required)
			fail(c, IPC_ERR_BAD_REQUEST, "argument %u is required",
			    i + 1);
		return !required;
	}
	if (!obj_int_or_str(o, v)) {
		fail(c, IPC_ERR_BAD_REQUEST, "argument %u must be an integer",
		    i + 1);
		return false;
	}
	if (*v < min || *v > max) {
		fail(c, IPC_ERR_BAD_REQUEST, "argument %u must be in "
		    "%lld..%lld", i + 1, (long long)min, (long long)max);
		return false;
	}
	return true;
}

bool
arg_str(struct call *c, uint32_t i, bool required, char *buf, size_t len)
{
	const msgpack_object *o = arg(c, i);

	if (o == NULL) {
		if (required)
			fail(c, IPC_ERR_BAD_REQUEST, "argument %u is required",
			    i + 1);
		return !required;
	}
	if (!ipc_obj_strcpy(o, buf, len)) {
		fail(c, IPC_ERR_BAD_REQUEST, "argument %u must be a string "
		    "(< %zu bytes)", i + 1, len);
		return false;
	}
	return true;
}

bool
arg_bool(struct call *c, uint32_t i, bool required, bool *v)
{
	const msgpack_object *o = arg(c, i);

	if (o == NULL) {
		if (required)
			fail(c, IPC_ERR_BAD_REQUEST, "argument %u is required",
			    i + 1);
		return !required;
	}
	if (!ipc_obj_bool(o, v)) {
		fail(c, IPC_ERR_BAD_REQUEST, "argument %u must be a boolean",
		    i + 1);
		return false;
	}
	return true;
}

void
reply_nil(struct call *c)
{
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_nil(&c->w->pk);
}

void
reply_bool(struct call *c, bool v)
{
	ipc_reply_begin(c->w, c->rq->id);
	if (v)
		msgpack_pack_true(&c->w->pk);
	else
		msgpack_pack_false(&c->w->pk);
}

void
reply_u64(struct call *c, uint64_t v)
{
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_uint64(&c->w->pk, v);
}

bool
host_args_at(struct call *c, uint32_t i, bool required, bool *given,
    uint8_t *ver, uint8_t ip[16], uint16_t *vlan)
{
	char buf[64];
	int64_t v = 0;
	const msgpack_object *h = arg(c, i), *vl = arg(c, i + 1);

	*given = false;
	if (h == NULL) {
		if (required) {
			fail(c, IPC_ERR_BAD_REQUEST, "host is required");
			return false;
		}
		return true;
	}
	if (!ipc_obj_strcpy(h, buf, sizeof buf)) {
		fail(c, IPC_ERR_BAD_REQUEST, "host must be a string");
		return false;
	}
	char *at = strchr(buf, '@');
	if (at) {
		char *end;
		*at = '\0';
		v = strtol(at + 1, &end, 10);
		if (*end != '\0' || at[1] == '\0') {
			fail(c, IPC_ERR_BAD_REQUEST, "bad vlan in host key");
			return false;
		}
	}
	if (vl && !obj_int_or_str(vl, &v)) {
		fail(c, IPC_ERR_BAD_REQUEST, "vlan must be an integer");
		return false;
	}
	if (v < 0 || v > 4095) {
		fail(c, IPC_ERR_BAD_REQUEST, "vlan must be in 0..4095");
		return false;
	}
	if (!addr_parse(buf, ver, ip)) {
		fail(c, IPC_ERR_BAD_REQUEST, "'%s' is not an IP address", buf);
		return false;
	}
	*vlan = (uint16_t)v;
	*given = true;
	return true;
}

struct host *
find_host_arg(struct call *c, bool *bad)
{
	uint8_t ver, ip[16];
	uint16_t vlan;
	bool given;

	*bad = false;
	if (!host_args_at(c, 0, true, &given, &ver, ip, &vlan)) {
		*bad = true;
		return NULL;
	}
	struct host *h = ht_find(&c->ifc->hosts, ver, ip, vlan);
	if (h == NULL || !ctx_may_see_host(&c->rq->ctx, h))
		return NULL;
	return h;
}

/* ---- listing parameters ------------------------------------------------ */

static bool
param_int(struct call *c, const msgpack_object *p, const char *key,
    int64_t *v)
{
	const msgpack_object *o = ipc_map_get(p, key);

	if (o == NULL || ipc_obj_is_nil(o))
		return true;
	if (!obj_int_or_str(o, v)) {
		fail(c, IPC_ERR_BAD_REQUEST, "%s must be an integer", key);
		return false;
	}
	return true;
}

static bool
param_str(struct call *c, const msgpack_object *p, const char *key,
    char *buf, size_t len)
{
	const msgpack_object *o = ipc_map_get(p, key);

	if (o == NULL || ipc_obj_is_nil(o))
		return true;
	if (!ipc_obj_strcpy(o, buf, len)) {
		fail(c, IPC_ERR_BAD_REQUEST, "%s must be a string (< %zu bytes)",
		    key, len);
		return false;
	}
	return true;
}

static bool
parse_l4(struct call *c, const msgpack_object *p, int64_t *l4)
{
	char name[16];
	const msgpack_object *o = ipc_map_get(p, "l4proto");

	if (o == NULL || ipc_obj_is_nil(o) || obj_int_or_str(o, l4))
		return true;
	if (!ipc_obj_strcpy(o, name, sizeof name)) {
		fail(c, IPC_ERR_BAD_REQUEST, "l4proto must be a number or a "
		    "name");
		return false;
	}
	for (int i = 0; i < 256 && *l4 < 0; i++)
		if (strcasecmp(l4_name((uint8_t)i), name) == 0 &&
		    strcmp(name, "Other") != 0)
			*l4 = i;
	if (*l4 < 0) {
		fail(c, IPC_ERR_BAD_REQUEST, "unknown l4proto '%s'", name);
		return false;
	}
	return true;
}

bool
parse_list_params_at(struct call *c, uint32_t i, struct list_params *lp,
    const char *default_sort)
{
	const msgpack_object *p;
	char order[8] = "desc", host[64] = "";
	int64_t vlan_id = -1;

	memset(lp, 0, sizeof *lp);
	lp->page = 1;
	lp->per_page = DEFAULT_PER_PAGE;
	lp->vlan = lp->l4 = lp->os = lp->asn = lp->pool = lp->network = -1;
	snprintf(lp->sort, sizeof lp->sort, "%s", default_sort);
	p = arg(c, i);
	if (p == NULL)
		return true;
	if (p->type != MSGPACK_OBJECT_MAP) {
		fail(c, IPC_ERR_BAD_REQUEST, "argument %u must be a table",
		    i + 1);
		return false;
	}
	if (!param_int(c, p, "currentPage", &lp->page) ||
	    !param_int(c, p, "perPage", &lp->per_page) ||
	    !param_str(c, p, "sortColumn", lp->sort, sizeof lp->sort) ||
	    !param_str(c, p, "sortOrder", order, sizeof order) ||
	    !param_str(c, p, "host", host, sizeof host) ||
	    !param_int(c, p, "vlan", &lp->vlan) ||
	    !param_int(c, p, "vlan_id", &vlan_id) ||
	    !param_str(c, p, "application", lp->app, sizeof lp->app) ||
	    !param_str(c, p, "category", lp->category, sizeof lp->category) ||
	    !param_str(c, p, "country", lp->country, sizeof lp->country) ||
	    !param_int(c, p, "os", &lp->os) ||
	    !param_int(c, p, "asn", &lp->asn) ||
	    !param_int(c, p, "pool", &lp->pool) ||
	    !param_int(c, p, "network", &lp->network) ||
	    !param_str(c, p, "filter", lp->filter, sizeof lp->filter) ||
	    !param_str(c, p, "traffic_type", lp->traffic_type,
		sizeof lp->traffic_type) ||
	    !param_str(c, p, "status", lp->status, sizeof lp->status) ||
	    !param_str(c, p, "mac", lp->mac, sizeof lp->mac) ||
	    !parse_l4(c, p, &lp->l4))
		return false;
	if (vlan_id >= 0)
		lp->vlan = vlan_id;
	if (lp->page < 1) {
		fail(c, IPC_ERR_BAD_REQUEST, "currentPage must be >= 1");
		return false;
	}
	if (lp->per_page < 1 || lp->per_page > MAX_PER_PAGE) {
		fail(c, IPC_ERR_BAD_REQUEST, "perPage must be in 1..%d",
		    MAX_PER_PAGE);
		return false;
	}
	if (lp->vlan > 4095) {
		fail(c, IPC_ERR_BAD_REQUEST, "vlan must be in 0..4095");
		return false;
	}
	if (strcmp(order, "asc") == 0)
		lp->asc = true;
	else if (strcmp(order, "desc") != 0) {
		fail(c, IPC_ERR_BAD_REQUEST, "sortOrder must be asc or desc");
		return false;
	}
	if (lp->mac[0]) {
		if (!mac_parse(lp->mac, lp->mac_bytes)) {
			fail(c, IPC_ERR_BAD_REQUEST, "mac '%s' is not a MAC "
			    "address", lp->mac);
			return false;
		}
		lp->has_mac = true;
	}
	if (host[0]) {
		char *at = strchr(host, '@');
		if (at) {
			*at = '\0';
			lp->vlan = strtol(at + 1, NULL, 10);
		}
		if (!addr_parse(host, &lp->host_ver, lp->host_ip)) {
			fail(c, IPC_ERR_BAD_REQUEST, "host '%s' is not an IP "
			    "address", host);
			return false;
		}
		lp->has_host = true;
	}
	return true;
}

/* ---- sorting ---------------------------------------------------------- */

static bool sort_asc;
static bool sort_by_str;

static int
cmp_items(const void *pa, const void *pb)
{
	const struct sort_item *a = pa, *b = pb;
	int r;

	if (sort_by_str)
		r = strcmp(a->str, b->str);
	else
		r = a->num < b->num ? -1 : a->num > b->num;
	if (r == 0)
		r = a->tie < b->tie ? -1 : a->tie > b->tie;
	return sort_asc ? r : -r;
}

/* qsort has no context argument; the comparator's two flags are
 * guarded by this lock. */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

void
sort_items(struct sort_item *v, size_t n, bool asc, bool by_str)
{
	if (n < 2)
		return; /* and an empty list may have no array: qsort wants one */
	pthread_mutex_lock(&sort_lock);
	sort_asc = asc;
	sort_by_str = by_str;
	qsort(v, n, sizeof *v, cmp_items);
	pthread_mutex_unlock(&sort_lock);
}

static void
swap_items(struct sort_item *a, struct sort_item *b)
{
	struct sort_item t = *a;
	*a = *b;
	*b = t;
}

/* ---- bounded selection ---------------------------------------------- */

void
topk_init(struct topk *t, size_t k, bool asc, bool by_str)
{
	memset(t, 0, sizeof *t);
	t->k = k;
	t->asc = asc;
	t->by_str = by_str;
}

/* < 0 when a comes before b in the listing */
static int
topk_order(const struct topk *t, const struct sort_item *a,
    const struct sort_item *b)
{
	int r;

	if (t->by_str)
		r = strcmp(a->str, b->str);
	else
		r = a->num < b->num ? -1 : a->num > b->num;
	if (r == 0)
		r = a->tie < b->tie ? -1 : a->tie > b->tie;
	return t->asc ? r : -r;
}

/* Restores the heap (the last item in order at the root) below i, in
 * v[0..n). */
static void
topk_sift_down(struct topk *t, size_t i, size_t n)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && topk_order(t, &t->v[l], &t->v[m]) > 0)
			m = l;
		if (r < n && topk_order(t, &t->v[r], &t->v[m]) > 0)
			m = r;
		if (m == i)
			return;
		swap_items(&t->v[i], &t->v[m]);
		i = m;
	}
}

void
topk_offer(struct topk *t, const struct sort_item *it)
{
	t->seen++;
	if (t->oom)
		return;
	if (t->k && t->n == t->k) {
		if (topk_order(t, it, &t->v[0]) >= 0)
			return; /* after every item kept */
		t->v[0] = *it;
		topk_sift_down(t, 0, t->n);
		return;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		if (t->k && cap > t->k)
			cap = t->k;
		struct sort_item *v = realloc(t->v, cap * sizeof *v);
		if (v == NULL) {
			t->oom = true;
			return;
		}
		t->v = v;
		t->cap = cap;
	}
	size_t i = t->n++;
	t->v[i] = *it;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (topk_order(t, &t->v[i], &t->v[up]) <= 0)
			break;
		swap_items(&t->v[i], &t->v[up]);
		i = up;
	}
}

void
topk_finish(struct topk *t)
{
	/* heapsort: the root (last in order) goes to the end */
	for (size_t n = t->n; n > 1; n--) {
		swap_items(&t->v[0], &t->v[n - 1]);
		topk_sift_down(t, 0, n - 1);
	}
}

void
topk_free(struct topk *t)
{
	free(t->v);
	memset(t, 0, sizeof *t);
}

/* items packed per lock hold */
#define PACK_SLICE 256

size_t
pack_live_items(struct call *c, const struct sort_item *v, size_t from,
    size_t to, bool as_map,
    bool (*one)(struct call *, const struct sort_item *, msgpack_packer *))
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t n = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	iface_lock_rpc(c->ifc);
	for (size_t i = from; i < to; i++) {
		if (i > from && (i - from) % PACK_SLICE == 0)
			iface_pause(c->ifc);
		n += one(c, &v[i], &pk);
	}
	pthread_mutex_unlock(&c->ifc->lock);
	if (as_map)
		msgpack_pack_map(&c->w->pk, (uint32_t)n);
	else
		msgpack_pack_array(&c->w->pk, (uint32_t)n);
	if (sb.size)
		msgpack_sbuffer_write(&c->w->sb, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return n;
}

size_t
page_need(const struct list_params *lp)
{
	return lp->page > 0 && lp->per_page > 0 ?
	    (size_t)(lp->page * lp->per_page) : 0;
}

struct sort_item *
iv_push(struct item_vec *iv, const void *obj, uint32_t tie)
{
	if (iv->oom)
		return NULL;
	if (iv->n == iv->cap) {
		size_t cap = iv->cap ? iv->cap * 2 : 256;
		struct sort_item *v = realloc(iv->v, cap * sizeof *v);
		if (v == NULL) {
			iv->oom = true;
			return NULL;
		}
		iv->v = v;
		iv->cap = cap;
	}
	struct sort_item *it = &iv->v[iv->n++];
	it->obj = obj;
	it->tie = tie;
	it->num = 0;
	it->str[0] = '\0';
	return it;
}

void
iv_free(struct item_vec *iv)
{
	free(iv->v);
	memset(iv, 0, sizeof *iv);
}

void
page_bounds(const struct list_params *lp, size_t n, size_t *from, size_t *to)
{
	*from = (size_t)((lp->page - 1) * lp->per_page);
	*to = *from + (size_t)lp->per_page;
	if (*from > n)
		*from = n;
	if (*to > n)
		*to = n;
}

/* ---- visibility seam ---------------------------------------------------- */

bool
ctx_may_see_host(const struct ipc_ctx *ctx, const struct host *h)
{
	return caller_may_see(ctx, h);
}

bool
ctx_may_see_flow(const struct ipc_ctx *ctx, const struct flow *f)
{
	return (f->cli_host == NULL || ctx_may_see_host(ctx, f->cli_host)) ||
	    (f->srv_host == NULL || ctx_may_see_host(ctx, f->srv_host));
}

/* ---- MAC addresses ------------------------------------------------------- */

bool
mac_parse(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		&b[4], &b[5], &tail) != 6 || strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

const char *
mac_fmt(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02X:%02X:%02X:%02X:%02X:%02X", mac[0], mac[1],
	    mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
