/* MAC addresses seen as frame sources or destinations on an Ethernet
 * link, with counters, and the OUI manufacturer table (Debian's
 * ieee-data oui.txt, read once at start-up before any sandbox). */
#ifndef NETWARD_CAPTURE_MAC_TABLE_H
#define NETWARD_CAPTURE_MAC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mac {
	struct mac *next;
	uint8_t addr[6];
	uint16_t vlan;
	uint64_t pkts_sent, pkts_rcvd, bytes_sent, bytes_rcvd;
	uint64_t first_us, last_us;
	bool source_mac; /* seen as a frame's source */
	uint32_t mark;
};

struct mac_table {
	struct mac **buckets;
	size_t nbuckets, count;
};

void mt_init(struct mac_table *t);
void mt_destroy(struct mac_table *t);
struct mac *mt_find(struct mac_table *t, const uint8_t addr[6]);
/* Accounts one frame of len bytes from src to dst at ts_us. */
void mt_account(struct mac_table *t, const uint8_t *dst, const uint8_t *src,
    uint16_t vlan, uint64_t len, uint64_t ts_us);
void mt_foreach(struct mac_table *t, void (*fn)(struct mac *, void *),
    void *arg);
void mt_reset(struct mac *m);
/* Unlinks and frees the entry of addr; false if there is none. */
bool mt_remove(struct mac_table *t, const uint8_t addr[6]);

/* Loads path (oui.txt format); returns entries read, -1 if unreadable. */
int oui_load(const char *path);
/* The manufacturer of addr, or NULL. */
const char *oui_lookup(const uint8_t addr[6]);
bool mac_is_multicast(const uint8_t addr[6]);

#endif
