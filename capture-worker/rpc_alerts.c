/* interface.* alert calls (spec interface-api.md section 10) and the
 * flow-check calls behind ntop.getFlowChecksStats / reloadFlowChecks. */
#include "rpc_alerts.h"

#include "alert_internal.h"
#include "alert_lua.h"
#include "alert_store.h"
#include "exclusions.h"
#include "flow_checks.h"
#include "flow_risk.h"
#include "host_checks.h"

#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

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

/* True when the caller's allowed networks are none (no restriction) or
 * hold both 0.0.0.0/0 and ::/0 (ntopng's default for a new user). */
static bool
sees_all_networks(struct call *c)
{
	struct localnets nets;
	char err[64];
	bool v4 = false, v6 = false;

	if (c->rq->ctx.allowed_nets[0] == '\0')
		return true;
	if (!localnets_parse(&nets, c->rq->ctx.allowed_nets, err, sizeof err))
		return false;
	for (int i = 0; i < nets.n; i++) {
		if (nets.net[i].prefix == 0 && nets.net[i].ver == 4)
			v4 = true;
		if (nets.net[i].prefix == 0 && nets.net[i].ver == 6)
			v6 = true;
	}
	return v4 && v6;
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
	if (!sees_all_networks(c)) {
		if (!localnets_parse(&nets, c->rq->ctx.allowed_nets, err,
			sizeof err))
			nets.n = 0;
		q.nets = &nets;
	}
	ipc_reply_begin(c->w, c->rq->id);
	if (!as_query_alerts(&q, &c->w->pk, err, sizeof err)) {
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

/* ---- host checks, exclusions (ntop.reloadHostChecks & co.) ------------ */

/* setHostChecksConfig({checks = {key = {enabled, threshold}},
 * blacklist = {"ip or cidr", ...}}): replaces the whole configuration;
 * a check not named gets its default, an unknown key is an error. */
static bool
host_config_apply(struct iface *ifc, const msgpack_object *cfg, char *err,
    size_t errlen)
{
	const msgpack_object *checks, *bl;
	bool en[HC_COUNT];
	uint64_t th[HC_COUNT];
	struct prefix *v = NULL;
	size_t n = 0;

	if (cfg == NULL || cfg->type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errlen, "argument #1 must be a table");
		return false;
	}
	for (int i = 0; i < HC_COUNT; i++) {
		en[i] = hc_def(i)->def_enabled;
		th[i] = hc_def(i)->def_threshold;
	}
	checks = map_field(cfg, "checks");
	if (checks && checks->type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errlen, "checks must be a table");
		return false;
	}
	for (uint32_t k = 0; checks && k < checks->via.map.size; k++) {
		const msgpack_object_kv *kv = &checks->via.map.ptr[k];
		char key[64];
		int i;
		int64_t t;
		if (!ipc_obj_strcpy(&kv->key, key, sizeof key) ||
		    (i = hc_index_of_key(key)) < 0 ||
		    kv->val.type != MSGPACK_OBJECT_MAP) {
			snprintf(err, errlen, "checks: '%.64s' is no host "
			    "check with a table of settings",
			    kv->key.type == MSGPACK_OBJECT_STR ? key : "?");
			return false;
		}
		const msgpack_object *e = map_field(&kv->val, "enabled");
		const msgpack_object *tv = map_field(&kv->val, "threshold");
		if (e && e->type != MSGPACK_OBJECT_BOOLEAN) {
			snprintf(err, errlen, "%s.enabled must be a boolean",
			    key);
			return false;
		}
		if (e)
			en[i] = e->via.boolean;
		if (tv && hc_def(i)->max_threshold > 0) {
			if (!obj_int(tv, &t) || t < 1 ||
			    (uint64_t)t > hc_def(i)->max_threshold) {
				snprintf(err, errlen, "%s.threshold must be an "
				    "integer in 1..%llu", key,
				    (unsigned long long)
				    hc_def(i)->max_threshold);
				return false;
			}
			th[i] = (uint64_t)t;
		}
	}
	bl = map_field(cfg, "blacklist");
	if (bl && bl->type == MSGPACK_OBJECT_MAP && bl->via.map.size == 0)
		bl = NULL; /* an empty Lua table */
	if (bl && (bl->type != MSGPACK_OBJECT_ARRAY ||
	    bl->via.array.size > PREFIX_SET_MAX)) {
		snprintf(err, errlen, "blacklist must be a list of at most %d "
		    "addresses or CIDRs", PREFIX_SET_MAX);
		return false;
	}
	if (bl && bl->via.array.size > 0) {
		v = calloc(bl->via.array.size, sizeof *v);
		if (v == NULL) {
			snprintf(err, errlen, "out of memory");
			return false;
		}
		for (; n < bl->via.array.size; n++) {
			char s[64];
			if (!ipc_obj_strcpy(&bl->via.array.ptr[n], s, sizeof s) ||
			    !prefix_parse(s, &v[n])) {
				free(v);
				snprintf(err, errlen, "blacklist entry %zu is "
				    "not an address or CIDR", n + 1);
				return false;
			}
		}
	}
	iface_lock_rpc(ifc);
	hc_configure(en, th);
	hc_set_blacklist(v, n);
	pthread_mutex_unlock(&ifc->lock);
	return true;
}

void
m_set_host_checks_config(struct call *c)
{
	char err[200];

	if (!want_args(c, 1, 1))
		return;
	if (!host_config_apply(c->ifc, arg(c, 0), err, sizeof err)) {
		fail(c, IPC_ERR_BAD_REQUEST, "%s", err);
		return;
	}
	if (!as_config_save("host_checks", arg(c, 0), err, sizeof err)) {
		fail(c, IPC_ERR_INTERNAL, "applied but not saved: %s", err);
		return;
	}
	reply_nil(c);
}

/* getHostChecksStats(): configuration and execution of the checks. */
void
m_get_host_checks_stats(struct call *c)
{
	struct hc_stats st;
	bool en[HC_COUNT];
	uint64_t th[HC_COUNT], sf, sh;
	size_t bl;
	struct mapb m, checks;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	hc_get_config(en, th, &bl);
	pthread_mutex_unlock(&c->ifc->lock);
	hc_get_stats(&st);
	ex_suppressed(&sf, &sh);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_u64(&m, "passes", st.passes);
	mb_u64(&m, "hosts_checked", st.hosts_checked);
	mb_u64(&m, "alerts_engaged", st.engaged);
	mb_u64(&m, "alerts_released", st.released);
	mb_u64(&m, "alerts_excluded", sh);
	mb_u64(&m, "flow_alerts_excluded", sf);
	mb_u64(&m, "events_dropped", st.events_dropped);
	mb_dbl(&m, "execution_time_ms", (double)st.check_ns / 1e6);
	mb_u64(&m, "period_s", HC_PERIOD_S);
	mb_u64(&m, "blacklist_entries", bl);
	mb_u64(&m, "exclusions", ex_count());
	mb_init(&checks);
	for (int i = 0; i < HC_COUNT; i++) {
		struct mapb one;
		mb_init(&one);
		mb_u64(&one, "alert_id", (uint64_t)hc_def(i)->alert_id);
		mb_bool(&one, "enabled", en[i]);
		mb_u64(&one, "threshold", th[i]);
		mb_u64(&one, "engaged", st.engaged_now[i]);
		mb_u64(&one, "engaged_total", st.engaged_total[i]);
		mb_end(&one, mb_key(&checks, hc_def(i)->key));
	}
	mb_end(&checks, mb_key(&m, "checks"));
	mb_end(&m, &c->w->pk);
}

/* setAlertExclusions({{host = "ip or cidr", kind = "all"|"flow"|"host",
 * alert_id = N}, ...}): replaces the list. */
static bool
exclusions_apply(struct iface *ifc, const msgpack_object *l, char *err,
    size_t errlen)
{
	struct exclusion *v = NULL;
	uint32_t n;

	if (l && l->type == MSGPACK_OBJECT_MAP && l->via.map.size == 0)
		n = 0; /* an empty Lua table */
	else if (l == NULL || l->type != MSGPACK_OBJECT_ARRAY ||
	    l->via.array.size > EXCLUSIONS_MAX) {
		snprintf(err, errlen, "argument #1 must be a list of at most "
		    "%d exclusions", EXCLUSIONS_MAX);
		return false;
	} else {
		n = l->via.array.size;
	}
	if (n > 0 && (v = calloc(n, sizeof *v)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *e = &l->via.array.ptr[i];
		char host[64], kind[8] = "all";
		int64_t id = -1;
		const msgpack_object *k = map_field(e, "kind"), *a;
		if (!ipc_obj_strcpy(map_field(e, "host"), host, sizeof host) ||
		    !prefix_parse(host, &v[i].host) ||
		    (k && !ipc_obj_strcpy(k, kind, sizeof kind)) ||
		    ((a = map_field(e, "alert_id")) &&
			(!obj_int(a, &id) || id < 0 || id > 65535))) {
			free(v);
			snprintf(err, errlen, "exclusion %u: needs host (address"
			    " or CIDR), optional kind and alert_id (0..65535)",
			    i + 1);
			return false;
		}
		if (strcmp(kind, "all") == 0)
			v[i].kind = EX_ALL;
		else if (strcmp(kind, "flow") == 0)
			v[i].kind = EX_FLOW;
		else if (strcmp(kind, "host") == 0)
			v[i].kind = EX_HOST;
		else {
			free(v);
			snprintf(err, errlen, "exclusion %u: kind must be all, "
			    "flow or host", i + 1);
			return false;
		}
		v[i].alert_id = (int32_t)id;
	}
	iface_lock_rpc(ifc);
	ex_set(v, n);
	pthread_mutex_unlock(&ifc->lock);
	return true;
}

void
m_set_alert_exclusions(struct call *c)
{
	char err[200];

	if (!want_args(c, 1, 1))
		return;
	if (!exclusions_apply(c->ifc, arg(c, 0), err, sizeof err)) {
		fail(c, IPC_ERR_BAD_REQUEST, "%s", err);
		return;
	}
	if (!as_config_save("alert_exclusions", arg(c, 0), err, sizeof err)) {
		fail(c, IPC_ERR_INTERNAL, "applied but not saved: %s", err);
		return;
	}
	reply_nil(c);
}

/* At start, before the capture: the configuration last sent, from the
 * store, so a restarted worker checks its capture as before. */
void
rpc_alerts_restore(struct iface *ifc)
{
	static const char *const names[2] = { "host_checks",
		"alert_exclusions" };
	for (int k = 0; k < 2; k++) {
		msgpack_unpacked u;
		char err[200];
		void *buf = NULL;
		msgpack_unpacked_init(&u);
		if (as_config_load(names[k], &u, &buf)) {
			if (k == 0 ? host_config_apply(ifc, &u.data, err,
			    sizeof err) : exclusions_apply(ifc, &u.data, err,
			    sizeof err))
				log_info("%s restored from the alert store",
				    names[k]);
			else
				log_warn("saved %s not applied: %s", names[k],
				    err);
		}
		msgpack_unpacked_destroy(&u);
		free(buf);
	}
}

/* ---- section 10: the alert lifecycle of scripts ----------------------- */

static bool alert_table_t(struct call *c, const msgpack_object *t,
    struct ea_alert *a, bool full, bool traffic);

static bool
alert_table(struct call *c, const msgpack_object *t, struct ea_alert *a,
    bool full)
{
	return alert_table_t(c, t, a, full, false);
}

/* An alert table as ntopng's scripts build it: alert_id (or
 * alert_type), entity_id (or alert_entity; default interface),
 * entity_val (or alert_entity_val; default the interface id), severity
 * (or alert_severity) and/or score, subtype, script_key (or
 * alert_key_name), granularity, tstamp, json (or alert_json). */
static bool
alert_table_t(struct call *c, const msgpack_object *t, struct ea_alert *a,
    bool full, bool traffic)
{
	const msgpack_object *o;
	bool has_sev = false, has_score = false;

	memset(a, 0, sizeof *a);
	a->alert_id = -1;
	if (t == NULL || t->type != MSGPACK_OBJECT_MAP) {
		fail(c, IPC_ERR_BAD_REQUEST, "argument #1 must be a table");
		return false;
	}
#define INT_OF(name, alt, min, max, dst, seen) \
	if ((o = map_field(t, name)) || (alt && (o = map_field(t, alt)))) { \
		if (!obj_int_or_str(o, dst) || *(dst) < (min) || \
		    *(dst) > (max)) { \
			fail(c, IPC_ERR_BAD_REQUEST, "%s must be an integer " \
			    "in %lld..%lld", name, (long long)(min), \
			    (long long)(max)); \
			return false; \
		} \
		seen; \
	}
#define STR_OF(name, alt, dst) \
	if ((o = map_field(t, name)) || (alt && (o = map_field(t, alt)))) { \
		if (!ipc_obj_strcpy(o, dst, sizeof dst)) { \
			fail(c, IPC_ERR_BAD_REQUEST, "%s must be a string " \
			    "of less than %zu bytes", name, sizeof dst); \
			return false; \
		} \
	}
	INT_OF("alert_id", "alert_type", 0, 65535, &a->alert_id, (void)0)
	INT_OF("entity_id", "alert_entity", 0, 64, &a->entity_id, (void)0)
	INT_OF("severity", "alert_severity", 1, 7, &a->severity,
	    has_sev = true)
	INT_OF("score", NULL, 0, 65535, &a->score, has_score = true)
	INT_OF("granularity", NULL, 0, 86400 * 366, &a->granularity, (void)0)
	INT_OF("tstamp", NULL, 0, INT32_MAX * 4LL, &a->tstamp, (void)0)
	STR_OF("entity_val", "alert_entity_val", a->entity_val)
	STR_OF("subtype", NULL, a->subtype)
	STR_OF("script_key", "alert_key_name", a->script_key)
#undef INT_OF
#undef STR_OF
	if ((o = map_field(t, "json")) || (o = map_field(t, "alert_json"))) {
		if (o->type != MSGPACK_OBJECT_STR || o->via.str.size > 16384) {
			fail(c, IPC_ERR_BAD_REQUEST, "json must be a string of "
			    "at most 16384 bytes");
			return false;
		}
		a->json = o->via.str.ptr;
		a->json_len = o->via.str.size;
	}
	if (a->alert_id < 0 && a->entity_id == FR_ENTITY_HOST &&
	    traffic)
		a->alert_id = HC_ID_TRAFFIC_VOLUME;
	if (a->alert_id < 0) {
		fail(c, IPC_ERR_BAD_REQUEST, "the alert needs alert_id");
		return false;
	}
	if (!full)
		return true; /* a release names the alert only */
	if (!has_sev && !has_score) {
		fail(c, IPC_ERR_BAD_REQUEST, "the alert needs severity or "
		    "score");
		return false;
	}
	if (!has_sev)
		a->severity = fr_score_to_severity(a->score);
	if (!has_score)
		a->score = fr_severity_to_score((int)a->severity);
	if (a->entity_val[0] == '\0')
		snprintf(a->entity_val, sizeof a->entity_val, "%d",
		    c->ifc->ifid);
	return true;
}

static void
store(struct call *c, const char *source, bool engaged)
{
	struct ea_alert a;
	char err[256];

	if (!want_args(c, 1, 1) || !alert_table(c, arg(c, 0), &a, true))
		return;
	if (!ea_store(&a, source, engaged, err, sizeof err)) {
		fail(c, IPC_ERR_INTERNAL, "%s", err);
		return;
	}
	reply_nil(c);
}

/* release*(alert_id) or release*({alert_id, entity_id, entity_val,
 * subtype}): releases the engaged alerts of source that match. */
static void
release(struct call *c, const char *source)
{
	struct ea_filter f = { source, -1, -1, NULL, NULL, NULL };
	const msgpack_object *a;
	char ev[128], sub[64], err[256];
	int64_t n;

	if (!want_args(c, 1, 1))
		return;
	a = arg(c, 0);
	if (a && a->type == MSGPACK_OBJECT_MAP) {
		struct ea_alert t;
		const msgpack_object *o;
		if (!alert_table(c, a, &t, false))
			return;
		f.alert_id = t.alert_id;
		if (map_field(a, "entity_id") || map_field(a, "alert_entity"))
			f.entity_id = t.entity_id;
		if ((o = map_field(a, "entity_val")) ||
		    (o = map_field(a, "alert_entity_val"))) {
			snprintf(ev, sizeof ev, "%s", t.entity_val);
			f.entity_val = ev;
		}
		if (map_field(a, "subtype")) {
			snprintf(sub, sizeof sub, "%s", t.subtype);
			f.subtype = sub;
		}
	} else if (!arg_int(c, 0, true, 0, 65535, &f.alert_id)) {
		return;
	}
	if (!ea_release(&f, &n, err, sizeof err)) {
		fail(c, IPC_ERR_INTERNAL, "%s", err);
		return;
	}
	reply_nil(c);
}

void
m_store_triggered_alert(struct call *c)
{
	store(c, "triggered", true);
}

void
m_release_triggered_alert(struct call *c)
{
	release(c, "triggered");
}

void
m_trigger_external_alert(struct call *c)
{
	store(c, "external", true);
}

void
m_release_external_alert(struct call *c)
{
	release(c, "external");
}

/* releaseEngagedAlerts(script_key, subtype, alert_type): every engaged
 * alert of a script, whatever its source. */
void
m_release_engaged_alerts(struct call *c)
{
	char key[64], sub[64], err[256];
	struct ea_filter f = { NULL, -1, -1, NULL, sub, key };
	int64_t n;

	if (!want_args(c, 3, 3) || !arg_str(c, 0, true, key, sizeof key) ||
	    !arg_str(c, 1, true, sub, sizeof sub) ||
	    !arg_int(c, 2, true, 0, 65535, &f.alert_id))
		return;
	if (!ea_release(&f, &n, err, sizeof err)) {
		fail(c, IPC_ERR_INTERNAL, "%s", err);
		return;
	}
	reply_nil(c);
}

static bool
obj_num(const msgpack_object *o, double *v)
{
	if (o == NULL)
		return false;
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*v = (double)o->via.u64;
		return true;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*v = (double)o->via.i64;
		return true;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*v = o->via.f64;
		return *v == *v; /* not NaN */
	default:
		return false;
	}
}

/* triggerTrafficAlert({entity_id, entity_val, metric, value, threshold,
 * operator = "gt"|"lt", severity or score, alert_id}): a threshold
 * crossed by a traffic metric, stored as a past alert (the script that
 * measured it decides when it crossed). A host's alert id defaults to
 * ntopng's host_alert_traffic_volume; a value that does not cross the
 * threshold is an error. */
void
m_trigger_traffic_alert(struct call *c)
{
	const msgpack_object *p;
	struct ea_alert a;
	char metric[64], op[4] = "gt", err[256], json[256];
	double value, thr;

	if (!want_args(c, 1, 1))
		return;
	p = arg(c, 0);
	if (p && p->type == MSGPACK_OBJECT_MAP && !map_field(p, "entity_id") &&
	    !map_field(p, "alert_entity")) {
		fail(c, IPC_ERR_BAD_REQUEST, "entity_id is required");
		return;
	}
	if (!alert_table_t(c, p, &a, true, true))
		return;
	if (!ipc_obj_strcpy(map_field(p, "metric"), metric, sizeof metric) ||
	    !obj_num(map_field(p, "value"), &value) ||
	    !obj_num(map_field(p, "threshold"), &thr) ||
	    (map_field(p, "operator") && !ipc_obj_strcpy(map_field(p, "operator"), op,
		sizeof op)) ||
	    (strcmp(op, "gt") != 0 && strcmp(op, "lt") != 0) ||
	    !map_field(p, "entity_val")) {
		fail(c, IPC_ERR_BAD_REQUEST, "needs entity_val, metric (text), "
		    "value and threshold (numbers), operator gt|lt");
		return;
	}
	if (strcmp(op, "gt") == 0 ? !(value > thr) : !(value < thr)) {
		fail(c, IPC_ERR_BAD_REQUEST, "value %g does not cross the "
		    "threshold (%s %g)", value, op, thr);
		return;
	}
	for (char *q = metric; *q; q++)
		if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20)
			*q = '_';
	snprintf(json, sizeof json, "{\"metric\":\"%s\",\"value\":%.17g,"
	    "\"threshold\":%.17g,\"operator\":\"%s\"}", metric, value, thr,
	    op);
	a.json = json;
	a.json_len = strlen(json);
	if (!ea_store(&a, "traffic", false, err, sizeof err)) {
		fail(c, IPC_ERR_INTERNAL, "%s", err);
		return;
	}
	reply_nil(c);
}

/* ---- cached alert values: per interface, in memory ---------------------- */

#define CACHE_MAX 4096
#define CACHE_KEY 256
#define CACHE_VAL 4096

static struct cache_entry {
	char key[CACHE_KEY];
	char *val;
	size_t len;
	time_t expires; /* 0: never */
} cache[CACHE_MAX];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Under cache_lock: the entry of key (expired ones are emptied). */
static struct cache_entry *
cache_find(const char *key, struct cache_entry **free_slot)
{
	time_t now = time(NULL);

	*free_slot = NULL;
	for (size_t i = 0; i < CACHE_MAX; i++) {
		struct cache_entry *e = &cache[i];
		if (e->val && e->expires && e->expires <= now) {
			free(e->val);
			e->val = NULL;
		}
		if (e->val == NULL) {
			if (*free_slot == NULL)
				*free_slot = e;
			continue;
		}
		if (strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

void
m_get_cached_alert_value(struct call *c)
{
	char key[CACHE_KEY];
	struct cache_entry *e, *fs;

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, key, sizeof key))
		return;
	pthread_mutex_lock(&cache_lock);
	e = cache_find(key, &fs);
	ipc_reply_begin(c->w, c->rq->id);
	/* ntopng answers "" for a key never set */
	msgpack_pack_str(&c->w->pk, e ? e->len : 0);
	msgpack_pack_str_body(&c->w->pk, e ? e->val : "", e ? e->len : 0);
	pthread_mutex_unlock(&cache_lock);
}

void
m_set_cached_alert_value(struct call *c)
{
	char key[CACHE_KEY];
	const msgpack_object *v;
	int64_t expiry = 0;
	struct cache_entry *e, *fs;

	if (!want_args(c, 2, 3) || !arg_str(c, 0, true, key, sizeof key) ||
	    !arg_int(c, 2, false, 0, 86400 * 365, &expiry))
		return;
	v = arg(c, 1);
	if (v == NULL || v->type != MSGPACK_OBJECT_STR ||
	    v->via.str.size > CACHE_VAL) {
		fail(c, IPC_ERR_BAD_REQUEST, "argument #2 must be a string of "
		    "at most %d bytes", CACHE_VAL);
		return;
	}
	char *copy = malloc(v->via.str.size + 1);
	if (copy == NULL) {
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return;
	}
	memcpy(copy, v->via.str.ptr, v->via.str.size);
	copy[v->via.str.size] = '\0';
	pthread_mutex_lock(&cache_lock);
	e = cache_find(key, &fs);
	if (e == NULL && (e = fs) == NULL) {
		pthread_mutex_unlock(&cache_lock);
		free(copy);
		fail(c, IPC_ERR_UNAVAILABLE, "the cache of this interface is "
		    "full (%d keys)", CACHE_MAX);
		return;
	}
	free(e->val);
	snprintf(e->key, sizeof e->key, "%s", key);
	e->val = copy;
	e->len = v->via.str.size;
	e->expires = expiry > 0 ? time(NULL) + expiry : 0;
	pthread_mutex_unlock(&cache_lock);
	reply_nil(c);
}

/* checkContext(context_key): ntopng checks that a script runs in the
 * alert context it expects. netward's scripts have one context per
 * interface (the selected one); the key is checked (1..64 bytes of
 * letters, digits, "_.:-") and nothing else is set up. */
void
m_check_context(struct call *c)
{
	char key[65];

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, key, sizeof key))
		return;
	if (key[0] == '\0' || strspn(key, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") != strlen(key)) {
		fail(c, IPC_ERR_BAD_REQUEST, "the context key must be 1..64 "
		    "letters, digits or _.:-");
		return;
	}
	reply_nil(c);
}

/* alert_store_query(query[, limit_rows]): one read-only SELECT over the
 * alert tables (alert_sql.c). limit_rows: a number (1..10000), true
 * (1000, the default) or false (10000). A caller limited to some
 * networks is refused: the raw tables are not filtered by network. */
void
m_alert_store_query(struct call *c)
{
	const msgpack_object *q, *l;
	int64_t limit = 1000;
	char err[256];

	if (!want_args(c, 1, 2))
		return;
	if (!sees_all_networks(c)) {
		fail(c, IPC_ERR_DENIED, "a user limited to some networks "
		    "cannot query the alert tables directly");
		return;
	}
	q = arg(c, 0);
	if (q == NULL || q->type != MSGPACK_OBJECT_STR) {
		fail(c, IPC_ERR_BAD_REQUEST, "argument #1 must be a string");
		return;
	}
	l = arg(c, 1);
	if (l && l->type == MSGPACK_OBJECT_BOOLEAN)
		limit = l->via.boolean ? 1000 : 10000;
	else if (l && !arg_int(c, 1, false, 1, 10000, &limit))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	if (!as_sql_query(q->via.str.ptr, q->via.str.size, limit, &c->w->pk,
		err, sizeof err)) {
		ipc_writer_free(c->w);
		ipc_writer_init(c->w);
		fail(c, IPC_ERR_BAD_REQUEST, "%s", err);
	}
}

/* popInternalAlerts(): the worker's own alerts, each returned once. */
void
m_pop_internal_alerts(struct call *c)
{
	if (!want_args(c, 0, 0))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	ai_pop(&c->w->pk);
}
