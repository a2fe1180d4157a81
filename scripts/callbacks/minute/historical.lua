-- Every minute (the periodic worker): one historical sample per interface
-- (ntop.insertMinuteSampling, kept in DATA/lua/historical.db until the
-- daily retention script deletes it): the interface's counters at the
-- minute's scheduled start, as JSON.
local json = require "dkjson"

local step = math.tointeger(tonumber(_GET.period)) or 60
local when = math.tointeger(tonumber(_GET.when)) or (os.time() // step * step)

for ifid, _ in pairs(interface.getIfNames()) do
  local id = math.tointeger(tonumber(ifid))
  interface.select(id)
  local s = (interface.getStats() or {}).stats or {}
  ntop.insertMinuteSampling(id, json.encode({
    ifid = id, when = when, bytes = s.bytes, packets = s.packets,
    flows = s.flows, hosts = s.hosts, drops = s.drops,
  }))
end
