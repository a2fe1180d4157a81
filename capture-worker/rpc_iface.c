/* interface.* identity, flags and statistics (sections 3, 4 and 5). */
#include "rpc_common.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* O(1): the flow table counts its flows per VLAN (a walk over a
 * million flows here made every getStats take tens of ms) */
static size_t
iface_count_vlans(struct iface *ifc)
{
	return ifc->flows.nvlans;
}

static bool
iface_has_vlan0(struct iface *ifc)
{
	return ifc->flows.vlan_flows[0] > 0;
}

void
m_ping(struct call *c)
{
	if (!want_args(c, 0, 0))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	ipc_pack_str(&c->w->pk, "pong");
}

static void
reply_count(struct call *c, size_t (*count)(struct iface *))
{
	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	size_t n = count(c->ifc);
	pthread_mutex_unlock(&c->ifc->lock);
	reply_u64(c, n);
}

static size_t
count_flows(struct iface *ifc)
{
	return ifc->flows.count;
}

static size_t
count_hosts(struct iface *ifc)
{
	return ifc->hosts.count;
}

static size_t
count_local_hosts(struct iface *ifc)
{
	return ifc->hosts.local_count;
}

void
m_get_num_flows(struct call *c)
{
	reply_count(c, count_flows);
}

void
m_get_num_hosts(struct call *c)
{
	reply_count(c, count_hosts);
}

void
m_get_num_local_hosts(struct call *c)
{
	reply_count(c, count_local_hosts);
}

/* ---- flags --------------------------------------------------------------- */

/* Flags a capture worker answers from what it is: a pcap source (file or
 * device), never a view, ZMQ, syslog, DB view, bridge or sub-interface. */
void
m_iface_flag(struct call *c)
{
	const char *m = c->rq->method;
	struct iface *ifc = c->ifc;
	bool v = false;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(ifc);
	if (strcmp(m, "isPacketInterface") == 0)
		v = true;
	else if (strcmp(m, "isPcapDumpInterface") == 0)
		v = ifc->is_file;
	else if (strcmp(m, "isDiscoverableInterface") == 0)
		v = !ifc->is_file; /* a live Ethernet-like device */
	else if (strcmp(m, "isLoopback") == 0)
		v = ifc->dlt == 0 /* DLT_NULL */ || strcmp(ifc->name, "lo") == 0;
	else if (strcmp(m, "isRunning") == 0)
		v = !ifc->ingest_complete;
	else if (strcmp(m, "isIdle") == 0)
		v = ifc->idle;
	else if (strcmp(m, "hasVLANs") == 0)
		v = iface_count_vlans(ifc) > 1 ||
		    (iface_count_vlans(ifc) == 1 && !iface_has_vlan0(ifc));
	/* isBridgeInterface, isDatabaseViewInterface, isZMQInterface,
	 * isView, isViewed, isSubInterface, isSyslogInterface, hasEBPF,
	 * hasExternalAlerts: false for every capture worker */
	pthread_mutex_unlock(&ifc->lock);
	reply_bool(c, v);
}

/* getMasterInterfaceId, getMaxIfSpeed, getEndpoint, getIfMac, viewedBy */
void
m_iface_identity(struct call *c)
{
	const char *m = c->rq->method;
	struct iface *ifc = c->ifc;
	char mac[18];

	if (!want_args(c, 0, strcmp(m, "getMaxIfSpeed") == 0 ? 1 : 0))
		return;
	if (strcmp(m, "getMasterInterfaceId") == 0)
		reply_u64(c, (uint64_t)ifc->ifid); /* no sub-interfaces */
	else if (strcmp(m, "getEndpoint") == 0) {
		ipc_reply_begin(c->w, c->rq->id);
		ipc_pack_str(&c->w->pk, ifc->name);
	} else if (strcmp(m, "getMaxIfSpeed") == 0) {
		/* Mbit/s as ntopng; 1000 when the device does not tell */
		reply_u64(c, 1000);
	} else if (strcmp(m, "getIfMac") == 0) {
		/* a pcap source has no MAC of its own to read */
		(void)mac;
		reply_nil(c);
	} else /* viewedBy: no view aggregates a capture worker */
		reply_nil(c);
}

void
m_set_idle(struct call *c)
{
	bool idle;

	if (!want_args(c, 1, 1) || !arg_bool(c, 0, true, &idle))
		return;
	iface_lock_rpc(c->ifc);
	c->ifc->idle = idle;
	pthread_mutex_unlock(&c->ifc->lock);
	reply_nil(c);
}

/* ---- statistics ----------------------------------------------------------- */

/* getStats is what every dashboard and script polls, and its answer is
 * the same for every caller: the packed result is kept and given again
 * for up to STATS_CACHE_US, as long as no other method was called in
 * between (rpc_state_gen: any of them may change what getStats reports,
 * resetCounters, setIdle, ...). A hit takes neither the iface lock nor
 * packs anything; the counters it reports are then at most that old,
 * the packet path's own updates included. One interface per worker, so
 * one cache. */
#define STATS_CACHE_US 5000

static struct {
	pthread_mutex_t lock;
	msgpack_sbuffer sb; /* the packed result, not the envelope */
	uint64_t at_us;
	unsigned long gen;
	bool valid;
} stats_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

atomic_ulong rpc_state_gen;

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static void pack_stats(struct iface *ifc, msgpack_packer *pk);

void
m_get_stats(struct call *c)
{
	struct ipc_writer res;
	uint64_t now;
	unsigned long gen;

	if (!want_args(c, 0, 0))
		return;
	now = mono_us();
	gen = atomic_load(&rpc_state_gen);
	pthread_mutex_lock(&stats_cache.lock);
	if (stats_cache.valid && stats_cache.gen == gen &&
	    now - stats_cache.at_us < STATS_CACHE_US) {
		ipc_reply_begin(c->w, c->rq->id);
		msgpack_sbuffer_write(&c->w->sb, stats_cache.sb.data,
		    stats_cache.sb.size);
		pthread_mutex_unlock(&stats_cache.lock);
		return;
	}
	pthread_mutex_unlock(&stats_cache.lock);

	ipc_writer_init(&res);
	iface_lock_rpc(c->ifc);
	pack_stats(c->ifc, &res.pk);
	now = mono_us(); /* the data's age, not the time spent waiting */
	pthread_mutex_unlock(&c->ifc->lock);
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_sbuffer_write(&c->w->sb, res.sb.data, res.sb.size);

	pthread_mutex_lock(&stats_cache.lock);
	msgpack_sbuffer_destroy(&stats_cache.sb);
	stats_cache.sb = res.sb; /* the cache owns it now */
	stats_cache.at_us = now;
	stats_cache.gen = gen;
	stats_cache.valid = true;
	pthread_mutex_unlock(&stats_cache.lock);
}

/* getStats' result; the caller holds the iface lock */
static void
pack_stats(struct iface *ifc, msgpack_packer *pk)
{
	struct mapb m, s, ing, nw, mal, l4;
	static const char *const l4names[L4_COUNT] = { "TCP", "UDP", "ICMP",
		"IPv6-ICMP", "Other" };

	mb_init(&m);
	mb_u64(&m, "id", (uint64_t)ifc->ifid);
	mb_str(&m, "name", ifc->name);
	mb_str(&m, "description", ifc->name);
	mb_str(&m, "type", ifc->is_file ? "pcap dump" : "pcap");
	mb_bool(&m, "isView", false);
	mb_bool(&m, "isViewed", false);
	mb_bool(&m, "inline", false);
	mb_bool(&m, "has_macs", ifc->macs.count > 0);
	mb_u64(&m, "speed", 1000);
	mb_u64(&m, "mtu", 1514);
	mb_u64(&m, "periodic_stats_update_frequency_secs", 5);
	/* ntopng keeps the counters in a nested "stats" table; the flat
	 * copies below serve scripts that read them from the top. */
	mb_init(&s);
	mb_u64(&s, "packets", ifc->packets);
	mb_u64(&s, "bytes", ifc->bytes);
	mb_u64(&s, "drops", ifc->drops);
	mb_u64(&s, "flows", ifc->flows.count);
	mb_u64(&s, "hosts", ifc->hosts.count);
	mb_u64(&s, "local_hosts", ifc->hosts.local_count);
	mb_u64(&s, "new_flows", ifc->flows.next_id);
	mb_dbl(&s, "throughput_bps", ifc->thpt_bps);
	mb_dbl(&s, "throughput_pps", ifc->thpt_pps);
	mb_u64(&s, "packets_rcvd_since_reset", ifc->packets - ifc->reset.packets);
	mb_u64(&s, "traffic_rcvd_since_reset", ifc->bytes - ifc->reset.bytes);
	mb_end(&s, mb_key(&m, "stats"));
	mb_u64(&m, "packets", ifc->packets);
	mb_u64(&m, "bytes", ifc->bytes);
	mb_u64(&m, "drops", ifc->drops);
	mb_u64(&m, "numFlows", ifc->flows.count);
	mb_u64(&m, "numHosts", ifc->hosts.count);
	mb_u64(&m, "numLocalHosts", ifc->hosts.local_count);
	mb_u64(&m, "local_hosts", ifc->hosts.local_count);
	mb_u64(&m, "numMacs", ifc->macs.count);
	mb_u64(&m, "numVLANs", iface_count_vlans(ifc));
	mb_dbl(&m, "throughput_bps", ifc->thpt_bps);
	mb_dbl(&m, "throughput_pps", ifc->thpt_pps);
	mb_u64(&m, "packets_rcvd_since_reset", ifc->packets - ifc->reset.packets);
	mb_u64(&m, "traffic_rcvd_since_reset", ifc->bytes - ifc->reset.bytes);
	mb_u64(&m, "seen.last", ifc->last_us / 1000000u);
	pack_ndpi_stats(ifc, NULL, mb_key(&m, "ndpi"));

	/* netward extension, no ntopng name exists: how far the reading of
	 * a pcap file is. complete = the whole file is in the tables. */
	mb_init(&ing);
	mb_bool(&ing, "complete", ifc->ingest_complete);
	mb_u64(&ing, "packets", ifc->packets);
	mb_dbl(&ing, "progress_pct", ifc->is_file && ifc->file_size ?
	    100.0 * (double)ifc->file_pos / (double)ifc->file_size :
	    (ifc->ingest_complete ? 100.0 : 0.0));
	mb_end(&ing, mb_key(&m, "ingestion"));

	/* netward extension: dissector and L4 counters */
	mb_init(&nw);
	mb_u64(&nw, "ip_packets", ifc->ip_packets);
	mb_u64(&nw, "ip_bytes", ifc->ip_bytes);
	mb_u64(&nw, "non_ip_packets", ifc->non_ip_packets);
	mb_u64(&nw, "fragments", ifc->fragments);
	mb_u64(&nw, "unsupported_link", ifc->unsupported);
	mb_u64(&nw, "no_memory", ifc->no_memory);
	mb_init(&mal);
	for (int i = 1; i < MAL_COUNT; i++)
		mb_u64(&mal, dis_reason_name((enum dis_reason)i),
		    ifc->malformed[i]);
	mb_end(&mal, mb_key(&nw, "malformed"));
	mb_init(&l4);
	for (int i = 0; i < L4_COUNT; i++) {
		struct mapb e;
		mb_init(&e);
		mb_u64(&e, "packets", ifc->l4[i].t.pkts_sent);
		mb_u64(&e, "bytes", ifc->l4[i].t.bytes_sent);
		mb_u64(&e, "flows", ifc->l4[i].flows);
		mb_end(&e, mb_key(&l4, l4names[i]));
	}
	mb_end(&l4, mb_key(&nw, "l4"));
	mb_end(&nw, mb_key(&m, "netward"));
	mb_end(&m, pk);
}

void
m_get_throughput(struct call *c)
{
	struct mapb m;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_dbl(&m, "throughput_bps", c->ifc->thpt_bps);
	mb_dbl(&m, "throughput_pps", c->ifc->thpt_pps);
	mb_end(&m, &c->w->pk);
	pthread_mutex_unlock(&c->ifc->lock);
}

static void
pack_table_stats(struct mapb *top, const char *name, size_t entries,
    size_t buckets)
{
	struct mapb e;

	mb_init(&e);
	mb_u64(&e, "hash_entry_states.active", entries);
	mb_u64(&e, "num_entries", entries);
	mb_u64(&e, "max_entries", buckets);
	mb_end(&e, mb_key(top, name));
}

void
m_get_hash_tables_stats(struct call *c)
{
	struct mapb m;
	struct iface *ifc = c->ifc;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(ifc);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	pack_table_stats(&m, "FlowHash", ifc->flows.count, ifc->flows.nbuckets);
	pack_table_stats(&m, "HostHash", ifc->hosts.count, ifc->hosts.nbuckets);
	pack_table_stats(&m, "MacHash", ifc->macs.count, ifc->macs.nbuckets);
	pack_table_stats(&m, "VLANHash", iface_count_vlans(ifc), 4096);
	mb_end(&m, &c->w->pk);
	pthread_mutex_unlock(&ifc->lock);
}

/* netward has no internal queues between capture and state: packets are
 * accounted where they are read. What exists is pcap's own buffer. */
void
m_get_queues_stats(struct call *c)
{
	struct mapb m;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(c->ifc);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_u64(&m, "pcap_drops", c->ifc->drops);
	mb_end(&m, &c->w->pk);
	pthread_mutex_unlock(&c->ifc->lock);
}

struct afs {
	uint64_t flows, bytes, tcp, udp, other, one_way;
	uint64_t cli_local, srv_local;
};

static void
afs_flow(struct flow *f, void *arg)
{
	struct afs *a = arg;

	a->flows++;
	a->bytes += f->bytes[0] + f->bytes[1];
	if (f->l4proto == 6)
		a->tcp++;
	else if (f->l4proto == 17)
		a->udp++;
	else
		a->other++;
	if (f->pkts[DIR_S2C] == 0)
		a->one_way++;
	a->cli_local += f->cli_host && f->cli_host->local;
	a->srv_local += f->srv_host && f->srv_host->local;
}

void
m_get_active_flows_stats(struct call *c)
{
	struct afs a = { 0 };
	struct mapb m;

	if (!want_args(c, 0, 1))
		return;
	iface_walk_flows(c->ifc, afs_flow, &a);
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	mb_u64(&m, "num_flows", a.flows);
	mb_u64(&m, "bytes", a.bytes);
	mb_u64(&m, "tcp", a.tcp);
	mb_u64(&m, "udp", a.udp);
	mb_u64(&m, "other", a.other);
	mb_u64(&m, "one_way", a.one_way);
	mb_u64(&m, "cli_localhost", a.cli_local);
	mb_u64(&m, "srv_localhost", a.srv_local);
	mb_end(&m, &c->w->pk);
}

/* {l4 name = {num_flows, bytes, packets}} over active flows */
struct l4s {
	struct { uint64_t flows, bytes, pkts; } by[256];
	uint64_t vlan_flows[4096], vlan_bytes[4096];
};

static void
l4s_flow(struct flow *f, void *arg)
{
	struct l4s *s = arg;

	s->by[f->l4proto].flows++;
	s->by[f->l4proto].bytes += f->bytes[0] + f->bytes[1];
	s->by[f->l4proto].pkts += f->pkts[0] + f->pkts[1];
	s->vlan_flows[f->vlan & 4095]++;
	s->vlan_bytes[f->vlan & 4095] += f->bytes[0] + f->bytes[1];
}

static struct l4s *
gather_l4s(struct call *c)
{
	struct l4s *s;

	if (!want_args(c, 0, 0))
		return NULL;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		fail(c, IPC_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	iface_walk_flows(c->ifc, l4s_flow, s);
	return s;
}

void
m_get_protocol_flows_stats(struct call *c)
{
	struct l4s *s = gather_l4s(c);
	struct mapb m;

	if (s == NULL)
		return;
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	for (int p = 0; p < 256; p++) {
		struct mapb e;
		if (s->by[p].flows == 0)
			continue;
		mb_init(&e);
		mb_u64(&e, "proto_id", (uint64_t)p);
		mb_u64(&e, "num_flows", s->by[p].flows);
		mb_u64(&e, "bytes", s->by[p].bytes);
		mb_u64(&e, "packets", s->by[p].pkts);
		char key[16];
		if (strcmp(l4_name((uint8_t)p), "Other") == 0)
			snprintf(key, sizeof key, "%d", p);
		else
			snprintf(key, sizeof key, "%s", l4_name((uint8_t)p));
		mb_end(&e, mb_key(&m, key));
	}
	mb_end(&m, &c->w->pk);
	free(s);
}

void
m_get_vlan_flows_stats(struct call *c)
{
	struct l4s *s = gather_l4s(c);
	struct mapb m;
	char key[8];

	if (s == NULL)
		return;
	ipc_reply_begin(c->w, c->rq->id);
	mb_init(&m);
	for (int v = 0; v < 4096; v++) {
		struct mapb e;
		if (s->vlan_flows[v] == 0)
			continue;
		mb_init(&e);
		mb_u64(&e, "vlan_id", (uint64_t)v);
		mb_u64(&e, "num_flows", s->vlan_flows[v]);
		mb_u64(&e, "bytes", s->vlan_bytes[v]);
		snprintf(key, sizeof key, "%d", v);
		mb_end(&e, mb_key(&m, key));
	}
	mb_end(&m, &c->w->pk);
	free(s);
}

/* ([only_drops]): the "since reset" counters start again from now */
void
m_reset_counters(struct call *c)
{
	bool only_drops = false;

	if (!want_args(c, 0, 1) || !arg_bool(c, 0, false, &only_drops))
		return;
	iface_lock_rpc(c->ifc);
	c->ifc->reset.drops = c->ifc->drops;
	if (!only_drops) {
		c->ifc->reset.packets = c->ifc->packets;
		c->ifc->reset.bytes = c->ifc->bytes;
	}
	pthread_mutex_unlock(&c->ifc->lock);
	reply_bool(c, true);
}

void
m_get_stats_update_freq(struct call *c)
{
	if (!want_args(c, 0, 0))
		return;
	reply_u64(c, 5); /* periodic_stats_update_frequency_secs */
}
