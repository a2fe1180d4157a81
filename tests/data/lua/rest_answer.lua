-- answers with rest_utils.consts.<kind>.<_GET.code> and a small payload
require "lua_utils"
local rest_utils = require "rest_utils"
local kind = _GET.code == "ok" and "success" or "err"
local payload = nil
if _GET.payload == "1" then payload = { a = 1 } end
rest_utils.answer(rest_utils.consts[kind][_GET.code], payload)
