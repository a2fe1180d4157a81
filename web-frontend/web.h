/* netward-web: the HTTPS frontend. It authenticates every request, serves
 * httpdocs/ and forwards /lua/... to the Lua workers over NNG.
 *
 * Everything here runs on the one h2o event-loop thread, except the NNG
 * completion callback of forward.c, which only hands its result over. */
#ifndef NETWARD_WEB_H
#define NETWARD_WEB_H

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "rpc.h"

#define WEB_MAX_LUA_SOCKETS 32
#define WEB_MAX_INFLIGHT_PER_CLIENT 64 /* Lua requests of one address */
#define WEB_SESSION_TTL 28800 /* seconds: 8 hours, as Max-Age */
#define WEB_DEFAULT_PORT "3000"

struct web_config {
	const char *listen_addr; /* numeric host, NULL = all addresses */
	const char *listen_port;
	const char *data_dir;
	const char *cert_file;
	const char *key_file;
	const char *lua_sockets[WEB_MAX_LUA_SOCKETS];
	int n_lua_sockets;
	int lua_timeout_ms;
	const char *redis_path;
	const char *httpdocs;
	const char *admin_password_file;
	const char *users_socket; /* REP for the Lua workers' ntop.* user calls */
	int secrets_fd;		  /* --secrets-fd, -1 if none */
	bool disable_login;
	size_t max_body;
};

/* The authenticated caller, as read from Redis for this request. */
struct web_user {
	char name[IPC_CTX_USER_MAX];
	char group[32];
	char allowed_nets[IPC_CTX_NETS_MAX];
	char allowed_ifname[64];
	bool via_cookie;	/* a browser session: CSRF applies */
	char csrf[33];		/* the session's CSRF token */
};

/* ---- tls.c: certificate and SSL_CTX ---------------------------------- */

/* Creates cert and key (self-signed) when neither file exists yet. */
int web_tls_ensure_cert(const char *cert_file, const char *key_file);
SSL_CTX *web_tls_context(const char *cert_file, const char *key_file);

/* ---- store.c: the Redis connection ----------------------------------- */

/* The Redis ACL user and password (empty: no AUTH); before open. */
void web_store_set_auth(const char *user, const char *password);
int web_store_open(const char *unix_path);
void web_store_close(void);
/* GET key into buf. 1 found, 0 absent, -1 Redis error or value too long
 * (a value that does not fit is never silently truncated). */
int web_store_get(const char *key, char *buf, size_t bufsize);
/* SET key value [EX ttl] [NX]. 1 set, 0 not set (NX and key exists), -1. */
int web_store_set(const char *key, const char *value, int ttl_s, bool nx);
int web_store_del(const char *key);
/* INCR key and set its TTL; returns the new value or -1. */
long long web_store_incr_ttl(const char *key, int ttl_s);
bool web_store_unreachable(void);
int web_store_scan(const char *pattern,
    void (*fn)(const char *key, void *arg), void *arg);

/* ---- auth.c: users, passwords, sessions, tokens ---------------------- */

int web_auth_init(const struct web_config *cfg);
void web_auth_dispose(void);
bool web_user_name_valid(const char *name);
bool web_user_key(char *key, size_t keysize, const char *name,
    const char *field);
/* prefix + SHA-256 hex of secret: the Redis key of a session or token. */
void web_secret_key(char *key, size_t keysize, const char *prefix,
    const char *secret);
int web_password_hash(const char *password, char *out, size_t outsize);
/* Loads group and permissions of an existing user; false if unknown. */
bool web_user_load(const char *name, struct web_user *u);
/* Checks a password against the stored yescrypt hash (constant time). */
bool web_password_check(const char *user, const char *password);
/* Creates a session for user; writes its id into id (65 bytes). */
int web_session_create(const char *user, char *id, size_t idsize);
/* 1 valid (user filled), 0 invalid, -1 Redis error. */
int web_session_lookup(const char *id, char *user, size_t usersize);
void web_session_delete(const char *id);
int web_token_lookup(const char *token, char *user, size_t usersize);
/* Failed-login throttle per client address. */
bool web_login_blocked(const char *remote_addr);
void web_login_failed(const char *remote_addr);
bool web_login_user_blocked(const char *user);
void web_login_user_failed(const char *user);

bool web_login_disabled(void);

/* ---- identity.c: the MACed identity of forwarded requests ------------ */

/* key: the supervisor's (shared with the capture workers), or NULL for a
 * random one that only this process knows. */
int web_identity_init(const uint8_t *key);
void web_identity_sign(struct ipc_ctx *ctx, unsigned ttl_s);
bool web_identity_verify(const struct ipc_ctx *ctx);
/* The CSRF token of a session: a MAC of its id, so nothing is stored. */
void web_csrf_token(const char *session_id, char out[33]);
/* True when req carries the caller's CSRF token (X-CSRF-Token header,
 * or a csrf field in the query or a form body). */
bool web_csrf_present(h2o_req_t *req, const struct web_user *u);

/* ---- lua_links.c: connections to the Lua workers (loop thread) ------- */

/* body: the reply envelope's bytes (valid during the call), or NULL with
 * status and err when there is none. */
typedef void (*web_lua_done_fn)(void *arg, const uint8_t *body, size_t len,
    int status, const char *err);
struct web_lua_call;
int web_lua_links_init(h2o_evloop_t *loop, const struct web_config *cfg);
/* Sends the request in w; done runs once, on the loop thread, unless the
 * call is cancelled first. NULL: not sent (done will not run). */
struct web_lua_call *web_lua_call(const struct ipc_writer *w,
    web_lua_done_fn done, void *arg);
/* The request went away or timed out: done will not run. */
void web_lua_call_cancel(struct web_lua_call *call);
void web_lua_links_shutdown(void);

/* ---- users_rpc.c: user management for the Lua workers ---------------- */

/* listen opens the socket; serve, once sandboxed, answers on it */
int web_users_rpc_listen(const char *url);
void web_users_rpc_serve(void);
void web_users_rpc_stop(void);

/* ---- users.c: user records in Redis ---------------------------------- */

struct web_new_user {
	const char *name, *full_name, *password, *group, *allowed_nets,
	    *allowed_ifname, *language;
	bool allow_pcap, allow_historical, allow_alerts;
};

bool web_group_valid(const char *group);
bool web_nets_valid(const char *nets);
bool web_user_exists(const char *user);
/* These return NULL on success or why not. */
const char *web_user_add(const struct web_new_user *nu);
const char *web_user_set_attribute(const char *user, const char *field,
    const char *value);
int web_user_set_password(const char *user, const char *password);
int web_user_delete(const char *user);
int web_user_new_token(const char *user, char *out, size_t outsize);
/* 1 found, 0 absent, -1 error (as web_store_get). */
int web_user_get(const char *user, const char *field, char *out,
    size_t outsize);

/* ---- totp.c: RFC 6238 one-time codes --------------------------------- */

int web_totp_new_secret(char *out, size_t outsize); /* base32, 33 bytes */
int web_totp_code(const char *secret, uint64_t unix_time); /* -1 on error */
bool web_totp_valid(const char *secret, const char *code,
    uint64_t unix_time);
int web_totp_uri(const char *user, const char *secret, char *out,
    size_t outsize);

/* ---- credentials.c: what a request offers ---------------------------- */

/* Outcome of authenticating a request. */
enum web_auth_result {
	WEB_AUTH_OK,
	WEB_AUTH_NONE,	  /* no credentials offered */
	WEB_AUTH_DENIED,  /* credentials offered and refused */
	WEB_AUTH_BACKEND, /* Redis unreachable: cannot decide */
};

/* Authenticates req from its cookie or Authorization header. */
enum web_auth_result web_authenticate(h2o_req_t *req, struct web_user *u,
    bool *had_cookie);
/* Finds cookie name in the request; returns its value or NULL. */
const char *web_cookie_get(h2o_req_t *req, const char *name, size_t *len);

/* ---- login.c: /authorize.html and /logout.html ----------------------- */

int web_login_post(h2o_req_t *req);
int web_logout(h2o_req_t *req);

/* ---- forward.c: /lua/... to the Lua workers -------------------------- */

int web_forward_init(h2o_context_t *ctx, const struct web_config *cfg);
void web_forward_shutdown(void);
bool web_lua_path_valid(const char *path, size_t len);
int web_forward(h2o_req_t *req, const struct web_user *u);

/* ---- client_limit.c: Lua requests in flight per client address ------- */

bool web_client_acquire(const char *addr); /* false: answer 429 */
void web_client_release(const char *addr);

/* ---- headers.c: security headers, access log, canned replies --------- */

void web_headers_register(h2o_pathconf_t *pc);
const char *web_status_reason(int status);
void web_remote_addr(h2o_req_t *req, char *buf, size_t bufsize);
/* Records the user for the access log line. */
void web_note_user(h2o_req_t *req, const char *user);
/* {"rc":...,"rc_str":...} error reply, as ntopng's rest_utils. */
void web_reply_json_error(h2o_req_t *req, int http_status, int rc,
    const char *rc_str, const char *rc_str_hr);
void web_reply_redirect(h2o_req_t *req, const char *location);
/* Percent-encodes all but [A-Za-z0-9/._-]; stops short rather than
 * overflow out. */
void web_url_encode(const char *in, char *out, size_t outsize);

/* ---- router.c: which request goes where ------------------------------ */

void web_router_register(h2o_hostconf_t *host, const struct web_config *cfg);

#endif
