/* netward-lua --periodic: runs the scripts of scripts/callbacks/{minute,
 * 5min,hourly,daily}/ on schedule, as ntopng's periodic activities do.
 *
 * One scheduler thread with its own Lua state. A period starts at each
 * multiple of its length in epoch time (so RRD steps line up); its scripts
 * run one after the other in name order, each with a deadline of the
 * period's length (capped at LW_PERIODIC_MAX_BUDGET), which
 * ntop.getDeadline()/isDeadlineApproaching() report and the VM's hook
 * enforces: a script that overruns is stopped, logged, and the next run
 * happens as scheduled. A period whose time came while an earlier one was
 * still running runs once when it can (late runs are not stacked up).
 *
 * A script finds the period's start (a multiple of its length, epoch) and
 * length in _GET.when and _GET.period.
 *
 * The scripts act as the system: their ctx carries user and group
 * "system", no network or interface restriction, signed with the identity
 * key the supervisor gives only this worker. */
#define _GNU_SOURCE
#include "lw.h"
#include "identity.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LW_PERIODIC_MAX_BUDGET 3600 /* seconds, hourly and daily scripts */
#define MAX_SCRIPTS 256
#define TICK_MS 100

struct period {
	const char *dir;
	int minutes;
	time_t next;
	unsigned long runs;
};

static struct period periods[] = {
	{"minute", 1, 0, 0},
	{"5min", 5, 0, 0},
	{"hourly", 60, 0, 0},
	{"daily", 1440, 0, 0},
};
#define N_PERIODS (sizeof periods / sizeof *periods)

static pthread_t thread;
static bool started;
static uint64_t request_seq;

static int
period_sec(const struct period *p)
{
	return p->minutes * lw_cfg.minute_sec;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_lua_name(const char *n)
{
	size_t len = strlen(n);
	if (n[0] == '.' || len < 5 || len > 200 ||
	    strcmp(n + len - 4, ".lua") != 0)
		return false;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '.'))
			return false;
	return true;
}

static void
system_ctx(struct ipc_ctx *ctx, int budget)
{
	memset(ctx, 0, sizeof *ctx);
	snprintf(ctx->user, sizeof ctx->user, "system");
	snprintf(ctx->group, sizeof ctx->group, "system");
	snprintf(ctx->remote_addr, sizeof ctx->remote_addr, "127.0.0.1");
	ctx->request_id = ++request_seq;
	if (lw_cfg.has_identity_key)
		ipc_identity_sign(lw_cfg.identity_key, ctx,
		    (uint64_t)time(NULL), (unsigned)budget + 5);
}

static void
run_script(struct lw_vm *vm, struct period *p, time_t when, const char *dir,
    const char *name)
{
	char path[PATH_MAX], real[PATH_MAX], chunk[300], err[1024], query[96];
	struct ipc_ctx ctx;
	struct lw_http_request hr = {0};
	struct lw_response resp;
	struct timespec t0, t1;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >=
	    (int)sizeof path || realpath(path, real) == NULL ||
	    strncmp(real, dir, strlen(dir)) != 0 || real[strlen(dir)] != '/')
		return; /* vanished, or a link out of the tree */
	int budget = period_sec(p);
	if (budget > LW_PERIODIC_MAX_BUDGET)
		budget = LW_PERIODIC_MAX_BUDGET;
	system_ctx(&ctx, budget);
	snprintf(chunk, sizeof chunk, "callbacks/%s/%s", p->dir, name);
	hr.method = "GET";
	hr.path = chunk;
	hr.content_type = "";
	hr.ctx = &ctx;
	/* the period's start and length, for the scripts' time series */
	hr.query_len = (size_t)snprintf(query, sizeof query,
	    "when=%lld&period=%d", (long long)when, period_sec(p));
	hr.query = query;
	vm->timeout_sec = budget;
	lw_response_init(&resp);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lw_http_run(vm, &hr, real, &resp, err, sizeof err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	vm->timeout_sec = 0;
	double took = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (strstr(err, "instruction limit exceeded") != NULL)
		log_warn("periodic script %s overran its budget (deadline "
		    "%d s) and was stopped after %.1f s; its next run is "
		    "still scheduled", chunk, budget, took);
	else if (err[0] != '\0')
		log_warn("periodic script %s failed after %.1f s", chunk, took);
	else
		log_debug("periodic script %s done in %.3f s", chunk, took);
	lw_response_free(&resp);
}

static void
run_period(struct lw_vm *vm, struct period *p, time_t when)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	char *names[MAX_SCRIPTS];
	int n = 0;

	if (snprintf(tmp, sizeof tmp, "%s/scripts/callbacks/%s",
	    lw_cfg.install_dir, p->dir) >= (int)sizeof tmp ||
	    realpath(tmp, dir) == NULL)
		return; /* no scripts for this period */
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < MAX_SCRIPTS)
		if (is_lua_name(e->d_name) &&
		    (names[n] = strdup(e->d_name)) != NULL)
			n++;
	closedir(d);
	qsort(names, (size_t)n, sizeof *names, cmp_names);
	p->runs++;
	for (int i = 0; i < n; i++) {
		if (!lw_shutting_down)
			run_script(vm, p, when, dir, names[i]);
		free(names[i]);
	}
}

static time_t
next_start(const struct period *p, time_t now)
{
	time_t len = period_sec(p);
	return (now / len + 1) * len;
}

static void *
scheduler(void *arg)
{
	(void)arg;
	struct lw_vm *vm = lw_vm_new();
	if (vm == NULL) {
		log_error("periodic scripts: cannot create a Lua state");
		return NULL;
	}
	vm->periodic = true;
	time_t now = time(NULL);
	for (size_t i = 0; i < N_PERIODS; i++)
		periods[i].next = next_start(&periods[i], now);
	while (!lw_shutting_down) {
		now = time(NULL);
		for (size_t i = 0; i < N_PERIODS && !lw_shutting_down; i++) {
			if (now < periods[i].next)
				continue;
			periods[i].next = next_start(&periods[i], now);
			run_period(vm, &periods[i],
			    now / period_sec(&periods[i]) * period_sec(&periods[i]));
			now = time(NULL);
		}
		struct timespec ts = {0, TICK_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	lw_vm_free(vm);
	return NULL;
}

int
lw_periodic_start(void)
{
	if (!lw_cfg.has_identity_key)
		log_warn("periodic scripts: no identity key, capture workers "
		    "that check identities will refuse their calls");
	int rv = pthread_create(&thread, NULL, scheduler, NULL);
	if (rv != 0) {
		errno = rv;
		return -1;
	}
	started = true;
	log_info("periodic scripts: minute = %d s", lw_cfg.minute_sec);
	return 0;
}

void
lw_periodic_stop(void)
{
	if (started)
		pthread_join(thread, NULL);
	started = false;
	memset(lw_cfg.identity_key, 0, sizeof lw_cfg.identity_key);
}
