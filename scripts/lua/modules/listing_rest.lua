-- The common shape of the REST listings of MACs, VLANs, ASes and
-- countries: interface selection, paging and sorting parameters checked
-- here, one interface.* call, and the envelope {currentPage, perPage,
-- sort, totalRows, data[]}. Only the row shape differs per resource.
local rest_utils = require("rest_utils")

local listing_rest = {}

-- spec: {fn, list_key, count_key, sort_columns = {public = worker},
--        default_sort, row = function(item) -> row, extra = params}
function listing_rest.answer(spec)
  local paging = rest_utils.paging(_GET)
  if not paging then return end
  local sort_name = _GET["sortColumn"]
  if sort_name == nil or sort_name == "" then sort_name = spec.default_sort end
  local sort_col = spec.sort_columns[sort_name]
  if not sort_col then
    rest_utils.answer(rest_utils.consts.err.invalid_args,
                      {reason = "unknown sortColumn"})
    return
  end
  if not rest_utils.select_ifid(_GET["ifid"]) then return end
  local params = {currentPage = paging.currentPage, perPage = paging.perPage,
                  sortColumn = sort_col, sortOrder = paging.sortOrder}
  for k, v in pairs(spec.extra or {}) do params[k] = v end
  local ok, res = pcall(interface[spec.fn], params)
  if not ok then
    -- the one error a configuration causes: no GeoIP database
    local reason = tostring(res):match(": ([^:]*GeoIP[^:]*)$")
    if reason then
      rest_utils.answer(rest_utils.consts.err.not_found, {reason = reason})
      return
    end
    error(res, 0)
  end
  local data = {}
  for _, item in ipairs(res[spec.list_key] or {}) do
    data[#data + 1] = spec.row(item)
  end
  rest_utils.answer(rest_utils.consts.success.ok, {
    currentPage = paging.currentPage, perPage = paging.perPage,
    sort = {{sort_name, paging.sortOrder}},
    totalRows = res[spec.count_key] or #data, data = data,
  })
end

-- The nDPI constants (fn: getnDPIProtocols or getnDPICategories) as
-- [{name, id}] sorted by name.
function listing_rest.constants(fn)
  local ifid = _GET["ifid"] or tostring(interface.getFirstInterfaceId())
  if not rest_utils.select_ifid(ifid) then return end
  local list = {}
  for name, id in pairs(interface[fn]()) do
    list[#list + 1] = {name = name, id = id}
  end
  table.sort(list, function(a, b) return a.name < b.name end)
  rest_utils.answer(rest_utils.consts.success.ok, list)
end

-- sent/rcvd/total of an item with "bytes.sent"/"bytes.rcvd" fields
function listing_rest.traffic(item, what)
  local s, r = item[what .. ".sent"] or 0, item[what .. ".rcvd"] or 0
  return {sent = s, rcvd = r, total = s + r}
end

return listing_rest
