-- require resolves only inside <install>/scripts/lua/modules/.
-- _GET.outside names a directory (outside the tree) holding evil.lua.
package.path = _GET.outside .. "/?.lua;" .. package.path
local ok, err = pcall(require, "evil")
assert(not ok and tostring(err):find("not found"), "module outside the tree loaded: " .. tostring(err))
assert(EVIL_LOADED == nil, "evil.lua ran")
for _, name in ipairs({ "../modules/dkjson", "/etc/passwd", "a..b", "", "os" }) do
  local ok2 = pcall(require, name)
  assert(not ok2, "require accepted " .. name)
end
-- in-tree modules load, once per request
local j1 = require "dkjson"
local j2 = require("dkjson")
assert(j1 == j2 and type(j1.encode) == "function")
-- lua_utils defines its globals in this request's environment
require "lua_utils"
assert(type(isEmptyString) == "function" and isEmptyString(nil) and isEmptyString(""))
assert(_G.isAdministrator() == true, "exec runs as administrator")
-- the response control is not a global
assert(_http == nil and http == nil)
print("OK")
