/* application/x-www-form-urlencoded (query strings and form bodies) into
 * a Lua table, URL-decoded, with bounded names, values and count. */
#include "lw.h"
#include "hexdigit.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 256
#define MAX_NAME 256
#define MAX_VALUE (1024 * 1024)

/* Decodes s[0..n) into out (at least n bytes); returns the new length.
 * A '%' not followed by two hex digits is kept as it is. */
static size_t
url_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n &&
		    hex_digit_value(s[i + 1]) >= 0 &&
		    hex_digit_value(s[i + 2]) >= 0) {
			out[o++] = (char)(hex_digit_value(s[i + 1]) * 16 +
			    hex_digit_value(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

/* Pushes the decoded form of s[0..n) using a Lua buffer, so a memory
 * error is an ordinary Lua error. */
static void
push_decoded(lua_State *L, const char *s, size_t n)
{
	luaL_Buffer b;
	char *out = luaL_buffinitsize(L, &b, n + 1);
	luaL_pushresultsize(&b, url_decode(s, n, out));
}

bool
lw_parse_urlencoded(lua_State *L, int idx, const char *s, size_t len)
{
	int count = 0;
	const char *end = s + len;

	idx = lua_absindex(L, idx);
	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(pe - s));
		const char *ne = eq ? eq : pe;
		size_t nlen = (size_t)(ne - s);
		size_t vlen = eq ? (size_t)(pe - eq - 1) : 0;

		if (nlen > 0) {
			if (++count > MAX_PARAMS || nlen > MAX_NAME ||
			    vlen > MAX_VALUE)
				return false;
			push_decoded(L, s, nlen);
			if (eq)
				push_decoded(L, eq + 1, vlen);
			else
				lua_pushliteral(L, "");
			lua_rawset(L, idx);
		}
		s = amp ? amp + 1 : end;
	}
	return true;
}
