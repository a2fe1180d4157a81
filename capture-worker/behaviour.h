/* Behaviour maps of one interface, kept by the capture thread on packet
 * time (interface.serviceMap, interface.periodicityMap):
 *
 * - the service map: one edge per (vlan, l4, client, server, server port,
 *   application protocol) of the TCP/UDP flows whose nDPI verdict is
 *   final, with how many flows used it, when, and an acceptance status
 *   (ntopng's ServiceAcceptance numbers: 0 allowed, 1 denied,
 *   2 undecided). An edge first seen during the learning period (the
 *   first BEH_LEARNING_S seconds of traffic after start or a flush) is
 *   allowed, a later one undecided; serviceMapSetStatus changes it.
 *
 * - the periodicity map: one entry per (vlan, l4, client, server, server
 *   port) of TCP/UDP flows, updated when a flow of that key starts. The
 *   interval between successive starts is measured in microseconds; it
 *   "repeats" when it is within max(1 s, 10 %) of the entry's candidate
 *   interval, which is the first interval after the last mismatch.
 *   Intervals under BEH_MIN_PERIOD_S seconds are bursts, not periods,
 *   and reset the candidate. An entry is periodic (listed) once its
 *   candidate repeated at least once (three starts at a regular
 *   interval); `frequency` is the candidate in seconds (rounded) and
 *   `num_periodic_loops_accounted` how often it repeated since.
 *
 * Both tables are bounded (BEH_MAX_ENTRIES each); a key that does not fit
 * is counted in `dropped`, never silently lost. The caller holds the
 * iface lock for every call. */
#ifndef NETWARD_CAPTURE_BEHAVIOUR_H
#define NETWARD_CAPTURE_BEHAVIOUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BEH_MAX_ENTRIES 65536
#define BEH_LEARNING_S 3600
#define BEH_MIN_PERIOD_S 5

enum svc_status { SVC_ALLOWED = 0, SVC_DENIED = 1, SVC_UNDECIDED = 2 };

struct beh_key {
	uint8_t cli_ip[16], srv_ip[16];
	uint16_t srv_port, vlan;
	uint16_t l7; /* service map only; 0 in the periodicity map */
	uint8_t l4proto, ipver;
};

struct beh_entry {
	struct beh_entry *next;
	uint64_t hash;
	struct beh_key k;
	uint32_t id; /* the service map's key for SetStatus */
	uint64_t first_us, last_us;
	uint64_t num_flows; /* service: num_uses */
	char info[80];	    /* server name of the last flow */
	uint16_t last_l7;   /* periodicity: protocol of the last flow */
	uint8_t status;	    /* service: enum svc_status */
	/* periodicity */
	uint64_t candidate_us;
	uint32_t loops;
};

struct beh_table {
	struct beh_entry **buckets;
	size_t nbuckets; /* power of two, fixed */
	size_t count;
	uint64_t dropped;
	uint32_t next_id;
};

struct behaviour {
	struct beh_table svc, per;
	uint64_t learning_start_us; /* packet time; 0 = at the next edge */
};

struct flow;

int beh_init(struct behaviour *b);
void beh_destroy(struct behaviour *b);
/* A TCP/UDP flow f started at ts_us (periodicity). */
void beh_flow_start(struct behaviour *b, const struct flow *f,
    uint64_t ts_us);
/* f's verdict is final with stats protocol l7 (service map; the
 * periodicity entry takes its protocol and server name). */
void beh_flow_classified(struct behaviour *b, const struct flow *f,
    uint16_t l7);
void beh_flush_services(struct behaviour *b);
void beh_flush_periodicity(struct behaviour *b);
bool beh_learning(const struct behaviour *b, uint64_t now_us);
/* The service edge with key id, or NULL. */
struct beh_entry *beh_service_by_id(struct behaviour *b, uint32_t id);
void beh_foreach(struct beh_table *t, void (*fn)(struct beh_entry *, void *),
    void *arg);
/* True when e is periodic (see above). */
static inline bool
beh_periodic(const struct beh_entry *e)
{
	return e->loops > 0;
}

#endif
