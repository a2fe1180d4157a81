#!/usr/bin/python3
"""kill -9 of a Lua worker, then of a capture worker: the supervisor
restarts each within 2 s, says why in its log, and the REST API answers
again with the same data."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, SAMPLE_PCAP, check  # noqa: E402


def wait_restarted(nw, name, old_pid, timeout=2.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        pid = nw.worker_pids().get(name)
        if pid and pid != old_pid and os.path.exists(f"/proc/{pid}"):
            return pid, time.time()
        time.sleep(0.02)
    raise AssertionError(f"{name} not restarted within {timeout}s\n"
                         + nw.log()[-3000:])


def kill_and_check(nw, name, before):
    old = nw.worker_pids()[name]
    t0 = time.time()
    os.kill(old, signal.SIGKILL)
    new, t1 = wait_restarted(nw, name, old)
    print(f"{name}: pid {old} killed, pid {new} up after {t1 - t0:.2f}s")
    check(any(f"{name}: killed by signal 9" in line for line in nw.log_lines),
          f"log does not say {name} was killed by signal 9")
    after = nw.wait_ingested(0, timeout=30)
    check(after["packets"] == before["packets"] and
          after["num_flows"] == before["num_flows"],
          f"after restart of {name}: {after['packets']} packets, "
          f"{after['num_flows']} flows; before {before['packets']}, "
          f"{before['num_flows']}")


def main():
    with Netward([SAMPLE_PCAP]) as nw:
        before = nw.wait_ingested(0)
        kill_and_check(nw, "lua-0", before)
        kill_and_check(nw, "lua-1", before)
        kill_and_check(nw, "capture-0", before)
        kill_and_check(nw, "web", before)
    print("restart checks passed")


if __name__ == "__main__":
    main()
