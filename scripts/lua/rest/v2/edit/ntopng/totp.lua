-- POST /lua/rest/v2/edit/ntopng/totp.lua {enabled, [code]}: step 2 of the
-- caller's enrolment; enabling needs a current code, so a mistyped secret
-- cannot lock the user out.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local rest_utils = require("rest_utils")
local users_rest = require("users_rest")

if not users_rest.post_only() then return end
local user = _SESSION.user
local enable = users_rest.bool("enabled")
if enable then
  local code = users_rest.param("code")
  if not code then return end
  local ok, valid = users_rest.call("validateTOTP", user, code)
  if not ok then return end
  if not valid then
    rest_utils.answer(rest_utils.consts.err.invalid_args, {reason = "wrong code"})
    return
  end
end
if users_rest.call("setUserTOTPEnabled", user, enable) then
  rest_utils.answer(rest_utils.consts.success.ok, {username = user, enabled = enable})
end
