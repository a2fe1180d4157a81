-- Every minute (the periodic worker): delivers the notifications queued
-- for each recipient (ntop.recipient_*, lua-worker/ntop_recipients.c) to
-- its endpoint, Redis key netward.recipient.<id>.endpoint, JSON:
--   {"type": "webhook", "url": "http://..."}   HTTP POST of the notification
--   {"type": "syslog"}                          the local syslog (/dev/log)
--   {"type": "syslog", "host": "192.0.2.1", "port": 514}
--                                               RFC 5424 over UDP
--   {"type": "file"}                            one line appended to
--                                               DATA/lua/notifications/<id>.log
-- Oldest first; a failed delivery stays in flight (counted "failed") and
-- is retried first at the next run, so nothing is lost or reordered. A
-- recipient without an endpoint keeps its queue.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local json = require("dkjson")

local MAX_PER_RUN = 1000
local SYSLOG_FACILITY_USER = 1
local SYSLOG_MAX = 8192 -- bytes of one UDP datagram we send

-- The severity of a notification that carries ntopng's alert severity
-- (1..7, 7 = emergency), as a syslog priority (0 = emergency .. 7 = debug).
local function syslog_priority(msg)
  local ok, n = pcall(json.decode, msg)
  local sev = ok and type(n) == "table" and tonumber(n.severity)
  local map = { [1] = 7, [2] = 6, [3] = 5, [4] = 4, [5] = 3, [6] = 2, [7] = 0 }
  return map[math.tointeger(sev) or 0] or 5
end

local function rfc5424(id, msg)
  local pri = SYSLOG_FACILITY_USER * 8 + syslog_priority(msg)
  local line = string.format("<%d>1 %s %s netward - %s - %s", pri,
    os.date("!%Y-%m-%dT%H:%M:%SZ"), "-", id, msg)
  return line:sub(1, SYSLOG_MAX)
end

local function deliver(id, endpoint, msg)
  if endpoint.type == "webhook" and type(endpoint.url) == "string" then
    return ntop.postHTTPJsonData(endpoint.url, msg) == true
  elseif endpoint.type == "syslog" then
    if endpoint.host == nil then
      ntop.syslog(syslog_priority(msg), id .. ": " .. msg)
    else
      local port = math.tointeger(tonumber(endpoint.port)) or 514
      ntop.send_udp_data(tostring(endpoint.host), port, rfc5424(id, msg))
    end
    return true
  elseif endpoint.type == "file" then
    return ntop.recipient_append_file(id, (msg:gsub("\n", " ")))
  end
  return false
end

for id, _ in pairs(ntop.recipient_stats()) do
  local raw = ntop.getCache("netward.recipient." .. id .. ".endpoint")
  local endpoint = raw and raw ~= "" and json.decode(raw)
  if type(endpoint) == "table" then
    for _ = 1, MAX_PER_RUN do
      if ntop.isDeadlineApproaching() then break end
      local msg = ntop.recipient_dequeue(id)
      if not msg then break end
      local ok, delivered = pcall(deliver, id, endpoint, msg)
      if ok and delivered then
        ntop.recipient_inc_stats(id, "delivered")
      else
        ntop.recipient_inc_stats(id, "failed") -- retried next run
        if not ok then
          ntop.traceEvent(1, "notifications: recipient " .. id .. ": "
            .. tostring(delivered))
        end
        break
      end
    end
  end
end
