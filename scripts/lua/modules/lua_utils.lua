-- Helpers that ntopng scripts expect as globals after require "lua_utils".
-- This chunk runs with the request environment as _ENV, so its global
-- functions land in that request's environment only.
local _, _, http = ...

-- ---- strings and tables -------------------------------------------------

function isEmptyString(s)
  return s == nil or s == ""
end

function toboolean(s)
  if s == true or s == "true" or s == "1" or s == 1 then return true end
  return false
end

function string.starts(s, prefix)
  return type(s) == "string" and s:sub(1, #prefix) == prefix
end

function string.ends(s, suffix)
  return type(s) == "string" and (suffix == "" or s:sub(-#suffix) == suffix)
end

function string.contains(s, part)
  return type(s) == "string" and s:find(part, 1, true) ~= nil
end

-- Splits s on the Lua pattern sep; returns a sequence (or nil for nil).
function string.split(s, sep)
  if s == nil then return nil end
  local out, pos = {}, 1
  sep = sep or ","
  while true do
    local a, b = s:find(sep, pos)
    if not a or b < a then
      out[#out + 1] = s:sub(pos)
      return out
    end
    out[#out + 1] = s:sub(pos, a - 1)
    pos = b + 1
  end
end

function table.len(t)
  if type(t) ~= "table" then return 0 end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

function table.empty(t)
  return type(t) ~= "table" or next(t) == nil
end

-- ---- identity -----------------------------------------------------------

function isAdministrator()
  return type(_SESSION) == "table" and _SESSION["group"] == "administrator"
end

-- Prints nothing: REST callers answer not_granted themselves, and a
-- message here would corrupt their JSON.
function isAdministratorOrPrintErr()
  return isAdministrator()
end

-- ---- HTTP response ------------------------------------------------------

function sendHTTPContentTypeHeader(content_type, content_disposition, charset,
                                   extra_headers, status_code)
  if not http then return end
  local ct = content_type or "text/html"
  if charset then ct = ct .. "; charset=" .. charset end
  http.setContentType(ct)
  if content_disposition then
    http.addHeader("Content-Disposition", content_disposition)
  end
  if type(extra_headers) == "table" then
    for k, v in pairs(extra_headers) do http.addHeader(k, tostring(v)) end
  end
  if status_code then http.setStatus(status_code) end
end

function sendHTTPHeader(mime, content_disposition, extra_headers)
  sendHTTPContentTypeHeader(mime, content_disposition, nil, extra_headers)
end

function sendHTTPHeaderIfName(mime, ifname, maxage, content_disposition,
                              extra_headers, status_code)
  sendHTTPContentTypeHeader(mime, content_disposition, nil, extra_headers,
    status_code)
end

-- ---- interfaces and hosts -----------------------------------------------

function getInterfaceName(ifid)
  return interface.getIfNames()[tostring(ifid)]
end

function getInterfaceId(ifname)
  local id = interface.name2id(ifname)
  return id
end

function isIPv4(ip)
  if type(ip) ~= "string" then return false end
  local a, b, c, d = ip:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return false end
  for _, x in ipairs({ a, b, c, d }) do
    if #x > 3 or tonumber(x) > 255 then return false end
  end
  return true
end

function isIPv6(ip)
  if type(ip) ~= "string" or #ip < 2 or #ip > 45 then return false end
  if not ip:match("^[%x:%.]+$") or not ip:find(":", 1, true) then
    return false
  end
  local _, doubles = ip:gsub("::", "")
  if doubles > 1 then return false end
  local groups = 0
  for g in ip:gmatch("[^:]+") do
    if g:find(".", 1, true) then
      if not isIPv4(g) then return false end
      groups = groups + 2
    else
      if #g > 4 then return false end
      groups = groups + 1
    end
  end
  if doubles == 0 then return groups == 8 end
  return groups < 8
end

function isIPAddress(ip)
  return isIPv4(ip) or isIPv6(ip)
end

-- {host = ip, vlan = n} -> "ip" or "ip@vlan"
function hostinfo2hostkey(info)
  local host = info["host"] or info["ip"] or ""
  local vlan = tonumber(info["vlan"]) or 0
  if vlan > 0 then return host .. "@" .. vlan end
  return host
end

-- "ip@vlan" -> {host = ip, vlan = n}
function hostkey2hostinfo(key)
  local host, vlan = tostring(key):match("^(.-)@(%d+)$")
  if host then return { host = host, vlan = tonumber(vlan) } end
  return { host = key, vlan = 0 }
end

-- ---- formatting ---------------------------------------------------------

function round(num, idp)
  local mult = 10 ^ (idp or 0)
  return math.floor(num * mult + 0.5) / mult
end

local function scaled(value, units, base, decimals)
  value = tonumber(value) or 0
  local i = 1
  while math.abs(value) >= base and i < #units do
    value = value / base
    i = i + 1
  end
  if i == 1 then return string.format("%d %s", math.floor(value), units[1]) end
  return string.format("%." .. (decimals or 2) .. "f %s", value, units[i])
end

function bytesToSize(bytes)
  return scaled(bytes, { "B", "KB", "MB", "GB", "TB", "PB" }, 1024)
end

function bitsToSize(bits)
  return scaled(bits, { "bps", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" }, 1000)
end

function formatPackets(n)
  return formatValue(n) .. " Pkts"
end

-- 1234567 -> "1,234,567"
function formatValue(n)
  n = math.floor(tonumber(n) or 0)
  local s = tostring(math.abs(n))
  local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  if out:sub(1, 1) == "," then out = out:sub(2) end
  if n < 0 then out = "-" .. out end
  return out
end

-- 93784 -> "1 day, 02:03:04"
function secondsToTime(secs)
  secs = math.floor(tonumber(secs) or 0)
  if secs < 0 then secs = 0 end
  local days = secs // 86400
  local rest = secs % 86400
  local hms = string.format("%02d:%02d:%02d", rest // 3600, (rest % 3600) // 60,
    rest % 60)
  if days == 0 then return hms end
  return string.format("%d day%s, %s", days, days == 1 and "" or "s", hms)
end

return true
