#!/usr/bin/python3
"""Paging of flow and host listings: the pages of a listing, fetched one
by one, are exactly the full sorted listing cut into pieces, for numeric
and text sort columns in both orders (the worker selects only the items a
page needs instead of sorting everything: this is what keeps that
honest), and the order agrees with the values the listing shows."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PCAP_DIR, Netward, check  # noqa: E402

R = "/lua/rest/v2/get/"
SYN = os.path.join(PCAP_DIR, "synscan.pcap")  # ~2000 flows, ~2000 hosts


def pages(nw, path, per_page, **params):
    out, page = [], 1
    while True:
        rsp = nw.rest(R + path, {"ifid": 0, "perPage": per_page,
                                 "currentPage": page, **params})
        out += rsp["data"]
        if page * per_page >= rsp["totalRows"]:
            return out, rsp["totalRows"]
        page += 1


def flow_id(f):
    return f["key"], f["hash_id"]


def main():
    with Netward([SYN]) as nw:
        nw.wait_ingested(0)
        for col in ("bytes", "first_seen", "client", "server"):
            for order in ("asc", "desc"):
                whole, n = pages(nw, "flow/active.lua", 10000,
                                 sortColumn=col, sortOrder=order)
                check(len(whole) == n and n > 1500, f"flows: {n}")
                cut, _ = pages(nw, "flow/active.lua", 37, sortColumn=col,
                               sortOrder=order)
                check([flow_id(f) for f in cut] == [flow_id(f) for f in whole],
                      f"flow pages differ from the whole for {col} {order}")
                if col == "bytes":
                    vals = [f["bytes"] for f in whole]
                    check(vals == sorted(vals, reverse=order == "desc"),
                          f"flows not in {order} byte order")
        for col in ("bytes", "ip"):
            for order in ("asc", "desc"):
                whole, n = pages(nw, "host/active.lua", 10000,
                                 sortColumn=col, sortOrder=order)
                cut, _ = pages(nw, "host/active.lua", 53, sortColumn=col,
                               sortOrder=order)
                check([h["key"] for h in cut] == [h["key"] for h in whole],
                      f"host pages differ for {col} {order}")
                if col == "bytes":
                    vals = [h["bytes"]["total"] for h in whole]
                    check(vals == sorted(vals, reverse=order == "desc"),
                          f"hosts not in {order} byte order")
    print("paging checks passed")


if __name__ == "__main__":
    main()
