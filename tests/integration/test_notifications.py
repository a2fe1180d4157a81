#!/usr/bin/python3
"""Recipient queues (issue 6, ntop-api section 16) and webhook delivery: a
script registers a recipient with a webhook endpoint on a loopback HTTP
server this test starts, and enqueues notifications while the server is
down; the minute script (a 2 s "minute", test only) fails, counts it and
keeps every notification; once the server is up they all arrive, in
order, once each. Also survives kill -9 of the periodic worker. The Lua
policy lets a worker connect to port 80 only (besides 443, DNS and
mail), so the server listens on 127.0.0.1:80: needs root."""
import http.server
import json
import os
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

STATS = r'''
local json = require("dkjson")
print(json.encode(ntop.recipient_stats()["hook1"] or {}))
'''


def run(nw, name, text):
    text = ('package.path = ntop.getDirs().installdir .. '
            '"/scripts/lua/modules/?.lua;" .. package.path\n' + text)
    url = nw.add_script(name, text)
    status, raw, _ = nw.request(url)
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
        out = run(nw, "setup.lua", SETUP)
        check(out["ok"] == [True, True, True], f"enqueue: {out}")
        check("not registered" in out["err"], f"unregistered: {out}")

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
