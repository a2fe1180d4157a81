/* The capture worker's RPC methods: one table (name, handler, roles that
 * may call it). Arguments are the Lua call's arguments; each is checked
 * for type and count, and a wrong one is IPC_ERR_BAD_REQUEST naming the
 * method. Every handler reads the interface under iface->lock. */
#include "rpc_handlers.h"

#include "log.h"
#include "rpc_pack.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PER_PAGE 10000
#define DEFAULT_PER_PAGE 10

enum role { ROLE_ADMIN = 1, ROLE_UNPRIV = 2, ROLE_SYSTEM = 4 };
#define ROLES_ANY (ROLE_ADMIN | ROLE_UNPRIV | ROLE_SYSTEM)

struct call {
	const struct ipc_request *rq;
	struct ipc_writer *w;
	struct iface *ifc;
};

typedef void (*method_fn)(struct call *c);

static void
fail(struct call *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct call *c, int status, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ipc_reply_error(c->w, c->rq->id, status, "%s: %s", c->rq->method, msg);
}

static bool
want_args(struct call *c, uint32_t min, uint32_t max)
{
	if (c->rq->nargs < min || c->rq->nargs > max) {
		fail(c, IPC_ERR_BAD_REQUEST, "expects %u to %u arguments, got %u",
		    min, max, c->rq->nargs);
		return false;
	}
	return true;
}

/* Lua numbers may arrive as floats; accept integral ones. */
static bool
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

static const msgpack_object *
arg(struct call *c, uint32_t i)
{
	if (i >= c->rq->nargs || ipc_obj_is_nil(&c->rq->args[i]))
		return NULL;
	return &c->rq->args[i];
}

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
};

static bool
param_int(struct call *c, const msgpack_object *p, const char *key,
    int64_t *v)
{
	const msgpack_object *o = ipc_map_get(p, key);

	if (o == NULL || ipc_obj_is_nil(o))
		return true;
	if (!obj_int(o, v)) {
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
parse_list_params(struct call *c, struct list_params *lp,
    const char *default_sort)
{
	const msgpack_object *p;
	char order[8] = "desc", host[64] = "", l4[16] = "";

	memset(lp, 0, sizeof *lp);
	lp->page = 1;
	lp->per_page = DEFAULT_PER_PAGE;
	lp->vlan = lp->l4 = -1;
	snprintf(lp->sort, sizeof lp->sort, "%s", default_sort);
	if (!want_args(c, 0, 1))
		return false;
	p = arg(c, 0);
	if (p == NULL)
		return true;
	if (p->type != MSGPACK_OBJECT_MAP) {
		fail(c, IPC_ERR_BAD_REQUEST, "argument 1 must be a table");
		return false;
	}
	if (!param_int(c, p, "currentPage", &lp->page) ||
	    !param_int(c, p, "perPage", &lp->per_page) ||
	    !param_str(c, p, "sortColumn", lp->sort, sizeof lp->sort) ||
	    !param_str(c, p, "sortOrder", order, sizeof order) ||
	    !param_str(c, p, "host", host, sizeof host) ||
	    !param_int(c, p, "vlan", &lp->vlan) ||
	    !param_str(c, p, "application", lp->app, sizeof lp->app))
		return false;
	const msgpack_object *o = ipc_map_get(p, "l4proto");
	if (o && !ipc_obj_is_nil(o) && !obj_int(o, &lp->l4)) {
		if (!ipc_obj_strcpy(o, l4, sizeof l4)) {
			fail(c, IPC_ERR_BAD_REQUEST, "l4proto must be a "
						     "number or a name");
			return false;
		}
		for (int i = 0; i < 256 && lp->l4 < 0; i++)
			if (strcasecmp(l4_name((uint8_t)i), l4) == 0 &&
			    strcmp(l4, "Other") != 0)
				lp->l4 = i;
		if (lp->l4 < 0) {
			fail(c, IPC_ERR_BAD_REQUEST, "unknown l4proto '%s'", l4);
			return false;
		}
	}
	if (lp->page < 1) {
		fail(c, IPC_ERR_BAD_REQUEST, "currentPage must be >= 1");
		return false;
	}
	if (lp->per_page < 1 || lp->per_page > MAX_PER_PAGE) {
		fail(c, IPC_ERR_BAD_REQUEST, "perPage must be in 1..%d",
		    MAX_PER_PAGE);
		return false;
	}
	if (strcmp(order, "asc") == 0)
		lp->asc = true;
	else if (strcmp(order, "desc") != 0) {
		fail(c, IPC_ERR_BAD_REQUEST, "sortOrder must be asc or desc");
		return false;
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

/* Sort keys are computed once per item: a number or a string. */
struct sort_item {
	const void *obj;
	uint64_t num;
	char str[64];
	uint32_t tie;
};

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

static void
sort_items(struct sort_item *v, size_t n, bool asc, bool by_str)
{
	pthread_mutex_lock(&sort_lock);
	sort_asc = asc;
	sort_by_str = by_str;
	qsort(v, n, sizeof *v, cmp_items);
	pthread_mutex_unlock(&sort_lock);
}

/* ---- flows ------------------------------------------------------------ */

enum flow_sort {
	FS_BYTES, FS_PACKETS, FS_FIRST, FS_LAST, FS_DURATION, FS_CLIENT,
	FS_SERVER, FS_PROTOCOL, FS_VLAN, FS_L4, FS_CLI_PORT, FS_SRV_PORT
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
	{ "srv.port", FS_SRV_PORT, false },
};

struct flow_walk {
	struct iface *ifc;
	const struct list_params *lp;
	enum flow_sort col;
	struct sort_item *items;
	size_t n, cap;
	bool oom;
};

static bool
flow_matches(struct flow_walk *fw, const struct flow *f)
{
	const struct list_params *lp = fw->lp;

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
		const char *app = ndpi_get_proto_name(fw->ifc->ndpi,
		    f->proto.app_protocol);
		const char *master = ndpi_get_proto_name(fw->ifc->ndpi,
		    f->proto.master_protocol);
		char full[64];
		ndpi_protocol2name(fw->ifc->ndpi, f->proto, full, sizeof full);
		if (strcasecmp(lp->app, full) != 0 &&
		    strcasecmp(lp->app, app ? app : "") != 0 &&
		    strcasecmp(lp->app, master ? master : "") != 0)
			return false;
	}
	return true;
}

static void
collect_flow(struct flow *f, void *arg)
{
	struct flow_walk *fw = arg;
	struct sort_item *it;

	if (fw->oom || !flow_matches(fw, f))
		return;
	if (fw->n == fw->cap) {
		size_t cap = fw->cap ? fw->cap * 2 : 1024;
		struct sort_item *v = realloc(fw->items, cap * sizeof *v);
		if (v == NULL) {
			fw->oom = true;
			return;
		}
		fw->items = v;
		fw->cap = cap;
	}
	it = &fw->items[fw->n++];
	it->obj = f;
	it->tie = f->id;
	it->num = 0;
	it->str[0] = '\0';
	switch (fw->col) {
	case FS_BYTES:
		it->num = f->bytes[0] + f->bytes[1];
		break;
	case FS_PACKETS:
		it->num = f->pkts[0] + f->pkts[1];
		break;
	case FS_FIRST:
		it->num = f->first_us;
		break;
	case FS_LAST:
		it->num = f->last_us;
		break;
	case FS_DURATION:
		it->num = f->last_us - f->first_us;
		break;
	case FS_CLIENT:
		addr_fmt(f->ipver, f->cli_ip, it->str);
		break;
	case FS_SERVER:
		addr_fmt(f->ipver, f->srv_ip, it->str);
		break;
	case FS_PROTOCOL:
		ndpi_protocol2name(fw->ifc->ndpi, f->proto, it->str,
		    sizeof it->str);
		break;
	case FS_VLAN:
		it->num = f->vlan;
		break;
	case FS_L4:
		it->num = f->l4proto;
		break;
	case FS_CLI_PORT:
		it->num = f->cli_port;
		break;
	case FS_SRV_PORT:
		it->num = f->srv_port;
		break;
	}
}

static void
m_get_flows_info(struct call *c)
{
	struct list_params lp;
	struct flow_walk fw = { .ifc = c->ifc, .lp = &lp };
	bool by_str = false, found = false;

	if (!parse_list_params(c, &lp, "bytes"))
		return;
	for (size_t i = 0; i < sizeof flow_sorts / sizeof flow_sorts[0]; i++)
		if (strcmp(lp.sort, flow_sorts[i].name) == 0) {
			fw.col = flow_sorts[i].col;
			by_str = flow_sorts[i].by_str;
			found = true;
		}
	if (!found) {
		fail(c, IPC_ERR_BAD_REQUEST, "unknown sortColumn '%s'", lp.sort);
		return;
	}

	pthread_mutex_lock(&c->ifc->lock);
	ft_foreach(&c->ifc->flows, collect_flow, &fw);
	if (fw.oom) {
		pthread_mutex_unlock(&c->ifc->lock);
		free(fw.items);
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	sort_items(fw.items, fw.n, lp.asc, by_str);
	size_t from = (size_t)((lp.page - 1) * lp.per_page);
	size_t to = from + (size_t)lp.per_page;
	if (from > fw.n)
		from = fw.n;
	if (to > fw.n)
		to = fw.n;

	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, 2);
	ipc_pack_kv_u64(&c->w->pk, "numFlows", fw.n);
	ipc_pack_key(&c->w->pk, "flows");
	msgpack_pack_array(&c->w->pk, (uint32_t)(to - from));
	for (size_t i = from; i < to; i++)
		pack_flow(c->ifc, fw.items[i].obj, &c->w->pk);
	pthread_mutex_unlock(&c->ifc->lock);
	free(fw.items);
}

/* ---- hosts ------------------------------------------------------------ */

enum host_filter { HF_ALL, HF_LOCAL, HF_REMOTE };
enum host_sort { HS_BYTES, HS_PACKETS, HS_IP, HS_FIRST, HS_LAST, HS_FLOWS,
	HS_VLAN };

static const struct {
	const char *name;
	enum host_sort col;
	bool by_str;
} host_sorts[] = {
	{ "bytes", HS_BYTES, false },	   { "traffic", HS_BYTES, false },
	{ "packets", HS_PACKETS, false },  { "ip", HS_IP, true },
	{ "name", HS_IP, true },	   { "seen.first", HS_FIRST, false },
	{ "first_seen", HS_FIRST, false }, { "seen.last", HS_LAST, false },
	{ "last_seen", HS_LAST, false },   { "flows", HS_FLOWS, false },
	{ "vlan", HS_VLAN, false },
};

struct host_walk {
	const struct list_params *lp;
	enum host_filter filter;
	enum host_sort col;
	struct sort_item *items;
	size_t n, cap;
	bool oom;
	uint32_t seq;
};

static void
collect_host(struct host *h, void *arg)
{
	struct host_walk *hw = arg;
	const struct list_params *lp = hw->lp;
	struct sort_item *it;

	if (hw->oom || (hw->filter == HF_LOCAL && !h->local) ||
	    (hw->filter == HF_REMOTE && h->local) ||
	    (lp->vlan >= 0 && h->vlan != lp->vlan) ||
	    (lp->has_host && (h->ipver != lp->host_ver ||
				 memcmp(h->ip, lp->host_ip, 16) != 0)))
		return;
	if (hw->n == hw->cap) {
		size_t cap = hw->cap ? hw->cap * 2 : 256;
		struct sort_item *v = realloc(hw->items, cap * sizeof *v);
		if (v == NULL) {
			hw->oom = true;
			return;
		}
		hw->items = v;
		hw->cap = cap;
	}
	it = &hw->items[hw->n++];
	it->obj = h;
	it->tie = hw->seq++;
	it->num = 0;
	it->str[0] = '\0';
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
	}
}

static void
list_hosts(struct call *c, enum host_filter filter)
{
	struct list_params lp;
	struct host_walk hw = { .lp = &lp, .filter = filter };
	bool by_str = false, found = false;
	char key[ADDR_STRLEN + 8];

	if (!parse_list_params(c, &lp, "bytes"))
		return;
	for (size_t i = 0; i < sizeof host_sorts / sizeof host_sorts[0]; i++)
		if (strcmp(lp.sort, host_sorts[i].name) == 0) {
			hw.col = host_sorts[i].col;
			by_str = host_sorts[i].by_str;
			found = true;
		}
	if (!found) {
		fail(c, IPC_ERR_BAD_REQUEST, "unknown sortColumn '%s'", lp.sort);
		return;
	}

	pthread_mutex_lock(&c->ifc->lock);
	ht_foreach(&c->ifc->hosts, collect_host, &hw);
	if (hw.oom) {
		pthread_mutex_unlock(&c->ifc->lock);
		free(hw.items);
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	sort_items(hw.items, hw.n, lp.asc, by_str);
	size_t from = (size_t)((lp.page - 1) * lp.per_page);
	size_t to = from + (size_t)lp.per_page;
	if (from > hw.n)
		from = hw.n;
	if (to > hw.n)
		to = hw.n;

	/* ntopng answers a table keyed by "ip[@vlan]"; msgpack maps keep
	 * the sorted order for clients that iterate in order. */
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, 2);
	ipc_pack_kv_u64(&c->w->pk, "numHosts", hw.n);
	ipc_pack_key(&c->w->pk, "hosts");
	msgpack_pack_map(&c->w->pk, (uint32_t)(to - from));
	for (size_t i = from; i < to; i++) {
		ipc_pack_str(&c->w->pk, host_key(hw.items[i].obj, key,
		    sizeof key));
		pack_host(c->ifc, hw.items[i].obj, false, &c->w->pk);
	}
	pthread_mutex_unlock(&c->ifc->lock);
	free(hw.items);
}

static void
m_get_hosts_info(struct call *c)
{
	list_hosts(c, HF_ALL);
}

static void
m_get_local_hosts_info(struct call *c)
{
	list_hosts(c, HF_LOCAL);
}

static void
m_get_remote_hosts_info(struct call *c)
{
	list_hosts(c, HF_REMOTE);
}

/* (host[, vlan]) with host as "ip" or "ip@vlan". Returns false after
 * replying with an error. */
static bool
host_args(struct call *c, bool required, bool *given, uint8_t *ver,
    uint8_t ip[16], uint16_t *vlan)
{
	char buf[64];
	int64_t v = 0;
	const msgpack_object *h = arg(c, 0), *vl = arg(c, 1);

	*given = false;
	if (!want_args(c, required ? 1 : 0, 2))
		return false;
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
		*at = '\0';
		v = strtol(at + 1, NULL, 10);
	}
	if (vl && !obj_int(vl, &v)) {
		/* ntopng scripts often pass the vlan as a string */
		char vb[8], *end;
		if (!ipc_obj_strcpy(vl, vb, sizeof vb) ||
		    (v = strtol(vb, &end, 10), *end != '\0')) {
			fail(c, IPC_ERR_BAD_REQUEST, "vlan must be an integer");
			return false;
		}
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

static void
m_get_host_info(struct call *c)
{
	uint8_t ver, ip[16];
	uint16_t vlan;
	bool given;

	if (!host_args(c, true, &given, &ver, ip, &vlan))
		return;
	pthread_mutex_lock(&c->ifc->lock);
	struct host *h = ht_find(&c->ifc->hosts, ver, ip, vlan);
	if (h == NULL) {
		pthread_mutex_unlock(&c->ifc->lock);
		fail(c, IPC_ERR_NOT_FOUND, "no such host");
		return;
	}
	ipc_reply_begin(c->w, c->rq->id);
	pack_host(c->ifc, h, true, &c->w->pk);
	pthread_mutex_unlock(&c->ifc->lock);
}

static void
m_get_ndpi_stats(struct call *c)
{
	uint8_t ver, ip[16];
	uint16_t vlan;
	bool given;
	struct host *h = NULL;

	if (!host_args(c, false, &given, &ver, ip, &vlan))
		return;
	pthread_mutex_lock(&c->ifc->lock);
	if (given && (h = ht_find(&c->ifc->hosts, ver, ip, vlan)) == NULL) {
		pthread_mutex_unlock(&c->ifc->lock);
		fail(c, IPC_ERR_NOT_FOUND, "no such host");
		return;
	}
	ipc_reply_begin(c->w, c->rq->id);
	pack_ndpi_stats(c->ifc, h, &c->w->pk);
	pthread_mutex_unlock(&c->ifc->lock);
}

/* ---- interface -------------------------------------------------------- */

static void
m_ping(struct call *c)
{
	if (!want_args(c, 0, 0))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	ipc_pack_str(&c->w->pk, "pong");
}

static void
reply_count(struct call *c, size_t (*count)(struct iface *))
{
	if (!want_args(c, 0, 0))
		return;
	pthread_mutex_lock(&c->ifc->lock);
	size_t n = count(c->ifc);
	pthread_mutex_unlock(&c->ifc->lock);
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_uint64(&c->w->pk, n);
}

static size_t
count_flows(struct iface *ifc)
{
	return ifc->flows.count;
}

static size_t
count_hosts(struct iface *ifc)
{
	return ifc->hosts.count;
}

static size_t
count_local_hosts(struct iface *ifc)
{
	return ifc->hosts.local_count;
}

static void
m_get_num_flows(struct call *c)
{
	reply_count(c, count_flows);
}

static void
m_get_num_hosts(struct call *c)
{
	reply_count(c, count_hosts);
}

static void
m_get_num_local_hosts(struct call *c)
{
	reply_count(c, count_local_hosts);
}

static void
m_get_stats(struct call *c)
{
	struct iface *ifc = c->ifc;
	struct mapb m, s, ing, nw, mal, l4;
	static const char *const l4names[L4_COUNT] = { "TCP", "UDP", "ICMP",
		"IPv6-ICMP", "Other" };

	if (!want_args(c, 0, 0))
		return;
	pthread_mutex_lock(&ifc->lock);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_u64(&m, "id", (uint64_t)ifc->ifid);
	mb_str(&m, "name", ifc->name);
	mb_str(&m, "type", ifc->is_file ? "pcap dump" : "pcap");
	/* ntopng keeps the counters in a nested "stats" table; the flat
	 * copies below serve scripts that read them from the top. */
	mb_init(&s);
	mb_u64(&s, "packets", ifc->packets);
	mb_u64(&s, "bytes", ifc->bytes);
	mb_u64(&s, "drops", ifc->drops);
	mb_u64(&s, "flows", ifc->flows.count);
	mb_u64(&s, "hosts", ifc->hosts.count);
	mb_u64(&s, "local_hosts", ifc->hosts.local_count);
	mb_dbl(&s, "throughput_bps", ifc->thpt_bps);
	mb_dbl(&s, "throughput_pps", ifc->thpt_pps);
	mb_end(&s, mb_key(&m, "stats"));
	mb_u64(&m, "packets", ifc->packets);
	mb_u64(&m, "bytes", ifc->bytes);
	mb_u64(&m, "drops", ifc->drops);
	mb_u64(&m, "numFlows", ifc->flows.count);
	mb_u64(&m, "numHosts", ifc->hosts.count);
	mb_u64(&m, "local_hosts", ifc->hosts.local_count);
	mb_dbl(&m, "throughput_bps", ifc->thpt_bps);
	mb_dbl(&m, "throughput_pps", ifc->thpt_pps);
	mb_u64(&m, "seen.last", ifc->last_us / 1000000u);
	pack_ndpi_stats(ifc, NULL, mb_key(&m, "ndpi"));

	/* netward extension, no ntopng name exists: how far the reading of
	 * a pcap file is. complete = the whole file is in the tables. */
	mb_init(&ing);
	mb_bool(&ing, "complete", ifc->ingest_complete);
	mb_u64(&ing, "packets", ifc->packets);
	mb_dbl(&ing, "progress_pct", ifc->is_file && ifc->file_size ?
	    100.0 * (double)ifc->file_pos / (double)ifc->file_size :
	    (ifc->ingest_complete ? 100.0 : 0.0));
	mb_end(&ing, mb_key(&m, "ingestion"));

	/* netward extension: dissector and L4 counters */
	mb_init(&nw);
	mb_u64(&nw, "ip_packets", ifc->ip_packets);
	mb_u64(&nw, "ip_bytes", ifc->ip_bytes);
	mb_u64(&nw, "non_ip_packets", ifc->non_ip_packets);
	mb_u64(&nw, "fragments", ifc->fragments);
	mb_u64(&nw, "unsupported_link", ifc->unsupported);
	mb_u64(&nw, "no_memory", ifc->no_memory);
	mb_init(&mal);
	for (int i = 1; i < MAL_COUNT; i++)
		mb_u64(&mal, dis_reason_name((enum dis_reason)i),
		    ifc->malformed[i]);
	mb_end(&mal, mb_key(&nw, "malformed"));
	mb_init(&l4);
	for (int i = 0; i < L4_COUNT; i++) {
		struct mapb e;
		mb_init(&e);
		mb_u64(&e, "packets", ifc->l4[i].t.pkts_sent);
		mb_u64(&e, "bytes", ifc->l4[i].t.bytes_sent);
		mb_u64(&e, "flows", ifc->l4[i].flows);
		mb_end(&e, mb_key(&l4, l4names[i]));
	}
	mb_end(&l4, mb_key(&nw, "l4"));
	mb_end(&nw, mb_key(&m, "netward"));
	mb_end(&m, &c->w->pk);
	pthread_mutex_unlock(&ifc->lock);
}

/* ---- the method table ------------------------------------------------- */

static const struct method {
	const char *name;
	method_fn fn;
	unsigned roles;
} methods[] = {
	{ "ping", m_ping, ROLES_ANY },
	{ "getStats", m_get_stats, ROLES_ANY },
	{ "getNumFlows", m_get_num_flows, ROLES_ANY },
	{ "getNumHosts", m_get_num_hosts, ROLES_ANY },
	{ "getNumLocalHosts", m_get_num_local_hosts, ROLES_ANY },
	{ "getFlowsInfo", m_get_flows_info, ROLES_ANY },
	{ "getHostsInfo", m_get_hosts_info, ROLES_ANY },
	{ "getLocalHostsInfo", m_get_local_hosts_info, ROLES_ANY },
	{ "getRemoteHostsInfo", m_get_remote_hosts_info, ROLES_ANY },
	{ "getHostInfo", m_get_host_info, ROLES_ANY },
	{ "getnDPIStats", m_get_ndpi_stats, ROLES_ANY },
};

static unsigned
caller_role(const struct ipc_ctx *ctx)
{
	if (strcmp(ctx->group, "administrator") == 0)
		return ROLE_ADMIN;
	if (strcmp(ctx->group, "system") == 0)
		return ROLE_SYSTEM;
	return ROLE_UNPRIV; /* anything else gets the least */
}

void
rpc_dispatch(const struct ipc_request *rq, struct ipc_writer *reply,
    void *arg)
{
	struct call c = { rq, reply, arg };

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		if (strcmp(methods[i].name, rq->method) != 0)
			continue;
		if (!(methods[i].roles & caller_role(&rq->ctx))) {
			fail(&c, IPC_ERR_DENIED, "not allowed for group '%s'",
			    rq->ctx.group);
			return;
		}
		methods[i].fn(&c);
		return;
	}
	ipc_reply_error(reply, rq->id, IPC_ERR_UNKNOWN_METHOD,
	    "unknown method '%s'", rq->method);
}
