/* The unix:// transport of rpc.h (why: stream.h). A frame is a 4-byte
 * big-endian length, then that many bytes of envelope. */
#define _GNU_SOURCE
#include "stream.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define FRAME_HEADER 4
#define MAX_CONNS 256		/* per server: more are refused */
#define SERVER_SEND_TIMEOUT_S 5 /* a peer that does not read its answer */
#define MAX_PEERS 16
#define CONNECT_RETRY_MS 20
/* After a peer closed before its reply: a worker being killed may still
 * take a connection into its backlog and close it, so once is not enough
 * (NNG REQ re-sent until the deadline; a request that kills its worker
 * runs a bounded number of times here). */
#define RESENDS 3
#define FIRST_CHUNK (64 * 1024) /* a frame's buffer grows as bytes come */

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
sys_error(int e)
{
	return NNG_ESYSERR | e; /* nng_strerror() tells it as strerror() */
}

static bool
unix_address(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof sa->sun_path)
		return false;
	memcpy(sa->sun_path, path, n + 1);
	return true;
}

/* ---- server -------------------------------------------------------------- */

/* A connection is served by one thread at a time (one-shot epoll): the
 * thread that is woken reads, answers every whole request, writes the
 * answers and re-arms it. Our clients send one request and wait for its
 * answer; a peer that sends more gets them answered in order. */
struct stream_conn {
	int fd;
	uint8_t *buf;		/* bytes read and not yet answered */
	size_t len, cap;
	int handed;	/* release/acquire around re-arming (see serve_conn) */
	struct stream_conn *prev, *next;
};

struct stream_server {
	struct ipc_server *owner;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd, epfd, stop_fd;
	pthread_mutex_t lock;	/* conns, n_conns */
	struct stream_conn *conns;
	int n_conns;
	int nthreads;
	pthread_t threads[IPC_SERVER_MAX_THREADS];
};

static void
conn_drop(struct stream_server *ss, struct stream_conn *c)
{
	pthread_mutex_lock(&ss->lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ss->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ss->n_conns--;
	pthread_mutex_unlock(&ss->lock);
	close(c->fd); /* and out of the epoll set */
	free(c->buf);
	free(c);
}

static int
arm(int epfd, int fd, void *ptr, uint32_t events)
{
	struct epoll_event ev = {.events = events | EPOLLONESHOT,
	    .data.ptr = ptr};
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
		return 0;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Only the same uid (or root, the supervisor) may talk to a netward
 * socket: the runtime dir is 0700 already, this is the second lock. */
static bool
peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0)
		return false;
	if (cr.uid != 0 && cr.uid != geteuid()) {
		log_warn("refusing ipc peer with uid %u", (unsigned)cr.uid);
		return false;
	}
	return true;
}

static void
accept_all(struct stream_server *ss)
{
	for (;;) {
		int fd = accept4(ss->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				log_warn("accept on %s: %s", ss->path,
				    strerror(errno));
			break;
		}
		if (!peer_allowed(fd)) {
			close(fd);
			continue;
		}
		struct timeval tv = {.tv_sec = SERVER_SEND_TIMEOUT_S};
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		struct stream_conn *c = calloc(1, sizeof *c);
		pthread_mutex_lock(&ss->lock);
		bool full = ss->n_conns >= MAX_CONNS;
		if (c != NULL && !full) {
			c->fd = fd;
			c->next = ss->conns;
			if (ss->conns != NULL)
				ss->conns->prev = c;
			ss->conns = c;
			ss->n_conns++;
		}
		pthread_mutex_unlock(&ss->lock);
		if (c == NULL || full) {
			if (full)
				log_warn("%s: %d connections, refusing more",
				    ss->path, MAX_CONNS);
			free(c);
			close(fd);
			continue;
		}
		if (arm(ss->epfd, fd, c, EPOLLIN | EPOLLRDHUP) != 0) {
			log_warn("epoll %s: %s", ss->path, strerror(errno));
			conn_drop(ss, c);
		}
	}
	arm(ss->epfd, ss->listen_fd, &ss->listen_fd, EPOLLIN);
}

/* After a sendmsg() that wrote n bytes: drops them from mh's iovecs. */
static void
msghdr_advance(struct msghdr *mh, size_t n)
{
	while (n > 0 && mh->msg_iovlen > 0) {
		size_t take = n < mh->msg_iov->iov_len ? n :
		    mh->msg_iov->iov_len;
		mh->msg_iov->iov_base = (uint8_t *)mh->msg_iov->iov_base +
		    take;
		mh->msg_iov->iov_len -= take;
		n -= take;
		if (mh->msg_iov->iov_len == 0) {
			mh->msg_iov++;
			mh->msg_iovlen--;
		}
	}
}

/* Blocking (SO_SNDTIMEO bounds it): 0 or -1. */
static int
write_frame(int fd, const void *body, size_t len)
{
	uint8_t hdr[FRAME_HEADER];
	put_be32(hdr, (uint32_t)len);
	struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)body, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	while (mh.msg_iovlen > 0) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		msghdr_advance(&mh, (size_t)n);
	}
	return 0;
}

/* The length of the frame at p (len bytes there): 0 while its header is
 * incomplete, SIZE_MAX when it is refused. */
static size_t
frame_length(const uint8_t *p, size_t len)
{
	if (len < FRAME_HEADER)
		return 0;
	uint32_t n = get_be32(p);
	return n == 0 || n > IPC_MAX_MESSAGE ? SIZE_MAX : n;
}

/* Reads what c has without waiting, up to a whole first frame: false
 * when c is finished (closed by the peer, an error, no memory). The
 * buffer doubles only when full, so it grows with the bytes that came,
 * not with the length announced. */
static bool
read_available(struct stream_server *ss, struct stream_conn *c)
{
	for (;;) {
		if (c->len == c->cap) {
			size_t flen = frame_length(c->buf, c->len);
			if (flen == SIZE_MAX)
				return true; /* refused by the caller */
			size_t cap = c->cap ? c->cap * 2 : FIRST_CHUNK;
			uint8_t *p = realloc(c->buf, cap);
			if (p == NULL) {
				log_warn("%s: no memory for a frame of %zu "
				    "bytes", ss->path, flen);
				return false;
			}
			c->buf = p;
			c->cap = cap;
		}
		ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len,
		    MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			size_t flen = frame_length(c->buf, c->len);
			if (c->len < c->cap || (flen != 0 &&
			    (flen == SIZE_MAX ||
			    c->len - FRAME_HEADER >= flen)))
				return true; /* all there was, or a frame */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
}

static void
serve_conn(struct stream_server *ss, struct stream_conn *c,
    struct ipc_writer *w)
{
	/* the kernel orders a re-arm before the next event; this says so
	 * to the thread sanitizer too (it sees only EPOLL_CTL_ADD) */
	(void)__atomic_load_n(&c->handed, __ATOMIC_ACQUIRE);
	if (!read_available(ss, c)) {
		conn_drop(ss, c);
		return;
	}
	size_t off = 0;
	for (;;) {
		size_t flen = frame_length(c->buf + off, c->len - off);
		if (flen == SIZE_MAX) {
			log_warn("%s: refusing a frame of %u bytes", ss->path,
			    get_be32(c->buf + off));
			__atomic_add_fetch(&ss->owner->n_malformed, 1,
			    __ATOMIC_RELAXED);
			conn_drop(ss, c);
			return;
		}
		if (flen == 0 || c->len - off - FRAME_HEADER < flen)
			break;
		ipc_server_answer(ss->owner, c->buf + off + FRAME_HEADER,
		    flen, w);
		off += FRAME_HEADER + flen;
		if (write_frame(c->fd, w->sb.data, w->sb.size) != 0) {
			conn_drop(ss, c);
			return;
		}
	}
	if (off > 0) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
	if (c->len == 0 && c->cap > FIRST_CHUNK) {
		free(c->buf); /* a large frame's buffer is not kept */
		c->buf = NULL;
		c->cap = 0;
	}
	int fd = c->fd; /* once armed, c is another thread's */
	__atomic_store_n(&c->handed, 1, __ATOMIC_RELEASE);
	if (arm(ss->epfd, fd, c, EPOLLIN | EPOLLRDHUP) != 0)
		conn_drop(ss, c);
}

static void *
server_thread(void *arg)
{
	struct stream_server *ss = arg;
	struct ipc_writer w;

	ipc_writer_init(&w);
	ipc_server_wait_gate(ss->owner);
	while (!__atomic_load_n(&ss->owner->stopping, __ATOMIC_ACQUIRE)) {
		struct epoll_event ev;
		int n = epoll_wait(ss->epfd, &ev, 1, -1);
		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait %s: %s", ss->path,
			    strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		if (ev.data.ptr == &ss->stop_fd ||
		    __atomic_load_n(&ss->owner->stopping, __ATOMIC_ACQUIRE))
			break;
		if (ev.data.ptr == &ss->listen_fd)
			accept_all(ss);
		else
			serve_conn(ss, ev.data.ptr, &w);
	}
	ipc_writer_free(&w);
	return NULL;
}

static void
server_free(struct stream_server *ss)
{
	if (ss->listen_fd >= 0)
		close(ss->listen_fd);
	if (ss->epfd >= 0)
		close(ss->epfd);
	if (ss->stop_fd >= 0)
		close(ss->stop_fd);
	pthread_mutex_destroy(&ss->lock);
	free(ss);
}

int
stream_server_listen(struct ipc_server *s, const char *path, int nthreads)
{
	struct sockaddr_un sa;
	if (!unix_address(&sa, path))
		return NNG_EADDRINVAL;
	struct stream_server *ss = calloc(1, sizeof *ss);
	if (ss == NULL)
		return NNG_ENOMEM;
	ss->owner = s;
	snprintf(ss->path, sizeof ss->path, "%s", path);
	ss->epfd = ss->stop_fd = -1;
	pthread_mutex_init(&ss->lock, NULL);
	ss->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (ss->listen_fd < 0) {
		int e = errno;
		server_free(ss);
		return sys_error(e);
	}
	unlink(path); /* a stale socket of a dead predecessor */
	if (bind(ss->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    chmod(path, 0600) != 0 || listen(ss->listen_fd, 128) != 0 ||
	    (ss->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (ss->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		int e = errno;
		server_free(ss);
		return sys_error(e);
	}
	/* the stop event stays readable: it wakes every thread */
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &ss->stop_fd};
	if (epoll_ctl(ss->epfd, EPOLL_CTL_ADD, ss->stop_fd, &ev) != 0 ||
	    arm(ss->epfd, ss->listen_fd, &ss->listen_fd, EPOLLIN) != 0) {
		int e = errno;
		server_free(ss);
		return sys_error(e);
	}
	s->stream = ss;
	for (int i = 0; i < nthreads; i++) {
		if (pthread_create(&ss->threads[i], NULL, server_thread, ss)
		    != 0)
			break;
		ss->nthreads++;
	}
	s->nthreads = ss->nthreads;
	if (ss->nthreads == 0) {
		s->stream = NULL;
		server_free(ss);
		return NNG_ENOMEM;
	}
	return 0;
}

void
stream_server_stop(struct ipc_server *s)
{
	struct stream_server *ss = s->stream;
	uint64_t one = 1;
	if (write(ss->stop_fd, &one, sizeof one) < 0)
		log_warn("%s: stop event: %s", ss->path, strerror(errno));
	for (int i = 0; i < ss->nthreads; i++)
		pthread_join(ss->threads[i], NULL);
	while (ss->conns != NULL) /* no thread left to serve them */
		conn_drop(ss, ss->conns);
	unlink(ss->path);
	server_free(ss);
	s->stream = NULL;
	s->nthreads = 0;
}

/* ---- client -------------------------------------------------------------- */

struct link {
	int fd;
	int peer;
	bool watched;	/* in the reactor's epoll set (disarmed when idle) */
};

struct stream_async;

struct stream_client {
	struct ipc_client *owner;
	int n_peers;
	char peers[MAX_PEERS][sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned next_peer;
	pthread_mutex_t lock;	/* idle, calls, closing */
	struct link idle[IPC_CALL_POOL];
	int n_idle;
	/* asynchronous calls: a thread of the client's own finishes them */
	bool reactor_started;
	bool closing;
	pthread_t reactor;
	int epfd, wake_fd;
	uint8_t *scratch;	/* the reactor's first read of a reply */
	int64_t reactor_wakes_ms; /* when its current wait ends */
	struct stream_async *calls;
};

enum async_state { ASYNC_CONNECT, ASYNC_WRITE, ASYNC_READ };

struct stream_async {
	struct stream_async *prev, *next; /* in the client's calls */
	enum async_state state;
	struct link link;
	uint8_t *out;		/* the whole frame, header included */
	size_t out_len, out_off;
	uint8_t hdr[FRAME_HEADER];
	size_t hdr_got;
	nng_msg *in;
	size_t in_got;
	int64_t deadline_ms, retry_at_ms;
	int resends;
	int handed;	/* release/acquire pair around arming (see async_arm) */
	ipc_async_done_fn done;
	void *arg;
};

int
stream_client_dial(struct ipc_client *c, const char *path)
{
	struct sockaddr_un sa;
	if (!unix_address(&sa, path))
		return NNG_EADDRINVAL;
	if (c->stream == NULL) {
		struct stream_client *sc = calloc(1, sizeof *sc);
		if (sc == NULL)
			return NNG_ENOMEM;
		sc->owner = c;
		sc->epfd = sc->wake_fd = -1;
		pthread_mutex_init(&sc->lock, NULL);
		c->stream = sc;
	}
	struct stream_client *sc = c->stream;
	if (sc->n_peers == MAX_PEERS)
		return NNG_ENOSPC;
	snprintf(sc->peers[sc->n_peers++], sizeof sc->peers[0], "%s", path);
	return 0;
}

static bool
take_idle(struct stream_client *sc, struct link *l)
{
	bool got = false;
	pthread_mutex_lock(&sc->lock);
	if (sc->n_idle > 0) {
		*l = sc->idle[--sc->n_idle];
		got = true;
	}
	pthread_mutex_unlock(&sc->lock);
	return got;
}

static void
put_idle(struct stream_client *sc, struct link l)
{
	pthread_mutex_lock(&sc->lock);
	if (!sc->closing && sc->n_idle < IPC_CALL_POOL) {
		sc->idle[sc->n_idle++] = l;
		l.fd = -1;
	}
	pthread_mutex_unlock(&sc->lock);
	if (l.fd >= 0)
		close(l.fd);
}

/* A peer closed a connection: its other idle ones are likely stale too
 * (it restarted); close them rather than find out one call at a time. */
static void
forget_peer(struct stream_client *sc, int peer)
{
	int stale[IPC_CALL_POOL], n = 0;
	pthread_mutex_lock(&sc->lock);
	for (int i = 0; i < sc->n_idle;) {
		if (sc->idle[i].peer == peer) {
			stale[n++] = sc->idle[i].fd;
			sc->idle[i] = sc->idle[--sc->n_idle];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&sc->lock);
	for (int i = 0; i < n; i++)
		close(stale[i]);
}

/* One attempt over every peer, round robin: 0 or an errno. */
static int
connect_once(struct stream_client *sc, struct link *l, int avoid_peer,
    char *err, size_t errlen)
{
	int e = ENOENT;
	unsigned first = __atomic_fetch_add(&sc->next_peer, 1,
	    __ATOMIC_RELAXED);
	for (int k = 0; k < sc->n_peers; k++) {
		int peer = (int)((first + (unsigned)k) % (unsigned)sc->n_peers);
		if (peer == avoid_peer && sc->n_peers > 1 && k == 0)
			continue; /* tried last; still tried after the others */
		struct sockaddr_un sa;
		unix_address(&sa, sc->peers[peer]);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		if (fd < 0)
			return errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
			l->fd = fd;
			l->peer = peer;
			l->watched = false;
			return 0;
		}
		e = errno;
		snprintf(err, errlen, "ipc: connect %s: %s", sc->peers[peer],
		    strerror(e));
		close(fd);
	}
	if (avoid_peer >= 0 && sc->n_peers > 1)
		return connect_once(sc, l, -1, err, errlen);
	return e;
}

/* ---- blocking call ---- */

static int
wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

enum { IO_OK, IO_CLOSED, IO_TIMEOUT, IO_ERROR };

static int
io_failure(int e)
{
	return e == EPIPE || e == ECONNRESET ? IO_CLOSED : IO_ERROR;
}

/* Header and body in one system call when the socket takes them. */
static int
send_deadline(int fd, const void *body, size_t len, int64_t deadline)
{
	uint8_t hdr[FRAME_HEADER];
	put_be32(hdr, (uint32_t)len);
	struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)body, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	while (mh.msg_iovlen > 0) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return io_failure(errno);
			if (wait_fd(fd, POLLOUT, deadline) != 0)
				return IO_TIMEOUT;
			continue;
		}
		msghdr_advance(&mh, (size_t)n);
	}
	return IO_OK;
}

/* The reply frame into *buf (malloc'd, header included): a small one in
 * one system call. *extra: the peer sent more than one frame, so the
 * connection cannot be trusted with another call. */
static int
recv_frame(int fd, int64_t deadline, uint8_t **buf, size_t *flen,
    bool *extra)
{
	size_t cap = FIRST_CHUNK, got = 0, want = 0;
	uint8_t *b = malloc(cap);
	if (b == NULL)
		return IO_ERROR;
	*extra = false;
	for (;;) {
		ssize_t n = recv(fd, b + got, cap - got, MSG_DONTWAIT);
		if (n == 0) {
			free(b);
			return IO_CLOSED;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && wait_fd(fd, POLLIN, deadline)
			    == 0)
				continue;
			int rc = errno == EAGAIN ? IO_TIMEOUT :
			    io_failure(errno);
			free(b);
			return rc;
		}
		got += (size_t)n;
		if (want == 0 && got >= FRAME_HEADER) {
			size_t len = frame_length(b, got);
			if (len == SIZE_MAX) {
				free(b);
				return IO_ERROR;
			}
			want = FRAME_HEADER + len;
			if (want > cap) {
				uint8_t *p = realloc(b, want);
				if (p == NULL) {
					free(b);
					return IO_ERROR;
				}
				b = p;
				cap = want;
			}
		}
		if (want != 0 && got >= want) {
			*extra = got > want;
			*buf = b;
			*flen = want - FRAME_HEADER;
			return IO_OK;
		}
	}
}

/* The reply's bytes into *out (header included; malloc'd): IO_* */
static int
exchange(struct link *l, const struct ipc_writer *w, int64_t deadline,
    uint8_t **out, size_t *out_len, bool *extra)
{
	int rc = send_deadline(l->fd, w->sb.data, w->sb.size, deadline);
	if (rc != IO_OK)
		return rc;
	return recv_frame(l->fd, deadline, out, out_len, extra);
}

int
stream_call(struct ipc_client *c, const struct ipc_writer *w, uint64_t id,
    struct ipc_reply *rp, char *err, size_t errlen)
{
	struct stream_client *sc = c->stream;
	int64_t deadline = now_ms() + c->timeout_ms;
	int resends = 0, avoid = -1;

	memset(rp, 0, sizeof *rp);
	msgpack_unpacked_init(&rp->up);
	if (w->sb.size == 0 || w->sb.size > IPC_MAX_MESSAGE) {
		snprintf(err, errlen, "ipc: request of %zu bytes",
		    w->sb.size);
		return IPC_ERR_BAD_REQUEST;
	}
	for (;;) {
		struct link l;
		if (!take_idle(sc, &l)) {
			int e;
			while ((e = connect_once(sc, &l, avoid, err, errlen))
			    != 0) {
				if (now_ms() + CONNECT_RETRY_MS >= deadline)
					return IPC_ERR_UNAVAILABLE;
				struct timespec ts = {0,
				    CONNECT_RETRY_MS * 1000000L};
				nanosleep(&ts, NULL);
			}
		}
		uint8_t *buf = NULL;
		size_t len = 0;
		bool extra = false;
		int rc = exchange(&l, w, deadline, &buf, &len, &extra);
		if (rc == IO_OK) {
			if (extra)
				close(l.fd);
			else
				put_idle(sc, l);
			msgpack_unpacked_destroy(&rp->up);
			int status = ipc_reply_decode(rp, buf + FRAME_HEADER,
			    len, err, errlen);
			rp->owned = buf;
			if (status == IPC_OK && rp->id != id) {
				snprintf(err, errlen, "ipc: reply id %llu for "
				    "request %llu", (unsigned long long)rp->id,
				    (unsigned long long)id);
				status = IPC_ERR_BAD_REQUEST;
			}
			return status;
		}
		/* nothing of this exchange may reach a later call */
		close(l.fd);
		if (rc == IO_CLOSED) {
			forget_peer(sc, l.peer);
			if (resends++ < RESENDS && now_ms() < deadline) {
				avoid = l.peer;
				continue;
			}
		}
		snprintf(err, errlen, "ipc %s: %s", sc->peers[l.peer],
		    rc == IO_TIMEOUT ? "timed out" : rc == IO_CLOSED ?
		    "peer closed the connection" : "broken reply");
		return IPC_ERR_UNAVAILABLE;
	}
}

/* ---- asynchronous call ---- */

static void
wake_reactor(struct stream_client *sc)
{
	uint64_t one = 1;
	if (write(sc->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
		log_warn("ipc: waking the reactor: %s", strerror(errno));
}

static void
calls_unlink(struct stream_client *sc, struct stream_async *a)
{
	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		sc->calls = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	a->prev = a->next = NULL;
}

/* Reactor thread, a out of the list: tell the caller, free a. */
static void
async_finish(struct stream_client *sc, struct stream_async *a, int status,
    const char *err)
{
	nng_msg *msg = NULL;
	if (status == IPC_OK) {
		put_idle(sc, a->link);
		msg = a->in;
	} else {
		if (a->link.fd >= 0)
			close(a->link.fd);
		if (a->in != NULL)
			nng_msg_free(a->in);
	}
	a->done(a->arg, msg, status, err);
	free(a->out);
	free(a);
}

static int
async_arm(struct stream_client *sc, struct stream_async *a, uint32_t events)
{
	struct epoll_event ev = {.events = events | EPOLLONESHOT,
	    .data.ptr = a};
	/* the kernel orders arming before the event; this says so to the
	 * thread sanitizer too (it sees only EPOLL_CTL_ADD as a release) */
	int fd = a->link.fd; /* once armed, a is the reactor's */
	bool watched = a->link.watched;
	/* set first: once armed, the reactor may finish and free a */
	a->link.watched = true;
	__atomic_store_n(&a->handed, 1, __ATOMIC_RELEASE);
	/* a connection joins the set once and stays (close leaves it) */
	if (epoll_ctl(sc->epfd, watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd,
	    &ev) == 0)
		return 0;
	a->link.watched = watched; /* not armed: a is still ours */
	return -1;
}

/* Moves a as far as its socket lets it: IO_OK while it waits (armed),
 * IO_OK with *complete when the reply is in, or IO_* of a failure. */
static int
async_progress(struct stream_client *sc, struct stream_async *a,
    bool *complete)
{
	*complete = false;
	while (a->state == ASYNC_WRITE) {
		ssize_t n = send(a->link.fd, a->out + a->out_off,
		    a->out_len - a->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			a->out_off += (size_t)n;
			if (a->out_off == a->out_len)
				a->state = ASYNC_READ;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return async_arm(sc, a, EPOLLOUT) == 0 ? IO_OK :
			    IO_ERROR;
		return io_failure(errno);
	}
	for (;;) {
		/* header and a small reply in one read; the rest of a large
		 * one straight into its message */
		bool first = a->in == NULL;
		uint8_t *dst = first ? sc->scratch : (uint8_t *)nng_msg_body(a->in)
		    + a->in_got;
		size_t want = first ? FIRST_CHUNK : nng_msg_len(a->in) -
		    a->in_got;
		ssize_t n = recv(a->link.fd, dst, want, MSG_DONTWAIT);
		if (n == 0)
			return IO_CLOSED;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return async_arm(sc, a, EPOLLIN) == 0 ? IO_OK :
				    IO_ERROR;
			return io_failure(errno);
		}
		if (!first) {
			a->in_got += (size_t)n;
		} else {
			size_t used = FRAME_HEADER - a->hdr_got;
			if ((size_t)n < used)
				used = (size_t)n;
			memcpy(a->hdr + a->hdr_got, dst, used);
			a->hdr_got += used;
			if (a->hdr_got < FRAME_HEADER)
				continue;
			size_t len = frame_length(a->hdr, FRAME_HEADER);
			if (len == SIZE_MAX || nng_msg_alloc(&a->in, len) != 0)
				return IO_ERROR;
			size_t body = (size_t)n - used;
			if (body > len) /* more than one reply: not ours */
				return IO_ERROR;
			memcpy(nng_msg_body(a->in), dst + used, body);
			a->in_got = body;
		}
		if (a->in_got == nng_msg_len(a->in)) {
			*complete = true;
			return IO_OK;
		}
	}
}

/* Reactor thread: a needs a connection (again): try the peers once. */
static int
async_connect(struct stream_client *sc, struct stream_async *a, int avoid)
{
	char err[256];
	if (connect_once(sc, &a->link, avoid, err, sizeof err) != 0)
		return -1;
	a->state = ASYNC_WRITE;
	a->out_off = 0;
	return 0;
}

/* Reactor thread: one event or retry of a (out of the list or in it,
 * under no lock). Returns true when a is finished (freed). */
static bool
async_step(struct stream_client *sc, struct stream_async *a)
{
	bool complete;
	(void)__atomic_load_n(&a->handed, __ATOMIC_ACQUIRE);
	int rc = async_progress(sc, a, &complete);
	if (rc == IO_OK && !complete)
		return false;
	pthread_mutex_lock(&sc->lock);
	calls_unlink(sc, a);
	pthread_mutex_unlock(&sc->lock);
	if (rc == IO_OK) {
		async_finish(sc, a, IPC_OK, NULL);
		return true;
	}
	/* the peer went away before its reply: again, to another first */
	if (rc == IO_CLOSED && a->resends++ < RESENDS &&
	    now_ms() < a->deadline_ms) {
		close(a->link.fd);
		forget_peer(sc, a->link.peer);
		int avoid = a->link.peer;
		a->link.fd = -1;
		a->hdr_got = 0;
		a->in_got = 0;
		if (a->in != NULL) {
			nng_msg_free(a->in);
			a->in = NULL;
		}
		a->state = ASYNC_CONNECT;
		a->retry_at_ms = now_ms();
		pthread_mutex_lock(&sc->lock);
		a->next = sc->calls;
		if (sc->calls != NULL)
			sc->calls->prev = a;
		sc->calls = a;
		pthread_mutex_unlock(&sc->lock);
		if (async_connect(sc, a, avoid) == 0)
			return async_step(sc, a);
		a->retry_at_ms = now_ms() + CONNECT_RETRY_MS;
		return false;
	}
	async_finish(sc, a, IPC_ERR_UNAVAILABLE, rc == IO_CLOSED ?
	    "peer closed the connection" : "broken reply");
	return true;
}

static void *
reactor_thread(void *arg)
{
	struct stream_client *sc = arg;

	for (;;) {
		int64_t now = now_ms(), next = now + 1000;
		pthread_mutex_lock(&sc->lock);
		bool closing = sc->closing;
		for (struct stream_async *a = sc->calls; a != NULL;
		    a = a->next) {
			if (a->deadline_ms < next)
				next = a->deadline_ms;
			if (a->state == ASYNC_CONNECT && a->retry_at_ms < next)
				next = a->retry_at_ms;
		}
		sc->reactor_wakes_ms = next;
		pthread_mutex_unlock(&sc->lock);
		if (closing)
			break;
		struct epoll_event evs[32];
		int wait = next > now ? (int)(next - now) : 0;
		int n = epoll_wait(sc->epfd, evs, 32, wait);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &sc->wake_fd) {
				uint64_t v;
				if (read(sc->wake_fd, &v, sizeof v) < 0)
					continue;
				continue;
			}
			async_step(sc, evs[i].data.ptr);
		}
		/* connections to retry, deadlines passed: one at a time,
		 * since each step may change the list */
		for (;;) {
			struct stream_async *due = NULL;
			bool expired = false;
			now = now_ms();
			pthread_mutex_lock(&sc->lock);
			for (struct stream_async *a = sc->calls; a != NULL;
			    a = a->next) {
				if (a->deadline_ms <= now) {
					due = a;
					expired = true;
					break;
				}
				if (a->state == ASYNC_CONNECT &&
				    a->retry_at_ms <= now) {
					due = a;
					break;
				}
			}
			if (due != NULL && expired)
				calls_unlink(sc, due);
			pthread_mutex_unlock(&sc->lock);
			if (due == NULL)
				break;
			if (expired) {
				async_finish(sc, due, IPC_ERR_UNAVAILABLE,
				    "timed out");
				continue;
			}
			if (async_connect(sc, due, -1) == 0)
				async_step(sc, due);
			else
				due->retry_at_ms = now + CONNECT_RETRY_MS;
		}
	}
	return NULL;
}

static int
reactor_start(struct stream_client *sc)
{
	if (sc->reactor_started)
		return 0;
	if (sc->epfd < 0 &&
	    (sc->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return sys_error(errno);
	if (sc->wake_fd < 0 &&
	    (sc->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return sys_error(errno);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &sc->wake_fd};
	if (epoll_ctl(sc->epfd, EPOLL_CTL_ADD, sc->wake_fd, &ev) != 0 &&
	    errno != EEXIST)
		return sys_error(errno);
	if (sc->scratch == NULL && (sc->scratch = malloc(FIRST_CHUNK)) == NULL)
		return NNG_ENOMEM;
	if (pthread_create(&sc->reactor, NULL, reactor_thread, sc) != 0)
		return NNG_ENOMEM;
	sc->reactor_started = true;
	return 0;
}

int
stream_call_async(struct ipc_client *c, const struct ipc_writer *w,
    ipc_async_done_fn done, void *arg)
{
	struct stream_client *sc = c->stream;
	int rv;

	if (w->sb.size == 0 || w->sb.size > IPC_MAX_MESSAGE)
		return NNG_EMSGSIZE;
	pthread_mutex_lock(&sc->lock);
	rv = sc->closing ? NNG_ECLOSED : reactor_start(sc);
	pthread_mutex_unlock(&sc->lock);
	if (rv != 0)
		return rv;
	struct stream_async *a = calloc(1, sizeof *a);
	if (a == NULL || (a->out = malloc(FRAME_HEADER + w->sb.size)) ==
	    NULL) {
		free(a);
		return NNG_ENOMEM;
	}
	put_be32(a->out, (uint32_t)w->sb.size);
	memcpy(a->out + FRAME_HEADER, w->sb.data, w->sb.size);
	a->out_len = FRAME_HEADER + w->sb.size;
	a->done = done;
	a->arg = arg;
	a->deadline_ms = now_ms() + c->timeout_ms;
	a->link.fd = -1;
	a->state = ASYNC_CONNECT;

	/* The caller's thread writes when it can: the reactor only waits
	 * for the reply. */
	char err[256];
	if (take_idle(sc, &a->link) ||
	    connect_once(sc, &a->link, -1, err, sizeof err) == 0) {
		a->state = ASYNC_WRITE;
		ssize_t n = send(a->link.fd, a->out, a->out_len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			a->out_off = (size_t)n;
		if (a->out_off == a->out_len)
			a->state = ASYNC_READ;
	}
	/* listed and armed under the lock: the reactor's scan of deadlines
	 * cannot take a half handed over */
	pthread_mutex_lock(&sc->lock);
	a->next = sc->calls;
	if (sc->calls != NULL)
		sc->calls->prev = a;
	sc->calls = a;
	int64_t deadline = a->deadline_ms;
	bool armed = a->state != ASYNC_CONNECT && async_arm(sc, a,
	    a->state == ASYNC_READ ? EPOLLIN : EPOLLOUT) == 0;
	if (!armed) {
		/* the reactor takes it from here: a new connection at once */
		if (a->state != ASYNC_CONNECT) {
			close(a->link.fd);
			a->link.fd = -1;
			a->state = ASYNC_CONNECT;
			a->out_off = 0;
		}
		a->retry_at_ms = 0;
	}
	/* the reactor sleeps until its earliest deadline: this may be
	 * earlier (a's, read before arming: after, a may be gone) */
	bool wake = !armed || deadline < sc->reactor_wakes_ms;
	pthread_mutex_unlock(&sc->lock);
	if (wake)
		wake_reactor(sc);
	return 0;
}

void
stream_client_close(struct ipc_client *c)
{
	struct stream_client *sc = c->stream;

	pthread_mutex_lock(&sc->lock);
	sc->closing = true;
	bool started = sc->reactor_started;
	pthread_mutex_unlock(&sc->lock);
	if (started) {
		wake_reactor(sc);
		pthread_join(sc->reactor, NULL);
	}
	/* what was in flight completes, with an error */
	for (;;) {
		pthread_mutex_lock(&sc->lock);
		struct stream_async *a = sc->calls;
		if (a != NULL)
			calls_unlink(sc, a);
		pthread_mutex_unlock(&sc->lock);
		if (a == NULL)
			break;
		async_finish(sc, a, IPC_ERR_UNAVAILABLE, "client closed");
	}
	for (int i = 0; i < sc->n_idle; i++)
		close(sc->idle[i].fd);
	if (sc->epfd >= 0)
		close(sc->epfd);
	if (sc->wake_fd >= 0)
		close(sc->wake_fd);
	free(sc->scratch);
	pthread_mutex_destroy(&sc->lock);
	free(sc);
	c->stream = NULL;
}
