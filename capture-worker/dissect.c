/* Frame dissector; see dissect.h. One function per header family, each
 * reading through the cursor and either descending to the next header or
 * returning a verdict. Tunnel decapsulation recurses at most
 * MAX_ENCAP levels so a crafted frame cannot make us loop. */
#include "dissect.h"

#include "cursor.h"

#include <netinet/in.h>
#include <pcap/dlt.h>
#include <string.h>

#define MAX_ENCAP 4	 /* nested tunnels we follow */
#define MAX_VLAN_TAGS 8	 /* QinQ depth we accept */
#define MAX_MPLS_LABELS 16
#define MAX_IPV6_EXT 16

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86DD
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88A8
#define ETH_QINQ_OLD 0x9100
#define ETH_MPLS_UC 0x8847
#define ETH_MPLS_MC 0x8848
#define ETH_PPPOE_SESS 0x8864

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

#define PORT_GTPU 2152
#define PORT_CAPWAP_DATA 5247
#define PORT_TZSP 37008

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

struct dctx {
	struct cursor c;
	struct pkt_info *pi;
	enum dis_reason *why;
	int depth;
};

static enum dis_result do_ether(struct dctx *d);
static enum dis_result do_ip(struct dctx *d);

static const char *const reason_names[MAL_COUNT] = {
	[MAL_NONE] = "none",
	[MAL_LINK] = "link_header",
	[MAL_VLAN] = "vlan_header",
	[MAL_MPLS] = "mpls_header",
	[MAL_PPPOE] = "pppoe_header",
	[MAL_IP_VERSION] = "ip_version",
	[MAL_IPV4_HDR] = "ipv4_header",
	[MAL_IPV4_LEN] = "ipv4_length",
	[MAL_IPV6_HDR] = "ipv6_header",
	[MAL_IPV6_LEN] = "ipv6_length",
	[MAL_IPV6_EXT] = "ipv6_ext_header",
	[MAL_TUNNEL] = "tunnel_header",
};

const char *
dis_reason_name(enum dis_reason r)
{
	return (unsigned)r < MAL_COUNT ? reason_names[r] : "unknown";
}

static enum dis_result
bad(struct dctx *d, enum dis_reason r)
{
	*d->why = r;
	return DIS_MALFORMED;
}

/* Ports and TCP flags of the L4 header at the cursor; l4_len is what the
 * IP header claims, and ports are read only when the whole fixed header
 * is there, as the oracle does (a short TCP segment keeps port 0). */
static void
read_ports(struct dctx *d)
{
	struct pkt_info *pi = d->pi;
	uint32_t need = pi->l4proto == IPPROTO_TCP ? 20 :
	    pi->l4proto == IPPROTO_UDP ? 8 : 0;

	pi->sport = pi->dport = 0;
	pi->tcp_flags = 0;
	if (need == 0 || pi->l4_len < need || !cur_has(&d->c, 0, need))
		return;
	pi->sport = cur_peek_be16(&d->c, 0);
	pi->dport = cur_peek_be16(&d->c, 2);
	if (pi->l4proto == IPPROTO_TCP)
		pi->tcp_flags = cur_peek_u8(&d->c, 13);
}

/* GTP-U: only version 1 T-PDUs carry user IP packets. Returns true with
 * the cursor on the inner IP header. */
static bool
skip_gtpu(struct dctx *d)
{
	struct cursor *c = &d->c;
	uint8_t flags = cur_peek_u8(c, 0);
	uint8_t type = cur_peek_u8(c, 1);
	size_t hlen = 8;

	if (!cur_ok(c) || (flags >> 5) != 1 || type != 0xFF)
		return false;
	if (flags & 0x07) {
		uint8_t next = cur_peek_u8(c, 11);
		hlen = 12;
		/* extension headers: length in 4-byte units, next type last */
		for (int i = 0; (flags & 0x04) && next != 0 && i < 8; i++) {
			uint8_t units = cur_peek_u8(c, hlen);
			if (units == 0)
				return false;
			next = cur_peek_u8(c, hlen + units * 4u - 1);
			hlen += units * 4u;
		}
	}
	if (!cur_ok(c) || !cur_has(c, hlen, 1))
		return false;
	uint8_t v = cur_peek_u8(c, hlen) >> 4;
	if (v != 4 && v != 6)
		return false;
	return cur_skip(c, hlen);
}

/* TZSP: version 1, "received" packets encapsulating Ethernet; tagged
 * fields end with tag 1. Returns true with the cursor on the frame. */
static bool
skip_tzsp(struct dctx *d)
{
	struct cursor *c = &d->c;
	size_t at = 4;

	if (cur_peek_u8(c, 0) != 1 || cur_peek_u8(c, 1) != 0 ||
	    cur_peek_be16(c, 2) != 1 || !cur_ok(c))
		return false;
	for (int i = 0; i < 64; i++) {
		uint8_t tag = cur_peek_u8(c, at);
		if (!cur_ok(c))
			return false;
		if (tag == 1)
			return cur_skip(c, at + 1);
		if (tag == 0)
			at++;
		else
			at += 2u + cur_peek_u8(c, at + 1);
	}
	return false;
}

/* CAPWAP data channel carrying native 802.11 data frames with an
 * LLC/SNAP header. Returns the inner ethertype (0 = not decapsulated)
 * with the cursor on the inner L3 header. */
static uint16_t
skip_capwap(struct dctx *d)
{
	struct cursor *c = &d->c;
	size_t hlen = (size_t)(cur_peek_u8(c, 1) >> 3) * 4;
	uint8_t fc0, fc1;
	size_t wlen = 24;

	/* T bit: native frame of wireless binding 1 (IEEE 802.11) */
	if (!cur_ok(c) || hlen < 8 || (cur_peek_u8(c, 2) & 0x3F) != 0x03)
		return 0;
	fc0 = cur_peek_u8(c, hlen);
	fc1 = cur_peek_u8(c, hlen + 1);
	if (!cur_ok(c) || ((fc0 >> 2) & 3) != 2) /* 802.11 data */
		return 0;
	if ((fc1 & 0x03) == 0x03)
		wlen += 6; /* four-address frame */
	if (fc0 & 0x80)
		wlen += 2; /* QoS control */
	size_t llc = hlen + wlen;
	if (cur_peek_u8(c, llc) != 0xAA || cur_peek_u8(c, llc + 1) != 0xAA ||
	    !cur_ok(c))
		return 0;
	uint16_t type = cur_peek_be16(c, llc + 6);
	if (!cur_ok(c) || (type != ETH_IPV4 && type != ETH_IPV6))
		return 0;
	return cur_skip(c, llc + 8) ? type : 0;
}

/* After an IP header with a complete UDP header at the cursor: follow
 * the UDP tunnels the oracle decodes. Returns false for "not a tunnel,
 * keep the outer flow", else true with the verdict in *res. */
static bool
try_udp_tunnel(struct dctx *d, enum dis_result *res)
{
	struct pkt_info *pi = d->pi;
	struct dctx in = *d;
	enum dis_tunnel t;

	if (d->depth >= MAX_ENCAP || !cur_skip(&in.c, 8))
		return false;
	in.depth = d->depth + 1;
	if (pi->sport == PORT_GTPU || pi->dport == PORT_GTPU) {
		if (!skip_gtpu(&in))
			return false;
		t = TUN_GTPU;
	} else if (pi->sport == PORT_TZSP || pi->dport == PORT_TZSP) {
		if (!skip_tzsp(&in))
			return false;
		pi->tunnel = TUN_TZSP;
		*res = do_ether(&in);
		return true;
	} else if (pi->sport == PORT_CAPWAP_DATA ||
	    pi->dport == PORT_CAPWAP_DATA) {
		/* The data channel carries 802.11 frames; only data frames
		 * with IP inside make flows. Management frames and
		 * keep-alives make none, as in the oracle. */
		if (skip_capwap(&in) == 0) {
			*res = DIS_NON_IP;
			return true;
		}
		t = TUN_CAPWAP;
	} else {
		return false;
	}
	pi->tunnel = t;
	*res = do_ip(&in);
	return true;
}

static enum dis_result
finish_l4(struct dctx *d)
{
	read_ports(d);
	if (d->pi->l4proto == IPPROTO_UDP && d->pi->l4_len >= 8 &&
	    cur_has(&d->c, 0, 8)) {
		struct pkt_info save = *d->pi;
		enum dis_result r;
		if (try_udp_tunnel(d, &r))
			return r;
		*d->pi = save;
	}
	return DIS_IP;
}

static enum dis_result
do_ipv4(struct dctx *d)
{
	struct cursor *c = &d->c;
	struct pkt_info *pi = d->pi;

	if (!cur_has(c, 0, 20))
		return bad(d, MAL_IPV4_HDR);
	size_t ihl = (size_t)(cur_peek_u8(c, 0) & 0x0F) * 4;
	uint16_t tot = cur_peek_be16(c, 2);
	uint16_t frag = cur_peek_be16(c, 6);
	uint8_t proto = cur_peek_u8(c, 9);
	if (ihl < 20 || !cur_has(c, 0, ihl))
		return bad(d, MAL_IPV4_HDR);

	/* IP-in-IP and 6in4: the inner packet is the flow (as the oracle). */
	if ((proto == 4 || proto == 41) && (frag & 0x1FFF) == 0) {
		if (d->depth >= MAX_ENCAP)
			return bad(d, MAL_TUNNEL);
		struct dctx in = *d;
		cur_skip(&in.c, ihl);
		in.depth++;
		uint8_t v = cur_peek_u8(&in.c, 0) >> 4;
		if (!cur_ok(&in.c) || v != (proto == 4 ? 4 : 6))
			return bad(d, MAL_TUNNEL);
		pi->tunnel = proto == 4 ? TUN_IPIP : TUN_6IN4;
		return do_ip(&in);
	}
	if ((frag & 0x1FFF) != 0)
		return DIS_FRAGMENT;
	if (tot < ihl || tot > cur_left(c))
		return bad(d, MAL_IPV4_LEN);

	pi->ipver = 4;
	pi->l4proto = proto;
	memset(pi->src, 0, sizeof pi->src);
	memset(pi->dst, 0, sizeof pi->dst);
	cur_peek_bytes(c, 12, pi->src, 4);
	cur_peek_bytes(c, 16, pi->dst, 4);
	pi->l3 = cur_ptr(c);
	pi->l3_len = (uint32_t)cur_left(c);
	pi->l4_len = tot - (uint32_t)ihl;
	cur_skip(c, ihl);
	return finish_l4(d);
}

static bool
is_ipv6_ext(uint8_t nh)
{
	switch (nh) {
	case 0:	  /* hop-by-hop */
	case 43:  /* routing */
	case 44:  /* fragment */
	case 51:  /* AH */
	case 60:  /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
		return true;
	}
	return false;
}

static enum dis_result
do_ipv6(struct dctx *d)
{
	struct cursor *c = &d->c;
	struct pkt_info *pi = d->pi;

	if (!cur_has(c, 0, 40))
		return bad(d, MAL_IPV6_HDR);
	uint32_t plen = cur_peek_be16(c, 4);
	uint8_t nh = cur_peek_u8(c, 6);
	if (40 + (size_t)plen > cur_left(c))
		return bad(d, MAL_IPV6_LEN);

	pi->ipver = 6;
	cur_peek_bytes(c, 8, pi->src, 16);
	cur_peek_bytes(c, 24, pi->dst, 16);
	pi->l3 = cur_ptr(c);
	pi->l3_len = (uint32_t)cur_left(c);
	cur_skip(c, 40);

	size_t ext = 0;
	for (int i = 0; is_ipv6_ext(nh); i++) {
		size_t len;
		if (i >= MAX_IPV6_EXT || !cur_has(c, ext, 8))
			return bad(d, MAL_IPV6_EXT);
		if (nh == 44) {
			if ((cur_peek_be16(c, ext + 2) & 0xFFF8) != 0)
				return DIS_FRAGMENT;
			len = 8;
		} else if (nh == 51) {
			len = ((size_t)cur_peek_u8(c, ext + 1) + 2) * 4;
		} else {
			len = ((size_t)cur_peek_u8(c, ext + 1) + 1) * 8;
		}
		nh = cur_peek_u8(c, ext);
		ext += len;
		if (ext > plen)
			return bad(d, MAL_IPV6_EXT);
	}
	cur_skip(c, ext);
	pi->l4proto = nh;
	pi->l4_len = plen - (uint32_t)ext;
	return finish_l4(d);
}

static enum dis_result
do_ip(struct dctx *d)
{
	uint8_t v = cur_peek_u8(&d->c, 0) >> 4;

	if (!cur_ok(&d->c))
		return bad(d, MAL_IPV4_HDR);
	if (v == 4)
		return do_ipv4(d);
	if (v == 6)
		return do_ipv6(d);
	return bad(d, MAL_IP_VERSION);
}

/* Dispatch on an ethertype with the cursor on the header it names. */
static enum dis_result
do_ethertype(struct dctx *d, uint16_t type)
{
	struct cursor *c = &d->c;

	for (int tags = 0; type == ETH_VLAN || type == ETH_QINQ ||
	     type == ETH_QINQ_OLD; tags++) {
		if (tags >= MAX_VLAN_TAGS || !cur_has(c, 0, 4))
			return bad(d, MAL_VLAN);
		d->pi->vlan = cur_peek_be16(c, 0) & 0x0FFF;
		type = cur_peek_be16(c, 2);
		cur_skip(c, 4);
	}

	switch (type) {
	case ETH_IPV4:
	case ETH_IPV6:
		return do_ip(d);
	case ETH_MPLS_UC:
	case ETH_MPLS_MC:
		for (int i = 0;; i++) {
			if (i >= MAX_MPLS_LABELS || !cur_has(c, 0, 4))
				return bad(d, MAL_MPLS);
			uint32_t label = cur_peek_be32(c, 0);
			cur_skip(c, 4);
			if (label & 0x100) /* bottom of stack */
				break;
		}
		return do_ip(d);
	case ETH_PPPOE_SESS: {
		if (!cur_has(c, 0, 8))
			return bad(d, MAL_PPPOE);
		uint16_t ppp = cur_peek_be16(c, 6);
		cur_skip(c, 8);
		if (ppp == PPP_IPV4 || ppp == PPP_IPV6)
			return do_ip(d);
		return DIS_NON_IP;
	}
	default:
		return DIS_NON_IP;
	}
}

static enum dis_result
do_ether(struct dctx *d)
{
	struct cursor *c = &d->c;

	if (!cur_has(c, 0, 14))
		return bad(d, MAL_LINK);
	uint16_t type = cur_peek_be16(c, 12);
	cur_skip(c, 14);
	if (type <= 1500) {
		/* 802.3 length: only LLC/SNAP can carry an ethertype */
		if (cur_peek_u8(c, 0) != 0xAA || cur_peek_u8(c, 1) != 0xAA ||
		    !cur_has(c, 0, 8))
			return DIS_NON_IP;
		type = cur_peek_be16(c, 6);
		cur_skip(c, 8);
	}
	return do_ethertype(d, type);
}

/* BSD loopback: address family in host order of the capturing machine,
 * so accept both byte orders. */
static enum dis_result
do_null(struct dctx *d, bool loop)
{
	struct cursor *c = &d->c;
	uint32_t af;

	if (!cur_has(c, 0, 4))
		return bad(d, MAL_LINK);
	af = loop ? cur_peek_be32(c, 0) : cur_peek_le32(c, 0);
	if (!loop && (af & 0xFFFF0000u))
		af = cur_peek_be32(c, 0);
	cur_skip(c, 4);
	switch (af) {
	case 2: /* AF_INET */
	case 24: /* AF_INET6 on NetBSD/OpenBSD */
	case 28: /* FreeBSD */
	case 30: /* macOS */
		return do_ip(d);
	}
	/* Loopback carries only IP; a mangled family field still has the
	 * version nibble, which is what the oracle goes by. */
	return do_ip(d);
}

static enum dis_result
do_ppp(struct dctx *d)
{
	struct cursor *c = &d->c;
	uint16_t proto;

	if (!cur_has(c, 0, 2))
		return bad(d, MAL_LINK);
	if (cur_peek_u8(c, 0) == 0xFF && cur_peek_u8(c, 1) == 0x03) {
		if (!cur_has(c, 0, 4))
			return bad(d, MAL_LINK);
		proto = cur_peek_be16(c, 2);
		cur_skip(c, 4);
	} else {
		proto = cur_peek_be16(c, 0);
		cur_skip(c, 2);
	}
	if (proto == PPP_IPV4 || proto == PPP_IPV6)
		return do_ip(d);
	return DIS_NON_IP;
}

bool
dissect_link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_PPP:
	case DLT_PPP_SERIAL:
	case DLT_C_HDLC:
		return true;
	}
	return false;
}

enum dis_result
dissect_frame(int dlt, const uint8_t *frame, uint32_t caplen,
    struct pkt_info *pi, enum dis_reason *why)
{
	struct dctx d;

	memset(pi, 0, sizeof *pi);
	*why = MAL_NONE;
	cur_init(&d.c, frame, caplen);
	d.pi = pi;
	d.why = why;
	d.depth = 0;

	switch (dlt) {
	case DLT_EN10MB:
		return do_ether(&d);
	case DLT_LINUX_SLL: {
		if (!cur_has(&d.c, 0, 16))
			return bad(&d, MAL_LINK);
		uint16_t type = cur_peek_be16(&d.c, 14);
		cur_skip(&d.c, 16);
		return do_ethertype(&d, type);
	}
	case DLT_LINUX_SLL2: {
		if (!cur_has(&d.c, 0, 20))
			return bad(&d, MAL_LINK);
		uint16_t type = cur_peek_be16(&d.c, 0);
		cur_skip(&d.c, 20);
		return do_ethertype(&d, type);
	}
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return do_ip(&d);
	case DLT_NULL:
		return do_null(&d, false);
	case DLT_LOOP:
		return do_null(&d, true);
	case DLT_PPP:
	case DLT_PPP_SERIAL:
		return do_ppp(&d);
	case DLT_C_HDLC: {
		/* address, control, then an ethertype */
		if (!cur_has(&d.c, 0, 4))
			return bad(&d, MAL_LINK);
		uint16_t type = cur_peek_be16(&d.c, 2);
		cur_skip(&d.c, 4);
		return do_ethertype(&d, type);
	}
	}
	return DIS_UNSUPPORTED;
}
