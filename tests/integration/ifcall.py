"""Calls interface.* functions in a running netward through a Lua script
and returns their results as Python values: each call is
(name, args-as-Lua-source); the answer is {"ok": value} or {"err": msg}."""
import json
import os
import tempfile

LUA = r'''
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local json = require("dkjson")
interface.select(_GET.ifid)
local out = {}
local function call(key, f, ...)
  local ok, v = pcall(f, ...)
  if ok then
    if v == nil then out[key] = {isnil = true} else out[key] = {ok = v} end
  else
    out[key] = {err = tostring(v)}
  end
end
%s
print(json.encode(out))
'''


def run(nw, calls, ifid=0, table="interface"):
    """calls: {key: "name(args)"} of table (interface or ntop); returns
    {key: {"ok"|"err"|"isnil"}}."""
    body = "\n".join(
        'call(%s, function() return %s.%s end)' % (json.dumps(k), table, c)
        for k, c in calls.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False,
                                     prefix="ifcall") as f:
        f.write(LUA % body)
        path = f.name
    os.chmod(path, 0o644)
    try:
        return json.loads(nw.lua_exec(path, ifid))
    finally:
        os.unlink(path)
