/* Packing flows, hosts and nDPI stats as msgpack maps with ntopng's field
 * names (shared/spec/field-names.md). The caller holds iface->lock. */
#ifndef NETWARD_CAPTURE_RPC_PACK_H
#define NETWARD_CAPTURE_RPC_PACK_H

#include "envelope.h"
#include "iface.h"

/* A map whose size is known only after its entries are packed: entries
 * go to a scratch buffer, then mb_end() writes header + entries. */
struct mapb {
	struct ipc_writer w;
	uint32_t n;
};

void mb_init(struct mapb *m);
msgpack_packer *mb_key(struct mapb *m, const char *key);
void mb_str(struct mapb *m, const char *key, const char *val);
void mb_u64(struct mapb *m, const char *key, uint64_t val);
void mb_i64(struct mapb *m, const char *key, int64_t val);
void mb_dbl(struct mapb *m, const char *key, double val);
void mb_bool(struct mapb *m, const char *key, bool val);
/* Writes the map into out and frees the scratch buffer. */
void mb_end(struct mapb *m, msgpack_packer *out);

void pack_flow(struct iface *ifc, const struct flow *f, msgpack_packer *pk);
/* details: the host's contacted peers (host_peers.h) when its details
 * are wanted (protocols, names, peers, ...), else NULL. */
struct host_peers;
void pack_host(struct iface *ifc, const struct host *h,
    const struct host_peers *details, msgpack_packer *pk);
/* The "ip" or "ip@vlan" key ntopng uses for hosts. */
const char *host_key(const struct host *h, char *buf, size_t len);
/* {ndpi = {...}, ndpi_categories = {...}} of the interface or of h. */
void pack_ndpi_stats(struct iface *ifc, const struct host *h,
    msgpack_packer *pk);

#endif
