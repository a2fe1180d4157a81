/* Statistics of the alert machinery, for ntop.* calls that sum them over
 * the capture workers: getAlertStoreStats (ntop.getSystemAlertsStats)
 * and the blacklist's use (ntop.getBlacklistStats,
 * ntop.resetBlacklistStats). */
#include "rpc_alerts.h"

#include "alert_store.h"
#include "flow_checks.h"
#include "host_checks.h"

/* getAlertStoreStats(): {written = {flow, host_events}, queued = {flow,
 * host_events}, dropped = {flow, host_events}, failed_batches, stored =
 * {flow, host, other}, engaged = {host, other}}. */
void
m_get_alert_store_stats(struct call *c)
{
	struct as_stats as;
	struct fc_stats fc;
	struct hc_stats hc;
	struct mapb m, w, q, d, s, e;

	if (!want_args(c, 0, 0))
		return;
	if (!as_get_stats(&as)) {
		fail(c, IPC_ERR_INTERNAL, "the alert store cannot be read");
		return;
	}
	fc_get_stats(&fc);
	hc_get_stats(&hc);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_init(&w);
	mb_u64(&w, "flow", as.flow_written);
	mb_u64(&w, "host_events", as.host_events_written);
	mb_end(&w, mb_key(&m, "written"));
	mb_init(&q);
	mb_u64(&q, "flow", fc_pending());
	mb_u64(&q, "host_events", hc_pending());
	mb_end(&q, mb_key(&m, "queued"));
	mb_init(&d);
	mb_u64(&d, "flow", fc.alerts_dropped);
	mb_u64(&d, "host_events", hc.events_dropped);
	mb_end(&d, mb_key(&m, "dropped"));
	mb_u64(&m, "failed_batches", as.failed_batches);
	mb_init(&s);
	mb_u64(&s, "flow", as.rows[0]);
	mb_u64(&s, "host", as.rows[1]);
	mb_u64(&s, "other", as.rows[2]);
	mb_end(&s, mb_key(&m, "stored"));
	mb_init(&e);
	mb_u64(&e, "host", as.engaged[1]);
	mb_u64(&e, "other", as.engaged[2]);
	mb_end(&e, mb_key(&m, "engaged"));
	mb_end(&m, &c->w->pk);
}

/* getBlacklistStats(): {entries, flow_hits, host_hits}. */
void
m_get_blacklist_stats(struct call *c)
{
	struct hc_bl_stats st;
	struct mapb m;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	hc_get_blacklist_stats(&st);
	pthread_mutex_unlock(&c->ifc->lock);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_u64(&m, "entries", st.entries);
	mb_u64(&m, "flow_hits", st.flow_hits);
	mb_u64(&m, "host_hits", st.hosts);
	mb_end(&m, &c->w->pk);
}

void
m_reset_blacklist_stats(struct call *c)
{
	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	hc_reset_blacklist_stats();
	pthread_mutex_unlock(&c->ifc->lock);
	reply_nil(c);
}
