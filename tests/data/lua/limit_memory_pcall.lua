-- a memory error caught by pcall leaves a usable state
local ok, err = pcall(function() return string.rep("x", 512 * 1024 * 1024) end)
assert(not ok and tostring(err):find("not enough memory"), tostring(err))
print("OK")
