#!/usr/bin/python3
"""Historical statistics (ntop-api.md section 13) checked independently:
what Lua inserts is read from DATA/historical.db with Python's sqlite3,
what Python writes there is what Lua lists, retention deletes exactly the
rows older than its cutoff, a committed sample survives kill -9 of the
writer, and bad arguments raise errors naming the function. The daily
retention script is run on its own against a Redis preference."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lua_exec  # noqa: E402

IFACES = ["--interface", "0:eth0:ipc:///nonexistent/c0.sock",
          "--interface", "2:eth2:ipc:///nonexistent/c2.sock"]
TABLES = {"minute": ("minute_stats", 60), "hour": ("hour_stats", 3600),
          "day": ("day_stats", 86400)}


def setUpModule():
    global TMP, DATA, DB
    TMP = tempfile.mkdtemp(prefix="netward-hist-")
    DATA = os.path.join(TMP, "data")
    os.mkdir(DATA)
    DB = os.path.join(DATA, "historical.db")


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def lua(code, expect_ok=True, extra=None, script=None):
    path = script or os.path.join(TMP, "t%d.lua" % time.monotonic_ns())
    if script is None:
        with open(path, "w") as f:
            f.write('local json = require "dkjson"\n'
                    'local function main()\n' + code + '\nend\n'
                    'print(json.encode({v = main()}))\n')
    rc, _, _, out, err = lua_exec.run(
        path, extra=["--data-dir", DATA] + IFACES + (extra or []))
    if script is None:
        os.unlink(path)
    if not expect_ok:
        return rc, err
    if rc != 0:
        raise AssertionError(err)
    if script is not None:
        return out
    v = json.loads(out)
    return v.get("v") if isinstance(v, dict) else None


def db():
    c = sqlite3.connect(DB, timeout=10)
    return c


def rows(table, ifid=0):
    with db() as c:
        return c.execute("SELECT tstamp, stats FROM %s WHERE ifid = ? "
                         "ORDER BY tstamp" % table, (ifid,)).fetchall()


def clear():
    if os.path.exists(DB):
        with db() as c:
            for t, _ in TABLES.values():
                c.execute("DELETE FROM %s" % t)


class LuaToSqlite(unittest.TestCase):
    def setUp(self):
        lua("ntop.getMinuteSampling(0, 0)")  # creates the file
        clear()

    def test_insert_is_in_the_file(self):
        for gran, (table, slot) in TABLES.items():
            data = json.dumps({"gran": gran, "bytes": 12345, "é": "ü"})
            t0 = int(time.time())
            lua("ntop.insert%sSampling(2, %s)" % (gran.capitalize(),
                                                  json.dumps(data)))
            t1 = int(time.time())
            got = rows(table, 2)
            self.assertEqual(len(got), 1, got)
            self.assertIn(got[0][0], {t0 - t0 % slot, t1 - t1 % slot})
            self.assertEqual(got[0][1], data)
            self.assertEqual(rows(table, 0), [])

    def test_same_slot_replaces(self):
        lua('ntop.insertDaySampling(0, "one"); ntop.insertDaySampling(0, "two")')
        got = rows("day_stats")
        self.assertEqual([r[1] for r in got], ["two"])

    def test_file_settings(self):
        with db() as c:
            self.assertEqual(c.execute("PRAGMA journal_mode").fetchone()[0],
                             "wal")

    def test_committed_sample_survives_kill_9(self):
        script = os.path.join(TMP, "slow.lua")
        with open(script, "w") as f:
            f.write('ntop.insertMinuteSampling(0, "kept")\n'
                    'ntop.msleep(20000)\n')
        p = subprocess.Popen([lua_exec.LUA_BIN, "--install-dir", lua_exec.SRC,
                              "--exec", script, "--data-dir", DATA] + IFACES,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 20
            while time.time() < deadline and not rows("minute_stats"):
                time.sleep(0.05)
            os.kill(p.pid, signal.SIGKILL)
        finally:
            p.wait()
        self.assertEqual(p.returncode, -signal.SIGKILL)
        self.assertEqual([r[1] for r in rows("minute_stats")], ["kept"])


class SqliteToLua(unittest.TestCase):
    def setUp(self):
        lua("ntop.getMinuteSampling(0, 0)")
        clear()
        base = 1700000000 - 1700000000 % 3600
        self.base = base
        with db() as c:
            for i in range(10):
                c.execute("INSERT INTO minute_stats VALUES (0, ?, ?)",
                          (base + 60 * i, "m%d" % i))
                c.execute("INSERT INTO minute_stats VALUES (2, ?, ?)",
                          (base + 60 * i, "other%d" % i))
                c.execute("INSERT INTO hour_stats VALUES (0, ?, ?)",
                          (base + 3600 * i, "h%d" % i))
                c.execute("INSERT INTO day_stats VALUES (0, ?, ?)",
                          (base + 86400 * i, "d%d" % i))

    def listing(self, expr):
        # Lua tables keyed by epoch: sent back as [epoch, data] pairs
        return sorted(map(tuple, lua(
            "local out = {}\nfor k, v in pairs(%s) do "
            "out[#out+1] = {k, v} end\nreturn out" % expr) or []))

    def test_single_minute(self):
        b = self.base
        self.assertEqual(lua("return ntop.getMinuteSampling(0, %d)" % (b + 125)),
                         "m2")
        self.assertEqual(lua("return ntop.getMinuteSampling(2, %d)" % (b + 60)),
                         "other1")
        self.assertIsNone(lua("return ntop.getMinuteSampling(0, %d)" % (b - 1)))

    def test_interval(self):
        b = self.base
        self.assertEqual(self.listing("ntop.getMinuteSamplingsInterval(0, %d, %d)"
                                      % (b + 60, b + 180)),
                         [(b + 60, "m1"), (b + 120, "m2"), (b + 180, "m3")])
        self.assertEqual(self.listing("ntop.getMinuteSamplingsInterval(0, 0, 1)"),
                         [])

    def test_from_epoch(self):
        b = self.base
        self.assertEqual(self.listing("ntop.getMinuteSamplingsFromEpoch(0, %d)"
                                      % (b + 480)),
                         [(b + 480, "m8"), (b + 540, "m9")])
        # ntopng's third argument: the n slots up to epoch
        self.assertEqual(self.listing("ntop.getHourSamplingsFromEpoch(0, %d, 2)"
                                      % (b + 3 * 3600 + 59)),
                         [(b + 3600, "h1"), (b + 7200, "h2"),
                          (b + 10800, "h3")])
        self.assertEqual(len(self.listing("ntop.getDaySamplingsFromEpoch(0, 0)")),
                         10)


class Retention(unittest.TestCase):
    def test_deletes_exactly_the_older_rows(self):
        lua("ntop.getMinuteSampling(0, 0)")
        for gran, (table, _) in TABLES.items():
            for _ in range(5):
                clear()
                now = int(time.time())
                cutoff = now - now % 60 - 3 * 86400
                with db() as c:
                    for off in (-100000, -61, -1, 0, 1, 5000):
                        c.execute("INSERT INTO %s VALUES (0, ?, ?)" % table,
                                  (cutoff + off, str(off)))
                        c.execute("INSERT INTO %s VALUES (2, ?, ?)" % table,
                                  (cutoff + off, str(off)))
                lua("ntop.delete%sStatsOlderThan(0, 3)" % gran.capitalize())
                after = int(time.time())
                if after - after % 60 != now - now % 60:
                    continue  # a minute turned: the cutoff moved, again
                self.assertEqual([r[1] for r in rows(table)],
                                 ["0", "1", "5000"])
                self.assertEqual(len(rows(table, 2)), 6)  # other interface
                break
            else:
                self.fail("could not run within one minute")

    def test_daily_script_uses_the_preference(self):
        if shutil.which("redis-server") is None:
            self.skipTest("redis-server not installed")
        sock = os.path.join(TMP, "redis.sock")
        r = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket",
                              sock, "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if os.path.exists(sock):
                    break
                time.sleep(0.05)
            lua("ntop.getMinuteSampling(0, 0)")
            clear()
            now = int(time.time())
            with db() as c:
                for days in (1, 9, 11, 400):
                    for table, _ in TABLES.values():
                        c.execute("INSERT INTO %s VALUES (0, ?, ?)" % table,
                                  (now - days * 86400 - 3600, str(days)))
            subprocess.run(["redis-cli", "-s", sock, "SET",
                            "ntopng.prefs.ts_and_stats_data_retention_days",
                            "10"], check=True, capture_output=True)
            script = os.path.join(lua_exec.SRC, "scripts", "callbacks",
                                  "daily", "retention.lua")
            lua(None, script=script, extra=["--redis", sock])
            for table, _ in TABLES.values():
                self.assertEqual([r[1] for r in rows(table)], ["9", "1"],
                                 table)
            # without the preference: a year
            subprocess.run(["redis-cli", "-s", sock, "DEL",
                            "ntopng.prefs.ts_and_stats_data_retention_days"],
                           check=True, capture_output=True)
            with db() as c:
                c.execute("INSERT INTO minute_stats VALUES (0, ?, ?)",
                          (now - 400 * 86400, "400"))
                c.execute("INSERT INTO minute_stats VALUES (0, ?, ?)",
                          (now - 300 * 86400, "300"))
            lua(None, script=script, extra=["--redis", sock])
            self.assertEqual([r[1] for r in rows("minute_stats")],
                             ["300", "9", "1"])
        finally:
            r.terminate()
            r.wait(timeout=10)


class BadArguments(unittest.TestCase):
    CASES = [
        ("insertMinuteSampling", "7, 'x'", "no interface with id 7"),
        ("insertHourSampling", "-1, 'x'", "no interface with id -1"),
        ("insertDaySampling", "'0', 'x'", "must be an integer"),
        ("insertMinuteSampling", "0, 5", "must be a string"),
        ("insertMinuteSampling", "0, string.rep('a', 1048577)",
         "more than 1048576"),
        ("insertMinuteSampling", "0, '\\xff\\xfe'", "UTF-8"),
        ("insertMinuteSampling", "0, 'a\\0b'", "NUL"),
        ("getMinuteSampling", "0, -5", "epoch in"),
        ("getMinuteSampling", "0, 1.5", "must be an integer"),
        ("getMinuteSamplingsInterval", "0, 100, 10", "from <= to"),
        ("getMinuteSamplingsFromEpoch", "0, 10, -1", "count"),
        ("getHourSamplingsFromEpoch", "0, 1e300", "integer"),
        ("getDaySamplingsFromEpoch", "0", "at least 2"),
        ("deleteMinuteStatsOlderThan", "0, -1", "days"),
        ("deleteHourStatsOlderThan", "0, 100000", "days"),
        ("deleteDayStatsOlderThan", "0, 1, 2", "at most 2"),
    ]

    def test_errors_name_the_function(self):
        code = "local out = {}\n"
        for i, (fn, args, _) in enumerate(self.CASES):
            code += ("out[%d] = {pcall(function() return ntop.%s(%s) end)}\n"
                     % (i + 1, fn, args))
        code += "for i, r in ipairs(out) do out[i] = {r[1], tostring(r[2])} end\n"
        code += "return out"
        res = lua(code)
        for (fn, args, want), (ok, err) in zip(self.CASES, res):
            self.assertFalse(ok, "ntop.%s(%s) accepted" % (fn, args))
            self.assertIn("ntop.%s: " % fn, err)
            self.assertIn(want, err, "ntop.%s(%s)" % (fn, args))


if __name__ == "__main__":
    unittest.main()
