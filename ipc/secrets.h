/* Secrets the supervisor hands a worker at start: an inherited pipe
 * (--secrets-fd N) holding "name=value" lines, never the command line or
 * the environment, which other processes can read.
 *
 *   identity_key=<64 hex>   the key of ipc/identity.h (frontend, capture)
 *   redis_user=<name>       this role's Redis ACL user
 *   redis_password=<hex>    and its password */
#ifndef NETWARD_IPC_SECRETS_H
#define NETWARD_IPC_SECRETS_H

#include <stdbool.h>
#include <stdint.h>

struct ipc_secrets {
	bool has_identity_key;
	uint8_t identity_key[32];
	char redis_user[32];
	char redis_password[80];
};

/* Reads and closes fd. Returns 0, or -1 for a malformed or oversized
 * blob (the worker then refuses to start). Unknown names are an error. */
int ipc_secrets_read(int fd, struct ipc_secrets *s);
/* Wipes s. */
void ipc_secrets_clear(struct ipc_secrets *s);

#endif
