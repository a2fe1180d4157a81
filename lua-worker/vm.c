/* One Lua VM per serving thread, with a memory cap (custom allocator) and
 * an instruction and wall-clock budget per request (count hook). */
#include "lw.h"
#include "log.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#define HOOK_EVERY 1000 /* instructions between two hook calls */

static void *
limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct lw_vm *vm = ud;

	if (ptr == NULL)
		osize = 0; /* Lua 5.4 passes a type tag here, not a size */
	if (nsize == 0) {
		free(ptr);
		vm->mem_used -= osize;
		return NULL;
	}
	if (nsize > osize && vm->mem_used - osize + nsize > vm->mem_limit)
		return NULL; /* Lua raises "not enough memory" */
	void *p = realloc(ptr, nsize);
	if (p == NULL)
		return NULL;
	vm->mem_used = vm->mem_used - osize + nsize;
	return p;
}

static int
on_panic(lua_State *L)
{
	const char *msg = lua_tostring(L, -1);
	log_error("lua panic: %s", msg ? msg : "(no message)");
	abort();
}

struct lw_vm *
lw_vm_of(lua_State *L)
{
	void *ud;
	lua_getallocf(L, &ud);
	return ud;
}

static bool
past_deadline(const struct lw_vm *vm)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > vm->deadline.tv_sec ||
	    (now.tv_sec == vm->deadline.tv_sec &&
		now.tv_nsec >= vm->deadline.tv_nsec);
}

static void
count_hook(lua_State *L, lua_Debug *ar)
{
	struct lw_vm *vm = lw_vm_of(L);

	vm->insn_used += HOOK_EVERY;
	bool late = past_deadline(vm);
	bool stopping = vm->periodic && lw_shutting_down;
	if (vm->insn_exceeded || vm->insn_used > vm->insn_limit || late ||
	    stopping) {
		/* From now on fire at every instruction, so a script that
		 * catches the error with pcall cannot keep running. */
		if (!vm->insn_exceeded) {
			vm->insn_exceeded = true;
			lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
		}
		luaL_error(L, "instruction limit exceeded%s", stopping
		    ? " (worker stopping)" : late ? " (deadline passed)" : "");
	}
}

void
lw_vm_begin_limits(struct lw_vm *vm)
{
	vm->insn_used = 0;
	vm->insn_exceeded = false;
	clock_gettime(CLOCK_MONOTONIC, &vm->deadline);
	vm->deadline.tv_sec += lw_vm_budget_sec(vm);
	lua_sethook(vm->L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
}

int
lw_vm_budget_sec(const struct lw_vm *vm)
{
	return vm->timeout_sec > 0 ? vm->timeout_sec : lw_cfg.timeout_sec;
}

void
lw_vm_end_limits(struct lw_vm *vm)
{
	lua_sethook(vm->L, NULL, 0, 0);
	vm->insn_exceeded = false;
}

struct lw_vm *
lw_vm_new(void)
{
	struct lw_vm *vm = calloc(1, sizeof *vm);
	if (vm == NULL)
		return NULL;
	vm->mem_limit = lw_cfg.mem_limit;
	vm->insn_limit = lw_cfg.insn_limit;
	vm->selected_iface = -1;
	vm->env_ref = LUA_NOREF;
	vm->loaded_ref = LUA_NOREF;
	vm->L = lua_newstate(limited_alloc, vm);
	if (vm->L == NULL) {
		free(vm);
		return NULL;
	}
	lua_atpanic(vm->L, on_panic);
	/* The real libraries stay in this state's globals as the source
	 * the per-request whitelist copies from; scripts never see them. */
	luaL_openlibs(vm->L);
	/* Hide the string metatable: its __index is the real string
	 * library, shared by every request of this state. */
	lua_pushliteral(vm->L, "");
	if (lua_getmetatable(vm->L, -1)) {
		lua_pushboolean(vm->L, 0);
		lua_setfield(vm->L, -2, "__metatable");
		lua_pop(vm->L, 1);
	}
	lua_pop(vm->L, 1);
	/* Generational GC suits the many short-lived request tables. */
	lua_gc(vm->L, LUA_GCGEN, 0, 0);
	return vm;
}

void
lw_vm_free(struct lw_vm *vm)
{
	if (vm == NULL)
		return;
	lw_redis_close(vm);
	lua_close(vm->L);
	free(vm);
}

/* ---- lw_buf ----------------------------------------------------------- */

bool
lw_buf_append(struct lw_buf *b, const char *s, size_t n)
{
	if (n > b->limit - b->len)
		return false;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->data, cap);
		if (p == NULL)
			return false;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

void
lw_buf_reset(struct lw_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
lw_buf_free(struct lw_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
