/* libFuzzer target: the envelope decoder sees every byte a peer can send. */
#include "envelope.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct ipc_request rq;
	struct ipc_reply rp;

	ipc_request_decode(&rq, data, size, err, sizeof err);
	ipc_request_free(&rq);
	ipc_reply_decode(&rp, data, size, err, sizeof err);
	ipc_reply_free(&rp);
	return 0;
}
