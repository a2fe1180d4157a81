/* The one envelope of every netward message, on msgpack.
 *
 *   request  [version, id, method, args[], ctx{}]
 *   reply    [version, id, status, result | error-string]
 *
 * Bump IPC_VERSION whenever the envelope or the meaning of a method's
 * arguments changes: a peer with another version gets IPC_ERR_VERSION.
 *
 * Decoding is strict: ipc_check() walks the raw bytes first and refuses
 * anything deeper, longer or larger than the bounds below before msgpack-c
 * allocates a single object, and every leftover byte is an error. */
#ifndef NETWARD_IPC_ENVELOPE_H
#define NETWARD_IPC_ENVELOPE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPC_VERSION 1

#define IPC_MAX_MESSAGE (64u * 1024 * 1024) /* bytes of one message */
#define IPC_MAX_DEPTH 16		    /* nesting of arrays and maps */
#define IPC_MAX_METHOD 64		    /* bytes of a method name */
#define IPC_MAX_ARGS 16			    /* arguments of one request */

enum ipc_status {
	IPC_OK = 0,
	IPC_ERR_BAD_REQUEST = 1,    /* malformed envelope or arguments */
	IPC_ERR_UNKNOWN_METHOD = 2, /* no such method */
	IPC_ERR_DENIED = 3,	    /* caller's role or identity may not */
	IPC_ERR_NOT_FOUND = 4,	    /* the object asked for does not exist */
	IPC_ERR_INTERNAL = 5,	    /* the handler failed */
	IPC_ERR_UNAVAILABLE = 6,    /* peer down, timeout, shutting down */
	IPC_ERR_VERSION = 7,	    /* envelope version mismatch */
	IPC_ERR_UNSUPPORTED = 8,    /* cannot work in this deployment */
};

const char *ipc_status_name(int status);

/* The caller's identity as the frontend minted it. The owner of the data
 * filters with it; it never trusts a field it can check itself. */
#define IPC_CTX_USER_MAX 64
#define IPC_TOKEN_HEX 64 /* HMAC-SHA256, hex */
#define IPC_CTX_NETS_MAX 512
struct ipc_ctx {
	char user[IPC_CTX_USER_MAX];
	char group[32];			     /* "administrator", "unprivileged", "system" */
	char allowed_nets[IPC_CTX_NETS_MAX]; /* comma-separated CIDRs, "" = all */
	char allowed_ifname[64];	     /* "" = every interface */
	char remote_addr[64];		     /* client address of the HTTP request */
	char csrf[64];			     /* the session's CSRF token, if any */
	uint64_t request_id;
	uint64_t expires;		     /* unix seconds; the token's end */
	char token[IPC_TOKEN_HEX + 1];	     /* MAC over the fields above */
};

bool ipc_ctx_is_admin(const struct ipc_ctx *ctx);

/* Bounded structural check of one msgpack value covering exactly len
 * bytes. Returns 0, or -1 with a reason in err. */
int ipc_check(const void *buf, size_t len, char *err, size_t errlen);

/* A packer writing into a growable buffer. */
struct ipc_writer {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};

void ipc_writer_init(struct ipc_writer *w);
void ipc_writer_reset(struct ipc_writer *w);
void ipc_writer_free(struct ipc_writer *w);

/* Small packing helpers used by every handler. */
void ipc_pack_str(msgpack_packer *pk, const char *s);
void ipc_pack_strn(msgpack_packer *pk, const char *s, size_t n);
void ipc_pack_kv_str(msgpack_packer *pk, const char *key, const char *val);
void ipc_pack_kv_u64(msgpack_packer *pk, const char *key, uint64_t val);
void ipc_pack_kv_i64(msgpack_packer *pk, const char *key, int64_t val);
void ipc_pack_kv_double(msgpack_packer *pk, const char *key, double val);
void ipc_pack_kv_bool(msgpack_packer *pk, const char *key, bool val);
/* Packs the key only; the caller packs the value next. */
void ipc_pack_key(msgpack_packer *pk, const char *key);

/* Request: ipc_request_begin() packs [version, id, method, and the array
 * header of nargs]; the caller packs exactly nargs values, then
 * ipc_request_end() packs ctx (NULL = empty identity). */
void ipc_request_begin(struct ipc_writer *w, uint64_t id, const char *method,
    uint32_t nargs);
void ipc_request_end(struct ipc_writer *w, const struct ipc_ctx *ctx);

/* Reply: ipc_reply_begin() packs [version, id, IPC_OK]; the caller packs
 * exactly one result value. ipc_reply_error() packs a whole error reply. */
void ipc_reply_begin(struct ipc_writer *w, uint64_t id);
void ipc_reply_error(struct ipc_writer *w, uint64_t id, int status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

struct ipc_request {
	uint32_t version;
	uint64_t id;
	char method[IPC_MAX_METHOD + 1];
	const msgpack_object *args; /* into up; args[0 .. nargs) */
	uint32_t nargs;
	struct ipc_ctx ctx;
	msgpack_unpacked up;
};

/* On failure, returns the ipc_status to answer with and a reason in err;
 * rq->id is filled whenever it could be read. rq must be freed either
 * way. */
int ipc_request_decode(struct ipc_request *rq, const void *buf, size_t len,
    char *err, size_t errlen);
void ipc_request_free(struct ipc_request *rq);

struct ipc_reply {
	uint32_t version;
	uint64_t id;
	int status;
	const msgpack_object *result; /* status == IPC_OK */
	char error[256];	      /* status != IPC_OK */
	msgpack_unpacked up;
	void *owned;		      /* bytes result points into, if ours */
};

int ipc_reply_decode(struct ipc_reply *rp, const void *buf, size_t len,
    char *err, size_t errlen);
void ipc_reply_free(struct ipc_reply *rp);

/* Typed getters on decoded objects; they return false on a type
 * mismatch so a handler can answer IPC_ERR_BAD_REQUEST. */
bool ipc_obj_str(const msgpack_object *o, const char **s, size_t *n);
bool ipc_obj_i64(const msgpack_object *o, int64_t *v);
bool ipc_obj_bool(const msgpack_object *o, bool *v);
bool ipc_obj_is_nil(const msgpack_object *o);
/* Copies a string object into buf (NUL-terminated); false if not a string,
 * if it holds a NUL byte, or if it does not fit. */
bool ipc_obj_strcpy(const msgpack_object *o, char *buf, size_t bufsize);
/* Looks up key in a map object; NULL when absent or o is not a map. */
const msgpack_object *ipc_map_get(const msgpack_object *o, const char *key);

#endif
