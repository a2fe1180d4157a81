-- GET /lua/rest/v2/get/network/active.lua?ifid=N: traffic of each local
-- network (netward -m).
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local rest_utils = require("rest_utils")
if not rest_utils.select_ifid(_GET["ifid"]) then return end
rest_utils.answer(rest_utils.consts.success.ok, interface.getNetworksStats())
