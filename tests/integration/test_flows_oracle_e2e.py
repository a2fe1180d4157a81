#!/usr/bin/python3
"""The whole system against the oracle: one netward reads 14 public
captures at once (one capture worker each); the flows a Lua script gets
from interface.getFlowsInfo and the flows of the REST listing must match
ndpiReader's (shared/pcaps/oracle) in number, 5-tuple, packets and bytes
per direction and nDPI protocol.

The bar: every capture here agrees exactly (test_capture_oracle.py covers
all 52 files and explains the few inherent differences; none of those is
in this set). The figure is printed."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402
from harness import (ORACLE_DIR, PCAP_DIR, SOURCE_DIR, Netward,  # noqa: E402
                     check)

CAPTURES = [
    "1kxun.pcap",            # pcapng content, mixed apps, IPv6
    "6in4tunnel.pcap",       # IPv6 in IPv4
    "4in4tunnel.pcap",       # IPv4 in IPv4 under 802.1Q
    "http_ipv6.pcap",
    "dns_fragmented.pcap",   # IPv4 fragments
    "mongodb.pcap",          # 802.1Q
    "BGP_redist.pcap",       # Cisco HDLC, MPLS
    "dlt_ppp.pcap",          # PPP link type
    "KakaoTalk_chat.pcap",
    "quic-33.pcapng",
    "iphone.pcap",
    "tor.pcap",
    "gre.pcapng",            # GRE kept as one outer flow, as the oracle
    "teams.pcap",
]
LUA_DUMP = os.path.join(SOURCE_DIR, "tests", "data", "lua", "dump_flows.lua")
PATH = "/lua/rest/v2/get/flow/active.lua"


def rest_flows(nw, ifid):
    """All flows of the REST listing: (key, bytes, l7 name) per flow."""
    out, page = [], 1
    while True:
        rsp = nw.rest(PATH, {"ifid": ifid, "perPage": 200,
                             "currentPage": page})
        for f in rsp["data"]:
            key = oracle.flow_key({
                "cli.ip": f["client"]["ip"], "cli.port": f["client"]["port"],
                "srv.ip": f["server"]["ip"], "srv.port": f["server"]["port"],
                "vlan": f["vlan"], "proto.l4": f["protocol"]["l4"]})
            out.append((key, f["bytes"], f["protocol"]["l7"]))
        if page * 200 >= rsp["totalRows"]:
            return out, rsp["totalRows"]
        page += 1


def compare_rest(name, ora, rest):
    """The REST listing carries total bytes and the protocol name: both
    must equal the oracle's for every flow, and no flow may be missing."""
    want = {}
    for f in ora:
        k = oracle.flow_key(f)
        b, names = want.get(k, (0, set()))
        want[k] = (b + f["cli2srv.bytes"] + f["srv2cli.bytes"],
                   names | {f["proto.ndpi"]})
    got = {}
    for k, b, l7 in rest:
        gb, names = got.get(k, (0, set()))
        got[k] = (gb + b, names | {l7})
    agree = sum(1 for k in want if got.get(k) == want[k])
    for k in list(want)[:200]:
        if got.get(k) != want[k]:
            print(f"    rest differs {oracle.describe(k)}: oracle {want[k]} "
                  f"ours {got.get(k)}")
            break
    return agree, len(want), agree == len(want) == len(got)


def main():
    import json
    pcaps = [os.path.join(PCAP_DIR, c) for c in CAPTURES]
    total = agree = 0
    failures = []
    with Netward(pcaps) as nw:
        for ifid, name in enumerate(CAPTURES):
            nw.wait_ingested(ifid)
            ora = oracle.load_tsv(os.path.join(ORACLE_DIR, name + ".flows.tsv"))
            lua = json.loads(nw.lua_exec(LUA_DUMP, get={"ifid": ifid}))
            rest, total_rows = rest_flows(nw, ifid)
            check(total_rows == len(rest), f"{name}: totalRows {total_rows} "
                  f"but {len(rest)} rows")
            a = oracle.compare(f"{name} (lua)", ora, lua)
            oracle.report(a, limit=3)
            total += a.oracle_flows
            agree += a.matched - len({k for k, _, _, _ in a.diffs})
            if not a.exact:
                failures.append(f"{name} via Lua")
            r_agree, r_total, exact = compare_rest(name, ora, rest)
            print(f"{name + ' (rest)':36} {r_agree}/{r_total} flows agree "
                  "in key, bytes and protocol name")
            total += r_total
            agree += r_agree
            if not exact:
                failures.append(f"{name} via REST")
    figure = agree / total if total else 0.0
    print(f"\nagreement: {agree}/{total} oracle flows ({100 * figure:.2f}%) "
          f"over {len(CAPTURES)} captures via Lua and REST")
    check(not failures, "not exact: " + ", ".join(failures))


if __name__ == "__main__":
    main()
