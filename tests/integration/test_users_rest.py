#!/usr/bin/python3
"""The REST v2 endpoints of users, API tokens and TOTP enrolment, each
answering ntopng's envelope and rest_utils codes: what an administrator
may do, what an unprivileged user may not, and bad input."""
import base64
import hashlib
import hmac
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Netward, SAMPLE_PCAP, check  # noqa: E402

R = "/lua/rest/v2/"


def basic(user, pw):
    return {"Authorization": "Basic " + base64.b64encode(
        f"{user}:{pw}".encode()).decode()}


def totp(secret, t=None):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int((t or time.time()) // 30)),
                   hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF)
                     % 1000000)


def post(nw, path, body, **kw):
    status, doc = nw.get(R + path, body=body, method="POST", **kw)
    return status, doc


def main():
    with Netward([SAMPLE_PCAP]) as nw:
        st, doc = post(nw, "add/ntopng/user.lua", {
            "username": "bob", "full_name": "Bob", "password": "pw-bob-1",
            "user_role": "unprivileged", "allowed_networks": "10.77.0.0/24"})
        check(st == 200 and doc["rc"] == 0 and doc["rsp"]["username"] == "bob",
              f"add: {st} {doc}")
        st, doc = post(nw, "add/ntopng/user.lua", {
            "username": "bob", "password": "x", "user_role": "unprivileged"})
        check(st == 400 and doc["rc"] == -5, f"add twice: {st} {doc}")
        st, doc = post(nw, "add/ntopng/user.lua", {"username": "carol"})
        check(st == 400 and doc["rc"] == -5, f"add without password: {st} {doc}")
        st, doc = post(nw, "add/ntopng/user.lua", {
            "username": "dave", "password": "x", "user_role": "superuser"})
        check(st == 400 and doc["rc"] == -5, f"unknown role: {st} {doc}")
        st, doc = post(nw, "add/ntopng/user.lua", {
            "username": "erin", "password": "x", "user_role": "unprivileged",
            "allowed_networks": "10.0.0.0/99"})
        check(st == 400 and doc["rc"] == -5, f"bad network: {st} {doc}")
        st, doc = nw.get(R + "add/ntopng/user.lua", {"username": "x"})
        check(st == 405, f"GET on an add endpoint: {st} {doc}")

        st, doc = nw.get(R + "get/ntopng/users.lua")
        names = [u["username"] for u in doc["rsp"]]
        check(st == 200 and names == ["admin", "bob"], f"users: {names}")
        bob = [u for u in doc["rsp"] if u["username"] == "bob"][0]
        check(bob["group"] == "unprivileged" and bob["allowed_nets"] == "10.77.0.0/24"
              and "password" not in bob, f"bob: {bob}")

        # bob may not manage users
        hb = basic("bob", "pw-bob-1")
        st, doc = nw.get(R + "get/ntopng/users.lua", auth=False, headers=hb)
        check(st == 401 and doc["rc"] == -3, f"bob lists users: {st} {doc}")
        st, doc = post(nw, "edit/ntopng/user.lua", {"username": "bob",
                       "user_role": "administrator"}, auth=False, headers=hb)
        check(st == 401 and doc["rc"] == -3, f"bob promotes himself: {st} {doc}")
        st, doc = post(nw, "delete/ntopng/user.lua", {"username": "admin"},
                       auth=False, headers=hb)
        check(st == 401 and doc["rc"] == -3, f"bob deletes admin: {st} {doc}")

        # edit, then check through the listing
        st, doc = post(nw, "edit/ntopng/user.lua", {"username": "bob",
                       "full_name": "Robert", "allowed_networks": "10.77.0.2/32"})
        check(st == 200 and sorted(doc["rsp"]["changed"]) ==
              ["allowed_networks", "full_name"], f"edit: {st} {doc}")
        st, doc = nw.get(R + "get/ntopng/users.lua")
        bob = [u for u in doc["rsp"] if u["username"] == "bob"][0]
        check(bob["full_name"] == "Robert" and bob["allowed_nets"] == "10.77.0.2/32",
              f"after edit: {bob}")
        st, doc = post(nw, "edit/ntopng/user.lua", {"username": "nobody-here",
                       "full_name": "x"})
        check(st == 404 and doc["rc"] == -1, f"edit unknown user: {st} {doc}")

        # passwords: bob with the old one; the admin without
        st, doc = post(nw, "edit/ntopng/user/password.lua", {"username": "bob",
                       "old_password": "wrong", "new_password": "pw-bob-2"},
                       auth=False, headers=hb)
        check(st == 401, f"wrong old password: {st} {doc}")
        st, doc = post(nw, "edit/ntopng/user/password.lua", {"username": "bob",
                       "old_password": "pw-bob-1", "new_password": "pw-bob-2"},
                       auth=False, headers=hb)
        check(st == 200, f"own password: {st} {doc}")
        hb = basic("bob", "pw-bob-2")
        st, doc = post(nw, "edit/ntopng/user/password.lua", {"username": "bob",
                       "new_password": "pw-bob-3"})
        check(st == 200, f"admin sets bob's password: {st} {doc}")
        st, _ = nw.get(R + "get/ntopng/users.lua", auth=False, headers=hb)
        check(st == 401, "bob's previous password still works")
        hb = basic("bob", "pw-bob-3")

        # a token for bob, by bob
        st, doc = post(nw, "create/ntopng/api_token.lua", {}, auth=False, headers=hb)
        token = doc["rsp"]["api_token"]
        check(st == 200 and len(token) == 48, f"token: {st} {doc}")
        st, doc = nw.get(R + "get/interface/data.lua", {"ifid": 0}, auth=False,
                         headers={"Authorization": "Token " + token})
        check(st == 200 and doc["rc"] == 0, f"token use: {st}")
        st, doc = post(nw, "create/ntopng/api_token.lua", {"username": "admin"},
                       auth=False, headers=hb)
        check(st == 401, f"bob makes admin's token: {st} {doc}")

        # TOTP enrolment of bob: enabling needs a right code
        st, doc = post(nw, "create/ntopng/totp.lua", {}, auth=False, headers=hb)
        secret = doc["rsp"]["secret"]
        check(st == 200 and doc["rsp"]["uri"].startswith("otpauth://totp/") and
              "secret=" + secret in doc["rsp"]["uri"], f"enrol: {st} {doc}")
        st, doc = post(nw, "edit/ntopng/totp.lua", {"enabled": True, "code": "123"},
                       auth=False, headers=hb)
        check(st == 400, f"enable with a bad code: {st} {doc}")
        st, doc = post(nw, "edit/ntopng/totp.lua", {"enabled": True,
                       "code": totp(secret)}, auth=False, headers=hb)
        check(st == 200 and doc["rsp"]["enabled"] is True, f"enable: {st} {doc}")
        st, doc = nw.get(R + "get/ntopng/users.lua")
        bob = [u for u in doc["rsp"] if u["username"] == "bob"][0]
        check(bob.get("totp_enabled") == "1", f"totp flag: {bob}")

        st, doc = post(nw, "delete/ntopng/user.lua", {"username": "admin"})
        check(st == 401, f"admin deletes itself: {st} {doc}")
        st, doc = post(nw, "delete/ntopng/user.lua", {"username": "bob"})
        check(st == 200, f"delete: {st} {doc}")
        st, doc = nw.get(R + "get/ntopng/users.lua")
        check([u["username"] for u in doc["rsp"]] == ["admin"], "bob is gone")
        st, _ = nw.get(R + "get/interface/data.lua", {"ifid": 0}, auth=False,
                       headers={"Authorization": "Token " + token})
        check(st == 401, "a deleted user's token")
    print("users REST checks passed")


if __name__ == "__main__":
    main()
