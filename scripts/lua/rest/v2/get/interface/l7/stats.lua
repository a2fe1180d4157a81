-- GET /lua/rest/v2/get/interface/l7/stats.lua?ifid=N[&ndpistats_mode=count]
-- rsp: [{label, value, url}] per nDPI protocol, largest first. value is
-- the number of flows with ndpistats_mode=count, else bytes (sent+rcvd).
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
require "lua_utils"
local rest_utils = require("rest_utils")

local mode = _GET["ndpistats_mode"]
if mode ~= nil and mode ~= "" and mode ~= "count" and mode ~= "sinceStartup"
   and mode ~= "bytes" then
  rest_utils.answer(rest_utils.consts.err.invalid_args)
  return
end
if not rest_utils.select_ifid(_GET["ifid"]) then return end

local ifid = interface.getId()
local stats = interface.getnDPIStats() or {}
local res = {}
for name, s in pairs(stats.ndpi or {}) do
  local value
  if mode == "count" then
    value = s["num_flows"] or 0
  else
    value = (s["bytes.sent"] or 0) + (s["bytes.rcvd"] or 0)
  end
  if value > 0 then
    res[#res + 1] = {
      label = name,
      value = math.tointeger(value) or math.floor(value),
      url = "/lua/flows_stats.lua?ifid=" .. ifid .. "&application=" .. name,
    }
  end
end
table.sort(res, function(a, b)
  if a.value ~= b.value then return a.value > b.value end
  return a.label < b.label
end)

rest_utils.answer(rest_utils.consts.success.ok, res)
