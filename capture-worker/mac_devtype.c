/* MAC device types: a sorted array, one binary search per lookup. */
#include "mac_devtype.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	uint8_t mac[6];
	uint8_t type;
};

static struct entry *v;
static size_t n, cap;

/* The index of mac, or where it would go (*found false). */
static size_t
find(const uint8_t mac[6], bool *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(v[mid].mac, mac, 6);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

bool
dt_set(const uint8_t mac[6], uint8_t type)
{
	bool found;
	size_t i = find(mac, &found);

	if (found) {
		if (type == 0) {
			memmove(&v[i], &v[i + 1], (n - i - 1) * sizeof *v);
			n--;
		} else {
			v[i].type = type;
		}
		return true;
	}
	if (type == 0)
		return true;
	if (n == DEVTYPE_ENTRIES)
		return false;
	if (n == cap) {
		size_t nc = cap ? cap * 2 : 64;
		struct entry *nv = realloc(v, nc * sizeof *nv);
		if (nv == NULL)
			return false;
		v = nv;
		cap = nc;
	}
	memmove(&v[i + 1], &v[i], (n - i) * sizeof *v);
	memcpy(v[i].mac, mac, 6);
	v[i].type = type;
	n++;
	return true;
}

uint8_t
dt_get(const uint8_t mac[6])
{
	bool found;
	size_t i;

	if (n == 0)
		return 0;
	i = find(mac, &found);
	return found ? v[i].type : 0;
}

size_t
dt_count(void)
{
	return n;
}

void
dt_at(size_t i, uint8_t mac[6], uint8_t *type)
{
	memcpy(mac, v[i].mac, 6);
	*type = v[i].type;
}

void
dt_clear(void)
{
	free(v);
	v = NULL;
	n = cap = 0;
}
