/* What a host's traffic reveals beyond counters: names (DNS answers, TLS
 * SNI, HTTP Host, DHCP), operating system (DHCP class, HTTP User-Agent),
 * and a small cache of DNS answers so a host contacted after its name was
 * resolved still gets it. Called under the iface lock. */
#ifndef NETWARD_CAPTURE_HOST_INFO_H
#define NETWARD_CAPTURE_HOST_INFO_H

#include "flow_table.h"
#include "host_table.h"

struct iface;

enum host_os { OS_UNKNOWN, OS_LINUX, OS_WINDOWS, OS_MACOS, OS_IOS,
	OS_ANDROID, OS_MAX };

const char *host_os_name(unsigned os);
/* From the nDPI state of f before it is freed (detection done). */
void host_learn(struct iface *ifc, struct flow *f,
    const struct ndpi_flow_struct *nd);
/* The name from the DNS cache for h, or NULL. */
const char *host_dns_name(const struct host *h);
void host_add_name(struct host *h, const char *name, enum name_src src);

#endif
