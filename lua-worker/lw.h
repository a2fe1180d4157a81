/* netward-lua: shared declarations of the Lua worker.
 *
 * One lua_State per serving thread (struct lw_vm). Every request gets a
 * fresh environment table built from a whitelist, so nothing a script
 * does survives into the next request. interface.* calls go to the
 * capture worker that owns the selected interface; ntop.* calls are local
 * (Redis, directories, process info). */
#ifndef NETWARD_LW_H
#define NETWARD_LW_H

#include "envelope.h"
#include "rpc.h"

#include <lua.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct redisContext;

#define LW_MAX_IFACES 64
#define LW_DEFAULT_MEM_LIMIT (256u * 1024 * 1024)
#define LW_DEFAULT_INSN_LIMIT 200000000ULL /* VM instructions per request */
#define LW_DEFAULT_TIMEOUT_SEC 60	   /* wall clock per request */
#define LW_MAX_BODY (32u * 1024 * 1024)	   /* bytes a script may print */
#define LW_RPC_TIMEOUT_MS 15000

/* One capture worker as given by --interface IFID:NAME:URL. */
struct lw_iface {
	int ifid;
	char name[64];
	char url[256];
	struct ipc_client client;
	bool open;
};

/* Process-wide configuration, read-only once serving starts. */
struct lw_config {
	int id;
	const char *socket_url;
	const char *data_socket_url; /* unix://: the frontend's requests */
	const char *redis_path;
	const char *web_url;	/* the frontend's user-management socket */
	char redis_user[32];	/* from --secrets-fd; "" = no AUTH */
	char redis_password[80];
	char install_dir[4096]; /* realpath */
	char scripts_dir[4096]; /* <install>/scripts/lua, realpath */
	char modules_dir[4096]; /* <scripts_dir>/modules, realpath */
	char data_dir[4096];
	char bin_dir[4096];	/* of our executable, read once ("" unknown) */
	int threads;
	size_t mem_limit;
	uint64_t insn_limit;
	int timeout_sec;
	time_t start_time;
	struct lw_iface ifaces[LW_MAX_IFACES];
	int n_ifaces;
	/* --periodic: runs scripts/callbacks/ on schedule (periodic.c) */
	bool periodic;
	int minute_sec;		/* 60; --minute-seconds for tests */
	bool has_identity_key;	/* only the periodic worker gets it */
	uint8_t identity_key[32];
};

extern struct lw_config lw_cfg;

/* A growable byte buffer, bounded by limit. */
struct lw_buf {
	char *data;
	size_t len, cap, limit;
};
bool lw_buf_append(struct lw_buf *b, const char *s, size_t n);
void lw_buf_reset(struct lw_buf *b);
void lw_buf_free(struct lw_buf *b);

#define LW_MAX_HEADERS 16

/* What a request produced, filled by the script via the http module. */
struct lw_response {
	int status;
	char content_type[128];
	int n_headers;
	char header_name[LW_MAX_HEADERS][64];
	char header_value[LW_MAX_HEADERS][256];
	struct lw_buf body;
};

/* One Lua VM with its limits and per-request state. */
struct lw_vm {
	lua_State *L;
	size_t mem_used, mem_limit;
	uint64_t insn_used, insn_limit;
	bool insn_exceeded;
	struct timespec deadline;
	int timeout_sec;	/* budget of the current run; 0 = lw_cfg's */
	bool periodic;		/* a periodic script: SIGTERM stops it */
	struct redisContext *redis;
	/* per request */
	const struct ipc_ctx *ctx;
	int selected_iface; /* index into lw_cfg.ifaces, -1 = none */
	int env_ref;	    /* LUA_NOREF outside a request */
	int loaded_ref;	    /* module cache of the current request */
	struct lw_response *resp;
};

/* vm.c: state creation, limits */
struct lw_vm *lw_vm_new(void);
void lw_vm_free(struct lw_vm *vm);
struct lw_vm *lw_vm_of(lua_State *L);
void lw_vm_begin_limits(struct lw_vm *vm);
void lw_vm_end_limits(struct lw_vm *vm);

/* sandbox.c: the per-request environment */
/* Pushes a fresh request environment and remembers it in vm->env_ref. */
void lw_env_push_new(lua_State *L);
void lw_env_release(lua_State *L);
/* Loads a text-only file with _ENV = the current request env. Returns a
 * lua_load status, function or error message on the stack. */
int lw_load_file_in_env(lua_State *L, const char *path, const char *chunkname);
/* require(name) of the request env: pushes the module value. */
int lw_require(lua_State *L);
/* Pushes a table with the names every environment has (base functions,
 * library views, print, require): a request's, a shared module's. */
void lw_env_push_base(lua_State *L);
/* As lw_load_file_in_env, with the table at envidx as _ENV. */
int lw_load_file_with_env(lua_State *L, const char *path, int envidx);
/* The module file of name in the modules dir, package.path ignored. */
bool lw_find_default_module(const char *name, char *real, size_t realsize);

/* shared_modules.c: modules loaded once per VM, frozen, shared by its
 * requests (dkjson, rest_utils, lua_utils) */
bool lw_shared_module(const char *name);
/* Pushes the frozen module value; copies the globals it defines into the
 * current request's environment. */
int lw_shared_require(lua_State *L, const char *name);
bool lw_is_frozen(lua_State *L, int idx);
/* rawset that refuses frozen tables (the environments' rawset). */
int lw_guarded_rawset(lua_State *L);
/* json_encode.c: pushes dkjson's C encoder (value -> string | nil). */
void lw_push_json_encode(lua_State *L);

/* marshal.c: Lua <-> msgpack */
/* Packs the value at idx; on an unsupported value raises a Lua error
 * naming fname. */
void lw_pack_value(lua_State *L, msgpack_packer *pk, int idx,
    const char *fname);
void lw_push_object(lua_State *L, const msgpack_object *o);

/* iface_bindings.c / ntop_bindings.c / http_module.c: push the tables */
void lw_push_interface_table(lua_State *L);
/* Adds the interface.* functions of absent subsystems (iface_absent.c) to
 * the table on top of the stack. */
void lw_push_iface_absent(lua_State *L);
/* remote_call.c: Lua args 1..nargs → method on client → pushes 1 value. */
int lw_rpc_call(lua_State *L, struct ipc_client *client, const char *method,
    const char *fullname, int nargs);
/* ntop_users.c: user management, an RPC to the frontend. */
void lw_web_open(void);
void lw_web_close(void);
void lw_ntop_users_register(lua_State *L); /* into the table on top */
void lw_push_ntop_table(lua_State *L);
/* ntop_*.c: the ntop table is split by section (ntop.h). Settings and
 * state they take from main.c: */
void lw_set_local_networks(const char *cidrs); /* --local-nets */
void lw_set_dns_server(const char *addr_port); /* --dns-server */
extern volatile sig_atomic_t lw_shutting_down;  /* set on SIGTERM */
void lw_push_http_module(lua_State *L);
/* The one http table of this VM that shared modules receive. */
void lw_push_shared_http_module(lua_State *L);
void lw_ifaces_open(void);
void lw_ifaces_close(void);
/* Index into lw_cfg.ifaces of interface ifid when the caller may see
 * it, else -1. */
int lw_iface_index(lua_State *L, lua_Integer ifid);
/* ntop_common.c: path confinement without a Lua error: true when path
 * resolves (symlinks followed, no "..") into the data dir, or for reading
 * into the install dir; out receives the resolved path. */
bool lw_confine_path(const char *path, bool write, char *out,
    size_t outsize);
bool lw_path_allowed(const char *resolved, bool write);
/* The selected interface; raises "interface.<fname>: no interface
 * selected" when there is none. */
struct lw_iface *lw_iface_selected(lua_State *L, const char *fname);
/* iface_rrd_queue.c: interface.rrd_* and appendInfluxDB into the table
 * on top of the stack. */
void lw_iface_rrd_queue_register(lua_State *L);
/* ntop_stats.c: closes the historical statistics database. */
void lw_stats_close(void);

/* redis_conn.c: a connection per vm, reconnected on failure. Raises a
 * Lua error naming fname when Redis cannot answer or answers an error.
 * The reply is owned by a userdata pushed on the stack; lw_redis_done()
 * frees it at once and removes that userdata. */
struct redisReply;
struct redisReply *lw_redis_command(lua_State *L, const char *fname,
    int argc, const char **argv, const size_t *argvlen);
void lw_redis_done(lua_State *L, int boxidx);
void lw_redis_close(struct lw_vm *vm);

/* http_runner.c */
struct lw_http_request {
	const char *method;
	const char *path;
	const char *query;
	size_t query_len;
	const char *body;
	size_t body_len;
	const char *content_type;
	const struct ipc_ctx *ctx;
};
/* Runs one request; always fills resp (status 404/500 on failure).
 * script: the file to run, or NULL to map rq->path into the scripts
 * tree. err (may be NULL) receives the Lua error message, "" if none. */
/* The timeout of the run in progress on vm, seconds. */
int lw_vm_budget_sec(const struct lw_vm *vm);

/* periodic.c: the scheduler thread of --periodic */
int lw_periodic_start(void);
void lw_periodic_stop(void);

void lw_http_run(struct lw_vm *vm, const struct lw_http_request *rq,
    const char *script, struct lw_response *resp, char *err, size_t errlen);
/* Maps /lua/<p>.lua to a real path inside the scripts dir; false when
 * refused or absent. */
bool lw_resolve_script(const char *urlpath, char *out, size_t outsize);
void lw_response_init(struct lw_response *r);
void lw_response_free(struct lw_response *r);

/* params.c: application/x-www-form-urlencoded into the table at idx.
 * Returns false when a bound is exceeded. */
bool lw_parse_urlencoded(lua_State *L, int idx, const char *s, size_t len);

#endif
