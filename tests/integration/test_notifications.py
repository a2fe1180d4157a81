#!/usr/bin/python3
"""Recipient queues (issue 6, ntop-api section 16) and their deliveries.
Webhook: a
script registers a recipient with a webhook endpoint on a loopback HTTP
server this test starts, and enqueues notifications while the server is
down; the minute script (a 2 s "minute", test only) fails, counts it and
keeps every notification; once the server is up they all arrive, in
order, once each. Also survives kill -9 of the periodic worker. The Lua
policy lets a worker connect to port 80 only (besides 443, DNS and
mail), so the server listens on 127.0.0.1:80: needs root.
Syslog: RFC 5424 over UDP to a receiver the test binds on loopback; each
notification arrives once, with the recipient id and the priority that
its severity maps to. File: the lines appended to
DATA/lua/notifications/<id>.log, read from disk by the test, equal the
notifications in order. (The local /dev/log variant is not tested: the
test cannot own the machine's syslog socket.)"""
import http.server
import json
import os
import re
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, SAMPLE_PCAP, check  # noqa: E402

MINUTE = 2
ADDR = ("127.0.0.1", 80)

SETUP = r'''
local json = require("dkjson")
ntop.recipient_register("hook1")
ntop.setCache("netward.recipient.hook1.endpoint",
  json.encode({type = "webhook", url = "http://127.0.0.1/hook"}))
local ok = {}
for i = 1, 3 do
  ok[i] = ntop.recipient_enqueue("hook1", json.encode({n = i, what = "test"}))
end
local err = select(2, pcall(ntop.recipient_enqueue, "nobody", "{}"))
print(json.encode({ok = ok, err = tostring(err)}))
'''

ENQUEUE = r'''
local json = require("dkjson")
print(json.encode({ok = ntop.recipient_enqueue("hook1", json.encode({n = 4}))}))
'''

OTHERS = r'''
local json = require("dkjson")
local port = tonumber(_GET.syslog_port)
ntop.recipient_register("sys1")
ntop.setCache("netward.recipient.sys1.endpoint",
  json.encode({type = "syslog", host = "127.0.0.1", port = port}))
ntop.recipient_register("file1")
ntop.setCache("netward.recipient.file1.endpoint", json.encode({type = "file"}))
local bad = {}
for _, v in ipairs({"../x", "a/b", ""}) do
  bad[#bad + 1] = not pcall(ntop.recipient_append_file, v, "x")
end
bad[#bad + 1] = not pcall(ntop.recipient_append_file, "file1", "two\nlines")
for i = 1, 3 do
  -- severity 5 (error), 4 (warning), none: syslog 3, 4, 5
  local sev = ({5, 4})[i]
  local n = json.encode({n = i, severity = sev})
  ntop.recipient_enqueue("sys1", n)
  ntop.recipient_enqueue("file1", n)
end
print(json.encode({bad = bad}))
'''

STATS = r'''
local json = require("dkjson")
print(json.encode(ntop.recipient_stats()[_GET.id or "hook1"] or {}))
'''


def run(nw, name, text, params=None):
    text = ('package.path = ntop.getDirs().installdir .. '
            '"/scripts/lua/modules/?.lua;" .. package.path\n' + text)
    url = nw.add_script(name, text)
    status, raw, _ = nw.request(url, params)
    check(status == 200, f"{name}: HTTP {status} {raw[:500]!r}")
    return json.loads(raw)


class Hook(http.server.BaseHTTPRequestHandler):
    got = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        Hook.got.append((self.path, json.loads(self.rfile.read(n))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def wait(cond, what, nw, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.3)
    raise AssertionError(what + "\n" + nw.log()[-3000:])


def syslog_and_file(nw, udp):
    """Both recipients were set up before the first minute ran."""
    got = []
    udp.settimeout(1)
    deadline = time.time() + 30
    while len(got) < 3 and time.time() < deadline:
        try:
            got.append(udp.recv(9000).decode())
        except socket.timeout:
            pass
    check(len(got) == 3, f"syslog datagrams: {got}")
    # <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG; PRI = 8*user + prio
    want_pri = [8 + 3, 8 + 4, 8 + 5]
    for i, line in enumerate(got):
        m = re.match(r"<(\d+)>1 \S+Z - netward - sys1 - (.*)$", line)
        check(m is not None, f"not RFC 5424: {line!r}")
        check(int(m.group(1)) == want_pri[i], f"priority of {line!r}")
        check(json.loads(m.group(2))["n"] == i + 1, f"order: {got}")
    path = os.path.join(nw.data_dir, "lua", "notifications", "file1.log")
    wait(lambda: os.path.exists(path) and
         open(path).read().count("\n") >= 3, f"{path} incomplete", nw)
    lines = open(path).read().splitlines()
    check([json.loads(x)["n"] for x in lines] == [1, 2, 3],
          f"file lines: {lines}")
    check(os.stat(path).st_mode & 0o777 == 0o600, "file mode")
    time.sleep(2 * MINUTE)
    check(udp_pending(udp) == 0, "a syslog notification came twice")
    for rid in ("sys1", "file1"):
        st = run(nw, "stats.lua", STATS, {"id": rid})
        check(st["delivered"] == 3 and st["queue_len"] == 0 and
              st["in_flight"] == 0, f"{rid} stats: {st}")


def udp_pending(udp):
    udp.settimeout(0.2)
    n = 0
    try:
        while True:
            udp.recv(9000)
            n += 1
    except socket.timeout:
        return n


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root to listen on port 80")
        sys.exit(77)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(ADDR)
        except OSError:
            print("SKIP: 127.0.0.1:80 is taken")
            sys.exit(77)
    nw = Netward([SAMPLE_PCAP], extra_args=["--minute-seconds", str(MINUTE)])
    with nw:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        out = run(nw, "others.lua", OTHERS,
                  {"syslog_port": udp.getsockname()[1]})
        check(out["bad"] == [True, True, True, True],
              f"bad file names or lines accepted: {out}")
        out = run(nw, "setup.lua", SETUP)
        check(out["ok"] == [True, True, True], f"enqueue: {out}")
        check("not registered" in out["err"], f"unregistered: {out}")
        syslog_and_file(nw, udp)
        udp.close()

        # server down: failures are counted, nothing is lost
        st = wait(lambda: (lambda s: s if s.get("failed", 0) >= 2 else None)(
            run(nw, "stats.lua", STATS)), "no failed delivery counted", nw)
        check(st["queue_len"] + st["in_flight"] == 3 and
              st.get("delivered", 0) == 0, f"stats while down: {st}")

        # kill -9 of the periodic worker while a delivery is in flight
        os.kill(nw.worker_pids()["periodic"], signal.SIGKILL)
        time.sleep(1)
        run(nw, "enqueue.lua", ENQUEUE)

        srv = http.server.HTTPServer(ADDR, Hook)
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        try:
            wait(lambda: len(Hook.got) >= 4, f"got {Hook.got}", nw)
            time.sleep(2 * MINUTE)
            got = [b["n"] for _, b in Hook.got]
            check(got == [1, 2, 3, 4], f"deliveries {got}")
            check(all(p == "/hook" for p, _ in Hook.got), "path")
            st = run(nw, "stats.lua", STATS)
            check(st["queue_len"] == 0 and st["in_flight"] == 0 and
                  st["delivered"] == 4 and st["enqueued"] == 4,
                  f"stats after: {st}")
            check(st["last_use"] > 0, f"last_use {st}")
        finally:
            srv.shutdown()
    print("ok")


if __name__ == "__main__":
    main()
