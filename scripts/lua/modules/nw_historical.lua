-- netward's historical samples (ntop.insert*Sampling, spec section 13):
-- what the minute, hourly and daily periodic scripts store for each
-- interface, as JSON: its counters at the period's scheduled start.
local json = require "dkjson"

local hist = {}

local insert = {
  minute = ntop.insertMinuteSampling,
  hour = ntop.insertHourSampling,
  day = ntop.insertDaySampling,
}

-- granularity: "minute", "hour" or "day"; when: the period's start
function hist.store_all(granularity, when)
  local put = insert[granularity]
  if not put then error("nw_historical: bad granularity " .. tostring(granularity)) end
  for ifid, _ in pairs(interface.getIfNames()) do
    local id = math.tointeger(tonumber(ifid))
    interface.select(id)
    local s = (interface.getStats() or {}).stats or {}
    put(id, json.encode({
      ifid = id, when = when, bytes = s.bytes, packets = s.packets,
      flows = s.flows, hosts = s.hosts, drops = s.drops,
    }))
  end
end

return hist
