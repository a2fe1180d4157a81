#!/usr/bin/python3
"""Each running worker is made to try what its policy (policies/) forbids,
through the test-only "__test_escape" RPC (meson -Dtest_hooks=true), and is
refused, or killed by its seccomp filter and reported by the supervisor.
Positive controls show the same hook can do what the policy allows, so a
refusal is the policy's doing and not a broken hook. Redis, not ours to
instrument, is checked from /proc: seccomp filter and no_new_privs.

With `--as-user NAME` the whole netward is started by that ordinary user
instead of root: no uid change then, and the same checks must hold, since
no_new_privs, seccomp and landlock do not depend on it. A directory every
user may write shows that the refusals are the sandbox's, not file
modes'."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from harness import Netward, SAMPLE_PCAP, BUILD_DIR, check  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sp  # noqa: E402

PROBE = os.path.join(BUILD_DIR, "rpc-probe")
SIGSYS = 31


def status_of(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


class Run:
    def __init__(self, nw):
        self.nw = nw
        self.results = []

    def url(self, name):
        rt = self.nw.runtime_dir
        if name == "web":
            return f"ipc://{rt}/web-control.sock"
        return f"ipc://{rt}/{name}.sock"

    def probe(self, name, *args):
        try:
            out = sp.call(self.url(name), *args)
        except OSError as e:
            return f"no connection: {e}"
        if out is None:
            return "no reply (connection closed)"
        return "".join(ch if ch.isprintable() else "." for ch in out)

    def wait_up(self, name, old_pid=None, timeout=30):
        """Until the worker answers (a restarted one: a new pid)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid = self.nw.worker_pids().get(name)
            if pid and pid != old_pid and os.path.exists(f"/proc/{pid}"):
                out = self.probe(name, "ping")
                if "pong" in out:
                    return pid
            time.sleep(0.1)
        raise AssertionError(f"{name} not answering after restart\n"
                             + self.nw.log()[-3000:])

    def refused(self, name, what, arg=""):
        out = self.probe(name, "__test_escape", what, arg)
        ok = "refused: Permission denied" in out
        self.report(name, what, arg, "refused", out, ok)

    def allowed(self, name, what, arg=""):
        out = self.probe(name, "__test_escape", what, arg)
        self.report(name, what, arg, "allowed (control)", out,
                    "allowed" in out and "refused" not in out)

    def killed(self, name, what, arg="", or_refused=False):
        """The worker dies by SIGSYS and the supervisor says so; with
        or_refused, a refusal by another layer (landlock) also passes."""
        pid = self.nw.worker_pids()[name]
        before = len(self.nw.log_lines)
        out = self.probe(name, "__test_escape", what, arg)
        if or_refused and "refused" in out:
            self.report(name, what, arg, "refused", out, True)
            return
        deadline = time.time() + 10
        line = None
        while time.time() < deadline and line is None:
            for ln in self.nw.log_lines[before:]:
                if f"{name}: killed by signal {SIGSYS}" in ln:
                    line = ln
                    break
            time.sleep(0.05)
        self.report(name, what, arg, "killed (SIGSYS), reported", out if
                    line is None else line.split("] ", 1)[-1], line is not
                    None)
        self.wait_up(name, old_pid=pid)

    def report(self, name, what, arg, want, got, ok):
        self.results.append(ok)
        print(f"{'ok ' if ok else 'BAD'} {name:10} {what} {arg}: want "
              f"{want}; got {got}", flush=True)


def main():
    run_as = None
    if len(sys.argv) == 3 and sys.argv[1] == "--as-user":
        run_as = sys.argv[2]
    with Netward([SAMPLE_PCAP]) as probe_nw:
        out = subprocess.run([PROBE, f"ipc://{probe_nw.runtime_dir}/"
                              "capture-0.sock", "call", "__test_escape",
                              "nothing"], capture_output=True,
                             text=True).stdout
        if "unknown method" in out:
            print("SKIP: built without -Dtest_hooks=true")
            sys.exit(77)

    tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                       f"netward-privsep-{os.getpid()}")
    os.makedirs(tmp, mode=0o755, exist_ok=True)
    other_pcap = os.path.join(tmp, "other.pcap")
    shutil.copy(SAMPLE_PCAP, other_pcap)
    os.chmod(other_pcap, 0o644)
    try:
        with Netward([SAMPLE_PCAP, other_pcap], run_as=run_as) as nw:
            run = Run(nw)
            for name in ("capture-0", "capture-1", "lua-0", "lua-1", "web"):
                run.wait_up(name)
            install = os.path.join(nw.tmp, "install")
            data = nw.data_dir
            rt = nw.runtime_dir
            sup = str(nw.proc.pid)
            # writable by every user: only the sandbox can refuse there
            open_dir = os.path.join(tmp, "open")
            os.mkdir(open_dir)
            os.chmod(open_dir, 0o777)
            if run_as:
                import pwd
                sup_uid = pwd.getpwnam(run_as).pw_uid
                st = status_of(nw.proc.pid)
                run.report("netward", "uid", run_as, f"uid {sup_uid}",
                           st.get("Uid"),
                           st.get("Uid", "").split()[0] == str(sup_uid))

            # The pre-exec filter and the worker's own: two layers.
            for name, pid in sorted(nw.worker_pids().items()):
                st = status_of(pid)
                want = 1 if name == "redis" else 2
                ok = (st.get("Seccomp") == "2" and st.get("NoNewPrivs") == "1"
                      and int(st.get("Seccomp_filters", "0")) >= want)
                run.report(name, "status", "", f"seccomp filters >= {want}",
                           f"Seccomp {st.get('Seccomp')} filters "
                           f"{st.get('Seccomp_filters')} NoNewPrivs "
                           f"{st.get('NoNewPrivs')}", ok)
                caps = (st.get("CapEff"), st.get("CapPrm"), st.get("CapAmb"))
                run.report(name, "capabilities", "", "none", str(caps),
                           caps == ("0000000000000000",) * 3)

            # capture: no file, no TCP/UDP, no other interface
            c = "capture-0"
            run.refused(c, "open-read", "/etc/shadow")
            run.refused(c, "open-read", "/etc/passwd")
            run.refused(c, "open-read", other_pcap)
            run.refused(c, "open-write", f"{install}/scripts/lua/evil.lua")
            run.refused(c, "open-write", f"{data}/lua/evil")
            run.refused(c, "open-write", f"{open_dir}/evil")
            run.refused(c, "tcp-connect", str(nw.port))
            run.refused(c, "udp-socket")
            run.allowed(c, "open-read", "/usr/lib/os-release")
            # (spread over both capture workers: each death soon after a
            # start doubles the restart delay, by design)
            run.killed(c, "unix-connect", f"{rt}/capture-1.sock")
            run.killed(c, "exec", "/bin/sh")
            run.killed(c, "mmap-exec")
            c1 = "capture-1"
            run.killed(c1, "ptrace", str(nw.worker_pids()["capture-0"]),
                       or_refused=True)
            run.killed(c1, "fork")
            run.killed(c1, "signal", sup, or_refused=True)

            # lua: scripts read-only, its data dir only, no TCP
            lw = "lua-0"
            run.refused(lw, "open-read", "/etc/shadow")
            run.refused(lw, "open-read", "/etc/passwd")
            run.refused(lw, "open-read", f"{data}/web/key.pem")
            run.refused(lw, "open-write", f"{install}/scripts/lua/evil.lua")
            run.refused(lw, "open-write", f"{data}/web/evil")
            run.refused(lw, "open-write", f"{open_dir}/evil")
            run.refused(lw, "tcp-connect", str(nw.port))
            run.refused(lw, "tcp-connect", "22")
            run.allowed(lw, "open-read",
                        f"{install}/scripts/lua/modules/lua_utils.lua")
            run.allowed(lw, "open-write", f"{data}/lua/probe")
            run.killed(lw, "tcp-bind", "0", or_refused=True)
            run.killed(lw, "exec", "/bin/sh")
            # the chmod librrd makes answers success and does nothing;
            # any other kills
            run.allowed(lw, "chmod-0644", f"{data}/web")
            check(os.stat(f"{data}/web").st_mode & 0o777 == 0o700,
                  "the Lua worker's chmod 0644 changed a mode")
            run.killed("lua-1", "chmod-0666", f"{data}/lua")
            run.killed(lw, "ptrace", str(nw.worker_pids()["lua-1"]),
                       or_refused=True)
            run.killed("lua-1", "fork")
            run.killed("lua-1", "signal", sup, or_refused=True)

            # web: httpdocs read-only, its own dir, no outbound TCP
            w = "web"
            run.refused(w, "open-read", "/etc/shadow")
            run.refused(w, "open-read", "/etc/passwd")
            run.refused(w, "open-write", f"{install}/httpdocs/evil.html")
            run.refused(w, "open-write", f"{data}/lua/evil")
            run.refused(w, "open-write", f"{open_dir}/evil")
            run.refused(w, "open-read", f"{data}/redis")
            run.refused(w, "tcp-connect", str(nw.port))
            run.allowed(w, "open-read", f"{data}/web/key.pem")
            run.killed(w, "exec", "/bin/sh")
            run.killed(w, "ptrace", str(nw.worker_pids()["lua-0"]),
                       or_refused=True)

            # after all that the service still answers
            check(nw.get("/lua/rest/v2/get/ntopng/interfaces.lua")[0] == 200,
                  "REST after the escape attempts")
            n_bad = run.results.count(False)
            print(f"{len(run.results) - n_bad} confinement checks passed, "
                  f"{n_bad} failed")
            check(n_bad == 0, "confinement checks failed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
