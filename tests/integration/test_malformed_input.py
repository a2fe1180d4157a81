#!/usr/bin/python3
"""Hostile input from outside: broken capture files and garbage RPC
messages. Each gets a clear error; no worker crashes; the interfaces with
good input keep answering."""
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD_DIR, Netward, SAMPLE_PCAP, check  # noqa: E402
import independent  # noqa: E402

PROBE = os.path.join(BUILD_DIR, "rpc-probe")


def make_inputs(d):
    blob = open(SAMPLE_PCAP, "rb").read()
    files = {}
    # cut in the middle of the 40th packet record
    off, n = 24, 0
    while n < 40:
        incl = int.from_bytes(blob[off + 8:off + 12], "little")
        off += 16 + incl
        n += 1
    files["truncated"] = blob[:off + 16 + 7]
    files["garbage"] = random.Random(7).randbytes(5000)
    files["empty"] = b""
    # a record header claiming a 2 GiB packet after 10 good packets
    off, n = 24, 0
    while n < 10:
        incl = int.from_bytes(blob[off + 8:off + 12], "little")
        off += 16 + incl
        n += 1
    bad = bytearray(blob)
    bad[off + 8:off + 12] = (0x7FFFFFFF).to_bytes(4, "little")
    files["huge_caplen"] = bytes(bad)
    paths = {}
    for name, data in files.items():
        p = os.path.join(d, name + ".pcap")
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, 0o644)
        paths[name] = p
    return paths


def probe(url, *args):
    r = subprocess.run([PROBE, url, *args], capture_output=True, text=True,
                       timeout=20)
    return r.returncode, r.stdout.strip()


def main():
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        p = make_inputs(d)
        order = [SAMPLE_PCAP, p["truncated"], p["garbage"], p["empty"],
                 p["huge_caplen"]]
        with Netward(order) as nw:
            full = nw.wait_ingested(0)
            check(full["packets"] == independent.ethernet_totals(SAMPLE_PCAP)["packets"],
                  "the good interface is complete")

            trunc = nw.wait_ingested(1)
            check(trunc["packets"] == 40,
                  f"truncated file: {trunc['packets']} packets, want the 40 whole ones")
            huge = nw.wait_ingested(4)
            check(huge["packets"] == 10,
                  f"bad record header: {huge['packets']} packets, want 10")

            # unreadable files: a clear error, no restart loop, no crash
            for ifid in (2, 3):
                name = f"capture-{ifid}"
                lines = [l for l in nw.log_lines if f"] {name}:" in l]
                check(any("not restarting" in l for l in lines),
                      f"{name}: not reported as a configuration error:\n" +
                      "\n".join(lines))
                check(not any("killed by signal" in l for l in lines),
                      f"{name} crashed")
            status, doc = nw.get("/lua/rest/v2/get/interface/data.lua",
                                 {"ifid": 2})
            check(status != 200 and doc["rc"] < 0,
                  f"a dead interface answers an error, got {status} {doc}")

            # garbage RPC frames to a capture worker and to a Lua worker
            cap = f"ipc://{nw.runtime_dir}/capture-0.sock"
            lua = f"ipc://{nw.runtime_dir}/lua-0.sock"
            pids = nw.worker_pids()
            for url in (cap, lua):
                for raw in ("c1", "dd7fffffff", "9501", "ff" * 64,
                            "950200a3787878" + "90" + "80",
                            "950100a4706f6e6790" + "81a475736572c0"):
                    rc, out = probe(url, "raw", raw)
                    check(rc == 0 and out.startswith("status ") and
                          "status 0" not in out,
                          f"{url} raw {raw}: {rc} {out}")
                rc, out = probe(url, "call", "noSuchMethod")
                check(rc == 0 and "unknown method" in out, f"{url}: {out}")
            # a caller the frontend did not mint is refused before its
            # arguments are even looked at
            rc, out = probe(cap, "call", "getHostInfo", "10.77.0.1")
            check("status 3" in out and "no valid identity" in out,
                  f"forged identity: {out}")
            rc, out = probe(cap, "call", "ping")
            check(out.startswith("status 0"), f"capture alive: {out}")
            after = nw.worker_pids()
            for name in ("capture-0", "lua-0"):
                check(after[name] == pids[name], f"{name} restarted")
            check(nw.wait_ingested(0)["packets"] == full["packets"],
                  "still answering")
    print("malformed input checks passed")


if __name__ == "__main__":
    main()
