#define _GNU_SOURCE
/* Bounded structural walk of raw msgpack bytes.
 *
 * msgpack-c sizes its object arrays from the counts in the headers, so a
 * five-byte "array of 2^31 items" would make it allocate before noticing
 * the bytes are missing. We walk the bytes first: every container's count
 * must be coverable by the bytes left (each item takes at least one byte),
 * nesting is bounded, and the value must end exactly at len. */
#include "envelope.h"

#include <stdio.h>
#include <string.h>

struct walker {
	const unsigned char *p;
	size_t left;
	char *err;
	size_t errlen;
};

static int
fail(struct walker *w, const char *why)
{
	snprintf(w->err, w->errlen, "malformed message: %s", why);
	return -1;
}

static int
need(struct walker *w, size_t n)
{
	if (w->left < n)
		return fail(w, "truncated");
	return 0;
}

static uint64_t
read_be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Consumes a length field of n bytes after the type byte. */
static int
read_len(struct walker *w, int n, uint64_t *len)
{
	if (need(w, (size_t)n) < 0)
		return -1;
	*len = read_be(w->p, n);
	w->p += n;
	w->left -= (size_t)n;
	return 0;
}

static int
skip(struct walker *w, uint64_t n)
{
	if (n > w->left)
		return fail(w, "length beyond end of message");
	w->p += n;
	w->left -= n;
	return 0;
}

static int walk_value(struct walker *w, int depth);

static int
walk_items(struct walker *w, uint64_t items, int depth)
{
	if (depth > IPC_MAX_DEPTH)
		return fail(w, "nested too deeply");
	if (items > w->left)
		return fail(w, "container count beyond end of message");
	for (uint64_t i = 0; i < items; i++)
		if (walk_value(w, depth) < 0)
			return -1;
	return 0;
}

static int
walk_value(struct walker *w, int depth)
{
	uint64_t n;

	if (need(w, 1) < 0)
		return -1;
	unsigned char t = *w->p++;
	w->left--;

	if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
		return 0; /* fixint, nil, bool */
	if ((t & 0xe0) == 0xa0)
		return skip(w, t & 0x1f); /* fixstr */
	if ((t & 0xf0) == 0x90)
		return walk_items(w, t & 0x0f, depth + 1); /* fixarray */
	if ((t & 0xf0) == 0x80)
		return walk_items(w, 2u * (t & 0x0f), depth + 1); /* fixmap */

	switch (t) {
	case 0xcc: case 0xd0: return skip(w, 1);
	case 0xcd: case 0xd1: return skip(w, 2);
	case 0xce: case 0xd2: case 0xca: return skip(w, 4);
	case 0xcf: case 0xd3: case 0xcb: return skip(w, 8);
	case 0xd9: case 0xc4:
		return read_len(w, 1, &n) < 0 ? -1 : skip(w, n);
	case 0xda: case 0xc5:
		return read_len(w, 2, &n) < 0 ? -1 : skip(w, n);
	case 0xdb: case 0xc6:
		return read_len(w, 4, &n) < 0 ? -1 : skip(w, n);
	case 0xdc:
		return read_len(w, 2, &n) < 0 ? -1 : walk_items(w, n, depth + 1);
	case 0xdd:
		return read_len(w, 4, &n) < 0 ? -1 : walk_items(w, n, depth + 1);
	case 0xde:
		return read_len(w, 2, &n) < 0 ? -1 :
		    walk_items(w, 2 * n, depth + 1);
	case 0xdf:
		return read_len(w, 4, &n) < 0 ? -1 :
		    walk_items(w, 2 * n, depth + 1);
	default:
		/* ext types and the reserved 0xc1: never used by netward */
		return fail(w, "unsupported msgpack type");
	}
}

int
ipc_check(const void *buf, size_t len, char *err, size_t errlen)
{
	struct walker w = {buf, len, err, errlen};

	if (len == 0)
		return fail(&w, "empty");
	if (len > IPC_MAX_MESSAGE)
		return fail(&w, "too large");
	if (walk_value(&w, 0) < 0)
		return -1;
	if (w.left != 0)
		return fail(&w, "trailing bytes");
	return 0;
}
