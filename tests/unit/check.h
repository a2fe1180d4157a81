/* The unit tests' CHECK: counts, and reports a failed condition with its
 * place; main() prints "N checks, M failed" and fails when M > 0. */
#ifndef NETWARD_TESTS_CHECK_H
#define NETWARD_TESTS_CHECK_H

#include <stdio.h>

static int failures, checks;

#define CHECK(cond)                                                        \
	do {                                                               \
		checks++;                                                  \
		if (!(cond)) {                                             \
			failures++;                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n",       \
			    __FILE__, __LINE__, #cond);                    \
		}                                                          \
	} while (0)

#endif
