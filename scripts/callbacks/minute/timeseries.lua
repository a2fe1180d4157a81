-- Every minute (the periodic worker): interface, nDPI protocol, local
-- network and local host series into RRD files (modules/nw_timeseries.lua).
-- The point's time is the minute's
-- scheduled start (_GET.when, a multiple of _GET.period), so points fall
-- on step boundaries and a step's value is exactly that minute's traffic.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local ts = require("nw_timeseries")

local step = math.tointeger(tonumber(_GET.period)) or 60
local when = math.tointeger(tonumber(_GET.when)) or (os.time() // step * step)
local MAX_HOSTS = 5000

for ifid, _ in pairs(interface.getIfNames()) do
  interface.select(ifid)
  local st = interface.getStats() or {}
  local s = st.stats or {}
  ts.append("iface:traffic", ifid, when, step, { bytes = s.bytes })
  ts.append("iface:packets", ifid, when, step, { packets = s.packets })
  ts.append("iface:flows", ifid, when, step, { num_flows = s.flows })
  ts.append("iface:hosts", ifid, when, step, { num_hosts = s.hosts })

  -- bytes per application protocol (nDPI), both directions
  local ndpi = (interface.getnDPIStats() or {}).ndpi or {}
  for proto, p in pairs(ndpi) do
    if type(p) == "table" then
      ts.append("iface:ndpi", ifid, when, step,
        { bytes = (p["bytes.sent"] or 0) + (p["bytes.rcvd"] or 0) }, proto)
    end
  end

  -- every local network (-m): bytes in, out and within
  for cidr, n in pairs(interface.getNetworksStats() or {}) do
    if type(n) == "table" then
      ts.append("subnet:traffic", ifid, when, step,
        { bytes_ingress = n.ingress, bytes_egress = n.egress,
          bytes_inner = n.inner }, cidr)
    end
  end

  local reply = interface.getLocalHostsInfo({ currentPage = 1, perPage = MAX_HOSTS }) or {}
  for _, h in pairs(reply.hosts or {}) do
    if ntop.isDeadlineApproaching() then
      -- the rest of the hosts wait for the next minute; say so
      error("timeseries: deadline approaching, host series of interface "
        .. ifid .. " incomplete")
    end
    if type(h) == "table" and h.ip then
      ts.append("host:traffic", ifid, when, step,
        { bytes_sent = h["bytes.sent"], bytes_rcvd = h["bytes.rcvd"] }, h.ip)
    end
  end
end
