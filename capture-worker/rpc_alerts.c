/* interface.* alert calls (spec interface-api.md section 10) and the
 * flow-check calls behind ntop.getFlowChecksStats / reloadFlowChecks. */
#include "rpc_alerts.h"

#include "alert_store.h"
#include "flow_checks.h"

#include <stdio.h>
#include <string.h>

/* getFlowChecksStats(): how the checks ran on this interface. */
void
m_get_flow_checks_stats(struct call *c)
{
	struct fc_stats st;
	struct mapb m;

	if (!want_args(c, 0, 0))
		return;
	fc_get_stats(&st);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_u64(&m, "flows_checked", st.flows_checked);
	mb_u64(&m, "flows_alerted", st.flows_alerted);
	mb_u64(&m, "alerts_queued", st.alerts_queued);
	mb_u64(&m, "alerts_dropped", st.alerts_dropped);
	mb_u64(&m, "alerts_pending", fc_pending());
	mb_dbl(&m, "execution_time_ms", (double)st.check_ns / 1e6);
	mb_u64(&m, "disabled_risks", fc_disabled());
	mb_end(&m, &c->w->pk);
}

/* setFlowChecksDisabled(mask): risks whose alerts are not raised. */
void
m_set_flow_checks_disabled(struct call *c)
{
	int64_t mask;

	if (!want_args(c, 1, 1) ||
	    !arg_int(c, 0, true, 0, INT64_MAX, &mask))
		return;
	fc_set_disabled((uint64_t)mask);
	reply_nil(c);
}

/* getAlerts(params) / getEngagedAlerts([params]): params as ntopng's
 * (status, alert_id or alert_type, severity or alert_severity, entity,
 * entity_val, page (1-based), perPage, order "asc"/"desc"). */
static bool
str_field(const msgpack_object *o, const char *k, char *buf, size_t len)
{
	for (uint32_t i = 0; o && i < o->via.map.size; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];
		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->key.via.str.size == strlen(k) &&
		    memcmp(kv->key.via.str.ptr, k, strlen(k)) == 0) {
			if (kv->val.type != MSGPACK_OBJECT_STR ||
			    kv->val.via.str.size >= len)
				return false;
			memcpy(buf, kv->val.via.str.ptr, kv->val.via.str.size);
			buf[kv->val.via.str.size] = '\0';
			return true;
		}
	}
	return true;
}

static bool
int_field(const msgpack_object *o, const char *k, int64_t min, int64_t max,
    int64_t *v)
{
	for (uint32_t i = 0; o && i < o->via.map.size; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];
		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->key.via.str.size == strlen(k) &&
		    memcmp(kv->key.via.str.ptr, k, strlen(k)) == 0)
			return obj_int_or_str(&kv->val, v) && *v >= min &&
			    *v <= max;
	}
	return true;
}

static void
alerts(struct call *c, bool engaged)
{
	struct as_query q = { .alert_id = -1, .severity = -1, .entity = -1,
		.page = 1, .per_page = DEFAULT_PER_PAGE };
	const msgpack_object *p;
	char order[8] = "desc", err[256];

	if (!want_args(c, engaged ? 0 : 1, 1))
		return;
	p = arg(c, 0);
	if (p && p->type != MSGPACK_OBJECT_MAP) {
		fail(c, IPC_ERR_BAD_REQUEST, "%s: argument #1 must be a table",
		    c->rq->method);
		return;
	}
	if (!str_field(p, "status", q.status, sizeof q.status) ||
	    !str_field(p, "entity_val", q.entity_val, sizeof q.entity_val) ||
	    !str_field(p, "order", order, sizeof order) ||
	    !int_field(p, "alert_id", 0, INT32_MAX, &q.alert_id) ||
	    !int_field(p, "alert_type", 0, INT32_MAX, &q.alert_id) ||
	    !int_field(p, "severity", 0, 7, &q.severity) ||
	    !int_field(p, "alert_severity", 0, 7, &q.severity) ||
	    !int_field(p, "entity", 0, 64, &q.entity) ||
	    !int_field(p, "page", 1, INT32_MAX, &q.page) ||
	    !int_field(p, "perPage", 1, MAX_PER_PAGE, &q.per_page) ||
	    (q.status[0] && strcmp(q.status, "engaged") != 0 &&
		strcmp(q.status, "past") != 0) ||
	    (strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)) {
		fail(c, IPC_ERR_BAD_REQUEST, "%s: bad parameter (status "
		    "engaged|past, order asc|desc, numbers in range)",
		    c->rq->method);
		return;
	}
	if (engaged)
		snprintf(q.status, sizeof q.status, "engaged");
	q.asc = strcmp(order, "asc") == 0;
	/* a caller restricted to some networks sees the flow alerts with
	 * an end inside them; a list that does not parse shows nothing */
	struct localnets nets;
	if (c->rq->ctx.allowed_nets[0] != '\0') {
		if (!localnets_parse(&nets, c->rq->ctx.allowed_nets, err,
			sizeof err))
			nets.n = 0;
		q.nets = &nets;
	}
	ipc_reply_begin(c->w, c->rq->id);
	if (!as_query_flow_alerts(&q, &c->w->pk, err, sizeof err)) {
		ipc_writer_free(c->w);
		ipc_writer_init(c->w);
		fail(c, IPC_ERR_INTERNAL, "%s", err);
	}
}

void
m_get_alerts(struct call *c)
{
	alerts(c, false);
}

void
m_get_engaged_alerts(struct call *c)
{
	alerts(c, true);
}
