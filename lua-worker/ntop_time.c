/* ntop.* sections 23 (time and ticks), 26 (bitmaps), 27 (score and
 * severity) and the pure utilities of 33: md5, getservbyport,
 * getTLSVersionName, getMac64/decodeMac64, msleep and the deadline.
 *
 * Severities are ntopng's numbers: 0 none, 1 debug, 2 info, 3 notice,
 * 4 warning, 5 error, 6 critical, 7 emergency. Score thresholds are
 * ntopng's too: info 1, notice 10, warning 50, error 100, severe 150. */
#include "ntop.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum {
	SEV_NONE, SEV_DEBUG, SEV_INFO, SEV_NOTICE, SEV_WARNING, SEV_ERROR,
	SEV_CRITICAL, SEV_EMERGENCY
};
enum {
	SCORE_INFO = 1, SCORE_NOTICE = 10, SCORE_WARNING = 50,
	SCORE_ERROR = 100, SCORE_SEVERE = 150
};
#define MSLEEP_MAX 60000

/* ---- 23. time and ticks --------------------------------------------------- */

NT_FN(gettimemsec)
{
	struct timespec ts;
	NT_ARGS(0, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	lua_pushnumber(L, (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6);
	return 1;
}

/* Ticks are nanoseconds of the monotonic clock. */
NT_FN(getticks)
{
	struct timespec ts;
	NT_ARGS(0, 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000000000 + ts.tv_nsec);
	return 1;
}

NT_FN(gettickspersec)
{
	NT_ARGS(0, 0);
	lua_pushinteger(L, 1000000000);
	return 1;
}

NT_FN(tzset)
{
	NT_ARGS(0, 0);
	tzset();
	return 0;
}

/* roundTime(epoch, secs [, localtime]): epoch rounded down to a multiple
 * of secs, counted in UTC, or in the local time zone when the third
 * argument is true (so that a day starts at local midnight). */
NT_FN(roundTime)
{
	NT_ARGS(2, 3);
	lua_Integer epoch = NT_INT(1, "epoch");
	lua_Integer secs = NT_INT(2, "secs");
	bool local = NT_OPTBOOL(3, "localtime", false);
	lua_Integer off = 0;

	if (secs <= 0)
		NT_ERR("argument #2 (secs) must be positive");
	if (local) {
		struct tm tm;
		time_t t = (time_t)epoch;
		if (localtime_r(&t, &tm) != NULL)
			off = tm.tm_gmtoff;
	}
	lua_Integer v = epoch + off;
	lua_Integer r = v % secs;
	if (r < 0)
		r += secs;
	lua_pushinteger(L, v - r - off);
	return 1;
}

/* ---- 26. bitmaps ------------------------------------------------------------ */

static lua_Integer
bit_of(lua_State *L, const char *fn)
{
	lua_Integer v = nt_int(L, 2, fn, "bit");
	if (v < 0 || v > 63)
		nt_error(L, fn, "argument #2 (bit) must be in 0..63");
	return v;
}

NT_FN(bitmapIsSet)
{
	NT_ARGS(2, 2);
	lua_Integer b = NT_INT(1, "bitmap");
	lua_pushboolean(L, ((lua_Unsigned)b >> bit_of(L, __func__)) & 1);
	return 1;
}

NT_FN(bitmapSet)
{
	NT_ARGS(2, 2);
	lua_Integer b = NT_INT(1, "bitmap");
	lua_pushinteger(L, (lua_Integer)((lua_Unsigned)b |
	    ((lua_Unsigned)1 << bit_of(L, __func__))));
	return 1;
}

NT_FN(bitmapClear)
{
	NT_ARGS(2, 2);
	lua_Integer b = NT_INT(1, "bitmap");
	lua_pushinteger(L, (lua_Integer)((lua_Unsigned)b &
	    ~((lua_Unsigned)1 << bit_of(L, __func__))));
	return 1;
}

/* ---- 27. score and severity ------------------------------------------------- */

NT_FN(mapScoreToSeverity)
{
	NT_ARGS(1, 1);
	lua_Integer s = NT_INT(1, "score");
	int sev = s < SCORE_INFO ? SEV_DEBUG : s < SCORE_NOTICE ? SEV_INFO :
	    s < SCORE_WARNING ? SEV_NOTICE : s < SCORE_ERROR ? SEV_WARNING :
	    s < SCORE_SEVERE ? SEV_ERROR : SEV_CRITICAL;
	lua_pushinteger(L, sev);
	return 1;
}

NT_FN(mapSeverityToScore)
{
	NT_ARGS(1, 1);
	lua_Integer v = NT_INT(1, "severity");
	if (v < SEV_NONE || v > SEV_EMERGENCY)
		NT_ERR("argument #1 (severity) must be in %d..%d", SEV_NONE,
		    SEV_EMERGENCY);
	int s = v <= SEV_INFO ? SCORE_INFO : v <= SEV_NOTICE ? SCORE_NOTICE :
	    v <= SEV_WARNING ? SCORE_WARNING : v <= SEV_ERROR ? SCORE_ERROR :
	    SCORE_SEVERE;
	lua_pushinteger(L, s);
	return 1;
}

/* getFlowAlertScore and getFlowAlertRisk are in ntop_checks.c. */

/* ---- 33. utilities --------------------------------------------------------- */

NT_FN(md5)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t len;
	NT_ARGS(1, 1);
	const char *s = NT_VALUE(1, "data", &len);

	if (!EVP_Digest(s, len, d, &n, EVP_md5(), NULL))
		NT_ERR("MD5 failed");
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	lua_pushlstring(L, hex, 2 * n);
	return 1;
}

/* The service name of /etc/services, or the port number as text. */
NT_FN(getservbyport)
{
	struct servent se, *res = NULL;
	char buf[1024];
	NT_ARGS(1, 2);
	lua_Integer port = NT_INT(1, "port");
	const char *proto = NT_OPTSTR(2, "proto", "tcp");

	if (port < 0 || port > 65535)
		NT_ERR("argument #1 (port) must be in 0..65535");
	if (getservbyport_r(htons((uint16_t)port), proto, &se, buf, sizeof buf,
		&res) == 0 && res != NULL)
		lua_pushstring(L, res->s_name);
	else
		lua_pushfstring(L, "%d", (int)port);
	return 1;
}

NT_FN(getTLSVersionName)
{
	static const struct {
		int v;
		const char *name;
	} names[] = {
		{0x0300, "SSLv3"}, {0x0301, "TLSv1"}, {0x0302, "TLSv1.1"},
		{0x0303, "TLSv1.2"}, {0x0304, "TLSv1.3"}, {0xfeff, "DTLSv1.0"},
		{0xfefd, "DTLSv1.2"}, {0xfefc, "DTLSv1.3"},
	};
	NT_ARGS(1, 1);
	lua_Integer v = NT_INT(1, "version");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].v == v) {
			lua_pushstring(L, names[i].name);
			return 1;
		}
	if (v < 0 || v > 0xffff)
		NT_ERR("argument #1 (version) must be in 0..65535");
	char buf[32];
	snprintf(buf, sizeof buf, "TLS (%04X)", (unsigned)v);
	lua_pushstring(L, buf);
	return 1;
}

/* n hex octets separated by ':' or '-'; false on anything else. */
static bool
parse_octets(const char *s, unsigned char *out, int n)
{
	for (int i = 0; i < n; i++) {
		unsigned v;
		int used;
		if (sscanf(s, "%2x%n", &v, &used) != 1 || used != 2)
			return false;
		out[i] = (unsigned char)v;
		s += 2;
		if (i < n - 1) {
			if (*s != ':' && *s != '-')
				return false;
			s++;
		}
	}
	return *s == '\0';
}

static void
push_octets(lua_State *L, const unsigned char *o, int n)
{
	char buf[3 * 8];
	for (int i = 0; i < n; i++)
		snprintf(buf + 3 * i, 4, "%02X%s", o[i], i < n - 1 ? ":" : "");
	lua_pushstring(L, buf);
}

/* EUI-48 to EUI-64: FF:FE inserted between the OUI and the rest. */
NT_FN(getMac64)
{
	unsigned char m[6], e[8];
	NT_ARGS(1, 1);
	const char *s = NT_STR(1, "mac");
	if (!parse_octets(s, m, 6))
		NT_ERR("'%s' is not a MAC address", s);
	memcpy(e, m, 3);
	e[3] = 0xff;
	e[4] = 0xfe;
	memcpy(e + 5, m + 3, 3);
	push_octets(L, e, 8);
	return 1;
}

NT_FN(decodeMac64)
{
	unsigned char m[6], e[8];
	NT_ARGS(1, 1);
	const char *s = NT_STR(1, "mac64");
	if (!parse_octets(s, e, 8) || e[3] != 0xff || e[4] != 0xfe)
		NT_ERR("'%s' is not an EUI-64 made from a MAC address", s);
	memcpy(m, e, 3);
	memcpy(m + 3, e + 5, 3);
	push_octets(L, m, 6);
	return 1;
}

static double
remaining_sec(const struct lw_vm *vm)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(vm->deadline.tv_sec - now.tv_sec) +
	    (double)(vm->deadline.tv_nsec - now.tv_nsec) / 1e9;
}

/* Sleeps, but never past the request's deadline. */
NT_FN(msleep)
{
	NT_ARGS(1, 1);
	lua_Integer ms = NT_INT(1, "ms");
	if (ms < 0 || ms > MSLEEP_MAX)
		NT_ERR("argument #1 (ms) must be in 0..%d", MSLEEP_MAX);
	double left = remaining_sec(lw_vm_of(L)) * 1000;
	if ((double)ms > left)
		ms = left > 0 ? (lua_Integer)left : 0;
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return 0;
}

/* The deadline of the running script (request or periodic), epoch. */
NT_FN(getDeadline)
{
	NT_ARGS(0, 0);
	lua_pushinteger(L, (lua_Integer)time(NULL) +
	    (lua_Integer)remaining_sec(lw_vm_of(L)));
	return 1;
}

/* Approaching: less than a tenth of the time budget (at least 1 s) left. */
NT_FN(isDeadlineApproaching)
{
	NT_ARGS(0, 0);
	double margin = lw_vm_budget_sec(lw_vm_of(L)) / 10.0;
	if (margin < 1)
		margin = 1;
	lua_pushboolean(L, remaining_sec(lw_vm_of(L)) <= margin);
	return 1;
}

static const luaL_Reg fns[] = {
	NT_ROW(gettimemsec), NT_ROW(getticks), NT_ROW(gettickspersec),
	NT_ROW(tzset), NT_ROW(roundTime),
	NT_ROW(bitmapIsSet), NT_ROW(bitmapSet), NT_ROW(bitmapClear),
	NT_ROW(mapScoreToSeverity), NT_ROW(mapSeverityToScore),
	NT_ROW(md5), NT_ROW(getservbyport), NT_ROW(getTLSVersionName),
	NT_ROW(getMac64), NT_ROW(decodeMac64), NT_ROW(msleep),
	NT_ROW(getDeadline), NT_ROW(isDeadlineApproaching),
	{NULL, NULL},
};

void
ntop_time_register(lua_State *L)
{
	nt_register(L, fns);
}
