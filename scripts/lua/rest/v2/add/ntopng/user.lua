-- POST /lua/rest/v2/add/ntopng/user.lua {username, full_name, password,
--   user_role, allowed_networks, allowed_interface, user_language}
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local rest_utils = require("rest_utils")
local users_rest = require("users_rest")

if not users_rest.post_only() then return end
local user = users_rest.param("username")
local password = user and users_rest.param("password")
local role = password and users_rest.param("user_role")
if not role then return end
local ok = users_rest.call("addUser", user, _GET["full_name"] or "", password,
  role, _GET["allowed_networks"] or "", _GET["allowed_interface"] or "",
  nil, _GET["user_language"])
if ok then rest_utils.answer(rest_utils.consts.success.ok, {username = user}) end
