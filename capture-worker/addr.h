/* IP addresses as the capture worker stores them (16 bytes, IPv4 in the
 * first four), their text form, and the --local-nets list. */
#ifndef NETWARD_CAPTURE_ADDR_H
#define NETWARD_CAPTURE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

/* Formats ip (version 4 or 6) into buf of ADDR_STRLEN bytes. */
const char *addr_fmt(uint8_t ver, const uint8_t ip[16], char *buf);
/* Parses text into ver/ip; false if it is not an address. */
bool addr_parse(const char *s, uint8_t *ver, uint8_t ip[16]);

bool addr_is_multicast(uint8_t ver, const uint8_t ip[16]);
bool addr_is_broadcast(uint8_t ver, const uint8_t ip[16]);
bool addr_is_private(uint8_t ver, const uint8_t ip[16]);

#define LOCALNETS_MAX 64
struct localnets {
	int n;
	struct {
		uint8_t ver, prefix;
		uint8_t ip[16];
	} net[LOCALNETS_MAX];
};

/* Parses "CIDR,CIDR,..." (IPv4 and IPv6). Returns false and a message in
 * err on the first bad entry. */
bool localnets_parse(struct localnets *ln, const char *list, char *err,
    size_t errlen);
bool localnets_contains(const struct localnets *ln, uint8_t ver,
    const uint8_t ip[16]);

/* Index of the first local network holding ip, or -1 (network_id). */
int localnets_index(const struct localnets *ln, uint8_t ver,
    const uint8_t ip[16]);

#endif
