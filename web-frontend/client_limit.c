/* At most WEB_MAX_INFLIGHT_PER_CLIENT Lua requests in flight per client
 * address: one client cannot occupy every Lua worker. Loop thread only. */
#include "web.h"

#include <stdio.h>
#include <string.h>

#define CLIENT_SLOTS 512 /* distinct clients with requests in flight */

static struct {
	char addr[64];
	unsigned count;
} slots[CLIENT_SLOTS];

static int
find(const char *addr, bool create)
{
	int free_slot = -1;
	for (int i = 0; i < CLIENT_SLOTS; i++) {
		if (slots[i].count == 0) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (strcmp(slots[i].addr, addr) == 0)
			return i;
	}
	if (create && free_slot >= 0) {
		snprintf(slots[free_slot].addr, sizeof slots[free_slot].addr,
		    "%s", addr);
		return free_slot;
	}
	return -1;
}

bool
web_client_acquire(const char *addr)
{
	int i = find(addr, true);
	if (i < 0 || slots[i].count >= WEB_MAX_INFLIGHT_PER_CLIENT)
		return false;
	slots[i].count++;
	return true;
}

void
web_client_release(const char *addr)
{
	int i = find(addr, false);
	if (i >= 0 && slots[i].count > 0)
		slots[i].count--;
}
