#!/usr/bin/python3
"""curl against a running netward's frontend: no cleartext HTTP on the TLS
port, TLS 1.0/1.1 refused, security headers on answers, oversize headers
431 and an oversize body 413, path traversal 404 (or the login redirect
before authentication), no directory listing, and the key file readable
only by the frontend's user, and a limit on one client's Lua requests in
flight."""
import os
import pwd
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, SAMPLE_PCAP, check  # noqa: E402


def curl(*args):
    r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-D", "-",
                        "-w", "\n%{http_code}", *args],
                       capture_output=True, text=True, timeout=60)
    lines = r.stdout.strip().splitlines()
    code = lines[-1] if lines else "000"
    headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip()
               for l in lines[:-1] if ":" in l}
    return r.returncode, code, headers


def main():
    with Netward([SAMPLE_PCAP]) as nw:
        base = f"https://127.0.0.1:{nw.port}"
        auth = ["-u", f"admin:{nw.password}"]
        rc, code, _ = curl(f"http://127.0.0.1:{nw.port}/lua/rest/v2/get/interface/data.lua")
        check(code == "000" and rc != 0, f"cleartext HTTP answered: {rc} {code}")
        rc, code, _ = curl("--tlsv1.0", "--tls-max", "1.1", base + "/login.html")
        check(rc == 35 and code == "000", f"TLS 1.1 accepted: {rc} {code}")
        rc, code, h = curl("--tlsv1.2", "--tls-max", "1.2", base + "/login.html")
        check(code == "200", f"TLS 1.2: {code}")
        for name in ("strict-transport-security", "content-security-policy",
                     "x-content-type-options", "x-frame-options"):
            check(name in h, f"header {name} missing: {sorted(h)}")
        rc, code, h = curl(*auth, base + "/lua/rest/v2/get/interface/data.lua?ifid=0")
        check(code == "200" and "strict-transport-security" in h,
              f"REST answer headers: {code} {sorted(h)}")
        rc, code, _ = curl("-H", "X-Big: " + "a" * 20000, base + "/login.html")
        check(code == "431", f"20 kB header: {code}")
        many = sum([["-H", f"X-H{i}: v"] for i in range(150)], [])
        rc, code, _ = curl(*many, base + "/login.html")
        check(code == "431", f"150 headers: {code}")
        big = os.path.join(nw.tmp, "big.bin")
        with open(big, "wb") as f:
            f.write(b"a" * (20 * 1024 * 1024))
        rc, code, _ = curl("--http1.1", *auth, "--data-binary", "@" + big,
                           base + "/lua/rest/v2/get/interface/data.lua")
        check(code == "413", f"20 MiB body: {rc} {code}")
        rc, code, _ = curl("--path-as-is", *auth, base + "/lua/../../etc/passwd.lua")
        check(code == "404", f"traversal under /lua: {code}")
        rc, code, _ = curl("--path-as-is", *auth, base + "/../../etc/passwd")
        check(code == "404", f"traversal of static files: {code}")
        rc, code, _ = curl("--path-as-is", base + "/../../etc/passwd")
        check(code in ("302", "404"), f"traversal before login: {code}")
        rc, code, _ = curl(*auth, base + "/css/")
        check(code == "404", f"directory listing: {code}")
        # one client may not hold more than 64 Lua requests in flight
        url = nw.add_script("slow.lua", "ntop.msleep(400)\nprint('done')\n")
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(90) as pool:
            codes = list(pool.map(lambda _: nw.request(url)[0], range(90)))
        check(set(codes) <= {200, 429} and 429 in codes and codes.count(200) >= 64,
              f"in-flight limit: {sorted(set(codes))} "
              f"200x{codes.count(200)} 429x{codes.count(429)}")
        check(nw.request(url)[0] == 200, "the count is released afterwards")
        # Redis unreachable: the frontend cannot decide, so 503 (a client
        # retries), never a 401 that would read as "wrong password"
        import signal
        import time
        redis_pid = nw.worker_pids()["redis"]
        os.kill(redis_pid, signal.SIGSTOP)
        try:
            time.sleep(1.5)  # past the frontend's 1 s user cache
            rc, code, _ = curl("-m", "20", *auth,
                               base + "/lua/rest/v2/get/interface/data.lua?ifid=0")
            check(code == "503", f"basic auth with Redis stopped: {code}")
        finally:
            os.kill(redis_pid, signal.SIGCONT)
        rc, code, _ = curl(*auth, base + "/lua/rest/v2/get/interface/data.lua?ifid=0")
        check(code == "200", f"after Redis is back: {code}")
        key = os.path.join(nw.data_dir, "web", "key.pem")
        st = os.stat(key)
        check(stat.S_IMODE(st.st_mode) == 0o600, f"key mode {oct(st.st_mode)}")
        if os.geteuid() == 0:
            check(st.st_uid == pwd.getpwnam("nobody").pw_uid,
                  f"key owner {st.st_uid}")
    print("web hardening checks passed")


if __name__ == "__main__":
    main()
