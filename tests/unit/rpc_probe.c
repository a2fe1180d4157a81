/* Test tool: sends one message to a netward RPC socket and prints the
 * reply's status line, so tests can speak to workers directly.
 *   rpc-probe URL raw HEXBYTES        send these exact bytes
 *   rpc-probe URL call METHOD [ARG…]  a well-formed request, string args
 * Prints "status N (name): error" or "status 0: <result>"; exits 2 when no
 * reply came at all. */
#define _GNU_SOURCE
#include "envelope.h"
#include "log.h"
#include "rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t
unhex(const char *s, unsigned char *out, size_t room)
{
	size_t n = 0;
	while (s[0] && s[1] && n < room) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return n;
}

int
main(int argc, char **argv)
{
	struct ipc_client c;
	struct ipc_writer w;
	struct ipc_reply rp;
	char err[256];

	log_init("rpc-probe", LOG_LVL_ERROR);
	if (argc < 4) {
		fprintf(stderr, "usage: rpc-probe URL raw HEX | call METHOD [ARG...]\n");
		return 64;
	}
	if (ipc_client_open(&c, 3000) != 0 || ipc_client_dial(&c, argv[1]) != 0)
		return 2;
	ipc_writer_init(&w);
	uint64_t id = 0;
	if (strcmp(argv[2], "raw") == 0) {
		static unsigned char buf[65536];
		size_t n = unhex(argv[3], buf, sizeof buf);
		msgpack_sbuffer_write(&w.sb, (const char *)buf, n);
	} else {
		id = ipc_client_next_id(&c);
		struct ipc_ctx ctx = {0};
		snprintf(ctx.user, sizeof ctx.user, "admin");
		snprintf(ctx.group, sizeof ctx.group, "administrator");
		ipc_request_begin(&w, id, argv[3], (uint32_t)(argc - 4));
		for (int i = 4; i < argc; i++)
			ipc_pack_str(&w.pk, argv[i]);
		ipc_request_end(&w, &ctx);
	}
	int st = ipc_call(&c, &w, id, &rp, err, sizeof err);
	if (st == IPC_ERR_UNAVAILABLE) {
		printf("no reply: %s\n", err);
		return 2;
	}
	if (st != IPC_OK) {
		printf("undecodable reply: %s\n", err);
		return 2;
	}
	if (rp.status != IPC_OK) {
		printf("status %d (%s): %s\n", rp.status,
		    ipc_status_name(rp.status), rp.error);
	} else {
		printf("status 0: ");
		msgpack_object_print(stdout, *rp.result);
		printf("\n");
	}
	ipc_reply_free(&rp);
	ipc_writer_free(&w);
	ipc_client_close(&c);
	return 0;
}
