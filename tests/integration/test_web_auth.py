#!/usr/bin/python3
"""netward-web: authentication before any Lua runs, sessions, forwarding,
TLS settings and security headers.

Starts its own Redis (unix socket only), a fake Lua worker that logs every
request it receives, and netward-web on a free loopback port; stops all of
them at the end. Needs NETWARD_BUILD_DIR and NETWARD_SOURCE_DIR."""

import http.client
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import warnings

BUILD = os.environ.get("NETWARD_BUILD_DIR", "build")
SOURCE = os.environ.get("NETWARD_SOURCE_DIR", ".")
ADMIN_PW = "Corr3ct-Horse-Battery"
LUA_TIMEOUT_MS = 2000

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def redis_cmd(path, *args):
    """One command over RESP; returns the decoded reply (enough here)."""
    req = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        req += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall(req)
        f = s.makefile("rb")
        line = f.readline()
        if line.startswith(b"$"):
            n = int(line[1:])
            return None if n < 0 else f.read(n + 2)[:-2].decode()
        if line.startswith(b"-"):
            raise RuntimeError(line.decode())
        return line[1:].strip().decode()


class Web:
    def __init__(self, port, cafile):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=cafile)

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port,
                                           context=self.ctx, timeout=15)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, r.headers, data
        finally:
            conn.close()


def basic(user, pw):
    import base64
    tok = base64.b64encode(f"{user}:{pw}".encode()).decode()
    return {"Authorization": "Basic " + tok}


def seen(log):
    try:
        with open(log) as f:
            return f.read()
    except FileNotFoundError:
        return ""


SECURITY_HEADERS = {
    "strict-transport-security": "max-age=",
    "content-security-policy": "default-src 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def has_security_headers(h):
    return all(v in (h.get(k) or "") for k, v in SECURITY_HEADERS.items())


def tls_handshake(port, ctx, alpn=None):
    if alpn:
        ctx.set_alpn_protocols(alpn)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.version(), s.selected_alpn_protocol()


def run(tmp):
    web_bin = os.path.join(BUILD, "netward-web")
    fake_bin = os.path.join(BUILD, "fake-lua-worker")
    httpdocs = os.path.join(SOURCE, "httpdocs")
    rsock = os.path.join(tmp, "redis.sock")
    lua_url = "unix://" + os.path.join(tmp, "lua-0.data")
    seen_log = os.path.join(tmp, "seen.log")
    pw_file = os.path.join(tmp, "admin.pw")
    with open(pw_file, "w") as f:
        f.write(ADMIN_PW + "\n")
    os.chmod(pw_file, 0o600)
    procs = []

    def start(argv, **kw):
        p = subprocess.Popen(argv, **kw)
        procs.append(p)
        return p

    try:
        start(["redis-server", "--port", "0", "--unixsocket", rsock,
               "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
               "--dir", tmp, "--logfile", os.path.join(tmp, "redis.log")])
        wait_for(lambda: os.path.exists(rsock), 10, "redis")
        start([fake_bin, lua_url, seen_log],
              stderr=open(os.path.join(tmp, "fake.err"), "w"))

        # --disable-login is refused on a non-loopback address.
        r = subprocess.run([web_bin, "--listen", "0.0.0.0:1",
                            "--disable-login", "--data-dir", tmp],
                           capture_output=True, timeout=10)
        check(r.returncode == 78, "--disable-login off loopback exits 78")

        port = free_port()
        err_path = os.path.join(tmp, "web.err")
        web = start([web_bin, "--listen", f"127.0.0.1:{port}",
                     "--data-dir", os.path.join(tmp, "data"),
                     "--redis", rsock, "--lua-socket", lua_url,
                     "--httpdocs", httpdocs,
                     "--admin-password-file", pw_file,
                     "--lua-timeout", str(LUA_TIMEOUT_MS),
                     "--max-body", "65536", "-v"],
                    stderr=open(err_path, "w"))

        def listening():
            if web.poll() is not None:
                raise RuntimeError("netward-web exited: " +
                                   open(err_path).read())
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return True
            except OSError:
                return False
        wait_for(listening, 20, "netward-web")

        cert = os.path.join(tmp, "data", "web", "cert.pem")
        key = os.path.join(tmp, "data", "web", "key.pem")
        check(os.stat(key).st_mode & 0o777 == 0o600, "key file mode 0600")
        c = Web(port, cert)  # verifies the certificate and its IP SAN

        # -- users in Redis ---------------------------------------------
        h = redis_cmd(rsock, "GET", "ntopng.user.admin.password")
        check(h is not None and h.startswith("$y$"),
              "admin password stored as a yescrypt hash")
        check(redis_cmd(rsock, "GET", "ntopng.user.admin.group") ==
              "administrator", "admin group is administrator")

        # -- no credentials: 401 and the worker never sees it ------------
        st, hd, body = c.request("GET", "/lua/probe_noauth.lua?ifid=0")
        check(st == 401, f"no credentials -> 401 (got {st})")
        check(json.loads(body).get("rc") == -3 and
              json.loads(body).get("rc_str") == "NOT_GRANTED",
              "401 body is rc -3 NOT_GRANTED")
        check('Basic realm="netward"' in (hd.get("WWW-Authenticate") or ""),
              "401 offers Basic when no cookie was sent")
        check(has_security_headers(hd), "security headers on 401")

        # -- basic auth -------------------------------------------------
        st, hd, body = c.request(
            "POST", "/lua/rest/v2/get/interface/data.lua?ifid=0",
            body=b"a=1&b=2",
            headers={**basic("admin", ADMIN_PW),
                     "Content-Type": "application/x-www-form-urlencoded"})
        check(st == 200, f"basic auth -> 200 (got {st})")
        echo = json.loads(body) if st == 200 else {}
        check(echo.get("method") == "POST" and
              echo.get("path") == "/lua/rest/v2/get/interface/data.lua" and
              echo.get("query") == "ifid=0" and echo.get("body") == "a=1&b=2"
              and echo.get("content_type") ==
              "application/x-www-form-urlencoded",
              "forwarded args: method, path, query, body, content_type")
        check(echo.get("user") == "admin" and
              echo.get("group") == "administrator" and
              echo.get("remote_addr") == "127.0.0.1",
              "forwarded ctx: user, group, remote_addr")
        check(has_security_headers(hd), "security headers on Lua reply")

        st, _, _ = c.request("GET", "/lua/probe_badpw.lua",
                             headers=basic("admin", "wrong"))
        check(st == 401, f"wrong password -> 401 (got {st})")
        st, _, _ = c.request("GET", "/lua/probe_nouser.lua",
                             headers=basic("nobody", ADMIN_PW))
        check(st == 401, f"unknown user -> 401 (got {st})")

        # -- API token ----------------------------------------------------
        # the key holds a hash of the token, never the token itself
        redis_cmd(rsock, "SET", "ntopng.api_tokens." +
                  hashlib.sha256(b"tok_abc123").hexdigest(), "admin")
        st, _, body = c.request("GET", "/lua/probe_token.lua",
                                headers={"Authorization": "Token tok_abc123"})
        check(st == 200 and json.loads(body).get("user") == "admin",
              f"API token accepted (got {st})")
        st, _, _ = c.request("GET", "/lua/probe_badtoken.lua",
                             headers={"Authorization": "Token nope"})
        check(st == 401, f"unknown API token -> 401 (got {st})")

        # -- static pages -----------------------------------------------
        st, hd, _ = c.request("GET", "/")
        check(st == 302 and hd.get("Location", "").startswith("/login.html"),
              f"static page without login -> 302 /login.html (got {st})")
        check(has_security_headers(hd), "security headers on redirect")
        st, hd, body = c.request("GET", "/login.html")
        check(st == 200 and b"/authorize.html" in body,
              f"login page is public (got {st})")
        check(has_security_headers(hd), "security headers on static file")
        st, _, _ = c.request("GET", "/css/")
        check(st in (403, 404), f"no directory listing (got {st})")

        # -- login form ---------------------------------------------------
        form = f"user=admin&password={ADMIN_PW}&referer=%2Flua%2Fx.lua"
        fh = {"Content-Type": "application/x-www-form-urlencoded"}
        st, hd, _ = c.request("POST", "/authorize.html", body=form,
                              headers=fh)
        cookie = hd.get("Set-Cookie") or ""
        check(st == 302 and hd.get("Location") == "/lua/x.lua",
              f"login -> 302 to referer (got {st} {hd.get('Location')})")
        attrs = [a.strip() for a in cookie.split(";")]
        check(attrs[0].startswith("session=") and len(attrs[0]) > 40 and
              "HttpOnly" in attrs and "Secure" in attrs and
              "SameSite=Strict" in attrs and "Path=/" in attrs,
              "session cookie is HttpOnly, Secure, SameSite=Strict")
        sess = attrs[0]
        st, _, body = c.request("GET", "/lua/probe_cookie.lua",
                                headers={"Cookie": sess})
        check(st == 200 and json.loads(body).get("user") == "admin",
              f"session cookie works for /lua/ (got {st})")
        st, _, _ = c.request("GET", "/", headers={"Cookie": sess})
        check(st == 200, f"session cookie works for static pages (got {st})")

        st, hd, _ = c.request("POST", "/authorize.html",
                              body="user=admin&password=nope&referer=%2F",
                              headers=fh)
        check(st == 302 and "reason=wrong-credentials" in
              hd.get("Location", "") and hd.get("Set-Cookie") is None,
              "failed login -> back to login page, no cookie")
        st, hd, _ = c.request(
            "POST", "/authorize.html",
            body=f"user=admin&password={ADMIN_PW}&referer=%2F%2Fevil.example",
            headers=fh)
        check(st == 302 and hd.get("Location") == "/",
              "login refuses an off-site referer")

        # -- logout -------------------------------------------------------
        st, hd, _ = c.request("GET", "/logout.html", headers={"Cookie": sess})
        check(st == 302 and "Max-Age=0" in (hd.get("Set-Cookie") or ""),
              "logout clears the cookie")
        st, hd, _ = c.request("GET", "/lua/probe_after_logout.lua",
                              headers={"Cookie": sess})
        check(st == 401 and hd.get("WWW-Authenticate") is None,
              f"session ended by logout -> 401 (got {st})")

        # -- path checks: 404, never forwarded ---------------------------
        bad = ["/lua/../probe_trav1.lua", "/lua/%2e%2e/probe_trav2.lua",
               "/lua/a\\probe_trav3.lua", "/lua/probe_trav4.lua%00",
               "/lua/.probe_trav5.lua", "/lua/probe_trav6.txt",
               "/lua//probe_trav7.lua", "/x/../lua/probe_trav8.lua"]
        for p in bad:
            st, hd, _ = c.request("GET", p, headers=basic("admin", ADMIN_PW))
            check(st == 404, f"{p} -> 404 (got {st})")
        check(has_security_headers(hd), "security headers on 404")

        # -- what a Lua reply may set ------------------------------------
        st, hd, _ = c.request("GET", "/lua/headers.lua",
                              headers=basic("admin", ADMIN_PW))
        check(st == 200 and hd.get("X-Test") == "yes",
              "Lua reply headers passed on")
        check("planted" not in (hd.get("Set-Cookie") or "") and
              hd.get("Injected") is None,
              "Lua reply cannot set the session cookie or split headers")
        st, _, _ = c.request("GET", "/lua/status.lua?code=418",
                             headers=basic("admin", ADMIN_PW))
        check(st == 418, f"Lua status passed on (got {st})")
        st, _, _ = c.request("GET", "/lua/status.lua?code=700",
                             headers=basic("admin", ADMIN_PW))
        check(st == 502, f"out-of-range Lua status -> 502 (got {st})")

        # -- request body limit ------------------------------------------
        try:
            st, _, _ = c.request("POST", "/lua/probe_big.lua",
                                 body=b"x" * 200000,
                                 headers=basic("admin", ADMIN_PW))
            check(st == 413, f"body over --max-body -> 413 (got {st})")
        except (OSError, http.client.HTTPException) as e:
            check(True, f"body over --max-body refused ({e})")

        # -- a Lua worker that does not answer: 503, in time --------------
        t0 = time.time()
        st, _, body = c.request("GET", "/lua/sleep.lua",
                                headers=basic("admin", ADMIN_PW))
        dt = time.time() - t0
        check(st == 503 and json.loads(body).get("rc") == -6,
              f"slow Lua worker -> 503 rc -6 (got {st})")
        check(dt < LUA_TIMEOUT_MS / 1000 + 3, f"... within the timeout "
              f"({dt:.1f} s)")

        # -- TLS ------------------------------------------------------------
        # Old versions are deprecated in the client too: that is the point.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        for ver in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            # Let the client offer old versions at all, so that it is the
            # server that refuses.
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = ver
            ctx.maximum_version = ver
            try:
                tls_handshake(port, ctx)
                refused = False
            except (ssl.SSLError, OSError):
                refused = True
            check(refused, f"{ver.name} refused")
        ctx = ssl.create_default_context(cafile=cert)
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        v, _ = tls_handshake(port, ctx)
        check(v == "TLSv1.2", "TLS 1.2 accepted")
        ctx = ssl.create_default_context(cafile=cert)
        v, alpn = tls_handshake(port, ctx, ["h2", "http/1.1"])
        check(alpn == "h2", f"ALPN offers h2 (got {alpn}, {v})")
        ctx = ssl.create_default_context(cafile=cert)
        _, alpn = tls_handshake(port, ctx, ["http/1.1"])
        check(alpn == "http/1.1", "ALPN http/1.1")

        # -- what the worker saw, what the log holds ---------------------
        log = seen(seen_log)
        leaked = [w for w in ("probe_noauth", "probe_badpw", "probe_nouser",
                              "probe_badtoken", "probe_after_logout",
                              "probe_trav", "probe_big") if w in log]
        check(not leaked, f"unauthorized/invalid requests never reached Lua "
              f"({leaked or 'none'})")
        check("probe_cookie" in log and "probe_token" in log,
              "authorized requests reached Lua")
        web_log = open(err_path).read()
        check(ADMIN_PW not in web_log, "clear password never logged")
        check("access 127.0.0.1 admin GET /lua/probe_cookie.lua 200"
              in web_log, "access log line per request")

        # -- an address with too many failures is refused even with the
        # right password, at once: the frontend keeps "not blocked" for a
        # second, and its own failures drop that (last: 127.0.0.1 stays
        # blocked for this run)
        failed = int(redis_cmd(rsock, "GET",
                               "netward.web.failed_logins.127.0.0.1") or 0)
        for i in range(29 - failed):
            st, _, _ = c.request("GET", "/lua/probe_fail.lua",
                                 headers=basic(f"guess{i}", "x"))
            check(st == 401, f"guess {i} -> 401 (got {st})")
        st, _, _ = c.request("GET", "/lua/probe_before_block.lua",
                             headers=basic("admin", ADMIN_PW))
        check(st == 200, f"29 failures, right password -> 200 (got {st})")
        st, _, _ = c.request("GET", "/lua/probe_fail.lua",
                             headers=basic("guess-last", "x"))
        check(st == 401, f"30th failure -> 401 (got {st})")
        st, _, _ = c.request("GET", "/lua/probe_after_block.lua",
                             headers=basic("admin", ADMIN_PW))
        check(st == 401, f"right password from a blocked address -> 401 "
              f"(got {st})")

        # -- clean stop (and, in a sanitizer build, no report) ----------
        web.terminate()
        rc = web.wait(timeout=15)
        web_log = open(err_path).read()
        check(rc == 0 and "Sanitizer" not in web_log and
              "runtime error" not in web_log,
              f"netward-web stops cleanly on SIGTERM (exit {rc})")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if failures:
            for name in ("web.err", "fake.err"):
                path = os.path.join(tmp, name)
                if os.path.exists(path):
                    print(f"--- {name}\n" + open(path).read()[-4000:])


def main():
    for exe in ("netward-web", "fake-lua-worker"):
        if not os.access(os.path.join(BUILD, exe), os.X_OK):
            print(f"missing {exe} in {BUILD}")
            return 1
    if shutil.which("redis-server") is None:
        print("SKIP: redis-server not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="netward-web-test-")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
