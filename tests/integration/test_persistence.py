#!/usr/bin/python3
"""Nothing committed is lost (issue 6): while the capture workers write
alerts and the periodic worker writes time series (a 2 s "minute"), a
seeded random choice of worker (capture, Lua, periodic, frontend, Redis)
is killed with SIGKILL at a random moment, each kind at least once. Before each kill
the test takes what is committed by then, read independently of netward:
the alert stores' rows straight from the SQLite files, the RRD points
through the REST series endpoint, preferences written through a script.
At the end the whole supervisor is stopped and started again on the same
data dir; every alert row (byte for byte), every RRD point (same value)
and every preference taken before any kill must still be there."""
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, PCAP_DIR, check  # noqa: E402

MINUTE = 2
PCAPS = ["WebattackSQLinj.pcap", "imap.pcap", "log4j-webapp-exploit.pcap"]
SCHEMAS = ["iface:traffic", "iface:packets", "iface:flows"]

SET_PREF = '''
ntop.setPref("netward.persist." .. _GET.n, _GET.v)
print(ntop.getPref("netward.persist." .. _GET.n))
'''
GET_PREFS = '''
local out = {}
for i = 0, tonumber(_GET.count) - 1 do
  out[#out + 1] = ntop.getPref("netward.persist." .. i)
end
print(table.concat(out, ","))
'''


def retry(what, fn, timeout=30):
    """A worker may be restarting: retry until it answers."""
    deadline = time.time() + timeout
    while True:
        try:
            return fn()
        except (AssertionError, OSError, ValueError) as e:
            if time.time() > deadline:
                raise AssertionError(f"{what}: {e}")
            time.sleep(0.2)


def alert_rows(data_dir, n_ifaces):
    """{(ifid, table, rowid): row} of every alert table, read read-only
    from the files (WAL readers see every committed transaction)."""
    rows = {}
    for ifid in range(n_ifaces):
        path = os.path.join(data_dir, f"capture-{ifid}", "alerts.db")
        if not os.path.exists(path):
            continue
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            tables = [r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name LIKE '%alert%'")]
            for t in tables:
                for r in db.execute(f'SELECT rowid, * FROM "{t}"'):
                    rows[(ifid, t, r[0])] = r
        finally:
            db.close()
    return rows


def rrd_points(nw, n_ifaces, begin):
    """{(ifid, schema, label, time): value} of the known points."""
    pts = {}
    end = int(time.time()) + MINUTE
    for ifid in range(n_ifaces):
        for schema in SCHEMAS:
            params = {"ifid": ifid, "ts_schema": schema,
                      "epoch_begin": begin, "epoch_end": end}
            status, doc = nw.get("/lua/rest/v2/get/timeseries/ts.lua", params)
            if status == 404 or (isinstance(doc, dict) and
                                 doc.get("rc_str") == "NOT_FOUND"):
                continue  # no point written yet
            check(status == 200 and doc.get("rc") == 0,
                  f"ts.lua {params}: {status} {doc!r}"[:500])
            rsp = doc["rsp"]
            for s in rsp["series"]:
                for i, v in enumerate(s["data"]):
                    if v is not None:
                        t = rsp["start"] + (i + 1) * rsp["step"]
                        pts[(ifid, schema, s["label"], t)] = v
    return pts


def set_pref(nw, url, n):
    value = f"v{n}-{random.getrandbits(32)}"
    st, raw, _ = nw.request(url, {"n": n, "v": value})
    check(st == 200 and raw.strip() == value.encode(),
          f"setPref {n}: {st} {raw[:200]!r}")
    return value


def wait_restarted(nw, name, old, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        pid = nw.worker_pids().get(name)
        if pid and pid != old and os.path.exists(f"/proc/{pid}"):
            return pid
        time.sleep(0.05)
    raise AssertionError(f"{name} not restarted\n" + nw.log()[-3000:])


def main():
    rng = random.Random(20261201)
    random.seed(20261201)
    pcaps = [os.path.join(PCAP_DIR, p) for p in PCAPS]
    data = tempfile.mkdtemp(prefix="netward-persist-")
    os.chmod(data, 0o755)
    begin = int(time.time()) // MINUTE * MINUTE - MINUTE
    alerts, points, prefs = {}, {}, []
    try:
        nw = Netward(pcaps, extra_args=["--minute-seconds", str(MINUTE)],
                     data_dir=os.path.join(data, "d"))
        with nw:
            set_url = nw.add_script("persist_set.lua", SET_PREF)
            for ifid in range(len(pcaps)):
                nw.wait_ingested(ifid)
            time.sleep(2 * MINUTE)  # a first point or two
            names = [f"capture-{i}" for i in range(len(pcaps))] + \
                ["lua-0", "lua-1", "periodic", "web", "redis"]
            order = names[:]
            rng.shuffle(order)
            order += [rng.choice(names) for _ in range(4)]
            for k, name in enumerate(order):
                time.sleep(rng.uniform(0.1, MINUTE * 1.5))
                prefs.append(retry("setPref", lambda: set_pref(nw, set_url,
                                                               len(prefs))))
                alerts.update(alert_rows(nw.data_dir, len(pcaps)))
                points.update(retry("series", lambda: rrd_points(
                    nw, len(pcaps), begin)))
                old = nw.worker_pids()[name]
                os.kill(old, signal.SIGKILL)
                wait_restarted(nw, name, old)
                print(f"kill {k + 1}: {name}; so far {len(alerts)} alert "
                      f"rows, {len(points)} points, {len(prefs)} prefs",
                      flush=True)
            time.sleep(MINUTE)
            alerts.update(alert_rows(nw.data_dir, len(pcaps)))
            points.update(retry("series", lambda: rrd_points(
                nw, len(pcaps), begin)))
            check(any(k[1] == "flow_alerts" for k in alerts),
                  "no flow alert was written: nothing to check")
            check(points, "no RRD point was written: nothing to check")
            password = nw.password

        # the whole supervisor again, on the same data dir
        nw = Netward(pcaps, extra_args=["--minute-seconds", str(MINUTE)],
                     data_dir=os.path.join(data, "d"), password=password)
        with nw:
            get_url = nw.add_script("persist_get.lua", GET_PREFS)
            after = alert_rows(nw.data_dir, len(pcaps))
            lost = [k for k in alerts if k not in after]
            check(not lost, f"{len(lost)} alert rows lost: {lost[:5]}")
            changed = [k for k in alerts if k[1] == "flow_alerts" and
                       after[k] != alerts[k]]
            check(not changed, f"flow alert rows changed: {changed[:5]}")
            now = retry("series", lambda: rrd_points(nw, len(pcaps), begin))
            gone = [k for k in points if k not in now or
                    abs(now[k] - points[k]) > 1e-6 * max(1, abs(points[k]))]
            check(not gone, f"{len(gone)} RRD points lost or changed: "
                  f"{[(k, points[k], now.get(k)) for k in gone[:5]]}")
            st, raw, _ = nw.request(get_url, {"count": len(prefs)})
            check(st == 200 and raw.decode().strip().split(",") == prefs,
                  f"preferences: {raw[:300]!r} != {prefs}")
            print(f"after {len(order)} kills and a restart: {len(alerts)} alert "
                  f"rows, {len(points)} RRD points, {len(prefs)} preferences"
                  " all kept")
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
