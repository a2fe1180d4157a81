"""Compare netward's flows with the oracle (ndpiReader 4.2 -t) flow lists.

The oracle files are shared/pcaps/oracle/<capture>.flows.tsv; their
meaning is in shared/pcaps/README.md. Flows on our side are dicts keyed by
ntopng's flow field names (cli.ip, cli.port, srv.ip, srv.port, proto.l4 or
proto.l4_id, vlan, cli2srv.packets, cli2srv.bytes, srv2cli.packets,
srv2cli.bytes, proto.ndpi_id, proto.master_ndpi_id), as getFlowsInfo
returns them; load_tsv() turns a TSV (oracle or --dump-flows) into the
same dicts.

Flows are matched by the oracle's key (vlan, l4 protocol, unordered
endpoints). Parts of one key are summed (a monitor with idle expiry may
split a flow), and counters are compared per direction of the endpoints,
so a swapped client/server shows up as a difference.

Standard library only: run with /usr/bin/python3.
"""

import csv
import ipaddress
import sys

L4_NUMBERS = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPV6": 58,
              "IPv6-ICMP": 58, "IGMP": 2, "GRE": 47}


def l4_number(value):
    if isinstance(value, int):
        return value
    value = str(value)
    if value in L4_NUMBERS:
        return L4_NUMBERS[value]
    return int(value) if value.isdigit() else -1


def parse_proto_ids(text):
    """'7' / '91.126' / 'CAPWAP:18' -> (master, app)."""
    if ":" in text:          # tunnel prefix the oracle adds
        text = text.rsplit(":", 1)[1]
    parts = text.split(".")
    if len(parts) == 2:
        return int(parts[0]), int(parts[1])
    return 0, int(parts[0])


def norm_proto(master, app):
    """One representation for 'one known id' whichever field holds it."""
    master, app = int(master or 0), int(app or 0)
    if master and app and master != app:
        return master, app
    return 0, app or master


def load_tsv(path):
    """Rows of a flows.tsv as dicts with ntopng field names."""
    flows = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            master, app = parse_proto_ids(row["proto_ids"])
            flows.append({
                "proto.l4": row["l4"],
                "proto.l4_id": l4_number(row["l4"]),
                "cli.ip": row["cli_ip"], "cli.port": int(row["cli_port"]),
                "srv.ip": row["srv_ip"], "srv.port": int(row["srv_port"]),
                "vlan": int(row["vlan"]),
                "proto.master_ndpi_id": master, "proto.ndpi_id": app,
                "proto.ndpi": row["proto_names"],
                "cli2srv.packets": int(row["c2s_pkts"]),
                "cli2srv.bytes": int(row["c2s_bytes"]),
                "srv2cli.packets": int(row["s2c_pkts"]),
                "srv2cli.bytes": int(row["s2c_bytes"]),
                "host_server_name": row.get("sni", ""),
            })
    return flows


def norm_ip(text):
    """One spelling per address: ndpiReader writes '::' for a single zero
    group where inet_ntop writes ':0:'. Unparsable text (the oracle prints
    some fuzzed addresses with two '::') is kept as it is."""
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return text


def endpoints(f):
    return ((norm_ip(f["cli.ip"]), int(f["cli.port"])),
            (norm_ip(f["srv.ip"]), int(f["srv.port"])))


def flow_key(f):
    cli, srv = endpoints(f)
    l4 = f.get("proto.l4_id")
    if l4 is None:
        l4 = l4_number(f["proto.l4"])
    return (int(f.get("vlan", 0)), l4, frozenset((cli, srv)))


def aggregate(flows):
    """key -> {'dir': {(from_ep): [pkts, bytes]}, 'proto': set, 'n': parts}"""
    out = {}
    for f in flows:
        k = flow_key(f)
        cli, srv = endpoints(f)
        e = out.setdefault(k, {"dir": {}, "proto": set(), "n": 0})
        e["n"] += 1
        for ep, p, b in ((cli, "cli2srv.packets", "cli2srv.bytes"),
                         (srv, "srv2cli.packets", "srv2cli.bytes")):
            d = e["dir"].setdefault(ep, [0, 0])
            d[0] += int(f[p])
            d[1] += int(f[b])
        e["proto"].add(norm_proto(f.get("proto.master_ndpi_id", 0),
                                  f.get("proto.ndpi_id", 0)))
    return out


class Agreement:
    def __init__(self, name):
        self.name = name
        self.oracle_flows = 0
        self.our_flows = 0
        self.matched = 0        # key present on both sides
        self.traffic_equal = 0  # packets and bytes per direction equal
        self.proto_equal = 0    # app protocol (master, app) equal
        self.missing = []       # oracle keys we do not have
        self.extra = []         # our keys the oracle does not have
        self.diffs = []         # (key, what, oracle, ours)

    @property
    def flows_equal(self):
        return self.oracle_flows == self.our_flows

    @property
    def exact(self):
        return (self.flows_equal and self.matched == self.oracle_flows
                and self.traffic_equal == self.oracle_flows
                and self.proto_equal == self.oracle_flows)

    def pct(self, n):
        return 100.0 * n / self.oracle_flows if self.oracle_flows else 100.0

    def summary(self):
        return ("%-36s flows %4d/%-4d matched %6.1f%%  traffic %6.1f%%  "
                "proto %6.1f%%%s" % (
                    self.name, self.our_flows, self.oracle_flows,
                    self.pct(self.matched), self.pct(self.traffic_equal),
                    self.pct(self.proto_equal),
                    "  EXACT" if self.exact else ""))


def describe(key):
    vlan, l4, eps = key
    eps = sorted(eps) if len(eps) == 2 else list(eps) * 2
    return "vlan %d l4 %d %s:%d <-> %s:%d" % (
        vlan, l4, eps[0][0], eps[0][1], eps[1][0], eps[1][1])


def compare(name, oracle_flows, our_flows):
    ora, ours = aggregate(oracle_flows), aggregate(our_flows)
    a = Agreement(name)
    a.oracle_flows, a.our_flows = len(ora), len(ours)
    for k, o in ora.items():
        m = ours.get(k)
        if m is None:
            a.missing.append(k)
            continue
        a.matched += 1
        if o["dir"] == m["dir"]:
            a.traffic_equal += 1
        else:
            a.diffs.append((k, "traffic", o["dir"], m["dir"]))
        if o["proto"] == m["proto"]:
            a.proto_equal += 1
        else:
            a.diffs.append((k, "proto", sorted(o["proto"]),
                            sorted(m["proto"])))
    a.extra = [k for k in ours if k not in ora]
    return a


def report(a, out=sys.stdout, limit=5):
    print(a.summary(), file=out)
    for k in a.missing[:limit]:
        print("    missing  %s" % describe(k), file=out)
    for k in a.extra[:limit]:
        print("    extra    %s" % describe(k), file=out)
    for k, what, o, m in a.diffs[:limit]:
        print("    %-8s %s oracle=%s ours=%s" % (what, describe(k), o, m),
              file=out)


def main(argv):
    if len(argv) != 3:
        print("usage: oracle.py ORACLE.flows.tsv OURS.tsv", file=sys.stderr)
        return 2
    a = compare(argv[1], load_tsv(argv[1]), load_tsv(argv[2]))
    report(a, limit=50)
    return 0 if a.exact else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
