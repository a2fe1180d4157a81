/* TSV flow dump; see dump.h. Protocol ids are "master.app" when both are
 * known and differ, else the one known id, as the oracle prints them. */
#include "dump.h"

#include <netinet/in.h>

struct dump_ctx {
	struct iface *ifc;
	FILE *out;
	unsigned idx;
};

static const char *
oracle_l4_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_ICMPV6:
		return "ICMPV6";
	case IPPROTO_IGMP:
		return "IGMP";
	}
	snprintf(buf, len, "%u", p);
	return buf;
}

static void
dump_one(struct flow *f, void *arg)
{
	struct dump_ctx *d = arg;
	char cli[ADDR_STRLEN], srv[ADDR_STRLEN], l4[8], ids[16], name[64];
	uint16_t m = f->proto.master_protocol, a = f->proto.app_protocol;

	if (m != NDPI_PROTOCOL_UNKNOWN && a != NDPI_PROTOCOL_UNKNOWN && m != a)
		snprintf(ids, sizeof ids, "%u.%u", m, a);
	else
		snprintf(ids, sizeof ids, "%u", a ? a : m);
	ndpi_protocol2name(d->ifc->ndpi, f->proto, name, sizeof name);
	fprintf(d->out,
	    "%u\t%s\t%s\t%u\t%s\t%s\t%u\t%u\t%s\t%s\t%llu\t%llu\t%llu\t%llu"
	    "\t%s\t%s\t%s\n",
	    ++d->idx, oracle_l4_name(f->l4proto, l4, sizeof l4),
	    addr_fmt(f->ipver, f->cli_ip, cli), f->cli_port,
	    f->pkts[DIR_S2C] ? "<->" : "->", addr_fmt(f->ipver, f->srv_ip, srv),
	    f->srv_port, f->vlan, ids, name,
	    (unsigned long long)f->pkts[DIR_C2S],
	    (unsigned long long)f->bytes[DIR_C2S],
	    (unsigned long long)f->pkts[DIR_S2C],
	    (unsigned long long)f->bytes[DIR_S2C], f->host_server_name,
	    f->ja3c, f->ja3s);
}

void
dump_flows_tsv(struct iface *ifc, FILE *out)
{
	struct dump_ctx d = { ifc, out, 0 };

	fputs("idx\tl4\tcli_ip\tcli_port\tdir\tsrv_ip\tsrv_port\tvlan\t"
	      "proto_ids\tproto_names\tc2s_pkts\tc2s_bytes\ts2c_pkts\t"
	      "s2c_bytes\tsni\tja3c\tja3s\n",
	    out);
	ft_foreach(&ifc->flows, dump_one, &d);
}
