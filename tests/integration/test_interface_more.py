#!/usr/bin/python3
"""The interface.* calls added to finish issue 3 (sections 5-9, 13, 15,
24), on real captures, against values computed without netward: tshark
(VLAN ids and bytes, MAC group bit, packet times) and the independent
pcap reader (per-host bytes, network ingress/egress/inner). Calls that a
packet interface cannot serve must raise an error saying why."""
import ipaddress
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SHARED_DIR, Netward, check, read_pcap_frames  # noqa
from independent import _ip_of_ethernet, ethernet_totals  # noqa: E402
import ifcall  # noqa: E402

PUB = os.path.join(SHARED_DIR, "pcaps", "public")
INSTAGRAM = os.path.join(PUB, "instagram.pcap")
MONGODB = os.path.join(PUB, "mongodb.pcap")
LOCAL = ipaddress.ip_network("192.168.0.0/16")


def tshark(pcap, *fields, filt=None):
    cmd = ["tshark", "-r", pcap, "-T", "fields"]
    if filt:
        cmd += ["-Y", filt]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True,
                         check=True).stdout
    return [ln.split("\t") for ln in out.splitlines()]


def test_vlans():
    rows = tshark(MONGODB, "vlan.id", "frame.len", "ip.src", "ip.dst",
                  filt="ip")
    want = {}
    for vid, ln, src, dst in rows:
        check("," not in vid, "single tags only in this capture")
        e = want.setdefault(int(vid), {"bytes": 0, "hosts": set()})
        e["bytes"] += int(ln)
        e["hosts"] |= {src, dst}
    with Netward([MONGODB]) as nw:
        nw.wait_ingested(0)
        r = ifcall.run(nw, {
            "list": "getVLANsList()",
            "info": "getVLANsInfo({perPage = 100})",
            "desc": 'getVLANsInfo({sortColumn = "bytes", '
                    'sortOrder = "desc"})',
            "one": "getVLANInfo(%d)" % min(want),
            "none": "getVLANInfo(4000)",
            "bad": "getVLANInfo(5000)",
            "bad2": 'getVLANInfo("x")',
            "badsort": 'getVLANsInfo({sortColumn = "nope"})',
            "badpage": "getVLANsInfo({perPage = 10000000})",
        })
    check(r["list"]["ok"] == sorted(want), f"VLANs {r['list']} {want}")
    info = r["info"]["ok"]
    check(info["numVLANs"] == len(want), "numVLANs")
    for v in info["VLANs"]:
        w = want[v["vlan_id"]]
        check(v["bytes.sent"] == w["bytes"] and v["flows.bytes"] ==
              w["bytes"], f"VLAN {v['vlan_id']} bytes {v} != {w['bytes']}")
        check(v["num_hosts"] == len(w["hosts"]), f"VLAN hosts {v}")
    order = [v["vlan_id"] for v in r["desc"]["ok"]["VLANs"]]
    check(order == sorted(want, key=lambda k: -want[k]["bytes"]),
          f"sorted by bytes {order}")
    check(r["one"]["ok"]["bytes.sent"] == want[min(want)]["bytes"],
          "getVLANInfo")
    check(r["none"].get("isnil"), "unknown VLAN is nil")
    for k in ("bad", "bad2", "badsort", "badpage"):
        check("err" in r[k], f"{k}: {r[k]}")
    print(f"vlans: {len(want)} VLANs agree with tshark")


def test_instagram():
    totals = ethernet_totals(INSTAGRAM)
    local = {ip for ip in totals["hosts"]
             if ipaddress.ip_address(ip) in LOCAL}
    ing = egr = inner = 0
    for _, orig, data in read_pcap_frames(INSTAGRAM):
        ips = _ip_of_ethernet(data)
        if ips is None:
            continue
        s, d = (ipaddress.ip_address(x) in LOCAL for x in ips)
        if s and d:
            inner += orig
        elif s:
            egr += orig
        elif d:
            ing += orig
    times = [float(t[0]) for t in tshark(INSTAGRAM, "frame.time_epoch")]
    macs = tshark(INSTAGRAM, "eth.src", "eth.dst", "eth.dst.ig")
    group = {}
    for src, dst, ig in macs:
        group[dst] = ig in ("1", "True")
        group.setdefault(src, False)
    host = "192.168.2.17"
    with Netward([INSTAGRAM], ["-m", str(LOCAL)]) as nw:
        nw.wait_ingested(0)
        calls = {
            "nets": "getNetworksStats()",
            "net0": "getNetworkStats(0)",
            "net9": "getNetworkStats(9)",
            "netbad": 'getNetworkStats("x")',
            "secs": "getSecsToFirstData()",
            "ts1": "getBatchedLocalHostsTs(0, 2)",
            "tsall": "getBatchedLocalHostsTs(0, 1000)",
            "tsbad": "getBatchedLocalHostsTs(0, 10000000)",
            "acl1": 'insertIPACL("10.1.2.3/8", true)',
            "acl2": 'insertIPACL("192.168.1.7", false)',
            "acl3": 'insertMacACL("aa:bb:cc:00:11:22", false)',
            "aclinfo": "getACLInfo()",
            "aclrm": 'removeIPACL("10.0.0.0/8")',
            "aclrm2": 'removeIPACL("10.0.0.0/8")',
            "aclinfo2": "getACLInfo()",
            "aclbad1": 'insertIPACL("300.1.1.1/8", true)',
            "aclbad2": 'insertIPACL("10.0.0.0/8")',
            "aclbad3": 'insertMacACL("nope", true)',
            "aclbad4": 'insertIPACL("10.0.0.0/33", true)',
            "cc": 'convertCountryCode2U16("IT")',
            "cc2": "convertCountryU162Code(%d)" % (ord("I") << 8 | ord("T")),
            "ccbad": 'convertCountryCode2U16("ITA")',
            "obs": "getObsPointsInfo()",
            "obs1": "getObsPointInfo(1)",
            "prog": 'setPeriodicActivityProgress("minute.lua", 40)',
            "progbad": 'setPeriodicActivityProgress("minute.lua", 150)',
            "progs": "getPeriodicActivitiesStats()",
            "score": "getScore()",
            "asset": 'addDataToLocalHostAssets("%s", {owner = "ops", '
                     'rack = 7})' % host,
            "assetinfo": 'getHostInfo("%s")' % host,
            "assetrm": 'removeDataFromLocalHostAssets("%s")' % host,
            "assetrm2": 'removeDataFromLocalHostAssets("%s")' % host,
            "assetremote": 'addDataToLocalHostAssets("31.13.86.52", '
                           '{a = "b"})',
            "assetbad": 'addDataToLocalHostAssets("%s", "x")' % host,
            "pname": "getnDPIProtoName(1)",
            "dump": 'dumpnDPIProtocolId("%s", 0, 1)' % host,
            "dumpcat": 'dumpnDPICategoryId("%s", 0, 5)' % host,
            "catname": "getnDPICategoryName(5)",
            "dumpinfo": 'getHostInfo("%s")' % host,
            "dumpbad": 'dumpnDPIProtocolId("%s", 0, 100000)' % host,
            "dumpnohost": 'dumpnDPIProtocolId("10.9.9.9", 0, 1)',
            "reip": 'updateIPReassignment({ip = "%s", '
                    'mac = "02:00:00:00:00:01"})' % host,
            "reipinfo": 'getHostInfo("%s")' % host,
            "reipbad": 'updateIPReassignment({ip = "x"})',
            "prefs": 'reloadHostPrefs("%s")' % host,
            "prefsbad": "reloadHostPrefs(42)",
            "topsites": 'resetHostTopSites("%s", 0)' % host,
        }
        for n in ("updateDirectionStats", "updateTopSites",
                  "resetBroadcastDomains", "addMacsIpAddresses",
                  "swapHostnameIPCache"):
            calls[n] = n + "()"
        unsupported = {
            "dropHostTraffic('%s', 0)" % host: "nEdge",
            "updateHostTrafficPolicy('%s', 0)" % host: "nEdge",
            "dropFlowTraffic(1, 1)": "nEdge",
            "dropMultipleFlowsTraffic({})": "nEdge",
            "appendMacEvent('aa:bb:cc:00:11:22', 'login')": "nEdge",
            "findPidFlows(1)": "eBPF", "findNameFlows('curl')": "eBPF",
            "processFlow({})": "ZMQ", "getAllZMQFlowFieldDescr()": "ZMQ",
            "getZMQFlowFieldDescr(8)": "ZMQ",
            "incSyslogStats('x', 1)": "syslog",
            "updateSyslogProducers()": "syslog",
            "updateRanking({})": "Pro", "aggregateSiteFlows()": "Pro",
            "getAnomalies()": "anomal",
        }
        for i, u in enumerate(unsupported):
            calls[f"u{i}"] = u
        mac_keys = {}
        for i, m in enumerate(sorted(group)):
            calls[f"mc{i}"] = 'isMulticastMac("%s")' % m
            mac_keys[m] = f"mc{i}"
        some_src = next(s for s, _, _ in macs)
        calls["mcbad"] = 'isMulticastMac("zz")'
        r = ifcall.run(nw, calls)
        r2 = ifcall.run(nw, {
            "del": 'deleteMacData("%s")' % some_src,
            "active": 'isMacActive("%s")' % some_src,
            "del2": 'deleteMacData("%s")' % some_src})

    nets = r["nets"]["ok"]
    check(list(nets) == [str(LOCAL)], f"networks {list(nets)}")
    n = nets[str(LOCAL)]
    check(n["num_hosts"] == len(local), f"num_hosts {n['num_hosts']}")
    for k in ("bytes.sent", "bytes.rcvd"):
        w = sum(totals["hosts"][ip][k] for ip in local)
        check(n[k] == w, f"network {k} {n[k]} != {w}")
    check((n["ingress"], n["egress"], n["inner"]) == (ing, egr, inner),
          f"ingress/egress/inner {n} != {(ing, egr, inner)}")
    check(r["net0"]["ok"] == n, "getNetworkStats(0)")
    check(r["net9"].get("isnil") and "err" in r["netbad"], "bad network")
    check(r["secs"]["ok"] == int(max(times) - min(times)),
          f"secs {r['secs']} vs {max(times) - min(times)}")
    ts = r["tsall"]["ok"]["hosts"]
    check({h["host"] for h in ts.values()} == local, "local hosts ts")
    for h in ts.values():
        w = totals["hosts"][h["host"]]
        check(h["bytes.sent"] == w["bytes.sent"] and
              h["bytes.rcvd"] == w["bytes.rcvd"], f"ts {h}")
    check(len(r["ts1"]["ok"]["hosts"]) == min(2, len(local)) and
          (r["ts1"]["ok"]["nextSlot"] == 2) == (len(local) > 2), "ts page")
    check("err" in r["tsbad"], "huge count")
    a = r["aclinfo"]["ok"]
    check(a["ip"] == {"10.0.0.0/8": "allow", "192.168.1.7/32": "deny"} and
          a["mac"] == {"AA:BB:CC:00:11:22": "deny"}, f"ACL {a}")
    check(r["aclrm"]["ok"] is True and r["aclrm2"]["ok"] is False,
          "removeIPACL")
    check(r["aclinfo2"]["ok"]["ip"] == {"192.168.1.7/32": "deny"}, "ACL 2")
    for k in ("aclbad1", "aclbad2", "aclbad3", "aclbad4", "ccbad",
              "progbad", "assetremote", "assetbad", "dumpbad", "reipbad",
              "prefsbad", "mcbad"):
        check("err" in r[k], f"{k}: {r[k]}")
    check(r["cc"]["ok"] == ord("I") << 8 | ord("T") and
          r["cc2"]["ok"] == "IT", "country codes")
    check(r["obs"]["ok"]["numObsPoints"] == 0 and r["obs1"].get("isnil"),
          "observation points")
    check(r["progs"]["ok"]["minute.lua"]["progress"] == 40, "progress")
    # the interface's score: nDPI's risk scores of the capture's flows
    # (ndpiReader's own "[Risk Score: N]", test_flow_risks.py parses it)
    from test_flow_risks import ndpi_reader_risks
    want = sum(sc for _, sc in ndpi_reader_risks(INSTAGRAM).values())
    sc = r["score"]["ok"]
    check(want > 0 and sc["score"] == want and
          sc["score_as_cli"] + sc["score_as_srv"] == want,
          f"score {sc} (ndpiReader: {want})")
    check(r["assetinfo"]["ok"]["assets"] == {"owner": "ops", "rack": "7"},
          f"assets {r['assetinfo']['ok'].get('assets')}")
    check(r["assetrm"]["ok"] is True and r["assetrm2"]["ok"] is False,
          "remove assets")
    info = r["dumpinfo"]["ok"]
    check(r["pname"]["ok"] in info["ndpi"], f"dumped protocol in "
          f"{list(info['ndpi'])}")
    check(info["ndpi_categories_seen"] == [r["catname"]["ok"]],
          "dumped category")
    check(r["dumpnohost"].get("isnil"), "dump for a missing host")
    check(r["reipinfo"]["ok"]["mac"] == "02:00:00:00:00:01",
          "updateIPReassignment")
    check(r["prefs"].get("isnil") and r["topsites"].get("isnil"), "nil")
    for n in ("updateDirectionStats", "updateTopSites",
              "resetBroadcastDomains", "addMacsIpAddresses",
              "swapHostnameIPCache"):
        check(r[n].get("isnil"), n)
    for i, (u, why) in enumerate(unsupported.items()):
        check(why in r[f"u{i}"].get("err", ""), f"{u}: {r[f'u{i}']}")
    for m, k in mac_keys.items():
        check(r[k]["ok"] == group[m], f"isMulticastMac {m} {r[k]}")
    check(r2["del"]["ok"] is True and r2["active"]["ok"] is False and
          r2["del2"]["ok"] is False, f"deleteMacData {r2}")
    print(f"instagram: network, local hosts ts, {len(group)} MACs, ACLs, "
          f"assets, nDPI dumps, {len(unsupported)} unsupported calls")


if __name__ == "__main__":
    test_vlans()
    test_instagram()
