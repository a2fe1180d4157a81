#!/usr/bin/python3
"""The per-interface alert store (SQLite in DATA/capture-N): every flow
that nDPI (ndpiReader, parsed independently) finds risky has exactly one
flow alert whose risks (flow_risk_bitmap, named by ntop.getRiskStr) are
ndpiReader's risks for that flow and whose score is ndpiReader's risk
score; getAlerts filters and pages; the alerts survive kill -9 of the
capture worker (which re-reads its capture and adds no duplicate)."""
import json
import os
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_flow_risks import ndpi_reader_risks  # noqa: E402

PCAPS = ["WebattackSQLinj.pcap", "imap.pcap", "log4j-webapp-exploit.pcap",
         "KakaoTalk_chat.pcap", "tor.pcap"]

LUA = r'''
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local json = require("dkjson")
interface.select(_GET.ifid)
local out = {}
local a = interface.getAlerts({entity = 4, perPage = 1000})
out.total = a.totalRows
out.alerts = {}
for _, r in ipairs(a.records) do
  local names = {}
  for id = 1, 63 do
    if (r.flow_risk_bitmap >> id) & 1 == 1 then names[#names + 1] = ntop.getRiskStr(id) end
  end
  out.alerts[#out.alerts + 1] = {cli = r.cli_ip, cport = r.cli_port,
    srv = r.srv_ip, sport = r.srv_port, proto = r.proto, score = r.score,
    severity = r.severity, alert_id = r.alert_id, entity = r.entity_id,
    names = names, sev_of_score = ntop.mapScoreToSeverity(r.score)}
end
out.p2 = interface.getAlerts({entity = 4, perPage = 2, page = 2, order = "asc"})
out.p1 = interface.getAlerts({entity = 4, perPage = 3, page = 1, order = "asc"})
out.crit = interface.getAlerts({entity = 4, severity = 6, perPage = 1000}).totalRows
out.engaged = interface.getEngagedAlerts({entity = 4}).totalRows
-- host checks (test_host_alerts.py) may add host alerts: none is a flow
out.host_entity = 0
for _, r in ipairs(interface.getAlerts({entity = 1, perPage = 1000}).records) do
  if r.entity_id ~= 1 or r.flow_risk_bitmap ~= nil then out.host_entity = out.host_entity + 1 end
end
out.bad = select(2, pcall(interface.getAlerts, {status = "bogus"}))
print(json.encode(out))
'''

L4 = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "ICMPV6"}


class AlertStore(unittest.TestCase):
    def fetch(self, nw, i):
        return json.loads(nw.lua_exec(self.script, i))

    def setUp(self):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False,
                                         prefix="alerts") as f:
            f.write(LUA)
            self.script = f.name
        os.chmod(self.script, 0o644)

    def tearDown(self):
        os.unlink(self.script)

    def wait_alerts(self, nw, i, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            o = self.fetch(nw, i)
            if o["total"] >= n:
                return o
            time.sleep(0.3)
        return o

    def test_alerts_match_ndpi_reader_and_survive_kill(self):
        pcaps = [os.path.join(harness.PCAP_DIR, p) for p in PCAPS]
        with harness.Netward(pcaps, lua_workers=1) as nw:
            for i in range(len(pcaps)):
                nw.wait_ingested(i)
            checked = 0
            first = {}
            for i, pcap in enumerate(pcaps):
                ref = {k: v for k, v in ndpi_reader_risks(pcap).items()
                       if v[0]}
                o = self.wait_alerts(nw, i, len(ref))
                first[i] = o
                got = {}
                for a in o["alerts"]:
                    key = (L4.get(a["proto"], "?"),
                           frozenset([(a["cli"], a["cport"]),
                                      (a["srv"], a["sport"])]))
                    self.assertNotIn(key, got, "one alert per flow")
                    got[key] = a
                # flows ndpiReader splits differently are the oracle
                # tests' business; every alert is a risky flow of nDPI's
                for key, a in got.items():
                    self.assertIn(key, ref, key)
                    risks, score = ref[key]
                    self.assertEqual(set(a["names"]), risks, key)
                    self.assertEqual(a["score"], score, key)
                    self.assertEqual(a["severity"], a["sev_of_score"])
                    self.assertEqual(a["entity"], 4)  # flow
                    self.assertIn(a["alert_id"], range(1, 64))
                    checked += 1
                self.assertGreaterEqual(len(got), len(ref) * 0.9,
                                        os.path.basename(pcap))
                self.assertEqual(o["engaged"], 0)   # flows never engage
                self.assertEqual(o["host_entity"], 0)
                self.assertTrue("bad parameter" in o["bad"], o["bad"])
                p1, p2 = o["p1"]["records"], o["p2"]["records"]
                if o["total"] >= 4:
                    self.assertEqual(p2[0]["rowid"], p1[2]["rowid"])
                self.assertEqual(o["crit"], len([a for a in o["alerts"]
                                                 if a["severity"] == 6]))
            self.assertGreater(checked, 20)
            # kill -9 the capture workers: the committed alerts are there
            # after the restart, none twice
            for i in range(len(pcaps)):
                os.kill(nw.worker_pids()["capture-%d" % i], signal.SIGKILL)
            time.sleep(1)
            for i in range(len(pcaps)):
                nw.wait_ingested(i)
                time.sleep(0.5)
                o = self.fetch(nw, i)
                self.assertEqual(o["total"], first[i]["total"])
            db = os.path.join(nw.data_dir, "capture-0", "alerts.db")
            self.assertTrue(os.path.exists(db))
            print("\n%d alerts checked against ndpiReader" % checked,
                  file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
