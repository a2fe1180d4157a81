#!/usr/bin/python3
"""Supervisor robustness: a worker that stops answering (SIGSTOP: alive,
but hung) is found by the health-check pings and restarted within a few
seconds, for each kind of worker; `netward status` shows every worker's
pid, uptime, restarts and last exit reason; the REST API keeps working."""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, SAMPLE_PCAP, BUILD_DIR, check  # noqa: E402


def status(nw):
    r = subprocess.run([os.path.join(BUILD_DIR, "netward"), "status",
                        "--runtime-dir", nw.runtime_dir],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 0, f"netward status failed: {r.stderr}")
    rows = {}
    for line in r.stdout.splitlines()[1:]:
        parts = line.split(None, 4)
        rows[parts[0]] = parts
    return r.stdout, rows


def hang_and_wait(nw, name, limit=15.0):
    old = nw.worker_pids()[name]
    t0 = time.time()
    os.kill(old, signal.SIGSTOP)
    while time.time() - t0 < limit:
        pid = nw.worker_pids().get(name)
        if pid and pid != old and os.path.exists(f"/proc/{pid}"):
            dt = time.time() - t0
            print(f"{name}: pid {old} stopped, pid {pid} up after "
                  f"{dt:.1f}s")
            check(any(f"{name}: no answer to ping" in ln
                      for ln in nw.log_lines), f"{name}: no hung report")
            return pid
        time.sleep(0.1)
    raise AssertionError(f"{name} (SIGSTOP) not restarted in {limit}s\n"
                         + nw.log()[-3000:])


def reload_under_load(nw):
    """SIGHUP: every worker but Redis restarted one by one while a client
    keeps asking; a request may need a retry (a refused connection while
    the frontend restarts, a 503), but every one is answered."""
    before = dict(nw.worker_pids())
    stop = threading.Event()
    stats = {"ok": 0, "retried": 0, "http_errors": []}

    def one():
        """One logical request; a refused connection or HTTP 502/503/504
        is retried (for 10 s at most), anything else is an error."""
        deadline = time.time() + 10
        while True:
            try:
                st, doc = nw.get("/lua/rest/v2/get/ntopng/interfaces.lua")
                if st == 200:
                    stats["ok"] += 1
                    return
                if st not in (502, 503, 504):
                    stats["http_errors"].append(f"{st} {str(doc)[:100]}")
                    return
            except OSError:
                pass
            stats["retried"] += 1
            if time.time() > deadline:
                stats["http_errors"].append("not answered in 10 s")
                return
            time.sleep(0.05)

    def client():
        while not stop.is_set():
            one()

    t = threading.Thread(target=client, daemon=True)
    t.start()
    time.sleep(0.5)
    os.kill(nw.proc.pid, signal.SIGHUP)
    deadline = time.time() + 90
    while time.time() < deadline:
        if any("SIGHUP: reload done" in ln for ln in nw.log_lines):
            break
        time.sleep(0.2)
    time.sleep(0.5)
    stop.set()
    t.join(35)
    after = nw.worker_pids()
    print(f"reload: {stats['ok']} requests answered, {stats['retried']} "
          f"retried (refused connection or 502/503/504), errors "
          f"{stats['http_errors']}")
    check(any("SIGHUP: reload done" in ln for ln in nw.log_lines),
          "reload did not finish\n" + nw.log()[-3000:])
    for name, pid in before.items():
        if name == "redis":
            check(after[name] == pid, "redis restarted by a reload")
        else:
            check(after[name] != pid, f"{name} not restarted by the reload")
    check(not stats["http_errors"], f"HTTP errors {stats['http_errors']}")
    check(stats["ok"] > 0, "no request answered during the reload")


def main():
    with Netward([SAMPLE_PCAP]) as nw:
        before = nw.wait_ingested(0)
        out, rows = status(nw)
        print(out)
        for name, pid in nw.worker_pids().items():
            check(name in rows and rows[name][1] == str(pid),
                  f"status row of {name}: {rows.get(name)}")
        time.sleep(10)  # past the start-up grace of the health check
        for name in ("lua-0", "capture-0", "web"):
            hang_and_wait(nw, name)
        after = nw.wait_ingested(0, timeout=30)
        check(after["packets"] == before["packets"],
              "state after the restarts")
        out, rows = status(nw)
        print(out)
        for name in ("lua-0", "capture-0", "web"):
            check(rows[name][3] == "1" and "hung" in rows[name][4],
                  f"status of {name}: {rows[name]}")
        check(rows["lua-1"][3] == "0", "lua-1 untouched")
        reload_under_load(nw)
    print("health checks passed")


if __name__ == "__main__":
    main()
