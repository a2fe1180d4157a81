-- POST /lua/rest/v2/edit/ntopng/user.lua {username, [full_name],
--   [user_role], [allowed_networks], [allowed_interface], [user_language]}
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local rest_utils = require("rest_utils")
local users_rest = require("users_rest")

if not users_rest.post_only() then return end
local user = users_rest.param("username")
if not user then return end
local changes = {
  {"full_name", "changeUserFullName"},
  {"user_role", "changeUserRole"},
  {"allowed_networks", "changeAllowedNets"},
  {"allowed_interface", "changeAllowedIfname"},
  {"user_language", "changeUserLanguage"},
}
local changed = {}
for _, c in ipairs(changes) do
  local v = _GET[c[1]]
  if v ~= nil then
    if not users_rest.call(c[2], user, tostring(v)) then return end
    changed[#changed + 1] = c[1]
  end
end
if #changed == 0 then
  rest_utils.answer(rest_utils.consts.err.invalid_args, {reason = "nothing to change"})
  return
end
rest_utils.answer(rest_utils.consts.success.ok, {username = user, changed = changed})
