"""Runs netward-lua --exec for the Lua worker's tests."""
import os
import subprocess

SRC = os.environ.get("NETWARD_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("NETWARD_BUILD_DIR", os.path.join(SRC, "build"))
LUA_BIN = os.environ.get("NETWARD_LUA", os.path.join(BUILD, "netward-lua"))
DATA = os.path.join(SRC, "tests", "data", "lua")


def run(script, get=None, extra=None, headers=False, timeout=60):
    """Returns (exit code, status, content type, body, stderr)."""
    cmd = [LUA_BIN, "--install-dir", SRC, "--exec",
           script if os.path.isabs(script) else os.path.join(DATA, script)]
    for k, v in (get or {}).items():
        cmd += ["--get", "%s=%s" % (k, v)]
    if headers:
        cmd.append("--show-headers")
    cmd += extra or []
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    out = p.stdout.decode("utf-8")
    status, ctype = None, None
    if headers and p.returncode == 0:
        head, _, out = out.partition("\r\n\r\n")
        for line in head.split("\r\n"):
            name, _, value = line.partition(": ")
            if name == "Status":
                status = int(value)
            elif name == "Content-Type":
                ctype = value
    return p.returncode, status, ctype, out, p.stderr.decode("utf-8", "replace")
