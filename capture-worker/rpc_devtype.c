/* setMacDeviceType(mac, type): the capture side of
 * ntop.setMacDeviceType. The types (mac_devtype.h) are saved in the
 * store after each change, as one map {"AA:BB:CC:DD:EE:FF" = type}, and
 * restored before the capture is read, so a restarted worker lists the
 * same types (the Lua worker also keeps each in Redis, as ntopng). */
#include "rpc_common.h"

#include "alert_store.h"
#include "log.h"
#include "mac_devtype.h"

#include <stdlib.h>
#include <string.h>

#define SAVE_NAME "mac_device_types"

/* Under the lock: the whole table into the store. */
static bool
save(char *err, size_t errlen)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	bool ok;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, (uint32_t)dt_count());
	for (size_t i = 0; i < dt_count(); i++) {
		uint8_t mac[6], type;
		char txt[18];
		dt_at(i, mac, &type);
		mac_fmt(mac, txt);
		msgpack_pack_str(&pk, strlen(txt));
		msgpack_pack_str_body(&pk, txt, strlen(txt));
		msgpack_pack_uint8(&pk, type);
	}
	msgpack_unpacked_init(&u);
	ok = msgpack_unpack_next(&u, sb.data, sb.size, NULL) ==
	    MSGPACK_UNPACK_SUCCESS &&
	    as_config_save(SAVE_NAME, &u.data, err, errlen);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return ok;
}

void
m_set_mac_device_type(struct call *c)
{
	char buf[24], err[200] = "cannot encode the table";
	uint8_t mac[6];
	int64_t type;

	if (!want_args(c, 2, 2) || !arg_str(c, 0, true, buf, sizeof buf) ||
	    !arg_int(c, 1, true, 0, DEVTYPE_MAX, &type))
		return;
	if (!mac_parse(buf, mac)) {
		fail(c, IPC_ERR_BAD_REQUEST, "'%s' is not a MAC address", buf);
		return;
	}
	iface_lock_rpc(c->ifc);
	if (!dt_set(mac, (uint8_t)type)) {
		pthread_mutex_unlock(&c->ifc->lock);
		fail(c, IPC_ERR_BAD_REQUEST, "more than %d MACs with a device "
		    "type", DEVTYPE_ENTRIES);
		return;
	}
	bool ok = save(err, sizeof err);
	pthread_mutex_unlock(&c->ifc->lock);
	if (!ok) {
		fail(c, IPC_ERR_INTERNAL, "applied but not saved: %s", err);
		return;
	}
	reply_nil(c);
}

/* At start, before the capture. */
void
rpc_devtype_restore(struct iface *ifc)
{
	msgpack_unpacked u;
	void *buf = NULL;
	size_t bad = 0;

	msgpack_unpacked_init(&u);
	if (as_config_load(SAVE_NAME, &u, &buf) &&
	    u.data.type == MSGPACK_OBJECT_MAP) {
		iface_lock_rpc(ifc);
		for (uint32_t i = 0; i < u.data.via.map.size; i++) {
			const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
			char txt[24];
			uint8_t mac[6];
			if (kv->key.type != MSGPACK_OBJECT_STR ||
			    kv->key.via.str.size >= sizeof txt ||
			    kv->val.type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
			    kv->val.via.u64 > DEVTYPE_MAX) {
				bad++;
				continue;
			}
			memcpy(txt, kv->key.via.str.ptr, kv->key.via.str.size);
			txt[kv->key.via.str.size] = '\0';
			if (!mac_parse(txt, mac) ||
			    !dt_set(mac, (uint8_t)kv->val.via.u64))
				bad++;
		}
		pthread_mutex_unlock(&ifc->lock);
		log_info("mac_device_types restored from the alert store "
		    "(%zu entries, %zu refused)", dt_count(), bad);
	}
	msgpack_unpacked_destroy(&u);
	free(buf);
}
