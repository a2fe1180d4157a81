/* Host table; see host_table.h. Hosts are far fewer than flows and are
 * created once per address, so plain malloc is fine here. */
#include "host_table.h"

#include "geoip.h"

#include <stdlib.h>
#include <string.h>

static uint64_t
host_hash(const uint8_t ip[16], uint16_t vlan)
{
	uint64_t a, b, x;

	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	x = a * 0x9E3779B97F4A7C15ULL ^ (b + vlan) * 0xC2B2AE3D27D4EB4FULL;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 32);
}

void
ht_init(struct host_table *t)
{
	memset(t, 0, sizeof *t);
	t->nbuckets = 1024;
	t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
	if (t->buckets == NULL)
		abort();
}

static void
free_host(struct host *h, void *arg)
{
	(void)arg;
	free(h->protos);
	free(h);
}

void
ht_destroy(struct host_table *t)
{
	ht_foreach(t, free_host, NULL);
	free(t->buckets);
	memset(t, 0, sizeof *t);
}

struct host *
ht_find(struct host_table *t, uint8_t ver, const uint8_t ip[16],
    uint16_t vlan)
{
	uint64_t hv = host_hash(ip, vlan);

	for (struct host *h = t->buckets[hv & (t->nbuckets - 1)]; h;
	     h = h->next)
		if (h->hash == hv && h->vlan == vlan && h->ipver == ver &&
		    memcmp(h->ip, ip, 16) == 0)
			return h;
	return NULL;
}

static void
grow(struct host_table *t)
{
	size_t n = t->nbuckets * 2;
	struct host **b = calloc(n, sizeof *b);

	if (b == NULL)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct host *h = t->buckets[i], *next;
		for (; h; h = next) {
			next = h->next;
			h->next = b[h->hash & (n - 1)];
			b[h->hash & (n - 1)] = h;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

struct host *
ht_get(struct host_table *t, uint8_t ver, const uint8_t ip[16],
    uint16_t vlan, bool local)
{
	struct host *h = ht_find(t, ver, ip, vlan);

	if (h)
		return h;
	if (t->count >= t->nbuckets)
		grow(t);
	h = calloc(1, sizeof *h);
	if (h == NULL)
		return NULL;
	h->hash = host_hash(ip, vlan);
	if (++t->next_id == 0) /* after 2^32 hosts: 0 means none */
		++t->next_id;
	h->id = t->next_id;
	memcpy(h->ip, ip, 16);
	h->ipver = ver;
	h->vlan = vlan;
	h->local = local;
	size_t b = h->hash & (t->nbuckets - 1);
	h->next = t->buckets[b];
	t->buckets[b] = h;
	t->count++;
	if (local)
		t->local_count++;
	geo_fill(h);
	return h;
}

void
ht_remove(struct host_table *t, struct host *h)
{
	struct host **pp = &t->buckets[h->hash & (t->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			t->count--;
			if (h->local)
				t->local_count--;
			free_host(h, NULL);
			return;
		}
	}
}

void
ht_foreach(struct host_table *t, void (*fn)(struct host *, void *),
    void *arg)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct host *h = t->buckets[i], *next;
		for (; h; h = next) {
			next = h->next;
			fn(h, arg);
		}
	}
}

void
ht_cursor_init(const struct host_table *t, struct ht_cursor *cur)
{
	cur->base = t->nbuckets;
	cur->next = 0;
}

bool
ht_walk_slice(struct host_table *t, struct ht_cursor *cur, size_t budget,
    void (*fn)(struct host *, void *), void *arg)
{
	size_t done = 0;

	while (cur->next < cur->base && done < budget) {
		for (size_t j = cur->next; j < t->nbuckets; j += cur->base)
			for (struct host *h = t->buckets[j]; h; h = h->next) {
				fn(h, arg);
				done++;
			}
		cur->next++;
	}
	return cur->next < cur->base;
}

struct host_proto *
host_proto_get(struct host *h, uint16_t proto)
{
	for (uint16_t i = 0; i < h->nprotos; i++)
		if (h->protos[i].proto == proto)
			return &h->protos[i];
	if (h->nprotos == h->cap_protos) {
		uint16_t cap = h->cap_protos ? h->cap_protos * 2 : 4;
		struct host_proto *p = realloc(h->protos, cap * sizeof *p);
		if (p == NULL)
			return NULL;
		h->protos = p;
		h->cap_protos = cap;
	}
	struct host_proto *hp = &h->protos[h->nprotos++];
	memset(hp, 0, sizeof *hp);
	hp->proto = proto;
	return hp;
}
