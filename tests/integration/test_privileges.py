#!/usr/bin/python3
"""Started as root, every worker runs as the service user with
no_new_privs, and with the capabilities docs/ARCHITECTURE.md gives its role
(a capture worker reading a file and every other worker: none at all).
Started as an ordinary user the same test checks only no_new_privs and
empty capability sets."""
import os
import pwd
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, SAMPLE_PCAP, check  # noqa: E402


def status_of(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


def main():
    root = os.geteuid() == 0
    nobody = pwd.getpwnam("nobody")
    with Netward([SAMPLE_PCAP]) as nw:
        nw.wait_ingested(0)
        pids = nw.worker_pids()
        check(set(pids) >= {"redis", "capture-0", "lua-0", "lua-1", "web"},
              f"workers {sorted(pids)}")
        for name, pid in sorted(pids.items()):
            st = status_of(pid)
            uids = st["Uid"].split()
            gids = st["Gid"].split()
            print(f"{name:10} pid {pid:6} Uid {st['Uid']:24} CapEff "
                  f"{st['CapEff']} CapPrm {st['CapPrm']} CapBnd "
                  f"{st['CapBnd']} CapAmb {st['CapAmb']} NoNewPrivs "
                  f"{st['NoNewPrivs']}")
            if root:
                check(uids == [str(nobody.pw_uid)] * 4,
                      f"{name}: Uid {uids}")
                check(gids == [str(nobody.pw_gid)] * 4,
                      f"{name}: Gid {gids}")
                check(st["Groups"] == "", f"{name}: Groups {st['Groups']}")
                check(int(st["CapBnd"], 16) == 0,
                      f"{name}: bounding set {st['CapBnd']}")
            for cap in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
                check(int(st[cap], 16) == 0, f"{name}: {cap} {st[cap]}")
            check(st["NoNewPrivs"] == "1", f"{name}: NoNewPrivs")
        # The supervisor parses nothing and stays who started it.
        sup = status_of(nw.proc.pid)
        check(sup["Uid"].split()[0] == str(os.geteuid()), "supervisor uid")
    print("privilege checks passed" + ("" if root else " (not root: uid change not tested)"))


if __name__ == "__main__":
    main()
