/* Country and autonomous system of an address from MaxMind-format
 * databases (libmaxminddb). The files are opened once at start-up, before
 * the worker restricts itself; lookups afterwards only read the mapped
 * memory, so they need no system call and are safe from any thread. */
#ifndef NETWARD_CAPTURE_GEOIP_H
#define NETWARD_CAPTURE_GEOIP_H

#include "host_table.h"

#include <stdbool.h>
#include <stdint.h>

/* Either path may be NULL. Returns false (and logs why) when a given
 * file cannot be used; the worker then runs without that database. */
bool geo_open(const char *asn_path, const char *city_path);
void geo_close(void);

bool geo_has_asn(void);
bool geo_has_country(void);

/* The lookup of one address; country "" and asn 0 when not known. */
struct geo_answer {
	char country[3];
	uint32_t asn;
	char asname[48];
};
void geo_lookup(uint8_t ver, const uint8_t ip[16], struct geo_answer *a);

/* Everything the databases say of one address, for the ntop.* lookups
 * of any address (not on the packet path). */
struct geo_place {
	struct geo_answer id; /* country, asn, asname */
	char city[64];
	char continent[3];
	bool has_location;
	double latitude, longitude;
};
void geo_lookup_place(uint8_t ver, const uint8_t ip[16], struct geo_place *p);

/* Fills h->country, asn and asname once (h->geo_done). */
void geo_fill(struct host *h);

/* The message every GeoIP call answers when no database is configured. */
#define GEO_NO_DB "no GeoIP database configured (netward --geoip-asn FILE "\
	"--geoip-city FILE)"

#endif
