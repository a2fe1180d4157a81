/* Test builds only (meson -Dtest_hooks=true): the "__test_escape" RPC
 * method, with which tests/privsep makes a running worker try what its
 * policy forbids. Never compiled into a normal build. */
#ifndef NETWARD_TEST_ESCAPE_H
#define NETWARD_TEST_ESCAPE_H

#include "envelope.h"

#include <stdbool.h>

/* Handles rq when it is "__test_escape" [attempt, argument] and returns
 * true; the reply is "allowed" or "refused: <error> (errno N)". An
 * attempt the seccomp filter forbids kills the process: no reply. */
bool nw_test_escape(const struct ipc_request *rq, struct ipc_writer *w);

#endif
