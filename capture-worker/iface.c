/* Per-packet accounting and nDPI classification; see iface.h.
 *
 * nDPI settings follow the oracle (ndpiReader 4.2): every protocol
 * enabled, feed the IP header of each packet until the flow is classified
 * and nDPI wants no more, or until more than 80 TCP / 24 UDP packets,
 * then ndpi_detection_giveup() with guessing. Once a verdict is final the
 * nDPI flow struct goes back to a pool and only the results stay in the
 * flow.
 *
 * A flow that is still undecided after idle_timeout_s without a packet
 * (packet time) is given up then, not at the end of the file: a monitor
 * would have expired it by then, and its nDPI state (700 bytes) is what
 * makes the peak memory of a long capture. The undecided flows are kept
 * in order of their last packet, so finding them costs nothing per
 * packet. */
#include "iface.h"

#include "flow_checks.h"
#include "host_checks.h"
#include "host_info.h"
#include "host_pools.h"
#include "mac_devtype.h"
#include "log.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_TCP_PKTS 80
#define DEFAULT_MAX_UDP_PKTS 24
#define DEFAULT_IDLE_TIMEOUT 180
#define SLOT_POOL_MAX 65536 /* free detection slots kept for reuse */

/* The nDPI state of one undecided flow; f->nd points at nd. */
struct detect_slot {
	struct ndpi_flow_struct nd; /* first: a slot is found from f->nd */
	struct flow *flow;
	struct detect_slot *prev, *next; /* by last packet, oldest first */
};

static struct detect_slot *
slot_of(struct ndpi_flow_struct *nd)
{
	return (struct detect_slot *)(void *)nd;
}

static void
lru_unlink(struct iface *ifc, struct detect_slot *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		ifc->lru_head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		ifc->lru_tail = s->prev;
	s->prev = s->next = NULL;
}

static void
lru_append(struct iface *ifc, struct detect_slot *s)
{
	s->next = NULL;
	s->prev = ifc->lru_tail;
	if (ifc->lru_tail)
		ifc->lru_tail->next = s;
	else
		ifc->lru_head = s;
	ifc->lru_tail = s;
}

/* A zeroed nDPI flow struct for f, from the pool when one is free. */
static struct ndpi_flow_struct *
slot_get(struct iface *ifc, struct flow *f)
{
	struct detect_slot *s = ifc->slot_free;

	if (s) {
		ifc->slot_free = s->next;
		ifc->slots_free--;
	} else if ((s = malloc(sizeof *s)) == NULL) {
		return NULL;
	}
	memset(&s->nd, 0, sizeof s->nd);
	s->flow = f;
	lru_append(ifc, s);
	ifc->slots_used++;
	return &s->nd;
}

/* Releases what nDPI allocated for the flow and recycles the slot. */
static void
slot_put(struct iface *ifc, struct ndpi_flow_struct *nd)
{
	struct detect_slot *s = slot_of(nd);

	ndpi_free_flow_data(nd);
	lru_unlink(ifc, s);
	ifc->slots_used--;
	if (ifc->slots_free >= SLOT_POOL_MAX) {
		free(s);
		return;
	}
	s->flow = NULL;
	s->next = ifc->slot_free;
	ifc->slot_free = s;
	ifc->slots_free++;
}

int
iface_init(struct iface *ifc, int ifid, const char *name, bool is_file,
    const struct localnets *nets)
{
	NDPI_PROTOCOL_BITMASK all;

	memset(ifc, 0, sizeof *ifc);
	pthread_mutex_init(&ifc->lock, NULL);
	ifc->ifid = ifid;
	snprintf(ifc->name, sizeof ifc->name, "%s", name);
	ifc->is_file = is_file;
	if (nets)
		ifc->nets = *nets;
	ifc->max_tcp_pkts = DEFAULT_MAX_TCP_PKTS;
	ifc->max_udp_pkts = DEFAULT_MAX_UDP_PKTS;
	ifc->idle_timeout_s = DEFAULT_IDLE_TIMEOUT;
	/* A file is accounted whole, as the oracle does; a live interface
	 * must forget idle flows or it grows without bound. */
	ifc->idle_purge = !is_file;

	ifc->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (ifc->ndpi == NULL)
		return -1;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(ifc->ndpi, &all);
	ndpi_finalize_initialization(ifc->ndpi);
	ifc->nprotos = ndpi_get_num_supported_protocols(ifc->ndpi) +
	    NDPI_MAX_NUM_CUSTOM_PROTOCOLS;
	ifc->proto = calloc(ifc->nprotos, sizeof *ifc->proto);
	if (ifc->proto == NULL || hp_init(ifc->nprotos) != 0 ||
	    beh_init(&ifc->beh) != 0)
		return -1;
	ft_init(&ifc->flows);
	ht_init(&ifc->hosts);
	mt_init(&ifc->macs);
	return 0;
}

static void
free_nd(struct flow *f, void *arg)
{
	if (f->nd) {
		slot_put(arg, f->nd);
		f->nd = NULL;
	}
}

void
iface_destroy(struct iface *ifc)
{
	ft_foreach(&ifc->flows, free_nd, ifc);
	while (ifc->slot_free) {
		struct detect_slot *s = ifc->slot_free;
		ifc->slot_free = s->next;
		free(s);
	}
	ft_destroy(&ifc->flows);
	ht_destroy(&ifc->hosts);
	mt_destroy(&ifc->macs);
	free(ifc->proto);
	hp_destroy();
	dt_clear();
	beh_destroy(&ifc->beh);
	if (ifc->ndpi)
		ndpi_exit_detection_module(ifc->ndpi);
	pthread_mutex_destroy(&ifc->lock);
}

enum l4_class
l4_class_of(uint8_t l4proto)
{
	switch (l4proto) {
	case IPPROTO_TCP:
		return L4_TCP;
	case IPPROTO_UDP:
		return L4_UDP;
	case IPPROTO_ICMP:
		return L4_ICMP;
	case IPPROTO_ICMPV6:
		return L4_ICMP6;
	}
	return L4_OTHER;
}

/* Names as ntopng's proto.l4 shows them. */
const char *
l4_name(uint8_t l4proto)
{
	switch (l4proto) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_ICMPV6:
		return "IPv6-ICMP";
	case IPPROTO_IGMP:
		return "IGMP";
	case IPPROTO_GRE:
		return "GRE";
	case IPPROTO_ESP:
		return "ESP";
	case IPPROTO_SCTP:
		return "SCTP";
	}
	return "Other";
}

static void
traffic_add(struct traffic *t, enum flow_dir dir, uint64_t pkts,
    uint64_t bytes)
{
	if (dir == DIR_C2S) {
		t->pkts_sent += pkts;
		t->bytes_sent += bytes;
	} else {
		t->pkts_rcvd += pkts;
		t->bytes_rcvd += bytes;
	}
}

static bool
is_tls_like(uint16_t p)
{
	return p == NDPI_PROTOCOL_TLS || p == NDPI_PROTOCOL_DTLS ||
	    p == NDPI_PROTOCOL_QUIC || p == NDPI_PROTOCOL_MAIL_IMAPS ||
	    p == NDPI_PROTOCOL_MAIL_POPS || p == NDPI_PROTOCOL_MAIL_SMTPS;
}

/* The local end through which a packet of f in direction dir counts
 * for host pools: the local client, else the local server; NULL when
 * neither end is local. *sent: the packet comes from that end. */
static struct host *
pool_host(const struct flow *f, enum flow_dir dir, bool *sent)
{
	if (f->cli_host && f->cli_host->local) {
		*sent = dir == DIR_C2S;
		return f->cli_host;
	}
	if (f->srv_host && f->srv_host->local) {
		*sent = dir == DIR_S2C;
		return f->srv_host;
	}
	return NULL;
}

/* Credits traffic of flow f (dir, pkts, bytes) to the protocol stats of
 * the interface, its category, both hosts and the local end's pool. */
static void
credit_proto(struct iface *ifc, struct flow *f, enum flow_dir dir,
    uint64_t pkts, uint64_t bytes)
{
	uint16_t p = flow_stats_proto(f);
	struct host_proto *hp;

	if (p < ifc->nprotos)
		traffic_add(&ifc->proto[p].t, dir, pkts, bytes);
	if ((unsigned)f->proto.category < NDPI_PROTOCOL_NUM_CATEGORIES)
		traffic_add(&ifc->cat[f->proto.category].t, dir, pkts, bytes);
	if (f->cli_host && (hp = host_proto_get(f->cli_host, p)))
		traffic_add(&hp->t, dir, pkts, bytes);
	if (f->srv_host && (hp = host_proto_get(f->srv_host, p)))
		traffic_add(&hp->t, dir == DIR_C2S ? DIR_S2C : DIR_C2S, pkts,
		    bytes);
	bool sent;
	struct host *ph = pool_host(f, dir, &sent);
	if (ph)
		hp_credit_proto(hp_slot_of_host(ph), p, sent, pkts, bytes);
}

/* The verdict is final: keep the results, free nDPI's state, and move
 * the traffic seen so far under the protocol. */
static void
detection_done(struct iface *ifc, struct flow *f, ndpi_protocol p)
{
	struct ndpi_flow_struct *nd = f->nd;
	struct host_proto *hp;
	uint16_t sp;

	iface_custom_category(ifc, f, &p);
	f->proto = p;
	memcpy(f->host_server_name, nd->host_server_name,
	    sizeof f->host_server_name);
	f->host_server_name[sizeof f->host_server_name - 1] = '\0';
	if (is_tls_like(p.master_protocol) || is_tls_like(p.app_protocol)) {
		memcpy(f->ja3c, nd->protos.tls_quic.ja3_client, 32);
		memcpy(f->ja3s, nd->protos.tls_quic.ja3_server, 32);
		f->ja3c[32] = f->ja3s[32] = '\0';
	}
	host_learn(ifc, f, nd);
	fc_flow_done(ifc, f, nd);
	slot_put(ifc, nd);
	f->nd = NULL;
	f->detection_done = true;

	sp = flow_stats_proto(f);
	if (sp < ifc->nprotos)
		ifc->proto[sp].flows++;
	if ((unsigned)p.category < NDPI_PROTOCOL_NUM_CATEGORIES)
		ifc->cat[p.category].flows++;
	if (f->cli_host && (hp = host_proto_get(f->cli_host, sp)))
		hp->flows++;
	if (f->srv_host && (hp = host_proto_get(f->srv_host, sp)))
		hp->flows++;
	credit_proto(ifc, f, DIR_C2S, f->pkts[DIR_C2S], f->bytes[DIR_C2S]);
	credit_proto(ifc, f, DIR_S2C, f->pkts[DIR_S2C], f->bytes[DIR_S2C]);
	beh_flow_classified(&ifc->beh, f, sp);
}

static void
classify(struct iface *ifc, struct flow *f, const struct pkt_info *pi,
    uint64_t ts_ms)
{
	uint64_t total = f->pkts[0] + f->pkts[1];
	bool enough = (f->l4proto == IPPROTO_TCP && total > ifc->max_tcp_pkts) ||
	    (f->l4proto == IPPROTO_UDP && total > ifc->max_udp_pkts);
	uint16_t len = pi->l3_len > 65535 ? 65535 : (uint16_t)pi->l3_len;
	ndpi_protocol p = ndpi_detection_process_packet(ifc->ndpi, f->nd,
	    pi->l3, len, ts_ms);

	/* most recently seen last: the oldest undecided flow is first */
	if (ifc->lru_tail != slot_of(f->nd)) {
		lru_unlink(ifc, slot_of(f->nd));
		lru_append(ifc, slot_of(f->nd));
	}
	if (f->nd->fail_with_unknown)
		enough = true;
	if (!enough && p.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		return;
	if (!enough && ndpi_extra_dissection_possible(ifc->ndpi, f->nd))
		return; /* e.g. waiting for the TLS certificate */
	if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
		uint8_t guessed;
		p = ndpi_detection_giveup(ifc->ndpi, f->nd, 1, &guessed);
	}
	detection_done(ifc, f, p);
}

static struct flow *
new_flow(struct iface *ifc, const struct pkt_info *pi, uint64_t ts_us)
{
	struct flow *f = ft_insert(&ifc->flows, pi);

	if (f == NULL)
		return NULL;
	f->nd = slot_get(ifc, f);
	if (f->nd == NULL) {
		ft_remove(&ifc->flows, f);
		return NULL;
	}
	f->first_us = ts_us;
	f->cli_host = ht_get(&ifc->hosts, pi->ipver, pi->src, pi->vlan,
	    localnets_contains(&ifc->nets, pi->ipver, pi->src));
	f->srv_host = ht_get(&ifc->hosts, pi->ipver, pi->dst, pi->vlan,
	    localnets_contains(&ifc->nets, pi->ipver, pi->dst));
	if (f->cli_host) {
		f->cli_host->active_as_client++;
		f->cli_host->total_as_client++;
		if (f->cli_host->first_us == 0)
			f->cli_host->first_us = ts_us;
	}
	if (f->srv_host) {
		f->srv_host->active_as_server++;
		f->srv_host->total_as_server++;
		if (f->srv_host->first_us == 0)
			f->srv_host->first_us = ts_us;
	}
	ifc->l4[l4_class_of(pi->l4proto)].flows++;
	iface_custom_category(ifc, f, &f->proto);
	beh_flow_start(&ifc->beh, f, ts_us);
	return f;
}

static void
host_account(struct host *h, bool sender, uint64_t bytes, uint64_t ts_us)
{
	if (h == NULL)
		return;
	traffic_add(&h->t, sender ? DIR_C2S : DIR_S2C, 1, bytes);
	h->last_us = ts_us;
}

static void giveup_one(struct flow *f, void *arg);

/* Ends detection on the undecided flows idle for idle_timeout_s. */
static void
giveup_idle(struct iface *ifc, uint64_t now_us)
{
	uint64_t timeout = (uint64_t)ifc->idle_timeout_s * 1000000u;

	if (timeout == 0 || now_us < timeout)
		return;
	while (ifc->lru_head && ifc->lru_head->flow->last_us < now_us - timeout)
		giveup_one(ifc->lru_head->flow, ifc);
}

void
iface_packet(struct iface *ifc, const struct pcap_pkthdr *h,
    const uint8_t *data)
{
	struct pkt_info pi;
	enum dis_reason why;
	enum flow_dir dir;
	uint64_t ts_us = (uint64_t)h->ts.tv_sec * 1000000u +
	    (uint64_t)h->ts.tv_usec;
	/* Flow and host bytes are whole frames as on the wire (pcap len),
	 * as ntopng and the oracle count them. */
	uint64_t bytes = h->len;

	ifc->packets++;
	ifc->bytes += bytes;
	if (ifc->first_us == 0)
		ifc->first_us = ts_us;
	if (ts_us > ifc->last_us)
		ifc->last_us = ts_us;
	/* a period of packet time ended: run the host checks */
	if (ts_us >= ifc->hc_next_us)
		hc_tick(ifc, ts_us);

	/* MACs of Ethernet frames (ARP and other non-IP frames too) */
	const uint8_t *smac = NULL;
	if (ifc->dlt == DLT_EN10MB && h->caplen >= 14) {
		mt_account(&ifc->macs, data, data + 6, 0, bytes, ts_us);
		smac = data + 6;
	}

	switch (dissect_frame(ifc->dlt, data, h->caplen, &pi, &why)) {
	case DIS_IP:
		break;
	case DIS_NON_IP:
		ifc->non_ip_packets++;
		return;
	case DIS_FRAGMENT:
		ifc->fragments++;
		return;
	case DIS_MALFORMED:
		ifc->malformed[why]++;
		return;
	case DIS_UNSUPPORTED:
		ifc->unsupported++;
		return;
	}
	ifc->ip_packets++;
	ifc->ip_bytes += bytes;
	ifc->l4[l4_class_of(pi.l4proto)].t.pkts_sent++;
	ifc->l4[l4_class_of(pi.l4proto)].t.bytes_sent += bytes;

	struct flow *f = ft_lookup(&ifc->flows, &pi, &dir);
	if (f == NULL) {
		f = new_flow(ifc, &pi, ts_us);
		dir = DIR_C2S;
		if (f == NULL) {
			ifc->no_memory++;
			return;
		}
		hc_new_flow(f, pi.tcp_flags);
	}
	/* the server's first SYN-ACK answers the client's SYN (SYN scan) */
	if (dir == DIR_S2C && f->l4proto == 6 &&
	    (pi.tcp_flags & 0x12) == 0x12 && !(f->tcp_flags[DIR_S2C] & 0x02))
		hc_synack(f);
	f->pkts[dir]++;
	f->bytes[dir] += bytes;
	f->tcp_flags[dir] |= pi.tcp_flags;
	if (ts_us > f->last_us)
		f->last_us = ts_us;
	host_account(f->cli_host, dir == DIR_C2S, bytes, ts_us);
	host_account(f->srv_host, dir == DIR_S2C, bytes, ts_us);
	if (smac) {
		struct host *sh = dir == DIR_C2S ? f->cli_host : f->srv_host;
		if (sh) {
			memcpy(sh->mac, smac, 6);
			sh->has_mac = true;
		}
	}
	bool sent;
	struct host *ph = pool_host(f, dir, &sent);
	if (ph)
		hp_credit(hp_slot_of_host(ph), sent, 1, bytes, ts_us);

	if (f->detection_done)
		credit_proto(ifc, f, dir, 1, bytes);
	else
		classify(ifc, f, &pi, ts_us / 1000);

	if (ts_us >= ifc->next_giveup_us) {
		giveup_idle(ifc, ts_us);
		ifc->next_giveup_us = ts_us + 1000000u;
	}
	if (ifc->idle_purge && ts_us >= ifc->next_purge_us) {
		iface_purge_idle(ifc, ts_us);
		ifc->next_purge_us = ts_us + 1000000u;
	}
}

static void
giveup_one(struct flow *f, void *arg)
{
	struct iface *ifc = arg;
	uint8_t guessed;

	if (f->detection_done || f->nd == NULL)
		return;
	detection_done(ifc, f,
	    ndpi_detection_giveup(ifc->ndpi, f->nd, 1, &guessed));
}

void
iface_giveup_all(struct iface *ifc)
{
	ft_foreach(&ifc->flows, giveup_one, ifc);
}

struct purge_ctx {
	struct iface *ifc;
	uint64_t cutoff_us, now_us;
};

static void
purge_one(struct flow *f, void *arg)
{
	struct purge_ctx *pc = arg;
	struct iface *ifc = pc->ifc;

	if (f->last_us >= pc->cutoff_us)
		return;
	if (f->nd)
		giveup_one(f, ifc); /* count its traffic under a protocol */
	if (f->cli_host && f->cli_host->active_as_client)
		f->cli_host->active_as_client--;
	if (f->srv_host && f->srv_host->active_as_server)
		f->srv_host->active_as_server--;
	fc_flow_gone(ifc, f);
	ft_remove(&ifc->flows, f);
}

static void
purge_host(struct host *h, void *arg)
{
	struct purge_ctx *pc = arg;

	if (h->active_as_client == 0 && h->active_as_server == 0 &&
	    h->last_us < pc->cutoff_us) {
		hc_host_gone(pc->ifc, h, pc->now_us);
		ht_remove(&pc->ifc->hosts, h);
	}
}

void
iface_purge_idle(struct iface *ifc, uint64_t now_us)
{
	uint64_t timeout = (uint64_t)ifc->idle_timeout_s * 1000000u;
	struct purge_ctx pc = { ifc, now_us > timeout ? now_us - timeout : 0,
		now_us };

	if (pc.cutoff_us == 0)
		return;
	ft_foreach(&ifc->flows, purge_one, &pc);
	ht_foreach(&ifc->hosts, purge_host, &pc);
}

void
iface_update_throughput(struct iface *ifc, double wall_now)
{
	double dt = wall_now - ifc->thpt_wall;

	if (ifc->thpt_wall == 0) {
		ifc->thpt_wall = wall_now;
		ifc->thpt_bytes = ifc->bytes;
		ifc->thpt_pkts = ifc->packets;
		return;
	}
	if (dt < 1.0)
		return;
	ifc->thpt_bps = (double)(ifc->bytes - ifc->thpt_bytes) * 8 / dt;
	ifc->thpt_pps = (double)(ifc->packets - ifc->thpt_pkts) / dt;
	ifc->thpt_wall = wall_now;
	ifc->thpt_bytes = ifc->bytes;
	ifc->thpt_pkts = ifc->packets;
}
