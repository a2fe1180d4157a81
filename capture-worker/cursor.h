/* A bounds-checked reader over untrusted packet bytes.
 *
 * Every dissector reads packet data only through these helpers: a read
 * past the end sets the cursor's error flag and returns 0 instead of
 * touching memory, so a forgotten length check cannot turn into an
 * out-of-bounds read. Callers test cur_ok() once after a header. */
#ifndef NETWARD_CAPTURE_CURSOR_H
#define NETWARD_CAPTURE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cursor {
	const uint8_t *base; /* start of the captured frame */
	size_t len;	     /* captured bytes (pcap caplen) */
	size_t off;	     /* current read offset */
	bool err;	     /* a read went past len */
};

static inline void
cur_init(struct cursor *c, const uint8_t *p, size_t len)
{
	c->base = p;
	c->len = len;
	c->off = 0;
	c->err = false;
}

static inline bool
cur_ok(const struct cursor *c)
{
	return !c->err;
}

/* True when n bytes are readable at off + at. */
static inline bool
cur_has(const struct cursor *c, size_t at, size_t n)
{
	return c->off <= c->len && at <= c->len - c->off &&
	    n <= c->len - c->off - at;
}

static inline size_t
cur_left(const struct cursor *c)
{
	return c->off <= c->len ? c->len - c->off : 0;
}

static inline const uint8_t *
cur_ptr(const struct cursor *c)
{
	return c->base + c->off;
}

/* Peek helpers read at a relative position without moving. */
static inline uint8_t
cur_peek_u8(struct cursor *c, size_t at)
{
	if (!cur_has(c, at, 1)) {
		c->err = true;
		return 0;
	}
	return c->base[c->off + at];
}

static inline uint16_t
cur_peek_be16(struct cursor *c, size_t at)
{
	if (!cur_has(c, at, 2)) {
		c->err = true;
		return 0;
	}
	const uint8_t *p = c->base + c->off + at;
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint16_t
cur_peek_le16(struct cursor *c, size_t at)
{
	if (!cur_has(c, at, 2)) {
		c->err = true;
		return 0;
	}
	const uint8_t *p = c->base + c->off + at;
	return (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t
cur_peek_be32(struct cursor *c, size_t at)
{
	if (!cur_has(c, at, 4)) {
		c->err = true;
		return 0;
	}
	const uint8_t *p = c->base + c->off + at;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t
cur_peek_le32(struct cursor *c, size_t at)
{
	if (!cur_has(c, at, 4)) {
		c->err = true;
		return 0;
	}
	const uint8_t *p = c->base + c->off + at;
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

/* Copies n bytes at a relative position; zero-fills on error. */
static inline bool
cur_peek_bytes(struct cursor *c, size_t at, void *dst, size_t n)
{
	if (!cur_has(c, at, n)) {
		c->err = true;
		for (size_t i = 0; i < n; i++)
			((uint8_t *)dst)[i] = 0;
		return false;
	}
	for (size_t i = 0; i < n; i++)
		((uint8_t *)dst)[i] = c->base[c->off + at + i];
	return true;
}

/* Moves forward by n; fails (and flags) when fewer bytes remain. */
static inline bool
cur_skip(struct cursor *c, size_t n)
{
	if (!cur_has(c, 0, n)) {
		c->err = true;
		return false;
	}
	c->off += n;
	return true;
}

#endif
