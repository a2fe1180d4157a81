/* Host pools (ntop.reloadHostPools): pools with an id, a name and
 * members (an address or CIDR with a VLAN, or a MAC address). Pool 0 is
 * the default pool: every host that no member names.
 *
 * A host's pool is the pool of the MAC member equal to the source
 * address of its last frame, else of the longest IP member holding its
 * address in its VLAN (a member without "@vlan" is VLAN 0, as ntopng
 * reads them), else 0. The IP answer is cached in the host and looked
 * up again after each reconfiguration (a generation number).
 *
 * Pool traffic is credited on the packet path as ntopng credits pools,
 * through local hosts: every packet of a flow with a local end, to that
 * end's pool, from that end's side (the client's when both are local).
 * A reconfiguration keeps the counters of the pools whose id stays;
 * traffic already credited does not move with a member that moves.
 *
 * Everything here runs under the interface lock (packet path and RPC
 * handlers); one capture worker serves one interface, so the state is
 * the module's own. */
#ifndef NETWARD_CAPTURE_HOST_POOLS_H
#define NETWARD_CAPTURE_HOST_POOLS_H

#include "host_table.h"
#include "mac_table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HP_MAX_POOLS 256      /* configured pools, besides pool 0 */
#define HP_MAX_MEMBERS 65536  /* members of all pools together */
#define HP_MAX_POOL_ID 65535  /* ntopng's pool ids are 16 bits */
#define HP_NAME_MAX 64        /* bytes of a pool name */
#define HP_MEMBER_MAX 64      /* bytes of a member's text */

struct hp_stats {
	struct traffic t;
	struct traffic *proto; /* by nDPI protocol id, hp_init's nprotos */
	uint64_t first_us, last_us;
};

/* One pool of a configuration being built (hp_set takes it). */
struct hp_pool {
	uint16_t id;
	char name[HP_NAME_MAX + 1];
	uint32_t members;	/* configured members */
	struct hp_stats st;
};

/* A member of a configuration being built; slot = index of its pool. */
struct hp_member {
	bool is_mac;
	uint8_t ver, len;	/* IP: 4/6, prefix length */
	uint16_t vlan;
	uint8_t addr[16];	/* IP masked to len, or the MAC */
	uint16_t slot;
};

/* Allocates pool 0 (nprotos protocol counters). 0 or -1. */
int hp_init(uint32_t nprotos);
void hp_destroy(void);

/* Parses "ip[/len][@vlan]" or "aa:bb:cc:dd:ee:ff" into m (slot unset). */
bool hp_member_parse(const char *s, struct hp_member *m);

/* Replaces the configuration: pools[0..n) (ids distinct, not 0), and
 * members whose slot is 1 + an index of pools (0 = pool 0 named
 * explicitly). Takes ownership of both arrays (malloc'd, may be NULL
 * when n or nm is 0) even when it fails. false with err on a member in
 * two pools or no memory; the old configuration then stays. */
bool hp_set(struct hp_pool *pools, size_t n, struct hp_member *members,
    size_t nm, char *err, size_t errlen);

/* The pool slot of h (0 = pool 0), caching the IP lookup in h. */
uint16_t hp_slot_of_host(struct host *h);
/* The pool id of h, for listings: the cached answer when still valid. */
uint16_t hp_pool_id_of(const struct host *h);
/* The pool id of an address by the IP members only (no host seen). */
uint16_t hp_pool_id_of_addr(uint8_t ver, const uint8_t ip[16],
    uint16_t vlan);
uint16_t hp_slot_of_mac(const uint8_t mac[6]);
/* Slots 0..hp_count()-1; the pool of a slot; -1 for an unknown id. */
size_t hp_count(void);
const struct hp_pool *hp_pool_at(size_t slot);
int hp_slot_of_id(int64_t id);

/* Packet path: a packet (or protocol counters) of a local host in
 * pool slot, seen from that host's side (sent = from it). */
void hp_credit(uint16_t slot, bool sent, uint64_t pkts, uint64_t bytes,
    uint64_t ts_us);
void hp_credit_proto(uint16_t slot, uint16_t proto, bool sent,
    uint64_t pkts, uint64_t bytes);

#endif
