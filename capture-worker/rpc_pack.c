/* ntopng-shaped maps; see rpc_pack.h. Times are epoch seconds as in
 * ntopng; a name we cannot fill truthfully is left out. */
#include "rpc_pack.h"

#include "flow_risk.h"
#include "host_info.h"
#include "host_peers.h"
#include "host_pools.h"
#include "rpc_common.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
mb_init(struct mapb *m)
{
	ipc_writer_init(&m->w);
	m->n = 0;
}

msgpack_packer *
mb_key(struct mapb *m, const char *key)
{
	ipc_pack_key(&m->w.pk, key);
	m->n++;
	return &m->w.pk;
}

void
mb_str(struct mapb *m, const char *key, const char *val)
{
	ipc_pack_kv_str(&m->w.pk, key, val);
	m->n++;
}

void
mb_u64(struct mapb *m, const char *key, uint64_t val)
{
	ipc_pack_kv_u64(&m->w.pk, key, val);
	m->n++;
}

void
mb_i64(struct mapb *m, const char *key, int64_t val)
{
	ipc_pack_kv_i64(&m->w.pk, key, val);
	m->n++;
}

void
mb_dbl(struct mapb *m, const char *key, double val)
{
	ipc_pack_kv_double(&m->w.pk, key, val);
	m->n++;
}

void
mb_bool(struct mapb *m, const char *key, bool val)
{
	ipc_pack_kv_bool(&m->w.pk, key, val);
	m->n++;
}

void
mb_end(struct mapb *m, msgpack_packer *out)
{
	msgpack_pack_map(out, m->n);
	if (m->w.sb.size)
		out->callback(out->data, m->w.sb.data, m->w.sb.size);
	ipc_writer_free(&m->w);
}

static uint64_t
secs(uint64_t us)
{
	return us / 1000000u;
}

static bool
is_tls(uint16_t p)
{
	return p == NDPI_PROTOCOL_TLS || p == NDPI_PROTOCOL_QUIC ||
	    p == NDPI_PROTOCOL_DTLS;
}

/* ntopng's score fields: score = {flow_score, client_score,
 * server_score}, flow.alerted, predominant_alert(_score). */
static void
pack_flow_score(struct mapb *m, const struct flow *f)
{
	struct mapb sc;

	mb_init(&sc);
	mb_u64(&sc, "flow_score", f->score);
	mb_u64(&sc, "client_score", f->cli_score);
	mb_u64(&sc, "server_score", f->srv_score);
	mb_end(&sc, mb_key(m, "score"));
	mb_u64(m, "flow_score", f->score);
	mb_u64(m, "client_score", f->cli_score);
	mb_u64(m, "server_score", f->srv_score);
	mb_bool(m, "flow.alerted", f->score > 0);
	if (f->score > 0) {
		int p = fr_predominant(f->risk);
		mb_u64(m, "predominant_alert", (uint64_t)p);
		mb_u64(m, "predominant_alert_score",
		    fr_risk_score(p, NULL, NULL));
	}
}

void
pack_flow(struct iface *ifc, const struct flow *f, msgpack_packer *pk)
{
	struct mapb m;
	char cli[ADDR_STRLEN], srv[ADDR_STRLEN], name[64];
	uint16_t sp = flow_stats_proto(f);

	mb_init(&m);
	mb_str(&m, "cli.ip", addr_fmt(f->ipver, f->cli_ip, cli));
	mb_u64(&m, "cli.port", f->cli_port);
	mb_str(&m, "srv.ip", addr_fmt(f->ipver, f->srv_ip, srv));
	mb_u64(&m, "srv.port", f->srv_port);
	mb_u64(&m, "vlan", f->vlan);
	mb_str(&m, "proto.l4", l4_name(f->l4proto));
	mb_u64(&m, "proto.l4_id", f->l4proto);
	ndpi_protocol2name(ifc->ndpi, f->proto, name, sizeof name);
	mb_str(&m, "proto.ndpi", name);
	mb_u64(&m, "proto.ndpi_id", f->proto.app_protocol);
	mb_u64(&m, "proto.master_ndpi_id", f->proto.master_protocol);
	mb_str(&m, "proto.ndpi_cat",
	    ndpi_category_get_name(ifc->ndpi, f->proto.category));
	mb_u64(&m, "proto.ndpi_cat_id", f->proto.category);
	mb_str(&m, "proto.ndpi_breed",
	    ndpi_get_proto_breed_name(ifc->ndpi,
		ndpi_get_proto_breed(ifc->ndpi, sp)));
	mb_bool(&m, "proto.is_encrypted",
	    ndpi_is_encrypted_proto(ifc->ndpi, f->proto) != 0);
	mb_u64(&m, "cli2srv.packets", f->pkts[DIR_C2S]);
	mb_u64(&m, "cli2srv.bytes", f->bytes[DIR_C2S]);
	mb_u64(&m, "srv2cli.packets", f->pkts[DIR_S2C]);
	mb_u64(&m, "srv2cli.bytes", f->bytes[DIR_S2C]);
	mb_u64(&m, "packets", f->pkts[0] + f->pkts[1]);
	mb_u64(&m, "bytes", f->bytes[0] + f->bytes[1]);
	mb_u64(&m, "seen.first", secs(f->first_us));
	mb_u64(&m, "seen.last", secs(f->last_us));
	mb_u64(&m, "first_seen", secs(f->first_us));
	mb_u64(&m, "last_seen", secs(f->last_us));
	mb_u64(&m, "duration", secs(f->last_us) - secs(f->first_us));
	if (f->host_server_name[0])
		mb_str(&m, "host_server_name", f->host_server_name);
	if (f->host_server_name[0] &&
	    (is_tls(f->proto.master_protocol) || is_tls(f->proto.app_protocol)))
		mb_str(&m, "protos.tls.client_requested_server_name",
		    f->host_server_name);
	mb_bool(&m, "cli.localhost", f->cli_host && f->cli_host->local);
	mb_bool(&m, "srv.localhost", f->srv_host && f->srv_host->local);
	mb_u64(&m, "ntopng.key", flow_key32(f));
	mb_u64(&m, "hash_entry_id", f->id);
	if (f->l4proto == IPPROTO_TCP) {
		mb_u64(&m, "cli2srv.tcp_flags", f->tcp_flags[DIR_C2S]);
		mb_u64(&m, "srv2cli.tcp_flags", f->tcp_flags[DIR_S2C]);
	}
	pack_flow_score(&m, f);
	mb_end(&m, pk);
}

const char *
host_key(const struct host *h, char *buf, size_t len)
{
	char ip[ADDR_STRLEN];

	addr_fmt(h->ipver, h->ip, ip);
	if (h->vlan)
		snprintf(buf, len, "%s@%u", ip, h->vlan);
	else
		snprintf(buf, len, "%s", ip);
	return buf;
}

static void
pack_traffic(struct mapb *m, const struct traffic *t)
{
	mb_u64(m, "bytes.sent", t->bytes_sent);
	mb_u64(m, "bytes.rcvd", t->bytes_rcvd);
	mb_u64(m, "packets.sent", t->pkts_sent);
	mb_u64(m, "packets.rcvd", t->pkts_rcvd);
}

static void
pack_host_protos(struct iface *ifc, const struct host *h, struct mapb *out)
{
	struct mapb m;

	mb_init(&m);
	for (uint16_t i = 0; i < h->nprotos; i++) {
		const struct host_proto *hp = &h->protos[i];
		struct mapb e;
		mb_init(&e);
		pack_traffic(&e, &hp->t);
		mb_u64(&e, "num_flows", hp->flows);
		mb_str(&e, "breed", ndpi_get_proto_breed_name(ifc->ndpi,
		    ndpi_get_proto_breed(ifc->ndpi, hp->proto)));
		mb_end(&e, mb_key(&m, ndpi_get_proto_name(ifc->ndpi,
		    hp->proto)));
	}
	mb_end(&m, mb_key(out, "ndpi"));
}

/* names seen: {dns = [...], tls = [...], http = [...], dhcp = name} */
static void
pack_host_names(const struct host *h, struct mapb *out)
{
	static const char *const src[] = { "", "dns", "tls", "http", "dhcp" };
	struct mapb m;
	const char *dns = host_dns_name(h);

	mb_init(&m);
	if (dns)
		mb_str(&m, "dns", dns);
	for (unsigned i = 0; i < h->nnames; i++) {
		char key[16];
		snprintf(key, sizeof key, "%s.%u", src[h->name_src[i] % 5], i);
		mb_str(&m, key, h->names[i]);
	}
	if (h->dhcp_name[0])
		mb_str(&m, "dhcp", h->dhcp_name);
	mb_end(&m, mb_key(out, "names"));
}

void
pack_host(struct iface *ifc, const struct host *h,
    const struct host_peers *details, msgpack_packer *pk)
{
	struct mapb m;
	char ip[ADDR_STRLEN], key[ADDR_STRLEN + 8];

	mb_init(&m);
	mb_str(&m, "ip", addr_fmt(h->ipver, h->ip, ip));
	mb_u64(&m, "vlan", h->vlan);
	{
		/* a name seen in the traffic, else the address as ntopng */
		const char *n = host_display_name(h);
		mb_str(&m, "name", n ? n : ip);
	}
	if (h->has_mac) {
		char mac[18];
		mb_str(&m, "mac", mac_fmt(h->mac, mac));
	}
	mb_u64(&m, "os", h->os);
	mb_str(&m, "os_detail", host_os_name(h->os));
	mb_u64(&m, "host_pool_id", hp_pool_id_of(h));
	if (h->country[0])
		mb_str(&m, "country", h->country);
	if (h->asn) {
		mb_u64(&m, "asn", h->asn);
		mb_str(&m, "asname", h->asname);
	}
	if (h->local && localnets_index(&ifc->nets, h->ipver, h->ip) >= 0)
		mb_u64(&m, "local_network_id",
		    (uint64_t)localnets_index(&ifc->nets, h->ipver, h->ip));
	mb_bool(&m, "is_rx_only", h->t.pkts_sent == 0);
	mb_str(&m, "tskey", host_key(h, key, sizeof key));
	mb_u64(&m, "ip_version", h->ipver);
	if (h->ipver == 4)
		mb_u64(&m, "ipkey", (uint64_t)h->ip[0] << 24 |
		    (uint64_t)h->ip[1] << 16 | (uint64_t)h->ip[2] << 8 |
		    h->ip[3]);
	mb_bool(&m, "localhost", h->local);
	mb_bool(&m, "privatehost", addr_is_private(h->ipver, h->ip));
	mb_bool(&m, "is_multicast", addr_is_multicast(h->ipver, h->ip));
	mb_bool(&m, "is_broadcast", addr_is_broadcast(h->ipver, h->ip));
	pack_traffic(&m, &h->t);
	mb_u64(&m, "seen.first", secs(h->first_us));
	mb_u64(&m, "seen.last", secs(h->last_us));
	mb_u64(&m, "duration", secs(h->last_us) - secs(h->first_us));
	mb_u64(&m, "active_flows.as_client", h->active_as_client);
	mb_u64(&m, "active_flows.as_server", h->active_as_server);
	mb_u64(&m, "total_flows.as_client", h->total_as_client);
	mb_u64(&m, "total_flows.as_server", h->total_as_server);
	mb_u64(&m, "score", h->score_as_cli + h->score_as_srv);
	mb_u64(&m, "score_as_cli", h->score_as_cli);
	mb_u64(&m, "score_as_srv", h->score_as_srv);
	mb_u64(&m, "alerted_flows.as_client", h->alerted_as_cli);
	mb_u64(&m, "alerted_flows.as_server", h->alerted_as_srv);
	if (details) {
		pack_host_protos(ifc, h, &m);
		pack_host_names(h, &m);
		peers_pack(details, h->id, &m);
		pack_host_assets(h, &m);
		pack_host_cats_seen(ifc, h, &m);
	}
	mb_end(&m, pk);
}

/* Category totals of a host, derived from its protocols' categories. */
static void
host_categories(struct iface *ifc, const struct host *h,
    struct proto_totals *cat)
{
	memset(cat, 0, sizeof(*cat) * NDPI_PROTOCOL_NUM_CATEGORIES);
	for (uint16_t i = 0; i < h->nprotos; i++) {
		ndpi_protocol p = { NDPI_PROTOCOL_UNKNOWN, h->protos[i].proto,
			NDPI_PROTOCOL_CATEGORY_UNSPECIFIED };
		unsigned c = ndpi_get_proto_category(ifc->ndpi, p);
		if (c >= NDPI_PROTOCOL_NUM_CATEGORIES)
			continue;
		cat[c].t.bytes_sent += h->protos[i].t.bytes_sent;
		cat[c].t.bytes_rcvd += h->protos[i].t.bytes_rcvd;
		cat[c].t.pkts_sent += h->protos[i].t.pkts_sent;
		cat[c].t.pkts_rcvd += h->protos[i].t.pkts_rcvd;
		cat[c].flows += h->protos[i].flows;
	}
}

static void
pack_proto_entry(struct iface *ifc, struct mapb *m, uint16_t id,
    const struct traffic *t, uint64_t flows)
{
	struct mapb e;

	mb_init(&e);
	pack_traffic(&e, t);
	mb_u64(&e, "num_flows", flows);
	mb_str(&e, "breed", ndpi_get_proto_breed_name(ifc->ndpi,
	    ndpi_get_proto_breed(ifc->ndpi, id)));
	mb_end(&e, mb_key(m, ndpi_get_proto_name(ifc->ndpi, id)));
}

void
pack_ndpi_stats(struct iface *ifc, const struct host *h, msgpack_packer *pk)
{
	struct proto_totals hcat[NDPI_PROTOCOL_NUM_CATEGORIES];
	const struct proto_totals *cat = ifc->cat;
	struct mapb top, m;

	mb_init(&top);
	mb_init(&m);
	if (h) {
		for (uint16_t i = 0; i < h->nprotos; i++)
			pack_proto_entry(ifc, &m, h->protos[i].proto,
			    &h->protos[i].t, h->protos[i].flows);
		host_categories(ifc, h, hcat);
		cat = hcat;
	} else {
		for (uint32_t i = 0; i < ifc->nprotos; i++)
			if (ifc->proto[i].flows)
				pack_proto_entry(ifc, &m, (uint16_t)i,
				    &ifc->proto[i].t, ifc->proto[i].flows);
	}
	mb_end(&m, mb_key(&top, "ndpi"));

	mb_init(&m);
	for (unsigned c = 0; c < NDPI_PROTOCOL_NUM_CATEGORIES; c++) {
		const struct traffic *t = &cat[c].t;
		uint64_t bytes = t->bytes_sent + t->bytes_rcvd;
		struct mapb e;
		if (cat[c].flows == 0 && bytes == 0)
			continue;
		mb_init(&e);
		mb_u64(&e, "category", c);
		mb_u64(&e, "bytes", bytes);
		mb_u64(&e, "bytes.sent", t->bytes_sent);
		mb_u64(&e, "bytes.rcvd", t->bytes_rcvd);
		mb_u64(&e, "num_flows", cat[c].flows);
		mb_end(&e, mb_key(&m, ndpi_category_get_name(ifc->ndpi,
		    (ndpi_protocol_category_t)c)));
	}
	mb_end(&m, mb_key(&top, "ndpi_categories"));
	mb_end(&top, pk);
}
