-- GET /lua/rest/v2/get/ntopng/interfaces.lua
-- rsp: [{ifid, ifname}] of the interfaces this user may see, by ifid.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
require "lua_utils"
local rest_utils = require("rest_utils")

local res = {}
for ifid, ifname in pairs(interface.getIfNames()) do
  res[#res + 1] = { ifid = tonumber(ifid), ifname = ifname }
end
table.sort(res, function(a, b) return a.ifid < b.ifid end)

rest_utils.answer(rest_utils.consts.success.ok, res)
