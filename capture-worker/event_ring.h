/* event_ring.c: a bounded FIFO of fixed-size records, the alerts and host
 * events waiting for the alert store's writer (flow_checks.c,
 * host_checks.c). Its slots are allocated at the first push. Not locked:
 * its owner's lock guards it, with the owner's other state. */
#ifndef NETWARD_EVENT_RING_H
#define NETWARD_EVENT_RING_H

#include <stdbool.h>
#include <stddef.h>

struct event_ring {
	unsigned char *slots;
	size_t size, cap;	/* of a record; records at most */
	size_t head, len;
};

#define EVENT_RING_INIT(type, n) { NULL, sizeof(type), (n), 0, 0 }

/* At the back, or at the front (a record given back after a failed
 * write keeps its place). False when full or out of memory. */
bool event_ring_push(struct event_ring *r, const void *rec, bool front);
/* Up to max records from the front into out; how many. */
size_t event_ring_pop(struct event_ring *r, void *out, size_t max);

#endif
