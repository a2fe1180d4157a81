-- Every day (the periodic worker): data retention. Historical samples
-- (ntop.insert*Sampling) older than the retention are deleted, for every
-- interface. The retention is the preference
-- ntopng.prefs.ts_and_stats_data_retention_days (days, as ntopng names
-- it), 365 when unset; a value that is not a whole number of days in
-- 1..36500 is an error, not a silent default.
local DEFAULT_DAYS = 365

local pref = ntop.getPref("ntopng.prefs.ts_and_stats_data_retention_days")
local days = DEFAULT_DAYS
if pref ~= nil and pref ~= "" then
  days = math.tointeger(tonumber(pref))
  if not days or days < 1 or days > 36500 then
    error("retention: ntopng.prefs.ts_and_stats_data_retention_days = '"
      .. tostring(pref) .. "' is not a number of days in 1..36500")
  end
end

for ifid, _ in pairs(interface.getIfNames()) do
  local id = math.tointeger(tonumber(ifid))
  ntop.deleteMinuteStatsOlderThan(id, days)
  ntop.deleteHourStatsOlderThan(id, days)
  ntop.deleteDayStatsOlderThan(id, days)
end

-- RRD files not updated within the same retention (series of hosts gone
-- for that long): ntop.deleteOldRRDs reads the same preference.
ntop.deleteOldRRDs()
