#!/usr/bin/python3
"""REST v2 listings of MACs, VLANs, ASes, countries and the l7
constants, checked against values this test reads from the captures
itself (MAC and VLAN bytes from the raw frames) and nDPI's known ids."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PCAP_DIR, SAMPLE_PCAP, Netward, check, read_pcap_frames  # noqa: E402

R = "/lua/rest/v2/get/"
MONGO = os.path.join(PCAP_DIR, "mongodb.pcap")


def mac_text(b):
    return ":".join("%02X" % x for x in b)


def mac_totals(path):
    t = {}
    for _, orig, data in read_pcap_frames(path):
        for mac, side in ((data[6:12], "sent"), (data[0:6], "rcvd")):
            e = t.setdefault(mac_text(mac), {"sent": 0, "rcvd": 0})
            e[side] += orig
    return t


def vlan_totals(path):
    t = {}
    for _, orig, data in read_pcap_frames(path):
        off, vlan = 12, 0
        while struct.unpack(">H", data[off:off + 2])[0] in (0x8100, 0x88A8):
            vlan = struct.unpack(">H", data[off + 2:off + 4])[0] & 0x0FFF
            off += 4
        t[vlan] = t.get(vlan, 0) + orig
    return t


def all_rows(nw, path, ifid, **params):
    rsp = nw.rest(R + path, {"ifid": ifid, "perPage": 1000, **params})
    check(rsp["totalRows"] == len(rsp["data"]), f"{path}: totalRows")
    return rsp["data"]


def main():
    macs = mac_totals(SAMPLE_PCAP)
    vlans = vlan_totals(MONGO)
    with Netward([SAMPLE_PCAP, MONGO]) as nw:
        nw.wait_ingested(0)
        nw.wait_ingested(1)
        rows = all_rows(nw, "mac/active.lua", 0)
        got = {r["mac"]: r for r in rows}
        check(set(got) == set(macs), f"MACs {sorted(got)} != {sorted(macs)}")
        for mac, want in macs.items():
            check(got[mac]["bytes"]["sent"] == want["sent"] and
                  got[mac]["bytes"]["rcvd"] == want["rcvd"],
                  f"{mac}: {got[mac]['bytes']} != {want}")
        top = nw.rest(R + "mac/active.lua", {"ifid": 0, "perPage": 1,
                      "sortColumn": "bytes", "sortOrder": "desc"})["data"][0]
        check(top["bytes"]["total"] == max(m["sent"] + m["rcvd"] for m in macs.values()),
              "MACs sorted by bytes")
        one = sorted(macs)[0]
        info = nw.rest(R + "mac/data.lua", {"ifid": 0, "mac": one})
        check(info["mac"] == one and info["bytes.sent"] == macs[one]["sent"],
              f"mac/data: {info}")
        st, doc = nw.get(R + "mac/data.lua", {"ifid": 0, "mac": "02:00:00:00:00:99"})
        check(st == 404 and doc["rc"] == -1, f"unknown MAC: {st}")
        st, doc = nw.get(R + "mac/data.lua", {"ifid": 0, "mac": "zz"})
        check(st == 400 and doc["rc"] == -5, f"bad MAC: {st}")

        rows = all_rows(nw, "vlan/active.lua", 1)
        got = {r["vlan_id"]: r["bytes"]["total"] for r in rows}
        # a VLAN's bytes count each frame once per direction it is seen in
        # (sent by one host, received by another): compare the sent side
        sent = {r["vlan_id"]: r["bytes"]["sent"] for r in rows}
        check(set(got) == set(vlans), f"VLANs {sorted(got)} != {sorted(vlans)}")
        for v, b in vlans.items():
            check(sent[v] == b, f"VLAN {v}: {sent[v]} != {b}")

        for path in ("as/active.lua", "country/active.lua"):
            st, doc = nw.get(R + path, {"ifid": 0})
            check(st == 404 and "GeoIP" in doc["rsp"]["reason"],
                  f"{path} without a database: {st} {doc}")
        for path in ("mac/active.lua", "vlan/active.lua"):
            st, doc = nw.get(R + path, {"ifid": 0, "sortColumn": "nope"})
            check(st == 400 and doc["rc"] == -5, f"{path} bad sort: {st}")
            st, doc = nw.get(R + path, {"ifid": 7})
            check(st == 400 and doc["rc"] == -2, f"{path} bad ifid: {st}")

        apps = {a["name"]: a["id"] for a in nw.rest(R + "l7/application/consts.lua")}
        for name, pid in (("HTTP", 7), ("DNS", 5), ("TLS", 91), ("ICMP", 81)):
            check(apps.get(name) == pid, f"{name} id {apps.get(name)}")
        cats = {c["name"]: c["id"] for c in nw.rest(R + "l7/category/consts.lua")}
        check(cats.get("Web") == 5 and cats.get("Network") == 14, f"categories {cats}")
    print("REST resources checks passed")


if __name__ == "__main__":
    main()
