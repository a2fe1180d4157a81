/* See host_info.h. */
#include "host_info.h"

#include "iface.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const os_names[OS_MAX] = { "Unknown", "Linux", "Windows",
	"MacOS", "iOS", "Android" };

const char *
host_os_name(unsigned os)
{
	return os < OS_MAX ? os_names[os] : "Unknown";
}

/* DNS answers: address -> name, direct-mapped; one interface per process
 * (a capture worker owns one), guarded by that interface's lock. */
#define DNS_CACHE 4096
static struct {
	uint8_t ver, ip[16];
	char name[64];
} dns_cache[DNS_CACHE];

static unsigned
ip_slot(uint8_t ver, const uint8_t ip[16])
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < (ver == 4 ? 4 : 16); i++)
		h = (h ^ ip[i]) * 16777619u;
	return h % DNS_CACHE;
}

const char *
host_dns_name(const struct host *h)
{
	unsigned s = ip_slot(h->ipver, h->ip);
	if (dns_cache[s].ver == h->ipver && dns_cache[s].name[0] &&
	    memcmp(dns_cache[s].ip, h->ip, 16) == 0)
		return dns_cache[s].name;
	return NULL;
}

void
host_add_name(struct host *h, const char *name, enum name_src src)
{
	if (h == NULL || name == NULL || name[0] == '\0')
		return;
	for (unsigned i = 0; i < h->nnames; i++)
		if (strcasecmp(h->names[i], name) == 0)
			return;
	unsigned i = h->nnames < HOST_NAMES ? h->nnames++ : HOST_NAMES - 1;
	/* the precision keeps -O3's format-truncation check quiet */
	snprintf(h->names[i], sizeof h->names[i], "%.*s",
	    (int)sizeof h->names[i] - 1, name);
	h->name_src[i] = (uint8_t)src;
}

static unsigned
os_from_text(const char *s)
{
	if (s == NULL)
		return OS_UNKNOWN;
	if (strstr(s, "Android") || strstr(s, "android"))
		return OS_ANDROID;
	if (strstr(s, "iPhone") || strstr(s, "iPad") || strstr(s, "iOS"))
		return OS_IOS;
	if (strstr(s, "Mac OS X") || strstr(s, "Macintosh"))
		return OS_MACOS;
	if (strstr(s, "Windows") || strstr(s, "MSFT"))
		return OS_WINDOWS;
	if (strstr(s, "Linux") || strstr(s, "dhcpcd") || strstr(s, "udhcp"))
		return OS_LINUX;
	return OS_UNKNOWN;
}

static void
set_os(struct host *h, unsigned os)
{
	if (h && !h->os_manual && os != OS_UNKNOWN)
		h->os = (uint8_t)os;
}

void
host_learn(struct iface *ifc, struct flow *f,
    const struct ndpi_flow_struct *nd)
{
	uint16_t m = f->proto.master_protocol, a = f->proto.app_protocol;
	bool dns = m == NDPI_PROTOCOL_DNS || a == NDPI_PROTOCOL_DNS;
	bool dhcp = m == NDPI_PROTOCOL_DHCP || a == NDPI_PROTOCOL_DHCP;
	bool http = m == NDPI_PROTOCOL_HTTP || a == NDPI_PROTOCOL_HTTP;

	(void)ifc;
	if (dns) {
		if (nd->protos.dns.num_answers > 0 && nd->host_server_name[0] &&
		    (nd->protos.dns.rsp_type == 1 ||
			nd->protos.dns.rsp_type == 28)) {
			uint8_t ver = nd->protos.dns.rsp_type == 1 ? 4 : 6;
			uint8_t ip[16] = { 0 };
			memcpy(ip, &nd->protos.dns.rsp_addr, ver == 4 ? 4 : 16);
			unsigned s = ip_slot(ver, ip);
			dns_cache[s].ver = ver;
			memcpy(dns_cache[s].ip, ip, 16);
			snprintf(dns_cache[s].name, sizeof dns_cache[s].name,
			    "%.63s", nd->host_server_name);
		}
		return;
	}
	if (dhcp) {
		if (f->cli_host) {
			if (nd->host_server_name[0])
				snprintf(f->cli_host->dhcp_name,
				    sizeof f->cli_host->dhcp_name, "%.31s",
				    nd->host_server_name);
			set_os(f->cli_host,
			    os_from_text(nd->protos.dhcp.class_ident));
		}
		return;
	}
	if (f->host_server_name[0] && f->srv_host)
		host_add_name(f->srv_host, f->host_server_name,
		    http ? NAME_HTTP_HOST : NAME_TLS_SNI);
	if (http && f->cli_host) {
		unsigned os = os_from_text(nd->http.detected_os);
		if (os == OS_UNKNOWN)
			os = os_from_text(nd->http.user_agent);
		set_os(f->cli_host, os);
	}
}
