-- POST /lua/rest/v2/create/ntopng/totp.lua: TOTP enrolment of the caller,
-- step 1: a new secret and its otpauth:// URI for an authenticator app.
-- Login does not ask for codes until edit/ntopng/totp.lua enables it.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local rest_utils = require("rest_utils")
local users_rest = require("users_rest")

if not users_rest.post_only() then return end
local user = _SESSION.user
local ok, secret = users_rest.call("generateTOTPSecret")
if not ok then return end
if not users_rest.call("setUserTOTPSecret", user, secret) then return end
local ok2, uri = users_rest.call("getTOTPProvisioningUri", user)
if ok2 then
  rest_utils.answer(rest_utils.consts.success.ok, {secret = secret, uri = uri})
end
