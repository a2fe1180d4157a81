-- GET /lua/rest/v2/get/as/active.lua?ifid=N[&paging]: traffic per
-- autonomous system (needs netward --geoip-asn).
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local listing_rest = require("listing_rest")
listing_rest.answer({
  fn = "getASesInfo", list_key = "ASes", count_key = "numASes",
  sort_columns = {asn = "asn", bytes = "bytes", hosts = "hosts",
                  first_seen = "seen.first", last_seen = "seen.last"},
  default_sort = "asn",
  row = function(a)
    return {asn = a.asn, asname = a.asname, num_hosts = a.num_hosts,
            first_seen = a["seen.first"], last_seen = a["seen.last"],
            bytes = listing_rest.traffic(a, "bytes"),
            packets = listing_rest.traffic(a, "packets")}
  end,
})
