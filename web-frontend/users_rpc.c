/* User management for the Lua workers (ntop.addUser and friends).
 *
 * Credentials live only here: a Lua worker cannot read them from Redis, it
 * asks. Every call must carry an identity this frontend minted (its MAC
 * checks, it has not expired), and the table below says what each caller
 * may do: administrators anything, a user only what concerns itself.
 * This is checked in C, whatever a script claims. */
#include "web.h"

#include "log.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum access {
	ANY,	/* any authenticated caller */
	SELF,	/* the user named by argument 1, or an administrator */
	ADMIN,	/* administrators only */
};

struct call {
	const struct ipc_request *rq;
	struct ipc_writer *w;
	char arg[4][512]; /* string arguments, NUL-checked */
	bool flag[4];	  /* boolean arguments */
	bool admin;
};

typedef void (*rpc_fn)(struct call *c, const char *attr);

struct method {
	const char *name;
	int min_args, max_args;
	enum access access;
	rpc_fn fn;
	const char *attr; /* the user field an attribute setter writes */
};

static struct ipc_server users_server;
static bool users_server_running;

static void
reply_bool(struct call *c, bool v)
{
	ipc_reply_begin(c->w, c->rq->id);
	if (v)
		msgpack_pack_true(&c->w->pk);
	else
		msgpack_pack_false(&c->w->pk);
}

static void
reply_int(struct call *c, int64_t v)
{
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_int64(&c->w->pk, v);
}

static void
reply_str(struct call *c, const char *s)
{
	ipc_reply_begin(c->w, c->rq->id);
	if (s == NULL)
		msgpack_pack_nil(&c->w->pk);
	else
		ipc_pack_str(&c->w->pk, s);
}

static void
fail(struct call *c, int status, const char *why)
{
	ipc_reply_error(c->w, c->rq->id, status, "ntop.%s: %s", c->rq->method,
	    why);
}

static void
set_attribute(struct call *c, const char *attr)
{
	if (!web_user_exists(c->arg[0])) {
		fail(c, IPC_ERR_NOT_FOUND, "no such user");
		return;
	}
	const char *why = web_user_set_attribute(c->arg[0], attr, c->arg[1]);
	if (why != NULL) {
		fail(c, IPC_ERR_BAD_REQUEST, why);
		return;
	}
	log_info("user %s: %s changed by %s", c->arg[0], attr,
	    c->rq->ctx.user);
	reply_bool(c, true);
}

static void
set_permission(struct call *c, const char *attr)
{
	snprintf(c->arg[1], sizeof c->arg[1], "%d", c->flag[1] ? 1 : 0);
	set_attribute(c, attr);
}

static void
add_user(struct call *c, const char *attr)
{
	struct web_new_user nu = {
		.name = c->arg[0], .full_name = c->arg[1],
		.password = c->arg[2], .group = c->arg[3],
	};
	char nets[IPC_CTX_NETS_MAX] = "", ifname[64] = "", lang[16] = "";
	const msgpack_object *a = c->rq->args;
	uint32_t n = c->rq->nargs;
	if ((n > 4 && !ipc_obj_is_nil(&a[4]) &&
	     !ipc_obj_strcpy(&a[4], nets, sizeof nets)) ||
	    (n > 5 && !ipc_obj_is_nil(&a[5]) &&
	     !ipc_obj_strcpy(&a[5], ifname, sizeof ifname)) ||
	    (n > 7 && !ipc_obj_is_nil(&a[7]) &&
	     !ipc_obj_strcpy(&a[7], lang, sizeof lang))) {
		fail(c, IPC_ERR_BAD_REQUEST, "bad argument");
		return;
	}
	nu.allowed_nets = nets;
	nu.allowed_ifname = ifname;
	nu.language = lang;
	bool *perm[] = {&nu.allow_pcap, &nu.allow_historical,
	    &nu.allow_alerts};
	for (uint32_t i = 8; i < n && i < 11; i++)
		if (!ipc_obj_is_nil(&a[i]) && !ipc_obj_bool(&a[i], perm[i - 8])) {
			fail(c, IPC_ERR_BAD_REQUEST, "permissions are booleans");
			return;
		}
	const char *why = web_user_add(&nu);
	if (why != NULL) {
		fail(c, IPC_ERR_BAD_REQUEST, why);
		return;
	}
	reply_bool(c, true);
}

static void
delete_user(struct call *c, const char *attr)
{
	if (strcmp(c->arg[0], c->rq->ctx.user) == 0) {
		fail(c, IPC_ERR_DENIED, "a user cannot delete itself");
		return;
	}
	reply_bool(c, web_user_delete(c->arg[0]) == 0);
}

/* resetUserPassword(who, username, old_password, new_password): a user
 * changes its own password by proving the old one; an administrator may
 * set anyone's. */
static void
reset_password(struct call *c, const char *attr)
{
	const char *user = c->arg[1];
	if (!web_user_exists(user)) {
		fail(c, IPC_ERR_NOT_FOUND, "no such user");
		return;
	}
	bool own = strcmp(user, c->rq->ctx.user) == 0;
	if (!c->admin && !own) {
		fail(c, IPC_ERR_DENIED, "not your account");
		return;
	}
	if (!c->admin && !web_password_check(user, c->arg[2])) {
		fail(c, IPC_ERR_DENIED, "old password does not match");
		return;
	}
	bool ok = web_user_set_password(user, c->arg[3]) == 0;
	OPENSSL_cleanse(c->arg[2], sizeof c->arg[2]);
	OPENSSL_cleanse(c->arg[3], sizeof c->arg[3]);
	if (ok)
		log_info("password of %s changed by %s", user,
		    c->rq->ctx.user);
	reply_bool(c, ok);
}

static void
pack_user(msgpack_packer *pk, const char *name)
{
	static const char *const fields[] = {"full_name", "group",
	    "allowed_nets", "allowed_ifname", "language", "host_pool_id",
	    "allowed_host_pools", "allow_pcap_download",
	    "allow_historical_flows", "allow_alerts", "totp_enabled"};
	char val[IPC_CTX_NETS_MAX];
	size_t n = 1;
	bool have[sizeof fields / sizeof *fields];
	char vals[sizeof fields / sizeof *fields][IPC_CTX_NETS_MAX];
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		have[i] = web_user_get(name, fields[i], val, sizeof val) == 1;
		if (have[i]) {
			snprintf(vals[i], sizeof vals[i], "%s", val);
			n++;
		}
	}
	msgpack_pack_map(pk, n);
	ipc_pack_kv_str(pk, "username", name);
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
		if (have[i])
			ipc_pack_kv_str(pk, fields[i], vals[i]);
}

struct user_list {
	char names[1024][IPC_CTX_USER_MAX];
	size_t n;
};

static void
collect_user(const char *key, void *arg)
{
	struct user_list *l = arg;
	/* ntopng.user.<name>.password */
	const char *start = key + strlen("ntopng.user.");
	size_t len = strlen(start);
	if (len <= 9 || strcmp(start + len - 9, ".password") != 0 ||
	    l->n == sizeof l->names / sizeof *l->names)
		return;
	len -= 9;
	if (len >= IPC_CTX_USER_MAX)
		return;
	memcpy(l->names[l->n], start, len);
	l->names[l->n][len] = '\0';
	if (web_user_name_valid(l->names[l->n]))
		l->n++;
}

static void
get_users(struct call *c, const char *attr)
{
	static __thread struct user_list list;
	list.n = 0;
	if (web_store_scan("ntopng.user.*.password", collect_user, &list) < 0) {
		fail(c, IPC_ERR_UNAVAILABLE, "redis");
		return;
	}
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, list.n);
	for (size_t i = 0; i < list.n; i++) {
		ipc_pack_key(&c->w->pk, list.names[i]);
		pack_user(&c->w->pk, list.names[i]);
	}
}

static void
create_session(struct call *c, const char *attr)
{
	char sid[80];
	if (!web_user_exists(c->arg[0])) {
		fail(c, IPC_ERR_NOT_FOUND, "no such user");
		return;
	}
	if (web_session_create(c->arg[0], sid, sizeof sid) != 0) {
		fail(c, IPC_ERR_UNAVAILABLE, "redis");
		return;
	}
	reply_str(c, sid);
}

static void
create_token(struct call *c, const char *attr)
{
	char tok[80];
	if (!web_user_exists(c->arg[0])) {
		fail(c, IPC_ERR_NOT_FOUND, "no such user");
		return;
	}
	if (web_user_new_token(c->arg[0], tok, sizeof tok) != 0) {
		fail(c, IPC_ERR_UNAVAILABLE, "redis");
		return;
	}
	reply_str(c, tok);
}

static void
get_field_or_nil(struct call *c, const char *attr)
{
	char val[128];
	int r = web_user_get(c->arg[0], attr, val, sizeof val);
	if (r < 0) {
		fail(c, IPC_ERR_UNAVAILABLE, "redis");
		return;
	}
	reply_str(c, r == 1 ? val : NULL);
}

static void
get_flag(struct call *c, const char *attr)
{
	char val[8];
	reply_bool(c, web_user_get(c->arg[0], attr, val, sizeof val) == 1 &&
	    strcmp(val, "1") == 0);
}

static void
caller_flag(struct call *c, const char *attr)
{
	char val[8];
	reply_bool(c, c->admin ||
	    (web_user_get(c->rq->ctx.user, attr, val, sizeof val) == 1 &&
	     strcmp(val, "1") == 0));
}

/* The caller's allowed host pools, a list of pool ids; an empty list is
 * no restriction (ntopng's "all pools"). */
static void
caller_pools(struct call *c, const char *attr)
{
	char val[300];
	int64_t ids[64];
	size_t n = 0;
	int r = web_user_get(c->rq->ctx.user, attr, val, sizeof val);
	if (r < 0) {
		fail(c, IPC_ERR_UNAVAILABLE, "redis");
		return;
	}
	char *save = NULL;
	for (char *tok = r == 1 ? strtok_r(val, ",", &save) : NULL;
	    tok != NULL && n < 64; tok = strtok_r(NULL, ",", &save))
		ids[n++] = strtoll(tok, NULL, 10);
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_array(&c->w->pk, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		msgpack_pack_int64(&c->w->pk, ids[i]);
}

/* Observation points come with nProbe flow collection, which netward
 * does not have: no user can be given one, so an existing user's is 0
 * (ntopng's "none"); an unknown user is nil. */
static void
observation_point(struct call *c, const char *attr)
{
	if (!web_user_exists(c->arg[0])) {
		fail(c, IPC_ERR_NOT_FOUND, "no such user");
		return;
	}
	reply_int(c, 0);
}

static void
login_blacklisted(struct call *c, const char *attr)
{
	reply_bool(c, web_login_user_blocked(c->arg[0]));
}

static void
login_disabled(struct call *c, const char *attr)
{
	reply_bool(c, web_login_disabled());
}

static void
new_totp_secret(struct call *c, const char *attr)
{
	char secret[40];
	if (web_totp_new_secret(secret, sizeof secret) != 0) {
		fail(c, IPC_ERR_INTERNAL, "no randomness");
		return;
	}
	reply_str(c, secret);
}

static void
validate_totp(struct call *c, const char *attr)
{
	char secret[80];
	if (web_user_get(c->arg[0], "totp_secret", secret, sizeof secret)
	    != 1) {
		reply_bool(c, false);
		return;
	}
	reply_bool(c, web_totp_valid(secret, c->arg[1],
	    (uint64_t)time(NULL)));
	OPENSSL_cleanse(secret, sizeof secret);
}

static void
totp_uri(struct call *c, const char *attr)
{
	char secret[80], uri[512];
	if (web_user_get(c->arg[0], "totp_secret", secret, sizeof secret)
	    != 1 || web_totp_uri(c->arg[0], secret, uri, sizeof uri) != 0) {
		reply_str(c, NULL);
		return;
	}
	reply_str(c, uri);
}

static void
set_totp_enabled(struct call *c, const char *attr)
{
	char secret[80];
	if (c->flag[1] && web_user_get(c->arg[0], "totp_secret", secret,
	    sizeof secret) != 1) {
		fail(c, IPC_ERR_BAD_REQUEST, "set a TOTP secret first");
		return;
	}
	set_permission(c, attr);
}

static const struct method methods[] = {
	{"addUser", 4, 12, ADMIN, add_user, NULL},
	{"deleteUser", 1, 1, ADMIN, delete_user, NULL},
	{"resetUserPassword", 4, 4, ANY, reset_password, NULL},
	{"changeUserRole", 2, 2, ADMIN, set_attribute, "group"},
	{"changeAllowedNets", 2, 2, ADMIN, set_attribute, "allowed_nets"},
	{"changeAllowedIfname", 2, 2, ADMIN, set_attribute, "allowed_ifname"},
	{"changeUserHostPool", 2, 2, ADMIN, set_attribute, "host_pool_id"},
	{"changeAllowedHostPools", 2, 2, ADMIN, set_attribute,
	    "allowed_host_pools"},
	{"changeUserFullName", 2, 2, SELF, set_attribute, "full_name"},
	{"changeUserLanguage", 2, 2, SELF, set_attribute, "language"},
	{"changePcapDownloadPermission", 2, 2, ADMIN, set_permission,
	    "allow_pcap_download"},
	{"changeHistoricalFlowPermission", 2, 2, ADMIN, set_permission,
	    "allow_historical_flows"},
	{"changeAlertsPermission", 2, 2, ADMIN, set_permission,
	    "allow_alerts"},
	{"getUsers", 0, 0, ADMIN, get_users, NULL},
	{"getAllowedHostPools", 0, 0, ANY, caller_pools, "allowed_host_pools"},
	{"getUserObservationPointId", 1, 1, SELF, observation_point, NULL},
	{"createUserSession", 1, 2, ADMIN, create_session, NULL},
	{"createUserAPIToken", 1, 1, SELF, create_token, NULL},
	{"getUserAPIToken", 1, 1, SELF, get_field_or_nil, "api_token"},
	{"isLoginBlacklisted", 1, 1, ADMIN, login_blacklisted, NULL},
	{"isLoginDisabled", 0, 0, ANY, login_disabled, NULL},
	{"isPcapDownloadAllowed", 0, 0, ANY, caller_flag,
	    "allow_pcap_download"},
	{"generateTOTPSecret", 0, 0, ANY, new_totp_secret, NULL},
	{"setUserTOTPSecret", 2, 2, SELF, set_attribute, "totp_secret"},
	{"getUserTOTPSecret", 1, 1, ADMIN, get_field_or_nil, "totp_secret"},
	{"isTOTPEnabled", 1, 1, SELF, get_flag, "totp_enabled"},
	{"setUserTOTPEnabled", 2, 2, SELF, set_totp_enabled, "totp_enabled"},
	{"validateTOTP", 2, 2, SELF, validate_totp, NULL},
	{"getTOTPProvisioningUri", 1, 1, SELF, totp_uri, NULL},
};

static const struct method *
find_method(const char *name)
{
	for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

/* The first four arguments as strings or booleans, whichever they are;
 * a handler that needs another type reads rq->args itself. */
static bool
read_args(struct call *c)
{
	for (uint32_t i = 0; i < c->rq->nargs && i < 4; i++) {
		const msgpack_object *o = &c->rq->args[i];
		if (o->type == MSGPACK_OBJECT_BOOLEAN)
			c->flag[i] = o->via.boolean;
		else if (!ipc_obj_is_nil(o) &&
		    !ipc_obj_strcpy(o, c->arg[i], sizeof c->arg[i]))
			return false;
	}
	return true;
}

static void
handle(const struct ipc_request *rq, struct ipc_writer *w, void *arg)
{
	struct call c = {.rq = rq, .w = w};
	const struct method *m = find_method(rq->method);
	if (m == NULL) {
		ipc_reply_error(w, rq->id, IPC_ERR_UNKNOWN_METHOD,
		    "unknown method %s", rq->method);
		return;
	}
	if (!web_identity_verify(&rq->ctx)) {
		log_warn("ntop.%s refused: identity not minted here or expired "
		    "(user \"%.64s\")", rq->method, rq->ctx.user);
		fail(&c, IPC_ERR_DENIED, "no valid identity");
		return;
	}
	if ((int)rq->nargs < m->min_args || (int)rq->nargs > m->max_args) {
		fail(&c, IPC_ERR_BAD_REQUEST, "wrong number of arguments");
		return;
	}
	if (!read_args(&c)) {
		fail(&c, IPC_ERR_BAD_REQUEST, "bad argument type");
		return;
	}
	c.admin = strcmp(rq->ctx.group, "administrator") == 0;
	if ((m->access == ADMIN && !c.admin) ||
	    (m->access == SELF && !c.admin &&
	     strcmp(c.arg[0], rq->ctx.user) != 0)) {
		log_warn("ntop.%s refused for %s", rq->method, rq->ctx.user);
		fail(&c, IPC_ERR_DENIED, "not allowed for this user");
		return;
	}
	if (m->access == SELF && !web_user_name_valid(c.arg[0])) {
		fail(&c, IPC_ERR_BAD_REQUEST, "bad user name");
		return;
	}
	m->fn(&c, m->attr);
	OPENSSL_cleanse(c.arg, sizeof c.arg);
}

int
web_users_rpc_listen(const char *url)
{
	int rc = ipc_server_listen(&users_server, url, 2, handle, NULL);
	if (rc != 0) {
		log_error("users rpc %s: %s", url, nng_strerror(rc));
		return -1;
	}
	users_server_running = true;
	return 0;
}

void
web_users_rpc_serve(void)
{
	if (users_server_running)
		ipc_server_serve(&users_server);
}

void
web_users_rpc_stop(void)
{
	if (users_server_running)
		ipc_server_stop(&users_server);
	users_server_running = false;
}
