/* libFuzzer target: the configuration file parser of the supervisor
 * (supervisor/options.c, sv_config_split), on any text. */
#include "supervisor.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROOM 256

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args[ROOM];

	if (size > 64 * 1024 || memchr(data, '\0', size) != NULL)
		return 0; /* read_config refuses these before parsing */
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	int n = sv_config_split(text, args, ROOM);
	if (n > ROOM)
		__builtin_trap();
	for (int i = 0; i < n; i++) {
		/* every argument is a string inside the text */
		if (args[i] < text || args[i] > text + size ||
		    args[i] + strlen(args[i]) > text + size)
			__builtin_trap();
	}
	free(text);
	return 0;
}
