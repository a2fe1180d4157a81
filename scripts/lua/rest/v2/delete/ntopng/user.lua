-- POST /lua/rest/v2/delete/ntopng/user.lua {username}
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local rest_utils = require("rest_utils")
local users_rest = require("users_rest")

if not users_rest.post_only() then return end
local user = users_rest.param("username")
if not user then return end
if users_rest.call("deleteUser", user) then
  rest_utils.answer(rest_utils.consts.success.ok, {username = user})
end
