EVIL_LOADED = true
return { pwned = true }
