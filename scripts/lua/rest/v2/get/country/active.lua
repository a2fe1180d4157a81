-- GET /lua/rest/v2/get/country/active.lua?ifid=N[&paging]: traffic per
-- country (needs netward --geoip-city).
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local listing_rest = require("listing_rest")
listing_rest.answer({
  fn = "getCountriesInfo", list_key = "Countries", count_key = "numCountries",
  sort_columns = {country = "country", bytes = "bytes", hosts = "hosts",
                  first_seen = "seen.first", last_seen = "seen.last"},
  default_sort = "country",
  row = function(c)
    return {country = c.country, num_hosts = c.num_hosts,
            first_seen = c["seen.first"], last_seen = c["seen.last"],
            bytes = listing_rest.traffic(c, "bytes"),
            packets = listing_rest.traffic(c, "packets")}
  end,
})
