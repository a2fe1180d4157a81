#!/usr/bin/python3
"""The ACL file the supervisor writes, loaded by a real redis-server this
test starts on a unix socket: the Lua workers' user can neither read,
write nor delete a credential key, can use every other key, and cannot
administer the server; unauthenticated clients get nothing."""
import hashlib
import os
import secrets
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("NETWARD_BUILD_DIR", "build")


def main():
    web_pw, lua_pw = secrets.token_hex(16), secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as d:
        acl = os.path.join(d, "users.acl")
        sock = os.path.join(d, "redis.sock")
        subprocess.run([os.path.join(BUILD, "test-redis-acl"), "--write", acl,
                        hashlib.sha256(web_pw.encode()).hexdigest(),
                        hashlib.sha256(lua_pw.encode()).hexdigest()], check=True)
        check_no_secret = open(acl).read()
        assert web_pw not in check_no_secret and lua_pw not in check_no_secret
        redis = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", sock,
                                  "--unixsocketperm", "700", "--save", "",
                                  "--appendonly", "no", "--dir", d,
                                  "--aclfile", acl],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if os.path.exists(sock):
                    break
                time.sleep(0.05)

            def cli(user, pw, *cmd):
                args = ["redis-cli", "-s", sock]
                if user:
                    args += ["--user", user, "--pass", pw, "--no-auth-warning"]
                r = subprocess.run(args + list(cmd), capture_output=True,
                                   text=True, timeout=10)
                return (r.stdout + r.stderr).strip()

            failures = []

            def expect(what, out, ok):
                if not ok:
                    failures.append(f"{what}: {out!r}")

            out = cli(None, None, "GET", "ntopng.prefs.x")
            expect("unauthenticated GET", out, "NOAUTH" in out or "NOPERM" in out)
            out = cli("web", web_pw, "SET", "ntopng.user.admin.password", "$y$hash")
            expect("web writes a credential", out, out == "OK")
            for cmd in (["GET", "ntopng.user.admin.password"],
                        ["SET", "ntopng.user.admin.group", "administrator"],
                        ["DEL", "sessions.0123"],
                        ["HGETALL", "ntopng.api_tokens.x"],
                        ["GET", "netward.web.failed_logins.127.0.0.1"],
                        ["CONFIG", "GET", "dir"],
                        ["ACL", "LIST"],
                        ["FLUSHALL"]):
                out = cli("lua", lua_pw, *cmd)
                expect(f"lua {' '.join(cmd)}", out, "NOPERM" in out)
            out = cli("lua", lua_pw, "SET", "ntopng.prefs.x", "1")
            expect("lua SET a preference", out, out == "OK")
            out = cli("lua", lua_pw, "GET", "ntopng.prefs.x")
            expect("lua GET a preference", out, out == "1")
            out = cli("lua", lua_pw, "KEYS", "ntopng.user.*")
            expect("lua KEYS lists names only", out, "ntopng.user.admin.password" in out)
            out = cli("web", web_pw, "GET", "ntopng.user.admin.password")
            expect("web reads a credential", out, out == "$y$hash")
            out = cli("lua", "wrong", "PING")
            expect("wrong password", out, "WRONGPASS" in out or "NOAUTH" in out)
        finally:
            redis.terminate()
            redis.wait(10)
    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
