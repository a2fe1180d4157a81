/* A set of IPv4/IPv6 prefixes (addresses and CIDRs) with a lookup that
 * costs one binary search per distinct prefix length present: the host
 * checks' blacklist, which may hold many thousands of entries. */
#ifndef NETWARD_CAPTURE_PREFIX_SET_H
#define NETWARD_CAPTURE_PREFIX_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PREFIX_SET_MAX 200000 /* entries accepted in one set */

struct prefix {
	uint8_t ver, len; /* 4 or 6; 0..32 or 0..128 */
	uint8_t ip[16];	  /* masked to len */
};

struct prefix_set {
	struct prefix *v;
	size_t n;
	bool has_len[2][129]; /* [v6][len] */
};

/* Parses "a.b.c.d", "a.b.c.d/n", "x::y", "x::y/n" into p (masked); false
 * on anything else (host bits set beyond /n are masked, not refused). */
bool prefix_parse(const char *s, struct prefix *p);
/* Takes ownership of v (n entries, malloc'd), sorts and dedups it. */
void ps_init(struct prefix_set *s, struct prefix *v, size_t n);
void ps_free(struct prefix_set *s);
bool ps_contains(const struct prefix_set *s, uint8_t ver,
    const uint8_t ip[16]);
/* True when prefix p holds address (ver, ip). */
bool prefix_holds(const struct prefix *p, uint8_t ver, const uint8_t ip[16]);

#endif
