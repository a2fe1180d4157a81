#define _GNU_SOURCE
#include "caller.h"

#include "addr.h"
#include "identity.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static uint8_t key[IDENTITY_KEY_BYTES];
static bool key_loaded;

void
caller_set_key(const uint8_t k[32])
{
	memcpy(key, k, sizeof key);
	key_loaded = true;
}

bool
caller_key_loaded(void)
{
	return key_loaded;
}

const char *
caller_refusal(const struct ipc_ctx *ctx, const char *ifname)
{
	if (!key_loaded)
		return NULL; /* standalone run (tests, bench): no frontend */
	if (!ipc_identity_verify(key, ctx, (uint64_t)time(NULL)))
		return "no valid identity";
	if (ctx->allowed_ifname[0] != '\0' &&
	    strcmp(ctx->allowed_ifname, ifname) != 0)
		return "interface not allowed for this user";
	return NULL;
}

/* The parsed networks of the last ctx seen on this thread: listings ask
 * once per host, the list changes once per request at most. */
static __thread struct localnets cached_nets;
static __thread char cached_text[IPC_CTX_NETS_MAX];
static __thread bool cached_valid;

bool
caller_may_see(const struct ipc_ctx *ctx, const struct host *h)
{
	return caller_may_see_ip(ctx, h->ipver, h->ip);
}

/* The parsed allowed networks of ctx (not empty). */
static const struct localnets *
nets_of(const struct ipc_ctx *ctx)
{
	if (!cached_valid || strcmp(cached_text, ctx->allowed_nets) != 0) {
		char err[128];
		snprintf(cached_text, sizeof cached_text, "%s",
		    ctx->allowed_nets);
		/* A list that does not parse shows nothing, never all. */
		if (!localnets_parse(&cached_nets, cached_text, err,
		    sizeof err))
			cached_nets.n = 0;
		cached_valid = true;
	}
	return &cached_nets;
}

bool
caller_may_see_ip(const struct ipc_ctx *ctx, uint8_t ver,
    const uint8_t ip[16])
{
	if (ctx->allowed_nets[0] == '\0')
		return true;
	return localnets_contains(nets_of(ctx), ver, ip);
}

bool
caller_sees_all(const struct ipc_ctx *ctx)
{
	bool v4 = false, v6 = false;

	if (ctx->allowed_nets[0] == '\0')
		return true;
	const struct localnets *ln = nets_of(ctx);
	for (int i = 0; i < ln->n; i++)
		if (ln->net[i].prefix == 0) {
			v4 |= ln->net[i].ver == 4;
			v6 |= ln->net[i].ver == 6;
		}
	return v4 && v6;
}
