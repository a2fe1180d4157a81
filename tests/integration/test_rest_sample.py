#!/usr/bin/python3
"""Every foundation REST endpoint on the bundled sample capture, each value
checked against what an independent pcap reader and ndpiReader compute from
the same file. Also: an error is never a 200, and SIGTERM leaves nothing."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, SAMPLE_PCAP, check  # noqa: E402
import independent  # noqa: E402
from oracle import flow_key  # noqa: E402

PATH = "/lua/rest/v2/get/"


def test_interface_data(nw, totals, ref_flows):
    rsp = nw.wait_ingested(0)
    check(rsp["ifid"] == "0", f"ifid {rsp['ifid']!r}")
    check(rsp["ifname"] == SAMPLE_PCAP, f"ifname {rsp['ifname']!r}")
    check(rsp["packets"] == totals["packets"],
          f"packets {rsp['packets']} != {totals['packets']}")
    check(rsp["bytes"] == totals["bytes"],
          f"bytes {rsp['bytes']} != {totals['bytes']}")
    check(rsp["num_flows"] == len(ref_flows),
          f"num_flows {rsp['num_flows']} != {len(ref_flows)}")
    check(rsp["num_hosts"] == len(totals["hosts"]),
          f"num_hosts {rsp['num_hosts']} != {len(totals['hosts'])}")
    check(rsp["drops"] == 0, "drops on a file")
    check(rsp["ingestion"]["packets"] == totals["packets"], "ingestion packets")


def test_interfaces(nw):
    rsp = nw.rest(PATH + "ntopng/interfaces.lua")
    check(len(rsp) == 1, f"interfaces {rsp!r}")
    check(str(rsp[0]["ifid"]) == "0" and rsp[0]["ifname"] == SAMPLE_PCAP,
          f"interfaces {rsp!r}")


def test_hosts(nw, totals):
    rsp = nw.rest(PATH + "host/active.lua", {"ifid": 0, "perPage": 1000})
    seen = {h["ip"]: h for h in rsp["data"]}
    check(set(seen) == set(totals["hosts"]),
          f"hosts {sorted(seen)} != {sorted(totals['hosts'])}")
    for ip, h in seen.items():
        want = totals["hosts"][ip]
        check(h["bytes"]["sent"] == want["bytes.sent"] and
              h["bytes"]["rcvd"] == want["bytes.rcvd"],
              f"{ip} bytes {h['bytes']} != {want}")
    # paging: two hosts per page, sorted by bytes, pages disjoint
    p1 = nw.rest(PATH + "host/active.lua", {"ifid": 0, "perPage": 2,
                 "currentPage": 1, "sortColumn": "bytes", "sortOrder": "desc"})
    p2 = nw.rest(PATH + "host/active.lua", {"ifid": 0, "perPage": 2,
                 "currentPage": 2, "sortColumn": "bytes", "sortOrder": "desc"})
    check(len(p1["data"]) == 2 and len(p2["data"]) == 2, "page sizes")
    totals_of = {ip: h["bytes.sent"] + h["bytes.rcvd"]
                 for ip, h in totals["hosts"].items()}
    first = p1["data"][0]
    check(totals_of[first["ip"]] == max(totals_of.values()),
          f"largest host first: {first['ip']} has {totals_of[first['ip']]}")
    check(first["bytes"]["total"] == totals_of[first["ip"]], "bytes.total")
    check(not ({h["ip"] for h in p1["data"]} & {h["ip"] for h in p2["data"]}),
          "pages overlap")

    # one host in detail
    ip = "10.77.0.1"
    h = nw.rest(PATH + "host/data.lua", {"ifid": 0, "host": ip})
    want = totals["hosts"][ip]
    for k in ("bytes.sent", "bytes.rcvd", "packets.sent", "packets.rcvd"):
        check(h[k] == want[k], f"host {ip} {k} {h[k]} != {want[k]}")
    status, doc = nw.get(PATH + "host/data.lua", {"ifid": 0, "host": "10.99.99.99"})
    check(status == 404 and doc["rc"] == -1, f"unknown host: {status} {doc}")
    status, doc = nw.get(PATH + "host/data.lua", {"ifid": 0})
    check(status == 400 and doc["rc"] < 0, f"missing host: {status} {doc}")


def test_flows(nw, ref_flows):
    rsp = nw.rest(PATH + "flow/active.lua", {"ifid": 0, "perPage": 1000})
    check(rsp["totalRows"] == len(ref_flows),
          f"totalRows {rsp['totalRows']} != {len(ref_flows)}")
    ref = {flow_key(f): f for f in ref_flows}
    got = {}
    for f in rsp["data"]:
        conv = {"proto.l4": f["protocol"]["l4"], "vlan": f["vlan"],
                "cli.ip": f["client"]["ip"], "cli.port": f["client"]["port"],
                "srv.ip": f["server"]["ip"], "srv.port": f["server"]["port"]}
        got[flow_key(conv)] = f
    check(set(got) == set(ref), f"flow keys differ: {set(got) ^ set(ref)}")
    for k, f in got.items():
        r = ref[k]
        check(f["bytes"] == r["cli2srv.bytes"] + r["srv2cli.bytes"],
              f"flow {k} bytes {f['bytes']} != ndpiReader")
        check(f["protocol"]["l7"] == r["proto.ndpi"],
              f"flow {k} l7 {f['protocol']['l7']} != {r['proto.ndpi']}")
    # sorting and filters
    srt = nw.rest(PATH + "flow/active.lua", {"ifid": 0, "perPage": 3,
                  "sortColumn": "bytes", "sortOrder": "desc"})
    biggest = max(r["cli2srv.bytes"] + r["srv2cli.bytes"] for r in ref_flows)
    check(srt["data"][0]["bytes"] == biggest, "sort by bytes desc")
    flt = nw.rest(PATH + "flow/active.lua", {"ifid": 0, "perPage": 100,
                  "application": "DNS"})
    n_dns = sum(1 for r in ref_flows if r["proto.ndpi"] == "DNS")
    check(flt["totalRows"] == n_dns, f"DNS filter {flt['totalRows']} != {n_dns}")
    # bad input is a 400 with an rc, never a 200
    for bad in ({"perPage": "x"}, {"perPage": 10 ** 9},
                {"sortColumn": "nosuchcolumn"}, {"ifid": 99}):
        params = {"ifid": 0, **bad}
        status, doc = nw.get(PATH + "flow/active.lua", params)
        check(status == 400 and doc["rc"] < 0, f"{bad}: {status} {doc}")


def test_l7_stats(nw, ref_flows):
    rsp = nw.rest(PATH + "interface/l7/stats.lua",
                  {"ifid": 0, "ndpistats_mode": "count"})
    want = {}
    for r in ref_flows:
        want[r["proto.ndpi"].split(".")[-1]] = want.get(
            r["proto.ndpi"].split(".")[-1], 0) + 1
    got = {e["label"]: e["value"] for e in rsp}
    check(set(got) == set(want), f"l7 labels {got} != {want}")


def test_auth_required(nw):
    status, doc = nw.get(PATH + "interface/data.lua", {"ifid": 0}, auth=False)
    check(status == 401, f"no credentials: {status}")


def main():
    totals = independent.ethernet_totals(SAMPLE_PCAP)
    ref_flows = independent.ndpireader_flows(SAMPLE_PCAP)
    check(len(ref_flows) > 5, "ndpiReader found the sample's flows")
    nw = Netward([SAMPLE_PCAP])
    with nw:
        test_interface_data(nw, totals, ref_flows)
        test_interfaces(nw)
        test_hosts(nw, totals)
        test_flows(nw, ref_flows)
        test_l7_stats(nw, ref_flows)
        test_auth_required(nw)
        pids = list(nw.worker_pids().values())
        rc = nw.stop()
        check(rc == 0, f"netward exit status {rc}")
        alive = [p for p in pids if os.path.exists(f"/proc/{p}")]
        check(not alive, f"workers left running: {alive}")
        check(not os.path.exists(nw.runtime_dir), "runtime dir left behind")
    print("rest endpoints on the sample capture: all checks passed")


if __name__ == "__main__":
    main()
