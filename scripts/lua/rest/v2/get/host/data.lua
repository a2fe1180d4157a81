-- GET /lua/rest/v2/get/host/data.lua?ifid=N&host=IP[&vlan=V]
-- rsp: the host table of interface.getHostInfo(), or not_found.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
require "lua_utils"
local rest_utils = require("rest_utils")

local host, vlan = _GET["host"], _GET["vlan"]

if not rest_utils.select_ifid(_GET["ifid"]) then return end

-- "ip@vlan" is accepted as in ntopng's host keys
if host and vlan == nil then
  local info = hostkey2hostinfo(host)
  host, vlan = info.host, tostring(info.vlan)
end
if isEmptyString(host) or not isIPAddress(host) then
  rest_utils.answer(rest_utils.consts.err.invalid_args)
  return
end
if vlan == nil or vlan == "" then vlan = "0" end
if not vlan:match("^%d+$") or #vlan > 4 or tonumber(vlan) > 4095 then
  rest_utils.answer(rest_utils.consts.err.invalid_args)
  return
end

local info = interface.getHostInfo(host, tonumber(vlan))
if info == nil then
  rest_utils.answer(rest_utils.consts.err.not_found)
  return
end

rest_utils.answer(rest_utils.consts.success.ok, info)
