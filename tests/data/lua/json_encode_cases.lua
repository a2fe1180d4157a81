-- values built in Lua, encoded for python's json module to check
local json = require "dkjson"
local cyclic = {}
cyclic.self = cyclic
local ok_cycle = pcall(json.encode, cyclic)
local ok_fn = pcall(json.encode, { f = print })
print(json.encode({
  int = 42, negint = -7, zero = 0, maxint = math.maxinteger,
  float = 3.0, tenth = 0.1, third = 1 / 3, big = 1e300, tiny = -2.5e-10,
  nan = 0 / 0, inf = math.huge,
  empty = {}, seq = { 1, "two", true, false },
  sparse = { [1] = "a", [3] = "c" },
  numkeys = { [100] = "x", [200] = "y" },
  str = "quote\" back\\ nl\n tab\t ctl\1\31 del\127 slash/ utf8 é 日本 😀",
  null = json.null,
  nested = { a = { b = { c = { 1, { d = "e" } } } } },
  cycle_rejected = not ok_cycle, function_rejected = not ok_fn,
}))
