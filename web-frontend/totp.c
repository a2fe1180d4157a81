/* TOTP (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps, 6 digits,
 * accepted one step either side of now for clock skew. Secrets are 20
 * random bytes in base32 (RFC 4648), as authenticator apps expect. */
#include "web.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define TOTP_STEP 30
#define SECRET_BYTES 20
static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int
web_totp_new_secret(char *out, size_t outsize)
{
	unsigned char raw[SECRET_BYTES];
	if (outsize < SECRET_BYTES * 8 / 5 + 1 || RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	size_t n = 0;
	for (size_t bit = 0; bit < SECRET_BYTES * 8; bit += 5) {
		unsigned v = 0;
		for (int i = 0; i < 5; i++) {
			size_t b = bit + (size_t)i;
			v = v << 1 | ((raw[b / 8] >> (7 - b % 8)) & 1);
		}
		out[n++] = b32[v];
	}
	out[n] = '\0';
	OPENSSL_cleanse(raw, sizeof raw);
	return 0;
}

/* Decodes base32 (upper or lower case, '=' padding and spaces ignored). */
static int
base32_decode(const char *in, unsigned char *out, size_t outsize)
{
	unsigned buf = 0;
	int bits = 0;
	size_t n = 0;
	for (; *in; in++) {
		if (*in == '=' || *in == ' ')
			continue;
		char c = *in >= 'a' && *in <= 'z' ? (char)(*in - 32) : *in;
		const char *p = strchr(b32, c);
		if (p == NULL || c == '\0')
			return -1;
		buf = buf << 5 | (unsigned)(p - b32);
		bits += 5;
		if (bits >= 8) {
			if (n == outsize)
				return -1;
			out[n++] = (unsigned char)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	return (int)n;
}

static int
hotp(const unsigned char *key, size_t keylen, uint64_t counter)
{
	unsigned char msg[8], mac[20];
	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (unsigned char)counter;
	size_t len = 0;
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *h = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA1", 0),
		OSSL_PARAM_construct_end(),
	};
	int ok = h != NULL && EVP_MAC_init(h, key, keylen, params) &&
	    EVP_MAC_update(h, msg, sizeof msg) &&
	    EVP_MAC_final(h, mac, &len, sizeof mac) && len == sizeof mac;
	EVP_MAC_CTX_free(h);
	EVP_MAC_free(hmac);
	if (!ok)
		return -1;
	int off = mac[19] & 0x0f;
	uint32_t bin = (uint32_t)(mac[off] & 0x7f) << 24 |
	    (uint32_t)mac[off + 1] << 16 | (uint32_t)mac[off + 2] << 8 |
	    mac[off + 3];
	return (int)(bin % 1000000);
}

int
web_totp_code(const char *secret, uint64_t unix_time)
{
	unsigned char key[64];
	int n = base32_decode(secret, key, sizeof key);
	if (n <= 0)
		return -1;
	int code = hotp(key, (size_t)n, unix_time / TOTP_STEP);
	OPENSSL_cleanse(key, sizeof key);
	return code;
}

bool
web_totp_valid(const char *secret, const char *code, uint64_t unix_time)
{
	if (strlen(code) != 6 || strspn(code, "0123456789") != 6)
		return false;
	int want = (code[0] - '0') * 100000 + (code[1] - '0') * 10000 +
	    (code[2] - '0') * 1000 + (code[3] - '0') * 100 +
	    (code[4] - '0') * 10 + (code[5] - '0');
	bool ok = false;
	for (int d = -1; d <= 1; d++) {
		int c = web_totp_code(secret, unix_time + (uint64_t)(d *
		    TOTP_STEP));
		ok |= c >= 0 && c == want; /* no early exit: same time */
	}
	return ok;
}

int
web_totp_uri(const char *user, const char *secret, char *out,
    size_t outsize)
{
	char u[3 * IPC_CTX_USER_MAX];
	web_url_encode(user, u, sizeof u);
	int n = snprintf(out, outsize, "otpauth://totp/netward:%s?secret=%s"
	    "&issuer=netward&algorithm=SHA1&digits=6&period=30", u, secret);
	return n > 0 && (size_t)n < outsize ? 0 : -1;
}
