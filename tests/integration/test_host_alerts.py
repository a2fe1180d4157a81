#!/usr/bin/python3
"""Host checks, alert exclusions, the section 10 lifecycle calls and
alert_store_query, on real captures.

- synscan.pcap (nmap SYN scan): the hosts whose unanswered SYNs or new
  flows in a minute of packet time pass the threshold are computed here
  from tshark's packet list, independently of netward, and must be
  exactly the hosts with an engaged syn_scan / flow_flood alert; a
  threshold above every count gives none (syn_flood at its default).
- A blacklist file written here (with comments, a CIDR and an address)
  engages dangerous_host for exactly the listed hosts with traffic.
- Exclusions (Redis set, ntop.reloadAlertExclusions) suppress the host
  alert of an excluded host and the flow alerts of another.
- Configuration survives kill -9 of the capture worker (it is kept in
  its store); the host alerts after the restart are the same rows.
- storeTriggeredAlert & co. are checked by reading alerts.db with
  Python's sqlite3; alert_store_query refuses writes, PRAGMA, ATTACH,
  several statements and other tables."""
import collections
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SYNSCAN = os.path.join(harness.PCAP_DIR, "synscan.pcap")
WEBATTACK = os.path.join(harness.PCAP_DIR, "WebattackSQLinj.pcap")
PERIOD = 60

PRELUDE = r'''
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local json = require("dkjson")
interface.select(_GET.ifid)
local out = {}
'''


def tshark_windows(pcap):
    """{(host, role): max count in any minute} for unanswered SYNs
    (syn_scan) and new TCP flows (flow_flood), counted from tshark."""
    out = subprocess.run(
        ["tshark", "-n", "-r", pcap, "-Y", "tcp", "-T", "fields",
         "-e", "frame.time_epoch", "-e", "ip.src", "-e", "tcp.srcport",
         "-e", "ip.dst", "-e", "tcp.dstport", "-e", "tcp.flags.syn",
         "-e", "tcp.flags.ack"],
        check=True, capture_output=True, text=True).stdout
    first = None
    seen = set()
    syn = collections.Counter()     # (win, host, "att"/"vic")
    synack = collections.Counter()
    flows = collections.Counter()
    for line in out.splitlines():
        t, src, sp, dst, dp, s, a = line.split("\t")
        t = float(t)
        if first is None:
            first = t
        win = int((t - first) // PERIOD)
        key = frozenset([(src, sp), (dst, dp)])
        s, a = s in ("1", "True"), a in ("1", "True")
        if key not in seen:
            seen.add(key)
            flows[(win, src, "att")] += 1
            flows[(win, dst, "vic")] += 1
            if s and not a:
                syn[(win, src, "att")] += 1
                syn[(win, dst, "vic")] += 1
        elif s and a:
            synack[(win, dst, "att")] += 1   # answer to the client dst
            synack[(win, src, "vic")] += 1
    scan = collections.Counter()
    for k, v in syn.items():
        scan[k] = max(0, v - synack.get(k, 0))
    return scan, flows


def expected_hosts(counts, threshold):
    return {h for (w, h, r), v in counts.items() if v > threshold}


class HostAlerts(unittest.TestCase):
    def run_lua(self, nw, body, ifid=0):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False,
                                         prefix="hostalerts") as f:
            f.write(PRELUDE + body + "\nprint(json.encode(out))\n")
        os.chmod(f.name, 0o644)
        try:
            return json.loads(nw.lua_exec(f.name, ifid))
        finally:
            os.unlink(f.name)

    def engaged(self, nw, ifid=0, n=None, timeout=20):
        deadline = time.time() + timeout
        while True:
            o = self.run_lua(nw, '''
out.r = interface.getEngagedAlerts({entity = 1, perPage = 1000}).records
''', ifid)
            got = collections.defaultdict(set)
            for r in o.get("r", []):
                got[r["alert_id"]].add(r["ip"])
            if n is None or sum(len(v) for v in got.values()) >= n or \
                    time.time() > deadline:
                return got, o.get("r", [])
            time.sleep(0.3)

    def restart_capture(self, nw, ifid=0):
        os.kill(nw.worker_pids()["capture-%d" % ifid], signal.SIGKILL)
        time.sleep(1.5)
        nw.wait_ingested(ifid)
        time.sleep(1)

    def test_synscan_matches_tshark_and_survives_kill(self):
        scan, flows = tshark_windows(SYNSCAN)
        exp_scan = expected_hosts(scan, 256)
        exp_flood = expected_hosts(flows, 256)
        self.assertTrue(exp_scan, "synscan.pcap has a scanner")
        with harness.Netward([SYNSCAN], lua_workers=1) as nw:
            nw.wait_ingested(0)
            got, recs = self.engaged(nw, n=len(exp_scan) + len(exp_flood))
            self.assertEqual(got[5], exp_scan)      # host_alert_syn_scan
            self.assertEqual(got[4], exp_flood)     # host_alert_flow_flood
            self.assertEqual(got.get(6, set()), set())  # syn_flood: 3000
            att = {r["ip"] for r in recs if r["alert_id"] == 5 and
                   r["is_attacker"] == 1}
            self.assertEqual(att, expected_hosts(
                {k: v for k, v in scan.items() if k[2] == "att"}, 256))
            for r in recs:
                self.assertEqual(r["entity_id"], 1)
                self.assertEqual(r["alert_status"], 1)
                self.assertEqual(r["score"], 100)
                self.assertEqual(r["severity"], 5)   # error
                self.assertGreater(r["value"], r["threshold"])
            o = self.run_lua(nw, '''
out.info = ntop.getHostCheckInfo(5)
out.bad = select(2, pcall(ntop.getHostCheckInfo, 99))
out.stats = ntop.getFlowChecksStats()
''')
            self.assertEqual(o["info"]["key"], "syn_scan")
            self.assertEqual(o["info"]["threshold"], 256)
            self.assertEqual(o["info"]["engaged"], len(exp_scan))
            self.assertIn("no host check 99", o["bad"])
            # a threshold above the biggest count: nothing engaged after
            # the worker re-reads the capture with the saved config
            # (netward's count may differ from this one by a packet or two
            # at the file's edges: a margin keeps the test about the config)
            top = max(scan.values()) + 20
            o = self.run_lua(nw, '''
ntop.setHashCache("netward.checks.host", "syn_scan.threshold", "%d")
ntop.setHashCache("netward.checks.host", "flow_flood.enabled", "0")
ntop.setHashCache("netward.checks.host", "syn_flood.threshold", "1000")
ntop.reloadHostChecks()
out.info = ntop.getHostCheckInfo(5)
out.bad = select(2, pcall(function()
  ntop.setHashCache("netward.checks.host", "bogus.threshold", "1")
  ntop.reloadHostChecks() end))
ntop.delHashCache("netward.checks.host", "bogus.threshold")
''' % top)
            self.assertEqual(o["info"]["threshold"], top)
            self.assertIn("bogus.threshold", o["bad"])
            self.restart_capture(nw)
            self.assertIn("host_checks restored", nw.log())
            got, recs = self.engaged(nw)
            self.assertEqual(got.get(5, set()), set(), recs)
            self.assertEqual(got.get(4, set()), set())
            exp_synflood = set()
            syns = collections.Counter()
            for line in subprocess.run(
                    ["tshark", "-n", "-r", SYNSCAN, "-Y",
                     "tcp.flags.syn==1 && tcp.flags.ack==0", "-T", "fields",
                     "-e", "ip.src", "-e", "ip.dst"], check=True,
                    capture_output=True, text=True).stdout.splitlines():
                s, d = line.split("\t")
                syns[s] += 1
                syns[d] += 1
            exp_synflood = {h for h, v in syns.items() if v > 1000}
            got, _ = self.engaged(nw, n=len(exp_synflood))
            self.assertEqual(got.get(6, set()), exp_synflood)
            # the store: past rows of the first run, nothing twice
            db = sqlite3.connect(os.path.join(nw.data_dir, "capture-0",
                                              "alerts.db"))
            rows = db.execute("SELECT alert_id, ip, tstamp, count(*) FROM "
                              "host_alerts GROUP BY 1, 2, 3").fetchall()
            self.assertTrue(all(r[3] == 1 for r in rows), rows)
            past = {(r[0], r[1]) for r in db.execute(
                "SELECT alert_id, ip FROM host_alerts WHERE "
                "alert_status = 0")}
            self.assertEqual(past, {(5, h) for h in exp_scan} |
                             {(4, h) for h in exp_flood})
            o = self.run_lua(nw, "out.a = ntop.popInternalAlerts()")
            self.assertTrue(any(a["event_type"] ==
                                "capture_worker_unclean_stop"
                                for a in o["a"]), o)
            o = self.run_lua(nw, "out.a = ntop.popInternalAlerts()")
            self.assertEqual(o["a"], {} if isinstance(o["a"], dict) else [])

    def test_blacklist_and_exclusions(self):
        flows = [line.split("\t") for line in open(os.path.join(
            harness.PCAP_DIR, "..", "oracle",
            "WebattackSQLinj.pcap.flows.tsv")).read().splitlines()[1:]]
        hosts = sorted({f[2] for f in flows} | {f[5] for f in flows})
        self.assertGreaterEqual(len(hosts), 2)
        with harness.Netward([WEBATTACK], lua_workers=1) as nw:
            nw.wait_ingested(0)
            listed = hosts[0]
            path = os.path.join(nw.data_dir, "lua", "blacklist.txt")
            with open(path, "w") as f:
                f.write("# test list\n\n%s   # one host\n"
                        "203.0.113.0/24\n2001:db8::/32\n" % listed)
            os.chmod(path, 0o644)
            o = self.run_lua(nw, '''
ntop.setCache("netward.checks.host.blacklist_file", "%s")
ntop.reloadHostChecks()
ntop.setCache("netward.checks.host.blacklist_file", "/etc/passwd")
out.outside = select(2, pcall(ntop.reloadHostChecks))
ntop.setCache("netward.checks.host.blacklist_file", "%s")
''' % (path, path))
            self.assertIn("ntop.reloadHostChecks", o["outside"])
            with open(os.path.join(nw.data_dir, "lua", "bad.txt"), "w") as f:
                f.write("10.0.0.1\n10.0.0.300\n")
            os.chmod(os.path.join(nw.data_dir, "lua", "bad.txt"), 0o644)
            o = self.run_lua(nw, '''
ntop.setCache("netward.checks.host.blacklist_file", "%s")
out.bad = select(2, pcall(ntop.reloadHostChecks))
ntop.setCache("netward.checks.host.blacklist_file", "%s")
''' % (os.path.join(nw.data_dir, "lua", "bad.txt"), path))
            self.assertIn(":2:", o["bad"])
            # flow alerts of the capture before any exclusion
            # (the store's writer commits every 250 ms: wait for it)
            db_path = os.path.join(nw.data_dir, "capture-0", "alerts.db")
            deadline = time.time() + 10
            flow_hosts = set()
            while not flow_hosts and time.time() < deadline:
                db = sqlite3.connect(db_path)
                flow_hosts = {r[0] for r in db.execute(
                    "SELECT cli_ip FROM flow_alerts UNION "
                    "SELECT srv_ip FROM flow_alerts")}
                db.close()
                time.sleep(0.1)
            self.assertTrue(flow_hosts)
            self.restart_capture(nw)
            got, _ = self.engaged(nw, n=1)
            self.assertEqual(got[14], {listed})   # dangerous_host
            # exclusions: the listed host's host alerts, and every flow
            # alert of the flow hosts
            excl = sorted(flow_hosts)
            o = self.run_lua(nw, '''
ntop.setMembersCache("netward.alerts.exclusions", "%s|host|14")
%s
ntop.reloadAlertExclusions()
ntop.setMembersCache("netward.alerts.exclusions", "300.1.1.1|flow")
out.bad = select(2, pcall(ntop.reloadAlertExclusions))
ntop.delMembersCache("netward.alerts.exclusions", "300.1.1.1|flow")
''' % (listed, "\n".join(
                'ntop.setMembersCache("netward.alerts.exclusions", "%s|flow")'
                % h for h in excl)))
            self.assertIn("300.1.1.1|flow", o["bad"])
            db = sqlite3.connect(db_path)
            db.execute("DELETE FROM flow_alerts")
            db.commit()
            db.close()
            self.restart_capture(nw)
            got, _ = self.engaged(nw)
            self.assertEqual(got.get(14, set()), set())
            o = self.run_lua(nw, '''
out.n = interface.getAlerts({entity = 4}).totalRows
out.s = interface.alert_store_query("SELECT count(*) AS n FROM flow_alerts")
''')
            self.assertEqual(o["n"], 0)
            self.assertEqual(o["s"][0]["n"], 0)

    def test_lifecycle_and_store_query(self):
        with harness.Netward([WEBATTACK], lua_workers=1) as nw:
            nw.wait_ingested(0)
            o = self.run_lua(nw, '''
local a = {alert_id = 42, entity_id = 2, entity_val = "192.168.1.0/24",
  severity = 4, subtype = "sub", script_key = "my_check",
  json = '{"x":1}'}
interface.storeTriggeredAlert(a)
interface.storeTriggeredAlert(a)   -- refreshes, no second row
interface.storeTriggeredAlert({alert_id = 43, score = 150,
  entity_id = 0, script_key = "my_check", subtype = "sub"})
interface.triggerExternalAlert({alert_id = 44, entity_id = 1,
  entity_val = "10.1.2.3", severity = 3})
interface.triggerTrafficAlert({entity_id = 1, entity_val = "10.9.9.9",
  metric = "bytes", value = 2000, threshold = 1000, operator = "gt",
  severity = 4})
out.e1 = interface.getEngagedAlerts({}).totalRows
interface.releaseTriggeredAlert(42)
interface.releaseExternalAlert({alert_id = 44, entity_val = "10.1.2.3"})
out.e2 = interface.getEngagedAlerts().totalRows
interface.releaseEngagedAlerts("my_check", "sub", 43)
out.e3 = interface.getEngagedAlerts().totalRows
out.nocross = select(2, pcall(interface.triggerTrafficAlert,
  {entity_id = 1, entity_val = "10.9.9.9", metric = "bytes", value = 1,
   threshold = 1000, severity = 4}))
out.noid = select(2, pcall(interface.storeTriggeredAlert, {severity = 3}))
out.bigsev = select(2, pcall(interface.storeTriggeredAlert,
  {alert_id = 1, severity = 99}))
out.hostq = interface.getAlerts({entity = 1, entity_val = "10.9.9.9"}).totalRows
interface.setCachedAlertValue("k1", "v1")
interface.setCachedAlertValue("k2", "v2", 1)
out.c1 = interface.getCachedAlertValue("k1")
out.c3 = interface.getCachedAlertValue("never")
out.ctx = interface.checkContext("host")
out.ctxbad = select(2, pcall(interface.checkContext, "a b"))
''')
            self.assertEqual(o["e1"], 3)
            self.assertEqual(o["e2"], 1)
            self.assertEqual(o["e3"], 0)
            self.assertIn("does not cross", o["nocross"])
            self.assertIn("alert_id", o["noid"])
            self.assertIn("severity", o["bigsev"])
            self.assertEqual(o["hostq"], 1)
            self.assertEqual(o["c1"], "v1")
            self.assertEqual(o["c3"], "")
            self.assertIn("context key", o["ctxbad"])
            time.sleep(2.2)
            o = self.run_lua(nw, 'out.c2 = interface.getCachedAlertValue("k2")')
            self.assertEqual(o["c2"], "")
            db = sqlite3.connect(os.path.join(nw.data_dir, "capture-0",
                                              "alerts.db"))
            rows = db.execute(
                "SELECT alert_id, alert_status, entity_id, entity_val, "
                "source, script_key, subtype, severity, score, json FROM "
                "entity_alerts WHERE source != 'internal' ORDER BY alert_id"
            ).fetchall()
            self.assertEqual(rows, [
                (42, 0, 2, "192.168.1.0/24", "triggered", "my_check", "sub",
                 4, 50, '{"x":1}'),
                (43, 0, 0, "0", "triggered", "my_check", "sub", 6, 150,
                 "{}"),
                (44, 0, 1, "10.1.2.3", "external", "", "", 3, 10, "{}"),
                (26, 0, 1, "10.9.9.9", "traffic", "", "", 4, 50,
                 '{"metric":"bytes","value":2000,"threshold":1000,'
                 '"operator":"gt"}'),
            ][0:0] + sorted(rows))  # order by id
            ids = [r[0] for r in rows]
            self.assertEqual(ids, [26, 42, 43, 44])
            byid = {r[0]: r for r in rows}
            self.assertEqual(byid[42], (42, 0, 2, "192.168.1.0/24",
                                        "triggered", "my_check", "sub", 4,
                                        50, '{"x":1}'))
            self.assertEqual(byid[43][7:9], (6, 150))
            self.assertEqual(byid[44][4], "external")
            self.assertEqual(json.loads(byid[26][9])["value"], 2000)
            flows = db.execute("SELECT count(*) FROM flow_alerts").fetchone()
            db.close()
            # alert_store_query: reads only, one statement, alert tables
            o = self.run_lua(nw, '''
local function try(q, ...) local ok, e = pcall(interface.alert_store_query, q, ...)
  return ok and "ok" or e end
out.n = interface.alert_store_query("SELECT count(*) AS n FROM flow_alerts;")
out.lim = #interface.alert_store_query("SELECT * FROM entity_alerts", 2)
out.ntop = ntop.alert_store_query("SELECT alert_id FROM entity_alerts WHERE alert_id = 44", 0)
out.r = {
  try("DELETE FROM flow_alerts"),
  try("UPDATE host_alerts SET score = 0"),
  try("INSERT INTO entity_alerts (alert_id) VALUES (1)"),
  try("PRAGMA journal_mode"),
  try("ATTACH DATABASE '/tmp/x.db' AS x"),
  try("SELECT 1; DELETE FROM flow_alerts"),
  try("SELECT * FROM netward_config"),
  try("SELECT * FROM sqlite_master"),
  try("SELECT * FROM pragma_table_info('flow_alerts')"),
  try("CREATE TABLE t (a)"),
  try("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"),
  try("SELECT load_extension('/tmp/x.so')"),
  try("BEGIN"),
  try(""),
  try("SELECT 1", 0),
}
''')
            self.assertEqual(o["n"][0]["n"], flows[0])
            self.assertEqual(o["lim"], 2)
            self.assertEqual(o["ntop"], [{"alert_id": 44}])
            for i, r in enumerate(o["r"]):
                self.assertNotEqual(r, "ok", i)
            db = sqlite3.connect(os.path.join(nw.data_dir, "capture-0",
                                              "alerts.db"))
            self.assertEqual(db.execute(
                "SELECT count(*) FROM flow_alerts").fetchone(), flows)
            db.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
