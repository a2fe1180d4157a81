#!/usr/bin/python3
"""Host pools (section 12) and the service and periodicity maps (section
14) on real captures, against values computed without netward: the
oracle's flow list (ndpiReader: endpoints, protocol, bytes and packets
per direction) and tshark (flow start times, source MACs).

- Pool 0 holds every host; its traffic is that of the flows with a local
  end, seen from that end (the client's when both are local).
- Service map: one edge per (client, server, server port, l4, VLAN,
  application protocol) of TCP/UDP flows; num_uses = flows of the edge.
- Periodicity map: per (client, server, server port, l4, VLAN), the
  intervals between successive flow starts (packet time); an interval
  repeats when within max(1 s, 10 %) of the candidate, intervals under
  5 s reset it; listed once it repeated.
Bad arguments must give errors, never a made-up answer."""
import collections
import ipaddress
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402
from harness import ORACLE_DIR, SHARED_DIR, Netward, check  # noqa: E402
from independent import ethernet_totals  # noqa: E402
import ifcall  # noqa: E402

PUB = os.path.join(SHARED_DIR, "pcaps", "public")
KXUN = os.path.join(PUB, "1kxun.pcap")
LOCAL = ipaddress.ip_network("192.168.0.0/16")
PERIODIC_CAPTURES = ["1kxun.pcap", "alexa-app.pcapng", "instagram.pcap",
                     "teams.pcap"]


def is_local(ip):
    a = ipaddress.ip_address(ip)
    return a.version == 4 and a in LOCAL


def tshark_flow_starts(pcap):
    """{(vlan, l4, frozenset(endpoints)): (start_us, cli, srv, srv_port)}
    of the TCP/UDP flows of pcap: the first packet of each unordered
    5-tuple; its sender is the client (no expiry: a file is whole)."""
    cmd = ["tshark", "-r", pcap, "-T", "fields", "-E", "occurrence=l",
           "-e", "frame.time_epoch", "-e", "ip.src", "-e", "ip.dst",
           "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "tcp.srcport",
           "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport",
           "-e", "vlan.id"]
    out = subprocess.run(cmd, capture_output=True, text=True,
                         check=True).stdout
    flows = {}
    for ln in out.splitlines():
        t, s4, d4, s6, d6, ts, td, us, ud, v = ln.split("\t")
        src, dst = s4 or s6, d4 or d6
        if not src:
            continue
        src = ipaddress.ip_address(src).compressed
        dst = ipaddress.ip_address(dst).compressed
        if ts:
            l4, sp, dp = 6, int(ts), int(td)
        elif us:
            l4, sp, dp = 17, int(us), int(ud)
        else:
            continue
        sec, _, frac = t.partition(".")
        start = int(sec) * 1000000 + int((frac + "000000")[:6])
        key = (int(v or 0), l4, frozenset([(src, sp), (dst, dp)]))
        if key not in flows:
            flows[key] = (start, src, dst, dp)
    return flows


def expected_periodicity(pcap):
    """{(cli, srv, port, l4, vlan): (frequency_s, loops, nflows)} of the
    periodic keys, by the rule of capture-worker/behaviour.h."""
    starts = collections.defaultdict(list)
    for (vlan, l4, _), (t, cli, srv, port) in tshark_flow_starts(
            pcap).items():
        starts[(cli, srv, port, l4, vlan)].append(t)
    want = {}
    for k, ts in starts.items():
        ts.sort()
        cand, loops = 0, 0
        for a, b in zip(ts, ts[1:]):
            d = b - a
            if d < 5000000:
                cand, loops = 0, 0
                continue
            if cand and abs(d - cand) <= max(1000000, cand // 10):
                loops += 1
                continue
            cand, loops = d, 0
        if loops:
            want[k] = ((cand + 500000) // 1000000, loops, len(ts))
    return want


def oracle_flows(name):
    return oracle.load_tsv(os.path.join(ORACLE_DIR, name + ".flows.tsv"))


def stats_proto(f):
    master, app = oracle.norm_proto(f["proto.master_ndpi_id"],
                                    f["proto.ndpi_id"])
    return app or master


def test_pools():
    flows = oracle_flows("1kxun.pcap")
    want = {"bytes.sent": 0, "bytes.rcvd": 0, "packets.sent": 0,
            "packets.rcvd": 0}
    http = dict(want)
    for f in flows:
        if is_local(f["cli.ip"]):
            side = ("cli2srv", "srv2cli")
        elif is_local(f["srv.ip"]):
            side = ("srv2cli", "cli2srv")
        else:
            continue
        add = {"bytes.sent": f[side[0] + ".bytes"],
               "packets.sent": f[side[0] + ".packets"],
               "bytes.rcvd": f[side[1] + ".bytes"],
               "packets.rcvd": f[side[1] + ".packets"]}
        for k, v in add.items():
            want[k] += v
            if stats_proto(f) == 7:  # HTTP
                http[k] += v
    hosts = ethernet_totals(KXUN)["hosts"]
    out = subprocess.run(["tshark", "-r", KXUN, "-T", "fields", "-e",
                          "eth.src"], capture_output=True, text=True,
                         check=True).stdout
    macs = {m for m in out.split() if m}

    with Netward([KXUN], ["-m", str(LOCAL)]) as nw:
        nw.wait_ingested(0)
        r = ifcall.run(nw, {
            "info": "getHostPoolsInfo()",
            "all": "getHostPoolsStats()",
            "p0": "getHostPoolStats(0)",
            "p0s": 'getHostPoolStats("0")',
            "p1": "getHostPoolStats(1)",
            "bad1": "getHostPoolStats(-1)",
            "bad2": "getHostPoolStats(70000)",
            "bad3": 'getHostPoolStats("x")',
            "bad4": "getHostPoolStats()",
            "bad5": "getHostPoolsStats(1)",
            "quota": 'getHostUsedQuotasStats("192.168.1.1", 0)',
            "reset": "resetPoolsQuotas()",
            "bl": "getPoolDynamicBlacklistMembers(0)",
            "nhosts": "getNumHosts()",
        })
    p0 = r["p0"]["ok"]
    for k, v in want.items():
        check(p0[k] == v, f"pool 0 {k}: {p0[k]} != {v} (oracle)")
    check(p0["bytes"] == want["bytes.sent"] + want["bytes.rcvd"], "bytes")
    check(sum(e["bytes.sent"] + e["bytes.rcvd"]
              for e in p0["ndpi"].values()) == p0["bytes"],
          "ndpi breakdown sums to the pool's bytes")
    for k, v in http.items():
        check(p0["ndpi"]["HTTP"][k] == v, f"HTTP {k} {p0['ndpi']['HTTP']}")
    check(p0["num_hosts"] == len(hosts) == r["nhosts"]["ok"],
          f"num_hosts {p0['num_hosts']} != {len(hosts)}")
    check(p0["seen.first"] == 1470104373 and p0["seen.last"] <= 1470104433,
          f"seen {p0['seen.first']} {p0['seen.last']}")
    check(r["all"]["ok"] == {"0": p0} or r["all"]["ok"] == [p0] or
          r["all"]["ok"].get(0) == p0 or r["all"]["ok"].get("0") == p0,
          f"getHostPoolsStats {list(r['all']['ok'])}")
    check(r["p0s"]["ok"] == p0, "pool id as a string")
    check(r["p1"].get("isnil"), "a pool that does not exist is nil")
    info = r["info"]["ok"]
    check(info["num_members_per_pool"]["0"] ==
          {"num_hosts": len(hosts), "num_l2_devices": len(macs)},
          f"members {info} hosts {len(hosts)} macs {len(macs)}")
    check(info["num_members"] == {"num_hosts": len(hosts),
                                  "num_l2_devices": len(macs),
                                  "num_active_pools": 1}, f"{info}")
    for k in ("bad1", "bad2", "bad3", "bad4", "bad5"):
        check("err" in r[k], f"{k}: {r[k]}")
    for k in ("quota", "reset", "bl"):
        check("not available in netward" in r[k].get("err", ""),
              f"{k}: {r[k]}")
    print(f"pools: pool 0 = {p0['bytes']} bytes, {p0['num_hosts']} hosts, "
          f"{len(macs)} L2 devices, as the oracle and tshark")


def expected_services(name, pcap):
    starts = tshark_flow_starts(pcap)
    edges = {}
    for f in oracle_flows(name):
        l4 = f["proto.l4_id"]
        if l4 not in (6, 17):
            continue
        cli, srv = oracle.endpoints(f)
        key5 = (f["vlan"], l4, frozenset([cli, srv]))
        start = starts[key5][0]
        k = (cli[0], srv[0], srv[1], l4, f["vlan"], stats_proto(f))
        e = edges.setdefault(k, {"num_uses": 0, "first": start})
        e["num_uses"] += 1
        e["first"] = min(e["first"], start)
    return edges


def edge_key(e):
    return (e["client"], e["server"], e["server_port"], e["l4_proto"],
            e["vlan_id"], e["l7_proto_id"])


def test_service_map():
    want = expected_services("1kxun.pcap", KXUN)
    with Netward([KXUN]) as nw:
        nw.wait_ingested(0)
        r = ifcall.run(nw, {
            "avail": "isBehaviourAnalysisAvailable()",
            "map": "serviceMap()",
            "host": 'serviceMap("192.168.115.8")',
            "vlan": "serviceMap(nil, 7)",
            "pool": "serviceMap(nil, nil, 3)",
            "uni": "serviceMap(nil, nil, nil, true)",
            "filters": "serviceMapFilterList()",
            "learn": "serviceMapLearningStatus()",
            "b1": 'serviceMap("not-an-ip")',
            "b2": "serviceMap(nil, 5000)",
            "b3": 'serviceMap(nil, nil, nil, "yes")',
            "b4": "serviceMap(nil, 0, 0, false, 0, '')",
            "b5": "serviceMapSetStatus(1, 7)",
            "b6": 'serviceMapSetStatus("x", 1)',
            "b7": "serviceMapSetMultipleStatus({1, 2})",
            "b8": 'serviceMapSetMultipleStatus({[1] = "maybe"})',
            "b9": "serviceMapSetStatus(0, 1)",
            "none": "serviceMapSetStatus(4000000000, 1)",
        })
        m = r["map"]["ok"]
        keys = [e["key"] for e in m]
        r2 = ifcall.run(nw, {
            "one": "serviceMapSetStatus(%d, 1)" % keys[0],
            "multi": 'serviceMapSetMultipleStatus({[%d] = 2, [%d] = '
                     '"denied", [999999] = 0})' % (keys[1], keys[2]),
            "after": "serviceMap()",
            "flush": "flushServiceMap()",
            "empty": "serviceMap()",
            "learn2": "serviceMapLearningStatus()",
        })
    check(r["avail"]["ok"] is True, "behaviour analysis is available")
    got = {edge_key(e): e for e in m}
    check(set(got) == set(want),
          f"edges: missing {set(want) - set(got)} extra "
          f"{set(got) - set(want)}")
    for k, w in want.items():
        e = got[k]
        check(e["num_uses"] == w["num_uses"], f"{k} uses {e} {w}")
        check(e["first_seen"] == w["first"] // 1000000, f"{k} first {e}")
        check(e["first_seen"] <= e["last_seen"] <= 1470104434, f"{e}")
        check(e["service_acceptance"] == 0, "learning: allowed")
    check(len(set(keys)) == len(keys), "keys are unique")
    host = r["host"]["ok"]
    check(host and len(host) == sum(
        1 for k in want if "192.168.115.8" in k[:2]), "host filter")
    check(r["vlan"]["ok"] == [] and r["pool"]["ok"] == [],
          "no VLAN 7, no pool 3")
    uni = {edge_key(e) for e in r["uni"]["ok"]}
    check(uni == {k for k in want
                  if not ipaddress.ip_address(k[1]).is_multicast and
                  k[1] != "255.255.255.255"}, "unicast only "
          "(multicast and the limited broadcast: a subnet broadcast is "
          "not known without the netmask)")
    by_proto = collections.Counter(e["l7_proto"] for e in m)
    check({f["l7_proto"]: f["count"] for f in r["filters"]["ok"]} ==
          dict(by_proto), f"filter list {r['filters']}")
    check(r["learn"]["ok"]["learning"] is True and
          r["learn"]["ok"]["num_services"] == len(want), f"{r['learn']}")
    for k in ("b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9"):
        check("err" in r[k], f"{k}: {r[k]}")
    check(r["none"]["ok"] is False, "unknown key: false")
    check(r2["one"]["ok"] is True and r2["multi"]["ok"] == 2,
          f"set status {r2['one']} {r2['multi']}")
    st = {e["key"]: e["service_acceptance"] for e in r2["after"]["ok"]}
    check(st[keys[0]] == 1 and st[keys[1]] == 2 and st[keys[2]] == 1,
          "statuses changed")
    check(sum(1 for v in st.values() if v != 0) == 3, "only those three")
    check(r2["empty"]["ok"] == [] and
          r2["learn2"]["ok"]["num_services"] == 0, "flushed")
    print(f"service map: {len(want)} edges, uses and first seen as the "
          f"oracle and tshark; status, filters and flush work")


def test_periodicity():
    for name in PERIODIC_CAPTURES:
        pcap = os.path.join(PUB, name)
        want = expected_periodicity(pcap)
        with Netward([pcap]) as nw:
            nw.wait_ingested(0)
            r = ifcall.run(nw, {
                "map": "periodicityMap()",
                "filters": "periodicityMapFilterList()",
                "bad": "periodicityMap(42)",
                "flush": "flushPeriodicityMap()",
                "empty": "periodicityMap()",
            })
        got = {(e["client"], e["server"], e["server_port"], e["l4_proto"],
                e["vlan_id"]): (e["frequency"],
                                e["num_periodic_loops_accounted"],
                                e["num_flows"])
               for e in r["map"]["ok"]}
        check(got == want, f"{name}: periodicity {got} != {want}")
        check(sum(f["count"] for f in r["filters"]["ok"]) == len(want),
              f"{name}: filter list")
        check("err" in r["bad"] and r["empty"]["ok"] == [],
              f"{name}: bad arg / flush")
        print(f"periodicity {name}: {len(want)} periodic keys as tshark: "
              f"{sorted(want.values())}")


def write_udp_pcap(path, packets):
    """A pcap of Ethernet/IPv4/UDP frames: packets = [(t_us, src, sport,
    dst, dport)], each with 16 bytes of payload."""
    def csum(b):
        s = sum(struct.unpack("!10H", b))
        s = (s & 0xFFFF) + (s >> 16)
        return (~((s & 0xFFFF) + (s >> 16))) & 0xFFFF
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, src, sport, dst, dport in sorted(packets):
            udp = struct.pack("!HHHH", sport, dport, 24, 0) + b"x" * 16
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0,
                             64, 17, 0, ipaddress.IPv4Address(src).packed,
                             ipaddress.IPv4Address(dst).packed)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            frame = (b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
                     + b"\x08\x00" + ip + udp)
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000,
                                len(frame), len(frame)))
            f.write(frame)


def test_periodicity_rule():
    """A crafted capture that exercises each part of the rule: a beacon
    every 60 s with jitter, one that changes period (a mismatch starts a
    new candidate), one broken by a burst, and irregular flows."""
    t0 = 1700000000 * 1000000
    pk = []
    port = [40000]

    def flow(t_s, src, dst, dport):
        port[0] += 1
        pk.append((t0 + int(t_s * 1000000), src, port[0], dst, dport))
    for i, j in enumerate([0, 0.4, -0.6, 0.3, 0]):       # 60 s +- 0.6
        flow(60 * i + j, "10.0.0.1", "10.0.0.9", 123)
    for t in (0, 20, 40, 100, 160, 220):                # 20 s then 60 s
        flow(t, "10.0.0.2", "10.0.0.9", 514)
    for t in (0, 10, 20, 22, 32, 42, 52):               # burst at 22
        flow(t, "10.0.0.3", "10.0.0.9", 53)
    for t in (0, 7, 30, 31, 90, 200):                   # irregular
        flow(t, "10.0.0.4", "10.0.0.9", 80)
    rule = {("10.0.0.1", "10.0.0.9", 123, 17, 0): (60, 3, 5),
            ("10.0.0.2", "10.0.0.9", 514, 17, 0): (60, 2, 6),
            ("10.0.0.3", "10.0.0.9", 53, 17, 0): (10, 2, 7)}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "beacons.pcap")
        write_udp_pcap(path, pk)
        os.chmod(d, 0o755)
        os.chmod(path, 0o644)
        want = expected_periodicity(path)
        check(want == rule, f"tshark and the rule disagree: {want}")
        with Netward([path]) as nw:
            nw.wait_ingested(0)
            r = ifcall.run(nw, {"map": "periodicityMap()",
                                "host": 'periodicityMap("10.0.0.2")'})
    got = {(e["client"], e["server"], e["server_port"], e["l4_proto"],
            e["vlan_id"]): (e["frequency"], e["num_periodic_loops_accounted"],
                            e["num_flows"]) for e in r["map"]["ok"]}
    check(got == rule, f"crafted capture: {got} != {rule}")
    check([e["client"] for e in r["host"]["ok"]] == ["10.0.0.2"],
          "host filter")
    print(f"periodicity rule: crafted beacons {sorted(rule.values())}")


def test_in_memory_query():
    """execInMemoryQuery: SELECT over a snapshot of the live flows, against
    the oracle; anything but one read-only SELECT of the flows table, or a
    query that runs or answers too much, is an error."""
    flows = oracle_flows("1kxun.pcap")
    by_port = collections.Counter()
    for f in flows:
        if f["proto.l4_id"] == 6:
            by_port[f["srv.port"]] += f["srv2cli.bytes"]
    total = sum(f["cli2srv.bytes"] + f["srv2cli.bytes"] for f in flows)
    bad = {
        "del": '"DELETE FROM flows"',
        "ins": '"INSERT INTO flows(key) VALUES(1)"',
        "schema": '"SELECT * FROM sqlite_master"',
        "two": '"SELECT 1; SELECT 2"',
        "pragma": '"PRAGMA table_info(flows)"',
        "attach": '"ATTACH DATABASE \'/tmp/x\' AS x"',
        "ext": '"SELECT load_extension(\'/tmp/x.so\')"',
        "loop": '"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 '
                'FROM c) SELECT count(*) FROM c"',
        "slow": '"SELECT count(*) FROM flows a, flows b, flows c, '
                'flows d"',
        "rows": '"SELECT a.key FROM flows a, flows b"',
        "blob": '"SELECT randomblob(2000000000)"',
        "syntax": '"SELEKT 1"',
        "empty": '""',
        "type": "42",
        "none": "",
        "long": '"SELECT 1 ' + "+ 1 " * 2100 + '"',
    }
    calls = {k: "execInMemoryQuery(%s)" % v for k, v in bad.items()}
    calls.update({
        "count": 'execInMemoryQuery("SELECT count(*) AS n, sum(bytes) AS b'
                 ' FROM flows")',
        "ports": 'execInMemoryQuery("SELECT srv_port, sum(srv2cli_bytes) '
                 'AS b FROM flows WHERE l4_proto = 6 GROUP BY srv_port")',
        "empty_set": 'execInMemoryQuery("SELECT key FROM flows WHERE '
                     'vlan = 99")',
    })
    with Netward([KXUN]) as nw:
        nw.wait_ingested(0)
        r = ifcall.run(nw, calls)
    check(r["count"]["ok"] == [{"n": len(flows), "b": total}],
          f"count {r['count']} != {len(flows)} flows, {total} bytes")
    got = {row["srv_port"]: row["b"] for row in r["ports"]["ok"]}
    check(got == dict(by_port), f"bytes by TCP port {got} {by_port}")
    check(r["empty_set"]["ok"] == [] or r["empty_set"]["ok"] == {},
          f"no rows: {r['empty_set']}")
    for k in bad:
        check("err" in r[k], f"{k} must fail: {str(r[k])[:200]}")
    check("not authorized" in r["loop"]["err"], r["loop"]["err"])
    check("too long" in r["slow"]["err"], r["slow"]["err"])
    check("rows" in r["rows"]["err"], r["rows"]["err"])
    print(f"in-memory SQL: {len(flows)} flows, bytes by TCP port as the "
          f"oracle; {len(bad)} hostile queries refused")


def main():
    test_in_memory_query()
    test_pools()
    test_service_map()
    test_periodicity()
    test_periodicity_rule()
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
