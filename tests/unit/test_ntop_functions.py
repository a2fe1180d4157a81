#!/usr/bin/python3
"""Generated from the spec: every ntop.* name of /work/shared/spec's
ntop-functions.txt must exist in netward-lua, except those of the sections
other issues own (listed explicitly below, by section number of
ntop-api.md). And every function, called with arguments of the wrong type
or too many of them, raises a Lua error naming it without crashing the
worker."""
import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lua_exec  # noqa: E402

# Sections of ntop-api.md that belong to other issues.
OWNED_ELSEWHERE = {
}


def shared_dir():
    d = os.environ.get("NETWARD_SHARED_DIR")
    if d:
        return d
    return os.path.join(os.path.dirname(lua_exec.SRC), "shared")


def spec_sections():
    """name -> set of section numbers where ntop-api.md mentions it."""
    where = {}
    sec = None
    with open(os.path.join(shared_dir(), "spec", "ntop-api.md")) as f:
        for line in f:
            m = re.match(r"^(\d+)\. ", line)
            if m:
                sec = int(m.group(1))
                continue
            for name in re.findall(r"ntop\.([A-Za-z_0-9]+)\(", line):
                where.setdefault(name, set()).add(sec)
    return where


def spec_names():
    with open(os.path.join(shared_dir(), "spec", "ntop-functions.txt")) as f:
        return [ln.strip() for ln in f if ln.strip()]


def split_names():
    """(ours, others): others are the names whose every mention is in a
    section owned elsewhere."""
    where = spec_sections()
    ours, others = [], []
    for n in spec_names():
        secs = where.get(n, set())
        if secs and all(s in OWNED_ELSEWHERE for s in secs):
            others.append(n)
        else:
            ours.append(n)
    return ours, others


def run_lua(code, extra=None):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(code)
        path = f.name
    try:
        return lua_exec.run(path, extra=extra)
    finally:
        os.unlink(path)


LIST = """
local json = require "dkjson"
local names = {}
for k, v in pairs(ntop) do if type(v) == "function" then names[#names+1] = k end end
print(json.encode(names))
"""

BAD_ARGS = """
local json = require "dkjson"
local out = {}
local t = {}
for _, name in ipairs(json.decode(_GET.names)) do
  local f = ntop[name]
  local r = {}
  local ok1, e1 = pcall(f, t)
  local ok2, e2 = pcall(f, t, t, t, t, t, t, t, t, t, t)
  local ok3, e3 = pcall(f, print)
  r.table_ok, r.table_err = ok1, tostring(e1)
  r.many_ok, r.many_err = ok2, tostring(e2)
  r.func_ok, r.func_err = ok3, tostring(e3)
  out[name] = r
end
print(json.encode(out))
"""


class Presence(unittest.TestCase):
    def test_every_name_of_our_sections_exists(self):
        ours, others = split_names()
        self.assertEqual(len(ours) + len(others), len(spec_names()))
        rc, _, _, out, err = run_lua(LIST)
        self.assertEqual(rc, 0, err)
        have = set(json.loads(out))
        missing = sorted(n for n in ours if n not in have)
        print("\nntop.*: %d of our %d spec names present; %d owned by "
              "issues 5/6 (%d of those present)" % (
                  len(ours) - len(missing), len(ours), len(others),
                  len([n for n in others if n in have])), file=sys.stderr)
        self.assertEqual(missing, [], "missing ntop.* functions")

    def test_owned_elsewhere_is_what_the_spec_headers_say(self):
        # the explicit list above must name real sections of the spec
        with open(os.path.join(shared_dir(), "spec", "ntop-api.md")) as f:
            heads = {int(m.group(1)): m.group(2) for m in
                     (re.match(r"^(\d+)\. (.*)", ln) for ln in f) if m}
        self.assertIn("User Management", heads[7])
        self.assertIn("MFA", heads[8])
        self.assertIn("Historical", heads[13])
        self.assertIn("RRD", heads[14])
        self.assertIn("Alerts", heads[15])
        self.assertIn("Recipient", heads[16])
        self.assertIn("Checks", heads[31])


class BadArguments(unittest.TestCase):
    def test_wrong_types_and_counts_raise_named_errors(self):
        ours, _ = split_names()
        rc, _, _, out, err = lua_exec.run(
            _tmp_script(BAD_ARGS), get={"names": json.dumps(ours)},
            extra=["--redis", "/nonexistent/redis.sock", "--timeout", "120"],
            timeout=300)
        self.assertEqual(rc, 0, err)
        res = json.loads(out)
        self.assertEqual(sorted(res), sorted(ours))
        for name, r in res.items():
            for kind in ("table", "many", "func"):
                self.assertFalse(r[kind + "_ok"],
                                 "ntop.%s accepted bad arguments (%s)" %
                                 (name, kind))
                self.assertIn("ntop." + name, r[kind + "_err"],
                              "error of ntop.%s (%s) does not name it" %
                              (name, kind))


_tmp_paths = []


def _tmp_script(code):
    f = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    f.write(code)
    f.close()
    _tmp_paths.append(f.name)
    return f.name


def tearDownModule():
    for p in _tmp_paths:
        os.unlink(p)


if __name__ == "__main__":
    unittest.main()
