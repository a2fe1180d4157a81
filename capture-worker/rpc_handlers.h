/* The capture worker's RPC methods (one table in rpc_handlers.c). */
#ifndef NETWARD_CAPTURE_RPC_HANDLERS_H
#define NETWARD_CAPTURE_RPC_HANDLERS_H

#include "rpc.h"

/* ipc_handler_fn for ipc_server_start(); arg is the struct iface. */
void rpc_dispatch(const struct ipc_request *rq, struct ipc_writer *reply,
    void *arg);

#endif
