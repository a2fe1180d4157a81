/* The --secrets-fd reader: well-formed lines are read; a malformed,
 * unknown or oversized blob is refused whole and leaves nothing behind. */
#define _GNU_SOURCE
#include "secrets.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int failures, checks;
#define CHECK(c)                                                            \
	do {                                                                \
		checks++;                                                   \
		if (!(c)) {                                                 \
			failures++;                                         \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
		}                                                           \
	} while (0)

static int
read_blob(const char *blob, size_t len, struct ipc_secrets *s)
{
	int p[2];
	if (pipe(p) != 0)
		return -2;
	if (write(p[1], blob, len) != (ssize_t)len)
		return -2;
	close(p[1]);
	return ipc_secrets_read(p[0], s);
}

int
main(void)
{
	struct ipc_secrets s;
	char key[] = "identity_key="
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
	    "redis_user=lua\nredis_password=00ff00ff00ff\n";
	CHECK(read_blob(key, strlen(key), &s) == 0);
	CHECK(s.has_identity_key && s.identity_key[0] == 0 &&
	    s.identity_key[31] == 0x1f);
	CHECK(strcmp(s.redis_user, "lua") == 0);
	CHECK(strcmp(s.redis_password, "00ff00ff00ff") == 0);

	const char *bad[] = {
		"",				 /* nothing */
		"identity_key=00\n",		 /* short key */
		"redis_user=lua;FLUSHALL\n",	 /* not a token */
		"redis_password=XYZ\n",		 /* not hex */
		"nosuch=1\n",			 /* unknown name */
		"redis_user\n",			 /* no '=' */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CHECK(read_blob(bad[i], strlen(bad[i]), &s) == -1);
		CHECK(!s.has_identity_key && s.redis_user[0] == '\0');
	}
	char nul[] = "redis_user=lua\0x\n";
	CHECK(read_blob(nul, sizeof nul - 1, &s) == -1);
	static char big[4096];
	memset(big, 'a', sizeof big);
	CHECK(read_blob(big, sizeof big, &s) == -1);

	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
