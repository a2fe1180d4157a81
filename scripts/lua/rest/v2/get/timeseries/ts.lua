-- GET /lua/rest/v2/get/timeseries/ts.lua?ifid=N&ts_schema=iface:traffic
--     [&host=IP|&protocol=NAME|&subnet=CIDR][&epoch_begin=T][&epoch_end=T]
-- Schemas (modules/nw_timeseries.lua): iface:{traffic,packets,flows,hosts},
-- host:traffic (host=), iface:ndpi (protocol=, an nDPI application
-- protocol name), subnet:traffic (subnet=, a local network's CIDR).
-- One series of the RRD files the minute script writes, for a chart:
-- rsp = {series = [{label, data = [...]}], start, step, count}; data[i]
-- (1-based) is the average per second over (start + (i-1)*step,
-- start + i*step] of a counter (bytes, packets), or the gauge's value
-- (num_flows, num_hosts); null where unknown. Default range: the last hour.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
require "lua_utils"
local rest_utils = require("rest_utils")
local json = require("dkjson")
local ts = require("nw_timeseries")

if not rest_utils.select_ifid(_GET["ifid"]) then return end
local ifid = interface.getId()
local schema = _GET["ts_schema"]
local now = os.time()
local epoch_end = math.tointeger(tonumber(_GET["epoch_end"] or now))
local epoch_begin = math.tointeger(tonumber(_GET["epoch_begin"] or (now - 3600)))
if not ts.schemas[schema or ""] or not epoch_end or not epoch_begin
    or epoch_begin > epoch_end then
  rest_utils.answer(rest_utils.consts.err.invalid_args)
  return
end
local tag_name = ts.schemas[schema].tag
local tag = tag_name and _GET[tag_name]
if tag_name then
  if not tag or not ts.path(schema, ifid, tag) then
    rest_utils.answer(tag_name == "host" and rest_utils.consts.err.invalid_host
      or rest_utils.consts.err.invalid_args)
    return
  end
  -- a user limited to some networks sees the series of the hosts and
  -- networks the capture worker shows it (protocols are interface-wide,
  -- as iface:traffic)
  if (_SESSION.allowed_nets or "") ~= "" then
    local visible = true
    if tag_name == "host" then
      visible = interface.getHostInfo(tag) ~= nil
    elseif tag_name == "subnet" then
      visible = (interface.getNetworksStats() or {})[tag] ~= nil
    end
    if not visible then
      rest_utils.answer(rest_utils.consts.err.not_granted)
      return
    end
  end
end
local res = ts.query(schema, ifid, epoch_begin, epoch_end, tag)
if not res then
  rest_utils.answer(rest_utils.consts.err.not_found)
  return
end
for _, s in ipairs(res.series) do
  for i = 1, res.count do
    if s.data[i] == nil then s.data[i] = json.null end
  end
end
rest_utils.answer(rest_utils.consts.success.ok, res)
