#!/usr/bin/python3
"""getGroupedFlows and a host's contacted peers against the oracle.

netward reads public captures whose flows agree exactly with ndpiReader's
(test_flows_oracle_e2e.py); this test computes from the oracle's flow
lists (shared/pcaps/oracle), on its own:

- per client and per server address, and per server port: the number of
  flows, bytes, packets and bytes per direction, and checks
  interface.getGroupedFlows({group_by = ...}) gives exactly those groups;
- per host (address, VLAN): its distinct peers, counted as client when
  the host opened any flow with that peer, as server otherwise, and
  checks "contacts.as_client", "contacts.as_server" and
  "contacted_peers" of every host of interface.getInterfaceHosts(true),
  and of interface.getHostInfo and interface.findHost for a few hosts
  (the one-host path)."""
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ifcall  # noqa: E402
import oracle  # noqa: E402
from harness import ORACLE_DIR, PCAP_DIR, Netward, check  # noqa: E402

CAPTURES = [
    "1kxun.pcap",        # many hosts, IPv6
    "mongodb.pcap",      # 802.1Q: hosts keyed ip@vlan
    "teams.pcap",        # a host with 34 peers
    "iphone.pcap",
    "http_ipv6.pcap",
    "6in4tunnel.pcap",
]


def host_key(ip, vlan):
    return f"{ip}@{vlan}" if vlan else ip


def expected_groups(flows, by):
    out = collections.defaultdict(lambda: [0, 0, 0, 0, 0])
    for f in flows:
        if by == "client":
            k = oracle.norm_ip(f["cli.ip"])
        elif by == "server":
            k = oracle.norm_ip(f["srv.ip"])
        else:
            k = str(f["srv.port"])
        g = out[k]
        c2s, s2c = f["cli2srv.bytes"], f["srv2cli.bytes"]
        g[0] += 1
        g[1] += c2s + s2c
        g[2] += f["cli2srv.packets"] + f["srv2cli.packets"]
        g[3] += c2s
        g[4] += s2c
    return {k: tuple(v) for k, v in out.items()}


def got_groups(answer):
    out = {}
    for g in answer["groups"]:
        k = oracle.norm_ip(g["key"]) if ":" in g["key"] else g["key"]
        check(k not in out, f"group {k} listed twice")
        out[k] = (g["num_flows"], g["bytes"], g["packets"],
                  g["cli2srv.bytes"], g["srv2cli.bytes"])
    check(answer["numGroups"] == len(out),
          f"numGroups {answer['numGroups']} but {len(out)} groups")
    return out


def peer_roles(flows):
    """host key -> {peer key: 1 (host was client) | 2 (was server)}"""
    roles = collections.defaultdict(dict)
    for f in flows:
        v = f["vlan"]
        c = host_key(oracle.norm_ip(f["cli.ip"]), v)
        s = host_key(oracle.norm_ip(f["srv.ip"]), v)
        roles[c][s] = roles[c].get(s, 0) | 1
        roles[s][c] = roles[s].get(c, 0) | 2
    return roles


def expected_peers(flows):
    """host key -> (as_client, as_server, set of peer keys)"""
    out = {}
    for h, peers in peer_roles(flows).items():
        as_cli = sum(1 for r in peers.values() if r & 1)
        out[h] = (as_cli, len(peers) - as_cli, set(peers))
    return out


def got_peers(h):
    peers = [host_key(oracle.norm_ip(p.split("@")[0]),
                      int(p.split("@")[1]) if "@" in p else 0)
             for p in h.get("contacted_peers", [])]
    check(len(peers) == len(set(peers)), f"a peer listed twice: {peers}")
    return (h["contacts.as_client"], h["contacts.as_server"], set(peers))


def compare_groups(name, flows, answers):
    bad = 0
    for by in ("client", "server", "srv.port"):
        want = expected_groups(flows, by)
        a = answers[by]
        check("ok" in a, f"{name}: getGroupedFlows {by}: {a}")
        got = got_groups(a["ok"])
        for k in sorted(set(want) | set(got)):
            if want.get(k) != got.get(k):
                print(f"    {name} group {by} {k}: oracle {want.get(k)} "
                      f"ours {got.get(k)}")
                bad += 1
        print(f"{name:24} group_by {by:8} {len(got)}/{len(want)} groups")
    return bad


def compare_peers(name, flows, hosts, singles):
    want = expected_peers(flows)
    bad = both = 0
    seen = set()
    for h in hosts:
        k = host_key(oracle.norm_ip(h["ip"]), h["vlan"])
        seen.add(k)
        exp = want.get(k, (0, 0, set()))
        if got_peers(h) != exp:
            print(f"    {name} peers of {k}: oracle {exp} ours "
                  f"{got_peers(h)}")
            bad += 1
    for k in set(want) - seen:
        print(f"    {name}: host {k} of the oracle not listed")
        bad += 1
    for k, a in singles.items():
        check("ok" in a, f"{name}: {k}: {a}")
        host = a["ok"]
        hk = host_key(oracle.norm_ip(host["ip"]), host["vlan"])
        if got_peers(host) != want.get(hk):
            print(f"    {name} {k}: oracle {want.get(hk)} ours "
                  f"{got_peers(host)}")
            bad += 1
    for h, peers in peer_roles(flows).items():
        both += sum(1 for r in peers.values() if r == 3)
    print(f"{name:24} peers of {len(hosts)} hosts "
          f"(+{len(singles)} one-host calls), {sum(len(p) for _, _, p in want.values())}"
          f" host-peer pairs, {both} with the host in both roles")
    return bad


def main():
    pcaps = [os.path.join(PCAP_DIR, c) for c in CAPTURES]
    bad = 0
    with Netward(pcaps) as nw:
        for ifid, name in enumerate(CAPTURES):
            nw.wait_ingested(ifid)
            flows = oracle.load_tsv(os.path.join(ORACLE_DIR,
                                                 name + ".flows.tsv"))
            want = expected_peers(flows)
            # the host with most peers, and one with a VLAN if any
            few = sorted(want, key=lambda k: -len(want[k][2]))[:2]
            calls = {
                # runs first: the calls below go to this capture
                "select": f'select("{ifid}")',
                "client": 'getGroupedFlows({group_by = "client"})',
                "server": 'getGroupedFlows({group_by = "server"})',
                "srv.port": 'getGroupedFlows({group_by = "srv.port"})',
                "hosts": "getInterfaceHosts(true)",
            }
            for k in few:
                ip, _, vlan = k.partition("@")
                calls[f"getHostInfo {k}"] = \
                    f'getHostInfo("{ip}", {int(vlan or 0)})'
                calls[f"findHost {k}"] = f'findHost("{k}")'
            ans = ifcall.run(nw, calls, ifid)
            bad += compare_groups(name, flows, ans)
            check("ok" in ans["hosts"], f"{name}: hosts: {ans['hosts']}")
            singles = {k: v for k, v in ans.items()
                       if k.startswith(("getHostInfo", "findHost"))}
            bad += compare_peers(name, flows, ans["hosts"]["ok"], singles)
    check(bad == 0, f"{bad} groups or hosts differ from the oracle")
    print("grouped flows and contacted peers agree with the oracle")


if __name__ == "__main__":
    main()
