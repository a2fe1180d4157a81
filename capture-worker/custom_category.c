/* Custom categories of ntop.loadCustomCategoryIp/Host/File, applied to a
 * flow: a host-name match (DNS, HTTP Host, TLS SNI) while nDPI still holds
 * the flow, then an address match of either end, which wins. */
#include "iface.h"

#include <string.h>

void
iface_custom_category(struct iface *ifc, struct flow *f, ndpi_protocol *p)
{
	if (!ifc->custom_categories)
		return;
	if (f->nd != NULL && f->nd->host_server_name[0] != '\0')
		ndpi_fill_protocol_category(ifc->ndpi, f->nd, p);
	if (f->ipver == 4) {
		uint32_t cli, srv; /* network byte order, as nDPI wants */
		memcpy(&cli, f->cli_ip, 4);
		memcpy(&srv, f->srv_ip, 4);
		ndpi_fill_ip_protocol_category(ifc->ndpi, cli, srv, p);
	}
}
