/* Alert exclusions (ntop.reloadAlertExclusions): a host (address or
 * CIDR), alone or with one alert id, whose flow and host alerts are not
 * raised. The Lua side reads them from Redis and sends the whole list
 * with the RPC setAlertExclusions; the list is replaced, never merged.
 * Read and written under the interface lock (flow and host checks run
 * under it). */
#ifndef NETWARD_CAPTURE_EXCLUSIONS_H
#define NETWARD_CAPTURE_EXCLUSIONS_H

#include "prefix_set.h"

#include <stdbool.h>
#include <stdint.h>

#define EXCLUSIONS_MAX 4096

enum ex_kind { EX_ALL = 0, EX_FLOW = 1, EX_HOST = 2 };

struct exclusion {
	struct prefix host;
	uint8_t kind;	  /* enum ex_kind: which alerts */
	int32_t alert_id; /* -1: every alert of that kind */
};

/* Replaces the list (takes ownership of v, malloc'd). */
void ex_set(struct exclusion *v, size_t n);
size_t ex_count(void);
/* True when alert_id of kind (EX_FLOW or EX_HOST) is excluded for the
 * host (ver, ip). */
bool ex_match(uint8_t ver, const uint8_t ip[16], enum ex_kind kind,
    int alert_id);
/* Flow risks (bit = risk id = flow alert id) excluded for a host. */
uint64_t ex_flow_mask(uint8_t ver, const uint8_t ip[16]);
/* How many alerts the exclusions suppressed (flow, host). */
void ex_suppressed(uint64_t *flow, uint64_t *host);
void ex_count_suppressed(enum ex_kind kind);

#endif
