/* Flow checks: nDPI's risk bitmap of a flow, kept when its nDPI state is
 * freed, becomes the flow's score, its hosts' scores, and one flow alert
 * (ntopng's flow alert: the predominant risk as alert id, every risk in
 * the bitmap, the flow's total score).
 *
 * The packet path only appends the alert to a queue (memory, no I/O);
 * the alert store's writer thread drains it into SQLite (alert_store.c),
 * so a slow disk never stalls the capture. */
#ifndef NETWARD_CAPTURE_FLOW_CHECKS_H
#define NETWARD_CAPTURE_FLOW_CHECKS_H

#include "iface.h"

#include <stddef.h>
#include <stdint.h>

struct fc_alert {
	uint32_t alert_id; /* the predominant risk */
	uint16_t score, cli_score, srv_score;
	uint8_t severity;
	uint8_t ipver, l4proto;
	uint16_t vlan;
	uint8_t cli_ip[16], srv_ip[16];
	uint16_t cli_port, srv_port;
	uint16_t l7_proto, l7_master_proto, l7_cat;
	uint64_t risk;	   /* every risk of the flow */
	uint64_t tstamp;   /* packet time, seconds */
	uint64_t first_seen;
	uint64_t flow_key; /* the flow's hash: one alert per flow */
	uint64_t cli2srv_bytes, srv2cli_bytes, cli2srv_pkts, srv2cli_pkts;
	char info[80];	   /* server name */
};

/* Statistics of the check run, for ntop.getFlowChecksStats. */
struct fc_stats {
	uint64_t flows_checked, flows_alerted, alerts_queued;
	uint64_t alerts_dropped; /* queue full: counted, never silent */
	uint64_t check_ns;	 /* time spent in the checks */
};

/* Called under ifc->lock when the flow's nDPI verdict is final. */
void fc_flow_done(struct iface *ifc, struct flow *f,
    const struct ndpi_flow_struct *nd);
/* Called under ifc->lock before a flow is removed. */
void fc_flow_gone(struct iface *ifc, struct flow *f);

/* Alerts are queued only once a store drains them (as_start). */
void fc_enable_queue(void);
/* Moves up to max queued alerts into out; returns how many. */
size_t fc_drain(struct fc_alert *out, size_t max);
/* Puts alerts the store could not write back at the queue's head. */
void fc_requeue(const struct fc_alert *a, size_t n);
size_t fc_pending(void);
void fc_get_stats(struct fc_stats *st);
/* Risks whose alerts are not raised (ntop.reloadFlowChecks); their
 * score still counts, as nDPI's. */
void fc_set_disabled(uint64_t risk_mask);
uint64_t fc_disabled(void);

#endif
