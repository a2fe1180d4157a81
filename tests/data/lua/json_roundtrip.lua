-- decode _GET.input with dkjson (nulls kept as json.null), encode it back
local json = require "dkjson"
local v, pos, err = json.decode(_GET.input, 1, json.null)
if err then
  print(json.encode({ ok = false, pos = pos, err = err }))
  return
end
print(json.encode({ ok = true, value = v, pos = pos }))
