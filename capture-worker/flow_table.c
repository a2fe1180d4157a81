/* Flow hash table; see flow_table.h. */
#include "flow_table.h"

#include <stdlib.h>
#include <string.h>

#define SLAB_FLOWS 1024
#define INITIAL_BUCKETS 4096

struct flow_slab {
	struct flow_slab *next;
	struct flow flows[SLAB_FLOWS];
};

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t
endpoint_hash(const uint8_t ip[16], uint16_t port)
{
	uint64_t a, b;

	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	return mix64(a ^ mix64(b ^ ((uint64_t)port << 1 | 1)));
}

/* Symmetric in the two endpoints so both directions hash alike. */
static uint64_t
key_hash(const struct pkt_info *pi)
{
	return endpoint_hash(pi->src, pi->sport) +
	    endpoint_hash(pi->dst, pi->dport) +
	    mix64((uint64_t)pi->vlan << 16 | (uint64_t)pi->l4proto << 8 |
		pi->ipver);
}

void
ft_init(struct flow_table *t)
{
	memset(t, 0, sizeof *t);
	t->nbuckets = INITIAL_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
	if (t->buckets == NULL)
		abort();
}

void
ft_destroy(struct flow_table *t)
{
	struct flow_slab *s, *n;

	for (s = t->slabs; s; s = n) {
		n = s->next;
		free(s);
	}
	free(t->buckets);
	memset(t, 0, sizeof *t);
}

static bool
same_key(const struct flow *f, const struct pkt_info *pi, enum flow_dir *dir)
{
	if (f->vlan != pi->vlan || f->l4proto != pi->l4proto ||
	    f->ipver != pi->ipver)
		return false;
	if (f->cli_port == pi->sport && f->srv_port == pi->dport &&
	    memcmp(f->cli_ip, pi->src, 16) == 0 &&
	    memcmp(f->srv_ip, pi->dst, 16) == 0) {
		*dir = DIR_C2S;
		return true;
	}
	if (f->cli_port == pi->dport && f->srv_port == pi->sport &&
	    memcmp(f->cli_ip, pi->dst, 16) == 0 &&
	    memcmp(f->srv_ip, pi->src, 16) == 0) {
		*dir = DIR_S2C;
		return true;
	}
	return false;
}

struct flow *
ft_lookup(struct flow_table *t, const struct pkt_info *pi,
    enum flow_dir *dir)
{
	uint64_t h = key_hash(pi);

	for (struct flow *f = t->buckets[h & (t->nbuckets - 1)]; f;
	     f = f->next)
		if (f->hash == h && same_key(f, pi, dir))
			return f;
	return NULL;
}

/* Doubles the bucket array; on allocation failure keeps the old one
 * (longer chains, still correct). */
static void
grow(struct flow_table *t)
{
	size_t n = t->nbuckets * 2;
	struct flow **b = calloc(n, sizeof *b);

	if (b == NULL)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct flow *f = t->buckets[i], *next;
		for (; f; f = next) {
			next = f->next;
			f->next = b[f->hash & (n - 1)];
			b[f->hash & (n - 1)] = f;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

static struct flow *
alloc_flow(struct flow_table *t)
{
	if (t->free_list == NULL) {
		struct flow_slab *s = malloc(sizeof *s);
		if (s == NULL)
			return NULL;
		s->next = t->slabs;
		t->slabs = s;
		for (int i = SLAB_FLOWS - 1; i >= 0; i--) {
			s->flows[i].id = 0; /* not a flow (ft_walk_slice) */
			s->flows[i].next = t->free_list;
			t->free_list = &s->flows[i];
		}
	}
	struct flow *f = t->free_list;
	t->free_list = f->next;
	return f;
}

struct flow *
ft_insert(struct flow_table *t, const struct pkt_info *pi)
{
	if (t->count >= t->nbuckets)
		grow(t);
	struct flow *f = alloc_flow(t);
	if (f == NULL)
		return NULL;
	memset(f, 0, sizeof *f);
	f->hash = key_hash(pi);
	if (++t->next_id == 0) /* 0 marks a removed flow */
		++t->next_id;
	f->id = t->next_id;
	f->vlan = pi->vlan;
	f->l4proto = pi->l4proto;
	f->ipver = pi->ipver;
	memcpy(f->cli_ip, pi->src, 16);
	memcpy(f->srv_ip, pi->dst, 16);
	f->cli_port = pi->sport;
	f->srv_port = pi->dport;
	size_t b = f->hash & (t->nbuckets - 1);
	f->next = t->buckets[b];
	t->buckets[b] = f;
	t->count++;
	if (t->vlan_flows[f->vlan & 4095]++ == 0)
		t->nvlans++;
	return f;
}

void
ft_remove(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[f->hash & (t->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			t->count--;
			if (--t->vlan_flows[f->vlan & 4095] == 0)
				t->nvlans--;
			f->id = 0; /* a listing holding f sees it is gone */
			f->next = t->free_list;
			t->free_list = f;
			return;
		}
	}
}

void
ft_foreach(struct flow_table *t, void (*fn)(struct flow *, void *),
    void *arg)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct flow *f = t->buckets[i], *next;
		for (; f; f = next) {
			next = f->next; /* fn may remove f */
			fn(f, arg);
		}
	}
}

void
ft_cursor_init(const struct flow_table *t, struct ft_cursor *cur)
{
	cur->slab = t->slabs;
	cur->idx = 0;
}

bool
ft_walk_slice(struct flow_table *t, struct ft_cursor *cur, size_t budget,
    void (*fn)(struct flow *, void *), void *arg)
{
	(void)t;
	for (size_t done = 0; cur->slab && done < budget; done++) {
		struct flow *f = &cur->slab->flows[cur->idx];
		if (f->id != 0) /* 0: free or never used */
			fn(f, arg);
		if (++cur->idx == SLAB_FLOWS) {
			cur->slab = cur->slab->next;
			cur->idx = 0;
		}
	}
	return cur->slab != NULL;
}

uint64_t
ft_key_hash(const struct pkt_info *pi)
{
	return key_hash(pi);
}
