-- Every hour (the periodic worker): one historical hour sample per
-- interface (modules/nw_historical.lua).
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local hist = require("nw_historical")

local step = math.tointeger(tonumber(_GET.period)) or 3600
hist.store_all("hour", math.tointeger(tonumber(_GET.when)) or (os.time() // step * step))
