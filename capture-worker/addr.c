/* Address helpers; see addr.h. */
#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
addr_fmt(uint8_t ver, const uint8_t ip[16], char *buf)
{
	if (inet_ntop(ver == 6 ? AF_INET6 : AF_INET, ip, buf,
		ADDR_STRLEN) == NULL)
		snprintf(buf, ADDR_STRLEN, "?");
	return buf;
}

bool
addr_parse(const char *s, uint8_t *ver, uint8_t ip[16])
{
	memset(ip, 0, 16);
	if (inet_pton(AF_INET, s, ip) == 1) {
		*ver = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, ip) == 1) {
		*ver = 6;
		return true;
	}
	return false;
}

bool
addr_is_multicast(uint8_t ver, const uint8_t ip[16])
{
	return ver == 4 ? (ip[0] & 0xF0) == 0xE0 : ip[0] == 0xFF;
}

bool
addr_is_broadcast(uint8_t ver, const uint8_t ip[16])
{
	/* Only the limited broadcast is certain without the netmask. */
	return ver == 4 && ip[0] == 255 && ip[1] == 255 && ip[2] == 255 &&
	    ip[3] == 255;
}

bool
addr_is_private(uint8_t ver, const uint8_t ip[16])
{
	if (ver == 4)
		return ip[0] == 10 || (ip[0] == 172 && (ip[1] & 0xF0) == 16) ||
		    (ip[0] == 192 && ip[1] == 168);
	return (ip[0] & 0xFE) == 0xFC; /* fc00::/7 unique local */
}

static bool
prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xFF << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool
localnets_parse(struct localnets *ln, const char *list, char *err,
    size_t errlen)
{
	char buf[128];
	const char *p = list;

	memset(ln, 0, sizeof *ln);
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof buf || ln->n >= LOCALNETS_MAX) {
			snprintf(err, errlen, "local network list too long");
			return false;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		p += n;
		char *slash = strchr(buf, '/');
		long prefix = -1;
		if (slash) {
			char *end;
			*slash = '\0';
			prefix = strtol(slash + 1, &end, 10);
			if (*end != '\0' || end == slash + 1)
				prefix = -2;
		}
		uint8_t ver;
		if (!addr_parse(buf, &ver, ln->net[ln->n].ip) || prefix == -2 ||
		    prefix > (ver == 4 ? 32 : 128)) {
			snprintf(err, errlen, "bad network '%s'", buf);
			return false;
		}
		ln->net[ln->n].ver = ver;
		ln->net[ln->n].prefix =
		    (uint8_t)(prefix < 0 ? (ver == 4 ? 32 : 128) : prefix);
		ln->n++;
	}
	return true;
}

bool
localnets_contains(const struct localnets *ln, uint8_t ver,
    const uint8_t ip[16])
{
	for (int i = 0; i < ln->n; i++)
		if (ln->net[i].ver == ver &&
		    prefix_match(ln->net[i].ip, ip, ln->net[i].prefix))
			return true;
	return false;
}

int
localnets_index(const struct localnets *ln, uint8_t ver, const uint8_t ip[16])
{
	for (int i = 0; i < ln->n; i++)
		if (ln->net[i].ver == ver &&
		    prefix_match(ln->net[i].ip, ip, ln->net[i].prefix))
			return i;
	return -1;
}
