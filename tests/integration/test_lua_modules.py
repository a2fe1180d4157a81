#!/usr/bin/python3
"""The Lua modules and ntop.* bindings through netward-lua --exec:
dkjson against python's json, rest_utils codes and HTTP statuses, the
Redis cache against a private redis-server (checked with redis-cli), and
the REST endpoints' parameter validation."""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lua_exec  # noqa: E402

REST = os.path.join(lua_exec.SRC, "scripts", "lua", "rest", "v2", "get")


class Json(unittest.TestCase):
    DOCS = [
        {"a": 1, "b": [1, 2, {"c": None}], "d": "x"},
        [],
        {},
        {"empty_obj": {}, "empty_arr": [], "nested": [[], [{}]]},
        {"s": "quote\" back\\ / \b\f\n\r\t \u0001 \u001f"},
        {"u": "é 日本 \U0001F600 \u2028"},
        {"ints": [0, -1, 9007199254740993, -9223372036854775808,
                  9223372036854775807]},
        {"floats": [0.1, -2.5e-10, 1e300, 3.0, 123456.789, 5e-324]},
        [True, False, None, "x", 1, 1.5],
        "just a string",
        12,
    ]

    def roundtrip(self, text):
        rc, _, _, out, err = lua_exec.run("json_roundtrip.lua",
                                          get={"input": text})
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def test_roundtrip_matches_python(self):
        for doc in self.DOCS:
            for text in (json.dumps(doc), json.dumps(doc, ensure_ascii=False),
                         json.dumps(doc, indent=2)):
                r = self.roundtrip(text)
                self.assertTrue(r["ok"], r)
                self.assertEqual(r["value"], doc)
                # the types too: 3.0 stays a float, 12 an int
                self.assertEqual(json.dumps(r["value"], sort_keys=True),
                                 json.dumps(doc, sort_keys=True))

    def test_surrogate_escapes(self):
        r = self.roundtrip('"\\ud83d\\ude00 \\u00e9"')
        self.assertEqual(r["value"], "\U0001F600 é")

    def test_invalid_documents(self):
        for bad in ('{"a":1', '[1,2', '{"a" 1}', '[1,]x', 'nul', '"abc',
                    '{"a":01x}', '"\\q"', '[1 2]', ''):
            r = self.roundtrip(bad)
            self.assertFalse(r["ok"], bad)
            self.assertIsInstance(r["pos"], int)
            self.assertTrue(r["err"])

    def test_encode_c_path_same_as_lua(self):
        # json.encode(v) runs the worker's C encoder, json.encode(v, {})
        # dkjson's Lua one: random values must give the same text
        for seed in range(1, 6):
            rc, _, _, out, err = lua_exec.run("json_fast_path.lua",
                                              get={"seed": str(seed)})
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, "OK")

    def test_encode_cases(self):
        rc, _, _, out, err = lua_exec.run("json_encode_cases.lua")
        self.assertEqual(rc, 0, err)
        v = json.loads(out)
        self.assertEqual(v["int"], 42)
        self.assertIsInstance(v["int"], int)
        self.assertEqual(v["maxint"], 2**63 - 1)
        self.assertIsInstance(v["float"], float)
        self.assertEqual(v["tenth"], 0.1)
        self.assertEqual(v["third"], 1 / 3)
        self.assertEqual(v["big"], 1e300)
        self.assertEqual(v["tiny"], -2.5e-10)
        self.assertIsNone(v["nan"])
        self.assertIsNone(v["inf"])
        self.assertEqual(v["empty"], [])  # as ntopng's dkjson
        self.assertEqual(v["seq"], [1, "two", True, False])
        self.assertEqual(v["sparse"], ["a", None, "c"])
        self.assertEqual(v["numkeys"], {"100": "x", "200": "y"})
        self.assertEqual(v["str"], "quote\" back\\ nl\n tab\t ctl\x01\x1f "
                         "del\x7f slash/ utf8 é 日本 😀")
        self.assertIn("null", v)
        self.assertIsNone(v["null"])
        self.assertEqual(v["nested"], {"a": {"b": {"c": [1, {"d": "e"}]}}})
        self.assertTrue(v["cycle_rejected"])
        self.assertTrue(v["function_rejected"])
        self.assertFalse(math.isnan(v["third"]))


class RestUtils(unittest.TestCase):
    # /work/shared/spec/ntop-api.md section 2
    CODES = {
        "ok": (200, 0, "OK"),
        "not_found": (404, -1, "NOT_FOUND"),
        "invalid_interface": (400, -2, "INVALID_INTERFACE"),
        "not_granted": (401, -3, "NOT_GRANTED"),
        "invalid_host": (400, -4, "INVALID_HOST"),
        "invalid_args": (400, -5, "INVALID_ARGUMENTS"),
        "internal_error": (500, -6, "INTERNAL_ERROR"),
        "bad_format": (400, -7, "BAD_FORMAT"),
        "bad_content": (400, -8, "BAD_CONTENT"),
    }

    def test_codes(self):
        for name, (status, rc_, rc_str) in self.CODES.items():
            rc, st, ctype, out, err = lua_exec.run(
                "rest_answer.lua", get={"code": name}, headers=True)
            self.assertEqual(rc, 0, err)
            self.assertEqual(st, status, name)
            self.assertEqual(ctype, "application/json")
            v = json.loads(out)
            self.assertEqual(sorted(v), ["rc", "rc_str", "rc_str_hr", "rsp"])
            self.assertEqual((v["rc"], v["rc_str"]), (rc_, rc_str))
            self.assertTrue(v["rc_str_hr"])
            self.assertEqual(v["rsp"], [])

    def test_payload(self):
        _, st, _, out, _ = lua_exec.run(
            "rest_answer.lua", get={"code": "ok", "payload": "1"}, headers=True)
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(out)["rsp"], {"a": 1})


class RestValidation(unittest.TestCase):
    IFACES = ["--interface", "0:eth0:ipc:///nonexistent/netward-test-0.sock",
              "--interface", "3:lo:ipc:///nonexistent/netward-test-3.sock"]

    def call(self, path, get):
        rc, st, _, out, err = lua_exec.run(os.path.join(REST, path), get=get,
                                           extra=self.IFACES, headers=True)
        self.assertEqual(rc, 0, err)
        return st, json.loads(out)

    def test_interfaces(self):
        st, v = self.call("ntopng/interfaces.lua", {})
        self.assertEqual(st, 200)
        self.assertEqual(v["rsp"], [{"ifid": 0, "ifname": "eth0"},
                                    {"ifid": 3, "ifname": "lo"}])

    def test_bad_ifid(self):
        for ifid in (None, "", "x", "7", "-1", "0 or 1"):
            get = {} if ifid is None else {"ifid": ifid}
            for ep in ("interface/data.lua", "host/active.lua",
                       "flow/active.lua", "interface/l7/stats.lua"):
                st, v = self.call(ep, get)
                self.assertEqual((st, v["rc"]), (400, -2), (ep, ifid))

    def test_bad_paging(self):
        for per_page in ("0", "-5", "abc", "10001", "1.5"):
            for ep in ("host/active.lua", "flow/active.lua"):
                st, v = self.call(ep, {"ifid": "0", "perPage": per_page})
                self.assertEqual((st, v["rc"]), (400, -5), (ep, per_page))

    def test_bad_sort_and_filters(self):
        cases = [
            ("host/active.lua", {"sortColumn": "column_bogus"}),
            ("host/active.lua", {"sortOrder": "sideways"}),
            ("host/active.lua", {"mode": "weird"}),
            ("flow/active.lua", {"sortColumn": "nope"}),
            ("flow/active.lua", {"host": "not-an-ip"}),
            ("flow/active.lua", {"vlan": "5000"}),
            ("flow/active.lua", {"l4proto": "T;CP"}),
            ("host/data.lua", {}),
            ("host/data.lua", {"host": "300.1.1.1"}),
            ("host/data.lua", {"host": "10.0.0.1", "vlan": "x"}),
            ("interface/l7/stats.lua", {"ndpistats_mode": "nope"}),
        ]
        for ep, get in cases:
            get = dict(get, ifid="0")
            st, v = self.call(ep, get)
            self.assertEqual((st, v["rc"]), (400, -5), (ep, get))


class RequestBody(unittest.TestCase):
    def test_json_body_merged_into_get(self):
        body = '{"a":1,"b":"x","c":{"d":[1,2]},"e":null,"f":true}'
        rc, _, _, out, err = lua_exec.run(
            "post_body.lua", get={"q": "1"},
            extra=["--body", body, "--content-type",
                   "application/json; charset=utf-8"])
        self.assertEqual(rc, 0, err)
        v = json.loads(out)
        self.assertEqual(v["get"], {"q": "1", "a": "1", "b": "x",
                                    "c": '{"d":[1,2]}', "f": "true"})
        self.assertEqual(v["post"], {"JSON": body})
        self.assertEqual(v["method"], "POST")

    def test_form_body_fills_post(self):
        rc, _, _, out, err = lua_exec.run(
            "post_body.lua", extra=["--body", "x=1&y=a%20b+c&z",
                                    "--content-type",
                                    "application/x-www-form-urlencoded"])
        self.assertEqual(rc, 0, err)
        v = json.loads(out)
        self.assertEqual(v["post"], {"x": "1", "y": "a b c", "z": ""})
        self.assertEqual(v["get"], [])


class RedisCache(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("redis-server") is None:
            raise unittest.SkipTest("redis-server not installed")
        cls.tmp = tempfile.mkdtemp(prefix="netward-lua-redis-")
        cls.sock = os.path.join(cls.tmp, "redis.sock")
        cls.redis = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", cls.sock,
             "--unixsocketperm", "700", "--dir", cls.tmp, "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(cls.sock):
                break
            time.sleep(0.05)
        else:
            cls.tearDownClass()
            raise RuntimeError("redis-server did not start")

    @classmethod
    def tearDownClass(cls):
        cls.redis.terminate()
        cls.redis.wait(timeout=10)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-s", self.sock, *args],
                              capture_output=True, text=True,
                              check=True).stdout.strip()

    def lua(self, get, redis=None):
        return lua_exec.run("cache.lua", get=get,
                            extra=["--redis", redis or self.sock])

    def test_set_get_del(self):
        rc, _, _, out, err = self.lua({"op": "set", "key": "netward.test.k1",
                                       "value": "héllo wörld"})
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out), {"get": "héllo wörld"})
        self.assertEqual(self.cli("GET", "netward.test.k1"), "héllo wörld")
        self.assertEqual(self.cli("TTL", "netward.test.k1"), "-1")
        # set by redis-cli, read by Lua
        self.cli("SET", "netward.test.k2", "from-cli")
        rc, _, _, out, _ = self.lua({"op": "get", "key": "netward.test.k2"})
        self.assertEqual(json.loads(out), {"get": "from-cli"})
        rc, _, _, out, _ = self.lua({"op": "del", "key": "netward.test.k2"})
        self.assertEqual(json.loads(out), [])  # get is nil: empty table
        self.assertEqual(self.cli("EXISTS", "netward.test.k2"), "0")

    def test_ttl(self):
        rc, _, _, _, err = self.lua({"op": "set", "key": "netward.test.ttl",
                                     "value": "v", "ttl": "100"})
        self.assertEqual(rc, 0, err)
        self.assertTrue(0 < int(self.cli("TTL", "netward.test.ttl")) <= 100)

    def test_missing_key_is_nil(self):
        rc, _, _, out, _ = self.lua({"op": "get", "key": "netward.test.none"})
        self.assertEqual((rc, json.loads(out)), (0, []))

    def test_hash(self):
        rc, _, _, out, err = self.lua({"op": "hash", "key": "netward.test.h"})
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out), {"f1": "v1",
                                           "all": {"f1": "v1", "f2": "2"}})
        self.assertEqual(self.cli("HGET", "netward.test.h", "f2"), "2")
        self.assertEqual(self.cli("HEXISTS", "netward.test.h", "f1"), "0")

    def test_bad_argument_names_function(self):
        rc, _, _, _, err = self.lua({"op": "badarg", "key": "k"})
        self.assertNotEqual(rc, 0)
        self.assertIn("ntop.getCache", err)

    def test_redis_down_is_lua_error(self):
        rc, _, _, _, err = self.lua({"op": "get", "key": "k"},
                                    redis=os.path.join(self.tmp, "nope.sock"))
        self.assertNotEqual(rc, 0)
        self.assertIn("Redis", err)


if __name__ == "__main__":
    unittest.main()
