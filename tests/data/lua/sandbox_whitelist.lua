-- Every dangerous name of the standard library must be absent from the
-- request environment; prints OK or raises naming what leaked.
local absent = {
  io = io, load = load, loadstring = loadstring, dofile = dofile,
  loadfile = loadfile, debug = debug, ["os.execute"] = os.execute,
  ["os.exit"] = os.exit, ["os.remove"] = os.remove, ["os.rename"] = os.rename,
  ["os.getenv"] = os.getenv, ["os.tmpname"] = os.tmpname,
  ["package.loadlib"] = package.loadlib, ["package.searchers"] = package.searchers,
  ["string.dump"] = string.dump,
}
for name, v in pairs(absent) do
  error("sandbox leaks " .. name)
end
-- the string metatable (shared with the worker) is hidden
assert(getmetatable("") == false, "string metatable visible")
-- library tables are per-request copies
string.format = nil
assert(("x"):format() == "x", "string methods broken by a copy edit")
-- collectgarbage only with harmless options
assert(not pcall(collectgarbage, "stop"), "collectgarbage stop allowed")
assert(type(collectgarbage("count")) == "number")
print("OK")
