/* All state of one monitored interface: flows, hosts, counters, and the
 * nDPI module, plus the per-packet update that fills them.
 *
 * Locking: the capture thread holds `lock` while it processes a batch of
 * packets (see capture.c), and every RPC handler holds it while it reads.
 * A listing therefore never sees a flow whose client counters are updated
 * but whose host counters are not. Batches are small (CAPTURE_BATCH
 * packets), so an RPC waits at most one batch. An RPC that reads every
 * flow or host (listings, aggregates) does not hold the lock for the whole
 * table: it walks it in slices of IFACE_SLICE entries (iface_walk.c), one
 * slice per lock hold, and hands the lock to the capture thread between
 * slices when that thread is waiting, so the capture thread waits at most
 * one slice. What such a walk may see of a table that changes between
 * slices is said at ft_cursor (flow_table.h). */
#ifndef NETWARD_CAPTURE_IFACE_H
#define NETWARD_CAPTURE_IFACE_H

#include "addr.h"
#include "behaviour.h"
#include "dissect.h"
#include "flow_table.h"
#include "host_table.h"
#include "mac_table.h"

#include <ndpi_api.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum l4_class { L4_TCP, L4_UDP, L4_ICMP, L4_ICMP6, L4_OTHER, L4_COUNT };

struct proto_totals {
	struct traffic t; /* sent = client to server */
	uint64_t flows;
};

struct iface {
	pthread_mutex_t lock;
	/* the capture thread is waiting for lock / has taken it this many
	 * times: what a sliced walk looks at to let it in (iface_walk.c) */
	atomic_bool capture_waiting;
	atomic_ulong capture_turns;
	/* RPC threads waiting for lock for a short read (iface_lock_rpc) /
	 * their turns: what the capture thread looks at after a batch */
	atomic_uint rpc_waiting;
	atomic_ulong rpc_turns;
	int ifid;
	char name[128];
	bool is_file;
	int dlt;

	struct ndpi_detection_module_struct *ndpi;
	uint32_t nprotos;	    /* size of proto[] */
	struct proto_totals *proto; /* by nDPI protocol id */
	struct proto_totals cat[NDPI_PROTOCOL_NUM_CATEGORIES];

	struct flow_table flows;
	struct host_table hosts;
	struct localnets nets;
	bool custom_categories; /* ntop.loadCustomCategory* sets are loaded */

	/* interface counters */
	uint64_t packets, bytes, drops;
	uint64_t ip_packets, ip_bytes, non_ip_packets, fragments;
	uint64_t unsupported, no_memory;
	uint64_t malformed[MAL_COUNT];
	struct proto_totals l4[L4_COUNT];
	uint64_t first_us, last_us; /* packet time */

	/* throughput over the last wall-clock second */
	double thpt_bps, thpt_pps;
	double thpt_wall;
	uint64_t thpt_bytes, thpt_pkts;

	/* pcap file ingestion (a netward extension, see rpc_handlers.c) */
	bool ingest_complete;
	uint64_t file_size, file_pos;

	/* set by interface.* calls (rpc_iface.c) */
	bool idle;
	struct { uint64_t packets, bytes, drops; } reset; /* resetCounters */
	struct mac_table macs;

	/* flows still being classified: nDPI state in recycled slots, in
	 * order of their last packet (see iface.c) */
	struct detect_slot *slot_free, *lru_head, *lru_tail;
	size_t slots_free, slots_used;
	uint64_t next_giveup_us;

	/* host pools: host_pools.c keeps their configuration and traffic */

	/* service and periodicity maps (behaviour.h) */
	struct behaviour beh;

	/* detection and expiry settings */
	uint32_t max_tcp_pkts, max_udp_pkts;
	bool idle_purge;
	uint32_t idle_timeout_s;
	uint64_t next_purge_us;

	/* host checks (host_checks.c): the current check period */
	uint64_t hc_win_start_us, hc_next_us;
};

/* ndpi: an initialised module the iface owns from now on. */
int iface_init(struct iface *ifc, int ifid, const char *name, bool is_file,
    const struct localnets *nets);
void iface_destroy(struct iface *ifc);

/* Accounts one frame; the caller holds ifc->lock. */
void iface_packet(struct iface *ifc, const struct pcap_pkthdr *h,
    const uint8_t *data);
/* Ends detection on every flow still undecided (end of a pcap file). */
void iface_giveup_all(struct iface *ifc);
/* Expires flows idle for idle_timeout_s at packet time now_us. */
void iface_purge_idle(struct iface *ifc, uint64_t now_us);
/* Refreshes thpt_* when a wall-clock second has passed. */
void iface_update_throughput(struct iface *ifc, double wall_now);

/* ---- iface_walk.c: long reads in slices --------------------------------- */

#define IFACE_SLICE 4096

/* The capture thread's only way to take the lock (batches, housekeeping,
 * end of file): it announces itself so a sliced walk lets it in at its
 * next slice boundary. */
void iface_lock_capture(struct iface *ifc);
/* A short RPC's way to take the lock (getStats, one host, a count): the
 * capture thread, which takes the lock again at once after each batch,
 * lets it in at the end of its current batch. Not for walks. */
void iface_lock_rpc(struct iface *ifc);
/* The capture thread, right after a batch's unlock: when a short RPC
 * waits, yields until it has had the lock (bounded). */
void iface_yield_to_rpc(struct iface *ifc);
/* Between two slices of a walk: releases the lock held by the caller,
 * lets a waiting capture thread take it (for one batch), and takes it
 * back. */
void iface_pause(struct iface *ifc);
/* Calls fn on every flow (host), taking ifc->lock per slice; the caller
 * does not hold it. fn runs under the lock, must not remove what it is
 * given, and must not keep a pointer to it past its call. */
void iface_walk_flows(struct iface *ifc, void (*fn)(struct flow *, void *),
    void *arg);
void iface_walk_hosts(struct iface *ifc, void (*fn)(struct host *, void *),
    void *arg);

/* The protocol id stats are kept under: app, else master. */
static inline uint16_t
flow_stats_proto(const struct flow *f)
{
	return f->proto.app_protocol != NDPI_PROTOCOL_UNKNOWN ?
	    f->proto.app_protocol : f->proto.master_protocol;
}

enum l4_class l4_class_of(uint8_t l4proto);
const char *l4_name(uint8_t l4proto);

/* Custom categories: nDPI 4.2 keeps them but applies neither the address
 * nor (for undetected flows) the host-name matches itself. */
void iface_custom_category(struct iface *ifc, struct flow *f,
    ndpi_protocol *p);

#endif
