/* Packet dissector: from a captured frame to the flow key of its innermost
 * IP packet, with the decapsulation rules of the project's oracle
 * (ndpiReader 4.2 -t, see shared/pcaps/README.md).
 *
 * Nothing here allocates or keeps state; every byte is read through the
 * bounds-checked cursor (cursor.h). */
#ifndef NETWARD_CAPTURE_DISSECT_H
#define NETWARD_CAPTURE_DISSECT_H

#include <stdbool.h>
#include <stdint.h>

enum dis_result {
	DIS_IP,		/* an IP packet with a flow key in pkt_info */
	DIS_NON_IP,	/* ARP, LLDP, STP...: counted, no flow */
	DIS_FRAGMENT,	/* IPv4/IPv6 fragment after the first: no flow */
	DIS_MALFORMED,	/* truncated or inconsistent: reason set */
	DIS_UNSUPPORTED /* link type we do not dissect */
};

/* Why a frame was dropped as malformed; one counter each. */
enum dis_reason {
	MAL_NONE,
	MAL_LINK,	/* link-layer header truncated */
	MAL_VLAN,	/* 802.1Q tag truncated or too many */
	MAL_MPLS,	/* label stack truncated or too deep */
	MAL_PPPOE,	/* PPPoE session header */
	MAL_IP_VERSION, /* L3 version nibble is neither 4 nor 6 */
	MAL_IPV4_HDR,	/* IPv4 header truncated or IHL < 5 */
	MAL_IPV4_LEN,	/* total length inconsistent with capture */
	MAL_IPV6_HDR,	/* IPv6 header truncated */
	MAL_IPV6_LEN,	/* payload length inconsistent with capture */
	MAL_IPV6_EXT,	/* extension header chain truncated */
	MAL_TUNNEL,	/* tunnel header truncated or nested too deep */
	MAL_COUNT
};

const char *dis_reason_name(enum dis_reason r);

struct pkt_info {
	uint16_t vlan;	   /* innermost 802.1Q VLAN id, 0 if none */
	uint8_t ipver;	   /* 4 or 6 */
	uint8_t l4proto;   /* IPPROTO_* of the innermost packet */
	uint8_t tcp_flags; /* TCP flags byte, 0 if not TCP */
	uint8_t tunnel;	   /* enum dis_tunnel of the last decapsulation */
	uint16_t sport, dport;	 /* 0 when the protocol has no ports */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes, rest 0 */
	const uint8_t *l3; /* innermost IP header inside the frame */
	uint32_t l3_len;   /* captured bytes from l3 to the frame's end */
	uint32_t l4_len;   /* L4 bytes according to the IP header */
};

enum dis_tunnel {
	TUN_NONE, TUN_IPIP, TUN_6IN4, TUN_GTPU, TUN_TZSP, TUN_CAPWAP
};

/* Dissects one frame of link type dlt (a DLT_* value of pcap). */
enum dis_result dissect_frame(int dlt, const uint8_t *frame,
    uint32_t caplen, struct pkt_info *pi, enum dis_reason *why);

/* True for the link types dissect_frame() understands. */
bool dissect_link_supported(int dlt);

#endif
