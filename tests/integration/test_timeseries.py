#!/usr/bin/python3
"""RRD time series (issue 6) end to end: a live capture on a veth pair this
test creates (IPv6 off and static neighbours, so only the test's packets
cross it), a 3 s "minute" (--minute-seconds, test only). In some minutes
the test sends a burst of UDP packets and measures, through the REST
interface counters, the bytes it added; the minute script's RRD series,
read back through /lua/rest/v2/get/timeseries/ts.lua, must hold exactly
that many bytes in that minute (rate x step), for the interface and for
the sending local host. The points survive kill -9 of the periodic
worker, and its next runs add to the same files. Needs root."""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, check  # noqa: E402

MINUTE = 3
TAG = f"nwt{os.getpid() % 100000}"
NS, DEV, PEER = TAG + "ns", TAG + "a", TAG + "b"
HOST_IP, PEER_IP, PORT = "10.99.8.1", "10.99.8.2", 40100

SEND = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"x" * int(sys.argv[2]), ("%s", %d))
""" % (HOST_IP, PORT)


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


def series(nw, schema, begin, end, host=None):
    params = {"ifid": 0, "ts_schema": schema, "epoch_begin": begin,
              "epoch_end": end}
    if host:
        params["host"] = host
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
    rx = None
    try:
        setup()
        # a receiver, so the host answers no ICMP
        rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rx.bind((HOST_IP, PORT))
        nw = Netward([DEV], extra_args=["--minute-seconds", str(MINUTE),
                                        "-m", "10.99.8.0/24"])
        with nw:
            t0 = int(time.time())
            # the host must exist before its series can start
            subprocess.run(["ip", "netns", "exec", NS, "python3", "-c", SEND,
                            "1", "100"], check=True)
            deadline = time.time() + 30
            while time.time() < deadline:
                st, _ = nw.get("/lua/rest/v2/get/timeseries/ts.lua",
                               {"ifid": 0, "ts_schema": "host:traffic",
                                "host": PEER_IP, "epoch_begin": t0,
                                "epoch_end": int(time.time())})
                if st == 200:
                    break
                time.sleep(0.5)
            check(st == 200, "no host series\n" + nw.log()[-3000:])

            bursts = []  # (end of the minute, interface bytes added)
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
                        subprocess.run(["ip", "netns", "exec", NS, "python3",
                                        "-c", SEND, str(count), str(size)],
                                       check=True)
                    time.sleep(0.6)
                    b1 = iface_bytes(nw)
                    in_time = time.time() < end - 0.3
                    time.sleep(MINUTE)  # the next burst in another minute
                    if in_time:
                        break
                    print(f"burst {k}: ran into the next minute, again")
                check(in_time, "every burst ran into the next minute: the "
                      "machine is too slow for this test")
                check(count == 0 or b1 - b0 >= count * (size + 42),
                      f"burst {k}: only {b1 - b0} bytes counted")
                bursts.append((end, b1 - b0))

            time.sleep(MINUTE + 1)  # the last burst's minute is written
            now = int(time.time())
            ifs = series(nw, "iface:traffic", t0, now)
            hs = series(nw, "host:traffic", t0, now, PEER_IP)
            for end, delta in bursts:
                got = minute_bytes(ifs, end, "bytes")
                check(got is not None and abs(got - delta) < 1e-6 * max(1, delta),
                      f"interface minute ending {end}: RRD {got} bytes, "
                      f"getStats delta {delta}\n{ifs}")
                sent = minute_bytes(hs, end, "bytes_sent")
                check(sent is not None and abs(sent - delta) < 1e-6 * max(1, delta),
                      f"host {PEER_IP} minute ending {end}: RRD {sent} bytes "
                      f"sent, getStats delta {delta}\n{hs}")
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
        if rx:
            rx.close()
        teardown()
    print("ok")


if __name__ == "__main__":
    main()
