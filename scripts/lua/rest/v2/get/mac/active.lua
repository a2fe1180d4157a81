-- GET /lua/rest/v2/get/mac/active.lua?ifid=N[&currentPage&perPage
--     &sortColumn=bytes|mac&sortOrder]: the MAC addresses seen.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local listing_rest = require("listing_rest")
listing_rest.answer({
  fn = "getMacsInfo", list_key = "macs", count_key = "numMacs",
  sort_columns = {bytes = "bytes", mac = "mac"}, default_sort = "bytes",
  row = function(m)
    return {mac = m.mac, manufacturer = m.manufacturer, vlan = m.vlan,
            num_hosts = m.num_hosts, first_seen = m["seen.first"],
            last_seen = m["seen.last"], source_mac = m.source_mac,
            special_mac = m.special_mac,
            bytes = listing_rest.traffic(m, "bytes"),
            packets = listing_rest.traffic(m, "packets")}
  end,
})
