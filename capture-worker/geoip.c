/* GeoIP lookups with libmaxminddb; see geoip.h. */
#include "geoip.h"

#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static MMDB_s asn_db, city_db;
static bool have_asn, have_city;

static bool
open_one(const char *path, MMDB_s *db, const char *what)
{
	int rc = MMDB_open(path, MMDB_MODE_MMAP, db);

	if (rc != MMDB_SUCCESS) {
		log_error("GeoIP %s database %s: %s", what, path,
		    rc == MMDB_IO_ERROR ? strerror(errno) :
		    MMDB_strerror(rc));
		return false;
	}
	log_info("GeoIP %s database %s (%s)", what, path,
	    db->metadata.database_type);
	return true;
}

bool
geo_open(const char *asn_path, const char *city_path)
{
	bool ok = true;

	if (asn_path != NULL)
		ok &= have_asn = open_one(asn_path, &asn_db, "ASN");
	if (city_path != NULL)
		ok &= have_city = open_one(city_path, &city_db, "city/country");
	return ok;
}

void
geo_close(void)
{
	if (have_asn)
		MMDB_close(&asn_db);
	if (have_city)
		MMDB_close(&city_db);
	have_asn = have_city = false;
}

bool
geo_has_asn(void)
{
	return have_asn;
}

bool
geo_has_country(void)
{
	return have_city;
}

static bool
find(MMDB_s *db, uint8_t ver, const uint8_t ip[16], MMDB_entry_s *entry)
{
	struct sockaddr_storage ss;
	int err = 0;

	memset(&ss, 0, sizeof ss);
	if (ver == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, ip, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, ip, 16);
	}
	MMDB_lookup_result_s r = MMDB_lookup_sockaddr(db,
	    (const struct sockaddr *)&ss, &err);
	if (err != MMDB_SUCCESS || !r.found_entry)
		return false;
	*entry = r.entry;
	return true;
}

/* A string value at the NULL-terminated path, copied into buf. */
static bool
get_str(MMDB_entry_s *e, char *buf, size_t len, const char *const *path)
{
	MMDB_entry_data_s d;

	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return false;
	size_t n = d.data_size < len - 1 ? d.data_size : len - 1;
	memcpy(buf, d.utf8_string, n);
	buf[n] = '\0';
	return true;
}

void
geo_lookup(uint8_t ver, const uint8_t ip[16], struct geo_answer *a)
{
	static const char *const cc[] = { "country", "iso_code", NULL };
	static const char *const rc[] = { "registered_country", "iso_code",
		NULL };
	static const char *const asnum[] = { "autonomous_system_number",
		NULL };
	static const char *const asorg[] = {
		"autonomous_system_organization", NULL };
	MMDB_entry_s e;
	MMDB_entry_data_s d;

	memset(a, 0, sizeof *a);
	if (have_city && find(&city_db, ver, ip, &e)) {
		if (!get_str(&e, a->country, sizeof a->country, cc))
			get_str(&e, a->country, sizeof a->country, rc);
	}
	if (have_asn && find(&asn_db, ver, ip, &e)) {
		if (MMDB_aget_value(&e, &d, asnum) == MMDB_SUCCESS &&
		    d.has_data && d.type == MMDB_DATA_TYPE_UINT32)
			a->asn = d.uint32;
		get_str(&e, a->asname, sizeof a->asname, asorg);
	}
}

static bool
get_double(MMDB_entry_s *e, double *v, const char *const *path)
{
	MMDB_entry_data_s d;

	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_DOUBLE)
		return false;
	*v = d.double_value;
	return true;
}

void
geo_lookup_place(uint8_t ver, const uint8_t ip[16], struct geo_place *p)
{
	static const char *const city[] = { "city", "names", "en", NULL };
	static const char *const cont[] = { "continent", "code", NULL };
	static const char *const lat[] = { "location", "latitude", NULL };
	static const char *const lon[] = { "location", "longitude", NULL };
	MMDB_entry_s e;

	memset(p, 0, sizeof *p);
	geo_lookup(ver, ip, &p->id);
	if (!have_city || !find(&city_db, ver, ip, &e))
		return;
	get_str(&e, p->city, sizeof p->city, city);
	get_str(&e, p->continent, sizeof p->continent, cont);
	p->has_location = get_double(&e, &p->latitude, lat) &&
	    get_double(&e, &p->longitude, lon);
}

void
geo_fill(struct host *h)
{
	struct geo_answer a;

	if (h->geo_done)
		return;
	h->geo_done = true;
	if (!have_asn && !have_city)
		return;
	geo_lookup(h->ipver, h->ip, &a);
	memcpy(h->country, a.country, sizeof h->country);
	h->asn = a.asn;
	memcpy(h->asname, a.asname, sizeof h->asname);
}
