/* interface.* alert calls (spec interface-api.md section 10) and the
 * flow-check calls behind ntop.getFlowChecksStats / reloadFlowChecks. */
#include "rpc_alerts.h"

#include "flow_checks.h"

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
