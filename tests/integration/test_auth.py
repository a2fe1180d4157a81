#!/usr/bin/python3
"""Users, roles and authentication end to end: a user added from Lua logs
in; a session, an API token and HTTP basic each work; a wrong password is
refused; repeated failures blacklist the user; TOTP needs a code this test
computes itself (RFC 6238); a session's state-changing request needs its
CSRF token; an unprivileged user cannot call admin-only functions; an RPC
with an identity the frontend did not mint is refused."""
import base64
import hashlib
import hmac
import json
import os
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD_DIR, Netward, SAMPLE_PCAP, check  # noqa: E402

PROBE = os.path.join(BUILD_DIR, "rpc-probe")

# Test scripts dropped into the running netward's script tree.
SCRIPTS = {
    "whoami.lua": """
local json = require("dkjson")
print(json.encode({user = _SESSION.user, group = _SESSION.group,
                   csrf = _SESSION.csrf, admin = ntop.isAdministrator()}))
""",
    "hostile.lua": """
-- What a compromised or malicious script would try. Each attempt must
-- fail; the answer says how.
local json = require("dkjson")
local out = {}
local function try(name, f, ...)
  local ok, res = pcall(f, ...)
  out[name] = {ok = ok, res = ok and res or tostring(res)}
end
try("read_hash", ntop.getCache, "ntopng.user.admin.password")
try("set_group", ntop.setCache, "ntopng.user.ana.group", "administrator")
try("read_session", ntop.getCache, "sessions.x")
try("read_shadow", ntop.exists, "/etc/shadow")
try("io", function() return io.open("/etc/shadow") end)
try("allowed_key", ntop.setCache, "ntopng.prefs.nwtest", "1")
print(json.encode(out))
""",
    "hosts.lua": """
-- The hosts and flows interface.* shows the caller.
local json = require("dkjson")
interface.select(_GET.ifid or "0")
local h = interface.getHostsInfo({perPage = 1000})
local f = interface.getFlowsInfo({perPage = 1000})
local ips = {}
for _, v in pairs(h.hosts) do ips[#ips + 1] = v.ip end
local flows = {}
for _, v in ipairs(f.flows) do flows[#flows + 1] = {v["cli.ip"], v["srv.ip"]} end
print(json.encode({hosts = ips, numHosts = h.numHosts, flows = flows}))
""",
    "call.lua": """
-- Calls ntop.<fn>(args...) with the JSON args of the body; answers the
-- result or the Lua error, so the test sees what a script would.
local json = require("dkjson")
local fn = _GET.fn
local args = json.decode(_POST.JSON or "[]") or {}
local ok, res = pcall(ntop[fn], table.unpack(args))
print(json.encode({ok = ok, res = res}))
""",
}


def totp(secret, t=None, step=30):
    """RFC 6238 computed independently with Python's hmac."""
    pad = "=" * (-len(secret) % 8)
    key = base64.b32decode(secret + pad)
    counter = int((t if t is not None else time.time()) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return f"{code:06d}"


def install_scripts(nw):
    for name, text in SCRIPTS.items():
        nw.add_script(name, 'local dirs = ntop.getDirs()\npackage.path = '
                      'dirs.installdir .. "/scripts/lua/modules/?.lua;" .. '
                      'package.path\n' + text)


def call(nw, fn, *args, **kw):
    """ntop.fn(*args) in a request made as the given user (admin by
    default); returns (ok, result)."""
    status, raw, _ = nw.request("/lua/nwtest/call.lua", {"fn": fn},
                                body=list(args), **kw)
    check(status == 200, f"{fn}: HTTP {status} {raw[:300]!r}")
    doc = json.loads(raw)
    return doc["ok"], doc.get("res")


def basic(user, pw):
    return {"Authorization": "Basic " + base64.b64encode(
        f"{user}:{pw}".encode()).decode()}


def login(nw, user, pw, code=None):
    form = {"user": user, "password": pw, "referer": "/"}
    if code is not None:
        form["totp"] = code
    data = urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(
        f"https://127.0.0.1:{nw.port}/authorize.html", data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None
    opener = urllib.request.build_opener(
        NoRedirect, urllib.request.HTTPSHandler(context=nw.ctx))
    try:
        r = opener.open(req, timeout=20)
        headers = r.headers
    except urllib.error.HTTPError as e:
        headers = e.headers
    for c in headers.get_all("Set-Cookie") or []:
        if c.startswith("session=") and not c.startswith("session=;"):
            return c.split(";")[0].split("=", 1)[1]
    return None


def main():
    with Netward([SAMPLE_PCAP]) as nw:
        install_scripts(nw)
        # an administrator (basic auth) adds a user from Lua
        ok, res = call(nw, "addUser", "ana", "Ana Lyst", "pw-ana-1",
                       "unprivileged", "10.77.0.0/24", "")
        check(ok and res is True, f"addUser: {ok} {res}")
        ok, users = call(nw, "getUsers")
        check(ok and "ana" in users and users["ana"]["group"] == "unprivileged"
              and users["ana"]["allowed_nets"] == "10.77.0.0/24",
              f"getUsers: {users}")
        check("password" not in json.dumps(users), "getUsers leaks a password")

        # the caller's host pools, observation point, GUI restriction
        ok, res = call(nw, "changeAllowedHostPools", "ana", "2,5")
        check(ok and res is True, f"changeAllowedHostPools: {ok} {res}")
        ok, res = call(nw, "getAllowedHostPools", auth=False,
                       headers=basic("ana", "pw-ana-1"))
        check(ok and res == [2, 5], f"ana's pools: {ok} {res}")
        ok, res = call(nw, "getAllowedHostPools")
        check(ok and res in ([], {}), f"admin's pools (no restriction): {res}")
        ok, res = call(nw, "getUserObservationPointId", "ana")
        check(ok and res == 0, f"observation point: {ok} {res}")
        ok, res = call(nw, "getUserObservationPointId", "nosuchuser")
        check(ok and res is None, f"unknown user's observation point: {res}")
        ok, res = call(nw, "getUserObservationPointId", "admin", auth=False,
                       headers=basic("ana", "pw-ana-1"))
        check(not ok and "not allowed" in res, f"another user's: {ok} {res}")
        ok, res = call(nw, "isGuiAccessRestricted")
        check(ok and res is False, f"isGuiAccessRestricted: {ok} {res}")

        # basic auth as the new user; it is not an administrator
        status, raw, _ = nw.request("/lua/nwtest/whoami.lua", auth=False,
                                    headers=basic("ana", "pw-ana-1"))
        who = json.loads(raw)
        check(status == 200 and who["user"] == "ana" and not who["admin"],
              f"whoami as ana: {status} {raw!r}")
        # an unprivileged user may not call admin-only functions...
        ok, res = call(nw, "getUsers", auth=False, headers=basic("ana", "pw-ana-1"))
        check(not ok and "not allowed" in res and
              res.startswith("ntop.getUsers: "), f"getUsers as ana: {ok} {res}")
        ok, res = call(nw, "changeUserRole", "ana", "administrator",
                       auth=False, headers=basic("ana", "pw-ana-1"))
        check(not ok and "not allowed" in res, f"self-promotion: {ok} {res}")
        # ...but may change its own password with the old one
        ok, res = call(nw, "resetUserPassword", "ana", "ana", "wrong", "pw-ana-2",
                       auth=False, headers=basic("ana", "pw-ana-1"))
        check(not ok, f"password change with a wrong old password: {res}")
        ok, res = call(nw, "resetUserPassword", "ana", "ana", "pw-ana-1",
                       "pw-ana-2", auth=False, headers=basic("ana", "pw-ana-1"))
        check(ok and res is True, f"own password change: {ok} {res}")
        status, _, _ = nw.request("/lua/nwtest/whoami.lua", auth=False,
                                  headers=basic("ana", "pw-ana-1"))
        check(status == 401, f"old password still works: {status}")

        # API token
        ok, token = call(nw, "createUserAPIToken", "ana")
        check(ok and isinstance(token, str) and len(token) >= 32, f"token {token}")
        status, raw, _ = nw.request("/lua/nwtest/whoami.lua", auth=False,
                                    headers={"Authorization": "Token " + token})
        check(status == 200 and json.loads(raw)["user"] == "ana",
              f"token auth: {status} {raw!r}")
        status, _, _ = nw.request("/lua/nwtest/whoami.lua", auth=False,
                                  headers={"Authorization": "Token " + "0" * 48})
        check(status == 401, "unknown token accepted")

        # session cookie, and CSRF on a state-changing request
        sid = login(nw, "ana", "pw-ana-2")
        check(sid is not None, "login with the right password")
        cookie = {"Cookie": "session=" + sid}
        status, raw, _ = nw.request("/lua/nwtest/whoami.lua", auth=False,
                                    headers=cookie)
        who = json.loads(raw)
        check(status == 200 and who["user"] == "ana" and len(who["csrf"]) == 32,
              f"session: {status} {raw!r}")
        status, raw, _ = nw.request("/lua/nwtest/call.lua", {"fn": "isLoginDisabled"},
                                    body=[], auth=False, headers=cookie)
        check(status == 403, f"POST without CSRF token: {status} {raw!r}")
        status, raw, _ = nw.request("/lua/nwtest/call.lua", {"fn": "isLoginDisabled"},
                                    body=[], auth=False,
                                    headers={**cookie, "X-CSRF-Token": "0" * 32})
        check(status == 403, f"POST with a wrong CSRF token: {status}")
        status, raw, _ = nw.request("/lua/nwtest/call.lua", {"fn": "isLoginDisabled"},
                                    body=[], auth=False,
                                    headers={**cookie, "X-CSRF-Token": who["csrf"]})
        check(status == 200 and json.loads(raw)["res"] is False,
              f"POST with the CSRF token: {status} {raw!r}")
        check(login(nw, "ana", "nope") is None, "login with a wrong password")

        # TOTP: enrolment, then the login needs a code
        ok, secret = call(nw, "generateTOTPSecret", auth=False,
                          headers=basic("ana", "pw-ana-2"))
        check(ok and len(secret) == 32, f"secret {secret}")
        for fn, args in (("setUserTOTPSecret", ["ana", secret]),
                         ("setUserTOTPEnabled", ["ana", True])):
            ok, res = call(nw, fn, *args, auth=False, headers=basic("ana", "pw-ana-2"))
            check(ok and res is True, f"{fn}: {ok} {res}")
        ok, res = call(nw, "validateTOTP", "ana", totp(secret))
        check(ok and res is True, f"validateTOTP with the current code: {res}")
        ok, res = call(nw, "validateTOTP", "ana", totp(secret, time.time() - 300))
        check(ok and res is False, f"validateTOTP with an old code: {res}")
        ok, uri = call(nw, "getTOTPProvisioningUri", "ana")
        check(ok and uri.startswith("otpauth://totp/") and secret in uri, f"uri {uri}")
        check(login(nw, "ana", "pw-ana-2") is None, "login without TOTP code")
        check(login(nw, "ana", "pw-ana-2", "000000" if totp(secret) != "000000"
                    else "111111") is None, "login with a wrong TOTP code")
        check(login(nw, "ana", "pw-ana-2", totp(secret)) is not None,
              "login with the TOTP code")

        # blacklist after repeated failures, per user
        ok, res = call(nw, "isLoginBlacklisted", "ana")
        check(ok and res is False, "not blacklisted yet")
        for _ in range(10):
            login(nw, "ana", "guess")
        ok, res = call(nw, "isLoginBlacklisted", "ana")
        check(ok and res is True, f"blacklisted after 10 failures: {res}")
        check(login(nw, "ana", "pw-ana-2", totp(secret)) is None,
              "a blacklisted user logs in")

        # an identity not minted by the frontend is refused
        url = f"ipc://{nw.runtime_dir}/web.sock"
        r = subprocess.run([PROBE, url, "call", "getUsers"], capture_output=True,
                           text=True, timeout=20)
        check("status 3" in r.stdout and "no valid identity" in r.stdout,
              f"forged identity: {r.stdout}")
        r = subprocess.run([PROBE, url, "call", "addUser", "evil", "x", "pw",
                            "administrator"], capture_output=True, text=True,
                           timeout=20)
        check("status 3" in r.stdout, f"forged addUser: {r.stdout}")
        ok, users = call(nw, "getUsers")
        check("evil" not in users, "forged addUser created a user")

        # a hostile script, even run by an administrator, cannot read or
        # change credentials in Redis nor open files outside its tree
        status, raw, _ = nw.request("/lua/nwtest/hostile.lua")
        check(status == 200, f"hostile.lua: {status} {raw!r}")
        got = json.loads(raw)
        for attempt in ("read_hash", "set_group", "read_session"):
            check(not got[attempt]["ok"] and "NOPERM" in got[attempt]["res"],
                  f"{attempt}: {got[attempt]}")
        check(not got["read_shadow"]["ok"], f"/etc/shadow: {got['read_shadow']}")
        check(not got["io"]["ok"], f"io.open: {got['io']}")
        check(got["allowed_key"]["ok"], f"an ordinary key: {got['allowed_key']}")

        # an unprivileged user sees only its allowed networks, in Lua and
        # in REST; the administrator sees every host
        ok, res = call(nw, "addUser", "lan", "Lan Only", "pw-lan-1",
                       "unprivileged", "10.77.0.2/32", "")
        check(ok and res is True, f"addUser lan: {res}")
        lan = basic("lan", "pw-lan-1")
        status, raw, _ = nw.request("/lua/nwtest/hosts.lua", auth=False,
                                    headers=lan)
        seen = json.loads(raw)
        check(status == 200 and seen["hosts"] == ["10.77.0.2"] and
              seen["numHosts"] == 1, f"lan's hosts: {status} {raw[:500]!r}")
        check(seen["flows"] and all("10.77.0.2" in f for f in seen["flows"]),
              f"lan's flows: {seen['flows']}")
        status, raw, _ = nw.request("/lua/nwtest/hosts.lua")
        everyone = json.loads(raw)
        check(len(everyone["hosts"]) > 2 and "10.77.0.1" in everyone["hosts"],
              f"admin's hosts: {everyone['hosts']}")
        check(len(everyone["flows"]) > len(seen["flows"]), "admin sees more flows")
        status, raw, _ = nw.request("/lua/rest/v2/get/host/active.lua",
                                    {"ifid": 0, "perPage": 100}, auth=False,
                                    headers=lan)
        rest_ips = [h["ip"] for h in json.loads(raw)["rsp"]["data"]]
        check(status == 200 and rest_ips == ["10.77.0.2"],
              f"lan's REST hosts: {status} {rest_ips}")
        status, raw, _ = nw.request("/lua/rest/v2/get/host/data.lua",
                                    {"ifid": 0, "host": "10.77.0.1"}, auth=False,
                                    headers=lan)
        check(status == 404, f"lan reads a host outside its networks: {status}")

        # deletion
        ok, res = call(nw, "deleteUser", "ana")
        check(ok and res is True, f"deleteUser: {res}")
        status, _, _ = nw.request("/lua/nwtest/whoami.lua", auth=False,
                                  headers={"Authorization": "Token " + token})
        check(status == 401, "a deleted user's token still works")
    print("auth checks passed")


if __name__ == "__main__":
    main()
