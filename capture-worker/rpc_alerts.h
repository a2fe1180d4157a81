/* Handlers of the flow checks and the alert store (rpc_alerts.c). */
#ifndef NETWARD_CAPTURE_RPC_ALERTS_H
#define NETWARD_CAPTURE_RPC_ALERTS_H

#include "rpc_common.h"

void m_get_flow_checks_stats(struct call *c);
void m_set_flow_checks_disabled(struct call *c);
void m_get_alerts(struct call *c);
void m_get_engaged_alerts(struct call *c);
void m_set_host_checks_config(struct call *c);
void m_get_host_checks_stats(struct call *c);
void m_set_alert_exclusions(struct call *c);
void m_store_triggered_alert(struct call *c);
void m_release_triggered_alert(struct call *c);
void m_trigger_external_alert(struct call *c);
void m_release_external_alert(struct call *c);
void m_release_engaged_alerts(struct call *c);
void m_trigger_traffic_alert(struct call *c);
void m_get_cached_alert_value(struct call *c);
void m_set_cached_alert_value(struct call *c);
void m_check_context(struct call *c);
void m_alert_store_query(struct call *c);
void m_pop_internal_alerts(struct call *c);
/* rpc_alert_stats.c */
void m_get_alert_store_stats(struct call *c);
void m_get_blacklist_stats(struct call *c);
void m_reset_blacklist_stats(struct call *c);
/* Applies the host check configuration and exclusions saved in the
 * store (main.c, before the capture starts). */
void rpc_alerts_restore(struct iface *ifc);

#endif
