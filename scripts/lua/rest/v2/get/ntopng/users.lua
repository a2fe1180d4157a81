-- GET /lua/rest/v2/get/ntopng/users.lua: every user and its attributes
-- (administrators only; no secret is ever part of the answer).
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local rest_utils = require("rest_utils")
local users_rest = require("users_rest")

local ok, users = users_rest.call("getUsers")
if not ok then return end
local list = {}
for name, u in pairs(users) do list[#list + 1] = u end
table.sort(list, function(a, b) return a.username < b.username end)
rest_utils.answer(rest_utils.consts.success.ok, list)
