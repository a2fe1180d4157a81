/* Handlers of the flow checks and the alert store (rpc_alerts.c). */
#ifndef NETWARD_CAPTURE_RPC_ALERTS_H
#define NETWARD_CAPTURE_RPC_ALERTS_H

#include "rpc_common.h"

void m_get_flow_checks_stats(struct call *c);
void m_set_flow_checks_disabled(struct call *c);
void m_get_alerts(struct call *c);
void m_get_engaged_alerts(struct call *c);

#endif
