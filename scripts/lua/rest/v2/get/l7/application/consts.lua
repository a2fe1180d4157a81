-- GET /lua/rest/v2/get/l7/application/consts.lua[?ifid=N]: every nDPI application
-- name with its id, sorted by name.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
require("listing_rest").constants("getnDPIProtocols")
