-- exercises ntop.*Cache on the Redis given with --redis
local json = require "dkjson"
local op, key = _GET.op, _GET.key
local out = {}
if op == "set" then
  ntop.setCache(key, _GET.value, tonumber(_GET.ttl))
  out.get = ntop.getCache(key)
elseif op == "get" then
  out.get = ntop.getCache(key)
elseif op == "del" then
  ntop.delCache(key)
  out.get = ntop.getCache(key)
elseif op == "hash" then
  ntop.setHashCache(key, "f1", "v1")
  ntop.setHashCache(key, "f2", 2)
  out.f1 = ntop.getHashCache(key, "f1")
  out.all = ntop.getHashAllCache(key)
  ntop.delHashCache(key, "f1")
  out.f1_after = ntop.getHashCache(key, "f1")
elseif op == "badarg" then
  ntop.getCache({})
end
print(json.encode(out))
