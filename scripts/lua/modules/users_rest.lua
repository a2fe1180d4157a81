-- Shared by the REST endpoints of users, tokens and TOTP: parameters from
-- the query or a JSON body (both land in _GET), and the answer of an
-- ntop.* user call mapped to ntopng's rest_utils codes. The frontend has
-- already decided in C what the caller may do; this only reports it.
local rest_utils = require("rest_utils")

local users_rest = {}

local function code_for(message)
  if message:find("not allowed", 1, true) or
     message:find("no valid identity", 1, true) or
     message:find("not your account", 1, true) or
     message:find("old password", 1, true) or
     message:find("cannot delete itself", 1, true) then
    return rest_utils.consts.err.not_granted
  end
  if message:find("no such user", 1, true) then
    return rest_utils.consts.err.not_found
  end
  return rest_utils.consts.err.invalid_args
end

-- Calls ntop[fn](...). On success returns true and the result; otherwise
-- answers the matching error and returns false.
function users_rest.call(fn, ...)
  local ok, res = pcall(ntop[fn], ...)
  if ok then
    if res == nil then
      rest_utils.answer(rest_utils.consts.err.not_found)
      return false
    end
    return true, res
  end
  local err = tostring(res)
  local c = code_for(err)
  -- only the reason, not the Lua location of the error
  local reason = err:match("ntop%.%w+: (.*)$") or err
  rest_utils.answer(c, {reason = reason})
  return false
end

-- A required string parameter; answers invalid_args when absent.
function users_rest.param(name)
  local v = _GET[name]
  if type(v) ~= "string" or v == "" then
    rest_utils.answer(rest_utils.consts.err.invalid_args,
                      {reason = "missing parameter " .. name})
    return nil
  end
  return v
end

function users_rest.bool(name)
  local v = _GET[name]
  return v == true or v == "true" or v == "1"
end

-- State changes only by POST (the frontend also demands the CSRF token
-- of a browser session there).
function users_rest.post_only()
  if _SERVER == nil or _SERVER.REQUEST_METHOD ~= "POST" then
    rest_utils.answer(rest_utils.consts.err.not_allowed)
    return false
  end
  return true
end

return users_rest
