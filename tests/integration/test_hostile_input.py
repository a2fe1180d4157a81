#!/usr/bin/python3
"""Hostile input, without mercy: every public capture, truncated copies
and bit-flipped copies of each, read by the capture worker (no crash, no
sanitizer report, a clear error when the file cannot be read at all); the
malformed-frame counters go up on corrupted traffic; malformed HTTP
requests get an error answer and the frontend keeps serving."""
import json
import os
import random
import socket
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD_DIR, PCAP_DIR, SAMPLE_PCAP, Netward, check  # noqa: E402

CAPTURE = os.path.join(BUILD_DIR, "netward-capture")
CONFIG_ERROR = 78


def variants(blob, rng):
    """Truncated at a third and two thirds; 1 and 64 flipped bytes past
    the file header (what a damaged disk or a hostile writer makes)."""
    yield "full", blob
    for frac in (3, 2):
        yield f"cut{frac}", blob[:len(blob) * (frac - 1) // frac or 1]
    for flips in (1, 64):
        b = bytearray(blob)
        for _ in range(flips):
            if len(b) > 32:
                i = rng.randrange(24, len(b))
                b[i] ^= 1 << rng.randrange(8)
        yield f"flip{flips}", bytes(b)


def read_one(path):
    r = subprocess.run([CAPTURE, "--pcap-file", path, "--dump-flows"],
                       capture_output=True, timeout=120)
    err = r.stderr.decode(errors="replace")
    bad = r.returncode not in (0, CONFIG_ERROR) or "runtime error" in err \
        or "AddressSanitizer" in err or "LeakSanitizer" in err
    return r.returncode, bad, err


def captures():
    rng = random.Random(20261125)
    runs = crashes = 0
    with tempfile.TemporaryDirectory() as d:
        for name in sorted(os.listdir(PCAP_DIR)):
            blob = open(os.path.join(PCAP_DIR, name), "rb").read()
            for tag, data in variants(blob, rng):
                path = os.path.join(d, f"{tag}-{name}")
                with open(path, "wb") as f:
                    f.write(data)
                rc, bad, err = read_one(path)
                runs += 1
                if bad:
                    crashes += 1
                    print(f"FAIL {tag}-{name}: exit {rc}\n{err[-1500:]}")
                os.unlink(path)
    print(f"{runs} captures and damaged copies read, {crashes} crashed")
    check(crashes == 0, "a capture crashed the worker")


MALFORMED_COUNTERS = """
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local json = require("dkjson")
interface.select(_GET.ifid)
local s = interface.getStats()
local n = 0
for _, v in pairs(s.netward.malformed) do n = n + v end
print(json.encode({malformed = n, packets = s.packets}))
"""


def counters():
    """Frames whose IP headers were damaged are counted and dropped."""
    blob = bytearray(open(SAMPLE_PCAP, "rb").read())
    # corrupt the IPv4 version/IHL byte (offset 14 of each Ethernet frame)
    off, n = 24, 0
    while off + 16 <= len(blob):
        incl = int.from_bytes(blob[off + 8:off + 12], "little")
        frame = off + 16
        if incl > 14 and blob[frame + 12:frame + 14] == b"\x08\x00":
            blob[frame + 14] = 0x41  # version 4, IHL 1: impossible
            n += 1
        off = frame + incl
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        bad = os.path.join(d, "bad.pcap")
        with open(bad, "wb") as f:
            f.write(blob)
        os.chmod(bad, 0o644)
        with Netward([SAMPLE_PCAP, bad]) as nw:
            script = os.path.join(d, "counters.lua")
            with open(script, "w") as f:
                f.write(MALFORMED_COUNTERS)
            good = bad_stats = None
            nw.wait_ingested(0)
            nw.wait_ingested(1)
            good = json.loads(nw.lua_exec(script, 0))
            bad_stats = json.loads(nw.lua_exec(script, 1))
            check(good["malformed"] == 0, f"clean capture: {good}")
            check(bad_stats["malformed"] == n and bad_stats["packets"] == good["packets"],
                  f"{n} damaged IPv4 headers, counted {bad_stats}")
            http(nw)
    print(f"malformed counters: {n} damaged headers counted")


def http(nw):
    """Malformed requests at the TLS listener: answered or closed, and the
    frontend keeps serving (same pid)."""
    pid = nw.worker_pids()["web"]
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    requests = [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /lua/\x00evil.lua HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /lua/x.lua HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /lua/x.lua HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"\x16\x03\x01\x00\x05hello",
    ]
    for raw in requests:
        with socket.create_connection(("127.0.0.1", nw.port), timeout=10) as s:
            with ctx.wrap_socket(s) as t:
                try:
                    t.sendall(raw)
                    answer = t.recv(200)
                except (OSError, ssl.SSLError):
                    answer = b""
        check(not answer.startswith(b"HTTP/1.1 200"),
              f"{raw[:40]!r} answered 200: {answer!r}")
    check(nw.worker_pids()["web"] == pid and os.path.exists(f"/proc/{pid}"),
          "the frontend restarted after malformed requests")
    status, _ = nw.get("/lua/rest/v2/get/interface/data.lua", {"ifid": 0})
    check(status == 200, f"frontend still serving: {status}")


def main():
    captures()
    counters()
    print("hostile input checks passed")


if __name__ == "__main__":
    main()
