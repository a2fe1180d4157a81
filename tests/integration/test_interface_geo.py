#!/usr/bin/python3
"""GeoIP on a real capture: instagram.pcap with some addresses rewritten
(tcprewrite --pnat) into networks of MaxMind's test databases. Every
host's country/asn/asname, the AS and country listings and the host
filters are checked against python3-maxminddb reading the same .mmdb files
and against the independent pcap reader's per-host bytes; so are the
ntop.* lookups of any address (hasGeoIP, getASName, getASNameFromASN,
getHostGeolocation, getHostInformation). Without a database the same
calls answer "no GeoIP database configured"."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SHARED_DIR, Netward, check  # noqa: E402
from independent import ethernet_totals  # noqa: E402
import ifcall  # noqa: E402

import maxminddb  # Debian python3-maxminddb (tools/setup.sh)

GEO = os.path.join(SHARED_DIR, "geoip")
ASN_DB = os.path.join(GEO, "GeoLite2-ASN-Test.mmdb")
CITY_DB = os.path.join(GEO, "GeoLite2-City-Test.mmdb")
PCAP = os.path.join(SHARED_DIR, "pcaps", "public", "instagram.pcap")
# host -> an address of the test databases (SE/AS29518, US/AS209,
# BT/AS35908, AS1221 without country, GB without AS)
PNAT = {"31.13.86.52": "89.160.20.112", "192.168.2.17": "216.160.83.56",
        "192.168.0.103": "67.43.156.1", "82.85.26.162": "1.128.0.1",
        "31.13.93.52": "81.2.69.142"}


def expected(ip, asn_r, city_r):
    a = asn_r.get(ip) or {}
    c = city_r.get(ip) or {}
    cc = (c.get("country") or c.get("registered_country") or {}).get(
        "iso_code", "")
    return cc, a.get("autonomous_system_number", 0), \
        a.get("autonomous_system_organization", "")


def ntop_lookups(nw, asn_r, city_r):
    """ntop.* answers for addresses seen or not, against maxminddb."""
    seen_as = 29518  # 89.160.20.112 is in the capture
    r = ifcall.run(nw, {
        "has": 'hasGeoIP()',
        "as": 'getASName("1.128.0.1")',
        "as_unseen": 'getASName("1.160.0.9")',
        "as_none": 'getASName("10.1.2.3")',
        "asn": f'getASNameFromASN({seen_as})',
        "asn_unseen": 'getASNameFromASN(4242)',
        "geo": 'getHostGeolocation("81.2.69.142")',
        "geo_v6": 'getHostGeolocation("2001:218::1")',
        "info": 'getHostInformation("89.160.20.112")',
        "bad_ip": 'getASName("nope")',
        "bad_asn": 'getASNameFromASN(-1)',
        "bad_type": 'getHostGeolocation({})',
    }, table="ntop")
    check(r["has"].get("ok") is True, f"hasGeoIP: {r['has']}")
    for key, ip in (("as", "1.128.0.1"), ("as_unseen", "1.160.0.9"),
                    ("as_none", "10.1.2.3")):
        name = (asn_r.get(ip) or {}).get("autonomous_system_organization")
        got = r[key].get("ok")
        check(got == name and (name is not None or r[key].get("isnil")),
              f"getASName({ip}) {r[key]} != {name!r}")
    check(r["asn"].get("ok") == asn_r.get("89.160.20.112")[
        "autonomous_system_organization"], f"getASNameFromASN {r['asn']}")
    check(r["asn_unseen"].get("isnil"), f"unseen AS: {r['asn_unseen']}")
    for key, ip in (("geo", "81.2.69.142"), ("geo_v6", "2001:218::1")):
        c = city_r.get(ip) or {}
        want = {}
        cc = (c.get("country") or c.get("registered_country") or {}).get(
            "iso_code")
        if cc:
            want["country"] = cc
        if c.get("city", {}).get("names", {}).get("en"):
            want["city"] = c["city"]["names"]["en"]
        if c.get("continent", {}).get("code"):
            want["continent"] = c["continent"]["code"]
        if "location" in c:
            want["latitude"] = c["location"]["latitude"]
            want["longitude"] = c["location"]["longitude"]
        got = r[key].get("ok")
        check(want and got == want, f"getHostGeolocation({ip}) {got} != {want}")
    info = r["info"]["ok"]
    a = asn_r.get("89.160.20.112")
    c = city_r.get("89.160.20.112")
    check(info["ip"] == "89.160.20.112" and
          info["asn"] == a["autonomous_system_number"] and
          info["asname"] == a["autonomous_system_organization"] and
          info["country"] == c["country"]["iso_code"],
          f"getHostInformation {info}")
    for k in ("bad_ip", "bad_asn", "bad_type"):
        check("ntop." in r[k].get("err", ""), f"{k}: {r[k]}")


def main():
    tmp = tempfile.mkdtemp(prefix="nwgeo-")
    pcap = os.path.join(tmp, "geo.pcap")
    pnat = ",".join(f"{a}/32:{b}/32" for a, b in PNAT.items())
    subprocess.run(["tcprewrite", "--pnat=" + pnat, "--fixcsum",
                    "-i", PCAP, "-o", pcap], check=True)
    os.chmod(tmp, 0o755)
    os.chmod(pcap, 0o644)
    totals = ethernet_totals(pcap)
    asn_r = maxminddb.open_database(ASN_DB)
    city_r = maxminddb.open_database(CITY_DB)
    want = {ip: expected(ip, asn_r, city_r) for ip in totals["hosts"]}
    check(sum(1 for v in want.values() if v[0]) >= 4 and
          sum(1 for v in want.values() if v[1]) >= 4,
          f"the rewrite puts hosts into the test networks: {want}")

    with Netward([pcap], ["--geoip-asn", ASN_DB,
                          "--geoip-city", CITY_DB]) as nw:
        nw.wait_ingested(0)
        r = ifcall.run(nw, {
            "hosts": 'getHostsInfo({perPage = 10000})',
            "ases": 'getASesInfo({perPage = 1000})',
            "ases_by_bytes": 'getASesInfo({sortColumn = "bytes", '
                             'sortOrder = "desc", perPage = 1})',
            "countries": 'getCountriesInfo({perPage = 1000})',
            "as29518": 'getASInfo(29518)',
            "live29518": 'getLiveASNStats(29518)',
            "as_none": 'getASInfo(4242)',
            "se": 'getCountryInfo("se")',
            "country_none": 'getCountryInfo("ZZ")',
            "hosts_se": 'getHostsInfo({country = "SE", perPage = 100})',
            "hosts_as209": 'getHostsInfo({asn = 209, perPage = 100})',
            "hc": 'getHostCountry("89.160.20.112")',
            "agg": 'aggregateASNFlows()',
            "bad_sort": 'getASesInfo({sortColumn = "nope"})',
            "bad_page": 'getCountriesInfo({perPage = 100000000})',
            "bad_asn": 'getASInfo("x")',
            "bad_cc": 'getCountryInfo("SWE")',
        })
        hosts = r["hosts"]["ok"]["hosts"]
        check(set(h["ip"] for h in hosts.values()) == set(totals["hosts"]),
              "every host of the capture is listed")
        for h in hosts.values():
            cc, asn, asname = want[h["ip"]]
            check(h.get("country", "") == cc, f"{h['ip']} country "
                  f"{h.get('country')} != {cc!r}")
            check(h.get("asn", 0) == asn and h.get("asname", "") == asname,
                  f"{h['ip']} AS {h.get('asn')} {h.get('asname')} != "
                  f"{asn} {asname}")
        # AS and country aggregates from the independent per-host bytes
        by_as, by_cc = {}, {}
        for ip, (cc, asn, asname) in want.items():
            t = totals["hosts"][ip]
            for agg, key in ((by_as, asn), (by_cc, cc)):
                if not key:
                    continue
                e = agg.setdefault(key, {"num_hosts": 0, "bytes.sent": 0,
                                         "bytes.rcvd": 0})
                e["num_hosts"] += 1
                e["bytes.sent"] += t["bytes.sent"]
                e["bytes.rcvd"] += t["bytes.rcvd"]
        ases = r["ases"]["ok"]
        check(ases["numASes"] == len(by_as), f"numASes {ases['numASes']} "
              f"!= {len(by_as)}")
        for a in ases["ASes"]:
            w = by_as[a["asn"]]
            for k in w:
                check(a[k] == w[k], f"AS {a['asn']} {k} {a[k]} != {w[k]}")
            names = {v[2] for v in want.values() if v[1] == a["asn"]}
            check(names == {a["asname"]}, f"asname {a['asname']} {names}")
        biggest = max(by_as, key=lambda k: by_as[k]["bytes.sent"] +
                      by_as[k]["bytes.rcvd"])
        check(r["ases_by_bytes"]["ok"]["ASes"][0]["asn"] == biggest,
              "sorted by bytes")
        cs = r["countries"]["ok"]
        check(cs["numCountries"] == len(by_cc), "numCountries")
        for c in cs["Countries"]:
            w = by_cc[c["country"]]
            for k in w:
                check(c[k] == w[k], f"{c['country']} {k} {c[k]} != {w[k]}")
        for k in ("as29518", "live29518"):
            check(r[k]["ok"]["bytes.sent"] == by_as[29518]["bytes.sent"],
                  k)
        check(r["as_none"].get("isnil"), "unknown AS is nil")
        check(r["se"]["ok"]["num_hosts"] == by_cc["SE"]["num_hosts"],
              "getCountryInfo")
        check(r["country_none"].get("isnil"), "unknown country is nil")
        se = {h["ip"] for h in r["hosts_se"]["ok"]["hosts"].values()}
        check(se == {ip for ip, v in want.items() if v[0] == "SE"},
              f"country filter {se}")
        a209 = {h["ip"] for h in r["hosts_as209"]["ok"]["hosts"].values()}
        check(a209 == {ip for ip, v in want.items() if v[1] == 209},
              f"asn filter {a209}")
        check(r["hc"]["ok"] == "SE", "getHostCountry")
        check(r["agg"].get("isnil"), "aggregateASNFlows")
        for k in ("bad_sort", "bad_page", "bad_asn", "bad_cc"):
            check("err" in r[k], f"{k} is an error: {r[k]}")
        check("sortColumn" in r["bad_sort"]["err"], r["bad_sort"]["err"])
        check("interface.getCountryInfo: 'SWE'" in r["bad_cc"]["err"],
              f"an error of the capture worker names the call: {r['bad_cc']}")
        ntop_lookups(nw, asn_r, city_r)

    with Netward([pcap]) as nw:
        nw.wait_ingested(0)
        r = ifcall.run(nw, {"ases": 'getASesInfo()',
                            "as": 'getASInfo(29518)',
                            "cs": 'getCountriesInfo()',
                            "c": 'getCountryInfo("SE")',
                            "hosts": 'getHostsInfo({perPage = 10000})'})
        for k in ("ases", "as", "cs", "c"):
            check("no GeoIP database configured" in r[k].get("err", ""),
                  f"{k} without a database: {r[k]}")
        for h in r["hosts"]["ok"]["hosts"].values():
            check("country" not in h and "asn" not in h,
                  "no geo fields without a database")
        r = ifcall.run(nw, {"has": 'hasGeoIP()',
                            "as": 'getASName("1.128.0.1")',
                            "geo": 'getHostGeolocation("81.2.69.142")',
                            "info": 'getHostInformation("81.2.69.142")'},
                       table="ntop")
        check(r["has"].get("ok") is False, f"hasGeoIP without: {r['has']}")
        for k in ("as", "geo", "info"):
            check("not available in netward" in r[k].get("err", "") and
                  "ntop." in r[k]["err"], f"ntop {k} without: {r[k]}")
    subprocess.run(["rm", "-rf", tmp], check=False)
    print("geoip: hosts, ASes, countries and filters agree with "
          "python3-maxminddb; no database is a clear error")


if __name__ == "__main__":
    main()
