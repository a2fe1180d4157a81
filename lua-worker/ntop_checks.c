/* Section 31 (flow/host checks and risks) and the flow-alert half of
 * section 27 (getFlowAlertScore, getFlowAlertRisk).
 *
 * Flow checks run in the capture workers (capture-worker/flow_checks.c):
 * every nDPI risk of a flow is a flow alert whose id is the risk id, as
 * in ntopng, with nDPI's score. The table of risks is ipc/flow_risk.c,
 * shared with the capture worker, so both sides name and score a risk the
 * same way. Which risks raise alerts is the Redis set
 * netward.checks.flow.disabled (alert keys such as
 * "ndpi_clear_text_credentials"); reloadFlowChecks reads it and sends the
 * resulting mask to every capture worker. */
#include "ntop.h"

#include "flow_risk.h"
#include "host_check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DISABLED_KEY "netward.checks.flow.disabled"
#define HOST_CFG_KEY "netward.checks.host"
#define BLACKLIST_KEY "netward.checks.host.blacklist_file"
#define EXCLUSIONS_KEY "netward.alerts.exclusions"
#define EXCLUSIONS_MAX_LUA 4096 /* the capture worker's EXCLUSIONS_MAX */
#define BL_FILE_MAX (16 * 1024 * 1024)
#define BL_LINE_MAX 256
#define BL_MAX_ENTRIES 200000 /* the capture worker's PREFIX_SET_MAX */
#define NO_OT "netward has no IEC 104 / Modbus / EtherNet/IP checks"

static int
risk_arg(lua_State *L, int i, const char *fn, const char *what)
{
	lua_Integer id = nt_int(L, i, fn, what);

	if (id < 1 || id > fr_max_risk())
		nt_error(L, fn, "argument #%d (%s) must be a risk id in 1..%d", i,
		    what, fr_max_risk());
	return (int)id;
}

NT_FN(getRiskStr)
{
	NT_ARGS(1, 1);
	lua_pushstring(L, fr_risk_str(risk_arg(L, 1, __func__, "risk_id")));
	return 1;
}

/* {[risk_id] = "risk text", ...} */
NT_FN(getRiskList)
{
	NT_ARGS(0, 0);
	lua_createtable(L, fr_max_risk(), 0);
	for (int id = 1; id <= fr_max_risk(); id++) {
		lua_pushstring(L, fr_risk_str(id));
		lua_rawseti(L, -2, id);
	}
	return 1;
}

/* As ntopng: {alert_key = {alert_id, category, risk_name}, ...} */
NT_FN(getFlowRiskAlerts)
{
	NT_ARGS(0, 0);
	lua_createtable(L, 0, fr_max_risk());
	for (int id = 1; id <= fr_max_risk(); id++) {
		lua_createtable(L, 0, 3);
		nt_setint(L, "alert_id", id);
		nt_setint(L, "category", fr_category(id));
		nt_setstr(L, "risk_name", fr_risk_str(id));
		lua_setfield(L, -2, fr_alert_name(id));
	}
	return 1;
}

NT_FN(getFlowAlertScore)
{
	NT_ARGS(1, 1);
	lua_Integer id = NT_INT(1, "alert_id");
	if (id < 1 || id > fr_max_risk())
		NT_ERR("no flow alert type %lld (flow alerts are nDPI's "
		       "risks 1..%d)", (long long)id, fr_max_risk());
	lua_pushinteger(L, fr_risk_score((int)id, NULL, NULL));
	return 1;
}

NT_FN(getFlowAlertRisk)
{
	NT_ARGS(1, 1);
	lua_Integer id = NT_INT(1, "alert_id");
	if (id < 1 || id > fr_max_risk())
		NT_ERR("no flow alert type %lld (flow alerts are nDPI's "
		       "risks 1..%d)", (long long)id, fr_max_risk());
	lua_pushinteger(L, id); /* the alert of a risk has the risk's id */
	return 1;
}

static int
risk_of_key(const char *key)
{
	for (int id = 1; id <= fr_max_risk(); id++)
		if (strcmp(fr_alert_name(id), key) == 0)
			return id;
	return 0;
}

/* The disabled-risk mask from Redis; unknown keys are an error. */
static uint64_t
disabled_mask(lua_State *L, const char *fn)
{
	const char *argv[] = {"SMEMBERS", DISABLED_KEY};
	int box;
	uint64_t mask = 0;
	const struct redisReply *r = nt_redis(L, fn, &box, 2, argv, NULL);

	if (r->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < r->elements; i++) {
			const struct redisReply *e = r->element[i];
			int id = e->type == REDIS_REPLY_STRING ?
			    risk_of_key(e->str) : 0;
			if (id == 0)
				nt_error(L, fn, "%s holds '%s', which is no "
				    "flow check", DISABLED_KEY,
				    e->type == REDIS_REPLY_STRING ? e->str :
				    "?");
			mask |= (uint64_t)1 << id;
		}
	}
	lw_redis_done(L, box);
	return mask;
}

/* Calls method with no argument or one integer on every capture worker
 * (all == true) or the selected one, leaving the last result on the
 * stack. */
static void
call_capture(lua_State *L, const char *fn, const char *method, bool all,
    bool with_arg, lua_Integer arg)
{
	char full[96];
	int sel = lw_vm_of(L)->selected_iface;

	snprintf(full, sizeof full, "ntop.%s", fn + 2);
	if (!all && (sel < 0 || sel >= lw_cfg.n_ifaces))
		nt_error(L, fn, "no interface selected");
	for (int i = all ? 0 : sel; i < (all ? lw_cfg.n_ifaces : sel + 1);
	    i++) {
		struct lw_iface *f = &lw_cfg.ifaces[i];
		if (!f->open)
			nt_error(L, fn, "interface %s is not reachable",
			    f->name);
		lua_settop(L, 0);
		if (with_arg)
			lua_pushinteger(L, arg);
		lw_rpc_call(L, &f->client, method, full, with_arg ? 1 : 0);
	}
}

NT_FN(reloadFlowChecks)
{
	NT_ARGS(0, 0);
	uint64_t mask = disabled_mask(L, __func__);
	call_capture(L, __func__, "setFlowChecksDisabled", true, true,
	    (lua_Integer)mask);
	lua_pushnil(L);
	return 1;
}

NT_FN(getFlowChecksStats)
{
	NT_ARGS(0, 0);
	call_capture(L, __func__, "getFlowChecksStats", false, false, 0);
	return 1;
}

/* {key, alert_id, category, risk_name, score, severity, enabled} */
NT_FN(getFlowCheckInfo)
{
	NT_ARGS(1, 1);
	int id = risk_arg(L, 1, __func__, "check_id");
	uint64_t mask = disabled_mask(L, __func__);
	lua_createtable(L, 0, 7);
	nt_setstr(L, "key", fr_alert_name(id));
	nt_setint(L, "alert_id", id);
	nt_setint(L, "category", fr_category(id));
	nt_setstr(L, "risk_name", fr_risk_str(id));
	nt_setint(L, "score", fr_risk_score(id, NULL, NULL));
	nt_setint(L, "severity",
	    fr_score_to_severity(fr_risk_score(id, NULL, NULL)));
	nt_setbool(L, "enabled", !(mask & ((uint64_t)1 << id)));
	return 1;
}

/* ---- host checks ------------------------------------------------------- */

/* Calls method on capture worker i with the nargs values at 1..nargs,
 * leaving its result on top. */
static void
call_one(lua_State *L, const char *fn, int i, const char *method, int nargs)
{
	char full[96];
	struct lw_iface *f = &lw_cfg.ifaces[i];

	snprintf(full, sizeof full, "ntop.%s", fn + 2);
	if (!f->open)
		nt_error(L, fn, "interface %s is not reachable", f->name);
	lw_rpc_call(L, &f->client, method, full, nargs);
}

/* Calls method with the single argument at index 1 on every capture
 * worker; the stack is left as it was. */
static void
call_all_1(lua_State *L, const char *fn, const char *method)
{
	for (int i = 0; i < lw_cfg.n_ifaces; i++) {
		lua_settop(L, 1);
		call_one(L, fn, i, method, 1);
	}
	lua_settop(L, 1);
}

/* True for "a.b.c.d", "x::y", with an optional "/len" in range: the
 * capture worker checks again, this only names the bad line early. */
static bool
ip_or_cidr(const char *s)
{
	char a[64];
	unsigned char buf[16];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int fam;

	if (n == 0 || n >= sizeof a)
		return false;
	memcpy(a, s, n);
	a[n] = '\0';
	if (inet_pton(AF_INET, a, buf) == 1)
		fam = 32;
	else if (inet_pton(AF_INET6, a, buf) == 1)
		fam = 128;
	else
		return false;
	if (slash) {
		char *end;
		long len = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
		    len < 0 || len > fam)
			return false;
	}
	return true;
}

/* Reads the blacklist file (one address or CIDR per line; blank lines
 * and "#" comments ignored) into a sequence at the top of the stack.
 * The path must lie where the Lua worker may read (nt_confine). */
static void
push_blacklist(lua_State *L, const char *fn, const char *path)
{
	char real[4096], line[BL_LINE_MAX + 2];
	FILE *fp;
	struct stat sb;
	lua_Integer n = 0;
	long lineno = 0;

	nt_confine(L, fn, path, false, real, sizeof real);
	if ((fp = fopen(real, "re")) == NULL)
		nt_error(L, fn, "blacklist %s: %s", path, strerror(errno));
	if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > BL_FILE_MAX) {
		fclose(fp);
		nt_error(L, fn, "blacklist %s: not a regular file of at most "
		    "%d bytes", path, BL_FILE_MAX);
	}
	lua_newtable(L);
	while (fgets(line, sizeof line, fp)) {
		lineno++;
		size_t len = strlen(line);
		if (len > BL_LINE_MAX && line[len - 1] != '\n') {
			fclose(fp);
			nt_error(L, fn, "blacklist %s:%ld: line longer than %d "
			    "bytes", path, lineno, BL_LINE_MAX);
		}
		line[strcspn(line, "#")] = '\0';
		char *b = line + strspn(line, " \t\r\n");
		char *e = b + strcspn(b, " \t\r\n");
		if (*(e + strspn(e, " \t\r\n")) != '\0') {
			fclose(fp);
			nt_error(L, fn, "blacklist %s:%ld: one address or CIDR "
			    "per line", path, lineno);
		}
		*e = '\0';
		if (*b == '\0')
			continue;
		if (!ip_or_cidr(b)) {
			fclose(fp);
			nt_error(L, fn, "blacklist %s:%ld: '%.64s' is not an "
			    "address or CIDR", path, lineno, b);
		}
		if (n >= BL_MAX_ENTRIES) {
			fclose(fp);
			nt_error(L, fn, "blacklist %s: more than %d entries",
			    path, BL_MAX_ENTRIES);
		}
		lua_pushstring(L, b);
		lua_rawseti(L, -2, ++n);
	}
	fclose(fp);
}

/* The host check configuration from Redis as {checks = {key =
 * {enabled, threshold}}, blacklist = {...}} on top of the stack.
 * HOST_CFG_KEY is a hash of "<check key>.enabled" ("0"/"1"/"true"/
 * "false") and "<check key>.threshold"; BLACKLIST_KEY names the list
 * file. An unknown field or a bad value is an error. */
static void
push_host_config(lua_State *L, const char *fn, bool want_blacklist)
{
	const char *argv[] = {"HGETALL", HOST_CFG_KEY};
	int box;
	const struct redisReply *r = nt_redis(L, fn, &box, 2, argv, NULL);

	lua_newtable(L);  /* config */
	lua_newtable(L);  /* checks */
	for (int i = 0; i < HC_COUNT; i++) {
		lua_createtable(L, 0, 2);
		nt_setbool(L, "enabled", hc_def(i)->def_enabled);
		if (hc_def(i)->def_threshold > 0)
			nt_setint(L, "threshold",
			    (lua_Integer)hc_def(i)->def_threshold);
		lua_setfield(L, -2, hc_def(i)->key);
	}
	for (size_t k = 0; r->type == REDIS_REPLY_ARRAY &&
	    k + 1 < r->elements; k += 2) {
		const struct redisReply *f = r->element[k], *v =
		    r->element[k + 1];
		char key[64];
		const char *dot;
		int i = -1;
		if (f->type == REDIS_REPLY_STRING && v->type ==
		    REDIS_REPLY_STRING && (dot = strrchr(f->str, '.')) &&
		    (size_t)(dot - f->str) < sizeof key) {
			memcpy(key, f->str, (size_t)(dot - f->str));
			key[dot - f->str] = '\0';
			i = hc_index_of_key(key);
		}
		char fname[80];
		snprintf(fname, sizeof fname, "%s", f->type ==
		    REDIS_REPLY_STRING ? f->str : "?");
		if (i < 0) {
			lw_redis_done(L, box);
			nt_error(L, fn, "%s: '%s' is not <host check>.enabled "
			    "or <host check>.threshold", HOST_CFG_KEY, fname);
		}
		lua_getfield(L, -1, key);
		if (strcmp(dot + 1, "enabled") == 0) {
			bool on = strcmp(v->str, "1") == 0 ||
			    strcmp(v->str, "true") == 0;
			if (!on && strcmp(v->str, "0") != 0 &&
			    strcmp(v->str, "false") != 0) {
				lw_redis_done(L, box);
				nt_error(L, fn, "%s: %s must be 0/1/true/false",
				    HOST_CFG_KEY, fname);
			}
			nt_setbool(L, "enabled", on);
		} else if (strcmp(dot + 1, "threshold") == 0 &&
		    hc_def(i)->max_threshold > 0) {
			char *end;
			long long t = strtoll(v->str, &end, 10);
			if (*v->str == '\0' || *end != '\0' || t < 1 ||
			    (unsigned long long)t > hc_def(i)->max_threshold) {
				lw_redis_done(L, box);
				nt_error(L, fn, "%s: %s must be an integer in "
				    "1..%llu", HOST_CFG_KEY, fname,
				    (unsigned long long)
				    hc_def(i)->max_threshold);
			}
			nt_setint(L, "threshold", (lua_Integer)t);
		} else {
			lw_redis_done(L, box);
			nt_error(L, fn, "%s: unknown field '%s'", HOST_CFG_KEY,
			    fname);
		}
		lua_pop(L, 1);
	}
	lua_setfield(L, -2, "checks");
	lw_redis_done(L, box);
	/* lw_redis_done removed the reply's box below the config */
	if (!want_blacklist)
		return;
	const char *argv2[] = {"GET", BLACKLIST_KEY};
	r = nt_redis(L, fn, &box, 2, argv2, NULL);
	char path[4096] = "";
	if (r->type == REDIS_REPLY_STRING && r->len < sizeof path)
		memcpy(path, r->str, r->len + 1);
	else if (r->type == REDIS_REPLY_STRING) {
		lw_redis_done(L, box);
		nt_error(L, fn, "%s: path too long", BLACKLIST_KEY);
	}
	lw_redis_done(L, box);
	if (path[0]) {
		push_blacklist(L, fn, path);
		lua_setfield(L, -2, "blacklist");
	}
}

/* The blacklist of the host checks, per interface (RPC
 * getBlacklistStats): {interfaces = {[ifid] = {entries, flow_hits,
 * host_hits}}, flow_hits, host_hits} (sums). */
NT_FN(getBlacklistStats)
{
	static const char *const sum[] = { "flow_hits", "host_hits", NULL };

	NT_ARGS(0, 0);
	nt_capture_sum(L, __func__, "getBlacklistStats", sum);
	return 1;
}

NT_FN(resetBlacklistStats)
{
	NT_ARGS(0, 0);
	for (int i = 0; i < lw_cfg.n_ifaces; i++) {
		lua_settop(L, 0);
		nt_capture_call(L, __func__, i, "resetBlacklistStats", 0);
	}
	lua_pushnil(L);
	return 1;
}

/* Re-reads the host check configuration and the blacklist and sends
 * them to every capture worker (RPC setHostChecksConfig). */
NT_FN(reloadHostChecks)
{
	NT_ARGS(0, 0);
	push_host_config(L, __func__, true);
	call_all_1(L, __func__, "setHostChecksConfig");
	lua_pushnil(L);
	return 1;
}

/* {key, alert_id, entity_id, score, severity, enabled, threshold,
 * default_threshold, unit, description, period_s} and, with an
 * interface selected, that interface's engaged/engaged_total. */
NT_FN(getHostCheckInfo)
{
	NT_ARGS(1, 1);
	lua_Integer id = NT_INT(1, "check_id");
	int i = hc_index_of_id(id);
	if (i < 0)
		NT_ERR("no host check %lld (netward runs host alerts 4, 5, 6, "
		       "14 and 17)", (long long)id);
	const struct hc_def *d = hc_def(i);
	lua_settop(L, 0);
	push_host_config(L, __func__, false);
	lua_getfield(L, -1, "checks");
	lua_getfield(L, -1, d->key);
	lua_getfield(L, -1, "enabled");
	bool en = lua_toboolean(L, -1);
	lua_getfield(L, -2, "threshold");
	lua_Integer th = lua_tointeger(L, -1);
	lua_settop(L, 0);
	lua_createtable(L, 0, 13);
	nt_setstr(L, "key", d->key);
	nt_setint(L, "alert_id", d->alert_id);
	nt_setint(L, "entity_id", 1); /* host */
	nt_setint(L, "score", d->score);
	nt_setint(L, "severity", fr_score_to_severity(d->score));
	nt_setbool(L, "enabled", en);
	if (d->max_threshold > 0) {
		nt_setint(L, "threshold", th);
		nt_setint(L, "default_threshold",
		    (lua_Integer)d->def_threshold);
		nt_setstr(L, "unit", d->unit);
	}
	nt_setstr(L, "description", d->description);
	nt_setint(L, "period_s", HC_PERIOD_S);
	int sel = lw_vm_of(L)->selected_iface;
	if (sel >= 0 && sel < lw_cfg.n_ifaces && lw_cfg.ifaces[sel].open) {
		call_one(L, __func__, sel, "getHostChecksStats", 0);
		lua_getfield(L, -1, "checks");
		lua_getfield(L, -1, d->key);
		if (lua_istable(L, -1)) {
			lua_getfield(L, -1, "engaged");
			lua_setfield(L, 1, "engaged");
			lua_getfield(L, -1, "engaged_total");
			lua_setfield(L, 1, "engaged_total");
			lua_getfield(L, -1, "enabled");
			lua_setfield(L, 1, "enabled_on_interface");
		}
		lua_settop(L, 1);
	}
	return 1;
}

/* ---- alert exclusions ---------------------------------------------------- */

/* EXCLUSIONS_KEY is a Redis set of "<ip or cidr>" (every alert of the
 * host), "<ip or cidr>|flow" or "|host" (every flow or host alert), or
 * "<ip or cidr>|flow|<alert id>" / "|host|<alert id>". The list goes to
 * every capture worker (RPC setAlertExclusions), replacing the last. */
NT_FN(reloadAlertExclusions)
{
	NT_ARGS(0, 0);
	const char *argv[] = {"SMEMBERS", EXCLUSIONS_KEY};
	int box;
	const struct redisReply *r = nt_redis(L, __func__, &box, 2, argv,
	    NULL);
	lua_newtable(L);
	int t = lua_gettop(L);
	lua_Integer n = 0;
	for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k < r->elements;
	    k++) {
		const struct redisReply *e = r->element[k];
		char buf[128], shown[104], *host, *kind, *id, *save = NULL;
		snprintf(shown, sizeof shown, "%s", e->type ==
		    REDIS_REPLY_STRING ? e->str : "?");
		if (e->type != REDIS_REPLY_STRING || e->len >= sizeof buf ||
		    n >= EXCLUSIONS_MAX_LUA)
			goto bad;
		memcpy(buf, e->str, e->len + 1);
		host = strtok_r(buf, "|", &save);
		kind = strtok_r(NULL, "|", &save);
		id = strtok_r(NULL, "|", &save);
		if (host == NULL || !ip_or_cidr(host) ||
		    strtok_r(NULL, "|", &save) != NULL ||
		    (kind && strcmp(kind, "flow") != 0 &&
			strcmp(kind, "host") != 0) ||
		    (id && (strspn(id, "0123456789") != strlen(id) ||
			strlen(id) > 5 || atoi(id) > 65535)))
			goto bad;
		lua_createtable(L, 0, 3);
		nt_setstr(L, "host", host);
		nt_setstr(L, "kind", kind ? kind : "all");
		if (id)
			nt_setint(L, "alert_id", atoi(id));
		lua_rawseti(L, t, ++n);
		continue;
bad:
		lw_redis_done(L, box);
		nt_error(L, __func__, "%s: '%.100s' is not <ip or cidr>"
		    "[|flow|host[|<alert id>]] (at most %d entries)",
		    EXCLUSIONS_KEY, shown, EXCLUSIONS_MAX_LUA);
	}
	lw_redis_done(L, box);
	lua_settop(L, 1);
	call_all_1(L, __func__, "setAlertExclusions");
	lua_pushnil(L);
	return 1;
}

/* ---- section 15 ------------------------------------------------------------ */

/* popInternalAlerts(): the alerts the capture workers raised about
 * themselves (an unclean stop found at restart, a failed store write),
 * each returned once, as one sequence over every interface. */
NT_FN(popInternalAlerts)
{
	NT_ARGS(0, 0);
	lua_settop(L, 0);
	lua_newtable(L);
	lua_Integer n = 0;
	for (int i = 0; i < lw_cfg.n_ifaces; i++) {
		if (!lw_cfg.ifaces[i].open)
			continue; /* its alerts wait for the next call */
		call_one(L, __func__, i, "popInternalAlerts", 0);
		lua_Integer m = (lua_Integer)luaL_len(L, -1);
		for (lua_Integer k = 1; k <= m; k++) {
			lua_rawgeti(L, -1, k);
			lua_rawseti(L, 1, ++n);
		}
		lua_settop(L, 1);
	}
	return 1;
}

/* alert_store_query(query[, ifid, limit_rows]): one read-only SELECT on
 * the alert store of interface ifid (default: the selected one); see
 * capture-worker/alert_sql.c. Returns the rows as a sequence of
 * {column = value}. */
NT_FN(alert_store_query)
{
	NT_ARGS(1, 3);
	NT_STR(1, "query");
	int idx = lw_vm_of(L)->selected_iface;
	if (!lua_isnoneornil(L, 2)) {
		lua_Integer ifid = NT_INT(2, "ifid");
		idx = -1;
		for (int i = 0; i < lw_cfg.n_ifaces; i++)
			if (lw_cfg.ifaces[i].ifid == ifid)
				idx = i;
		if (idx < 0)
			NT_ERR("no interface with id %lld", (long long)ifid);
	}
	if (idx < 0 || idx >= lw_cfg.n_ifaces)
		NT_ERR("no interface selected");
	if (!lua_isnoneornil(L, 3) && !lua_isboolean(L, 3))
		NT_INT(3, "limit_rows");
	lua_settop(L, 3);
	lua_remove(L, 2); /* (query, limit_rows) */
	call_one(L, __func__, idx, "alert_store_query", 2);
	return 1;
}

/* ntopng resolves the names of local hosts: true for an address in the
 * local networks (ntop.isLocalAddress decides), false otherwise. */
NT_FN(shouldResolveHost)
{
	NT_ARGS(1, 1);
	NT_STR(1, "ip");
	lua_getglobal(L, "ntop");
	if (lua_type(L, -1) != LUA_TTABLE)
		NT_ERR("the ntop table is missing");
	lua_getfield(L, -1, "isLocalAddress");
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	return 1;
}

NT_FN(setIEC104AllowedTypeIDs)
{
	NT_ARGS(1, 1);
	NT_TABLE(1, "ids");
	NT_UNAVAILABLE(NO_OT);
}

NT_FN(setModbusAllowedFunctionCodes)
{
	NT_ARGS(1, 1);
	NT_TABLE(1, "codes");
	NT_UNAVAILABLE(NO_OT);
}

NT_FN(readModbusDeviceInfo)
{
	NT_ARGS(2, 2);
	NT_STR(1, "host");
	NT_INT(2, "port");
	NT_UNAVAILABLE(NO_OT);
}

NT_FN(readEthernetIPDeviceInfo)
{
	NT_ARGS(2, 2);
	NT_STR(1, "host");
	NT_INT(2, "port");
	NT_UNAVAILABLE(NO_OT);
}

static const luaL_Reg fns[] = {
	NT_ROW(getRiskStr), NT_ROW(getRiskList), NT_ROW(getFlowRiskAlerts),
	NT_ROW(getFlowAlertScore), NT_ROW(getFlowAlertRisk),
	NT_ROW(reloadFlowChecks), NT_ROW(getFlowChecksStats),
	NT_ROW(getFlowCheckInfo), NT_ROW(reloadHostChecks),
	NT_ROW(getBlacklistStats), NT_ROW(resetBlacklistStats),
	NT_ROW(getHostCheckInfo), NT_ROW(reloadAlertExclusions),
	NT_ROW(popInternalAlerts), NT_ROW(alert_store_query),
	NT_ROW(shouldResolveHost), NT_ROW(setIEC104AllowedTypeIDs),
	NT_ROW(setModbusAllowedFunctionCodes), NT_ROW(readModbusDeviceInfo),
	NT_ROW(readEthernetIPDeviceInfo),
	{NULL, NULL},
};

void
ntop_checks_register(lua_State *L)
{
	nt_register(L, fns);
}
