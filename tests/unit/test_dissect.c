/* Dissector on hand-made and truncated frames: every prefix of a valid
 * frame must be refused (malformed or non-IP), never read past its end
 * (run under ASan to see that), and the full frame must give the key. */
#include "dissect.h"

#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			failures++;                                        \
		}                                                          \
	} while (0)

/* Ethernet + 802.1Q(vlan 7) + IPv4 + TCP 1234 -> 80, SYN */
static const unsigned char vlan_tcp[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0x00, 0x07,
	0x08, 0x00,
	0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0,
	0, 0, 0, 0,
};

/* Raw IPv6 + hop-by-hop + UDP 53 -> 53 */
static const unsigned char v6_udp[] = {
	0x60, 0, 0, 0, 0, 16, 0, 64,
	0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	17, 0, 0, 0, 0, 0, 0, 0, /* hop-by-hop, 8 bytes */
	0, 53, 0, 53, 0, 8, 0, 0,
};

static void
test_prefixes(int dlt, const unsigned char *frame, size_t len)
{
	struct pkt_info pi;
	enum dis_reason why;

	for (size_t n = 0; n < len; n++) {
		/* a heap copy of exactly n bytes so ASan sees any overread */
		unsigned char *copy = malloc(n ? n : 1);
		memcpy(copy, frame, n);
		enum dis_result r = dissect_frame(dlt, copy, (uint32_t)n, &pi,
		    &why);
		CHECK(r != DIS_IP,
		    "dlt %d: prefix %zu of %zu accepted as IP", dlt, n, len);
		free(copy);
	}
}

int
main(void)
{
	struct pkt_info pi;
	enum dis_reason why;

	CHECK(dissect_frame(DLT_EN10MB, vlan_tcp, sizeof vlan_tcp, &pi,
		  &why) == DIS_IP, "vlan tcp frame not IP");
	CHECK(pi.vlan == 7 && pi.l4proto == 6 && pi.sport == 1234 &&
		  pi.dport == 80 && pi.tcp_flags == 0x02 && pi.ipver == 4,
	    "vlan tcp key wrong");
	test_prefixes(DLT_EN10MB, vlan_tcp, sizeof vlan_tcp - 6);

	CHECK(dissect_frame(DLT_RAW, v6_udp, sizeof v6_udp, &pi, &why) ==
		  DIS_IP, "v6 udp not IP");
	CHECK(pi.ipver == 6 && pi.l4proto == 17 && pi.sport == 53 &&
		  pi.l4_len == 8, "v6 udp key wrong");
	test_prefixes(DLT_RAW, v6_udp, sizeof v6_udp);

	/* IHL of 4 words is malformed */
	unsigned char bad[sizeof vlan_tcp];
	memcpy(bad, vlan_tcp, sizeof bad);
	bad[18] = 0x44;
	CHECK(dissect_frame(DLT_EN10MB, bad, sizeof bad, &pi, &why) ==
		  DIS_MALFORMED && why == MAL_IPV4_HDR, "ihl 4 accepted");

	/* non-first fragment: no flow */
	memcpy(bad, vlan_tcp, sizeof bad);
	bad[24] = 0x00;
	bad[25] = 0x10;
	CHECK(dissect_frame(DLT_EN10MB, bad, sizeof bad, &pi, &why) ==
		  DIS_FRAGMENT, "fragment not recognised");

	/* ARP is not IP */
	memcpy(bad, vlan_tcp, sizeof bad);
	bad[16] = 0x08;
	bad[17] = 0x06;
	CHECK(dissect_frame(DLT_EN10MB, bad, sizeof bad, &pi, &why) ==
		  DIS_NON_IP, "arp not non-ip");

	if (failures)
		return 1;
	printf("dissect: all checks passed\n");
	return 0;
}
