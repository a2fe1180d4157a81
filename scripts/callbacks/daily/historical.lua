-- Every day (the periodic worker): one historical day sample per
-- interface (modules/nw_historical.lua). Runs before retention.lua (name
-- order).
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local hist = require("nw_historical")

local step = math.tointeger(tonumber(_GET.period)) or 86400
hist.store_all("day", math.tointeger(tonumber(_GET.when)) or (os.time() // step * step))
