#!/usr/bin/python3
"""Periodic scripts (issue 6): the supervisor's "periodic" Lua worker runs
scripts/callbacks/minute/*.lua on schedule (here a 2 s "minute", the
test-only --minute-seconds); its calls to the capture worker carry the
system identity, which the capture worker accepts; a script that overruns
its deadline is stopped and logged, and the next run still happens; a
kill -9 of the periodic worker only delays the runs."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, SAMPLE_PCAP, check  # noqa: E402

MINUTE = 2

STATS = r'''
local n = tonumber(ntop.getCache("nwtest.periodic.runs")) or 0
ntop.setCache("nwtest.periodic.runs", tostring(n + 1))
local s = interface.getStats()
ntop.setCache("nwtest.periodic.bytes", tostring(s.stats.bytes))
ntop.setCache("nwtest.periodic.budget", tostring(ntop.getDeadline() - os.time()))
ntop.setCache("nwtest.periodic.user", _SESSION.user .. "/" .. _SESSION.group)
'''

# Waits (cheaply) for its deadline to approach, says so, then spins until
# the hook stops it.
OVERRUN = r'''
local n = tonumber(ntop.getCache("nwtest.periodic.overrun")) or 0
ntop.setCache("nwtest.periodic.overrun", tostring(n + 1))
while not ntop.isDeadlineApproaching() do ntop.msleep(20) end
ntop.setCache("nwtest.periodic.approached", tostring(n + 1))
while true do end
'''

READ = r'''
local out = {}
for _, k in ipairs({"runs", "bytes", "budget", "user", "overrun", "approached"}) do
  out[#out + 1] = k .. "=" .. (ntop.getCache("nwtest.periodic." .. k) or "")
end
print(table.concat(out, "\n"))
'''


def read_state(nw, url):
    status, raw, _ = nw.request(url)
    check(status == 200, f"read script: HTTP {status} {raw[:500]!r}")
    out = {}
    for line in raw.decode().splitlines():
        k, _, v = line.partition("=")
        out[k] = v
    return out


def wait_for(nw, url, cond, what, timeout=30):
    deadline = time.time() + timeout
    st = None
    while time.time() < deadline:
        st = read_state(nw, url)
        if cond(st):
            return st
        time.sleep(0.3)
    raise AssertionError(f"{what}: last state {st}\n" + nw.log()[-4000:])


def put_callback(nw, name, text):
    d = os.path.join(nw.tmp, "install", "scripts", "callbacks", "minute")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)


def main():
    nw = Netward([SAMPLE_PCAP], extra_args=["--minute-seconds", str(MINUTE)])
    with nw:
        total = nw.wait_ingested(0)
        url = nw.add_script("periodic_state.lua", READ)
        put_callback(nw, "10_stats.lua", STATS)
        put_callback(nw, "20_overrun.lua", OVERRUN)

        st = wait_for(nw, url, lambda s: s["runs"] and int(s["runs"]) >= 1,
                      "the minute script never ran")
        # interface.getStats() answered: the system identity is accepted
        check(st["bytes"] and int(st["bytes"]) > 0, f"no bytes: {st}")
        ifbytes = total.get("bytes")
        if ifbytes is not None:
            check(int(st["bytes"]) == int(ifbytes),
                  f"getStats from the periodic script {st['bytes']} != "
                  f"REST {ifbytes}")
        check(st["user"] == "system/system", f"ctx: {st['user']}")
        check(0 < int(st["budget"]) <= MINUTE, f"deadline: {st['budget']}")

        # the overrunning script: stopped, reported, and run again
        st = wait_for(nw, url,
                      lambda s: s["approached"] and int(s["approached"]) >= 2,
                      "the overrunning script did not run twice")
        time.sleep(0.5)
        check("periodic script callbacks/minute/20_overrun.lua overran"
              in nw.log(), "the overrun is not logged")
        runs = int(read_state(nw, url)["runs"])
        check(runs >= 2, f"stats script ran {runs} times")

        # kill -9 of the periodic worker: it is restarted and runs again
        pid = nw.worker_pids()["periodic"]
        os.kill(pid, signal.SIGKILL)
        wait_for(nw, url, lambda s: int(s["runs"]) >= runs + 2,
                 "no run after kill -9 of the periodic worker", timeout=40)
        check(nw.worker_pids()["periodic"] != pid, "periodic not restarted")
        check("a system call its seccomp policy forbids" not in nw.log(),
              "seccomp kill")
    print("ok")


if __name__ == "__main__":
    main()
