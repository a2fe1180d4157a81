-- catching the limit error must not let the script run on
local n = 0
while true do
  pcall(function() while true do end end)
  n = n + 1
end
