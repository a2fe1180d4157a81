/* interface.* nDPI protocol and category methods (section 9). */
#include "rpc_common.h"

#include <stdlib.h>
#include <string.h>

void
m_get_ndpi_stats(struct call *c)
{
	uint8_t ver, ip[16];
	uint16_t vlan;
	bool given;
	struct host *h = NULL;

	if (!want_args(c, 0, 2) ||
	    !host_args_at(c, 0, false, &given, &ver, ip, &vlan))
		return;
	iface_lock_rpc(c->ifc);
	if (given && ((h = ht_find(&c->ifc->hosts, ver, ip, vlan)) == NULL ||
			 !ctx_may_see_host(&c->rq->ctx, h))) {
		pthread_mutex_unlock(&c->ifc->lock);
		fail(c, IPC_ERR_NOT_FOUND, "no such host");
		return;
	}
	ipc_reply_begin(c->w, c->rq->id);
	pack_ndpi_stats(c->ifc, h, &c->w->pk);
	pthread_mutex_unlock(&c->ifc->lock);
}

void
m_get_ndpi_host_stats(struct call *c)
{
	if (arg(c, 0) == NULL) {
		fail(c, IPC_ERR_BAD_REQUEST, "host is required");
		return;
	}
	m_get_ndpi_stats(c);
}

static uint32_t
num_protos(struct iface *ifc)
{
	return ndpi_get_num_supported_protocols(ifc->ndpi);
}

/* ([category_id]): {name = id} */
void
m_get_ndpi_protocols(struct call *c)
{
	int64_t cat = -1;
	uint32_t n = 0;

	if (!want_args(c, 0, 2) ||
	    !arg_int(c, 0, false, 0, NDPI_PROTOCOL_NUM_CATEGORIES - 1, &cat))
		return;
	struct ndpi_detection_module_struct *nd = c->ifc->ndpi;
	for (uint32_t i = 0; i < num_protos(c->ifc); i++) {
		ndpi_protocol p = { NDPI_PROTOCOL_UNKNOWN, (uint16_t)i,
			NDPI_PROTOCOL_CATEGORY_UNSPECIFIED };
		if (cat < 0 || (int64_t)ndpi_get_proto_category(nd, p) == cat)
			n++;
	}
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, n);
	for (uint32_t i = 0; i < num_protos(c->ifc); i++) {
		ndpi_protocol p = { NDPI_PROTOCOL_UNKNOWN, (uint16_t)i,
			NDPI_PROTOCOL_CATEGORY_UNSPECIFIED };
		if (cat >= 0 && (int64_t)ndpi_get_proto_category(nd, p) != cat)
			continue;
		ipc_pack_str(&c->w->pk, ndpi_get_proto_name(nd, (uint16_t)i));
		msgpack_pack_uint32(&c->w->pk, i);
	}
}

/* {name = id} */
void
m_get_ndpi_categories(struct call *c)
{
	uint32_t n = 0;

	if (!want_args(c, 0, 0))
		return;
	for (int i = 0; i < NDPI_PROTOCOL_NUM_CATEGORIES; i++) {
		const char *nm = ndpi_category_get_name(c->ifc->ndpi,
		    (ndpi_protocol_category_t)i);
		n += nm && nm[0];
	}
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, n);
	for (int i = 0; i < NDPI_PROTOCOL_NUM_CATEGORIES; i++) {
		const char *nm = ndpi_category_get_name(c->ifc->ndpi,
		    (ndpi_protocol_category_t)i);
		if (!nm || !nm[0])
			continue;
		ipc_pack_str(&c->w->pk, nm);
		msgpack_pack_int(&c->w->pk, i);
	}
}

static bool
proto_id_arg(struct call *c, uint16_t *id)
{
	int64_t v;

	if (!want_args(c, 1, 1) ||
	    !arg_int(c, 0, true, 0, (int64_t)num_protos(c->ifc) - 1, &v))
		return false;
	*id = (uint16_t)v;
	return true;
}

void
m_get_ndpi_proto_name(struct call *c)
{
	uint16_t id;

	if (!proto_id_arg(c, &id))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	ipc_pack_str(&c->w->pk, ndpi_get_proto_name(c->ifc->ndpi, id));
}

/* (id): "Master.App" when id was seen under a master, else the name */
void
m_get_ndpi_full_proto_name(struct call *c)
{
	uint16_t id;

	if (!proto_id_arg(c, &id))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	ipc_pack_str(&c->w->pk, ndpi_get_proto_name(c->ifc->ndpi, id));
}

void
m_get_ndpi_proto_breed(struct call *c)
{
	uint16_t id;

	if (!proto_id_arg(c, &id))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	ipc_pack_str(&c->w->pk, ndpi_get_proto_breed_name(c->ifc->ndpi,
	    ndpi_get_proto_breed(c->ifc->ndpi, id)));
}

/* (name): id, or -1 when nDPI has no such protocol (as ntopng) */
void
m_get_ndpi_proto_id(struct call *c)
{
	char name[64];

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, name, sizeof name))
		return;
	int id = ndpi_get_protocol_id(c->ifc->ndpi, name);
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_int(&c->w->pk, id);
}

void
m_get_ndpi_category_id(struct call *c)
{
	char name[64];

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, name, sizeof name))
		return;
	int id = ndpi_get_category_id(c->ifc->ndpi, name);
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_int(&c->w->pk, id);
}

void
m_get_ndpi_category_name(struct call *c)
{
	int64_t id;

	if (!want_args(c, 1, 1) ||
	    !arg_int(c, 0, true, 0, NDPI_PROTOCOL_NUM_CATEGORIES - 1, &id))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	ipc_pack_str(&c->w->pk, ndpi_category_get_name(c->ifc->ndpi,
	    (ndpi_protocol_category_t)id));
}

/* {name = number of flows} of the interface's flows by protocol */
void
m_get_ndpi_flows_count(struct call *c)
{
	uint32_t n = 0;
	struct iface *ifc = c->ifc;

	if (!want_args(c, 0, 0))
		return;
	iface_lock_rpc(ifc);
	for (uint32_t i = 0; i < ifc->nprotos; i++)
		n += ifc->proto[i].flows != 0;
	ipc_reply_begin(c->w, c->rq->id);
	msgpack_pack_map(&c->w->pk, n);
	for (uint32_t i = 0; i < ifc->nprotos; i++)
		if (ifc->proto[i].flows) {
			ipc_pack_str(&c->w->pk,
			    ndpi_get_proto_name(ifc->ndpi, (uint16_t)i));
			msgpack_pack_uint64(&c->w->pk, ifc->proto[i].flows);
		}
	pthread_mutex_unlock(&ifc->lock);
}
