#define _GNU_SOURCE
#include "secrets.h"
#include "hexdigit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SECRETS_MAX 1024

static bool
copy_token(char *dst, size_t size, const char *v, const char *allowed)
{
	size_t n = strlen(v);
	if (n == 0 || n >= size || strspn(v, allowed) != n)
		return false;
	memcpy(dst, v, n + 1);
	return true;
}

static bool
parse_line(char *line, struct ipc_secrets *s)
{
	char *eq = strchr(line, '=');
	if (eq == NULL)
		return false;
	*eq = '\0';
	const char *v = eq + 1;
	if (strcmp(line, "identity_key") == 0) {
		if (strlen(v) != 2 * sizeof s->identity_key)
			return false;
		for (size_t i = 0; i < sizeof s->identity_key; i++) {
			int hi = hex_digit_value(v[2 * i]),
			    lo = hex_digit_value(v[2 * i + 1]);
			if (hi < 0 || lo < 0)
				return false;
			s->identity_key[i] = (uint8_t)(hi << 4 | lo);
		}
		s->has_identity_key = true;
		return true;
	}
	if (strcmp(line, "redis_user") == 0)
		return copy_token(s->redis_user, sizeof s->redis_user, v,
		    "abcdefghijklmnopqrstuvwxyz0123456789_-");
	if (strcmp(line, "redis_password") == 0)
		return copy_token(s->redis_password, sizeof s->redis_password,
		    v, "0123456789abcdef");
	return false;
}

int
ipc_secrets_read(int fd, struct ipc_secrets *s)
{
	char buf[SECRETS_MAX + 1];
	size_t len = 0;

	memset(s, 0, sizeof *s);
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof buf - 1)
			break;
	}
	close(fd);
	buf[len] = '\0';
	int rc = 0;
	if (len == 0 || len == sizeof buf - 1 || memchr(buf, '\0', len))
		rc = -1;
	char *save = NULL;
	for (char *line = rc == 0 ? strtok_r(buf, "\n", &save) : NULL;
	    line != NULL; line = strtok_r(NULL, "\n", &save))
		if (!parse_line(line, s)) {
			rc = -1;
			break;
		}
	explicit_bzero(buf, sizeof buf);
	if (rc != 0)
		ipc_secrets_clear(s);
	return rc;
}

void
ipc_secrets_clear(struct ipc_secrets *s)
{
	explicit_bzero(s, sizeof *s);
}
