#define _GNU_SOURCE
#include "envelope.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
	[IPC_OK] = "ok",
	[IPC_ERR_BAD_REQUEST] = "bad request",
	[IPC_ERR_UNKNOWN_METHOD] = "unknown method",
	[IPC_ERR_DENIED] = "denied",
	[IPC_ERR_NOT_FOUND] = "not found",
	[IPC_ERR_INTERNAL] = "internal error",
	[IPC_ERR_UNAVAILABLE] = "unavailable",
	[IPC_ERR_VERSION] = "version mismatch",
	[IPC_ERR_UNSUPPORTED] = "unsupported",
};

const char *
ipc_status_name(int status)
{
	if (status < 0 || (size_t)status >= sizeof status_names /
	    sizeof status_names[0] || status_names[status] == NULL)
		return "unknown status";
	return status_names[status];
}

bool
ipc_ctx_is_admin(const struct ipc_ctx *ctx)
{
	return strcmp(ctx->group, "administrator") == 0 ||
	    strcmp(ctx->group, "system") == 0;
}

/* ---- writing -------------------------------------------------------- */

void
ipc_writer_init(struct ipc_writer *w)
{
	msgpack_sbuffer_init(&w->sb);
	msgpack_packer_init(&w->pk, &w->sb, msgpack_sbuffer_write);
}

void
ipc_writer_reset(struct ipc_writer *w)
{
	msgpack_sbuffer_clear(&w->sb);
}

void
ipc_writer_free(struct ipc_writer *w)
{
	msgpack_sbuffer_destroy(&w->sb);
}

void
ipc_pack_strn(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void
ipc_pack_str(msgpack_packer *pk, const char *s)
{
	ipc_pack_strn(pk, s ? s : "", s ? strlen(s) : 0);
}

void
ipc_pack_key(msgpack_packer *pk, const char *key)
{
	ipc_pack_str(pk, key);
}

void
ipc_pack_kv_str(msgpack_packer *pk, const char *key, const char *val)
{
	ipc_pack_str(pk, key);
	ipc_pack_str(pk, val);
}

void
ipc_pack_kv_u64(msgpack_packer *pk, const char *key, uint64_t val)
{
	ipc_pack_str(pk, key);
	msgpack_pack_uint64(pk, val);
}

void
ipc_pack_kv_i64(msgpack_packer *pk, const char *key, int64_t val)
{
	ipc_pack_str(pk, key);
	msgpack_pack_int64(pk, val);
}

void
ipc_pack_kv_double(msgpack_packer *pk, const char *key, double val)
{
	ipc_pack_str(pk, key);
	msgpack_pack_double(pk, val);
}

void
ipc_pack_kv_bool(msgpack_packer *pk, const char *key, bool val)
{
	ipc_pack_str(pk, key);
	if (val)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

void
ipc_request_begin(struct ipc_writer *w, uint64_t id, const char *method,
    uint32_t nargs)
{
	msgpack_pack_array(&w->pk, 5);
	msgpack_pack_uint32(&w->pk, IPC_VERSION);
	msgpack_pack_uint64(&w->pk, id);
	ipc_pack_str(&w->pk, method);
	msgpack_pack_array(&w->pk, nargs);
}

void
ipc_request_end(struct ipc_writer *w, const struct ipc_ctx *ctx)
{
	static const struct ipc_ctx empty;
	if (ctx == NULL)
		ctx = &empty;
	msgpack_pack_map(&w->pk, 9);
	ipc_pack_kv_str(&w->pk, "user", ctx->user);
	ipc_pack_kv_str(&w->pk, "group", ctx->group);
	ipc_pack_kv_str(&w->pk, "allowed_nets", ctx->allowed_nets);
	ipc_pack_kv_str(&w->pk, "allowed_ifname", ctx->allowed_ifname);
	ipc_pack_kv_str(&w->pk, "remote_addr", ctx->remote_addr);
	ipc_pack_kv_str(&w->pk, "csrf", ctx->csrf);
	ipc_pack_kv_u64(&w->pk, "request_id", ctx->request_id);
	ipc_pack_kv_u64(&w->pk, "expires", ctx->expires);
	ipc_pack_kv_str(&w->pk, "token", ctx->token);
}

void
ipc_reply_begin(struct ipc_writer *w, uint64_t id)
{
	msgpack_pack_array(&w->pk, 4);
	msgpack_pack_uint32(&w->pk, IPC_VERSION);
	msgpack_pack_uint64(&w->pk, id);
	msgpack_pack_int(&w->pk, IPC_OK);
}

void
ipc_reply_error(struct ipc_writer *w, uint64_t id, int status,
    const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	ipc_writer_reset(w);
	msgpack_pack_array(&w->pk, 4);
	msgpack_pack_uint32(&w->pk, IPC_VERSION);
	msgpack_pack_uint64(&w->pk, id);
	msgpack_pack_int(&w->pk, status);
	ipc_pack_str(&w->pk, msg);
}

/* ---- typed getters ---------------------------------------------------- */

bool
ipc_obj_str(const msgpack_object *o, const char **s, size_t *n)
{
	if (o->type == MSGPACK_OBJECT_STR) {
		*s = o->via.str.ptr;
		*n = o->via.str.size;
		return true;
	}
	if (o->type == MSGPACK_OBJECT_BIN) {
		*s = o->via.bin.ptr;
		*n = o->via.bin.size;
		return true;
	}
	return false;
}

bool
ipc_obj_i64(const msgpack_object *o, int64_t *v)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (o->via.u64 > INT64_MAX)
			return false;
		*v = (int64_t)o->via.u64;
		return true;
	}
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*v = o->via.i64;
		return true;
	}
	return false;
}

bool
ipc_obj_bool(const msgpack_object *o, bool *v)
{
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return false;
	*v = o->via.boolean;
	return true;
}

bool
ipc_obj_is_nil(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_NIL;
}

bool
ipc_obj_strcpy(const msgpack_object *o, char *buf, size_t bufsize)
{
	const char *s;
	size_t n;
	if (!ipc_obj_str(o, &s, &n) || n >= bufsize ||
	    (n > 0 && memchr(s, 0, n) != NULL))
		return false;
	if (n > 0) /* msgpack-c gives an empty string a NULL pointer */
		memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

const msgpack_object *
ipc_map_get(const msgpack_object *o, const char *key)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	size_t klen = strlen(key);
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;
		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
		    memcmp(k->via.str.ptr, key, klen) == 0)
			return &o->via.map.ptr[i].val;
	}
	return NULL;
}

/* ---- reading ---------------------------------------------------------- */

static int
unpack_checked(msgpack_unpacked *up, const void *buf, size_t len,
    char *err, size_t errlen)
{
	if (ipc_check(buf, len, err, errlen) < 0)
		return -1;
	size_t off = 0;
	if (msgpack_unpack_next(up, buf, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != len) {
		snprintf(err, errlen, "malformed message: undecodable");
		return -1;
	}
	return 0;
}

/* Reads the common head [version, id, ...] of an envelope of n items. */
static int
read_head(const msgpack_object *root, uint32_t n, uint32_t *version,
    uint64_t *id, char *err, size_t errlen)
{
	if (root->type != MSGPACK_OBJECT_ARRAY || root->via.array.size != n) {
		snprintf(err, errlen, "malformed message: envelope is not an "
		    "array of %u", n);
		return IPC_ERR_BAD_REQUEST;
	}
	const msgpack_object *a = root->via.array.ptr;
	if (a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		*id = a[1].via.u64;
	if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[0].via.u64 > UINT32_MAX) {
		snprintf(err, errlen, "malformed message: bad version");
		return IPC_ERR_BAD_REQUEST;
	}
	*version = (uint32_t)a[0].via.u64;
	if (*version != IPC_VERSION) {
		snprintf(err, errlen, "envelope version %u, expected %u",
		    *version, IPC_VERSION);
		return IPC_ERR_VERSION;
	}
	if (a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
		snprintf(err, errlen, "malformed message: bad id");
		return IPC_ERR_BAD_REQUEST;
	}
	return IPC_OK;
}

static bool
ctx_field(const msgpack_object *ctx, const char *key, char *buf,
    size_t size)
{
	const msgpack_object *v = ipc_map_get(ctx, key);
	if (v == NULL) {
		buf[0] = '\0';
		return true;
	}
	return ipc_obj_strcpy(v, buf, size);
}

static int
decode_ctx(const msgpack_object *o, struct ipc_ctx *ctx, char *err,
    size_t errlen)
{
	memset(ctx, 0, sizeof *ctx);
	if (o->type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errlen, "malformed message: ctx is not a map");
		return IPC_ERR_BAD_REQUEST;
	}
	if (!ctx_field(o, "user", ctx->user, sizeof ctx->user) ||
	    !ctx_field(o, "group", ctx->group, sizeof ctx->group) ||
	    !ctx_field(o, "allowed_nets", ctx->allowed_nets,
		sizeof ctx->allowed_nets) ||
	    !ctx_field(o, "allowed_ifname", ctx->allowed_ifname,
		sizeof ctx->allowed_ifname) ||
	    !ctx_field(o, "remote_addr", ctx->remote_addr,
		sizeof ctx->remote_addr) ||
	    !ctx_field(o, "csrf", ctx->csrf, sizeof ctx->csrf) ||
	    !ctx_field(o, "token", ctx->token, sizeof ctx->token)) {
		snprintf(err, errlen, "malformed message: bad ctx field");
		return IPC_ERR_BAD_REQUEST;
	}
	const msgpack_object *rid = ipc_map_get(o, "request_id");
	if (rid != NULL) {
		if (rid->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
			snprintf(err, errlen, "malformed message: bad "
			    "request_id");
			return IPC_ERR_BAD_REQUEST;
		}
		ctx->request_id = rid->via.u64;
	}
	const msgpack_object *exp = ipc_map_get(o, "expires");
	if (exp != NULL) {
		if (exp->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
			snprintf(err, errlen, "malformed message: bad expires");
			return IPC_ERR_BAD_REQUEST;
		}
		ctx->expires = exp->via.u64;
	}
	return IPC_OK;
}

int
ipc_request_decode(struct ipc_request *rq, const void *buf, size_t len,
    char *err, size_t errlen)
{
	memset(rq, 0, sizeof *rq);
	msgpack_unpacked_init(&rq->up);
	if (unpack_checked(&rq->up, buf, len, err, errlen) < 0)
		return IPC_ERR_BAD_REQUEST;

	const msgpack_object *root = &rq->up.data;
	int st = read_head(root, 5, &rq->version, &rq->id, err, errlen);
	if (st != IPC_OK)
		return st;
	const msgpack_object *a = root->via.array.ptr;
	if (a[2].type != MSGPACK_OBJECT_STR || a[2].via.str.size == 0 ||
	    a[2].via.str.size > IPC_MAX_METHOD ||
	    !ipc_obj_strcpy(&a[2], rq->method, sizeof rq->method)) {
		snprintf(err, errlen, "malformed message: bad method name");
		return IPC_ERR_BAD_REQUEST;
	}
	if (a[3].type != MSGPACK_OBJECT_ARRAY ||
	    a[3].via.array.size > IPC_MAX_ARGS) {
		snprintf(err, errlen, "malformed message: args is not an "
		    "array of at most %d", IPC_MAX_ARGS);
		return IPC_ERR_BAD_REQUEST;
	}
	rq->args = a[3].via.array.ptr;
	rq->nargs = a[3].via.array.size;
	return decode_ctx(&a[4], &rq->ctx, err, errlen);
}

void
ipc_request_free(struct ipc_request *rq)
{
	msgpack_unpacked_destroy(&rq->up);
}

int
ipc_reply_decode(struct ipc_reply *rp, const void *buf, size_t len,
    char *err, size_t errlen)
{
	memset(rp, 0, sizeof *rp);
	msgpack_unpacked_init(&rp->up);
	if (unpack_checked(&rp->up, buf, len, err, errlen) < 0)
		return IPC_ERR_BAD_REQUEST;

	const msgpack_object *root = &rp->up.data;
	int st = read_head(root, 4, &rp->version, &rp->id, err, errlen);
	if (st != IPC_OK)
		return st;
	const msgpack_object *a = root->via.array.ptr;
	int64_t status;
	if (!ipc_obj_i64(&a[2], &status) || status < 0 || status > 255) {
		snprintf(err, errlen, "malformed message: bad status");
		return IPC_ERR_BAD_REQUEST;
	}
	rp->status = (int)status;
	if (rp->status == IPC_OK) {
		rp->result = &a[3];
		return IPC_OK;
	}
	const char *s;
	size_t n;
	if (!ipc_obj_str(&a[3], &s, &n)) {
		snprintf(err, errlen, "malformed message: error is not a "
		    "string");
		return IPC_ERR_BAD_REQUEST;
	}
	if (n >= sizeof rp->error)
		n = sizeof rp->error - 1;
	if (n > 0) /* msgpack-c gives an empty string a NULL pointer */
		memcpy(rp->error, s, n);
	rp->error[n] = '\0';
	return IPC_OK;
}

void
ipc_reply_free(struct ipc_reply *rp)
{
	msgpack_unpacked_destroy(&rp->up);
	free(rp->owned);
	rp->owned = NULL;
}
