/* loadCustomCategories: the set ntop.finalizenDPIReload() sends, applied
 * to this interface's nDPI. Entries are "ip CAT ADDR[/LEN]" or
 * "host CAT NAME"; the whole set replaces the previous one (nDPI loads
 * into a shadow set and swaps it in, with its own built-in host
 * categories added again). It runs under the interface lock, so no packet
 * is being classified meanwhile; flows classified later get the new
 * categories. */
#include "rpc_common.h"

#include "log.h"

#include <ndpi/ndpi_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 100000

static bool
parse_entry(const char *s, size_t n, char kind[8], long *cat, char *value,
    size_t vsize)
{
	char buf[512];
	if (n == 0 || n >= sizeof buf || memchr(s, '\0', n) != NULL)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *sp1 = strchr(buf, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (sp2 == NULL || (size_t)(sp1 - buf) >= 8)
		return false;
	*sp1 = *sp2 = '\0';
	memcpy(kind, buf, (size_t)(sp1 - buf) + 1); /* < 8 bytes, checked */
	char *end;
	*cat = strtol(sp1 + 1, &end, 10);
	if (*end != '\0' || *cat < 0 || *cat >= NDPI_PROTOCOL_NUM_CATEGORIES)
		return false;
	if (strlen(sp2 + 1) == 0 || strlen(sp2 + 1) >= vsize ||
	    strpbrk(sp2 + 1, " \t") != NULL)
		return false;
	snprintf(value, vsize, "%s", sp2 + 1);
	return strcmp(kind, "ip") == 0 || strcmp(kind, "host") == 0;
}

void
m_load_custom_categories(struct call *c)
{
	if (!want_args(c, 1, 1))
		return;
	const msgpack_object *list = &c->rq->args[0];
	if (list->type != MSGPACK_OBJECT_ARRAY ||
	    list->via.array.size > MAX_ENTRIES) {
		fail(c, IPC_ERR_BAD_REQUEST, "a list of at most %d entries",
		    MAX_ENTRIES);
		return;
	}
	/* All or nothing: check every entry before nDPI sees one. */
	for (uint32_t i = 0; i < list->via.array.size; i++) {
		const char *s;
		size_t n;
		char kind[8], value[256];
		long cat;
		if (!ipc_obj_str(&list->via.array.ptr[i], &s, &n) ||
		    !parse_entry(s, n, kind, &cat, value, sizeof value)) {
			fail(c, IPC_ERR_BAD_REQUEST, "entry %u is not "
			    "\"ip|host CATEGORY VALUE\"", i + 1);
			return;
		}
	}
	uint32_t loaded = 0;
	iface_lock_rpc(c->ifc);
	for (uint32_t i = 0; i < list->via.array.size; i++) {
		const char *s;
		size_t n;
		char kind[8] = "", value[256] = "";
		long cat = 0; /* checked above; -O3 cannot see it */
		ipc_obj_str(&list->via.array.ptr[i], &s, &n);
		parse_entry(s, n, kind, &cat, value, sizeof value);
		int rc = kind[0] == 'i' ?
		    ndpi_load_ip_category(c->ifc->ndpi, value,
			(ndpi_protocol_category_t)cat) :
		    ndpi_load_hostname_category(c->ifc->ndpi, value,
			(ndpi_protocol_category_t)cat);
		loaded += rc >= 0;
	}
	ndpi_enable_loaded_categories(c->ifc->ndpi);
	c->ifc->custom_categories = list->via.array.size > 0;
	pthread_mutex_unlock(&c->ifc->lock);
	log_info("custom categories: %u of %u entries loaded", loaded,
	    list->via.array.size);
	reply_u64(c, loaded);
}
