/* Host checks: score threshold, SYN scan, flow flood, SYN flood and the
 * blacklist (ipc/host_check.c names them with ntopng's host alert ids).
 *
 * The packet path only bumps per-host counters when a flow starts and
 * when a SYN is answered (hc_new_flow, hc_synack). Once per check period
 * of packet time (HC_PERIOD_S; so a pcap is checked as it was captured)
 * the owner thread, under the interface lock, walks the hosts
 * (hc_tick): a check whose condition holds engages its alert, one
 * engaged whose condition no longer holds releases it, and the period's
 * counters restart. Engage and release events go to a queue (memory
 * only) that the alert store's writer thread drains into SQLite, as flow
 * alerts do. */
#ifndef NETWARD_CAPTURE_HOST_CHECKS_H
#define NETWARD_CAPTURE_HOST_CHECKS_H

#include "host_check.h"
#include "iface.h"
#include "prefix_set.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hc_event {
	bool engage;	  /* false: release */
	uint8_t check;	  /* enum hc_index */
	uint8_t ipver;
	uint8_t ip[16];
	uint16_t vlan;
	bool attacker, victim;
	uint16_t score;
	uint8_t severity;
	uint64_t tstamp;     /* engaged at (packet time, s) */
	uint64_t tstamp_end; /* released at (= tstamp on engage) */
	uint64_t value, threshold;
	bool local;
};

struct hc_stats {
	uint64_t passes, hosts_checked, engaged, released, suppressed;
	uint64_t events_dropped;
	uint64_t check_ns;
	uint64_t engaged_now[HC_COUNT], engaged_total[HC_COUNT];
};

/* Packet path, under ifc->lock: a new flow (first packet's TCP flags)
 * and the first SYN-ACK of a flow's server. */
void hc_new_flow(struct flow *f, uint8_t tcp_flags);
void hc_synack(struct flow *f);
/* Runs the checks when a period of packet time has ended by now_us. */
void hc_tick(struct iface *ifc, uint64_t now_us);
/* End of a pcap: checks the last, partial period now. */
void hc_final(struct iface *ifc);
/* A host is about to be freed: its engaged alerts are released. */
void hc_host_gone(struct iface *ifc, struct host *h, uint64_t now_us);

/* Configuration (under ifc->lock): enabled and threshold per check,
 * and the blacklist (takes ownership of its entries). */
void hc_configure(const bool enabled[HC_COUNT],
    const uint64_t threshold[HC_COUNT]);
void hc_set_blacklist(struct prefix *v, size_t n);
void hc_get_config(bool enabled[HC_COUNT], uint64_t threshold[HC_COUNT],
    size_t *blacklist_n);

/* Queue of engage/release events, drained by the alert store. Events
 * are queued only once a store drains them (hc_enable_queue). */
void hc_enable_queue(void);
size_t hc_drain(struct hc_event *out, size_t max);
void hc_requeue(const struct hc_event *e, size_t n);
void hc_get_stats(struct hc_stats *st);
size_t hc_pending(void);

/* The blacklist's use (ntop.getBlacklistStats), under ifc->lock:
 * entries loaded, flows seen since the last reset with an end in the
 * list (a flow counts once), listed hosts found since the last reset.
 * hc_reset_blacklist_stats zeroes both and makes every host look its
 * address up again. */
struct hc_bl_stats {
	uint64_t entries, flow_hits, hosts;
};
void hc_get_blacklist_stats(struct hc_bl_stats *st);
void hc_reset_blacklist_stats(void);

#endif
