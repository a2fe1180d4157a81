#!/usr/bin/python3
"""Flow risks -> flow scores and alerts, checked against nDPI's own
output: ndpiReader (Debian libndpi-bin, the same nDPI 4.2) prints each
flow's risks ("[Risk: ** A **** B **]") and total score ("[Risk Score:
N]") with -v 2. This test parses that text itself and compares, flow by
flow (unordered endpoints + L4 protocol), with netward's getFlowsInfo:
score.flow_score, predominant_alert (named by ntop.getRiskStr) and the
hosts' scores; and with the ntop.* risk calls of spec section 31."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PCAPS = ["imap.pcap", "WebattackSQLinj.pcap", "log4j-webapp-exploit.pcap",
         "dns_fragmented.pcap", "KakaoTalk_chat.pcap", "tor.pcap",
         "ssh.pcap", "http_ipv6.pcap", "exe_download.pcap",
         "malformed_dns.pcap"]

FLOW_RE = re.compile(r"^\s*\d+\s+(TCP|UDP|ICMP|ICMPV6|\S+)\s+(\S+)\s+"
                     r"(?:<->|->)\s+(\S+)\s+\[")


def split_ep(ep):
    """'1.2.3.4:80' / '[2001:db8::1]:80' / '1.2.3.4' -> (ip, port)."""
    if ep.startswith("["):
        ip, _, port = ep[1:].partition("]:")
        return ip, int(port or 0)
    if ep.count(":") == 1:
        ip, port = ep.split(":")
        return ip, int(port)
    return ep, 0


def ndpi_reader_risks(pcap):
    """{(l4, frozenset of endpoints): (set of risk texts, score)}."""
    out = subprocess.run(["ndpiReader", "-i", pcap, "-v", "2"],
                         capture_output=True, text=True, check=True).stdout
    flows = {}
    for line in out.splitlines():
        m = FLOW_RE.match(line)
        if not m:
            continue
        key = (m.group(1).upper(), frozenset([split_ep(m.group(2)),
                                              split_ep(m.group(3))]))
        risks, score = set(), 0
        r = re.search(r"\[Risk: ((?:\*\* .*? \*\*)+)\]", line)
        if r:
            risks = set(re.findall(r"\*\* (.*?) \*\*", r.group(1)))
        s = re.search(r"\[Risk Score: (\d+)\]", line)
        if s:
            score = int(s.group(1))
        old = flows.get(key)
        if old:  # a key ndpiReader split: merge
            risks |= old[0]
            score = max(score, old[1])
        flows[key] = (risks, score)
    return flows


LUA = r'''
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local json = require("dkjson")
interface.select(_GET.ifid)
local out = {flows = {}, hosts = {}, risks = {}}
local r = interface.getFlowsInfo({perPage = 10000})
for _, f in pairs(r.flows or {}) do
  out.flows[#out.flows + 1] = {
    l4 = f["proto.l4"], cli = f["cli.ip"], cport = f["cli.port"],
    srv = f["srv.ip"], sport = f["srv.port"], score = f.score,
    flow_score = f.flow_score, alerted = f["flow.alerted"],
    pred = f.predominant_alert,
    pred_name = f.predominant_alert and ntop.getRiskStr(f.predominant_alert)}
end
local h = interface.getHostsInfo({perPage = 10000})
for k, v in pairs(h.hosts or {}) do
  out.hosts[k] = {score = v.score, cli = v.score_as_cli, srv = v.score_as_srv}
end
out.iface_score = interface.getScore()
out.risks = ntop.getRiskList()
out.alerts = ntop.getFlowRiskAlerts()
out.check36 = ntop.getFlowCheckInfo(36)
out.stats = ntop.getFlowChecksStats()
print(json.encode(out))
'''


class FlowRisks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pcaps = [os.path.join(harness.PCAP_DIR, p) for p in PCAPS]
        cls.nw = harness.Netward(cls.pcaps, lua_workers=1).start()
        for i in range(len(cls.pcaps)):
            cls.nw.wait_ingested(i)
        cls.ours = {}
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False,
                                         prefix="risks") as f:
            f.write(LUA)
            cls.script = f.name
        os.chmod(cls.script, 0o644)
        for i in range(len(cls.pcaps)):
            cls.ours[i] = json.loads(cls.nw.lua_exec(cls.script, i))

    @classmethod
    def tearDownClass(cls):
        os.unlink(cls.script)
        cls.nw.__exit__(None, None, None)

    def test_flow_scores_match_ndpi_reader(self):
        compared = alerted = 0
        for i, pcap in enumerate(self.pcaps):
            ref = ndpi_reader_risks(pcap)
            ours = {}
            for f in self.ours[i]["flows"]:
                key = (f["l4"].upper(), frozenset([(f["cli"], f["cport"]),
                                                   (f["srv"], f["sport"])]))
                ours[key] = f
            for key, (risks, score) in ref.items():
                if key not in ours:
                    continue  # flow keys are checked by the oracle tests
                f = ours[key]
                compared += 1
                what = "%s %s" % (os.path.basename(pcap), sorted(key[1]))
                self.assertEqual(f["flow_score"], score, what)
                self.assertEqual(f["score"]["flow_score"], score, what)
                self.assertEqual(f["score"]["client_score"] +
                                 f["score"]["server_score"], score, what)
                self.assertEqual(bool(f["alerted"]), score > 0, what)
                if risks:
                    alerted += 1
                    self.assertIn(f["pred_name"], risks, what)
            # every alerted flow of ours is a risky flow of nDPI's
            for key, f in ours.items():
                if f["flow_score"] and key in ref:
                    self.assertTrue(ref[key][0], key)
        print("\n%d flows compared, %d with risks" % (compared, alerted),
              file=sys.stderr)
        self.assertGreater(alerted, 30)

    def test_host_and_interface_scores(self):
        for i in range(len(self.pcaps)):
            o = self.ours[i]
            flows_total = sum(f["flow_score"] for f in o["flows"])
            hosts_total = sum(h["score"] for h in o["hosts"].values())
            self.assertEqual(hosts_total, flows_total)
            self.assertEqual(o["iface_score"]["score"], flows_total)
            for h in o["hosts"].values():
                self.assertEqual(h["score"], h["cli"] + h["srv"])

    def test_clear_text_credentials(self):
        o = self.ours[0]  # imap.pcap
        f = [f for f in o["flows"] if f["flow_score"]]
        self.assertEqual(len(f), 1)
        self.assertEqual(f[0]["pred_name"], "Clear-Text Credentials")
        self.assertEqual(f[0]["pred"], 36)
        self.assertEqual(f[0]["flow_score"], 110)  # 100 + unsafe protocol 10
        self.assertEqual(o["check36"]["key"], "ndpi_clear_text_credentials")
        self.assertEqual(o["check36"]["severity"], 5)  # error
        self.assertEqual(o["check36"]["score"], 100)
        self.assertTrue(o["check36"]["enabled"])
        self.assertEqual(o["stats"]["flows_alerted"], 1)

    def test_risk_list_is_ndpis(self):
        o = self.ours[0]
        risks = o["risks"]
        self.assertEqual(risks[35], "Clear-Text Credentials")  # 1-based
        self.assertEqual(risks[5], "Self-signed Certificate")
        al = o["alerts"]
        self.assertEqual(al["ndpi_clear_text_credentials"]["alert_id"], 36)
        self.assertEqual(al["tls_certificate_selfsigned"]["risk_name"],
                         "Self-signed Certificate")


if __name__ == "__main__":
    unittest.main(verbosity=2)
