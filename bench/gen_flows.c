/* gen_flows: writes a classic pcap of N concurrent UDP flows, each one DNS
 * query (A record) and its answer, from distinct client address/port
 * pairs to a few resolvers, 1 us apart. The workload for "bytes per flow
 * at 1,000,000 concurrent flows": every flow is classified (DNS) after
 * its first packets, and none ends before the file does.
 *
 *   gen_flows N OUT.pcap */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint16_t
csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* One frame: Ethernet, IPv4, UDP, DNS; returns its length. */
static size_t
frame(uint8_t *b, uint32_t sip, uint16_t sport, uint32_t dip,
    uint16_t dport, uint16_t txid, uint32_t n, int answer)
{
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0, 2 };
	uint8_t *ip = b + 14, *udp = ip + 20, *dns = udp + 8, *q;
	char label[16];
	size_t dlen;
	int ll;

	memcpy(b, answer ? mac_a : mac_b, 6);
	memcpy(b + 6, answer ? mac_b : mac_a, 6);
	put16(b + 12, 0x0800);
	memset(dns, 0, 12);
	put16(dns, txid);
	put16(dns + 2, answer ? 0x8180 : 0x0100);
	put16(dns + 4, 1);
	put16(dns + 6, answer ? 1 : 0);
	q = dns + 12;
	ll = snprintf(label, sizeof label, "h%u", n);
	*q++ = (uint8_t)ll;
	memcpy(q, label, (size_t)ll);
	q += ll;
	memcpy(q, "\7example\3com\0", 13);
	q += 13;
	put16(q, 1); /* A */
	put16(q + 2, 1); /* IN */
	q += 4;
	if (answer) {
		put16(q, 0xc00c);
		put16(q + 2, 1);
		put16(q + 4, 1);
		put32(q + 6, 300);
		put16(q + 10, 4);
		put32(q + 12, 0xc6336400u | (n & 0xff)); /* 198.51.100.x */
		q += 16;
	}
	dlen = (size_t)(q - dns);
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + dlen));
	put16(udp + 6, 0); /* no UDP checksum: allowed over IPv4 */
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + dlen));
	put16(ip + 4, (uint16_t)n);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, sip);
	put32(ip + 16, dip);
	put16(ip + 10, csum(ip, 20));
	return 14 + 20 + 8 + dlen;
}

static void
write_rec(FILE *f, uint64_t ts_us, const uint8_t *b, size_t len)
{
	uint32_t h[4] = { (uint32_t)(ts_us / 1000000u),
		(uint32_t)(ts_us % 1000000u), (uint32_t)len, (uint32_t)len };

	fwrite(h, sizeof h, 1, f);
	fwrite(b, len, 1, f);
}

int
main(int argc, char **argv)
{
	uint32_t ghdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	uint8_t b[256];
	uint64_t ts = 1700000000ull * 1000000u;
	FILE *f;
	long n;

	if (argc != 3 || (n = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: gen_flows N OUT.pcap\n");
		return 2;
	}
	f = fopen(argv[2], "wb");
	if (f == NULL) {
		perror(argv[2]);
		return 1;
	}
	fwrite(ghdr, sizeof ghdr, 1, f);
	for (long i = 0; i < n; i++) {
		/* client 10.0.0.0/8 by i / 64, port 1024 + (i % 64) * 997 */
		uint32_t cip = 0x0a000000u | (uint32_t)((i / 64) & 0xffffff);
		uint16_t cport = (uint16_t)(1024 + (i % 64) * 997);
		uint32_t sip = 0xc0000235u + (uint32_t)(i % 4) * 0x100; /* 192.0.2.53.. */
		uint16_t txid = (uint16_t)(i * 2654435761u >> 16);
		size_t len = frame(b, cip, cport, sip, 53, txid, (uint32_t)i, 0);
		write_rec(f, ts++, b, len);
		len = frame(b, sip, 53, cip, cport, txid, (uint32_t)i, 1);
		write_rec(f, ts++, b, len);
	}
	if (fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
