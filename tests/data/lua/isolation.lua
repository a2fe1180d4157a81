-- Run several times in one VM (netward-lua --exec ... --repeat N): every
-- run first checks that nothing an earlier run changed is visible, then
-- changes all it can reach. Prints OK or raises naming what leaked.
local function clean(what, v)
  if v ~= nil then error("state leaked from an earlier request: " .. what, 0) end
end

-- the library tables are views of prototypes no script can reach
for _, lib in ipairs({ "string", "table", "math", "utf8", "coroutine", "os",
                       "interface", "ntop" }) do
  local t = _ENV[lib]
  clean(lib .. ".nw_mark", t.nw_mark)
  assert(getmetatable(t) == false, lib .. ": metatable visible")
  assert(not pcall(setmetatable, t, {}), lib .. ": metatable replaceable")
  t.nw_mark = true
  assert(t.nw_mark == true, lib .. ": own field not kept")
  local seen = 0
  for k, v in pairs(t) do
    if k == "nw_mark" then seen = seen + 1 end
    assert(v ~= nil)
  end
  assert(seen == 1, lib .. ": pairs lists a field " .. seen .. " times")
end
assert(string.format("%d", 1) == "1", "string.format replaced")
assert(os.time ~= nil and os.time() > 0, "os.time replaced")
assert(type(ntop.getUptime()) == "number", "ntop.getUptime replaced")
string.format = function() return "evil" end
os.time = function() return -1 end
ntop.getUptime = function() return "evil" end
assert(("%d"):format(2) == "2", "string methods follow a script's edit")

-- globals of the environment
clean("global nw_mark", nw_mark)
nw_mark = true
clean("_G.nw_mark2", rawget(_G, "nw_mark2"))
rawset(_G, "nw_mark2", true)
clean("package.loaded.nw_mark", package.loaded.nw_mark)
package.loaded.nw_mark = true

-- shared modules: loaded once per VM, read-only for every request
local json = require "dkjson"
local rest_utils = require "rest_utils"
require "lua_utils"
local function refused(what, f, ...)
  local ok, err = pcall(f, ...)
  if ok then error("a script could change a shared module: " .. what, 0) end
  return err
end
-- earlier runs' attempts must have changed nothing
clean("json.nw_mark", json.nw_mark)
assert(json.encode({ a = 1 }) == '{"a":1}', "json.encode changed")
assert(rest_utils.consts.success.ok.rc == 0, "rest_utils constant changed")
assert(rest_utils.consts.success.ok.str == "OK", "rest_utils constant changed")
assert(tostring(json.null) == "null", "json.null changed")
assert(isEmptyString("") == true, "lua_utils global changed")
assert(string.starts("abc", "ab") == true, "lua_utils string.starts changed")
assert(#json.decode("[1,2]") == 2)
assert(getmetatable(json.decode("[]")).__jsontype == "array")
clean("json.array_mt.nw_mark", json.array_mt.nw_mark)

-- and this run's attempts must all fail
refused("field", function() json.nw_mark = true end)
refused("function", function() json.encode = function() return "evil" end end)
refused("nested", function() rest_utils.consts.success.ok.rc = 99 end)
refused("rawset", rawset, rest_utils.consts.success.ok, "rc", 99)
refused("rawset new key", rawset, json, "nw_mark", true)
refused("setmetatable", setmetatable, rest_utils, {})
refused("metatable of json.null", function()
  getmetatable(json.null).__tojson = function() return "evil" end
end)
refused("decoded array's metatable", function()
  getmetatable(json.decode("[]")).nw_mark = true
end)
refused("table.insert", table.insert, json.array_mt, "x")
refused("table.remove", table.remove, rest_utils.consts, 1)
refused("nw_mark via pairs state", function()
  local _, state = pairs(rest_utils.consts)
  state.nw_mark = true
end)
assert(select("#", next(json)) == 1 or next(json) == nil)
local n = 0
for k in pairs(rest_utils.consts) do n = n + 1 end
assert(n == 2, "pairs over a shared table")
-- what a script does to its own copies stays in its request
isEmptyString = function() return "evil" end
string.starts = function() return "evil" end
package.loaded.dkjson = { encode = function() return "evil" end }

print("OK")
