"""Starts a whole netward (supervisor, Redis, workers) on captures for a
test, talks to its REST API, and stops it. Python standard library only."""
import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

SOURCE_DIR = os.environ.get("NETWARD_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(
                                os.path.abspath(__file__)))))
BUILD_DIR = os.environ.get("NETWARD_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
SHARED_DIR = os.environ.get("NETWARD_SHARED_DIR",
                            os.path.join(os.path.dirname(SOURCE_DIR), "shared"))
PCAP_DIR = os.path.join(SHARED_DIR, "pcaps", "public")
ORACLE_DIR = os.path.join(SHARED_DIR, "pcaps", "oracle")
SAMPLE_PCAP = os.path.join(SOURCE_DIR, "tests", "data", "sample.pcap")


def _die_with_parent():
    """In the child before exec: SIGTERM it when the test process dies,
    so a test killed on a timeout leaves no netward running."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _as_user(uid, gid):
    """In the child before exec: become an ordinary user (credentials
    first: changing them clears the parent-death signal)."""
    def become():
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        _die_with_parent()
    return become


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Netward:
    """One running netward. Use as a context manager."""

    def __init__(self, interfaces, extra_args=(), lua_workers=2, run_as=None,
                 data_dir=None, password=None):
        """run_as: a user name to start the supervisor as, instead of the
        test's own (root): netward started by an ordinary user.
        data_dir, password: a data dir that outlives this netward (the
        caller removes it) and the admin password it was made with, to
        start a netward again on what an earlier one stored."""
        self.run_as = run_as
        self.interfaces = list(interfaces)
        self.extra_args = list(extra_args)
        self.lua_workers = lua_workers
        # World-traversable so the service user can reach its own subdirs.
        self.tmp = tempfile.mkdtemp(prefix="netward-test-")
        os.chmod(self.tmp, 0o755)
        self.port = free_port()
        self.password = password or secrets.token_urlsafe(12)
        self.pwfile = os.path.join(self.tmp, "admin-password")
        with open(self.pwfile, "w") as f:
            f.write(self.password + "\n")
        os.chmod(self.pwfile, 0o600)
        self.runtime_dir = os.path.join(self.tmp, "run")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.log_lines = []
        self.proc = None
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE

    # ---- lifecycle -----------------------------------------------------
    def start(self, timeout=60):
        # A copy of the script tree the service user can surely read, wherever
        # the checkout lives (a CI clone may sit in a 0700 directory).
        install = os.path.join(self.tmp, "install")
        for sub in ("scripts", "httpdocs"):
            shutil.copytree(os.path.join(SOURCE_DIR, sub),
                            os.path.join(install, sub))
        subprocess.run(["chmod", "-R", "a+rX", install], check=True)
        bin_dir, interfaces, become = BUILD_DIR, self.interfaces, _die_with_parent
        if self.run_as:
            bin_dir, interfaces, become = self._for_user(install)
        cmd = [os.path.join(bin_dir, "netward"), "--install-dir", install,
               "-d", self.data_dir, "--runtime-dir", self.runtime_dir,
               "-w", f"127.0.0.1:{self.port}",
               "--admin-password-file", self.pwfile,
               "--lua-workers", str(self.lua_workers)]
        for i in interfaces:
            cmd += ["-i", i]
        cmd += self.extra_args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     errors="replace", preexec_fn=become)
        self.reader = threading.Thread(target=self._read_log, daemon=True)
        self.reader.start()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("netward exited early:\n" + self.log())
            try:
                status, _ = self.get("/lua/rest/v2/get/ntopng/interfaces.lua")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("netward did not answer in time:\n" + self.log())

    def _for_user(self, install):
        """Copies what the user must read or run (executables, captures)
        into the test's directory, which it then owns, wherever the
        checkout lives (a CI clone may sit in a 0700 directory)."""
        import pwd
        pw = pwd.getpwnam(self.run_as)
        bin_dir = os.path.join(self.tmp, "bin")
        os.mkdir(bin_dir)
        for exe in ("netward", "netward-capture", "netward-lua", "netward-web"):
            shutil.copy2(os.path.join(BUILD_DIR, exe), bin_dir)
        interfaces = []
        for i, src in enumerate(self.interfaces):
            if os.path.isfile(src):
                dst = os.path.join(self.tmp, f"capture-{i}-" + os.path.basename(src))
                shutil.copy(src, dst)
                src = dst
            interfaces.append(src)
        subprocess.run(["chmod", "-R", "a+rX", self.tmp], check=True)
        os.chmod(self.pwfile, 0o600)
        for path in (self.tmp, self.pwfile):
            os.chown(path, pw.pw_uid, pw.pw_gid)
        return bin_dir, interfaces, _as_user(pw.pw_uid, pw.pw_gid)

    def _read_log(self):
        for line in self.proc.stdout:
            self.log_lines.append(line.rstrip("\n"))

    def log(self):
        return "\n".join(self.log_lines)

    def stop(self, timeout=20):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise RuntimeError("netward did not stop on SIGTERM")
        self.reader.join(5)
        return rc

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            subprocess.run(["rm", "-rf", self.tmp], check=False)
        if exc[0] is not None:
            sys.stderr.write("---- netward log ----\n" + self.log()[-20000:] + "\n")

    # ---- REST ------------------------------------------------------------
    def request(self, path, params=None, body=None, auth=True, headers=None,
                method=None):
        url = f"https://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        hdrs = dict(headers or {})
        if auth:
            token = base64.b64encode(f"admin:{self.password}".encode()).decode()
            hdrs["Authorization"] = "Basic " + token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def get(self, path, params=None, **kw):
        status, raw, _ = self.request(path, params, **kw)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw

    def rest(self, path, params=None, **kw):
        """GET a REST v2 endpoint and return rsp, failing on any error."""
        status, doc = self.get(path, params, **kw)
        if status != 200 or not isinstance(doc, dict) or doc.get("rc") != 0:
            raise AssertionError(f"{path} {params}: HTTP {status}: {doc!r}")
        return doc["rsp"]

    def wait_ingested(self, ifid, timeout=120):
        """Waits until the pcap of interface ifid has been read to its end."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                rsp = self.rest("/lua/rest/v2/get/interface/data.lua",
                                {"ifid": ifid})
                if rsp.get("ingestion", {}).get("complete"):
                    return rsp
            except (AssertionError, OSError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"interface {ifid} not ingested in {timeout}s\n"
                             + self.log()[-5000:])

    # ---- processes -----------------------------------------------------
    def worker_pids(self):
        """{worker name: pid} from the supervisor's 'started, pid N' lines
        (the newest line wins after a restart)."""
        pids = {}
        for line in self.log_lines:
            m = re.search(r"\] (\S+): started, pid (\d+)", line)
            if m:
                pids[m.group(1)] = int(m.group(2))
        return pids

    def add_script(self, name, text):
        """Puts a Lua script into the running netward's script tree at
        /lua/nwtest/<name>; returns its URL path."""
        d = os.path.join(self.tmp, "install", "scripts", "lua", "nwtest")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return "/lua/nwtest/" + name

    def lua_exec(self, script, ifid=0, get=None, **kw):
        """Runs a Lua file as a REST request would (through the frontend,
        with the identity it mints for the caller, administrator unless kw
        says otherwise); returns the body it printed."""
        with open(script) as f:
            url = self.add_script(os.path.basename(script), f.read())
        params = {"ifid": ifid, **(get or {})}
        status, raw, _ = self.request(url, params, **kw)
        if status != 200:
            raise AssertionError(f"{script}: HTTP {status}: {raw[:2000]!r}")
        return raw.decode()


def read_pcap_frames(path):
    """Independent pcap/pcapng reader: yields (ts, orig_len, data). Only
    for checking netward's counters in tests."""
    import struct
    with open(path, "rb") as f:
        blob = f.read()
    magic = blob[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1",
                 b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        le = magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
        e = "<" if le else ">"
        off = 24
        while off + 16 <= len(blob):
            ts, usec, incl, orig = struct.unpack(e + "IIII", blob[off:off + 16])
            off += 16
            yield ts, orig, blob[off:off + incl]
            off += incl
        return
    if magic == b"\x0a\x0d\x0d\x0a":
        e = "<" if blob[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        off = 0
        while off + 12 <= len(blob):
            btype, blen = struct.unpack(e + "II", blob[off:off + 8])
            if blen < 12:
                break
            if btype == 6:  # enhanced packet block
                _, _, tsh, tsl, incl, orig = struct.unpack(
                    e + "IIIIII", blob[off + 4:off + 28])
                yield (tsh << 32) | tsl, orig, blob[off + 28:off + 28 + incl]
            elif btype == 3:  # simple packet block
                orig, = struct.unpack(e + "I", blob[off + 8:off + 12])
                yield 0, orig, blob[off + 12:off + 12 + min(orig, blen - 16)]
            off += blen
        return
    raise ValueError(f"{path}: not a pcap or pcapng file")


def check(cond, what):
    if not cond:
        raise AssertionError(what)
