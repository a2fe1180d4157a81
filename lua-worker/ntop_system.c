/* ntop.* sections 3 (system and information), 12 (logging), 28 (edition
 * and platform) and 29 (privilege management).
 *
 * Values come from this process, its configuration and /proc; what has
 * no meaning in netward raises an error that says why. netward is one
 * edition: none of ntop's commercial editions, nothing forced, no licence
 * (every feature it has is in it), so the edition checks answer false. */
#include "ntop.h"
#include "log.h"

#include <dirent.h>
#include <hiredis.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <unistd.h>

#ifndef NETWARD_VERSION
#define NETWARD_VERSION "unknown"
#endif
#define NETWARD_ETC_DIR "/etc/netward"
#define ALL_PATHS_MAX 10000

volatile sig_atomic_t lw_shutting_down;

/* ---- 3. system and information ----------------------------------------- */

NT_FN(getDirs)
{
	NT_ARGS(0, 0);
	lua_newtable(L);
	nt_setstr(L, "installdir", lw_cfg.install_dir);
	lua_pushfstring(L, "%s/scripts", lw_cfg.install_dir);
	lua_setfield(L, -2, "scriptdir");
	lua_pushfstring(L, "%s/httpdocs", lw_cfg.install_dir);
	lua_setfield(L, -2, "httpdocsdir");
	lua_pushfstring(L, "%s/scripts/callbacks", lw_cfg.install_dir);
	lua_setfield(L, -2, "callbacksdir");
	nt_setstr(L, "sharedir", lw_cfg.install_dir);
	nt_setstr(L, "workingdir", lw_cfg.data_dir);
	nt_setstr(L, "etcdir", NETWARD_ETC_DIR);
	if (lw_cfg.bin_dir[0] != '\0')
		nt_setstr(L, "bindir", lw_cfg.bin_dir);
	return 1;
}

static lua_Integer
uptime_sec(void)
{
	return (lua_Integer)(time(NULL) - lw_cfg.start_time);
}

NT_FN(getUptime)
{
	NT_ARGS(0, 0);
	lua_pushinteger(L, uptime_sec());
	return 1;
}

NT_FN(getInfo)
{
	struct utsname u;
	char host[256];
	NT_ARGS(0, 1);
	bool verbose = NT_OPTBOOL(1, "verbose", true);

	lua_newtable(L);
	nt_setstr(L, "product", "netward");
	nt_setstr(L, "version", NETWARD_VERSION);
	nt_setstr(L, "license", "GPL-3.0-or-later");
	nt_setstr(L, "copyright", "netward authors");
	nt_setint(L, "uptime", uptime_sec());
	nt_setint(L, "starttime", (lua_Integer)lw_cfg.start_time);
	if (uname(&u) == 0) {
		lua_pushfstring(L, "%s %s", u.sysname, u.release);
		lua_setfield(L, -2, "OS");
		nt_setstr(L, "platform", u.machine);
	}
	nt_setint(L, "bits", (lua_Integer)(sizeof(void *) * CHAR_BIT));
	if (gethostname(host, sizeof host) == 0) {
		host[sizeof host - 1] = '\0';
		nt_setstr(L, "instance_name", host);
	}
	if (verbose) {
		nt_setint(L, "pid", (lua_Integer)getpid());
		nt_setstr(L, "version.lua", LUA_RELEASE);
		lua_pushfstring(L, "%d.%d.%d", HIREDIS_MAJOR, HIREDIS_MINOR,
		    HIREDIS_PATCH);
		lua_setfield(L, -2, "version.hiredis");
		nt_setint(L, "lua_worker_id", lw_cfg.id);
	}
	return 1;
}

/* Reads a whole small /proc file into buf. */
static bool
read_proc(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n > 0;
}

static bool
meminfo_kb(const char *text, const char *field, long long *out)
{
	size_t n = strlen(field);
	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, field, n) == 0 && p[n] == ':')
			return sscanf(p + n + 1, "%lld", out) == 1;
	}
	return false;
}

NT_FN(systemHostStat)
{
	char buf[8192];
	double load[3];
	long long v, total = 0, avail = 0;
	static const struct {
		const char *field, *key;
	} mem[] = {
		{"MemTotal", "mem_total"}, {"MemFree", "mem_free"},
		{"MemAvailable", "mem_available"}, {"Buffers", "mem_buffers"},
		{"Cached", "mem_cached"}, {"SReclaimable", "mem_sreclaimable"},
		{"Shmem", "mem_shmem"}, {"SwapTotal", "swap_total"},
		{"SwapFree", "swap_free"},
	};
	NT_ARGS(0, 0);

	lua_newtable(L);
	if (read_proc("/proc/loadavg", buf, sizeof buf) &&
	    sscanf(buf, "%lf %lf %lf", &load[0], &load[1], &load[2]) == 3) {
		nt_setnum(L, "cpu_load", load[0]);
		nt_setnum(L, "cpu_load_5min", load[1]);
		nt_setnum(L, "cpu_load_15min", load[2]);
	}
	nt_setint(L, "cpu_count", sysconf(_SC_NPROCESSORS_ONLN));
	if (read_proc("/proc/meminfo", buf, sizeof buf)) {
		for (size_t i = 0; i < sizeof mem / sizeof mem[0]; i++)
			if (meminfo_kb(buf, mem[i].field, &v))
				nt_setint(L, mem[i].key, v);
		if (meminfo_kb(buf, "MemTotal", &total) &&
		    meminfo_kb(buf, "MemAvailable", &avail))
			nt_setint(L, "mem_used", total - avail);
	}
	if (read_proc("/proc/self/status", buf, sizeof buf) &&
	    meminfo_kb(buf, "VmRSS", &v))
		nt_setint(L, "mem_ntopng_resident", v);
	return 1;
}

NT_FN(threadsInfo)
{
	char path[320], buf[512];
	DIR *d;
	struct dirent *e;
	int n = 0;
	NT_ARGS(0, 0);

	lua_newtable(L);
	if ((d = opendir("/proc/self/task")) == NULL)
		return 1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		lua_newtable(L);
		nt_setint(L, "tid", strtoll(e->d_name, NULL, 10));
		snprintf(path, sizeof path, "/proc/self/task/%s/comm",
		    e->d_name);
		if (read_proc(path, buf, sizeof buf)) {
			buf[strcspn(buf, "\n")] = '\0';
			nt_setstr(L, "name", buf);
		}
		snprintf(path, sizeof path, "/proc/self/task/%s/stat",
		    e->d_name);
		char *rp;
		if (read_proc(path, buf, sizeof buf) &&
		    (rp = strrchr(buf, ')')) != NULL) {
			char state;
			unsigned long long ut, st;
			/* fields after ")": state ppid pgrp session tty tpgid
			 * flags minflt cminflt majflt cmajflt utime stime */
			if (sscanf(rp + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u "
				"%*u %*u %llu %llu", &state, &ut, &st) == 3) {
				char s[2] = {state, '\0'};
				long hz = sysconf(_SC_CLK_TCK);
				nt_setstr(L, "state", s);
				nt_setint(L, "user_ms",
				    (lua_Integer)(ut * 1000 / (unsigned long)hz));
				nt_setint(L, "system_ms",
				    (lua_Integer)(st * 1000 / (unsigned long)hz));
			}
		}
		lua_rawseti(L, -2, ++n);
	}
	closedir(d);
	return 1;
}

/* CPU usage of the machine in percent between two calls of any Lua
 * state of this process (the first call: since boot). */
NT_FN(refreshCPULoad)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static unsigned long long last_busy, last_total;
	unsigned long long f[8] = {0}, busy, total;
	char buf[1024];
	NT_ARGS(0, 0);

	if (!read_proc("/proc/stat", buf, sizeof buf) ||
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0],
		&f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]) < 4) {
		lua_pushnil(L);
		return 1;
	}
	total = f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
	busy = total - f[3] - f[4];
	pthread_mutex_lock(&lock);
	unsigned long long dt = total - last_total, db = busy - last_busy;
	last_total = total;
	last_busy = busy;
	pthread_mutex_unlock(&lock);
	if (dt == 0)
		lua_pushnumber(L, 0);
	else
		lua_pushnumber(L, 100.0 * (double)db / (double)dt);
	return 1;
}

NT_FN(checkLicense)
{
	NT_ARGS(0, 0);
	lua_pushinteger(L, 1); /* nothing to validate: there is no licence */
	return 1;
}

/* The alert stores of the capture workers (RPC getAlertStoreStats):
 * {interfaces = {[ifid] = {written, queued, dropped, failed_batches,
 * stored, engaged}}} and the sums written_flow, written_host_events,
 * queued_*, dropped_*, failed_batches. */
NT_FN(getSystemAlertsStats)
{
	static const char *const sum[] = { "written.flow",
		"written.host_events", "queued.flow", "queued.host_events",
		"dropped.flow", "dropped.host_events", "failed_batches",
		NULL };

	NT_ARGS(0, 0);
	nt_capture_sum(L, __func__, "getAlertStoreStats", sum);
	return 1;
}

NT_FN(getCookieAttributes)
{
	NT_ARGS(0, 0);
	/* What netward-web sets on the session cookie (login.c). */
	lua_pushliteral(L, "HttpOnly; Secure; SameSite=Strict");
	return 1;
}

static void
walk(lua_State *L, const char *dir, const regex_t *re, int depth, int *n)
{
	DIR *d;
	struct dirent *e;
	char path[PATH_MAX];

	if (depth > 32 || *n >= ALL_PATHS_MAX || (d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL && *n < ALL_PATHS_MAX) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >=
		    (int)sizeof path)
			continue;
		if (e->d_type == DT_DIR) {
			walk(L, path, re, depth + 1, n);
		} else if (e->d_type == DT_REG &&
		    regexec(re, e->d_name, 0, NULL, 0) == 0) {
			lua_pushstring(L, path);
			lua_rawseti(L, -2, ++*n);
		}
	}
	closedir(d);
}

/* Files under path (recursively, not following symlinks) whose name
 * matches the POSIX extended regular expression pattern. */
NT_FN(getAllPaths)
{
	char real[PATH_MAX];
	regex_t re;
	int n = 0;
	NT_ARGS(2, 2);
	const char *path = NT_STR(1, "path");
	const char *pattern = NT_STR(2, "pattern");

	nt_confine(L, __func__, path, false, real, sizeof real);
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		NT_ERR("invalid regular expression '%s'", pattern);
	lua_newtable(L);
	walk(L, real, &re, 0, &n);
	regfree(&re);
	return 1;
}

NT_FN(getStartupEpoch)
{
	NT_ARGS(0, 0);
	lua_pushinteger(L, (lua_Integer)lw_cfg.start_time);
	return 1;
}

NT_FN(getStaticFileEpoch)
{
	NT_ARGS(0, 0);
	lua_pushinteger(L, (lua_Integer)lw_cfg.start_time);
	return 1;
}

NT_FN(getHttpPrefix)
{
	NT_ARGS(0, 0);
	lua_pushliteral(L, ""); /* netward-web serves from the root */
	return 1;
}

/* Keeps letters, digits and " ._-:/@,=+*[]"; every other byte (markup,
 * quotes, %, ;, &, controls, non-ASCII) becomes '_'. */
NT_FN(httpPurifyParam)
{
	static const char keep[] = " ._-:/@,=+*[]";
	luaL_Buffer b;
	size_t len;
	NT_ARGS(1, 1);
	const char *s = NT_LSTR(1, "param", &len);

	char *out = luaL_buffinitsize(L, &b, len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != 0 && strchr(keep, c));
		out[i] = ok ? (char)c : '_';
	}
	luaL_pushresultsize(&b, len);
	return 1;
}

NT_FN(isShuttingDown)
{
	NT_ARGS(0, 0);
	lua_pushboolean(L, lw_shutting_down != 0);
	return 1;
}

/* Lowers this serving thread's scheduling priority (nice 10); an
 * unprivileged process can lower but never raise it again, so it stays
 * for the thread's life. */
NT_FN(limitResourcesUsage)
{
	NT_ARGS(0, 0);
	pid_t tid = (pid_t)syscall(SYS_gettid);
	if (getpriority(PRIO_PROCESS, (id_t)tid) < 10)
		setpriority(PRIO_PROCESS, (id_t)tid, 10);
	return 0;
}

NT_FN(getCurrentScriptsDir)
{
	NT_ARGS(0, 0);
	lua_pushstring(L, lw_cfg.scripts_dir);
	return 1;
}

NT_FN(getInstanceName)
{
	char host[256];
	NT_ARGS(0, 0);
	if (gethostname(host, sizeof host) != 0)
		NT_ERR("gethostname failed");
	host[sizeof host - 1] = '\0';
	lua_pushstring(L, host);
	return 1;
}

/* interface.resetCounters() on every interface. */
NT_FN(resetStats)
{
	NT_ARGS(0, 0);
	for (int i = 0; i < lw_cfg.n_ifaces; i++) {
		lua_settop(L, 0);
		nt_capture_call(L, __func__, i, "resetCounters", 0);
	}
	lua_pushnil(L);
	return 1;
}

NT_FN(getDropPoolInfo)
{
	NT_ARGS(0, 0);
	NT_UNAVAILABLE("the drop pool belongs to nEdge bridge mode, which is "
	    "not running");
}

/* ---- 12. logging ---------------------------------------------------------- */

/* ntopng's trace levels: 0 error, 1 warning, 2 normal, 3 info, 4+ debug */
static enum log_level
trace_level(lua_Integer t)
{
	return t <= 0 ? LOG_LVL_ERROR : t == 1 ? LOG_LVL_WARN :
	    t <= 3 ? LOG_LVL_INFO : LOG_LVL_DEBUG;
}

NT_FN(traceEvent)
{
	NT_ARGS(2, 2);
	lua_Integer lvl = NT_INT(1, "level");
	const char *msg = NT_STR(2, "message");
	enum log_level l = trace_level(lvl);
	if (l <= log_get_level())
		log_msg(l, "lua: %s", msg);
	return 0;
}

NT_FN(verboseTrace)
{
	NT_ARGS(1, 1);
	const char *msg = NT_STR(1, "message");
	log_debug("lua: %s", msg);
	return 0;
}

NT_FN(setLoggingLevel)
{
	static const char *const names[] = {"error", "warning", "normal",
		"info", "debug", "trace", NULL};
	static const enum log_level lv[] = {LOG_LVL_ERROR, LOG_LVL_WARN,
		LOG_LVL_INFO, LOG_LVL_INFO, LOG_LVL_DEBUG, LOG_LVL_DEBUG};
	NT_ARGS(1, 1);
	const char *s = NT_STR(1, "level");
	for (int i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0) {
			log_set_level(lv[i]);
			return 0;
		}
	NT_ERR("unknown level '%s' (error, warning, normal, info, debug, "
	    "trace)", s);
}

NT_FN(syslog)
{
	NT_ARGS(2, 2);
	lua_Integer prio = NT_INT(1, "priority");
	const char *msg = NT_STR(2, "message");
	if (prio < 0 || prio > LOG_DEBUG)
		NT_ERR("priority %lld outside 0..7", (long long)prio);
	syslog(LOG_USER | (int)prio, "netward-lua: %s", msg);
	return 0;
}

/* ---- 28. edition and platform --------------------------------------------- */

#define NT_FALSE(name)                                                     \
	NT_FN(name)                                                        \
	{                                                                  \
		NT_ARGS(0, 0);                                             \
		lua_pushboolean(L, 0);                                     \
		return 1;                                                  \
	}
NT_FALSE(isForcedCommunity)
NT_FALSE(isPro)
NT_FALSE(isEnterprise)
NT_FALSE(isEnterpriseM)
NT_FALSE(isEnterpriseL)
NT_FALSE(isEnterpriseXL)
NT_FALSE(isEnterpriseXXL)
NT_FALSE(isnEdge)
NT_FALSE(isnEdgeEnterprise)
NT_FALSE(isAppliance)
NT_FALSE(isIoTBridge)
NT_FALSE(isWindows)
NT_FALSE(isFreeBSD)
NT_FALSE(hasRadiusSupport)
NT_FALSE(hasLdapSupport)
NT_FALSE(hasSpeedtestSupport)
NT_FALSE(isClickHouseEnabled)
NT_FALSE(isNProbeIPSConfigured)
NT_FALSE(isFlowDedupEnabled)

NT_FN(isLinux)
{
	NT_ARGS(0, 0);
#ifdef __linux__
	lua_pushboolean(L, 1);
#else
	lua_pushboolean(L, 0);
#endif
	return 1;
}

/* Installed from a package: the install dir is not a source checkout. */
NT_FN(isPackage)
{
	char p[PATH_MAX + 16];
	NT_ARGS(0, 0);
	snprintf(p, sizeof p, "%s/meson.build", lw_cfg.install_dir);
	lua_pushboolean(L, access(p, F_OK) != 0);
	return 1;
}

NT_FN(getLicenseLimits)
{
	NT_ARGS(0, 0);
	lua_newtable(L);
	/* No licence: the only limits are those of this build. */
	nt_setint(L, "num_interfaces", LW_MAX_IFACES);
	return 1;
}

/* ---- 29. privilege management ------------------------------------------ */

/* The Lua worker never holds a capability (docs/ARCHITECTURE.md): there
 * is nothing to gain, and dropping is always already done. */
NT_FN(gainWriteCapabilities)
{
	NT_ARGS(0, 0);
	lua_pushboolean(L, 0);
	return 1;
}

NT_FN(dropWriteCapabilities)
{
	NT_ARGS(0, 0);
	lua_pushboolean(L, 1);
	return 1;
}

static const luaL_Reg fns[] = {
	NT_ROW(getDirs), NT_ROW(getInfo), NT_ROW(getUptime),
	NT_ROW(systemHostStat), NT_ROW(threadsInfo), NT_ROW(refreshCPULoad),
	NT_ROW(checkLicense), NT_ROW(getSystemAlertsStats),
	NT_ROW(getCookieAttributes), NT_ROW(getAllPaths),
	NT_ROW(getStartupEpoch), NT_ROW(getStaticFileEpoch),
	NT_ROW(getHttpPrefix), NT_ROW(httpPurifyParam),
	NT_ROW(isShuttingDown), NT_ROW(limitResourcesUsage),
	NT_ROW(getCurrentScriptsDir), NT_ROW(getInstanceName),
	NT_ROW(resetStats), NT_ROW(getDropPoolInfo),
	NT_ROW(traceEvent), NT_ROW(verboseTrace), NT_ROW(setLoggingLevel),
	NT_ROW(syslog),
	NT_ROW(isForcedCommunity), NT_ROW(isPro), NT_ROW(isEnterprise),
	NT_ROW(isEnterpriseM), NT_ROW(isEnterpriseL), NT_ROW(isEnterpriseXL),
	NT_ROW(isEnterpriseXXL), NT_ROW(isnEdge), NT_ROW(isnEdgeEnterprise),
	NT_ROW(isPackage), NT_ROW(isAppliance), NT_ROW(isIoTBridge),
	NT_ROW(isWindows), NT_ROW(isFreeBSD), NT_ROW(isLinux),
	NT_ROW(hasRadiusSupport), NT_ROW(hasLdapSupport),
	NT_ROW(hasSpeedtestSupport), NT_ROW(isClickHouseEnabled),
	NT_ROW(isNProbeIPSConfigured), NT_ROW(isFlowDedupEnabled),
	NT_ROW(getLicenseLimits),
	NT_ROW(gainWriteCapabilities), NT_ROW(dropWriteCapabilities),
	{NULL, NULL},
};

void
ntop_system_register(lua_State *L)
{
	nt_register(L, fns);
}
