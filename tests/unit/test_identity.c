/* The identity MAC: a signed ctx verifies, any changed field, another key,
 * an expired token, or a token carried over to another request does not. */
#define _GNU_SOURCE
#include "envelope.h"
#include "identity.h"

#include <stdio.h>
#include <string.h>

static int failures, checks;
#define CHECK(c)                                                            \
	do {                                                                \
		checks++;                                                   \
		if (!(c)) {                                                 \
			failures++;                                         \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
		}                                                           \
	} while (0)

int
main(void)
{
	uint8_t key[IDENTITY_KEY_BYTES], other[IDENTITY_KEY_BYTES];
	memset(key, 7, sizeof key);
	memset(other, 8, sizeof other);

	struct ipc_ctx c = {0};
	snprintf(c.user, sizeof c.user, "alice");
	snprintf(c.group, sizeof c.group, "unprivileged");
	snprintf(c.allowed_nets, sizeof c.allowed_nets, "10.0.0.0/8");
	c.request_id = 41;
	ipc_identity_sign(key, &c, 1000, 60);
	CHECK(c.expires == 1060);
	CHECK(strlen(c.token) == IPC_TOKEN_HEX);
	CHECK(ipc_identity_verify(key, &c, 1000));
	CHECK(ipc_identity_verify(key, &c, 1060));
	CHECK(!ipc_identity_verify(key, &c, 1061));
	CHECK(!ipc_identity_verify(other, &c, 1000));

	struct ipc_ctx t = c;
	snprintf(t.group, sizeof t.group, "administrator");
	CHECK(!ipc_identity_verify(key, &t, 1000));
	t = c;
	t.allowed_nets[0] = '\0'; /* widen to every network */
	CHECK(!ipc_identity_verify(key, &t, 1000));
	t = c;
	t.request_id = 42;
	CHECK(!ipc_identity_verify(key, &t, 1000));
	t = c;
	t.expires += 3600;
	CHECK(!ipc_identity_verify(key, &t, 1000));
	t = c;
	/* moving bytes between fields must change the MAC */
	snprintf(t.user, sizeof t.user, "alic");
	snprintf(t.group, sizeof t.group, "eunprivileged");
	CHECK(!ipc_identity_verify(key, &t, 1000));
	t = c;
	t.token[0] = t.token[0] == 'a' ? 'b' : 'a';
	CHECK(!ipc_identity_verify(key, &t, 1000));
	t = c;
	t.token[10] = '\0';
	CHECK(!ipc_identity_verify(key, &t, 1000));

	/* the token survives the envelope */
	struct ipc_writer w;
	struct ipc_request rq;
	char err[128];
	ipc_writer_init(&w);
	ipc_request_begin(&w, 1, "getUsers", 0);
	ipc_request_end(&w, &c);
	CHECK(ipc_request_decode(&rq, w.sb.data, w.sb.size, err, sizeof err) ==
	    IPC_OK);
	CHECK(ipc_identity_verify(key, &rq.ctx, 1000));
	ipc_request_free(&rq);
	ipc_writer_free(&w);

	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
