/* Who is asking: the capture worker checks the identity the frontend
 * minted (ipc/identity.h) before it trusts a field of ctx, and then shows
 * a caller only the interface and the networks its identity allows. */
#ifndef NETWARD_CAPTURE_CALLER_H
#define NETWARD_CAPTURE_CALLER_H

#include "envelope.h"
#include "host_table.h"

#include <stdbool.h>

/* From then on every call but "ping" needs a valid identity. */
void caller_set_key(const uint8_t k[32]);
bool caller_key_loaded(void);

/* NULL when ctx may call methods of interface ifname, else why not. */
const char *caller_refusal(const struct ipc_ctx *ctx, const char *ifname);

/* True when ctx's allowed networks ("" = all) hold the host. */
bool caller_may_see(const struct ipc_ctx *ctx, const struct host *h);
/* The same for an address (ver 4 or 6) that may have no host any more. */
bool caller_may_see_ip(const struct ipc_ctx *ctx, uint8_t ver,
    const uint8_t ip[16]);
/* True when ctx's allowed networks hold every address (0.0.0.0/0 and
 * ::/0, or no limit). */
bool caller_sees_all(const struct ipc_ctx *ctx);

#endif
