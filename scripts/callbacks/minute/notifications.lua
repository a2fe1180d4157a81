-- Every minute (the periodic worker): delivers the notifications queued
-- for each recipient (ntop.recipient_*, lua-worker/ntop_recipients.c) to
-- its endpoint, Redis key netward.recipient.<id>.endpoint, JSON:
--   {"type": "webhook", "url": "http://..."}   HTTP POST of the notification
-- Oldest first; a failed delivery stays in flight (counted "failed") and
-- is retried first at the next run, so nothing is lost or reordered. A
-- recipient without an endpoint keeps its queue.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local json = require("dkjson")

local MAX_PER_RUN = 1000

local function deliver(endpoint, msg)
  if endpoint.type == "webhook" and type(endpoint.url) == "string" then
    return ntop.postHTTPJsonData(endpoint.url, msg) == true
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
      local ok, delivered = pcall(deliver, endpoint, msg)
      if ok and delivered then
        ntop.recipient_inc_stats(id, "delivered")
      else
        ntop.recipient_inc_stats(id, "failed") -- retried next run
        break
      end
    end
  end
end
