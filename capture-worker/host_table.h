/* Hosts by (ip, vlan), with traffic counters and the per-nDPI-protocol
 * breakdown ntopng shows under a host's "ndpi" table. */
#ifndef NETWARD_CAPTURE_HOST_TABLE_H
#define NETWARD_CAPTURE_HOST_TABLE_H

#include "host_check.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Traffic seen from one side: sent = by this host (or by the client for
 * interface-wide stats), rcvd = towards it. */
struct traffic {
	uint64_t pkts_sent, pkts_rcvd, bytes_sent, bytes_rcvd;
};

struct host_proto {
	uint16_t proto; /* nDPI protocol id */
	uint32_t flows;
	struct traffic t;
};

#define HOST_NAMES 4
enum name_src { NAME_DNS = 1, NAME_TLS_SNI, NAME_HTTP_HOST, NAME_DHCP };

struct host {
	struct host *next;
	uint64_t hash;
	uint32_t id; /* unique while the worker runs (never 0): what names a
			host across the slices of a walk (host_peers.h) */
	uint8_t ip[16];
	uint8_t ipver;
	bool local;
	uint16_t vlan;
	struct traffic t;
	uint64_t first_us, last_us;
	uint32_t active_as_client, active_as_server;
	uint64_t total_as_client, total_as_server;
	struct host_proto *protos; /* small array, grown on demand */
	uint16_t nprotos, cap_protos;

	/* what the traffic revealed (host_info.c) */
	uint8_t mac[6];
	bool has_mac;	  /* mac: source address of its last frame */
	uint8_t os;	  /* enum host_os, 0 = unknown */
	bool os_manual;	  /* set by setHostOperatingSystem */
	char name[64];	  /* resolved name: setHostResolvedName or DNS */
	char dhcp_name[32];
	char names[HOST_NAMES][64]; /* DNS answer / TLS SNI / HTTP Host */
	uint8_t name_src[HOST_NAMES];
	uint8_t nnames;
	char country[3];
	uint32_t asn;
	char asname[48];
	bool geo_done;
	uint64_t cats_seen[4]; /* dumpnDPICategoryId: category id bits */
	/* scores of the alerted flows it is in (flow_checks.c) */
	uint64_t score_as_cli, score_as_srv;
	uint32_t alerted_as_cli, alerted_as_srv;
	uint32_t mark; /* scratch for one listing, under the iface lock */
	/* host checks (host_checks.c): counters of the current check
	 * period, bumped on the packet path, read and reset by the pass */
	uint32_t hc_syn_sent, hc_syn_rcvd, hc_synack_sent, hc_synack_rcvd;
	uint32_t hc_flows_cli, hc_flows_srv;
	uint8_t hc_engaged;	     /* bit per enum hc_index */
	uint8_t hc_attacker;	     /* bit per check: engaged as attacker */
	uint64_t hc_since[HC_COUNT]; /* packet time (s) each was engaged */
	uint32_t hc_bl_gen;	     /* blacklist generation of hc_bl */
	bool hc_bl;		     /* address in the blacklist */
	/* host pools (host_pools.c): pool slot of the IP members, valid
	 * for configuration generation pool_gen */
	uint16_t pool_slot;
	uint32_t pool_gen;
};

struct host_table {
	struct host **buckets;
	size_t nbuckets;
	size_t count, local_count;
	uint32_t next_id;
};

void ht_init(struct host_table *t);
void ht_destroy(struct host_table *t);
struct host *ht_find(struct host_table *t, uint8_t ver, const uint8_t ip[16],
    uint16_t vlan);
/* Finds or creates; NULL only when out of memory. */
struct host *ht_get(struct host_table *t, uint8_t ver, const uint8_t ip[16],
    uint16_t vlan, bool local);
void ht_remove(struct host_table *t, struct host *h);
void ht_foreach(struct host_table *t, void (*fn)(struct host *, void *),
    void *arg);

/* A walk in slices, with hosts added, freed and the bucket array doubled
 * in between. Buckets are visited by class: class l is every bucket j
 * with j mod base == l, base being the bucket count when the walk began.
 * The array only ever doubles and a host's bucket is its hash mod the
 * count, so a host never leaves its class, and each class is walked
 * whole within one slice: a host present from the first slice to the
 * last is visited once; one removed or added in between at most once
 * (one freed and added again under the same key stays in its class).
 * Between slices a host may be freed: keep its key (ht_find), never its
 * pointer. */
struct ht_cursor {
	size_t base, next;
};

void ht_cursor_init(const struct host_table *t, struct ht_cursor *cur);
bool ht_walk_slice(struct host_table *t, struct ht_cursor *cur,
    size_t budget, void (*fn)(struct host *, void *), void *arg);

/* The host's counters for protocol id; NULL when out of memory. */
struct host_proto *host_proto_get(struct host *h, uint16_t proto);

#endif
