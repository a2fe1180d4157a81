/* One RPC from Lua: Lua arguments → msgpack → a peer → Lua values, with
 * the request's identity as ctx. Used for the frontend's user calls; the
 * capture workers' interface.* calls work the same way. */
#define _GNU_SOURCE
#include "lw.h"

#include <lauxlib.h>
#include <string.h>

struct rpc_bufs {
	struct ipc_writer w;
	struct ipc_reply rp;
	bool have_w, have_rp;
};

static int
rpc_bufs_gc(lua_State *L)
{
	struct rpc_bufs *b = lua_touserdata(L, 1);
	if (b->have_w)
		ipc_writer_free(&b->w);
	if (b->have_rp)
		ipc_reply_free(&b->rp);
	b->have_w = b->have_rp = false;
	return 0;
}

/* The buffers live in a userdata so a Lua error anywhere below (a bad
 * argument, a memory limit) still frees them at collection. */
static struct rpc_bufs *
push_bufs(lua_State *L)
{
	struct rpc_bufs *b = lua_newuserdatauv(L, sizeof *b, 0);
	memset(b, 0, sizeof *b);
	if (luaL_newmetatable(L, "netward.rpc_bufs")) {
		lua_pushcfunction(L, rpc_bufs_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
	}
	lua_setmetatable(L, -2);
	ipc_writer_init(&b->w);
	b->have_w = true;
	return b;
}

int
lw_rpc_call(lua_State *L, struct ipc_client *client, const char *method,
    const char *fullname, int nargs)
{
	char err[256];
	while (nargs > 0 && lua_isnil(L, nargs))
		nargs--; /* f(a, nil) is f(a) */
	if (nargs > IPC_MAX_ARGS)
		return luaL_error(L, "%s: too many arguments", fullname);

	struct rpc_bufs *b = push_bufs(L);
	int bidx = lua_gettop(L);
	uint64_t id = ipc_client_next_id(client);
	ipc_request_begin(&b->w, id, method, (uint32_t)nargs);
	for (int i = 1; i <= nargs; i++)
		lw_pack_value(L, &b->w.pk, i, fullname);
	ipc_request_end(&b->w, lw_vm_of(L)->ctx);

	int st = ipc_call(client, &b->w, id, &b->rp, err, sizeof err);
	b->have_rp = true;
	if (st != IPC_OK)
		return luaL_error(L, "%s: %s", fullname, err);
	if (b->rp.status == IPC_ERR_NOT_FOUND) {
		lua_pushnil(L);
		return 1;
	}
	if (b->rp.status != IPC_OK) {
		const char *msg = b->rp.error[0] ? b->rp.error :
		    ipc_status_name(b->rp.status);
		/* a capture worker names its method; an ntop.* function that
		 * calls one is named first, so the error says whose it is */
		if (strncmp(fullname, "ntop.", 5) == 0)
			return luaL_error(L, "%s: %s", fullname, msg);
		return luaL_error(L, "%s", msg);
	}
	lw_push_object(L, b->rp.result);
	lua_pushcfunction(L, rpc_bufs_gc); /* free now, not at next GC */
	lua_pushvalue(L, bidx);
	lua_call(L, 1, 0);
	return 1;
}
