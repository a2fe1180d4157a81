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

print("OK")
