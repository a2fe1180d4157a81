#define _GNU_SOURCE
#include "identity.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

static void
feed_str(EVP_MAC_CTX *h, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	unsigned char len[4] = {n >> 24, n >> 16, n >> 8, n};
	EVP_MAC_update(h, len, sizeof len);
	EVP_MAC_update(h, (const unsigned char *)s, n);
}

static void
feed_u64(EVP_MAC_CTX *h, uint64_t v)
{
	unsigned char b[8];
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)v;
	EVP_MAC_update(h, b, sizeof b);
}

static void
compute(const uint8_t key[IDENTITY_KEY_BYTES], const struct ipc_ctx *ctx,
    char out[IPC_TOKEN_HEX + 1])
{
	unsigned char mac[32];

	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *h = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t len = 0;
	if (h == NULL || !EVP_MAC_init(h, key, IDENTITY_KEY_BYTES, params)) {
		/* No MAC: an empty token, which never verifies. */
		EVP_MAC_CTX_free(h);
		EVP_MAC_free(hmac);
		out[0] = '\0';
		return;
	}
	feed_u64(h, IPC_VERSION);
	feed_str(h, ctx->user);
	feed_str(h, ctx->group);
	feed_str(h, ctx->allowed_nets);
	feed_str(h, ctx->allowed_ifname);
	feed_u64(h, ctx->request_id);
	feed_u64(h, ctx->expires);
	EVP_MAC_final(h, mac, &len, sizeof mac);
	EVP_MAC_CTX_free(h);
	EVP_MAC_free(hmac);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

void
ipc_identity_sign(const uint8_t key[IDENTITY_KEY_BYTES],
    struct ipc_ctx *ctx, uint64_t now, unsigned ttl_s)
{
	ctx->expires = now + ttl_s;
	compute(key, ctx, ctx->token);
}

bool
ipc_identity_verify(const uint8_t key[IDENTITY_KEY_BYTES],
    const struct ipc_ctx *ctx, uint64_t now)
{
	char want[IPC_TOKEN_HEX + 1];
	if (strlen(ctx->token) != IPC_TOKEN_HEX || ctx->expires < now)
		return false;
	compute(key, ctx, want);
	return CRYPTO_memcmp(want, ctx->token, IPC_TOKEN_HEX) == 0;
}
