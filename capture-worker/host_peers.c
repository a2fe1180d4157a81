/* A host's contacted peers from one sliced walk of the flows (see
 * host_peers.h): each flow gives the pair (client, server) with the
 * client's role and, when every host is wanted, (server, client) with the
 * server's; the pairs are sorted by (host id, peer id) with a radix sort
 * and merged, so a host's peers are one run, found by binary search. */
#include "host_peers.h"

#include "rpc_pack.h"

#include <stdlib.h>
#include <string.h>

static void
push_pair(struct host_peers *p, uint32_t host, uint32_t peer, uint32_t role)
{
	if (p->oom)
		return;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct peer_pair *v = realloc(p->v, cap * sizeof *v);
		if (v == NULL) {
			p->oom = true;
			return;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n].key = (uint64_t)host << 32 | peer;
	p->v[p->n++].role = role;
}

static size_t id_slot(uint32_t id, size_t cap);

static size_t
key_slot(const struct host_peers *p, uint32_t id)
{
	return id_slot(id, p->kcap);
}

static void
put_key(struct host_peers *p, const struct peer_key *k)
{
	size_t i = key_slot(p, k->id);

	while (p->keys[i].id && p->keys[i].id != k->id)
		i = (i + 1) & (p->kcap - 1);
	if (p->keys[i].id == 0) {
		p->keys[i] = *k;
		p->nkeys++;
	}
}

static const struct peer_key *
get_key(const struct host_peers *p, uint32_t id)
{
	if (p->kcap == 0)
		return NULL;
	for (size_t i = key_slot(p, id); p->keys[i].id;
	     i = (i + 1) & (p->kcap - 1))
		if (p->keys[i].id == id)
			return &p->keys[i];
	return NULL;
}

/* Remembers the key of peer h (its id, address and VLAN). */
static void
note_peer(struct host_peers *p, const struct host *h)
{
	struct peer_key k = { .id = h->id, .ver = h->ipver,
		.vlan = h->vlan };

	if (p->oom)
		return;
	if ((p->nkeys + 1) * 2 > p->kcap) {
		struct host_peers old = *p;
		size_t cap = p->kcap ? p->kcap * 2 : 64;
		p->keys = calloc(cap, sizeof *p->keys);
		if (p->keys == NULL) {
			p->keys = old.keys;
			p->oom = true;
			return;
		}
		p->kcap = cap;
		p->nkeys = 0;
		for (size_t i = 0; i < old.kcap; i++)
			if (old.keys[i].id)
				put_key(p, &old.keys[i]);
		free(old.keys);
	}
	memcpy(k.ip, h->ip, 16);
	put_key(p, &k);
}

/* Runs under the lock, one slice at a time. */
static void
pair_flow(struct flow *f, void *arg)
{
	struct host_peers *p = arg;
	struct host *c = f->cli_host, *s = f->srv_host;

	if (c == NULL || s == NULL)
		return;
	if (p->only == 0 || c->id == p->only) {
		push_pair(p, c->id, s->id, PEER_AS_CLIENT);
		note_peer(p, s);
	}
	if (p->only == 0 || s->id == p->only) {
		push_pair(p, s->id, c->id, PEER_AS_SERVER);
		note_peer(p, c);
	}
}

/* LSD radix sort of v[0..n) by key, a byte at a time, skipping the bytes
 * every key shares (the high bytes of small ids). */
static bool
sort_pairs(struct peer_pair *v, size_t n)
{
	size_t count[8][256];
	struct peer_pair *tmp, *src = v, *dst;

	if (n < 2)
		return true;
	if ((tmp = malloc(n * sizeof *tmp)) == NULL)
		return false;
	memset(count, 0, sizeof count);
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 8; b++)
			count[b][(v[i].key >> (8 * b)) & 0xff]++;
	dst = tmp;
	for (int b = 0; b < 8; b++) {
		size_t pos = 0;
		if (count[b][(v[0].key >> (8 * b)) & 0xff] == n)
			continue;
		for (int d = 0; d < 256; d++) {
			size_t c = count[b][d];
			count[b][d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[b][(src[i].key >> (8 * b)) & 0xff]++] = src[i];
		struct peer_pair *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
	free(tmp);
	return true;
}

bool
peers_collect(struct iface *ifc, struct host_peers *p, uint32_t only)
{
	size_t m = 0;

	memset(p, 0, sizeof *p);
	p->only = only;
	iface_walk_flows(ifc, pair_flow, p);
	if (p->oom || !sort_pairs(p->v, p->n)) {
		peers_free(p);
		return false;
	}
	/* one pair per (host, peer), with the roles of all its flows */
	for (size_t i = 0; i < p->n; i++) {
		if (m > 0 && p->v[m - 1].key == p->v[i].key)
			p->v[m - 1].role |= p->v[i].role;
		else
			p->v[m++] = p->v[i];
	}
	p->n = m;
	return true;
}

void
peers_free(struct host_peers *p)
{
	free(p->v);
	free(p->keys);
	memset(p, 0, sizeof *p);
}

void
peers_pack(const struct host_peers *p, uint32_t id, struct mapb *m)
{
	uint64_t lo = (uint64_t)id << 32, as_client = 0, as_server = 0;
	size_t a = 0, b = p ? p->n : 0, end;
	uint32_t listed = 0;
	char ip[ADDR_STRLEN], key[ADDR_STRLEN + 8];

	/* the first pair of host id, then the end of its run */
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (p->v[mid].key < lo)
			a = mid + 1;
		else
			b = mid;
	}
	for (end = a; p && end < p->n && p->v[end].key >> 32 == id; end++) {
		if (p->v[end].role & PEER_AS_CLIENT)
			as_client++;
		else
			as_server++;
	}
	mb_u64(m, "contacts.as_client", as_client);
	mb_u64(m, "contacts.as_server", as_server);
	msgpack_packer *pk = mb_key(m, "contacted_peers");
	for (size_t i = a; i < end && listed < PEERS_LIST_MAX; i++)
		listed += get_key(p, (uint32_t)p->v[i].key) != NULL;
	msgpack_pack_array(pk, listed);
	for (size_t i = a; i < end && listed > 0; i++) {
		const struct peer_key *k = get_key(p, (uint32_t)p->v[i].key);
		if (k == NULL)
			continue;
		addr_fmt(k->ver, k->ip, ip);
		if (k->vlan)
			snprintf(key, sizeof key, "%s@%u", ip, k->vlan);
		else
			snprintf(key, sizeof key, "%s", ip);
		ipc_pack_str(pk, key);
		listed--;
	}
}

/* ---- sets of host ids ---------------------------------------------------- */

static size_t
id_slot(uint32_t id, size_t cap)
{
	return (id * 2654435761u) & (cap - 1);
}

bool
idset_has(const struct id_set *s, uint32_t id)
{
	if (s->cap == 0)
		return false;
	for (size_t i = id_slot(id, s->cap); s->v[i];
	     i = (i + 1) & (s->cap - 1))
		if (s->v[i] == id)
			return true;
	return false;
}

static bool
idset_put(uint32_t *v, size_t cap, uint32_t id)
{
	size_t i = id_slot(id, cap);

	for (; v[i]; i = (i + 1) & (cap - 1))
		if (v[i] == id)
			return false;
	v[i] = id;
	return true;
}

bool
idset_add(struct id_set *s, uint32_t id)
{
	if (s->oom)
		return false;
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint32_t *v = calloc(cap, sizeof *v);
		if (v == NULL) {
			s->oom = true;
			return false;
		}
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i])
				idset_put(v, cap, s->v[i]);
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	if (!idset_put(s->v, s->cap, id))
		return false;
	s->n++;
	return true;
}

void
idset_free(struct id_set *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}
