-- REST answers in ntopng's envelope {rc, rc_str, rc_str_hr, rsp}, with
-- the HTTP status that belongs to each return code.
--
-- Modules are called by netward's require with (name, path, http); http
-- sets the status and content type of the current response.
local _, _, http = ...
local json = require("dkjson")

local rest_utils = {}

local function const(http_code, rc, str, hr)
  return { http_code = http_code, rc = rc, str = str, hr = hr }
end

rest_utils.consts = {
  success = {
    ok = const(200, 0, "OK", "Success"),
  },
  err = {
    not_found = const(404, -1, "NOT_FOUND", "Resource not found"),
    invalid_interface = const(400, -2, "INVALID_INTERFACE", "Invalid interface"),
    not_granted = const(401, -3, "NOT_GRANTED", "Not granted"),
    invalid_host = const(400, -4, "INVALID_HOST", "Invalid host"),
    invalid_args = const(400, -5, "INVALID_ARGUMENTS", "Invalid arguments"),
    internal_error = const(500, -6, "INTERNAL_ERROR", "Internal error"),
    bad_format = const(400, -7, "BAD_FORMAT", "Bad format"),
    bad_content = const(400, -8, "BAD_CONTENT", "Bad content"),
    -- netward's code for a method the endpoint does not accept
    not_allowed = const(405, -30, "NOT_ALLOWED", "Method not allowed"),
  },
}

local function send(ret_const, payload, extra)
  if type(ret_const) ~= "table" or ret_const.rc == nil then
    error("rest_utils.answer: unknown return code", 2)
  end
  if http then
    http.setStatus(ret_const.http_code or 200)
    http.setContentType("application/json")
  end
  local response = {
    rc = ret_const.rc,
    rc_str = ret_const.str,
    rc_str_hr = ret_const.hr or ret_const.str,
    rsp = payload == nil and {} or payload,
  }
  if type(extra) == "table" then
    for k, v in pairs(extra) do
      if response[k] == nil then response[k] = v end
    end
  end
  print(json.encode(response))
end

-- rest_utils.answer(rc [, payload [, extra_fields]])
function rest_utils.answer(ret_const, payload, extra)
  send(ret_const, payload, extra)
end

-- Like answer, with extra top-level fields next to rsp (e.g. recordsTotal).
function rest_utils.extended_answer(ret_const, payload, extra)
  send(ret_const, payload, extra)
end

-- The envelope as a table, without answering.
function rest_utils.rc(ret_const, payload)
  return {
    rc = ret_const.rc, rc_str = ret_const.str,
    rc_str_hr = ret_const.hr or ret_const.str,
    rsp = payload == nil and {} or payload,
  }
end

-- netward helpers shared by the endpoints ------------------------------

-- Selects the interface named by ifid (a decimal id). Answers
-- invalid_interface and returns false when it is missing or unknown.
function rest_utils.select_ifid(ifid)
  if type(ifid) ~= "string" or not ifid:match("^%d+$") or #ifid > 9
     or not interface.isValidIfId(tonumber(ifid)) then
    rest_utils.answer(rest_utils.consts.err.invalid_interface)
    return false
  end
  interface.select(tonumber(ifid))
  return true
end

-- Parses currentPage/perPage/sortOrder. Returns a table or nil after
-- answering invalid_args.
function rest_utils.paging(get, default_per_page)
  local function int_param(name, default, min, max)
    local v = get[name]
    if v == nil or v == "" then return default end
    if type(v) ~= "string" or not v:match("^%d+$") or #v > 9 then return nil end
    v = tonumber(v)
    if v < min or v > max then return nil end
    return v
  end
  local page = int_param("currentPage", 1, 1, 100000000)
  local per_page = int_param("perPage", default_per_page or 10, 1, 10000)
  local order = get.sortOrder
  if order == nil or order == "" then order = "desc" end
  if page == nil or per_page == nil or (order ~= "asc" and order ~= "desc") then
    rest_utils.answer(rest_utils.consts.err.invalid_args)
    return nil
  end
  return { currentPage = page, perPage = per_page, sortOrder = order }
end

return rest_utils
