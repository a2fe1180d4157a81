/* See mac_table.h. */
#include "mac_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t
mac_slot(const uint8_t a[6], size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < 6; i++)
		h = (h ^ a[i]) * 1099511628211ull;
	return (size_t)(h & (n - 1));
}

void
mt_init(struct mac_table *t)
{
	memset(t, 0, sizeof *t);
	t->nbuckets = 1024;
	t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
	if (t->buckets == NULL)
		t->nbuckets = 0;
}

void
mt_destroy(struct mac_table *t)
{
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct mac *m = t->buckets[i], *n; m; m = n) {
			n = m->next;
			free(m);
		}
	free(t->buckets);
	memset(t, 0, sizeof *t);
}

struct mac *
mt_find(struct mac_table *t, const uint8_t addr[6])
{
	if (t->nbuckets == 0)
		return NULL;
	for (struct mac *m = t->buckets[mac_slot(addr, t->nbuckets)]; m;
	     m = m->next)
		if (memcmp(m->addr, addr, 6) == 0)
			return m;
	return NULL;
}

static void
grow(struct mac_table *t)
{
	size_t n = t->nbuckets * 2;
	struct mac **b = calloc(n, sizeof *b);

	if (b == NULL)
		return;
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct mac *m = t->buckets[i], *nx; m; m = nx) {
			nx = m->next;
			size_t s = mac_slot(m->addr, n);
			m->next = b[s];
			b[s] = m;
		}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

static struct mac *
get(struct mac_table *t, const uint8_t addr[6], uint16_t vlan, uint64_t ts)
{
	struct mac *m = mt_find(t, addr);

	if (m || t->nbuckets == 0)
		return m;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	memcpy(m->addr, addr, 6);
	m->vlan = vlan;
	m->first_us = ts;
	size_t s = mac_slot(addr, t->nbuckets);
	m->next = t->buckets[s];
	t->buckets[s] = m;
	if (++t->count > t->nbuckets)
		grow(t);
	return m;
}

void
mt_account(struct mac_table *t, const uint8_t *dst, const uint8_t *src,
    uint16_t vlan, uint64_t len, uint64_t ts_us)
{
	struct mac *s = get(t, src, vlan, ts_us), *d;

	if (s) {
		s->pkts_sent++;
		s->bytes_sent += len;
		s->last_us = ts_us;
		s->source_mac = true;
	}
	if ((d = get(t, dst, vlan, ts_us)) != NULL) {
		d->pkts_rcvd++;
		d->bytes_rcvd += len;
		d->last_us = ts_us;
	}
}

void
mt_foreach(struct mac_table *t, void (*fn)(struct mac *, void *), void *arg)
{
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct mac *m = t->buckets[i]; m; m = m->next)
			fn(m, arg);
}

void
mt_reset(struct mac *m)
{
	m->pkts_sent = m->pkts_rcvd = m->bytes_sent = m->bytes_rcvd = 0;
}

bool
mt_remove(struct mac_table *t, const uint8_t addr[6])
{
	if (t->nbuckets == 0)
		return false;
	for (struct mac **pp = &t->buckets[mac_slot(addr, t->nbuckets)]; *pp;
	     pp = &(*pp)->next)
		if (memcmp((*pp)->addr, addr, 6) == 0) {
			struct mac *m = *pp;
			*pp = m->next;
			free(m);
			t->count--;
			return true;
		}
	return false;
}

bool
mac_is_multicast(const uint8_t a[6])
{
	return (a[0] & 1) != 0; /* includes broadcast */
}

/* ---- OUI ------------------------------------------------------------------ */

struct oui {
	uint32_t prefix;
	char *name;
};

static struct oui *ouis;
static size_t nouis;

static int
cmp_oui(const void *a, const void *b)
{
	uint32_t x = ((const struct oui *)a)->prefix;
	uint32_t y = ((const struct oui *)b)->prefix;
	return x < y ? -1 : x > y;
}

int
oui_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t cap = 0;

	if (f == NULL)
		return -1;
	/* lines "XXXXXX     (base 16)\t\tName" */
	while (fgets(line, sizeof line, f)) {
		unsigned p;
		char *tab = strstr(line, "(base 16)");
		if (tab == NULL || sscanf(line, "%6x", &p) != 1)
			continue;
		tab += strlen("(base 16)");
		tab += strspn(tab, " \t");
		tab[strcspn(tab, "\r\n")] = '\0';
		if (nouis == cap) {
			cap = cap ? cap * 2 : 4096;
			struct oui *v = realloc(ouis, cap * sizeof *v);
			if (v == NULL)
				break;
			ouis = v;
		}
		if ((ouis[nouis].name = strdup(tab)) == NULL)
			break;
		ouis[nouis++].prefix = p;
	}
	fclose(f);
	qsort(ouis, nouis, sizeof *ouis, cmp_oui);
	return (int)nouis;
}

const char *
oui_lookup(const uint8_t a[6])
{
	struct oui key = { (uint32_t)a[0] << 16 | (uint32_t)a[1] << 8 | a[2],
		NULL };
	struct oui *o;

	if (nouis == 0)
		return NULL;
	o = bsearch(&key, ouis, nouis, sizeof *ouis, cmp_oui);
	return o ? o->name : NULL;
}
