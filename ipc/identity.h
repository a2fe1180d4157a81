/* The identity token: the frontend MACs the caller's identity in ctx, the
 * Lua worker passes ctx through unchanged, and the owner of the data checks
 * the MAC before it trusts a field. A compromised Lua worker can therefore
 * act only as the requests it is serving, never as an identity it invents.
 *
 * MAC = HMAC-SHA256(key, version | user | group | allowed_nets |
 * allowed_ifname | request_id | expires), fields length-prefixed so no two
 * identities share an input. */
#ifndef NETWARD_IPC_IDENTITY_H
#define NETWARD_IPC_IDENTITY_H

#include "envelope.h"

#include <stdbool.h>
#include <stdint.h>

#define IDENTITY_KEY_BYTES 32

/* Fills ctx->expires (now + ttl_s) and ctx->token. */
void ipc_identity_sign(const uint8_t key[IDENTITY_KEY_BYTES],
    struct ipc_ctx *ctx, uint64_t now, unsigned ttl_s);
/* True when the token matches the fields and has not expired. */
bool ipc_identity_verify(const uint8_t key[IDENTITY_KEY_BYTES],
    const struct ipc_ctx *ctx, uint64_t now);

#endif
