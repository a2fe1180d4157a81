/* The flow table: one entry per (vlan, l4 proto, unordered endpoints),
 * as the oracle keys flows. Chained hashing over a power-of-two bucket
 * array that doubles past a load of 1; entries come from a slab with a
 * free list, so the packet path does not call malloc for flow entries. */
#ifndef NETWARD_CAPTURE_FLOW_TABLE_H
#define NETWARD_CAPTURE_FLOW_TABLE_H

#include "dissect.h"

#include <ndpi_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;

enum flow_dir { DIR_C2S = 0, DIR_S2C = 1 };

struct flow {
	struct flow *next; /* bucket chain, or free list */
	uint64_t hash;	   /* symmetric key hash */
	uint32_t id;	   /* hash_entry_id: unique while the worker runs;
			      0 once the flow is removed (its slab entry
			      stays valid memory until ft_destroy) */
	uint16_t vlan;
	uint8_t l4proto, ipver;
	uint8_t cli_ip[16], srv_ip[16];
	uint16_t cli_port, srv_port;
	uint8_t tcp_flags[2];
	bool detection_done; /* nDPI verdict final, nd freed */
	uint64_t pkts[2], bytes[2]; /* indexed by enum flow_dir */
	uint64_t first_us, last_us; /* packet time */
	ndpi_protocol proto;	    /* master/app/category when done */
	char host_server_name[80];
	char ja3c[33], ja3s[33];
	uint64_t risk; /* nDPI's risk bitmap, kept when nd is freed */
	uint16_t score, cli_score, srv_score; /* flow_checks.c */
	struct ndpi_flow_struct *nd; /* only while detecting */
	struct host *cli_host, *srv_host;
};

struct flow_slab;

struct flow_table {
	struct flow **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
	struct flow *free_list;
	struct flow_slab *slabs;
	uint32_t next_id;
	/* flows per VLAN id and how many ids have one: what getStats
	 * reports without walking the table */
	uint32_t vlan_flows[4096];
	uint32_t nvlans;
};

void ft_init(struct flow_table *t);
void ft_destroy(struct flow_table *t);

/* Finds the flow of pi; *dir tells whether pi goes client to server. */
struct flow *ft_lookup(struct flow_table *t, const struct pkt_info *pi,
    enum flow_dir *dir);
/* Adds a zeroed flow for pi with its sender as client; NULL if out of
 * memory. */
struct flow *ft_insert(struct flow_table *t, const struct pkt_info *pi);
/* Unlinks f and returns it to the slab; the caller released nd. */
void ft_remove(struct flow_table *t, struct flow *f);

/* Calls fn on every flow; fn may ft_remove() the flow it was given. */
void ft_foreach(struct flow_table *t, void (*fn)(struct flow *, void *),
    void *arg);

/* A walk of the table in slices, with the table changing in between
 * (flows added, removed, the bucket array doubled). It goes through the
 * slabs in memory order, not the buckets: sequential reads instead of a
 * cache miss per flow, and a cursor that no resize invalidates, since
 * slabs are never freed before ft_destroy and a flow never moves from
 * its entry. So each flow is visited at most once; a flow present from
 * the first slice to the last is visited once; one removed before its
 * entry is reached is not; one added meanwhile may be (in a free entry
 * of a slab already there) or not (in a new slab, or an entry already
 * passed). A flow removed and then seen again under the same key is a
 * new flow, with a new id. */
struct ft_cursor {
	struct flow_slab *slab; /* NULL: done */
	size_t idx;
};

void ft_cursor_init(const struct flow_table *t, struct ft_cursor *cur);
/* Gives fn the live flows among the next budget entries; false once
 * every slab was walked. fn must not remove flows. */
bool ft_walk_slice(struct flow_table *t, struct ft_cursor *cur,
    size_t budget, void (*fn)(struct flow *, void *), void *arg);

/* The symmetric key hash of pi's flow (the flow's f->hash). */
uint64_t ft_key_hash(const struct pkt_info *pi);

/* 32-bit key as ntopng's "ntopng.key" (the flow's hash key). */
static inline uint32_t
flow_key32(const struct flow *f)
{
	return (uint32_t)(f->hash ^ (f->hash >> 32));
}

#endif
