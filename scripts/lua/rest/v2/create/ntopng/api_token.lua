-- POST /lua/rest/v2/create/ntopng/api_token.lua [{username}]: a new API
-- token for the caller (or, for an administrator, for username); the old
-- one stops working.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local rest_utils = require("rest_utils")
local users_rest = require("users_rest")

if not users_rest.post_only() then return end
local user = _GET["username"] or _SESSION.user
local ok, token = users_rest.call("createUserAPIToken", user)
if ok then
  rest_utils.answer(rest_utils.consts.success.ok, {username = user, api_token = token})
end
