#!/usr/bin/python3
"""Generated coverage of the interface.* API.

Reads shared/spec/interface-functions.txt, maps every name to its section
of shared/spec/interface-api.md (the section headings and the
"interface.NAME(" rows of its tables), and asks a Lua worker attached to a
running netward which of them exist as functions. Fails for every missing
function of sections 3-24.

A name that is "present" may still raise a clear Lua error when it cannot
work here (SNMP, nEdge, ZMQ, eBPF, ClickHouse, RADIUS): for every name of
lua-worker/iface_absent.c this test also checks that the call raises
"interface.<name>: not available in netward: <why>"; the behaviour tests
(test_interface_*.py) check what the others answer."""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SAMPLE_PCAP, SHARED_DIR, Netward  # noqa: E402

SPEC = os.path.join(SHARED_DIR, "spec")
OTHERS = {}  # sections owned by another issue: none left
MINE = set(range(3, 25)) - set(OTHERS)
ABSENT_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "..", "lua-worker", "iface_absent.c")


def absent_names():
    """Names of the absent table of lua-worker/iface_absent.c."""
    with open(ABSENT_C) as f:
        return re.findall(r'^\t\{ "(\w+)", (?!l_)', f.read(), re.M)


def sections():
    """{function name: set of section numbers} from interface-api.md."""
    out, sec = {}, None
    with open(os.path.join(SPEC, "interface-api.md")) as f:
        for line in f:
            h = re.match(r"^(\d+)\. \S", line)
            if h:
                sec = int(h.group(1))
                continue
            m = re.match(r"^interface\.(\w+)\(", line)
            if m and sec is not None:
                out.setdefault(m.group(1), set()).add(sec)
    return out


def main():
    with open(os.path.join(SPEC, "interface-functions.txt")) as f:
        names = [ln.strip() for ln in f if ln.strip()]
    where = sections()
    unmapped = [n for n in names if n not in where]
    mine = sorted(n for n in names if where.get(n, set()) & MINE)
    others = sorted(n for n in names if n in where and n not in mine)
    absent = absent_names()

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as s:
        s.write("for _, n in ipairs({%s}) do\n" %
                ",".join('"%s"' % n for n in names))
        s.write('  print(n .. " " .. type(interface[n]) .. "\\n")\nend\n')
        s.write("for _, n in ipairs({%s}) do\n" %
                ",".join('"%s"' % n for n in absent))
        s.write('  local ok, e = pcall(interface[n])\n'
                '  print("absent " .. n .. " " .. tostring(ok) .. " " .. '
                'tostring(e):gsub("\\n", " ") .. "\\n")\nend\n')
        script = s.name
    os.chmod(script, 0o644)
    try:
        with Netward([SAMPLE_PCAP]) as nw:
            nw.wait_ingested(0)
            out = nw.lua_exec(script, 0)
    finally:
        os.unlink(script)
    kind = dict(ln.split(" ", 1) for ln in out.splitlines()
                if " " in ln and not ln.startswith("absent "))
    bad_absent = []
    for ln in out.splitlines():
        if not ln.startswith("absent "):
            continue
        _, n, ok, msg = ln.split(" ", 3)
        if ok != "false" or ("interface.%s: not available in netward: " % n
                             ) not in msg:
            bad_absent.append((n, ok, msg))
    check_absent = [n for n in absent if n not in names]

    missing = [n for n in mine if kind.get(n) != "function"]
    print(f"sections 3-24: {len(mine) - len(missing)}/{len(mine)} "
          f"present")
    for sec in sorted(MINE):
        names_s = [n for n in mine if sec in where[n]]
        miss_s = [n for n in names_s if n in missing]
        print(f"  section {sec}: {len(names_s) - len(miss_s)}/{len(names_s)}"
              + (f" missing: {' '.join(miss_s)}" if miss_s else ""))
    print("owned by other issues:")
    for sec in sorted(OTHERS):
        names_s = [n for n in others if sec in where[n]]
        have = sum(1 for n in names_s if kind.get(n) == "function")
        print(f"  section {sec} ({OTHERS[sec]}): {have}/{len(names_s)} "
              f"present: {' '.join(names_s)}")
    if unmapped:
        print(f"FAIL: names of interface-functions.txt in no section: "
              f"{unmapped}")
        return 1
    if missing:
        print(f"FAIL: {len(missing)} functions missing")
        return 1
    if check_absent:
        print(f"FAIL: iface_absent.c names not in the spec: {check_absent}")
        return 1
    if bad_absent or len(absent) < 40:
        print(f"FAIL: absent functions must raise a clear error: "
              f"{bad_absent} ({len(absent)} names read)")
        return 1
    print(f"{len(absent)} absent functions raise 'not available' errors")
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
