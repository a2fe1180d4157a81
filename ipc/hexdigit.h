/* The value of one hexadecimal digit, or -1: for the URL decoders of the
 * frontend and the Lua worker and the secrets reader. */
#ifndef NETWARD_IPC_HEXDIGIT_H
#define NETWARD_IPC_HEXDIGIT_H

static inline int
hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
