#!/usr/bin/python3
"""Who may use the historical statistics (ntop-api.md section 13), through
the whole system: an administrator inserts and deletes; an unprivileged
user reads but may neither insert nor delete; a user limited to another
interface cannot name this one. The file stays what the administrator
wrote (read with sqlite3)."""
import base64
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, SAMPLE_PCAP, check  # noqa: E402

SCRIPT = r'''
local json = require "dkjson"
local function try(f, ...)
  local ok, r = pcall(f, ...)
  return {ok = ok, r = ok and r or tostring(r)}
end
local op = _GET.op
local out
if op == "adduser" then
  out = {try(ntop.addUser, "ana", "Ana", "pw-ana-1", "unprivileged", "", ""),
         try(ntop.addUser, "bob", "Bob", "pw-bob-1", "unprivileged", "",
             "nosuchif")}
elseif op == "insert" then
  out = try(ntop.insertMinuteSampling, 0, _GET.data)
elseif op == "delete" then
  out = try(ntop.deleteMinuteStatsOlderThan, 0, 0)
else
  local r = try(ntop.getMinuteSamplingsFromEpoch, 0, 0)
  if r.ok then
    local vals = {}
    for _, v in pairs(r.r) do vals[#vals + 1] = v end
    r.r = vals
  end
  out = r
end
print(json.encode(out))
'''


def basic(user, pw):
    return {"Authorization": "Basic " + base64.b64encode(
        f"{user}:{pw}".encode()).decode()}


def run(nw, url, params, who=None):
    kw = {} if who is None else {"auth": False, "headers": basic(*who)}
    status, raw, _ = nw.request(url, params, **kw)
    check(status == 200, f"{params} as {who}: HTTP {status} {raw[:500]!r}")
    return json.loads(raw)


def main():
    with Netward([SAMPLE_PCAP]) as nw:
        url = nw.add_script("hist.lua", SCRIPT)
        added = run(nw, url, {"op": "adduser"})
        check(all(a["ok"] for a in added), f"addUser: {added}")
        ana, bob = ("ana", "pw-ana-1"), ("bob", "pw-bob-1")

        # away from a minute's start, when the periodic minute script
        # writes this minute's slot (it would replace the sample)
        while not 5 <= time.time() % 60 < 45:
            time.sleep(0.5)
        r = run(nw, url, {"op": "insert", "data": "by admin"})
        check(r["ok"], f"admin insert: {r}")
        r = run(nw, url, {"op": "insert", "data": "by ana"}, ana)
        check(not r["ok"] and "ntop.insertMinuteSampling: only an "
              "administrator" in r["r"], f"ana insert: {r}")
        r = run(nw, url, {"op": "delete"}, ana)
        check(not r["ok"] and "ntop.deleteMinuteStatsOlderThan: only an "
              "administrator" in r["r"], f"ana delete: {r}")
        r = run(nw, url, {"op": "read"}, ana)
        check(r["ok"] and "by admin" in r["r"], f"ana read: {r}")
        r = run(nw, url, {"op": "read"}, bob)
        check(not r["ok"] and "no interface with id 0" in r["r"],
              f"bob (another interface) read: {r}")

        db = sqlite3.connect(os.path.join(nw.data_dir, "lua",
                                          "historical.db"), timeout=10)
        got = [s for (s,) in db.execute(
            "SELECT stats FROM minute_stats WHERE ifid = 0")]
        db.close()
        # (the periodic minute script adds its JSON samples too)
        check("by admin" in got and "by ana" not in got, f"file: {got}")

        r = run(nw, url, {"op": "delete"})
        check(r["ok"], f"admin delete: {r}")
    print("ok")


if __name__ == "__main__":
    main()
