#!/usr/bin/python3
"""Faults under load: a REST client loop runs on loopback while each kind
of netward worker is killed with SIGKILL in turn (Lua, capture,
frontend). Each is restarted within 2 s; every request the client makes
is answered in the end, retrying only what a client can retry (a refused
or reset connection, HTTP 502/503/504). Then Redis is killed: it is back
within 2 s and nothing stored is lost (a preference written before, the
admin user, the capture's counters), with the load running through the
restart: while Redis is away the frontend answers 503 (retry), never 401,
so no request is lost then either."""
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, SAMPLE_PCAP, check  # noqa: E402

RETRYABLE = (502, 503, 504)
PREF = "ntopng.prefs.netward_fault_test"


class Load:
    def __init__(self, nw):
        self.nw = nw
        self.stop = threading.Event()
        self.answered = 0
        self.retries = 0
        self.lost = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def one(self):
        """One logical request, retried for at most 10 s."""
        deadline = time.time() + 10
        while True:
            try:
                st, doc = self.nw.get("/lua/rest/v2/get/interface/data.lua",
                                      {"ifid": 0})
                if st == 200 and isinstance(doc, dict) and doc.get("rc") == 0:
                    self.answered += 1
                    return
                what = f"HTTP {st}: {str(doc)[:200]}"
                if st not in RETRYABLE:
                    self.lost.append(what)
                    return
            except OSError as e:
                what = f"{type(e).__name__}: {e}"
            self.retries += 1
            if time.time() > deadline:
                self.lost.append("gave up after retries: " + what)
                return
            time.sleep(0.05)

    def run(self):
        while not self.stop.is_set():
            self.one()


def main():
    with Netward([SAMPLE_PCAP]) as nw:
        before = nw.wait_ingested(0)
        setter = nw.add_script("fault_set.lua",
                               f'ntop.setPref("{PREF}", "kept")\n'
                               f'print(ntop.getPref("{PREF}"))\n')
        st, raw, _ = nw.request(setter)
        check(st == 200 and b"kept" in raw, f"setPref: {st} {raw[:200]!r}")
        load = Load(nw)
        load.thread.start()
        time.sleep(1)
        for name in ("lua-0", "capture-0", "web"):
            old = nw.worker_pids()[name]
            t0 = time.time()
            os.kill(old, signal.SIGKILL)
            while True:
                pid = nw.worker_pids().get(name)
                if pid and pid != old and os.path.exists(f"/proc/{pid}"):
                    break
                check(time.time() - t0 < 2.0,
                      f"{name} not restarted within 2 s\n" + nw.log()[-2000:])
                time.sleep(0.02)
            print(f"{name}: killed, pid {pid} up after {time.time() - t0:.2f}s;"
                  f" {load.answered} answered, {load.retries} retries so far",
                  flush=True)
            time.sleep(3)
        load.stop.set()
        load.thread.join(30)
        print(f"{load.answered} requests answered, {load.retries} retries, "
              f"{len(load.lost)} lost")
        for what in load.lost[:10]:
            print("  lost:", what)
        check(not load.lost, "requests lost")
        check(load.answered > 20, "too few requests answered")

        load = Load(nw)
        load.thread.start()
        time.sleep(1)
        old = nw.worker_pids()["redis"]
        t0 = time.time()
        os.kill(old, signal.SIGKILL)
        while True:
            pid = nw.worker_pids().get("redis")
            if pid and pid != old and os.path.exists(f"/proc/{pid}"):
                break
            check(time.time() - t0 < 2.0, "redis not restarted within 2 s")
            time.sleep(0.02)
        print(f"redis: killed, pid {pid} up after {time.time() - t0:.2f}s")
        time.sleep(4)
        load.stop.set()
        load.thread.join(30)
        print(f"through redis: {load.answered} answered, {load.retries} "
              f"retries, {len(load.lost)} lost")
        check(not load.lost and load.answered > 5,
              f"through the Redis restart: {load.lost[:3]}")
        getter = nw.add_script("fault_get.lua",
                               f'print(ntop.getPref("{PREF}"))\n')
        st, raw, _ = nw.request(getter)
        check(st == 200 and b"kept" in raw,
              f"preference lost: {st} {raw[:200]!r}")
        after = nw.wait_ingested(0, timeout=30)
        check(after["packets"] == before["packets"], "capture counters")
    print("fault checks passed")


if __name__ == "__main__":
    main()
