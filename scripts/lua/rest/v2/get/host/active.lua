-- GET /lua/rest/v2/get/host/active.lua?ifid=N[&mode=all|local|remote]
--     [&currentPage=1&perPage=10&sortColumn=column_ip&sortOrder=asc|desc]
-- rsp: {currentPage, perPage, sort, totalRows, data[]} of active hosts.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
require "lua_utils"
local rest_utils = require("rest_utils")

-- public sort column -> {host table field (for the capture worker), key}
local function ip_key(h) return h.ip or "" end
local sort_columns = {
  ip = { "ip", ip_key },
  name = { "name", function(h) return h.name or h.ip or "" end },
  since = { "seen.first", function(h) return h["seen.first"] or 0 end },
  first_seen = { "seen.first", function(h) return h["seen.first"] or 0 end },
  last = { "seen.last", function(h) return h["seen.last"] or 0 end },
  last_seen = { "seen.last", function(h) return h["seen.last"] or 0 end },
  traffic = { "bytes", function(h)
    return (h["bytes.sent"] or 0) + (h["bytes.rcvd"] or 0) end },
  num_flows = { "num_flows", function(h)
    return (h["active_flows.as_client"] or 0) + (h["active_flows.as_server"] or 0) end },
  thpt = { "throughput_bps", function(h) return h["throughput_bps"] or 0 end },
  vlan = { "vlan", function(h) return h.vlan or 0 end },
}
sort_columns.bytes = sort_columns.traffic

local paging = rest_utils.paging(_GET)
if not paging then return end

local sort_name = _GET["sortColumn"]
if sort_name == nil or sort_name == "" then sort_name = "column_ip" end
local sort_col = sort_columns[sort_name:gsub("^column_", "")]
if not sort_col then
  rest_utils.answer(rest_utils.consts.err.invalid_args)
  return
end

local mode = _GET["mode"] or "all"
local getter = ({ all = "getHostsInfo", ["local"] = "getLocalHostsInfo",
                  remote = "getRemoteHostsInfo" })[mode]
if not getter then
  rest_utils.answer(rest_utils.consts.err.invalid_args)
  return
end

if not rest_utils.select_ifid(_GET["ifid"]) then return end

local reply = interface[getter]({
  currentPage = paging.currentPage,
  perPage = paging.perPage,
  sortColumn = sort_col[1],
  sortOrder = paging.sortOrder,
}) or {}

local list = {}
for key, h in pairs(reply.hosts or {}) do
  if type(h) == "table" then
    if type(key) ~= "string" then key = hostinfo2hostkey(h) end
    h._key = key
    list[#list + 1] = h
  end
end

-- Sort here too: the hosts come as a map, and a worker that answered all
-- of them (no paging) still gets the page asked for.
local keyfn, desc = sort_col[2], paging.sortOrder == "desc"
table.sort(list, function(a, b)
  local ka, kb = keyfn(a), keyfn(b)
  if ka == kb then return a._key < b._key end
  if type(ka) ~= type(kb) then ka, kb = tostring(ka), tostring(kb) end
  if desc then return ka > kb end
  return ka < kb
end)

local total = reply.numHosts or #list
local first = 1
if #list > paging.perPage then
  total = #list
  first = (paging.currentPage - 1) * paging.perPage + 1
end

local data = {}
for i = first, math.min(#list, first + paging.perPage - 1) do
  local h = list[i]
  local sent, rcvd = h["bytes.sent"] or 0, h["bytes.rcvd"] or 0
  local as_cli = h["active_flows.as_client"] or 0
  local as_srv = h["active_flows.as_server"] or 0
  local item = {
    ip = h.ip,
    key = h._key,
    vlan = h.vlan or 0,
    name = (h.name ~= nil and h.name ~= "") and h.name or h.ip,
    is_localhost = h.localhost == true,
    first_seen = h["seen.first"],
    last_seen = h["seen.last"],
    bytes = { total = sent + rcvd, sent = sent, rcvd = rcvd },
    num_flows = { total = as_cli + as_srv, as_client = as_cli, as_server = as_srv },
  }
  -- optional fields, only when the capture worker measured them
  if h.is_multicast ~= nil then item.is_multicast = h.is_multicast end
  if h.is_broadcast ~= nil then item.is_broadcast = h.is_broadcast end
  if h.is_blacklisted ~= nil then item.is_blacklisted = h.is_blacklisted end
  if h.country ~= nil then item.country = h.country end
  if h.num_alerts ~= nil then item.num_alerts = h.num_alerts end
  if h.throughput_bps ~= nil then
    item.thpt = { bps = h.throughput_bps + 0.0, pps = (h.throughput_pps or 0) + 0.0 }
  end
  data[#data + 1] = item
end

rest_utils.answer(rest_utils.consts.success.ok, {
  currentPage = paging.currentPage,
  perPage = paging.perPage,
  sort = { { sort_name, paging.sortOrder } },
  totalRows = total,
  data = data,
})
