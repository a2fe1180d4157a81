-- GET /lua/rest/v2/get/flow/active.lua?ifid=N[&currentPage&perPage
--     &sortColumn&sortOrder][&host=IP][&l4proto=TCP|6][&application=HTTP|7]
--     [&vlan=V]
-- rsp: {currentPage, perPage, sort, totalRows, data[]} of active flows.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
require "lua_utils"
local rest_utils = require("rest_utils")

local function bytes_of(f) return f["bytes"] or 0 end
local function thpt_of(f)
  if f["throughput_bps"] then return f["throughput_bps"] end
  local d = f["duration"] or 0
  if d < 1 then d = 1 end
  return bytes_of(f) * 8 / d -- average over the flow's life
end
local function pps_of(f)
  if f["throughput_pps"] then return f["throughput_pps"] end
  local d = f["duration"] or 0
  if d < 1 then d = 1 end
  return (f["packets"] or 0) / d
end

-- public sort column -> the flow table field the capture worker sorts by
local sort_columns = {
  bytes = "bytes",
  first_seen = "seen.first",
  last_seen = "seen.last",
  duration = "duration",
  client = "client",
  server = "server",
  protocol = "proto.ndpi",
  application = "proto.ndpi",
  l4 = "proto.l4",
  vlan = "vlan",
}
sort_columns.last = sort_columns.last_seen
sort_columns.since = sort_columns.first_seen

local paging = rest_utils.paging(_GET)
if not paging then return end

local sort_name = _GET["sortColumn"]
if sort_name == nil or sort_name == "" then sort_name = "bytes" end
local sort_col = sort_columns[sort_name:gsub("^column_", "")]

-- filters
local host, l4proto, application, vlan =
  _GET["host"], _GET["l4proto"], _GET["application"], _GET["vlan"]
local function bad(v, pattern, maxlen)
  return v ~= nil and v ~= "" and (#v > maxlen or not v:match(pattern))
end
if not sort_col
   or (host ~= nil and host ~= "" and not isIPAddress(host))
   or bad(l4proto, "^[%w]+$", 16)
   or bad(application, "^[%w%._%-]+$", 64)
   or bad(vlan, "^%d+$", 4)
   or (vlan and vlan ~= "" and tonumber(vlan) > 4095) then
  rest_utils.answer(rest_utils.consts.err.invalid_args)
  return
end
if host == "" then host = nil end
if l4proto == "" then l4proto = nil end
if application == "" then application = nil end
vlan = (vlan ~= nil and vlan ~= "") and tonumber(vlan) or nil

if not rest_utils.select_ifid(_GET["ifid"]) then return end

-- The capture worker filters, sorts and pages; we only reshape.
local reply = interface.getFlowsInfo({
  currentPage = paging.currentPage,
  perPage = paging.perPage,
  sortColumn = sort_col,
  sortOrder = paging.sortOrder,
  host = host,
  vlan = vlan,
  l4proto = l4proto,
  application = application,
}) or {}
local list = reply.flows or {}
local total = reply.numFlows or #list

local function pct(part, whole)
  if whole <= 0 then return 0 end
  return math.floor(part * 100 / whole + 0.5)
end

local data = {}
for _, f in ipairs(list) do
  local c2s, s2c = f["cli2srv.bytes"] or 0, f["srv2cli.bytes"] or 0
  local cli_name = f["cli.name"]
  local srv_name = f["srv.name"] or f["host_server_name"]
  data[#data + 1] = {
    key = tostring(f["ntopng.key"] or ""),
    hash_id = tostring(f["hash_entry_id"] or ""),
    first_seen = f["seen.first"],
    last_seen = f["seen.last"],
    bytes = bytes_of(f),
    duration = f["duration"] or 0,
    vlan = f["vlan"] or 0,
    client = { ip = f["cli.ip"], port = f["cli.port"],
               name = (cli_name ~= nil and cli_name ~= "") and cli_name or f["cli.ip"] },
    server = { ip = f["srv.ip"], port = f["srv.port"],
               name = (srv_name ~= nil and srv_name ~= "") and srv_name or f["srv.ip"] },
    protocol = { l4 = f["proto.l4"], l7 = f["proto.ndpi"] },
    breakdown = { cli2srv = pct(c2s, c2s + s2c),
                  srv2cli = (c2s + s2c > 0) and 100 - pct(c2s, c2s + s2c) or 0 },
    thpt = { bps = thpt_of(f) + 0.0, pps = pps_of(f) + 0.0 },
  }
end

rest_utils.answer(rest_utils.consts.success.ok, {
  currentPage = paging.currentPage,
  perPage = paging.perPage,
  sort = { { sort_name, paging.sortOrder } },
  totalRows = total,
  data = data,
})
