#!/usr/bin/python3
"""RRD time series (issue 6) end to end: a live capture on a veth pair this
test creates (IPv6 off and static neighbours, so only the test's packets
cross it), a 3 s "minute" (--minute-seconds, test only). In some minutes
the test sends a burst of UDP packets and measures, through the REST
interface counters, the bytes it added; the minute script's RRD series,
read back through /lua/rest/v2/get/timeseries/ts.lua, must hold exactly
that many bytes in that minute (rate x step), for the interface and for
the sending local host. Each burst also pings the host as many times
(ICMP, which nDPI names at the first packet, unlike the UDP datagrams
that stay undecided for a while): the ICMP protocol series must hold
2 x count x (payload + 42 bytes of ICMP/UDP, IPv4 and Ethernet headers),
requests and replies, and the local network's series (both ends are in
its own /24: "inner" bytes) 3 x count x (payload + 42), the numbers
the test computes on its own.
The minute's historical sample (DATA/lua/historical.db, read with
sqlite3) holds the interface's byte counter. The points survive kill -9
of the periodic worker, and its next runs add to the same files. Needs
root."""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, check  # noqa: E402

MINUTE = 3
TAG = f"nwt{os.getpid() % 100000}"
NS, DEV, PEER = TAG + "ns", TAG + "a", TAG + "b"
# a subnet of its own, so that two runs on one machine do not meet
NET = f"10.99.{8 + os.getpid() % 200}"
HOST_IP, PEER_IP, PORT = NET + ".1", NET + ".2", 40100
SUBNET = NET + ".0/24"

# A sender in the peer's namespace, started once (a process start-up can
# take a second on a loaded machine; a burst must fit in its minute): for
# each line "count size icmp" on stdin it sends count datagrams of size
# bytes and, when icmp is 1, as many ICMP echo requests of that payload
# size, then answers "done".
SENDER = """
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
for line in sys.stdin:
    n, size, icmp = map(int, line.split())
    for i in range(n):
        s.sendto(b"x" * size, ("%s", %d))
    for i in range(n if icmp else 0):
        body = struct.pack("!HH", 0x4e57, i) + b"p" * size
        hdr = struct.pack("!BBH", 8, 0, 0) + body
        if len(hdr) %% 2:
            hdr += b"\\0"
        c = sum(struct.unpack("!%%dH" %% (len(hdr) // 2), hdr))
        c = (c >> 16) + (c & 0xffff)
        c = ~(c + (c >> 16)) & 0xffff
        r.sendto(struct.pack("!BBH", 8, 0, c) + body, ("%s", 0))
    print("done", flush=True)
""" % (HOST_IP, PORT, HOST_IP)


def sh(*args, check_rc=True):
    return subprocess.run(args, check=check_rc, capture_output=True, text=True)


def mac_of(dev, ns=None):
    pre = ["ip", "-n", ns] if ns else ["ip"]
    out = sh(*pre, "-o", "link", "show", dev).stdout
    return out.split("link/ether ")[1].split()[0]


def setup():
    sh("ip", "netns", "add", NS)
    sh("ip", "link", "add", DEV, "type", "veth", "peer", "name", PEER,
       "netns", NS)
    sh("sysctl", "-qw", f"net.ipv6.conf.{DEV}.disable_ipv6=1")
    sh("ip", "netns", "exec", NS, "sysctl", "-qw",
       f"net.ipv6.conf.{PEER}.disable_ipv6=1")
    sh("ip", "addr", "add", HOST_IP + "/24", "dev", DEV)
    sh("ip", "-n", NS, "addr", "add", PEER_IP + "/24", "dev", PEER)
    sh("ip", "link", "set", DEV, "up")
    sh("ip", "-n", NS, "link", "set", PEER, "up")
    sh("ip", "-n", NS, "link", "set", "lo", "up")
    # no ARP at unpredictable times
    sh("ip", "neigh", "replace", PEER_IP, "lladdr", mac_of(PEER, NS),
       "dev", DEV, "nud", "permanent")
    sh("ip", "-n", NS, "neigh", "replace", HOST_IP, "lladdr", mac_of(DEV),
       "dev", PEER, "nud", "permanent")


def teardown():
    sh("ip", "link", "del", DEV, check_rc=False)
    sh("ip", "netns", "del", NS, check_rc=False)


def iface_bytes(nw):
    return int(nw.rest("/lua/rest/v2/get/interface/data.lua",
                       {"ifid": 0})["bytes"])


def series(nw, schema, begin, end, host=None, **tags):
    params = {"ifid": 0, "ts_schema": schema, "epoch_begin": begin,
              "epoch_end": end}
    if host:
        params["host"] = host
    params.update(tags)
    return nw.rest("/lua/rest/v2/get/timeseries/ts.lua", params)


def minute_bytes(rsp, minute_end, label):
    """Bytes of the step that ends at minute_end: rate x step."""
    i = (minute_end - rsp["start"]) // rsp["step"]  # 1-based row
    check(rsp["step"] == MINUTE, f"step {rsp['step']}")
    data = [s for s in rsp["series"] if s["label"] == label][0]["data"]
    check(1 <= i <= len(data), f"minute {minute_end} not in {rsp}")
    v = data[i - 1]
    return None if v is None else v * rsp["step"]


def wait_phase(lo, hi):
    """Sleeps until the time within the minute is in [lo, hi)."""
    while True:
        ph = time.time() % MINUTE
        if lo <= ph < hi:
            return
        time.sleep(0.02)


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root for a veth pair")
        sys.exit(77)
    rx = sender = None

    def send(count, size):
        sender.stdin.write(f"{count} {size} 1\n")
        sender.stdin.flush()
        check(sender.stdout.readline() == "done\n", "the sender died")

    try:
        setup()
        sender = subprocess.Popen(["ip", "netns", "exec", NS, "python3",
                                   "-c", SENDER], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        # a receiver, so the host answers no ICMP
        rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rx.bind((HOST_IP, PORT))
        nw = Netward([DEV], extra_args=["--minute-seconds", str(MINUTE),
                                        "-m", SUBNET])
        with nw:
            t0 = int(time.time())
            # the host must exist before its series can start
            # (and the ICMP one: a ping)
            send(1, 100)
            deadline = time.time() + 30
            while time.time() < deadline:
                st, _ = nw.get("/lua/rest/v2/get/timeseries/ts.lua",
                               {"ifid": 0, "ts_schema": "host:traffic",
                                "host": PEER_IP, "epoch_begin": t0,
                                "epoch_end": int(time.time())})
                st2, _ = nw.get("/lua/rest/v2/get/timeseries/ts.lua",
                                {"ifid": 0, "ts_schema": "iface:ndpi",
                                 "protocol": "ICMP", "epoch_begin": t0,
                                 "epoch_end": int(time.time())})
                if st == 200 and st2 == 200:
                    break
                time.sleep(0.5)
            check(st == 200 and st2 == 200, "no host or ICMP series\n"
                  + nw.log()[-3000:])

            bursts = []  # (end of the minute, interface bytes added,
            #             bytes on the wire by our own count)
            for k, (count, size) in enumerate([(5, 200), (0, 0), (17, 900),
                                               (3, 1200)]):
                # A burst must fall inside one minute; on a loaded machine
                # one that ran into the next minute is measured again in a
                # later one (its bytes are then in minutes no check reads).
                for attempt in range(4):
                    wait_phase(0.8, 1.0)
                    end = (int(time.time()) // MINUTE + 1) * MINUTE
                    b0 = iface_bytes(nw)
                    if count:
                        send(count, size)
                    time.sleep(0.4)
                    b1 = iface_bytes(nw)
                    in_time = time.time() < end - 0.3
                    time.sleep(MINUTE)  # the next burst in another minute
                    if in_time:
                        break
                    print(f"burst {k}: ran into the next minute, again")
                check(in_time, "every burst ran into the next minute: the "
                      "machine is too slow for this test")
                check(b1 - b0 == 3 * count * (size + 42),
                      f"burst {k}: {b1 - b0} bytes counted, "
                      f"{3 * count * (size + 42)} sent")
                bursts.append((end, b1 - b0, count * (size + 42)))

            time.sleep(MINUTE + 1)  # the last burst's minute is written
            now = int(time.time())
            ifs = series(nw, "iface:traffic", t0, now)
            hs = series(nw, "host:traffic", t0, now, PEER_IP)
            ndpi_dir = os.path.join(nw.data_dir, "lua", "rrd", "0", "ndpi")
            check(os.path.exists(os.path.join(ndpi_dir, "ICMP.rrd")),
                  "no series of protocol ICMP: "
                  f"{os.listdir(ndpi_dir) if os.path.isdir(ndpi_dir) else None}"
                  "\n" + nw.log()[-3000:])
            ps = series(nw, "iface:ndpi", t0, now, protocol="ICMP")
            ns = series(nw, "subnet:traffic", t0, now, subnet=SUBNET)
            for end, _, wire in bursts:
                got = minute_bytes(ps, end, "bytes")
                check(got is not None and
                      abs(got - 2 * wire) < 1e-6 * max(1, wire),
                      f"protocol ICMP, minute ending {end}: RRD {got} "
                      f"bytes, pinged {2 * wire}\n{ps}")
                inner = minute_bytes(ns, end, "bytes_inner")
                check(inner is not None and
                      abs(inner - 3 * wire) < 1e-6 * max(1, wire),
                      f"network {SUBNET}, minute ending {end}: RRD "
                      f"{inner} inner bytes, sent {3 * wire}\n{ns}")
                for label in ("bytes_ingress", "bytes_egress"):
                    v = minute_bytes(ns, end, label)
                    check(v == 0, f"{label} {v} in minute ending {end}: all "
                          f"the traffic is inside the network\n{ns}")
            for params in ({"protocol": "../../x"}, {"subnet": "10.0.0.0"},
                           {}):
                st, _ = nw.get("/lua/rest/v2/get/timeseries/ts.lua",
                               dict({"ifid": 0, "ts_schema": "iface:ndpi",
                                     "epoch_begin": t0, "epoch_end": now},
                                    **params))
                check(st != 200, f"iface:ndpi with {params} answered 200")

            # the historical sample of the last minute: the interface's
            # byte counter now that nothing crosses the veth any more
            db = sqlite3.connect(os.path.join(nw.data_dir, "lua",
                                              "historical.db"), timeout=10)
            tstamp, stats = db.execute(
                "SELECT tstamp, stats FROM minute_stats WHERE ifid = 0 "
                "ORDER BY tstamp DESC LIMIT 1").fetchone()
            db.close()
            sample = json.loads(stats)
            check(tstamp % 60 == 0 and now - 120 <= tstamp <= time.time(),
                  f"historical sample at {tstamp}, now {now}")
            check(sample["ifid"] == 0 and sample["bytes"] == iface_bytes(nw),
                  f"historical sample {sample}, interface bytes "
                  f"{iface_bytes(nw)}")

            for end, delta, wire in bursts:
                got = minute_bytes(ifs, end, "bytes")
                check(got is not None and abs(got - delta) < 1e-6 * max(1, delta),
                      f"interface minute ending {end}: RRD {got} bytes, "
                      f"getStats delta {delta}\n{ifs}")
                # the peer sent the datagrams and the echo requests, and
                # received the replies
                for label, want in (("bytes_sent", 2 * wire),
                                    ("bytes_rcvd", wire)):
                    v = minute_bytes(hs, end, label)
                    check(v is not None and
                          abs(v - want) < 1e-6 * max(1, want),
                          f"host {PEER_IP} minute ending {end}: RRD {v} "
                          f"{label}, expected {want}\n{hs}")
            for schema in ("iface:packets", "iface:flows", "iface:hosts"):
                rsp = series(nw, schema, t0, now)
                vals = [v for v in rsp["series"][0]["data"] if v is not None]
                check(vals, f"{schema}: no points")
            flows = [v for v in series(nw, "iface:flows", t0, now)
                     ["series"][0]["data"] if v is not None]
            check(max(flows) >= 1, f"no flow counted: {flows}")

            # kill -9 of the periodic worker: every point stays, and the
            # restarted worker goes on writing the same files
            pid = nw.worker_pids()["periodic"]
            os.kill(pid, signal.SIGKILL)
            time.sleep(3 * MINUTE + 1)
            check(nw.worker_pids().get("periodic") not in (None, pid),
                  "periodic not restarted")
            later = int(time.time())
            again = series(nw, "iface:traffic", t0, now)
            a, b = ifs["series"][0]["data"], again["series"][0]["data"]
            check(again["start"] == ifs["start"] and len(a) == len(b) and
                  all(x is None or x == y for x, y in zip(a, b)),
                  f"points changed after kill -9:\n{ifs}\n{again}")
            newer = series(nw, "iface:traffic", now, later)
            vals = [v for v in newer["series"][0]["data"] if v is not None]
            check(len(vals) >= 1, f"no point after the restart: {newer}")
            check("a system call its seccomp policy forbids" not in nw.log(),
                  "seccomp kill")
            check("periodic script callbacks/minute/timeseries.lua"
                  not in nw.log(), "the timeseries script failed:\n"
                  + nw.log()[-3000:])
    finally:
        if sender:
            sender.kill()
            sender.wait()
        if rx:
            rx.close()
        teardown()
    print("ok")


if __name__ == "__main__":
    main()
