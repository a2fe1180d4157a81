/* checkFilterSyntax(filter): the capture side of ntop.checkFilterSyntax,
 * a BPF syntax check: pcap_compile on a dead Ethernet handle, as
 * tcpdump -d compiles a filter for an Ethernet capture.
 *
 * libpcap resolves the names a filter may hold (host, port, network,
 * protocol, ether host names) through the C library, and name lookups
 * have no place in the capture worker: its sandbox reads no /etc file
 * and kills it on connect(), which the C library's resolver makes (the
 * nscd socket). So while a filter is compiled, this file's definitions
 * of the resolver functions libpcap imports answer "no such name"
 * without a system call (numbers and numeric addresses still parse),
 * and a filter that needed a name is an error saying so, never a
 * guess. Outside a compile they pass every call to the C library's. */
#define _GNU_SOURCE
#include "rpc_common.h"

#include <dlfcn.h>
#include <netdb.h>
#include <netinet/ether.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <string.h>

#define FILTER_MAX 4096

static _Thread_local bool compiling, name_asked;
static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

#define REAL(name) \
	static __typeof__(name) *real; \
	if (real == NULL) \
		real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	REAL(getaddrinfo);
	if (real == NULL)
		return EAI_SYSTEM;
	if (!compiling)
		return real(node, service, hints, res);
	/* numeric only: no NSS, no resolver */
	struct addrinfo h;
	if (hints)
		h = *hints;
	else {
		memset(&h, 0, sizeof h);
		h.ai_family = AF_UNSPEC;
	}
	h.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
	h.ai_flags &= ~AI_ADDRCONFIG;
	int rc = real(node, service, &h, res);
	if (rc == EAI_NONAME)
		name_asked = true;
	return rc;
}

struct hostent *
gethostbyname(const char *name)
{
	REAL(gethostbyname);
	if (compiling || real == NULL) {
		name_asked = true;
		h_errno = HOST_NOT_FOUND;
		return NULL;
	}
	return real(name);
}

int
getnetbyname_r(const char *name, struct netent *ne, char *buf, size_t len,
    struct netent **out, int *herr)
{
	REAL(getnetbyname_r);
	if (compiling || real == NULL) {
		name_asked = true;
		*out = NULL;
		*herr = HOST_NOT_FOUND;
		return 0;
	}
	return real(name, ne, buf, len, out, herr);
}

int
getprotobyname_r(const char *name, struct protoent *pe, char *buf,
    size_t len, struct protoent **out)
{
	REAL(getprotobyname_r);
	if (compiling || real == NULL) {
		name_asked = true;
		*out = NULL;
		return 0;
	}
	return real(name, pe, buf, len, out);
}

int
ether_hostton(const char *name, struct ether_addr *e)
{
	REAL(ether_hostton);
	if (compiling || real == NULL) {
		name_asked = true;
		return -1;
	}
	return real(name, e);
}

/* checkFilterSyntax(filter): true when it compiles, false when it does
 * not; an error when it names something only a lookup could answer. */
void
m_check_filter_syntax(struct call *c)
{
	char filter[FILTER_MAX + 1];
	struct bpf_program prog;
	pcap_t *p;
	int rc;
	bool asked;

	if (!want_args(c, 1, 1) || !arg_str(c, 0, true, filter, sizeof filter))
		return;
	pthread_mutex_lock(&compile_lock);
	p = pcap_open_dead(DLT_EN10MB, 65535);
	if (p == NULL) {
		pthread_mutex_unlock(&compile_lock);
		fail(c, IPC_ERR_INTERNAL, "pcap_open_dead failed");
		return;
	}
	compiling = true;
	name_asked = false;
	rc = pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN);
	compiling = false;
	asked = name_asked;
	if (rc == 0)
		pcap_freecode(&prog);
	pcap_close(p);
	pthread_mutex_unlock(&compile_lock);
	if (rc != 0 && asked) {
		fail(c, IPC_ERR_UNSUPPORTED, "the filter names a host, network, "
		    "port, protocol or MAC address that only a lookup could "
		    "answer, and the capture worker resolves no names: use "
		    "addresses and numbers");
		return;
	}
	reply_bool(c, rc == 0);
}
