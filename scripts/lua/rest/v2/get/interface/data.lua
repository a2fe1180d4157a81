-- GET /lua/rest/v2/get/interface/data.lua?ifid=N
-- Interface counters from interface.getStats(), with ntopng's field names.
-- Only what the capture worker measures is reported; "ingestion" is
-- netward's extension telling a client how far a pcap has been read.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
require "lua_utils"
local rest_utils = require("rest_utils")

if not rest_utils.select_ifid(_GET["ifid"]) then return end

local stats = interface.getStats() or {}
local sub = type(stats.stats) == "table" and stats.stats or {}

-- ntopng keeps some counters at the top and some under "stats"
local function pick(...)
  for i = 1, select("#", ...) do
    local k = select(i, ...)
    if stats[k] ~= nil then return stats[k] end
    if sub[k] ~= nil then return sub[k] end
  end
  return nil
end

local function count(v, fallback)
  if type(v) == "number" then return math.tointeger(v) or math.floor(v) end
  return fallback()
end

local now = os.time()
local res = {
  ifid = tostring(interface.getId()),
  ifname = interface.getName(),
  packets = pick("packets"),
  bytes = pick("bytes"),
  drops = pick("drops"),
  num_flows = count(pick("num_flows", "numFlows", "flows"), interface.getNumFlows),
  num_hosts = count(pick("num_hosts", "numHosts", "hosts"), interface.getNumHosts),
  num_local_hosts = count(pick("num_local_hosts", "numLocalHosts", "local_hosts"),
    interface.getNumLocalHosts),
  throughput_bps = pick("throughput_bps"),
  throughput_pps = pick("throughput_pps"),
  speed = pick("speed"),
  epoch = now,
  localtime = os.date("%H:%M:%S %z", now),
  uptime = secondsToTime(ntop.getUptime()),
  is_view = false,
}
-- throughput is a float in ntopng's answer
if res.throughput_bps ~= nil then res.throughput_bps = res.throughput_bps + 0.0 end
if res.throughput_pps ~= nil then res.throughput_pps = res.throughput_pps + 0.0 end

local ing = pick("ingestion")
if type(ing) == "table" then
  res.ingestion = {
    complete = ing.complete,
    packets = ing.packets,
    progress_pct = ing.progress_pct,
  }
end

rest_utils.answer(rest_utils.consts.success.ok, res)
