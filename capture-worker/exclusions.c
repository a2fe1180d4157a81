/* See exclusions.h. A few thousand entries at most, scanned in order:
 * the scan runs once per alerted flow and per host check that fires,
 * not per packet. */
#include "exclusions.h"

#include <stdatomic.h>
#include <stdlib.h>

static struct exclusion *list;
static size_t nlist;
static atomic_uint_fast64_t supp_flow, supp_host;

void
ex_set(struct exclusion *v, size_t n)
{
	free(list);
	list = v;
	nlist = v ? n : 0;
}

size_t
ex_count(void)
{
	return nlist;
}

bool
ex_match(uint8_t ver, const uint8_t ip[16], enum ex_kind kind, int alert_id)
{
	for (size_t i = 0; i < nlist; i++) {
		const struct exclusion *e = &list[i];
		if ((e->kind == EX_ALL || e->kind == kind) &&
		    (e->alert_id < 0 || e->alert_id == alert_id) &&
		    prefix_holds(&e->host, ver, ip))
			return true;
	}
	return false;
}

uint64_t
ex_flow_mask(uint8_t ver, const uint8_t ip[16])
{
	uint64_t m = 0;

	for (size_t i = 0; i < nlist; i++) {
		const struct exclusion *e = &list[i];
		if (e->kind == EX_HOST || !prefix_holds(&e->host, ver, ip))
			continue;
		if (e->alert_id < 0)
			return ~(uint64_t)0;
		if (e->alert_id < 64)
			m |= (uint64_t)1 << e->alert_id;
	}
	return m;
}

void
ex_suppressed(uint64_t *flow, uint64_t *host)
{
	*flow = atomic_load(&supp_flow);
	*host = atomic_load(&supp_host);
}

void
ex_count_suppressed(enum ex_kind kind)
{
	if (kind == EX_FLOW)
		atomic_fetch_add(&supp_flow, 1);
	else
		atomic_fetch_add(&supp_host, 1);
}
