-- Prints every flow of interface _GET.ifid as one JSON array, reading
-- interface.getFlowsInfo page by page as a script would.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local json = require("dkjson")

interface.select(tostring(_GET["ifid"] or 0))
local all, page, per_page = {}, 1, 500
while true do
  local res = interface.getFlowsInfo({currentPage = page, perPage = per_page,
                                      sortColumn = "first_seen", sortOrder = "asc"})
  for _, f in ipairs(res.flows) do all[#all + 1] = f end
  if page * per_page >= res.numFlows then break end
  page = page + 1
end
print(json.encode(all))
