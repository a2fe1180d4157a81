-- echoes what the request carried: _GET (query + merged JSON body), _POST
local json = require "dkjson"
print(json.encode({ get = _GET, post = _POST, method = _SERVER.REQUEST_METHOD,
                    user = _SESSION.user, group = _SESSION.group }))
