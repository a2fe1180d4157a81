-- netward's JSON module, with the public API of the dkjson module that
-- ntopng scripts use: json.encode, json.decode, json.null.
--
--   json.encode(value [, state])  -> string  (state.indent: pretty print,
--                                    state.keyorder: keys listed first,
--                                    state.exception: function(reason,
--                                    value, state, msg) for unsupported
--                                    values, returning a replacement)
--   json.decode(str [, pos [, nullval]]) -> value, next_pos
--                                        | nil, pos, errmsg
--
-- Tables whose keys are exactly 1..n (or empty) encode as arrays, other
-- tables as objects; a table can force its kind with a metatable field
-- __jsontype = "array" | "object" (decode sets it, so {} and [] survive
-- a round trip). Integers print without a decimal point, floats with the
-- fewest digits that read back to the same number.

local json = { version = "netward-json 1.0" }

local type, pairs, tostring, tonumber = type, pairs, tostring, tonumber
local getmetatable, setmetatable, error = getmetatable, setmetatable, error
local rawget, ipairs = rawget, ipairs
local mtype, huge = math.type, math.huge
local sbyte, schar, sfind, sformat, ssub, sgsub =
  string.byte, string.char, string.find, string.format, string.sub, string.gsub
local concat, sort = table.concat, table.sort

json.null = setmetatable({}, {
  __tojson = function() return "null" end,
  __tostring = function() return "null" end,
})

local MAX_DEPTH = 200

-- ---- encoding -----------------------------------------------------------

local escapes = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t',
}

local function escape_char(c)
  return escapes[c] or sformat("\\u%04x", sbyte(c))
end

local function quote(s)
  -- bytes >= 0x80 pass through: UTF-8 stays UTF-8
  return '"' .. sgsub(s, '[%c"\\]', escape_char) .. '"'
end

local function number_text(n)
  if mtype(n) == "integer" then
    return sformat("%d", n)
  end
  if n ~= n or n == huge or n == -huge then
    return "null" -- JSON has no NaN or infinity
  end
  local s
  for digits = 15, 17 do
    s = sformat("%." .. digits .. "g", n)
    if tonumber(s) == n then break end
  end
  if not sfind(s, "[%.eEn]") then
    s = s .. ".0" -- keep it a float for the reader
  end
  return s
end

-- Returns "array", n  or  "object"
local function table_kind(t)
  local mt = getmetatable(t)
  -- not rawget: array_mt and object_mt are shared read-only tables
  local forced = type(mt) == "table" and mt.__jsontype
  local count, max = 0, 0
  for k in pairs(t) do
    if mtype(k) == "integer" and k > 0 then
      if k > max then max = k end
      count = count + 1
    else
      if forced == "array" then
        -- non-index keys of a forced array are ignored, as dkjson does
      else
        return "object"
      end
    end
  end
  if forced == "object" then return "object" end
  if forced == "array" then return "array", max end
  if count == max then return "array", max end
  -- sparse arrays of modest holes are still arrays, with nulls
  if max <= count * 2 + 10 then return "array", max end
  return "object"
end

local encode_value

local function encode_exception(reason, value, state, defaultmsg)
  local handler = state and state.exception
  if handler then
    local r, msg = handler(reason, value, state, defaultmsg)
    if r == nil then error(msg or defaultmsg, 0) end
    return r
  end
  error(defaultmsg, 0)
end

local function newline(buf, state, level)
  if state and state.indent then
    buf[#buf + 1] = "\n" .. string.rep("  ", level + (state.level or 0))
  end
end

encode_value = function(v, buf, seen, state, level)
  local t = type(v)
  if t == "string" then
    buf[#buf + 1] = quote(v)
  elseif t == "number" then
    buf[#buf + 1] = number_text(v)
  elseif t == "boolean" then
    buf[#buf + 1] = v and "true" or "false"
  elseif t == "nil" then
    buf[#buf + 1] = "null"
  elseif t == "table" then
    local mt = getmetatable(v)
    if mt and mt.__tojson then
      buf[#buf + 1] = mt.__tojson(v, state)
      return
    end
    if seen[v] then
      buf[#buf + 1] = encode_exception("reference cycle", v, state,
        "reference cycle")
      return
    end
    if level > MAX_DEPTH then error("json.encode: nested too deep", 0) end
    seen[v] = true
    local kind, n = table_kind(v)
    local sep = (state and state.indent) and ": " or ":"
    if kind == "array" then
      buf[#buf + 1] = "["
      for i = 1, n do
        if i > 1 then buf[#buf + 1] = "," end
        newline(buf, state, level + 1)
        encode_value(v[i], buf, seen, state, level + 1)
      end
      if n > 0 then newline(buf, state, level) end
      buf[#buf + 1] = "]"
    else
      local keys, done = {}, {}
      if state and state.keyorder then
        for _, k in ipairs(state.keyorder) do
          if v[k] ~= nil and not done[k] then
            keys[#keys + 1] = k
            done[k] = true
          end
        end
      end
      local rest = {}
      for k in pairs(v) do
        local kt = type(k)
        if kt == "string" or kt == "number" then
          if not done[k] then rest[#rest + 1] = k end
        else
          encode_exception("unsupported type", k, state,
            "type '" .. kt .. "' is not supported as a JSON key")
        end
      end
      -- stable output: keys sorted by their text
      sort(rest, function(a, b) return tostring(a) < tostring(b) end)
      for i = 1, #rest do keys[#keys + 1] = rest[i] end
      buf[#buf + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then buf[#buf + 1] = "," end
        newline(buf, state, level + 1)
        local ks = type(k) == "string" and k or number_text(k)
        buf[#buf + 1] = quote(ks)
        buf[#buf + 1] = sep
        encode_value(v[k], buf, seen, state, level + 1)
      end
      if #keys > 0 then newline(buf, state, level) end
      buf[#buf + 1] = "}"
    end
    seen[v] = nil
  else
    buf[#buf + 1] = encode_exception("unsupported type", v, state,
      "type '" .. t .. "' is not supported by JSON")
  end
end

-- netward's worker gives this module, loaded once per VM and shared, a C
-- encoder with the same output for the common case (no state); it
-- answers nil for anything it leaves to the code above.
local c_encode = netward_json_encode

function json.encode(value, state)
  if state == nil and c_encode then
    local s = c_encode(value)
    if s then return s end
  end
  local buf = {}
  encode_value(value, buf, {}, state, 0)
  local s = concat(buf)
  if state and state.buffer then
    local b = state.buffer
    b[#b + 1] = s
    return true
  end
  return s
end

-- ---- decoding -----------------------------------------------------------

local array_mt = { __jsontype = "array" }
local object_mt = { __jsontype = "object" }
json.array_mt, json.object_mt = array_mt, object_mt

local function location(str, pos)
  local line, col = 1, 1
  for i = 1, pos - 1 do
    if sbyte(str, i) == 10 then line, col = line + 1, 1 else col = col + 1 end
  end
  return "line " .. line .. " column " .. col
end

local function utf8_char(cp)
  if cp < 0x80 then return schar(cp) end
  if cp < 0x800 then
    return schar(0xC0 | (cp >> 6), 0x80 | (cp & 0x3F))
  end
  if cp < 0x10000 then
    return schar(0xE0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3F),
      0x80 | (cp & 0x3F))
  end
  return schar(0xF0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3F),
    0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F))
end

local simple_escapes = {
  [34] = '"', [92] = '\\', [47] = '/', [98] = '\b', [102] = '\f',
  [110] = '\n', [114] = '\r', [116] = '\t',
}

-- A decode error unwinds with this marker so pcall can tell it apart.
local Fail = {}

local function fail(str, pos, msg)
  error({ Fail, pos, msg .. " at " .. location(str, pos) }, 0)
end

local function skip_ws(str, pos)
  local _, e = sfind(str, "^[ \n\r\t]*", pos)
  return e + 1
end

local decode_value

local function decode_string(str, pos)
  -- pos is at the opening quote
  local parts, i = {}, pos + 1
  while true do
    local s, e = sfind(str, '^[^"\\%c]+', i)
    if s then
      parts[#parts + 1] = ssub(str, s, e)
      i = e + 1
    end
    local c = sbyte(str, i)
    if c == 34 then
      return concat(parts), i + 1
    elseif c == 92 then
      local esc = sbyte(str, i + 1)
      if esc == 117 then -- \uXXXX
        local hex = ssub(str, i + 2, i + 5)
        if not sfind(hex, "^%x%x%x%x$") then
          fail(str, i, "bad unicode escape")
        end
        local cp = tonumber(hex, 16)
        i = i + 6
        if cp >= 0xD800 and cp <= 0xDBFF then
          local lo = sfind(str, "^\\u[dD][c-fC-F]%x%x", i)
            and tonumber(ssub(str, i + 2, i + 5), 16)
          if lo then
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
            i = i + 6
          else
            cp = 0xFFFD -- lone high surrogate
          end
        elseif cp >= 0xDC00 and cp <= 0xDFFF then
          cp = 0xFFFD -- lone low surrogate
        end
        parts[#parts + 1] = utf8_char(cp)
      elseif esc and simple_escapes[esc] then
        parts[#parts + 1] = simple_escapes[esc]
        i = i + 2
      else
        fail(str, i, "bad escape")
      end
    elseif c == nil then
      fail(str, pos, "unterminated string")
    else
      fail(str, i, "control character in string")
    end
  end
end

local function decode_number(str, pos)
  local s, e = sfind(str, "^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
  if not s then fail(str, pos, "bad number") end
  local text = ssub(str, s, e)
  if not sfind(text, "^-?%d+$") and
     not sfind(text, "^-?%d+%.%d+$") and
     not sfind(text, "^-?%d+%.%d+[eE][-+]?%d+$") and
     not sfind(text, "^-?%d+[eE][-+]?%d+$") then
    fail(str, pos, "bad number")
  end
  local n = tonumber(text)
  if not n then fail(str, pos, "bad number") end
  return n, e + 1
end

local function decode_container(str, pos, nullval, depth, close)
  if depth > MAX_DEPTH then fail(str, pos, "nested too deep") end
  local is_array = close == 93
  local t = setmetatable({}, is_array and array_mt or object_mt)
  local n = 0
  pos = skip_ws(str, pos + 1)
  if sbyte(str, pos) == close then return t, pos + 1 end
  while true do
    if is_array then
      local v
      v, pos = decode_value(str, pos, nullval, depth + 1)
      n = n + 1
      t[n] = v
    else
      if sbyte(str, pos) ~= 34 then fail(str, pos, "expected a key string") end
      local k
      k, pos = decode_string(str, pos)
      pos = skip_ws(str, pos)
      if sbyte(str, pos) ~= 58 then fail(str, pos, "expected ':'") end
      local v
      v, pos = decode_value(str, skip_ws(str, pos + 1), nullval, depth + 1)
      t[k] = v
    end
    pos = skip_ws(str, pos)
    local c = sbyte(str, pos)
    if c == close then return t, pos + 1 end
    if c ~= 44 then
      fail(str, pos, is_array and "expected ',' or ']'" or "expected ',' or '}'")
    end
    pos = skip_ws(str, pos + 1)
  end
end

decode_value = function(str, pos, nullval, depth)
  pos = skip_ws(str, pos)
  local c = sbyte(str, pos)
  if c == 123 then return decode_container(str, pos, nullval, depth, 125) end
  if c == 91 then return decode_container(str, pos, nullval, depth, 93) end
  if c == 34 then return decode_string(str, pos) end
  if c == 45 or (c and c >= 48 and c <= 57) then
    return decode_number(str, pos)
  end
  if ssub(str, pos, pos + 3) == "true" then return true, pos + 4 end
  if ssub(str, pos, pos + 4) == "false" then return false, pos + 5 end
  if ssub(str, pos, pos + 3) == "null" then return nullval, pos + 4 end
  if c == nil then fail(str, pos, "unexpected end of input") end
  fail(str, pos, "unexpected character '" .. schar(c) .. "'")
end

function json.decode(str, pos, nullval, ...)
  if type(str) ~= "string" then
    return nil, 1, "json.decode: expected a string, got " .. type(str)
  end
  pos = pos or 1
  local ok, v, nextpos = pcall(decode_value, str, pos, nullval, 0)
  if not ok then
    if type(v) == "table" and v[1] == Fail then
      return nil, v[2], v[3]
    end
    error(v, 0)
  end
  -- as dkjson: what follows the value is left to the caller
  return v, nextpos
end

-- dkjson compatibility helpers
function json.quotestring(s) return quote(tostring(s)) end
json.use_lpeg = function() return json end

return json
