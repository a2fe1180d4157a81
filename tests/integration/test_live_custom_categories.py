#!/usr/bin/python3
"""A live capture on a veth pair this test creates (its peer in a network
namespace of its own), and custom categories end to end: a script loads an
address and a host name into categories with ntop.loadCustomCategory* and
finalizenDPIReload(); flows that start afterwards carry those categories in
the capture worker's nDPI, flows from before keep theirs. Needs root."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, check  # noqa: E402

TAG = f"nwc{os.getpid() % 100000}"
NS, DEV, PEER = TAG + "ns", TAG + "a", TAG + "b"
CUSTOM_1 = 20  # NDPI_PROTOCOL_CATEGORY_CUSTOM_1 in nDPI 4.2

SEND = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    s.sendto(b"netward-test-payload-%d" % i, ("10.99.7.1", int(sys.argv[1])))
"""

RELOAD = """
ntop.initnDPIReload()
ntop.loadCustomCategoryIp(%d, "10.99.7.1/32")
ntop.finalizenDPIReload()
print("ok")
""" % CUSTOM_1

RELOAD_HOST = """
ntop.initnDPIReload()
ntop.loadCustomCategoryHost(%d, "netward.test")
ntop.finalizenDPIReload()
print("ok")
""" % (CUSTOM_1 + 1)

DNS_QUERY = """
import socket, struct
q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in "www.netward.test".split(".")) + b"\\0"
q += struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.7.2", 40053))
s.sendto(q, ("10.99.7.1", 53))
"""

FLOWS = """
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local json = require("dkjson")
interface.select("0")
local out = {}
for _, f in ipairs(interface.getFlowsInfo({perPage = 1000}).flows) do
  out[#out + 1] = {port = f["srv.port"], cat = f["proto.ndpi_cat_id"],
                   proto = f["proto.ndpi"], pkts = f["packets"],
                   cat_name = f["proto.ndpi_cat"], ip = f["srv.ip"]}
end
print(json.encode(out))
"""


def sh(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


def send_udp(port):
    subprocess.run(["ip", "netns", "exec", NS, "/usr/bin/python3", "-c", SEND,
                    str(port)], check=True, timeout=20)


def flows(nw):
    url = nw.add_script("flows.lua", FLOWS)
    status, raw, _ = nw.request(url)
    check(status == 200, f"flows: {status} {raw[:300]!r}")
    return json.loads(raw)


def wait_flow(nw, port, timeout=15, done=lambda f: True):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        for f in flows(nw):
            if f["port"] == port and f["ip"] == "10.99.7.1":
                last = f
                if done(f):
                    return f
        time.sleep(0.3)
    if last is not None:
        return last
    raise AssertionError(f"no flow to port {port} seen\n" + nw.log()[-3000:])


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root for a veth pair")
        sys.exit(77)
    try:
        sh("ip", "netns", "add", NS)
        sh("ip", "link", "add", DEV, "type", "veth", "peer", "name", PEER,
           "netns", NS)
        sh("ip", "addr", "add", "10.99.7.1/24", "dev", DEV)
        sh("ip", "link", "set", DEV, "up")
        sh("ip", "-n", NS, "addr", "add", "10.99.7.2/24", "dev", PEER)
        sh("ip", "-n", NS, "link", "set", PEER, "up")
        sh("ip", "-n", NS, "link", "set", "lo", "up")
        with Netward([DEV]) as nw:
            send_udp(40001)
            before = wait_flow(nw, 40001)
            check(before["cat"] != CUSTOM_1, f"category before: {before}")
            url = nw.add_script("reload.lua", RELOAD)
            status, raw, _ = nw.request(url)
            check(status == 200 and b"ok" in raw, f"reload: {status} {raw!r}")
            send_udp(40002)
            after = wait_flow(nw, 40002)
            check(after["cat"] == CUSTOM_1, f"category after reload: {after}")
            again = [f for f in flows(nw) if f["port"] == 40001][0]
            check(again["cat"] == before["cat"], "an older flow changed")
            # a new set replaces the old one: the address rule is gone and
            # a host-name rule applies to what DNS names
            url = nw.add_script("reload_host.lua", RELOAD_HOST)
            status, raw, _ = nw.request(url)
            check(status == 200 and b"ok" in raw, f"reload 2: {status} {raw!r}")
            send_udp(40003)
            third = wait_flow(nw, 40003)
            check(third["cat"] != CUSTOM_1, f"address rule survived: {third}")
            # the query gets an answer, so nDPI's DNS verdict is final
            import socket
            import threading
            srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            srv.bind(("10.99.7.1", 53))
            srv.settimeout(10)

            def answer():
                q, peer = srv.recvfrom(512)
                ans = (b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04"
                       + socket.inet_aton("10.99.7.1"))
                srv.sendto(q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01\x00\x00\x00\x00"
                           + q[12:] + ans, peer)
            t = threading.Thread(target=answer)
            t.start()
            subprocess.run(["ip", "netns", "exec", NS, "/usr/bin/python3", "-c",
                            DNS_QUERY], check=True, timeout=20)
            t.join(15)
            srv.close()
            dns = wait_flow(nw, 53, done=lambda f: f["cat"] != 0)
            check(dns["cat"] == CUSTOM_1 + 1, f"host-name rule on DNS: {dns}")
            # the live worker holds no capability once its handle is open
            pid = nw.worker_pids()["capture-0"]
            with open(f"/proc/{pid}/status") as f:
                caps = {l.split(":")[0]: l.split(":")[1].strip()
                        for l in f if l.startswith("Cap")}
            check(all(int(v, 16) == 0 for k, v in caps.items() if k != "CapBnd"),
                  f"live capture worker capabilities: {caps}")
        print(f"custom categories on a live capture: {before['cat_name']} -> "
              f"{after['cat_name']}")
    finally:
        subprocess.run(["ip", "link", "del", DEV], capture_output=True)
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)


if __name__ == "__main__":
    main()
