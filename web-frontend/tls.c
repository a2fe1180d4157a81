/* TLS: the self-signed certificate made at first start, and the server
 * SSL_CTX (TLS 1.2+, forward-secret AEAD ciphers only, ALPN h2 and
 * http/1.1). */
#include "web.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CERT_DAYS 825 /* the longest validity browsers still accept */

/* TLS 1.2 suites of Mozilla's "intermediate" profile; TLS 1.3 keeps its
 * defaults, which are all AEAD. */
static const char tls12_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/* h2 first; http/1.1 for clients without HTTP/2 (the old h2-14/h2-16
 * drafts of h2o's default list are left out). */
static const h2o_iovec_t alpn_protocols[] = {
	{H2O_STRLIT("h2")},
	{H2O_STRLIT("http/1.1")},
	{NULL, 0},
};

static void
log_ssl_errors(const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof buf);
		log_error("%s: %s", what, buf);
	}
}

static int
add_ext(X509 *crt, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, crt, crt, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return -1;
	int ok = X509_add_ext(crt, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static X509 *
make_certificate(EVP_PKEY *key)
{
	X509 *crt = X509_new();
	if (crt == NULL)
		return NULL;

	unsigned char serial[16];
	if (RAND_bytes(serial, sizeof serial) != 1)
		goto fail;
	serial[0] &= 0x7f; /* a positive serial */
	BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(crt))
	    == NULL) {
		BN_free(bn);
		goto fail;
	}
	BN_free(bn);

	X509_NAME *name = X509_get_subject_name(crt);
	if (X509_set_version(crt, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(crt), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(crt),
		(long)CERT_DAYS * 86400) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		(const unsigned char *)"netward", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(crt, name) != 1 ||
	    X509_set_pubkey(crt, key) != 1)
		goto fail;

	if (add_ext(crt, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(crt, NID_key_usage, "critical,digitalSignature") ||
	    add_ext(crt, NID_ext_key_usage, "serverAuth") ||
	    add_ext(crt, NID_subject_key_identifier, "hash") ||
	    add_ext(crt, NID_subject_alt_name,
		"DNS:localhost,IP:127.0.0.1,IP:::1"))
		goto fail;

	if (X509_sign(crt, key, EVP_sha256()) == 0)
		goto fail;
	return crt;
fail:
	X509_free(crt);
	return NULL;
}

/* Writes through a temporary file and rename(), so a crash never leaves a
 * half-written key or certificate behind. */
static int
write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *crt)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -1;
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		log_error("cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	int ok = key != NULL
	    ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
	    : PEM_write_X509(f, crt);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		ok = 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		log_error("cannot write %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
web_tls_ensure_cert(const char *cert_file, const char *key_file)
{
	bool have_cert = access(cert_file, F_OK) == 0;
	bool have_key = access(key_file, F_OK) == 0;
	if (have_cert && have_key)
		return 0;
	if (have_cert != have_key) {
		/* Never overwrite half of a pair an operator may have put. */
		log_error("only one of %s and %s exists", cert_file, key_file);
		return -1;
	}

	EVP_PKEY *key = EVP_EC_gen("P-256");
	if (key == NULL) {
		log_ssl_errors("EC key generation");
		return -1;
	}
	X509 *crt = make_certificate(key);
	int rc = -1;
	if (crt == NULL) {
		log_ssl_errors("certificate");
	} else if (write_pem(key_file, 0600, key, NULL) == 0 &&
	    write_pem(cert_file, 0644, NULL, crt) == 0) {
		log_info("created self-signed certificate %s", cert_file);
		rc = 0;
	}
	X509_free(crt);
	EVP_PKEY_free(key);
	return rc;
}

SSL_CTX *
web_tls_context(const char *cert_file, const char *key_file)
{
	SSL_CTX *ssl = SSL_CTX_new(TLS_server_method());
	if (ssl == NULL) {
		log_ssl_errors("SSL_CTX_new");
		return NULL;
	}
	SSL_CTX_set_options(ssl, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
	if (SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ssl, tls12_ciphers) != 1 ||
	    SSL_CTX_set1_groups_list(ssl, "X25519:P-256:P-384") != 1 ||
	    SSL_CTX_use_certificate_chain_file(ssl, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ssl, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ssl) != 1) {
		log_ssl_errors(cert_file);
		SSL_CTX_free(ssl);
		return NULL;
	}
	h2o_ssl_register_alpn_protocols(ssl, alpn_protocols);
	return ssl;
}
