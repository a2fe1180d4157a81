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

#include <hiredis.h>
#include <stdint.h>
#include <string.h>

#define DISABLED_KEY "netward.checks.flow.disabled"
#define NO_HOST_CHECKS "netward runs no host checks yet (score " \
	"thresholds, scans and floods are still to be built)"
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

NT_FN(reloadHostChecks)
{
	NT_ARGS(0, 0);
	NT_UNAVAILABLE(NO_HOST_CHECKS);
}

NT_FN(getHostCheckInfo)
{
	NT_ARGS(1, 1);
	NT_INT(1, "check_id");
	NT_UNAVAILABLE(NO_HOST_CHECKS);
}

NT_FN(reloadAlertExclusions)
{
	NT_ARGS(0, 0);
	NT_UNAVAILABLE("netward has no alert exclusions yet");
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
	NT_ROW(getHostCheckInfo), NT_ROW(reloadAlertExclusions),
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
