/* One Redis connection per VM (hiredis contexts are not thread-safe),
 * over the unix socket given by --redis. A broken connection is dropped
 * and redialled once before the command fails with a Lua error. */
#include "lw.h"
#include "log.h"

#include <hiredis.h>
#include <lauxlib.h>
#include <string.h>

#define REDIS_TIMEOUT_SEC 5
#define REPLY_BOX "netward.redis_reply"

static bool
connect_redis(struct lw_vm *vm, char *err, size_t errlen)
{
	struct timeval tv = {REDIS_TIMEOUT_SEC, 0};

	lw_redis_close(vm);
	vm->redis = redisConnectUnixWithTimeout(lw_cfg.redis_path, tv);
	if (vm->redis == NULL || vm->redis->err) {
		snprintf(err, errlen, "cannot connect to Redis at %s: %s",
		    lw_cfg.redis_path,
		    vm->redis ? vm->redis->errstr : "out of memory");
		lw_redis_close(vm);
		return false;
	}
	redisSetTimeout(vm->redis, tv);
	if (lw_cfg.redis_user[0] != '\0') {
		/* This role's ACL user: no credential key is reachable. */
		redisReply *r = redisCommand(vm->redis, "AUTH %s %s",
		    lw_cfg.redis_user, lw_cfg.redis_password);
		bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;
		if (r != NULL)
			freeReplyObject(r);
		if (!ok) {
			snprintf(err, errlen, "Redis refused the Lua worker's "
			    "credentials");
			lw_redis_close(vm);
			return false;
		}
	}
	return true;
}

void
lw_redis_close(struct lw_vm *vm)
{
	if (vm->redis != NULL) {
		redisFree(vm->redis);
		vm->redis = NULL;
	}
}

static int
reply_box_gc(lua_State *L)
{
	redisReply **box = lua_touserdata(L, 1);
	if (*box != NULL) {
		freeReplyObject(*box);
		*box = NULL;
	}
	return 0;
}

/* The reply lives in a userdata left on the stack, so a Lua error while
 * the caller converts it cannot leak it. */
static redisReply **
push_reply_box(lua_State *L)
{
	redisReply **box = lua_newuserdatauv(L, sizeof *box, 0);
	*box = NULL;
	if (luaL_newmetatable(L, REPLY_BOX)) {
		lua_pushcfunction(L, reply_box_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
	}
	lua_setmetatable(L, -2);
	return box;
}

struct redisReply *
lw_redis_command(lua_State *L, const char *fname, int argc,
    const char **argv, const size_t *argvlen)
{
	struct lw_vm *vm = lw_vm_of(L);
	char err[512];
	redisReply *r = NULL;

	if (lw_cfg.redis_path == NULL)
		luaL_error(L, "%s: no Redis configured (--redis)", fname);
	redisReply **box = push_reply_box(L);
	for (int attempt = 0; attempt < 2 && r == NULL; attempt++) {
		if ((vm->redis == NULL || vm->redis->err) &&
		    !connect_redis(vm, err, sizeof err))
			continue;
		r = redisCommandArgv(vm->redis, argc, argv, argvlen);
		if (r == NULL) {
			snprintf(err, sizeof err, "Redis: %s",
			    vm->redis->errstr);
			lw_redis_close(vm);
		}
	}
	if (r == NULL) {
		log_warn("%s: %s", fname, err);
		luaL_error(L, "%s: %s", fname, err);
	}
	*box = r;
	if (r->type == REDIS_REPLY_ERROR)
		luaL_error(L, "%s: Redis error: %s", fname, r->str);
	return r;
}

/* Frees the reply now and pops its box (the value the caller pushed
 * after it stays on top). */
void
lw_redis_done(lua_State *L, int boxidx)
{
	lua_pushcfunction(L, reply_box_gc);
	lua_pushvalue(L, boxidx);
	lua_call(L, 1, 0);
	lua_remove(L, boxidx);
}
