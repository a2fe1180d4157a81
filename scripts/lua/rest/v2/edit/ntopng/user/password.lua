-- POST /lua/rest/v2/edit/ntopng/user/password.lua {username, new_password,
--   [old_password]}: a user changes its own with the old one; an
--   administrator sets anyone's.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local rest_utils = require("rest_utils")
local users_rest = require("users_rest")

if not users_rest.post_only() then return end
local user = users_rest.param("username")
local new = user and users_rest.param("new_password")
if not new then return end
local ok = users_rest.call("resetUserPassword", _SESSION.user, user,
  _GET["old_password"] or "", new)
if ok then rest_utils.answer(rest_utils.consts.success.ok, {username = user}) end
