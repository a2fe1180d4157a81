#include "event_ring.h"

#include <stdlib.h>
#include <string.h>

bool
event_ring_push(struct event_ring *r, const void *rec, bool front)
{
	if (r->slots == NULL && (r->slots = calloc(r->cap, r->size)) == NULL)
		return false;
	if (r->len == r->cap)
		return false;
	size_t at;
	if (front) {
		r->head = (r->head + r->cap - 1) % r->cap;
		at = r->head;
	} else {
		at = (r->head + r->len) % r->cap;
	}
	memcpy(r->slots + at * r->size, rec, r->size);
	r->len++;
	return true;
}

size_t
event_ring_pop(struct event_ring *r, void *out, size_t max)
{
	size_t n = 0;
	while (n < max && r->len > 0) {
		memcpy((unsigned char *)out + n * r->size,
		    r->slots + r->head * r->size, r->size);
		r->head = (r->head + 1) % r->cap;
		r->len--;
		n++;
	}
	return n;
}
