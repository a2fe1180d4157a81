-- GET /lua/rest/v2/get/mac/data.lua?ifid=N&mac=AA:BB:CC:DD:EE:FF
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local rest_utils = require("rest_utils")
local mac = _GET["mac"]
if type(mac) ~= "string" or not mac:match("^%x%x:%x%x:%x%x:%x%x:%x%x:%x%x$") then
  rest_utils.answer(rest_utils.consts.err.invalid_args, {reason = "mac"})
  return
end
if not rest_utils.select_ifid(_GET["ifid"]) then return end
local info = interface.getMacInfo(mac:upper())
if info == nil then
  rest_utils.answer(rest_utils.consts.err.not_found)
  return
end
rest_utils.answer(rest_utils.consts.success.ok, info)
