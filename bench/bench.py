#!/usr/bin/env python3
"""netward benchmarks against the reference tools, all measured in the same
run on this machine. Started by bench/run.sh, which builds what this needs;
see docs/PERFORMANCE.md for what each number means and what limits it.

Items: ingest (pcap packets/s vs ndpiReader and a plain pcap_next_ex loop),
memory (peak RSS and bytes per flow vs ndpiReader), rpc (getStats and
getFlowsInfo round trips while ingesting 1M flows, and the ingestion rate
with a listing running), rest (wrk over TLS with keep-alive), live
(tcpreplay into a veth pair inside a network namespace made here)."""
import argparse
import http.client
import os
import re
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Run:
    """A finished process: wall seconds, peak RSS bytes, output."""

    def __init__(self, cmd, timeout, stdout=subprocess.DEVNULL, env=None):
        t0 = time.monotonic()
        # stderr to a file, not a pipe: a tool that logs much would block
        # on a full pipe that is only read at its exit
        err = tempfile.TemporaryFile()
        out = tempfile.TemporaryFile() if stdout == subprocess.PIPE else stdout
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        deadline = t0 + timeout
        # wait4 for the child's own rusage (peak RSS of this process only)
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                raise RuntimeError(f"timed out after {timeout}s: {cmd}")
            time.sleep(0.005)
        self.wall = time.monotonic() - t0
        self.rss = ru.ru_maxrss * 1024
        p.returncode = os.waitstatus_to_exitcode(status)
        self.stderr = tail(err)
        self.stdout = ""
        if stdout == subprocess.PIPE:
            out.seek(0)
            self.stdout = out.read().decode(errors="replace")
        if p.returncode != 0:
            raise RuntimeError(f"{cmd} exited {p.returncode}: "
                               f"{self.stderr[-2000:]}")


def tail(f, n=65536):
    """The last n bytes of a file object, as text."""
    f.seek(0, os.SEEK_END)
    f.seek(max(0, f.tell() - n))
    return f.read().decode(errors="replace")


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def mib(b):
    return b / (1024 * 1024)


class Bench:
    def __init__(self, a):
        self.a = a
        self.cap = os.path.join(a.build, "netward-capture")
        self.bin = a.bin
        self.rows = []   # (section, what, netward, reference, ratio, target, ok)
        self.notes = []
        self.procs = []  # capture workers started by an item

    def row(self, section, what, ours, ref="", ratio="", target="", ok=None):
        self.rows.append((section, what, ours, ref, ratio, target,
                          "" if ok is None else ("yes" if ok else "NO")))

    # ---- helpers ---------------------------------------------------------
    def pcap_packets(self, path):
        out = Run([os.path.join(self.bin, "pcap_loop"), path], 300,
                  stdout=subprocess.PIPE).stdout.split()
        return int(out[0])

    def netward_file(self, path):
        r = Run([self.cap, "--pcap-file", path, "--dump-flows", "--progress"],
                self.a.timeout)
        m = re.search(r"(\d+) packets, \d+ bytes, (\d+) flows", r.stderr)
        r.flows = int(m.group(2)) if m else 0
        return r

    def ndpi_file(self, path):
        r = Run(["ndpiReader", "-i", path, "-v", "0"], self.a.timeout,
                stdout=subprocess.PIPE)
        m = re.search(r"Unique flows:\s+(\d+)", r.stdout)
        r.flows = int(m.group(1)) if m else 0
        return r

    # ---- 1 + 2: ingestion and memory --------------------------------------
    def ingest(self):
        big = self.a.big
        n = self.pcap_packets(big)          # also warms the page cache
        log(f"ingest: {big}: {n} packets, {self.a.runs} runs each")
        loop, nw, nd = [], [], []
        for i in range(self.a.runs):
            loop.append(Run([os.path.join(self.bin, "pcap_loop"), big], 300))
            nw.append(self.netward_file(big))
            nd.append(self.ndpi_file(big))
            log(f"  run {i + 1}: loop {loop[-1].wall:.2f}s netward "
                f"{nw[-1].wall:.2f}s ndpiReader {nd[-1].wall:.2f}s")
        pl = n / median([r.wall for r in loop])
        pn = n / median([r.wall for r in nw])
        pd = n / median([r.wall for r in nd])
        self.ingest_pps = pn
        self.row("ingest", f"{os.path.basename(big)} packets/s (wall, "
                 f"median of {self.a.runs})", f"{pn / 1e6:.2f} M",
                 f"ndpiReader {pd / 1e6:.2f} M", f"{pn / pd:.2f}x", ">= 2x",
                 pn / pd >= 2)
        self.row("ingest", "same, against the read limit", f"{pn / 1e6:.2f} M",
                 f"pcap_next_ex loop {pl / 1e6:.2f} M", f"{pn / pl:.2f}x")
        # memory on the same runs
        rn = median([r.rss for r in nw])
        rd = median([r.rss for r in nd])
        self.row("memory", f"peak RSS on {os.path.basename(big)} "
                 f"({nw[0].flows} / {nd[0].flows} flows)", f"{mib(rn):.0f} MiB",
                 f"ndpiReader {mib(rd):.0f} MiB", f"{rn / rd:.2f}x", "<= 0.25x",
                 rn / rd <= 0.25)
        self.memory_flows(nw[0].flows, rn, nd[0].flows, rd, os.path.basename(big))

    def memory_flows(self, fn, rn, fd, rd, name):
        bn = (rn - self.base_nw) / max(fn, 1)
        bd = (rd - self.base_nd) / max(fd, 1)
        self.row("memory", f"bytes per flow on {name} (peak RSS - idle RSS)",
                 f"{bn:.0f} B", f"ndpiReader {bd:.0f} B", f"{bn / bd:.2f}x",
                 "< 1024 B", bn < 1024)

    def baselines(self):
        tiny = os.path.join(self.a.work, "tiny.pcap")
        subprocess.run([os.path.join(self.bin, "gen_flows"), "1", tiny],
                       check=True)
        self.base_nw = self.netward_file(tiny).rss
        self.base_nd = self.ndpi_file(tiny).rss
        log(f"idle RSS: netward {mib(self.base_nw):.1f} MiB, ndpiReader "
            f"{mib(self.base_nd):.1f} MiB")

    def memory(self):
        path = self.a.flows_pcap
        nw = self.netward_file(path)
        nd = self.ndpi_file(path)
        log(f"memory: {path}: netward {nw.wall:.2f}s {mib(nw.rss):.0f} MiB, "
            f"ndpiReader {nd.wall:.2f}s {mib(nd.rss):.0f} MiB")
        self.row("memory", f"peak RSS, {nw.flows} concurrent DNS flows",
                 f"{mib(nw.rss):.0f} MiB", f"ndpiReader {mib(nd.rss):.0f} MiB",
                 f"{nw.rss / nd.rss:.2f}x", "<= 0.25x", nw.rss / nd.rss <= 0.25)
        self.memory_flows(nw.flows, nw.rss, nd.flows, nd.rss,
                          f"{nw.flows} flows")
        n = self.pcap_packets(path)
        self.row("ingest", f"{nw.flows} new flows, packets/s (one run)",
                 f"{n / nw.wall / 1e6:.2f} M",
                 f"ndpiReader {n / nd.wall / 1e6:.2f} M",
                 f"{nd.wall / nw.wall:.2f}x", ">= 2x", nd.wall / nw.wall >= 2)

    # ---- 3: RPC ------------------------------------------------------------
    def rpc_tool(self, url, *args, timeout=120):
        r = subprocess.run([os.path.join(self.bin, "rpc_bench"), url]
                           + [str(x) for x in args], capture_output=True,
                           text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"rpc_bench {args}: {r.stderr}")
        return r.stdout.split()

    def start_capture(self, path, sock):
        if os.path.exists(sock):
            os.unlink(sock)
        errf = tempfile.TemporaryFile()   # not a pipe: see Run
        # the control socket (NNG) and the data socket the Lua workers
        # call, which the url of the RPC items below is
        p = subprocess.Popen([self.cap, "--pcap-file", path, "--progress",
                              "--socket", "ipc://" + sock + ".ctl",
                              "--data-socket", "unix://" + sock,
                              "--rpc-threads", "2"],
                             stdout=subprocess.DEVNULL, stderr=errf)
        p.errfile = errf
        self.procs.append(p)
        return p

    def finish_capture(self, p, url):
        self.rpc_tool(url, "wait-complete", timeout=self.a.timeout)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        err = tail(p.errfile)
        m = re.search(r"in ([\d.]+) s \((\d+) packets/s\)", err)
        if not m:
            raise RuntimeError("no final progress line:\n" + err[-2000:])
        return int(m.group(2))

    def rpc(self):
        path = self.a.flows_pcap
        sock = os.path.join(self.a.work, "rpc.sock")
        url = "unix://" + sock
        alone, listing, lat_ing = [], [], []
        for i in range(self.a.runs):
            p = self.start_capture(path, sock)
            alone.append(self.finish_capture(p, url))
            p = self.start_capture(path, sock)
            # one listing of the first 100 flows by bytes every 100 ms
            lat_ing.append(self.rpc_tool(url, "flows-ingest", 100000, 100))
            listing.append(self.finish_capture(p, url))
            log(f"rpc run {i + 1}: ingestion alone {alone[-1]} pps, with "
                f"listings {listing[-1]} pps ({lat_ing[-1][0]} listings)")
        # getStats while ingesting, then both on the full table
        p = self.start_capture(path, sock)
        self.rpc_tool(url, "wait-flows", 1)
        st_ing = self.rpc_tool(url, "stats-ingest", 1000000)
        self.rpc_tool(url, "wait-complete", timeout=self.a.timeout)
        st_idle = self.rpc_tool(url, "stats", 20000)
        fl_idle = self.rpc_tool(url, "flows", 20, 0)
        nflows = self.rpc_tool(url, "counters")[2]
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)

        def us(v):
            return f"{float(v):.0f} us"
        self.row("rpc", f"getStats p50 / p99 while ingesting ({st_ing[0]} calls)",
                 f"{us(st_ing[1])} / {us(st_ing[2])}", "", "",
                 "p50 <= 50 us", float(st_ing[1]) <= 50)
        self.row("rpc", f"getStats p50 / p99, {nflows} flows, idle",
                 f"{us(st_idle[1])} / {us(st_idle[2])}", "", "",
                 "p50 <= 50 us", float(st_idle[1]) <= 50)
        li = min(lat_ing, key=lambda x: float(x[1]))
        li = sorted(lat_ing, key=lambda x: float(x[1]))[len(lat_ing) // 2]
        self.row("rpc", f"getFlowsInfo perPage=100 p50 / p99 while ingesting "
                 f"({li[0]} calls)", f"{us(li[1])} / {us(li[2])}")
        self.row("rpc", f"getFlowsInfo perPage=100 p50 / p99, {nflows} flows",
                 f"{us(fl_idle[1])} / {us(fl_idle[2])}")
        a, b = median(alone), median(listing)
        self.row("rpc", "ingestion with a listing every 100 ms (packets/s)",
                 f"{b / 1e6:.2f} M", f"alone {a / 1e6:.2f} M", f"{b / a:.2f}x",
                 ">= 0.90x", b / a >= 0.90)

    # ---- 4: REST -----------------------------------------------------------
    def rest(self):
        os.environ["NETWARD_BUILD_DIR"] = os.path.abspath(self.a.build)
        sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
        import harness

        class QuietNetward(harness.Netward):
            """harness.Netward with the log in a file: a Python thread
            reading the access log line of every request would take CPU
            from what is measured."""

            def start(self, timeout=60):
                real = harness.subprocess.Popen
                self.logpath = os.path.join(self.tmp, "netward.log")
                logf = open(self.logpath, "w")

                def popen(cmd, **kw):
                    if kw.get("stdout") == subprocess.PIPE:
                        kw["stdout"] = logf
                    return real(cmd, **kw)
                harness.subprocess.Popen = popen
                try:
                    return super().start(timeout)
                finally:
                    harness.subprocess.Popen = real
                    logf.close()

            def _read_log(self):
                pass

            def log(self):
                with open(self.logpath, errors="replace") as f:
                    return f.read()

        with QuietNetward([os.path.abspath(self.a.rest_pcap)],
                          lua_workers=self.a.lua_workers) as nw:
            nw.wait_ingested(0, timeout=self.a.timeout)
            cookie = self.login(nw)
            url = (f"https://127.0.0.1:{nw.port}"
                   "/lua/rest/v2/get/interface/data.lua?ifid=0")
            st, _, _ = nw.request("/lua/rest/v2/get/interface/data.lua",
                                  {"ifid": 0}, auth=False,
                                  headers={"Cookie": cookie})
            if st != 200:
                raise RuntimeError(f"cookie request: HTTP {st}")
            rps, p99 = self.wrk(url, ["-H", f"Cookie: {cookie}"])
            self.row("rest", f"data.lua req/s, p99 (TLS keep-alive, session "
                     f"cookie, wrk -c{self.a.conns} {self.a.wrk_secs}s)",
                     f"{rps:.0f} /s, {p99}", "", f"{rps / 10000:.2f}x of target",
                     ">= 10000 /s", rps >= 10000)
            import base64
            tok = base64.b64encode(f"admin:{nw.password}".encode()).decode()
            rps, p99 = self.wrk(url, ["-H", f"Authorization: Basic {tok}"])
            self.row("rest", "same with HTTP basic auth", f"{rps:.0f} /s, {p99}",
                     "", f"{rps / 10000:.2f}x of target", ">= 10000 /s",
                     rps >= 10000)

    def login(self, nw):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        c = http.client.HTTPSConnection("127.0.0.1", nw.port, context=ctx,
                                        timeout=30)
        body = urllib.parse.urlencode({"user": "admin",
                                       "password": nw.password,
                                       "referer": "/"})
        c.request("POST", "/authorize.html", body,
                  {"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and v.startswith("session="):
                return v.split(";")[0]
        raise RuntimeError(f"login: HTTP {r.status}, no session cookie")

    def wrk(self, url, extra):
        cmd = ["wrk", "-t", "2", "-c", str(self.a.conns), "-d",
               f"{self.a.wrk_secs}s", "--latency", "--timeout", "5s"] + extra + [url]
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=self.a.wrk_secs + 60)
        m = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
        p = re.search(r"^\s+99%\s+(\S+)", r.stdout, re.M)
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
        if not m or bad or r.returncode != 0:
            raise RuntimeError("wrk failed:\n" + r.stdout + r.stderr)
        return float(m.group(1)), p.group(1) if p else "?"

    # ---- 5: live capture on a veth pair in a namespace ----------------------
    def live(self):
        ns = f"nwbench{os.getpid()}"
        sock = os.path.join(self.a.work, "live.sock")
        url = "unix://" + sock
        capture = None

        def sh(*cmd, check=True):
            return subprocess.run(list(cmd), check=check, capture_output=True,
                                  text=True)
        try:
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "add", "nwb0", "mtu", "9000", "type",
               "veth", "peer", "name", "nwb1", "mtu", "9000")
            for k in ("all", "default"):
                sh("ip", "netns", "exec", ns, "sysctl", "-qw",
                   f"net.ipv6.conf.{k}.disable_ipv6=1")
            sh("ip", "-n", ns, "link", "set", "nwb0", "up")
            sh("ip", "-n", ns, "link", "set", "nwb1", "up")
            if os.path.exists(sock):
                os.unlink(sock)
            capture = subprocess.Popen(
                ["ip", "netns", "exec", ns, self.cap, "--live", "nwb1",
                 "--socket", "ipc://" + sock + ".ctl", "--data-socket",
                 url], stdout=subprocess.DEVNULL,
                stderr=tempfile.TemporaryFile())   # not a pipe: see Run
            self.rpc_tool(url, "counters", timeout=30)   # listening
            before = int(self.rpc_tool(url, "counters")[0])
            sent, failed, rate = self.replay(ns, self.a.big)
            time.sleep(1.5)       # let the worker drain its buffer
            pk, drops, _ = (int(x) for x in self.rpc_tool(url, "counters"))
            got = pk - before
            self.row("live", f"veth: received / sent at tcpreplay --topspeed "
                     f"({rate / 1e3:.0f} K pps)",
                     f"{got} / {sent}", f"pcap drops {drops}, tcpreplay "
                     f"failed {failed}", f"{got / max(sent, 1):.4f}",
                     "no drops", drops == 0 and got >= sent)

            # A million more flows in the table, then the same replay while
            # a client lists the top 100 flows by bytes every 100 ms.
            self.replay(ns, self.a.flows_pcap)
            time.sleep(1.5)
            before, drops0, nflows = (int(x) for x in
                                      self.rpc_tool(url, "counters"))
            lister = subprocess.Popen(
                [os.path.join(self.bin, "rpc_bench"), url, "flows", "80",
                 "100"], stdout=subprocess.PIPE, text=True)
            self.procs.append(lister)
            sent, failed, rate = self.replay(ns, self.a.big)
            time.sleep(1.5)
            pk, drops, _ = (int(x) for x in self.rpc_tool(url, "counters"))
            lat = lister.communicate(timeout=self.a.timeout)[0].split()
            got, drops = pk - before, drops - drops0
            self.row("live", f"same with {nflows} flows in the table and a "
                     f"getFlowsInfo every 100 ms ({lat[0]} listings, p50 "
                     f"{float(lat[1]) / 1e3:.0f} ms)",
                     f"{got} / {sent}", f"pcap drops {drops}, tcpreplay "
                     f"failed {failed}", f"{got / max(sent, 1):.4f}",
                     "no drops", drops == 0 and got >= sent)
        finally:
            if capture:
                capture.send_signal(signal.SIGTERM)
                try:
                    capture.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    capture.kill()
            sh("ip", "netns", "del", ns, check=False)

    def replay(self, ns, pcap):
        """tcpreplay --topspeed of pcap into the namespace's veth: (sent,
        failed, packets/s)."""
        cmd = ["ip", "netns", "exec", ns, "tcpreplay", "-i", "nwb0",
               "--topspeed"]
        if self.a.live_limit:
            cmd += ["--limit", str(self.a.live_limit)]
        r = subprocess.run(cmd + [pcap], capture_output=True, text=True,
                           timeout=self.a.timeout)
        sent = re.search(r"Successful packets:\s+(\d+)", r.stdout)
        failed = re.search(r"Failed packets:\s+(\d+)", r.stdout)
        rate = re.search(r"Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps",
                         r.stdout)
        if not sent:
            raise RuntimeError("tcpreplay:\n" + r.stdout + r.stderr)
        return int(sent.group(1)), int(failed.group(1)), float(rate.group(1))

    # ---- output -------------------------------------------------------------
    def table(self):
        hdr = ("item", "measure", "netward", "reference", "ratio", "target",
               "met")
        rows = [hdr] + self.rows
        w = [max(len(str(r[i])) for r in rows) for i in range(len(hdr))]
        out = []
        for i, r in enumerate(rows):
            out.append("| " + " | ".join(str(c).ljust(w[j])
                                         for j, c in enumerate(r)) + " |")
            if i == 0:
                out.append("|" + "|".join("-" * (x + 2) for x in w) + "|")
        return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--big", required=True)
    ap.add_argument("--flows-pcap", required=True)
    ap.add_argument("--rest-pcap", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--wrk-secs", type=int, default=10)
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--lua-workers", type=int, default=2)
    ap.add_argument("--live-limit", type=int, default=0)
    ap.add_argument("--only", default="ingest,memory,rpc,rest,live")
    a = ap.parse_args()
    b = Bench(a)
    items = a.only.split(",")
    t0 = time.monotonic()
    b.baselines()
    for item in ("ingest", "memory", "rpc", "rest", "live"):
        if item in items:
            t = time.monotonic()
            try:
                getattr(b, item)()
            except Exception as e:  # report it and go on with the others
                b.row(item, "FAILED", str(e).splitlines()[0][:100])
                log(f"{item} failed: {e}")
            finally:  # no worker of a failed item outlives it
                for p in b.procs:
                    if p.poll() is None:
                        p.kill()
                        p.wait()
                b.procs = []
            log(f"{item}: {time.monotonic() - t:.0f} s")
    print(b.table())
    print(f"\n({time.monotonic() - t0:.0f} s; {os.uname().nodename}, "
          f"{os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
