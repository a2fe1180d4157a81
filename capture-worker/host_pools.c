/* Host pools: configuration, a host's pool, per-pool counters
 * (host_pools.h). */
#include "host_pools.h"

#include "prefix_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* slot 0 is pool 0; slots 1..npools-1 the configured pools */
static struct hp_pool *pools;
static size_t npools;
static uint32_t nprotos;
/* IP members sorted by (ver, len, vlan, addr); MAC members by addr */
static struct hp_member *ips, *macs;
static size_t nips, nmacs;
static bool has_len[2][129];
static uint32_t gen = 1;

int
hp_init(uint32_t np)
{
	nprotos = np;
	pools = calloc(1, sizeof *pools);
	if (pools == NULL)
		return -1;
	pools[0].st.proto = calloc(np ? np : 1, sizeof(struct traffic));
	if (pools[0].st.proto == NULL) {
		free(pools);
		pools = NULL;
		return -1;
	}
	snprintf(pools[0].name, sizeof pools[0].name, "Default");
	npools = 1;
	return 0;
}

static void
free_pools(struct hp_pool *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].st.proto);
	free(v);
}

void
hp_destroy(void)
{
	free_pools(pools, npools);
	free(ips);
	free(macs);
	pools = NULL;
	ips = macs = NULL;
	npools = nips = nmacs = 0;
}

static bool
mac_text(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (strlen(s) != 17 || strspn(s, "0123456789abcdefABCDEF:") != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (s[i * 3 + 2] != (i < 5 ? ':' : '\0'))
			return false;
		mac[i] = (uint8_t)v[i];
	}
	return true;
}

bool
hp_member_parse(const char *s, struct hp_member *m)
{
	char buf[HP_MEMBER_MAX + 1];
	struct prefix p;
	size_t n = strlen(s);

	memset(m, 0, sizeof *m);
	if (n == 0 || n > HP_MEMBER_MAX)
		return false;
	if (mac_text(s, m->addr)) {
		m->is_mac = true;
		return true;
	}
	memcpy(buf, s, n + 1);
	char *at = strchr(buf, '@');
	if (at) {
		char *e;
		*at = '\0';
		if (at[1] < '0' || at[1] > '9' || strlen(at + 1) > 4)
			return false;
		unsigned long v = strtoul(at + 1, &e, 10);
		if (*e != '\0' || v > 4095)
			return false;
		m->vlan = (uint16_t)v;
	}
	if (!prefix_parse(buf, &p))
		return false;
	m->ver = p.ver;
	m->len = p.len;
	memcpy(m->addr, p.ip, 16);
	return true;
}

static int
cmp_ip(const void *a, const void *b)
{
	const struct hp_member *x = a, *y = b;

	if (x->ver != y->ver)
		return x->ver < y->ver ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->vlan != y->vlan)
		return x->vlan < y->vlan ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static int
cmp_mac(const void *a, const void *b)
{
	return memcmp(((const struct hp_member *)a)->addr,
	    ((const struct hp_member *)b)->addr, 6);
}

/* Sorts v and drops duplicates of one pool; false (err) when the same
 * member is in two pools. */
static bool
sort_dedup(struct hp_member *v, size_t *n, int (*cmp)(const void *,
    const void *), const struct hp_pool *np, char *err, size_t errlen)
{
	size_t o = 0;

	if (*n == 0)
		return true;
	qsort(v, *n, sizeof *v, cmp);
	for (size_t i = 1; i < *n; i++) {
		if (cmp(&v[o], &v[i]) != 0) {
			v[++o] = v[i];
			continue;
		}
		if (v[o].slot != v[i].slot) {
			snprintf(err, errlen, "a member is in pools %u and %u",
			    np[v[o].slot].id, np[v[i].slot].id);
			return false;
		}
	}
	*n = o + 1;
	return true;
}

bool
hp_set(struct hp_pool *np, size_t n, struct hp_member *m, size_t nm,
    char *err, size_t errlen)
{
	struct hp_pool *all = NULL;
	struct hp_member *nip = NULL, *nmac = NULL;
	size_t ni = 0, nmc = 0;
	bool ok = false;

	if (n > HP_MAX_POOLS || nm > HP_MAX_MEMBERS) {
		snprintf(err, errlen, "at most %d pools and %d members",
		    HP_MAX_POOLS, HP_MAX_MEMBERS);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k <= i; k++)
			if (np[i].id == 0 || (k < i && np[k].id == np[i].id)) {
				snprintf(err, errlen, "pool ids must be distinct "
				    "and not 0");
				goto out;
			}
	all = calloc(n + 1, sizeof *all);
	if (all == NULL || (nm && ((nip = calloc(nm, sizeof *nip)) == NULL ||
	    (nmac = calloc(nm, sizeof *nmac)) == NULL))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* slot 0 keeps pool 0 and its counters */
	all[0] = pools[0];
	all[0].members = 0;
	for (size_t i = 0; i < n; i++) {
		all[i + 1] = np[i];
		all[i + 1].members = 0;
		memset(&all[i + 1].st, 0, sizeof all[i + 1].st);
		for (size_t k = 1; k < npools; k++)
			if (pools[k].id == np[i].id) {
				all[i + 1].st = pools[k].st;
				break;
			}
	}
	for (size_t i = 1; i <= n; i++) {
		if (all[i].st.proto == NULL &&
		    (all[i].st.proto = calloc(nprotos ? nprotos : 1,
		    sizeof(struct traffic))) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto undo;
		}
	}
	for (size_t i = 0; i < nm; i++) {
		if (m[i].slot > n) {
			snprintf(err, errlen, "member %zu has no pool", i + 1);
			goto undo;
		}
		all[m[i].slot].members++;
		if (m[i].is_mac)
			nmac[nmc++] = m[i];
		else
			nip[ni++] = m[i];
	}
	if (!sort_dedup(nip, &ni, cmp_ip, all, err, errlen) ||
	    !sort_dedup(nmac, &nmc, cmp_mac, all, err, errlen))
		goto undo;

	/* commit: counters of the pools that went away are freed */
	for (size_t k = 1; k < npools; k++) {
		bool kept = false;
		for (size_t i = 1; i <= n && !kept; i++)
			kept = all[i].st.proto == pools[k].st.proto;
		if (!kept)
			free(pools[k].st.proto);
	}
	free(pools);
	free(ips);
	free(macs);
	pools = all;
	npools = n + 1;
	ips = nip;
	nips = ni;
	macs = nmac;
	nmacs = nmc;
	memset(has_len, 0, sizeof has_len);
	for (size_t i = 0; i < nips; i++)
		has_len[ips[i].ver == 6][ips[i].len] = true;
	gen++; /* every host looks its pool up again */
	all = NULL;
	nip = nmac = NULL;
	ok = true;
	goto out;
undo:
	/* counters taken over from the running pools stay theirs */
	for (size_t i = 1; i <= n; i++) {
		bool borrowed = false;
		for (size_t k = 1; k < npools && !borrowed; k++)
			borrowed = all[i].st.proto == pools[k].st.proto;
		if (!borrowed)
			free(all[i].st.proto);
	}
out:
	free(all);
	free(nip);
	free(nmac);
	free(np);
	free(m);
	return ok;
}

static uint16_t
ip_lookup(uint8_t ver, const uint8_t ip[16], uint16_t vlan)
{
	int v6 = ver == 6, max = v6 ? 128 : 32;
	struct hp_member key;

	memset(&key, 0, sizeof key);
	key.ver = ver;
	key.vlan = vlan;
	for (int len = max; len >= 0; len--) {
		if (!has_len[v6][len])
			continue;
		key.len = (uint8_t)len;
		memset(key.addr, 0, 16);
		memcpy(key.addr, ip, (size_t)len / 8);
		if (len % 8)
			key.addr[len / 8] = (uint8_t)(ip[len / 8] &
			    (0xff << (8 - len % 8)));
		const struct hp_member *hit = bsearch(&key, ips, nips,
		    sizeof *ips, cmp_ip);
		if (hit)
			return hit->slot;
	}
	return 0;
}

uint16_t
hp_slot_of_mac(const uint8_t mac[6])
{
	struct hp_member key;
	const struct hp_member *hit;

	if (nmacs == 0)
		return 0;
	memcpy(key.addr, mac, 6);
	hit = bsearch(&key, macs, nmacs, sizeof *macs, cmp_mac);
	return hit ? hit->slot : 0;
}

uint16_t
hp_slot_of_host(struct host *h)
{
	if (nmacs && h->has_mac) {
		uint16_t s = hp_slot_of_mac(h->mac);
		if (s)
			return s;
	}
	if (h->pool_gen != gen) {
		h->pool_slot = nips ? ip_lookup(h->ipver, h->ip, h->vlan) : 0;
		h->pool_gen = gen;
	}
	return h->pool_slot < npools ? h->pool_slot : 0;
}

uint16_t
hp_pool_id_of(const struct host *h)
{
	uint16_t s = 0;

	if (nmacs && h->has_mac)
		s = hp_slot_of_mac(h->mac);
	if (s == 0)
		s = h->pool_gen == gen ? h->pool_slot : nips ?
		    ip_lookup(h->ipver, h->ip, h->vlan) : 0;
	return s < npools ? pools[s].id : 0;
}

uint16_t
hp_pool_id_of_addr(uint8_t ver, const uint8_t ip[16], uint16_t vlan)
{
	uint16_t s = nips ? ip_lookup(ver, ip, vlan) : 0;
	return s < npools ? pools[s].id : 0;
}

size_t
hp_count(void)
{
	return npools;
}

const struct hp_pool *
hp_pool_at(size_t slot)
{
	return slot < npools ? &pools[slot] : NULL;
}

int
hp_slot_of_id(int64_t id)
{
	for (size_t i = 0; i < npools; i++)
		if (pools[i].id == id)
			return (int)i;
	return -1;
}

static void
add(struct traffic *t, bool sent, uint64_t pkts, uint64_t bytes)
{
	if (sent) {
		t->pkts_sent += pkts;
		t->bytes_sent += bytes;
	} else {
		t->pkts_rcvd += pkts;
		t->bytes_rcvd += bytes;
	}
}

void
hp_credit(uint16_t slot, bool sent, uint64_t pkts, uint64_t bytes,
    uint64_t ts_us)
{
	struct hp_stats *s;

	if (slot >= npools)
		return;
	s = &pools[slot].st;
	add(&s->t, sent, pkts, bytes);
	if (s->first_us == 0)
		s->first_us = ts_us;
	if (ts_us > s->last_us)
		s->last_us = ts_us;
}

void
hp_credit_proto(uint16_t slot, uint16_t proto, bool sent, uint64_t pkts,
    uint64_t bytes)
{
	if (slot < npools && proto < nprotos)
		add(&pools[slot].st.proto[proto], sent, pkts, bytes);
}
