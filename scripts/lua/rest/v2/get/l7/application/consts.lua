-- GET /lua/rest/v2/get/l7/application/consts.lua[?ifid=N]: every nDPI application
-- name with its id, sorted by name.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local rest_utils = require("rest_utils")
if not rest_utils.select_ifid(_GET["ifid"] or tostring(interface.getFirstInterfaceId())) then
  return
end
local list = {}
for name, id in pairs(interface.getnDPIProtocols()) do
  list[#list + 1] = {name = name, id = id}
end
table.sort(list, function(a, b) return a.name < b.name end)
rest_utils.answer(rest_utils.consts.success.ok, list)
