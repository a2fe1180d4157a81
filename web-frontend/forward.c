/* /lua/<path>.lua → one "http" request to the Lua workers, answered
 * asynchronously: the event loop never waits on a worker.
 *
 *   request  method "http", args [http_method, path, query, body,
 *            content_type], ctx = the authenticated user
 *   reply    {"status": int, "content_type": str, "body": str|bin,
 *            "headers": {str: str} (optional)}
 *
 * Lifetimes. The pending record lives in the request's pool and goes with
 * the request; while its call is out, the request's disposal or its
 * timer cancels the call (lua_links.c then runs no callback), and a reply
 * ends the timer. So a reply for a request the client abandoned is never
 * seen, and an answered request is never answered twice. Everything runs
 * on the loop thread (lua_links.c). */
#include "web.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LUA_HEADERS 32

struct fwd_pending {
	h2o_req_t *req;
	struct web_lua_call *call; /* NULL once answered or cancelled */
	uint64_t id;
	char client[64];	   /* counted in client_limit.c */
	h2o_timeout_entry_t deadline;
};

static bool lua_links_ready;
static h2o_timeout_t deadline_timeout;
static int fwd_timeout_ms;
static h2o_evloop_t *fwd_loop;
static uint64_t next_id = 1;
static unsigned calls_out;

/* ^/lua/[A-Za-z0-9_/.-]+\.lua$, with no "..", no "//" and no segment that
 * starts with a dot. The raw path is checked, so %-escapes never pass. */
bool
web_lua_path_valid(const char *path, size_t len)
{
	if (len <= 9 || len > 1024 || memcmp(path, "/lua/", 5) != 0 ||
	    memcmp(path + len - 4, ".lua", 4) != 0)
		return false;
	for (size_t i = 5; i < len; i++) {
		char c = path[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '/' ||
		    c == '.' || c == '-';
		if (!ok)
			return false;
		if (path[i - 1] == '/' && (c == '/' || c == '.'))
			return false;
	}
	return true;
}

static void
reply_unavailable(h2o_req_t *req)
{
	web_reply_json_error(req, 503, -6, "INTERNAL_ERROR", "Internal Error");
}

static bool
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t more;
		uint32_t cp;
		if (c < 0x80) {
			if (c == 0)
				return false;
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			more = 1, cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			more = 2, cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			more = 3, cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= more)
			return false;
		for (size_t k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((more == 1 && cp < 0x80) || (more == 2 && cp < 0x800) ||
		    (more == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += more + 1;
	}
	return true;
}

/* ---- reply: Lua result → HTTP response (loop thread) ----------------- */

/* Headers a script may not set: framing (h2o owns it), the security
 * headers, and our session cookie (a script must not fixate sessions). */
static bool
header_allowed(const char *name, const char *val, size_t vlen)
{
	static const char *const refused[] = {
		"content-length", "transfer-encoding", "connection",
		"keep-alive", "upgrade", "te", "trailer", "content-type",
		"strict-transport-security", "content-security-policy",
		"x-content-type-options", "x-frame-options", "referrer-policy",
		"www-authenticate", NULL,
	};
	for (int i = 0; refused[i] != NULL; i++)
		if (strcmp(name, refused[i]) == 0)
			return false;
	if (strncmp(name, "proxy-", 6) == 0 || name[0] == ':')
		return false;
	if (strcmp(name, "set-cookie") == 0 && vlen >= 8 &&
	    strncasecmp(val, "session=", 8) == 0)
		return false;
	return true;
}

static void
add_lua_headers(h2o_req_t *req, const msgpack_object *hdrs)
{
	if (hdrs == NULL || hdrs->type != MSGPACK_OBJECT_MAP)
		return;
	uint32_t n = hdrs->via.map.size;
	if (n > MAX_LUA_HEADERS)
		n = MAX_LUA_HEADERS;
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object_kv *kv = &hdrs->via.map.ptr[i];
		const char *k, *v;
		size_t klen, vlen;
		if (!ipc_obj_str(&kv->key, &k, &klen) ||
		    !ipc_obj_str(&kv->val, &v, &vlen) || klen == 0 ||
		    klen > 64 || vlen > 4096)
			continue;
		char name[65];
		bool ok = true;
		for (size_t j = 0; j < klen && ok; j++) {
			char c = k[j];
			ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_' || (c >= 'A' && c <= 'Z');
			name[j] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
		}
		name[klen] = '\0';
		/* No CR, LF or NUL: no response splitting. */
		for (size_t j = 0; j < vlen && ok; j++)
			ok = v[j] != '\r' && v[j] != '\n' && v[j] != '\0';
		if (!ok || !header_allowed(name, v, vlen)) {
			log_warn("lua reply: header \"%.*s\" dropped",
			    (int)klen, k);
			continue;
		}
		h2o_iovec_t nv = h2o_strdup(&req->pool, name, klen);
		h2o_iovec_t vv = h2o_strdup(&req->pool, v, vlen);
		h2o_add_header_by_str(&req->pool, &req->res.headers, nv.base,
		    nv.len, 1, NULL, vv.base, vv.len);
	}
}

static void
reply_ipc_error(h2o_req_t *req, int status, const char *err)
{
	switch (status) {
	case IPC_ERR_UNAVAILABLE:
		log_error("lua worker unavailable: %s", err);
		reply_unavailable(req);
		break;
	case IPC_ERR_NOT_FOUND:
		web_reply_json_error(req, 404, -1, "NOT_FOUND", "Not Found");
		break;
	case IPC_ERR_DENIED:
		web_reply_json_error(req, 403, -3, "NOT_GRANTED",
		    "Not Granted");
		break;
	default:
		log_error("lua worker error %s: %s", ipc_status_name(status),
		    err);
		web_reply_json_error(req, 500, -6, "INTERNAL_ERROR",
		    "Internal Error");
	}
}

static void
respond(h2o_req_t *req, uint64_t id, const uint8_t *body, size_t len,
    int status, const char *err)
{
	if (body == NULL) {
		reply_ipc_error(req, status, err);
		return;
	}
	struct ipc_reply rp;
	char derr[160];
	int rc = ipc_reply_decode(&rp, body, len, derr, sizeof derr);
	if (rc != 0 || rp.id != id) {
		log_error("lua reply undecodable: %s",
		    rc != 0 ? derr : "id mismatch");
		web_reply_json_error(req, 502, -6, "INTERNAL_ERROR",
		    "Internal Error");
		goto out;
	}
	if (rp.status != IPC_OK) {
		reply_ipc_error(req, rp.status, rp.error);
		goto out;
	}

	const msgpack_object *st = ipc_map_get(rp.result, "status");
	const msgpack_object *ct = ipc_map_get(rp.result, "content_type");
	const msgpack_object *bd = ipc_map_get(rp.result, "body");
	int64_t hstatus = 0;
	const char *ctp = NULL, *bp = ""; /* body: str or bin */
	size_t ctn = 0, bn = 0;
	/* A 1xx cannot be a final response: only 200-599 are passed on. */
	if (st == NULL || !ipc_obj_i64(st, &hstatus) || hstatus < 200 ||
	    hstatus > 599 || (bd != NULL && !ipc_obj_str(bd, &bp, &bn)) ||
	    (ct != NULL && !ipc_obj_str(ct, &ctp, &ctn))) {
		log_error("lua reply malformed (status %lld)",
		    (long long)hstatus);
		web_reply_json_error(req, 502, -6, "INTERNAL_ERROR",
		    "Internal Error");
		goto out;
	}
	req->res.status = (int)hstatus;
	req->res.reason = web_status_reason((int)hstatus);
	if (ctp != NULL && ctn > 0 && ctn < 256 &&
	    memchr(ctp, '\r', ctn) == NULL && memchr(ctp, '\n', ctn) == NULL &&
	    memchr(ctp, '\0', ctn) == NULL) {
		h2o_iovec_t v = h2o_strdup(&req->pool, ctp, ctn);
		h2o_add_header(&req->pool, &req->res.headers,
		    H2O_TOKEN_CONTENT_TYPE, NULL, v.base, v.len);
	}
	add_lua_headers(req, ipc_map_get(rp.result, "headers"));
	h2o_send_inline(req, bp, bn);
out:
	ipc_reply_free(&rp);
}

/* The call is over (answered, timed out, or the request went away). */
static void
pending_end(struct fwd_pending *p)
{
	p->call = NULL;
	if (h2o_timeout_is_linked(&p->deadline))
		h2o_timeout_unlink(&p->deadline);
	web_client_release(p->client);
	calls_out--;
}

static void
on_lua_reply(void *arg, const uint8_t *body, size_t len, int status,
    const char *err)
{
	struct fwd_pending *p = arg;
	pending_end(p);
	respond(p->req, p->id, body, len, status, err);
}

static void
on_deadline(h2o_timeout_entry_t *entry)
{
	struct fwd_pending *p = H2O_STRUCT_FROM_MEMBER(struct fwd_pending,
	    deadline, entry);
	log_error("lua worker did not answer request %llu in %d ms",
	    (unsigned long long)p->id, fwd_timeout_ms);
	web_lua_call_cancel(p->call);
	pending_end(p);
	reply_unavailable(p->req);
}

static void
on_request_dispose(void *arg)
{
	struct fwd_pending *p = arg;
	if (p->call != NULL) {
		web_lua_call_cancel(p->call);
		pending_end(p);
	}
}

/* ---- request ---------------------------------------------------------- */

static void
pack_bytes(msgpack_packer *pk, const char *p, size_t n)
{
	if (utf8_valid((const unsigned char *)p, n)) {
		ipc_pack_strn(pk, p, n);
	} else {
		msgpack_pack_bin(pk, n);
		msgpack_pack_bin_body(pk, p, n);
	}
}

static bool
fill_ctx(h2o_req_t *req, const struct web_user *u, uint64_t id,
    struct ipc_ctx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	web_remote_addr(req, ctx->remote_addr, sizeof ctx->remote_addr);
	ctx->request_id = id;
	/* web_user's fields have the sizes of ipc_ctx's: nothing is cut. */
	bool fits = snprintf(ctx->user, sizeof ctx->user, "%s", u->name) <
		(int)sizeof ctx->user &&
	    snprintf(ctx->group, sizeof ctx->group, "%s", u->group) <
		(int)sizeof ctx->group &&
	    snprintf(ctx->allowed_nets, sizeof ctx->allowed_nets, "%s",
		u->allowed_nets) < (int)sizeof ctx->allowed_nets &&
	    snprintf(ctx->allowed_ifname, sizeof ctx->allowed_ifname, "%s",
		u->allowed_ifname) < (int)sizeof ctx->allowed_ifname;
	snprintf(ctx->csrf, sizeof ctx->csrf, "%s", u->csrf);
	/* Valid as long as the request may take, and not much longer. */
	web_identity_sign(ctx, (unsigned)(fwd_timeout_ms / 1000) + 5);
	return fits;
}

int
web_forward(h2o_req_t *req, const struct web_user *u)
{
	if (!lua_links_ready) {
		reply_unavailable(req);
		return 0;
	}
	size_t path_len = req->query_at != SIZE_MAX ? req->query_at
						    : req->path.len;
	const char *query = "";
	size_t query_len = 0;
	if (req->query_at != SIZE_MAX) {
		query = req->path.base + req->query_at + 1;
		query_len = req->path.len - req->query_at - 1;
	}
	ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE,
	    -1);

	struct fwd_pending *p = h2o_mem_alloc_shared(&req->pool, sizeof *p,
	    on_request_dispose);
	memset(p, 0, sizeof *p);
	p->req = req;
	p->id = next_id++;
	p->deadline.cb = on_deadline;
	web_remote_addr(req, p->client, sizeof p->client);
	if (!web_client_acquire(p->client)) {
		web_reply_json_error(req, 429, -6, "INTERNAL_ERROR",
		    "Too many requests in flight from this client");
		return 0;
	}
	struct ipc_ctx ctx;
	if (!fill_ctx(req, u, p->id, &ctx)) {
		web_client_release(p->client);
		log_error("identity of %s too large to pass on", u->name);
		web_reply_json_error(req, 500, -6, "INTERNAL_ERROR",
		    "Internal Error");
		return 0;
	}

	struct ipc_writer w;
	ipc_writer_init(&w);
	ipc_request_begin(&w, p->id, "http", 5);
	ipc_pack_strn(&w.pk, req->method.base, req->method.len);
	ipc_pack_strn(&w.pk, req->path.base, path_len);
	pack_bytes(&w.pk, query, query_len);
	pack_bytes(&w.pk, req->entity.base != NULL ? req->entity.base : "",
	    req->entity.base != NULL ? req->entity.len : 0);
	if (ct != -1)
		pack_bytes(&w.pk, req->headers.entries[ct].value.base,
		    req->headers.entries[ct].value.len);
	else
		ipc_pack_str(&w.pk, "");
	ipc_request_end(&w, &ctx);

	p->call = web_lua_call(&w, on_lua_reply, p);
	ipc_writer_free(&w);
	if (p->call == NULL) {
		log_error("lua request %llu not sent",
		    (unsigned long long)p->id);
		web_client_release(p->client);
		reply_unavailable(req);
		return 0;
	}
	calls_out++;
	h2o_timeout_link(fwd_loop, &deadline_timeout, &p->deadline);
	return 0;
}

int
web_forward_init(h2o_context_t *ctx, const struct web_config *cfg)
{
	fwd_loop = ctx->loop;
	fwd_timeout_ms = cfg->lua_timeout_ms;
	h2o_timeout_init(ctx->loop, &deadline_timeout,
	    (uint64_t)cfg->lua_timeout_ms);
	if (cfg->n_lua_sockets == 0) {
		log_warn("no --lua-socket: /lua/ requests will get 503");
		return 0;
	}
	if (web_lua_links_init(ctx->loop, cfg) != 0)
		return -1;
	lua_links_ready = true;
	return 0;
}

/* Every call out completes (with an error) and its request is answered;
 * the loop then sends those answers. */
void
web_forward_shutdown(void)
{
	if (!lua_links_ready)
		return;
	web_lua_links_shutdown();
	lua_links_ready = false;
	if (calls_out > 0)
		log_warn("%u lua calls still out at shutdown", calls_out);
	for (int i = 0; i < 5; i++) /* send the answers just made */
		h2o_evloop_run(fwd_loop, 10);
}
