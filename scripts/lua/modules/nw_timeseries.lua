-- netward's time series (issue 6): RRD files written by the minute
-- periodic script and read by /lua/rest/v2/get/timeseries/ts.lua.
--
-- Layout: <data dir>/rrd/<ifid>/iface/<name>.rrd,
-- <data dir>/rrd/<ifid>/hosts/<ip with ':' as '_'>/traffic.rrd,
-- <data dir>/rrd/<ifid>/ndpi/<protocol>.rrd and
-- <data dir>/rrd/<ifid>/subnets/<cidr>/traffic.rrd, where a protocol or
-- network name is written with every character but letters, digits and
-- '-' as _XX (its hex code), so no name can reach outside its directory
-- and two names never share a file. One RRD per schema, one data source
-- per metric. Counters are DERIVE (min 0, so a
-- capture worker that restarts from zero gives one unknown point, not a
-- wrap), gauges GAUGE; the heartbeat is two steps. Archives: every step
-- for a day of steps, hourly averages for 30 days, daily ones for a year
-- (in steps of the "minute" the file was created with).
local ts = {}

-- tag: the name of the query parameter (and of the thing) a schema's
-- series are per; check: what a valid value of it looks like.
ts.schemas = {
  ["iface:traffic"] = { file = "iface/traffic", metrics = { "bytes" } },
  ["iface:packets"] = { file = "iface/packets", metrics = { "packets" } },
  ["iface:flows"] = { file = "iface/flows", metrics = { "num_flows" }, gauge = true },
  ["iface:hosts"] = { file = "iface/hosts", metrics = { "num_hosts" }, gauge = true },
  ["host:traffic"] = { file = "hosts/%s/traffic", metrics = { "bytes_sent", "bytes_rcvd" },
                       tag = "host" },
  -- bytes of an nDPI application protocol (both directions), from
  -- interface.getnDPIStats()
  ["iface:ndpi"] = { file = "ndpi/%s", metrics = { "bytes" }, tag = "protocol" },
  -- a local network's traffic from interface.getNetworksStats(): bytes
  -- entering it, leaving it, and between two of its hosts
  ["subnet:traffic"] = { file = "subnets/%s/traffic",
                         metrics = { "bytes_ingress", "bytes_egress", "bytes_inner" },
                         tag = "subnet" },
}

local function base(ifid)
  return ntop.getDirs().workingdir .. "/rrd/" .. tostring(math.tointeger(tonumber(ifid)))
end

local function encode(name)
  return (name:gsub("[^%w%-]", function(c) return string.format("_%02X", c:byte()) end))
end

-- The file name of a tag's value, nil when it is not a valid one.
local tag_file = {
  host = function(v)
    if not v:match("^[0-9A-Fa-f.:]+$") then return nil end
    return (v:gsub(":", "_"))
  end,
  protocol = function(v)
    if not v:match("^[%w%.%-_ +]+$") then return nil end
    return encode(v)
  end,
  subnet = function(v)
    if not v:match("^[0-9A-Fa-f.:]+/%d+$") then return nil end
    return encode(v)
  end,
}

-- nil for a schema or tag value that cannot name a file
function ts.path(schema_name, ifid, tag)
  local s = ts.schemas[schema_name]
  if not s or tonumber(ifid) == nil then return nil end
  local rel = s.file
  if s.tag then
    if type(tag) ~= "string" or #tag == 0 or #tag > 64 then return nil end
    local f = tag_file[s.tag](tag)
    if not f then return nil end
    rel = string.format(rel, f)
  end
  return base(ifid) .. "/" .. rel .. ".rrd"
end

local function ensure(schema_name, path, step, when)
  if ntop.exists(path) then return end
  ntop.mkdir(path:match("^(.*)/[^/]+$"))
  local s = ts.schemas[schema_name]
  local defs = {}
  for _, m in ipairs(s.metrics) do
    defs[#defs + 1] = string.format("DS:%s:%s:%d:0:U", m,
      s.gauge and "GAUGE" or "DERIVE", 2 * step)
  end
  defs[#defs + 1] = "RRA:AVERAGE:0.5:1:1440"
  defs[#defs + 1] = "RRA:AVERAGE:0.5:60:720"
  defs[#defs + 1] = "RRA:AVERAGE:0.5:1440:365"
  ntop.rrd_create(path, step, when - step, defs)
end

-- values: metric -> number, in the schema's order; tag: the host,
-- protocol or network of a schema that has one. A point not newer than
-- the file's last one (a rerun of the same minute) is skipped.
function ts.append(schema_name, ifid, when, step, values, tag)
  local path = ts.path(schema_name, ifid, tag)
  if not path then
    error("nw_timeseries: bad schema or " .. tostring((ts.schemas[schema_name] or {}).tag)
      .. " '" .. tostring(tag) .. "' for " .. tostring(schema_name))
  end
  ensure(schema_name, path, step, when)
  local last = ntop.rrd_lastupdate(path)
  if last and last >= when then return false end
  local args = {}
  for i, m in ipairs(ts.schemas[schema_name].metrics) do
    args[i] = values[m] or "U"
  end
  ntop.rrd_update(path, when, table.unpack(args))
  return true
end

-- {start, step, series = {{label, data}}}; data[i] is the average over
-- (start + (i-1)*step, start + i*step], nil when unknown. nil when the
-- series does not exist.
function ts.query(schema_name, ifid, epoch_begin, epoch_end, tag)
  local path = ts.path(schema_name, ifid, tag)
  if not path or not ntop.exists(path) then return nil end
  local start, step, cols, count = ntop.rrd_fetch_columns(path, "AVERAGE",
    epoch_begin, epoch_end)
  local series = {}
  for _, m in ipairs(ts.schemas[schema_name].metrics) do
    local data = {}
    local col = cols[m] or {}
    for i = 1, count do
      local v = col[i]
      if v ~= v then v = nil end
      data[i] = v
    end
    series[#series + 1] = { label = m, data = data }
  end
  return { start = start, step = step, count = count, series = series }
end

return ts
