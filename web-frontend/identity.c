/* The frontend mints the identity of every request it forwards: the ctx
 * fields MACed with a key that never leaves this process (for calls that
 * come back to the frontend) — see ipc/identity.h. */
#include "web.h"

#include "identity.h"
#include "log.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint8_t identity_key[IDENTITY_KEY_BYTES];

int
web_identity_init(const uint8_t *key)
{
	if (key != NULL) {
		memcpy(identity_key, key, sizeof identity_key);
		return 0;
	}
	if (RAND_bytes(identity_key, sizeof identity_key) != 1) {
		log_error("no randomness for the identity key");
		return -1;
	}
	return 0;
}

void
web_identity_sign(struct ipc_ctx *ctx, unsigned ttl_s)
{
	ipc_identity_sign(identity_key, ctx, (uint64_t)time(NULL), ttl_s);
}

bool
web_identity_verify(const struct ipc_ctx *ctx)
{
	return ipc_identity_verify(identity_key, ctx, (uint64_t)time(NULL));
}

void
web_csrf_token(const char *session_id, char out[33])
{
	unsigned char mac[32];
	size_t len = 0;
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *h = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	out[0] = '\0';
	if (h != NULL && EVP_MAC_init(h, identity_key, sizeof identity_key,
	    params) && EVP_MAC_update(h, (const unsigned char *)"csrf:", 5) &&
	    EVP_MAC_update(h, (const unsigned char *)session_id,
	    strlen(session_id)) && EVP_MAC_final(h, mac, &len, sizeof mac))
		for (int i = 0; i < 16; i++)
			snprintf(out + 2 * i, 3, "%02x", mac[i]);
	EVP_MAC_CTX_free(h);
	EVP_MAC_free(hmac);
}

/* Looks for name=value in an &-separated list (no decoding: the token is
 * hex). */
static bool
field_is(const char *p, size_t n, const char *name, const char *want)
{
	size_t nl = strlen(name), wl = strlen(want);
	const char *end = p + n;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;
		if ((size_t)(e - p) == nl + 1 + wl && memcmp(p, name, nl) == 0 &&
		    p[nl] == '=' && CRYPTO_memcmp(p + nl + 1, want, wl) == 0)
			return true;
		p = amp ? amp + 1 : end;
	}
	return false;
}

bool
web_csrf_present(h2o_req_t *req, const struct web_user *u)
{
	if (u->csrf[0] == '\0')
		return false;
	ssize_t i = h2o_find_header_by_str(&req->headers,
	    H2O_STRLIT("x-csrf-token"), -1);
	if (i != -1) {
		h2o_iovec_t v = req->headers.entries[i].value;
		return v.len == 32 && CRYPTO_memcmp(v.base, u->csrf, 32) == 0;
	}
	if (req->query_at != SIZE_MAX &&
	    field_is(req->path.base + req->query_at + 1,
	    req->path.len - req->query_at - 1, "csrf", u->csrf))
		return true;
	return req->entity.base != NULL &&
	    field_is(req->entity.base, req->entity.len, "csrf", u->csrf);
}
