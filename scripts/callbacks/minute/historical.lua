-- Every minute (the periodic worker): one historical minute sample per
-- interface (modules/nw_historical.lua), kept in DATA/lua/historical.db
-- until the daily retention script deletes it.
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local hist = require("nw_historical")

local step = math.tointeger(tonumber(_GET.period)) or 60
hist.store_all("minute", math.tointeger(tonumber(_GET.when)) or (os.time() // step * step))
