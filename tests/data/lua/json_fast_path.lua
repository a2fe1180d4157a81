-- json.encode(v) takes the worker's C encoder; json.encode(v, {}) the Lua
-- one (a state argument). Both must give the same text for every value,
-- including the cases the C side hands back to Lua. Prints OK.
local json = require "dkjson"
local rest_utils = require "rest_utils"
math.randomseed(tonumber(_GET.seed) or 1)

local function rstring()
  local t = {}
  for i = 1, math.random(0, 12) do
    local r = math.random()
    if r < 0.1 then t[i] = string.char(math.random(0, 31))
    elseif r < 0.15 then t[i] = string.char(127)
    elseif r < 0.25 then t[i] = ({ '"', "\\", "/", "é", "日", "\0" })[math.random(6)]
    elseif r < 0.3 then t[i] = string.char(math.random(128, 255))
    else t[i] = string.char(math.random(97, 122)) end
  end
  return table.concat(t)
end

local function rnumber()
  local r = math.random()
  if r < 0.3 then return math.random(-1000, 1000) end
  if r < 0.4 then return math.random(math.mininteger, math.maxinteger) end
  if r < 0.7 then return (math.random() - 0.5) * 10 ^ math.random(-20, 20) end
  if r < 0.8 then return math.random(-50, 50) + 0.0 end
  return ({ 0.1, 1 / 3, 1e300, -0.0, 0 / 0, math.huge, -math.huge, 2 ^ 53,
    2 ^ 63, 123456789012345.6, 1e15, 1e16, 5e-324 })[math.random(13)]
end

local value
local function rtable(depth)
  local t, kind = {}, math.random(7)
  local n = math.random(0, 6)
  if kind == 1 then
    for i = 1, n do t[i] = value(depth + 1) end
  elseif kind == 2 then -- sparse
    for _ = 1, n do t[math.random(1, 30)] = value(depth + 1) end
  elseif kind == 3 then -- mixed keys
    for _ = 1, n do t[math.random(-3, 5)] = value(depth + 1) end
    t[rstring()] = value(depth + 1)
  elseif kind == 4 then
    setmetatable(t, math.random(2) == 1 and json.array_mt or json.object_mt)
    for i = 1, n do t[i] = value(depth + 1) end
    if math.random(2) == 1 then t.x = 1 end
  elseif kind == 5 then
    return json.decode(json.encode({ a = { 1, 2, {} }, b = {} }, {}))
  else
    for _ = 1, n do t[rstring()] = value(depth + 1) end
  end
  return t
end

value = function(depth)
  local r = math.random()
  if depth > 4 or r < 0.25 then return rstring() end
  if r < 0.45 then return rnumber() end
  if r < 0.5 then return math.random(2) == 1 end
  if r < 0.53 then return json.null end
  return rtable(depth)
end

local function same(v, what)
  local a = json.encode(v)
  local b = json.encode(v, {})
  if a ~= b then
    error(what .. ": C and Lua encoders differ:\n" .. tostring(a) .. "\n" .. tostring(b), 0)
  end
end

for i = 1, 2000 do same(value(0), "random value " .. i) end
same(rest_utils.consts, "a shared frozen table")
same({ [1] = "a", ["1"] = "b" }, "duplicate key text")
same({ [1.5] = "f" }, "float key")
same(setmetatable({}, { __tojson = function() return "7" end }), "__tojson")
same(setmetatable({ 1 }, { __index = function() return 9 end }), "__index")
same(setmetatable({ a = 1 }, { __metatable = "locked" }), "__metatable")
local deep = {}
local cur = deep
for _ = 1, 199 do cur[1] = {}; cur = cur[1] end
same(deep, "199 levels")
cur[1] = {}; cur[1][1] = {}
assert(not pcall(json.encode, deep), "too deep accepted")
local cyc = {}; cyc[1] = cyc
assert(not pcall(json.encode, cyc), "cycle accepted")
assert(not pcall(json.encode, { print }), "function accepted")
print("OK")
