#!/usr/bin/python3
"""interface.rrd_enqueue/rrd_dequeue/rrd_queue_length (interface-api.md
section 18), ntop.rrd_inc_num_drops and ntop.deleteOldRRDs (ntop-api.md
section 14), checked from outside: the queues and counters with a second
Redis connection (redis-cli and raw RESP), deleted files on disk."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import json
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lua_exec  # noqa: E402

IFACES = ["--interface", "0:eth0:ipc:///nonexistent/c0.sock",
          "--interface", "2:eth2:ipc:///nonexistent/c2.sock"]
PREF = "ntopng.prefs.ts_and_stats_data_retention_days"


def setUpModule():
    global TMP, SOCK, REDIS, DATA
    if shutil.which("redis-server") is None:
        raise unittest.SkipTest("redis-server not installed")
    TMP = tempfile.mkdtemp(prefix="netward-rrdq-")
    SOCK = os.path.join(TMP, "redis.sock")
    DATA = os.path.realpath(os.path.join(TMP, "data"))
    os.mkdir(DATA)
    REDIS = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket",
                              SOCK, "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(SOCK):
            break
        time.sleep(0.05)


def tearDownModule():
    REDIS.terminate()
    REDIS.wait(timeout=10)
    shutil.rmtree(TMP, ignore_errors=True)


def cli(*args):
    return subprocess.run(["redis-cli", "-s", SOCK, *args],
                          capture_output=True, text=True,
                          check=True).stdout.rstrip("\n")


def resp(*args):
    """One command over a raw connection of our own (no redis-cli argv
    limits); returns the first reply line."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out = b"".join(parts)
    s = socket.socket(socket.AF_UNIX)
    s.connect(SOCK)
    s.sendall(out)
    line = s.makefile("rb").readline()
    s.close()
    return line.decode().strip()


def lua(code, expect_ok=True):
    path = os.path.join(TMP, "t%d.lua" % time.monotonic_ns())
    with open(path, "w") as f:
        f.write('local json = require "dkjson"\n'
                'local function main()\n' + code + '\nend\n'
                'print(json.encode({v = main()}))\n')
    rc, _, _, out, err = lua_exec.run(
        path, extra=["--redis", SOCK, "--data-dir", DATA] + IFACES)
    os.unlink(path)
    if not expect_ok:
        return rc, err
    if rc != 0:
        raise AssertionError(err)
    v = json.loads(out)
    return v.get("v") if isinstance(v, dict) else None


class Queue(unittest.TestCase):
    def setUp(self):
        cli("DEL", "netward.rrd_queue.0", "netward.rrd_queue.2")

    def test_enqueue_is_in_redis_in_order(self):
        p = DATA + "/rrd/0/iface/traffic.rrd"
        t0 = int(time.time())
        got = lua('interface.select(0)\n'
                  'local r = {interface.rrd_enqueue("%s", 10, 60),\n'
                  '  interface.rrd_enqueue("%s", 2.5, 300)}\n'
                  'interface.select(2)\n'
                  'r[3] = interface.rrd_enqueue("%s", -7, 1)\n'
                  'r[4] = interface.rrd_queue_length()\n'
                  'return r' % (p, p, p))
        t1 = int(time.time())
        self.assertEqual(got, [True, True, True, 1])
        q0 = cli("LRANGE", "netward.rrd_queue.0", "0", "-1").split("\n")
        self.assertEqual(len(q0), 2)
        for entry, (step, value) in zip(q0, [("60", "10"), ("300", "2.5")]):
            when, st, val, path = entry.split(" ", 3)
            self.assertTrue(t0 <= int(when) <= t1)
            self.assertEqual((st, val, path), (step, value, p))
        self.assertEqual(cli("LLEN", "netward.rrd_queue.2"), "1")

    def test_dequeue_reads_what_another_client_pushed(self):
        p = DATA + "/rrd/0/a b/x.rrd"  # a space in the path
        cli("RPUSH", "netward.rrd_queue.0", "1700000000 60 42 " + p,
            "1700000060 60 0.25 " + p)
        got = lua('interface.select(0)\n'
                  'local n = interface.rrd_queue_length()\n'
                  'return {n, interface.rrd_dequeue(), '
                  'interface.rrd_queue_length(), interface.rrd_dequeue(), '
                  'interface.rrd_dequeue() == nil}')
        self.assertEqual(got[0], 2)
        self.assertEqual(got[1], {"rrd_path": p, "value": 42, "step": 60,
                                  "when": 1700000000})
        self.assertEqual(got[2], 1)
        self.assertEqual(got[3]["value"], 0.25)
        self.assertTrue(got[4])
        self.assertEqual(cli("LLEN", "netward.rrd_queue.0"), "0")

    def test_malformed_entry_is_dropped_with_an_error(self):
        cli("RPUSH", "netward.rrd_queue.0", "garbage", "1 60 1 /x")
        rc, err = lua("interface.select(0)\nreturn interface.rrd_dequeue()",
                      expect_ok=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("interface.rrd_dequeue: dropped a malformed entry", err)
        self.assertEqual(cli("LRANGE", "netward.rrd_queue.0", "0", "-1"),
                         "1 60 1 /x")

    def test_full_queue_refuses(self):
        n = 65536
        self.assertEqual(resp("RPUSH", "netward.rrd_queue.0",
                              *["1 60 1 /x"] * (n - 1)), ":%d" % (n - 1))
        p = DATA + "/q.rrd"
        got = lua('interface.select(0)\n'
                  'return {interface.rrd_enqueue("%s", 1, 60), '
                  'interface.rrd_enqueue("%s", 2, 60), '
                  'interface.rrd_queue_length()}' % (p, p))
        self.assertEqual(got, [True, False, n])
        self.assertEqual(cli("LINDEX", "netward.rrd_queue.0", "-1").split(" ")[2],
                         "1")

    def test_bad_arguments(self):
        cases = [
            ('interface.rrd_enqueue("/etc/passwd", 1, 60)',
             "interface.rrd_enqueue: rrd_path '/etc/passwd' is not a path"),
            ('interface.rrd_enqueue("%s/../x.rrd", 1, 60)' % DATA,
             "not a path inside the data dir"),
            ('interface.rrd_enqueue("%s/x.rrd", 0/0, 60)' % DATA,
             "(value) must be a finite number"),
            ('interface.rrd_enqueue("%s/x.rrd", 1, 0)' % DATA,
             "(step) must be an integer"),
            ('interface.rrd_enqueue("%s/x.rrd", 1, 1.5)' % DATA,
             "(step) must be an integer"),
            ('interface.rrd_enqueue({}, 1, 60)', "(rrd_path) must be a string"),
            ('interface.rrd_enqueue("a", 1)', "want (rrd_path, value, step)"),
            ('interface.rrd_dequeue(1)', "interface.rrd_dequeue: takes no"),
            ('interface.rrd_queue_length({})',
             "interface.rrd_queue_length: takes no"),
            ('interface.appendInfluxDB("x")',
             "interface.appendInfluxDB: not available in netward: netward "
             "has no InfluxDB"),
        ]
        code = "interface.select(0)\nlocal out = {}\n"
        for i, (c, _) in enumerate(cases):
            code += "out[%d] = {pcall(function() return %s end)}\n" % (i + 1, c)
        code += ("for i, r in ipairs(out) do out[i] = {r[1], tostring(r[2])} "
                 "end\nreturn out")
        for (c, want), (ok, err) in zip(cases, lua(code)):
            self.assertFalse(ok, c)
            self.assertIn(want, err, c)
        self.assertEqual(cli("LLEN", "netward.rrd_queue.0"), "0")
        # the first interface is selected to begin with, as in ntopng
        cli("RPUSH", "netward.rrd_queue.0", "1 60 1 /x")
        self.assertEqual(lua("return interface.rrd_queue_length()"), 1)


class Drops(unittest.TestCase):
    def test_counts_are_in_redis(self):
        cli("DEL", "netward.rrd.drops", "netward.rrd.drops.files")
        p = DATA + "/rrd/0/iface/traffic.rrd"
        lua('ntop.rrd_inc_num_drops("%s"); ntop.rrd_inc_num_drops("%s")\n'
            'ntop.rrd_inc_num_drops()' % (p, p))
        self.assertEqual(cli("GET", "netward.rrd.drops"), "3")
        self.assertEqual(cli("HGETALL", "netward.rrd.drops.files"),
                         p + "\n2")
        self.assertEqual(lua('return ntop.getCache("netward.rrd.drops")'), "3")
        rc, err = lua('ntop.rrd_inc_num_drops("/etc/x.rrd")', expect_ok=False)
        self.assertIn("ntop.rrd_inc_num_drops: path '/etc/x.rrd' is outside",
                      err)
        self.assertEqual(cli("GET", "netward.rrd.drops"), "3")

    def test_per_file_counts_are_bounded(self):
        cli("DEL", "netward.rrd.drops", "netward.rrd.drops.files")
        args = []
        for i in range(4096):
            args += ["/f%d" % i, "1"]
        self.assertEqual(resp("HSET", "netward.rrd.drops.files", *args),
                         ":4096")
        p = DATA + "/new.rrd"
        lua('ntop.rrd_inc_num_drops("%s")' % p)
        self.assertEqual(cli("HLEN", "netward.rrd.drops.files"), "4096")
        self.assertEqual(cli("HEXISTS", "netward.rrd.drops.files", p), "0")
        self.assertEqual(cli("GET", "netward.rrd.drops"), "1")


class DeleteOld(unittest.TestCase):
    def make(self, rel, age_days):
        p = os.path.join(DATA, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write("x")
        t = time.time() - age_days * 86400
        os.utime(p, (t, t))
        return p

    def test_default_dir_and_preference(self):
        shutil.rmtree(os.path.join(DATA, "rrd"), ignore_errors=True)
        outside = os.path.join(TMP, "outside")
        os.makedirs(outside, exist_ok=True)
        victim = os.path.join(outside, "old.rrd")
        with open(victim, "w") as f:
            f.write("x")
        os.utime(victim, (0, 0))
        old = [self.make("rrd/0/hosts/10.0.0.1/traffic.rrd", 20),
               self.make("rrd/0/hosts/10.0.0.2/traffic.rrd", 11)]
        young = [self.make("rrd/0/hosts/10.0.0.3/traffic.rrd", 9),
                 self.make("rrd/0/iface/traffic.rrd", 0),
                 self.make("rrd/0/hosts/10.0.0.2/notes.txt", 400)]
        os.symlink(outside, os.path.join(DATA, "rrd", "0", "link"))
        cli("SET", PREF, "10")
        self.assertEqual(lua("return ntop.deleteOldRRDs()"), 2)
        for p in old:
            self.assertFalse(os.path.exists(p), p)
        for p in young:
            self.assertTrue(os.path.exists(p), p)
        self.assertTrue(os.path.exists(victim), "followed a symlink")
        # the emptied host directory went, the one with notes.txt stayed
        self.assertFalse(os.path.exists(os.path.dirname(old[0])))
        self.assertTrue(os.path.isdir(os.path.dirname(old[1])))
        # without the preference: a year
        cli("DEL", PREF)
        self.make("rrd/0/hosts/10.0.0.4/traffic.rrd", 300)
        self.assertEqual(lua("return ntop.deleteOldRRDs()"), 0)
        cli("SET", PREF, "ten")
        rc, err = lua("return ntop.deleteOldRRDs()", expect_ok=False)
        self.assertIn("ntop.deleteOldRRDs: preference " + PREF, err)
        cli("DEL", PREF)

    def test_explicit_dir_and_age(self):
        a = self.make("other/1/a.rrd", 2)
        b = self.make("other/2/b.rrd", 2)
        c = self.make("other/2/c.rrd", 0)
        self.assertEqual(lua('return ntop.deleteOldRRDs("%s/other/2", 86400)'
                             % DATA), 1)
        self.assertTrue(os.path.exists(a))
        self.assertFalse(os.path.exists(b))
        self.assertTrue(os.path.exists(c))
        for code, want in [
                ('ntop.deleteOldRRDs("/tmp", 1)', "is outside"),
                ('ntop.deleteOldRRDs("%s", -1)' % DATA, "max_age"),
                ('ntop.deleteOldRRDs("%s", 1, 2)' % DATA, "at most 2")]:
            rc, err = lua(code, expect_ok=False)
            self.assertIn("ntop.deleteOldRRDs: ", err)
            self.assertIn(want, err)


if __name__ == "__main__":
    unittest.main()
