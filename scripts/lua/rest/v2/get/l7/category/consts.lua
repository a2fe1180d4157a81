-- GET /lua/rest/v2/get/l7/category/consts.lua[?ifid=N]: every nDPI category
-- name with its id, sorted by name.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
require("listing_rest").constants("getnDPICategories")
