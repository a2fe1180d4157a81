#ifndef NETWARD_SV_REDIS_ACL_H
#define NETWARD_SV_REDIS_ACL_H

#include <stdbool.h>
#include <stdio.h>

#define SV_ACL_PATTERN_MAX 256

extern const char *const sv_credential_prefixes[];

typedef int (*sv_acl_pattern_fn)(const char *pattern, void *arg);

/* Calls fn with Redis glob patterns that together match exactly the keys
 * that start with none of the prefixes (NULL-terminated). */
int sv_acl_complement(const char *const *prefixes, sv_acl_pattern_fn fn,
    void *arg);

/* Writes the ACL file: default off, "web" (all keys), "lua" (all but the
 * credential prefixes). The hashes are SHA-256 hex of the passwords. */
int sv_acl_write(FILE *f, const char web_hash[65], const char lua_hash[65]);

#endif
