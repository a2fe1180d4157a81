/* A host's contacted peers (the "contacts.*" and "contacted_peers" of a
 * host's details), gathered by one sliced walk of the flows
 * (iface_walk_flows) instead of a walk of every flow per host under the
 * lock: O(flows) for one host or for every host at once.
 *
 * Hosts are named by their id (struct host), never by pointer: the walk
 * releases the lock between slices and a host may be freed and its
 * memory reused meanwhile. A host freed and seen again under the same
 * key has a new id, and so no peers from before. */
#ifndef NETWARD_CAPTURE_HOST_PEERS_H
#define NETWARD_CAPTURE_HOST_PEERS_H

#include "iface.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Peers listed under "contacted_peers" at most (oldest hosts first); the
 * counts stay exact. ntopng too bounds what it keeps per host. */
#define PEERS_LIST_MAX 256

enum { PEER_AS_CLIENT = 1, PEER_AS_SERVER = 2 };

struct peer_pair {
	uint64_t key; /* host id << 32 | peer id */
	uint32_t role; /* PEER_AS_*: the host's role in the flows with it */
};

struct peer_key {
	uint32_t id; /* 0: empty slot */
	uint8_t ver;
	uint16_t vlan;
	uint8_t ip[16];
};

struct host_peers {
	uint32_t only; /* 0: every host's peers; else only this host's */
	struct peer_pair *v; /* sorted by key, one per (host, peer) */
	size_t n, cap;
	struct peer_key *keys; /* the peers' keys, open addressing by id */
	size_t nkeys, kcap;    /* kcap: power of two */
	bool oom;
};

/* Walks every flow in slices (the caller does not hold ifc->lock) and
 * keeps the (host, peer) pairs of host id only, or of every host when
 * only is 0. False when out of memory (p is freed then). */
bool peers_collect(struct iface *ifc, struct host_peers *p, uint32_t only);
void peers_free(struct host_peers *p);

/* Packs "contacts.as_client", "contacts.as_server" (distinct peers, each
 * counted once: as client when the host opened any flow with it) and
 * "contacted_peers" (their "ip[@vlan]" keys, at most PEERS_LIST_MAX, by
 * host id) of host id into m (a struct mapb *). */
struct mapb;
void peers_pack(const struct host_peers *p, uint32_t id, struct mapb *m);

/* A set of host ids, open addressing: which hosts a sliced walk of the
 * flows met (senders of TCP, servers of a port), without marking the
 * hosts themselves, which another walk running meanwhile would see. */
struct id_set {
	uint32_t *v; /* 0: empty slot */
	size_t n, cap;
	bool oom;
};

/* True when id was not in s yet (and now is); false when it was, or when
 * out of memory (oom set). */
bool idset_add(struct id_set *s, uint32_t id);
bool idset_has(const struct id_set *s, uint32_t id);
void idset_free(struct id_set *s);

#endif
