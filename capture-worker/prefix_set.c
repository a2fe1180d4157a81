/* See prefix_set.h. */
#include "prefix_set.h"

#include "addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
mask(uint8_t ip[16], unsigned len, unsigned bits)
{
	for (unsigned b = 0; b < bits / 8; b++) {
		unsigned keep = len > b * 8 ? len - b * 8 : 0;
		if (keep >= 8)
			continue;
		ip[b] &= (uint8_t)(0xff00u >> keep);
	}
	for (unsigned b = bits / 8; b < 16; b++)
		ip[b] = 0;
}

bool
prefix_parse(const char *s, struct prefix *p)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	long len = -1;

	if (alen == 0 || alen >= sizeof buf)
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(p, 0, sizeof *p);
	if (!addr_parse(buf, &p->ver, p->ip))
		return false;
	unsigned bits = p->ver == 4 ? 32 : 128;
	if (slash) {
		char *end;
		if (slash[1] < '0' || slash[1] > '9')
			return false;
		len = strtol(slash + 1, &end, 10);
		if (*end != '\0' || len < 0 || len > (long)bits)
			return false;
	}
	p->len = (uint8_t)(len < 0 ? bits : (unsigned)len);
	mask(p->ip, p->len, bits);
	return true;
}

static int
cmp(const void *a, const void *b)
{
	const struct prefix *x = a, *y = b;

	if (x->ver != y->ver)
		return x->ver < y->ver ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->ip, y->ip, 16);
}

void
ps_init(struct prefix_set *s, struct prefix *v, size_t n)
{
	size_t w = 0;

	memset(s, 0, sizeof *s);
	if (v == NULL || n == 0) {
		free(v);
		return;
	}
	qsort(v, n, sizeof *v, cmp);
	for (size_t i = 0; i < n; i++)
		if (w == 0 || cmp(&v[w - 1], &v[i]) != 0)
			v[w++] = v[i];
	s->v = v;
	s->n = w;
	for (size_t i = 0; i < w; i++)
		s->has_len[v[i].ver == 6][v[i].len] = true;
}

void
ps_free(struct prefix_set *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

bool
ps_contains(const struct prefix_set *s, uint8_t ver, const uint8_t ip[16])
{
	unsigned bits = ver == 4 ? 32 : 128;

	if (s->n == 0 || (ver != 4 && ver != 6))
		return false;
	for (unsigned len = 0; len <= bits; len++) {
		if (!s->has_len[ver == 6][len])
			continue;
		struct prefix k = { .ver = ver, .len = (uint8_t)len };
		memcpy(k.ip, ip, 16);
		mask(k.ip, len, bits);
		if (bsearch(&k, s->v, s->n, sizeof *s->v, cmp))
			return true;
	}
	return false;
}

bool
prefix_holds(const struct prefix *p, uint8_t ver, const uint8_t ip[16])
{
	uint8_t m[16];

	if (p->ver != ver)
		return false;
	memcpy(m, ip, 16);
	mask(m, p->len, ver == 4 ? 32 : 128);
	return memcmp(m, p->ip, 16) == 0;
}
