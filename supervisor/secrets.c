/* The secrets of one run, made at start and handed to each worker through
 * its --secrets-fd pipe: the identity key (frontend, capture workers and
 * the periodic-script worker)
 * and one Redis password per role (frontend, Lua workers). Redis gets an
 * ACL file with only their SHA-256 hashes. */
#define _GNU_SOURCE
#include "supervisor.h"
#include "log.h"
#include "redis_acl.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static char identity_hex[65];
static char web_password[33], lua_password[33];

static void
random_hex(char *out, size_t nbytes)
{
	unsigned char raw[32];
	if (nbytes > sizeof raw ||
	    getrandom(raw, nbytes, 0) != (ssize_t)nbytes)
		fatal("getrandom");
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof raw);
}

void
sv_secrets_init(void)
{
	random_hex(identity_hex, 32);
	random_hex(web_password, 16);
	random_hex(lua_password, 16);
}

static void
sha256_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	if (EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL) != 1 ||
	    len != sizeof md)
		fatalx("sha256 failed");
	for (unsigned i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void
sv_secrets_write_acl(const char *path, const struct sv_identity *owner)
{
	char web_hash[65], lua_hash[65];
	sha256_hex(web_password, web_hash);
	sha256_hex(lua_password, lua_hash);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd < 0)
		fatal("%s", path);
	if (owner->change_user && fchown(fd, owner->uid, owner->gid) != 0)
		fatal("chown %s", path);
	FILE *f = fdopen(fd, "w");
	if (f == NULL || sv_acl_write(f, web_hash, lua_hash) != 0 ||
	    fclose(f) != 0)
		fatalx("cannot write the Redis ACL file %s", path);
}

void
sv_secrets_give(struct sv_child *c, bool private_redis)
{
	/* and the periodic-script worker, which mints the identity of the
	 * system (group "system") for its scripts' calls; request-serving
	 * Lua workers never hold it */
	if (c->role == ROLE_CAPTURE || c->role == ROLE_WEB ||
	    (c->role == ROLE_LUA && strcmp(c->name, "periodic") == 0))
		sv_child_secret(c, "identity_key", identity_hex);
	if (private_redis && c->role == ROLE_WEB) {
		sv_child_secret(c, "redis_user", "web");
		sv_child_secret(c, "redis_password", web_password);
	}
	if (private_redis && c->role == ROLE_LUA) {
		sv_child_secret(c, "redis_user", "lua");
		sv_child_secret(c, "redis_password", lua_password);
	}
	sv_child_secrets_arg(c);
}
