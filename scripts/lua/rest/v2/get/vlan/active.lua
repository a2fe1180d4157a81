-- GET /lua/rest/v2/get/vlan/active.lua?ifid=N[&paging]: traffic per VLAN.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local listing_rest = require("listing_rest")
listing_rest.answer({
  fn = "getVLANsInfo", list_key = "VLANs", count_key = "numVLANs",
  sort_columns = {vlan_id = "vlan_id", bytes = "bytes", hosts = "hosts",
                  first_seen = "seen.first", last_seen = "seen.last"},
  default_sort = "vlan_id",
  row = function(v)
    return {vlan_id = v.vlan_id, num_hosts = v.num_hosts,
            num_flows = v.num_flows, first_seen = v["seen.first"],
            last_seen = v["seen.last"],
            bytes = listing_rest.traffic(v, "bytes"),
            packets = listing_rest.traffic(v, "packets")}
  end,
})
