/* stream.c: the data-plane transport behind rpc.h's "unix://" URLs.
 *
 * The same envelope as over NNG, framed by a 4-byte big-endian length on
 * a unix stream socket. A request costs one wake-up on each side: the
 * server's threads wait on one epoll set and the thread that is woken
 * reads, answers and writes; a blocking client writes and waits for its
 * reply on its own thread. NNG REQ/REP crosses several of its internal
 * threads each way (docs/PERFORMANCE.md, section 3). Only for the hot
 * hops (frontend -> Lua worker -> capture worker); health checks, control
 * sockets and tools keep NNG. Internal to ipc/. */
#ifndef NETWARD_IPC_STREAM_H
#define NETWARD_IPC_STREAM_H

#include "rpc.h"

#define IPC_STREAM_SCHEME "unix://"

/* Answers one framed request's bytes into w (rpc.c). */
void ipc_server_answer(struct ipc_server *s, const void *buf, size_t len,
    struct ipc_writer *w);
/* Until ipc_server_serve() (or stop) opens the gate (rpc.c). */
void ipc_server_wait_gate(struct ipc_server *s);

int stream_server_listen(struct ipc_server *s, const char *path,
    int nthreads);
void stream_server_stop(struct ipc_server *s);

int stream_client_dial(struct ipc_client *c, const char *path);
int stream_call(struct ipc_client *c, const struct ipc_writer *w,
    uint64_t id, struct ipc_reply *rp, char *err, size_t errlen);
int stream_call_async(struct ipc_client *c, const struct ipc_writer *w,
    ipc_async_done_fn done, void *arg);
void stream_client_close(struct ipc_client *c);

#endif
