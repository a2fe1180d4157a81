/* Service and periodicity maps (see behaviour.h). */
#include "behaviour.h"

#include "flow_table.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define BEH_BUCKETS 16384 /* BEH_MAX_ENTRIES / 4: chains stay short */

static int
table_init(struct beh_table *t)
{
	memset(t, 0, sizeof *t);
	t->nbuckets = BEH_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
	t->next_id = 1;
	return t->buckets ? 0 : -1;
}

static void
table_clear(struct beh_table *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct beh_entry *e = t->buckets[i];
		while (e) {
			struct beh_entry *n = e->next;
			free(e);
			e = n;
		}
		t->buckets[i] = NULL;
	}
	t->count = 0;
}

int
beh_init(struct behaviour *b)
{
	memset(b, 0, sizeof *b);
	if (table_init(&b->svc) != 0 || table_init(&b->per) != 0) {
		beh_destroy(b);
		return -1;
	}
	return 0;
}

void
beh_destroy(struct behaviour *b)
{
	if (b->svc.buckets)
		table_clear(&b->svc);
	if (b->per.buckets)
		table_clear(&b->per);
	free(b->svc.buckets);
	free(b->per.buckets);
	b->svc.buckets = b->per.buckets = NULL;
}

/* FNV-1a over the key's fields (the struct is zeroed first, so padding
 * never varies). */
static uint64_t
key_hash(const struct beh_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof *k; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void
key_of(const struct flow *f, uint16_t l7, struct beh_key *k)
{
	memset(k, 0, sizeof *k);
	memcpy(k->cli_ip, f->cli_ip, 16);
	memcpy(k->srv_ip, f->srv_ip, 16);
	k->srv_port = f->srv_port;
	k->vlan = f->vlan;
	k->l7 = l7;
	k->l4proto = f->l4proto;
	k->ipver = f->ipver;
}

static struct beh_entry *
lookup(struct beh_table *t, const struct beh_key *k, uint64_t hv)
{
	for (struct beh_entry *e = t->buckets[hv & (t->nbuckets - 1)]; e;
	    e = e->next)
		if (e->hash == hv && memcmp(&e->k, k, sizeof *k) == 0)
			return e;
	return NULL;
}

/* Finds or adds the entry of k; NULL (counted) when the table is full or
 * memory is short. */
static struct beh_entry *
get(struct beh_table *t, const struct beh_key *k, bool *created)
{
	uint64_t hv = key_hash(k);
	struct beh_entry *e = lookup(t, k, hv);

	*created = false;
	if (e)
		return e;
	if (t->count >= BEH_MAX_ENTRIES ||
	    (e = calloc(1, sizeof *e)) == NULL) {
		t->dropped++;
		return NULL;
	}
	e->hash = hv;
	e->k = *k;
	e->id = t->next_id++;
	if (t->next_id == 0)
		t->next_id = 1;
	size_t b = hv & (t->nbuckets - 1);
	e->next = t->buckets[b];
	t->buckets[b] = e;
	t->count++;
	*created = true;
	return e;
}

static bool
tracked(const struct flow *f)
{
	return f->l4proto == IPPROTO_TCP || f->l4proto == IPPROTO_UDP;
}

void
beh_flow_start(struct behaviour *b, const struct flow *f, uint64_t ts_us)
{
	struct beh_key k;
	bool created;
	struct beh_entry *e;

	if (!tracked(f))
		return;
	key_of(f, 0, &k);
	if ((e = get(&b->per, &k, &created)) == NULL)
		return;
	e->num_flows++;
	if (created) {
		e->first_us = e->last_us = ts_us;
		return;
	}
	uint64_t d = ts_us > e->last_us ? ts_us - e->last_us : 0;
	e->last_us = ts_us;
	if (d < (uint64_t)BEH_MIN_PERIOD_S * 1000000u) {
		e->candidate_us = 0; /* a burst, not a period */
		e->loops = 0;
		return;
	}
	if (e->candidate_us != 0) {
		uint64_t tol = e->candidate_us / 10;
		uint64_t diff = d > e->candidate_us ? d - e->candidate_us :
		    e->candidate_us - d;
		if (tol < 1000000u)
			tol = 1000000u;
		if (diff <= tol) {
			e->loops++;
			return;
		}
	}
	e->candidate_us = d; /* a new candidate interval */
	e->loops = 0;
}

void
beh_flow_classified(struct behaviour *b, const struct flow *f, uint16_t l7)
{
	struct beh_key k;
	bool created;
	struct beh_entry *e;

	if (!tracked(f))
		return;
	key_of(f, 0, &k);
	if ((e = lookup(&b->per, &k, key_hash(&k))) != NULL &&
	    f->first_us >= e->last_us) {
		/* the key's latest flow */
		e->last_l7 = l7;
		memcpy(e->info, f->host_server_name, sizeof e->info);
		e->info[sizeof e->info - 1] = '\0';
	}

	key_of(f, l7, &k);
	if ((e = get(&b->svc, &k, &created)) == NULL)
		return;
	uint64_t seen = f->last_us > f->first_us ? f->last_us : f->first_us;
	if (created) {
		if (b->learning_start_us == 0)
			b->learning_start_us = f->first_us;
		e->first_us = f->first_us;
		e->status = beh_learning(b, f->first_us) ? SVC_ALLOWED :
		    SVC_UNDECIDED;
	}
	if (f->first_us < e->first_us)
		e->first_us = f->first_us;
	if (seen > e->last_us)
		e->last_us = seen;
	e->num_flows++;
	if (f->host_server_name[0] != '\0') {
		memcpy(e->info, f->host_server_name, sizeof e->info);
		e->info[sizeof e->info - 1] = '\0';
	}
}

bool
beh_learning(const struct behaviour *b, uint64_t now_us)
{
	return b->learning_start_us == 0 ||
	    now_us < b->learning_start_us + (uint64_t)BEH_LEARNING_S * 1000000u;
}

void
beh_flush_services(struct behaviour *b)
{
	table_clear(&b->svc);
	b->learning_start_us = 0; /* learning starts again */
}

void
beh_flush_periodicity(struct behaviour *b)
{
	table_clear(&b->per);
}

struct beh_entry *
beh_service_by_id(struct behaviour *b, uint32_t id)
{
	for (size_t i = 0; i < b->svc.nbuckets; i++)
		for (struct beh_entry *e = b->svc.buckets[i]; e; e = e->next)
			if (e->id == id)
				return e;
	return NULL;
}

void
beh_foreach(struct beh_table *t, void (*fn)(struct beh_entry *, void *),
    void *arg)
{
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct beh_entry *e = t->buckets[i]; e; e = e->next)
			fn(e, arg);
}
