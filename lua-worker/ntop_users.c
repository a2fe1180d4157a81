/* ntop.* user management and MFA (spec sections 7 and 8).
 *
 * The credentials are the frontend's: every call here is an RPC to it
 * (--web-socket) carrying the request's MACed identity, and the frontend
 * decides in C what this caller may do. Nothing here reads a user key from
 * Redis. A few answers come from the caller's own identity. */
#define _GNU_SOURCE
#include "lw.h"
#include "ntop.h"

#include <lauxlib.h>
#include <string.h>

static struct ipc_client web_client;
static bool web_open;

void
lw_web_open(void)
{
	if (lw_cfg.web_url == NULL)
		return;
	if (ipc_client_open(&web_client, LW_RPC_TIMEOUT_MS) != 0 ||
	    ipc_client_dial(&web_client, lw_cfg.web_url) != 0)
		return;
	web_open = true;
}

void
lw_web_close(void)
{
	if (web_open)
		ipc_client_close(&web_client);
	web_open = false;
}

static int
web_call(lua_State *L)
{
	const char *name = lua_tostring(L, lua_upvalueindex(1));
	const char *fullname = lua_tostring(L, lua_upvalueindex(2));
	if (!web_open)
		return luaL_error(L, "%s: user management is served by the "
		    "web frontend, and this worker has no --web-socket",
		    fullname);
	return lw_rpc_call(L, &web_client, name, fullname, lua_gettop(L));
}

static const char *const web_methods[] = {
	"addUser", "deleteUser", "resetUserPassword", "changeUserRole",
	"changeAllowedNets", "changeAllowedIfname", "changeUserHostPool",
	"changeAllowedHostPools", "changeUserFullName", "changeUserLanguage",
	"changePcapDownloadPermission", "changeHistoricalFlowPermission",
	"changeAlertsPermission", "getUsers", "createUserSession",
	"createUserAPIToken", "getUserAPIToken", "isLoginBlacklisted",
	"isLoginDisabled", "isPcapDownloadAllowed", "generateTOTPSecret",
	"setUserTOTPSecret", "getUserTOTPSecret", "isTOTPEnabled",
	"setUserTOTPEnabled", "validateTOTP", "getTOTPProvisioningUri",
	"getAllowedHostPools", "getUserObservationPointId",
	NULL,
};

static const struct ipc_ctx *
caller(lua_State *L)
{
	static const struct ipc_ctx nobody;
	const struct ipc_ctx *ctx = lw_vm_of(L)->ctx;
	return ctx != NULL ? ctx : &nobody;
}

static int
l_isAdministrator(lua_State *L)
{
	NT_ARGS(0, 0);
	lua_pushboolean(L, strcmp(caller(L)->group, "administrator") == 0);
	return 1;
}

/* ntopng's name for the identity of requests when login is disabled. */
static int
l_getNologinUser(lua_State *L)
{
	NT_ARGS(0, 0);
	lua_pushstring(L, "nologin");
	return 1;
}

/* The caller's networks as a list of CIDR strings; empty = all. */
static int
l_getAllowedNetworks(lua_State *L)
{
	NT_ARGS(0, 0);
	char nets[IPC_CTX_NETS_MAX], *save = NULL;
	snprintf(nets, sizeof nets, "%s", caller(L)->allowed_nets);
	lua_newtable(L);
	int i = 1;
	for (char *t = strtok_r(nets, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		if (*t == '\0')
			continue;
		lua_pushstring(L, t);
		lua_rawseti(L, -2, i++);
	}
	return 1;
}

/* ntopng restricts the web UI to an address list (--http-allowed-hosts
 * style); netward's frontend has no such list, so never. */
static int
l_isGuiAccessRestricted(lua_State *L)
{
	NT_ARGS(0, 0);
	lua_pushboolean(L, 0);
	return 1;
}

void
lw_ntop_users_register(lua_State *L)
{
	for (const char *const *m = web_methods; *m; m++) {
		lua_pushstring(L, *m);
		lua_pushfstring(L, "ntop.%s", *m);
		lua_pushcclosure(L, web_call, 2);
		lua_setfield(L, -2, *m);
	}
	lua_pushcfunction(L, l_isAdministrator);
	lua_setfield(L, -2, "isAdministrator");
	lua_pushcfunction(L, l_getNologinUser);
	lua_setfield(L, -2, "getNologinUser");
	lua_pushcfunction(L, l_getAllowedNetworks);
	lua_setfield(L, -2, "getAllowedNetworks");
	lua_pushcfunction(L, l_isGuiAccessRestricted);
	lua_setfield(L, -2, "isGuiAccessRestricted");
}
