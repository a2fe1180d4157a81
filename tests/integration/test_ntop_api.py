#!/usr/bin/python3
"""ntop.* effects checked independently: Redis with redis-cli, files on
disk with os/realpath, IP utilities against Python's ipaddress, hashes
with hashlib, reverse DNS against a DNS server this test runs on
127.0.0.1, HTTP and SMTP against loopback servers, UDP with a socket."""
import hashlib
import http.server
import ipaddress
import json
import os
import shutil
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lua_exec  # noqa: E402


def setUpModule():
    global TMP, SOCK, REDIS, DATA
    if shutil.which("redis-server") is None:
        raise unittest.SkipTest("redis-server not installed")
    TMP = tempfile.mkdtemp(prefix="netward-ntop-")
    SOCK = os.path.join(TMP, "redis.sock")
    DATA = os.path.join(TMP, "data")
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
    return subprocess.run(["redis-cli", "-s", SOCK, *args], capture_output=True,
                          text=True, check=True).stdout.strip()


def lua(code, extra=None, expect_ok=True, get=None):
    """Runs code (which may `return` a value) and returns it decoded."""
    script = os.path.join(TMP, "t%d.lua" % time.monotonic_ns())
    with open(script, "w") as f:
        f.write('local json = require "dkjson"\n'
                'local function main()\n' + code + '\nend\n'
                'print(json.encode({v = main()}))\n')
    rc, _, _, out, err = lua_exec.run(
        script, get=get,
        extra=["--redis", SOCK, "--data-dir", DATA] + (extra or []))
    os.unlink(script)
    if not expect_ok:
        return rc, err
    if rc != 0:
        raise AssertionError(err)
    v = json.loads(out)
    return v.get("v") if isinstance(v, dict) else None  # {} encodes as []


class Redis(unittest.TestCase):
    def test_strings(self):
        lua('ntop.setCache("s1", "v1"); ntop.setCache("s2", "v2", 100)')
        self.assertEqual(cli("GET", "s1"), "v1")
        self.assertTrue(90 <= int(cli("TTL", "s2")) <= 100)
        self.assertEqual(cli("TTL", "s1"), "-1")
        cli("SET", "s3", "x")
        self.assertEqual(lua('return {ntop.setnxCache("s3", "y"), '
                             'ntop.setnxCache("s4", "z")}'), [False, True])
        self.assertEqual(cli("GET", "s3"), "x")
        self.assertEqual(cli("GET", "s4"), "z")
        lua('ntop.renameCache("s4", "s5")')
        self.assertEqual(cli("EXISTS", "s4"), "0")
        self.assertEqual(cli("GET", "s5"), "z")
        cli("SET", "n", "40")
        self.assertEqual(lua('return ntop.incrCache("n", 2)'), 42)
        self.assertEqual(cli("GET", "n"), "42")
        lua('ntop.delCache("s1")')
        self.assertEqual(cli("EXISTS", "s1"), "0")
        cli("SET", "kp.a", "1")
        cli("SET", "kp.b", "2")
        cli("SET", "other", "3")
        self.assertEqual(lua('return ntop.getKeysCache("kp.*")'),
                         {"kp.a": True, "kp.b": True})

    def test_dump_restore(self):
        cli("RPUSH", "dl", "a", "b")
        self.assertEqual(lua('local d = ntop.dumpCache("dl")\n'
                             'return {ntop.hasDumpCache("dl"), #d > 0}'),
                         [True, True])
        # RESTORE is refused to the Lua workers' Redis user: say so
        rc, err = lua('return ntop.restoreCache("dl2", ntop.dumpCache("dl"))',
                      expect_ok=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ntop.restoreCache: not allowed", err)
        self.assertEqual(cli("EXISTS", "dl2"), "0")

    def test_hash(self):
        lua('ntop.setHashCache("h", "f1", "v1"); ntop.setHashCache("h", "f2", 2)')
        self.assertEqual(cli("HGETALL", "h"), "f1\nv1\nf2\n2")
        self.assertEqual(lua('return ntop.getHashKeysCache("h")'),
                         {"f1": True, "f2": True})
        lua('ntop.delHashCache("h", "f1")')
        self.assertEqual(cli("HKEYS", "h"), "f2")

    def test_lists(self):
        lua('ntop.rpushCache("l", "b"); ntop.rpushCache("l", "c"); '
            'ntop.lpushCache("l", "a"); ntop.rpushCache("l", "b")')
        self.assertEqual(cli("LRANGE", "l", "0", "-1"), "a\nb\nc\nb")
        self.assertEqual(lua('return {ntop.llenCache("l"), '
                             'ntop.listIndexCache("l", 2), '
                             'ntop.lrangeCache("l", 1, 2)}'),
                         [4, "c", ["b", "c"]])
        lua('ntop.lremCache("l", 0, "b")')
        self.assertEqual(cli("LRANGE", "l", "0", "-1"), "a\nc")
        self.assertEqual(lua('return {ntop.lpopCache("l"), ntop.rpopCache("l"), '
                             'ntop.lpopCache("l")}'), ["a", "c"])
        cli("RPUSH", "l2", "1", "2", "3", "4")
        lua('ntop.ltrimCache("l2", 1, 2)')
        self.assertEqual(cli("LRANGE", "l2", "0", "-1"), "2\n3")

    def test_sets(self):
        lua('ntop.setMembersCache("set", "x"); ntop.setMembersCache("set", "y")')
        self.assertEqual(sorted(cli("SMEMBERS", "set").split()), ["x", "y"])
        lua('ntop.delMembersCache("set", "x")')
        self.assertEqual(lua('return ntop.getMembersCache("set")'), ["y"])

    def test_prefs(self):
        lua('ntop.setPref("ntopng.prefs.feat", "1"); ntop.setPref("short", "2")')
        self.assertEqual(cli("GET", "ntopng.prefs.feat"), "1")
        self.assertEqual(cli("GET", "ntopng.prefs.short"), "2")
        cli("SET", "ntopng.prefs.fromcli", "z")
        p = lua('return ntop.getPrefs()')
        self.assertEqual(p["fromcli"], "z")
        self.assertEqual(lua('return ntop.getPref("fromcli")'), "z")

    def test_lua_cache_shared_between_processes_with_ttl(self):
        lua('ntop.setLuaCache("k1", "text", 100); ntop.setLuaCache("k2", 7); '
            'ntop.setLuaCache("k3", 1.5); ntop.setLuaCache("k4", false, 1)')
        self.assertTrue(90 <= int(cli("TTL", "netward.luacache.k1")) <= 100)
        # another process sees the same values and types
        self.assertEqual(lua('return {ntop.getLuaCache("k1"), '
                             'math.type(ntop.getLuaCache("k2")), '
                             'ntop.getLuaCache("k3"), ntop.getLuaCache("k4")}'),
                         ["text", "integer", 1.5, False])
        time.sleep(2.1)
        self.assertIsNone(lua('return ntop.getLuaCache("k4")'))
        self.assertEqual(lua('return ntop.dumpLuaCache()')["k2"], 7)

    def test_flush_refused(self):
        # Redis holds the users too: the Lua workers never flush it
        cli("SET", "zz", "1")
        rc, err = lua('return ntop.flushCache()', expect_ok=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ntop.flushCache: not allowed", err)
        self.assertEqual(cli("GET", "zz"), "1")


class Files(unittest.TestCase):
    def test_confined(self):
        d = os.path.realpath(DATA)
        lua('ntop.mkdir("%s/a/b/c")' % d)
        self.assertTrue(os.path.isdir(os.path.join(d, "a/b/c")))
        with open(os.path.join(d, "a/f.txt"), "w") as f:
            f.write("hello")
        os.utime(os.path.join(d, "a/f.txt"), (1000000, 1000000))
        r = lua('local p = "%s/a"\nreturn {ntop.isdir(p), ntop.exists(p.."/f.txt"), '
                'ntop.notEmptyFile(p.."/f.txt"), ntop.fileLastChange(p.."/f.txt"), '
                'ntop.readdir(p), ntop.fileLastChange(p.."/none")}' % d)
        self.assertEqual(r, [True, True, True, 1000000, {"b": "b", "f.txt": "f.txt"}, -1])
        self.assertTrue(lua('return ntop.unlink("%s/a/f.txt")' % d))
        self.assertFalse(os.path.exists(os.path.join(d, "a/f.txt")))
        self.assertTrue(lua('return ntop.rmdir("%s/a")' % d))
        self.assertFalse(os.path.exists(os.path.join(d, "a")))

    def test_outside_is_an_error(self):
        outside = os.path.join(TMP, "outside.txt")
        with open(outside, "w") as f:
            f.write("secret")
        os.symlink(outside, os.path.join(DATA, "link"))
        for call in ('ntop.exists("/etc/passwd")',
                     'ntop.unlink("%s")' % outside,
                     'ntop.unlink("%s/link")' % DATA,
                     'ntop.mkdir("%s/../escape")' % DATA,
                     'ntop.dumpFile("%s/link")' % DATA,
                     'ntop.mkdir("%s/x")' % lua_exec.SRC):
            rc, err = lua(call, expect_ok=False)
            self.assertNotEqual(rc, 0, call)
            self.assertIn("outside the directories", err + "not an absolute")
        self.assertTrue(os.path.exists(outside))
        self.assertFalse(os.path.exists(os.path.join(TMP, "escape")))
        os.unlink(os.path.join(DATA, "link"))

    def test_install_dir_is_readable(self):
        self.assertTrue(lua('return ntop.exists("%s/meson.build")' %
                            os.path.realpath(lua_exec.SRC)))


class System(unittest.TestCase):
    def test_host_stat_from_proc(self):
        r = lua('return ntop.systemHostStat()')
        with open("/proc/meminfo") as f:
            mem = {ln.split(":")[0]: int(ln.split()[1]) for ln in f}
        self.assertEqual(r["mem_total"], mem["MemTotal"])
        self.assertEqual(r["cpu_count"], os.cpu_count())

    def test_threads_and_info(self):
        r = lua('return {ntop.threadsInfo(), ntop.getInfo().pid, '
                'ntop.getStartupEpoch(), ntop.isShuttingDown(), ntop.getHttpPrefix()}')
        threads, pid, start, down, prefix = r
        self.assertIn(pid, [t["tid"] for t in threads])
        self.assertLessEqual(abs(start - time.time()), 5)
        self.assertFalse(down)
        self.assertEqual(prefix, "")

    def test_purify(self):
        s = "a<b>\"c'd&e%f;g h/i:j\x01\u00e9[x]*=+,@"
        keep = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789 ._-:/@,=+*[]")
        want = "".join(chr(b) if chr(b) in keep else "_" for b in s.encode())
        self.assertEqual(lua('return ntop.httpPurifyParam(_GET.s)',
                             get={"s": s}), want)


class NetUtils(unittest.TestCase):
    def test_against_ipaddress(self):
        cases = ["10.1.2.3", "192.168.255.1", "0.0.0.0", "255.255.255.255"]
        r = lua('local o = {}\nfor _, ip in ipairs(%s) do o[#o+1] = {ntop.ipToNumber(ip), '
                'ntop.inet_ntoa(ntop.ipToNumber(ip))} end\nreturn o' %
                ("{" + ",".join(json.dumps(c) for c in cases) + "}"))
        for c, (n, back) in zip(cases, r):
            self.assertEqual(n, int(ipaddress.IPv4Address(c)))
            self.assertEqual(back, c)
        pref = [("10.1.2.3", 8), ("192.168.77.200", 27), ("2001:db8::1234", 64),
                ("fe80::1:2:3:4", 10)]
        r = lua('return {' + ",".join('ntop.networkPrefix("%s", %d)' % p for p in pref) + '}')
        for (ip, b), got in zip(pref, r):
            self.assertEqual(ipaddress.ip_address(got),
                             ipaddress.ip_network("%s/%d" % (ip, b), strict=False).network_address)
        pairs = [("10.0.0.1", "10.0.0.2"), ("10.0.0.2", "10.0.0.1"), ("1.1.1.1", "1.1.1.1"),
                 ("::1", "::2"), ("9.9.9.9", "::1")]
        r = lua('return {' + ",".join('ntop.ipCmp("%s", "%s")' % p for p in pairs) + '}')
        for (a, b), got in zip(pairs, r):
            ia, ib = ipaddress.ip_address(a), ipaddress.ip_address(b)
            want = (ia.version > ib.version) - (ia.version < ib.version) or (ia > ib) - (ia < ib)
            self.assertEqual(got, want)
        self.assertEqual(lua('return {ntop.isIPv6("::1"), ntop.isIPv6("1.2.3.4"), '
                             'ntop.isIPv6("x")}'), [True, False, False])

    def test_local_networks(self):
        r = lua('ntop.addLocalNetwork("172.16.0.0/12")\nreturn {ntop.isLocalAddress("10.9.9.9"), '
                'ntop.isLocalAddress("172.20.1.1"), ntop.isLocalAddress("8.8.8.8"), '
                'ntop.getNetworks(), ntop.getAddressNetwork("172.20.1.1"), '
                'ntop.isLocalInterfaceAddress("127.0.0.1")}',
                extra=["--local-nets", "10.0.0.0/8,2001:db8::/32"])
        self.assertEqual(r[:3], [True, True, False])
        self.assertEqual(r[3], {"10.0.0.0/8": 0, "2001:db8::/32": 1, "172.16.0.0/12": 2})
        self.assertEqual(r[4], {"network": "172.16.0.0/12", "network_id": 2})
        self.assertTrue(r[5])
        self.assertEqual(cli("LRANGE", "netward.local_networks", "0", "-1"), "172.16.0.0/12")


class Pure(unittest.TestCase):
    def test_time_bitmap_score_md5_mac(self):
        r = lua('return {ntop.roundTime(1000007, 60), ntop.bitmapSet(0, 3), '
                'ntop.bitmapClear(15, 0), ntop.bitmapIsSet(8, 3), ntop.bitmapIsSet(8, 2), '
                'ntop.md5("hello netward"), ntop.getMac64("00:11:22:33:44:55"), '
                'ntop.decodeMac64("00:11:22:FF:FE:33:44:55"), ntop.getservbyport(22, "tcp"), '
                'ntop.getTLSVersionName(0x0303), ntop.gettickspersec(), ntop.gettimemsec()}')
        self.assertEqual(r[0], 1000007 - 1000007 % 60)
        self.assertEqual(r[1:5], [8, 14, True, False])
        self.assertEqual(r[5], hashlib.md5(b"hello netward").hexdigest())
        self.assertEqual(r[6], "00:11:22:FF:FE:33:44:55")
        self.assertEqual(r[7], "00:11:22:33:44:55")
        self.assertEqual(r[8], socket.getservbyport(22, "tcp"))
        self.assertEqual(r[9], "TLSv1.2")
        self.assertEqual(r[10], 10**9)
        self.assertLess(abs(r[11] - time.time() * 1000), 5000)

    def test_score_severity_mapping(self):
        scores = [0, 1, 9, 10, 49, 50, 99, 100, 149, 150, 500]
        r = lua('local o = {}\nfor _, s in ipairs({%s}) do o[#o+1] = ntop.mapScoreToSeverity(s) end\n'
                'for v = 0, 7 do o[#o+1] = ntop.mapSeverityToScore(v) end\nreturn o'
                % ",".join(map(str, scores)))
        # ntopng: debug 1 info 2 notice 3 warning 4 error 5 critical 6
        self.assertEqual(r[:11], [1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6])
        self.assertEqual(r[11:], [1, 1, 1, 10, 50, 100, 150, 150])

    def test_msleep_sleeps(self):
        t0 = time.monotonic()
        lua('ntop.msleep(700)')
        self.assertGreaterEqual(time.monotonic() - t0, 0.7)


def dns_answer(q, ptr_names, a_names):
    tid, flags, qd = struct.unpack("!HHH", q[:6])
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode())
        i += 1 + q[i]
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
    question = q[12:i + 5]
    name = ".".join(labels).lower()
    rr = b""
    if qtype == 12 and name in ptr_names:
        rdata = b"".join(bytes([len(p)]) + p.encode() for p in ptr_names[name].split(".")) + b"\0"
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 12, 1, 60, len(rdata)) + rdata
    elif qtype == 1 and name in a_names:
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(a_names[name])
    rcode = 0 if rr else 3
    return struct.pack("!HHHHHH", tid, 0x8180 | rcode, 1, 1 if rr else 0, 0, 0) + question + rr


class Dns(unittest.TestCase):
    def test_reverse_and_forward_via_loopback_server(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        seen = []
        stop = threading.Event()

        def serve():
            s.settimeout(0.2)
            while not stop.is_set():
                try:
                    q, addr = s.recvfrom(512)
                except socket.timeout:
                    continue
                seen.append(q)
                s.sendto(dns_answer(q, {"4.3.2.10.in-addr.arpa": "host-a.test"},
                                    {"web.test": "10.9.8.7"}), addr)
        t = threading.Thread(target=serve)
        t.start()
        try:
            r = lua('ntop.resolveName("10.2.3.4"); ntop.resolveName("10.2.3.5")\n'
                    'local first = ntop.resolveHost("web.test")\n'
                    'for i = 1, 60 do\n'
                    '  if ntop.getResolvedName("10.2.3.4") and ntop.getResolvedName("10.2.3.5") '
                    'and ntop.resolveHost("web.test") then break end\n'
                    '  ntop.msleep(50)\nend\n'
                    'return {first, ntop.getResolvedName("10.2.3.4"), '
                    'ntop.getResolvedName("10.2.3.5"), ntop.resolveHost("web.test")}',
                    extra=["--dns-server", "127.0.0.1:%d" % port])
        finally:
            stop.set()
            t.join()
            s.close()
        self.assertIsNone(r[0])  # never blocks: nothing cached at first
        self.assertEqual(r[1], "host-a.test")
        self.assertEqual(r[2], "10.2.3.5")  # no name: cached as itself
        self.assertEqual(r[3], "10.9.8.7")
        self.assertEqual(cli("GET", "ntopng.dns.cache.10.2.3.4"), "host-a.test")
        self.assertTrue(seen)


class Handler(http.server.BaseHTTPRequestHandler):
    got = []

    def log_message(self, *a):
        pass

    def reply(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        Handler.got.append((self.command, self.path, dict(self.headers), body))
        out = json.dumps({"m": self.command, "len": len(body)}).encode()
        self.send_response(201 if self.command != "GET" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_PATCH = reply


class Http(unittest.TestCase):
    def test_client_against_loopback_server(self):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        base = "http://127.0.0.1:%d" % srv.server_address[1]
        try:
            r = lua('local b = "%s"\nreturn {ntop.httpGet(b.."/g", "u", "p", 5, true), '
                    'ntop.httpPost(b.."/p", "a=1"), '
                    'ntop.httpPutAuthToken(b.."/t", "TOK", "{}"), '
                    'ntop.postHTTPJsonData(b.."/j", "{\\"x\\":1}"), '
                    'ntop.httpFetch({url = b.."/f", method = "PATCH", body = "xyz"})}' % base)
        finally:
            srv.shutdown()
        get, post, put, jsonok, fetch = r
        self.assertEqual(get["RESPONSE_CODE"], 200)
        self.assertEqual(json.loads(get["CONTENT"]), {"m": "GET", "len": 0})
        self.assertEqual(post["RESPONSE_CODE"], 201)
        self.assertEqual(json.loads(put["CONTENT"])["m"], "PUT")
        self.assertTrue(jsonok)
        self.assertEqual(json.loads(fetch["CONTENT"]), {"m": "PATCH", "len": 3})
        byp = {p: (m, h, b) for m, p, h, b in Handler.got}
        self.assertTrue(byp["/g"][1]["Authorization"].startswith("Basic "))
        self.assertEqual(byp["/p"][2], b"a=1")
        self.assertEqual(byp["/t"][1]["Authorization"], "Bearer TOK")
        self.assertEqual(byp["/j"][1]["Content-Type"], "application/json")

    def test_refuses_other_schemes(self):
        rc, err = lua('ntop.httpGet("file:///etc/passwd")', expect_ok=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ntop.httpGet", err)


class Smtp(socketserver.StreamRequestHandler):
    mails = []

    def handle(self):
        w = lambda s: self.wfile.write(s.encode() + b"\r\n")
        w("220 test")
        env, data = [], None
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            cmd = line.split(" ")[0].upper()
            if data is not None:
                if line == ".":
                    Smtp.mails.append((env, "\n".join(data)))
                    data = None
                    w("250 ok")
                else:
                    data.append(line)
            elif cmd in ("EHLO", "HELO"):
                w("250 hi")
            elif cmd in ("MAIL", "RCPT"):
                env.append(line)
                w("250 ok")
            elif cmd == "DATA":
                data = []
                w("354 go")
            elif cmd == "QUIT":
                w("221 bye")
                return
            else:
                w("250 ok")


class Mail(unittest.TestCase):
    def test_send_mail_to_loopback_smtp(self):
        srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Smtp)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            ok = lua('return {ntop.sendMail({smtp_server = "smtp://127.0.0.1:%d", '
                     'from = "a@x.test", to = "b@y.test", subject = "Hi", '
                     'message = "body line"})}' % srv.server_address[1])
        finally:
            srv.shutdown()
            srv.server_close()
        self.assertEqual(ok, [True])
        env, data = Smtp.mails[0]
        self.assertIn("MAIL FROM:<a@x.test>", env[0])
        self.assertIn("RCPT TO:<b@y.test>", env[1])
        self.assertIn("Subject: Hi", data)
        self.assertIn("body line", data)


class Send(unittest.TestCase):
    def test_udp_tcp(self):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        t.listen(1)
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        cport = closed.getsockname()[1]
        closed.close()
        r = lua('ntop.send_udp_data("127.0.0.1", %d, "dgram")\n'
                'ntop.send_tcp_data("127.0.0.1", %d, "stream")\n'
                'return {ntop.tcpProbe("127.0.0.1", %d), ntop.tcpProbe("127.0.0.1", %d)}'
                % (u.getsockname()[1], t.getsockname()[1], t.getsockname()[1], cport))
        self.assertEqual(u.recv(100), b"dgram")
        c, _ = t.accept()
        self.assertEqual(c.recv(100), b"stream")
        c.close()
        self.assertEqual(r, [True, False])
        u.close()
        t.close()


if __name__ == "__main__":
    unittest.main()
