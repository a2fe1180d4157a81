/* interface.* ACLs (section 15): IP networks and MAC addresses marked
 * allow or deny on this interface. netward observes traffic and never
 * forwards it, so the rules filter nothing in the packet path; they are
 * kept for the scripts that consult them, answered by getACLInfo, and
 * lost when the worker restarts (the Lua side keeps them in Redis). */
#include "rpc_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACL_MAX 1024

struct ip_rule {
	uint8_t ver, prefix, ip[16];
	bool allow;
};
struct mac_rule {
	uint8_t mac[6];
	bool allow;
};

static struct ip_rule ip_rules[ACL_MAX];
static struct mac_rule mac_rules[ACL_MAX];
static size_t n_ip, n_mac;
static pthread_mutex_t acl_lock = PTHREAD_MUTEX_INITIALIZER;

/* "a.b.c.d[/n]" or "v6[/n]", host bits cleared */
static bool
cidr_arg(struct call *c, struct ip_rule *r)
{
	char buf[64], *slash, *end;
	long prefix = -1;

	if (!arg_str(c, 0, true, buf, sizeof buf))
		return false;
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		prefix = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0')
			prefix = -2;
	}
	if (!addr_parse(buf, &r->ver, r->ip) || prefix < -1 ||
	    prefix > (r->ver == 4 ? 32 : 128)) {
		fail(c, IPC_ERR_BAD_REQUEST, "argument 1 must be an address "
		    "or CIDR network");
		return false;
	}
	r->prefix = (uint8_t)(prefix < 0 ? (r->ver == 4 ? 32 : 128) : prefix);
	for (int b = r->prefix; b < 128; b++)
		r->ip[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	return true;
}

static bool
mac_arg0(struct call *c, uint8_t mac[6])
{
	char buf[24];

	if (!arg_str(c, 0, true, buf, sizeof buf))
		return false;
	if (!mac_parse(buf, mac)) {
		fail(c, IPC_ERR_BAD_REQUEST, "'%s' is not a MAC address", buf);
		return false;
	}
	return true;
}

/* insertIPACL(cidr, is_allow), insertMacACL(mac, is_allow): a rule for
 * the same network or MAC is replaced. */
void
m_insert_acl(struct call *c)
{
	bool is_mac = strcmp(c->rq->method, "insertMacACL") == 0;
	struct ip_rule r = { 0 };
	struct mac_rule mr = { 0 };
	bool allow, full = false;

	if (!want_args(c, 2, 2) ||
	    !(is_mac ? mac_arg0(c, mr.mac) : cidr_arg(c, &r)) ||
	    !arg_bool(c, 1, true, &allow))
		return;
	pthread_mutex_lock(&acl_lock);
	if (is_mac) {
		size_t i;
		mr.allow = allow;
		for (i = 0; i < n_mac; i++)
			if (memcmp(mac_rules[i].mac, mr.mac, 6) == 0)
				break;
		if (i < ACL_MAX) {
			mac_rules[i] = mr;
			n_mac += i == n_mac;
		} else
			full = true;
	} else {
		size_t i;
		r.allow = allow;
		for (i = 0; i < n_ip; i++)
			if (ip_rules[i].ver == r.ver &&
			    ip_rules[i].prefix == r.prefix &&
			    memcmp(ip_rules[i].ip, r.ip, 16) == 0)
				break;
		if (i < ACL_MAX) {
			ip_rules[i] = r;
			n_ip += i == n_ip;
		} else
			full = true;
	}
	pthread_mutex_unlock(&acl_lock);
	if (full)
		fail(c, IPC_ERR_BAD_REQUEST, "more than %d rules", ACL_MAX);
	else
		reply_nil(c);
}

/* removeIPACL(cidr), removeMacACL(mac): true if the rule existed. */
void
m_remove_acl(struct call *c)
{
	bool is_mac = strcmp(c->rq->method, "removeMacACL") == 0;
	struct ip_rule r = { 0 };
	struct mac_rule mr = { 0 };
	bool found = false;

	if (!want_args(c, 1, 1) ||
	    !(is_mac ? mac_arg0(c, mr.mac) : cidr_arg(c, &r)))
		return;
	pthread_mutex_lock(&acl_lock);
	if (is_mac) {
		for (size_t i = 0; i < n_mac && !found; i++)
			if (memcmp(mac_rules[i].mac, mr.mac, 6) == 0) {
				memmove(&mac_rules[i], &mac_rules[i + 1],
				    (n_mac - i - 1) * sizeof mac_rules[0]);
				n_mac--;
				found = true;
			}
	} else {
		for (size_t i = 0; i < n_ip && !found; i++)
			if (ip_rules[i].ver == r.ver &&
			    ip_rules[i].prefix == r.prefix &&
			    memcmp(ip_rules[i].ip, r.ip, 16) == 0) {
				memmove(&ip_rules[i], &ip_rules[i + 1],
				    (n_ip - i - 1) * sizeof ip_rules[0]);
				n_ip--;
				found = true;
			}
	}
	pthread_mutex_unlock(&acl_lock);
	reply_bool(c, found);
}

/* getACLInfo(): {ip = {cidr = "allow"|"deny"}, mac = {mac = ...}} */
void
m_get_acl_info(struct call *c)
{
	char ip[ADDR_STRLEN], key[64];

	if (!want_args(c, 0, 0))
		return;
	ipc_reply_begin(c->w, c->rq->id);
	pthread_mutex_lock(&acl_lock);
	msgpack_pack_map(&c->w->pk, 2);
	ipc_pack_key(&c->w->pk, "ip");
	msgpack_pack_map(&c->w->pk, (uint32_t)n_ip);
	for (size_t i = 0; i < n_ip; i++) {
		snprintf(key, sizeof key, "%s/%u",
		    addr_fmt(ip_rules[i].ver, ip_rules[i].ip, ip),
		    ip_rules[i].prefix);
		ipc_pack_str(&c->w->pk, key);
		ipc_pack_str(&c->w->pk, ip_rules[i].allow ? "allow" : "deny");
	}
	ipc_pack_key(&c->w->pk, "mac");
	msgpack_pack_map(&c->w->pk, (uint32_t)n_mac);
	for (size_t i = 0; i < n_mac; i++) {
		ipc_pack_str(&c->w->pk, mac_fmt(mac_rules[i].mac, key));
		ipc_pack_str(&c->w->pk, mac_rules[i].allow ? "allow" : "deny");
	}
	pthread_mutex_unlock(&acl_lock);
}
