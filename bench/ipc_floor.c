/* ipc_floor: the floor of a request/reply round trip between two
 * processes on this machine, for the getStats target (docs/PERFORMANCE.md
 * section 3): an echo of 32 bytes, no msgpack, no handler.
 *
 *   ipc_floor nng N      NNG REQ/REP over ipc://, served by two blocking
 *                        threads with a context each and called with a
 *                        context and an aio per call (as ipc/rpc.c does)
 *   ipc_floor seqpacket N  a unix SOCK_SEQPACKET socket, one blocking
 *                        thread per side
 *
 * Forks the server, runs N calls, prints "p50_us p99_us". Not a test. */
#define _GNU_SOURCE
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static nng_socket sock;

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void *
nng_server_thread(void *arg)
{
	nng_ctx ctx;
	nng_aio *aio;

	(void)arg;
	if (nng_ctx_open(&ctx, sock) != 0 ||
	    nng_aio_alloc(&aio, NULL, NULL) != 0)
		exit(1);
	for (;;) {
		nng_ctx_recv(ctx, aio);
		nng_aio_wait(aio);
		if (nng_aio_result(aio) != 0)
			exit(1);
		nng_msg *m = nng_aio_get_msg(aio);
		nng_aio_set_msg(aio, m);
		nng_ctx_send(ctx, aio);
		nng_aio_wait(aio);
		if (nng_aio_result(aio) != 0)
			nng_msg_free(m);
	}
	return NULL;
}

static void
nng_serve(const char *url)
{
	pthread_t t[2];

	if (nng_rep0_open(&sock) != 0 || nng_listen(sock, url, NULL, 0) != 0)
		exit(1);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, nng_server_thread, NULL);
	pause();
}

static double
nng_call(void)
{
	nng_ctx ctx;
	nng_aio *aio;
	nng_msg *m;
	double t0 = now_us();

	if (nng_ctx_open(&ctx, sock) != 0 ||
	    nng_aio_alloc(&aio, NULL, NULL) != 0 || nng_msg_alloc(&m, 0) != 0 ||
	    nng_msg_append(m, "0123456789abcdef0123456789abcdef", 32) != 0)
		exit(1);
	nng_aio_set_msg(aio, m);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if (nng_aio_result(aio) != 0)
		exit(1);
	nng_msg_free(nng_aio_get_msg(aio));
	nng_aio_free(aio);
	nng_ctx_close(ctx);
	return now_us() - t0;
}

static void
seq_serve(const struct sockaddr_un *sa)
{
	char buf[4096];
	ssize_t n;
	int s = socket(AF_UNIX, SOCK_SEQPACKET, 0), c;

	if (s < 0 || bind(s, (const void *)sa, sizeof *sa) != 0 ||
	    listen(s, 4) != 0 || (c = accept(s, NULL, NULL)) < 0)
		exit(1);
	while ((n = recv(c, buf, sizeof buf, 0)) > 0)
		if (send(c, buf, (size_t)n, 0) != n)
			exit(1);
	exit(0);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/ipc-floor-XXXXXX", url[128];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool nng;
	pid_t pid;
	int s = -1;

	if (argc != 3 || (strcmp(argv[1], "nng") && strcmp(argv[1],
	    "seqpacket"))) {
		fprintf(stderr, "usage: ipc_floor nng|seqpacket N\n");
		return 2;
	}
	nng = strcmp(argv[1], "nng") == 0;
	long n = atol(argv[2]);
	double *lat = calloc((size_t)(n > 0 ? n : 1), sizeof *lat);
	if (lat == NULL || n < 1 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/s", dir);
	snprintf(url, sizeof url, "ipc://%s", sa.sun_path);
	if ((pid = fork()) == 0) {
		if (nng)
			nng_serve(url);
		seq_serve(&sa);
	}
	if (nng) {
		if (nng_req0_open(&sock) != 0)
			return 1;
		while (nng_dial(sock, url, NULL, 0) != 0)
			usleep(10000);
	} else {
		s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		while (connect(s, (void *)&sa, sizeof sa) != 0)
			usleep(10000);
	}
	for (long i = 0; i < n; i++) {
		if (nng) {
			lat[i] = nng_call();
			continue;
		}
		char buf[64] = "0123456789abcdef0123456789abcdef";
		double t0 = now_us();
		if (send(s, buf, 32, 0) != 32 || recv(s, buf, sizeof buf, 0) != 32)
			return 1;
		lat[i] = now_us() - t0;
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(sa.sun_path);
	rmdir(dir);
	qsort(lat, (size_t)n, sizeof *lat, cmp_dbl);
	printf("%.1f %.1f\n", lat[(n - 1) / 2],
	    lat[(size_t)((double)(n - 1) * 0.99)]);
	free(lat);
	return 0;
}
