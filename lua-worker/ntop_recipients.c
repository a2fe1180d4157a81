/* ntop.recipient_* (spec/ntop-api.md section 16): notification queues,
 * one per recipient, in Redis so that every Lua worker sees them and they
 * survive any restart.
 *
 *   netward.recipients                 set of registered ids
 *   netward.recipient.<id>.queue       list, oldest first
 *   netward.recipient.<id>.inflight    the notification being delivered
 *   netward.recipient.<id>.stats       hash of counters
 *   netward.recipient.<id>.last_use    epoch of the last dequeue
 *
 * Delivery is at least once: recipient_dequeue moves the head of the
 * queue to the in-flight list and returns it; the deliverer reports the
 * outcome with recipient_inc_stats(id, "delivered") (which removes it) or
 * "failed" (which keeps it). A notification still in flight, because its
 * delivery failed or the worker died, is what the next dequeue returns
 * again. A full queue (QUEUE_MAX) refuses the notification, counts it in
 * "drops" and returns false: nothing is lost silently. */
#define _GNU_SOURCE
#include "ntop.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX 65536
#define SET_KEY "netward.recipients"

static const char *
rid(lua_State *L, const char *fn, int i)
{
	size_t n;
	const char *id = nt_str(L, i, fn, "recipient_id", &n);
	if (n == 0 || n > 64)
		nt_error(L, fn, "argument #%d (recipient_id): 1 to 64 characters",
		    i);
	for (size_t k = 0; k < n; k++) {
		char c = id[k];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			nt_error(L, fn, "argument #%d (recipient_id): only "
			    "letters, digits, '_', '-', '.'", i);
	}
	return id;
}

static void
key(char *out, size_t size, const char *id, const char *what)
{
	snprintf(out, size, "netward.recipient.%s.%s", id, what);
}

/* Runs a command; returns its integer (or 1 for a string, 0 for nil). */
static long long
cmd(lua_State *L, const char *fn, int argc, const char **argv)
{
	int box;
	redisReply *r = nt_redis(L, fn, &box, argc, argv, NULL);
	long long v = r->type == REDIS_REPLY_INTEGER ? r->integer :
	    r->type == REDIS_REPLY_NIL ? 0 : 1;
	lw_redis_done(L, box);
	return v;
}

static void
count(lua_State *L, const char *fn, const char *id, const char *stat)
{
	char k[128];
	key(k, sizeof k, id, "stats");
	const char *argv[] = {"HINCRBY", k, stat, "1"};
	cmd(L, fn, 4, argv);
}

static bool
registered(lua_State *L, const char *fn, const char *id)
{
	const char *argv[] = {"SISMEMBER", SET_KEY, id};
	return cmd(L, fn, 3, argv) == 1;
}

NT_FN(recipient_register)
{
	NT_ARGS(1, 1);
	const char *id = rid(L, __func__, 1);
	const char *argv[] = {"SADD", SET_KEY, id};
	cmd(L, __func__, 3, argv);
	return 0;
}

NT_FN(recipient_delete)
{
	char q[128], f[128], s[128], u[128];
	NT_ARGS(1, 1);
	const char *id = rid(L, __func__, 1);
	key(q, sizeof q, id, "queue");
	key(f, sizeof f, id, "inflight");
	key(s, sizeof s, id, "stats");
	key(u, sizeof u, id, "last_use");
	const char *del[] = {"DEL", q, f, s, u};
	cmd(L, __func__, 5, del);
	const char *srem[] = {"SREM", SET_KEY, id};
	cmd(L, __func__, 3, srem);
	return 0;
}

NT_FN(recipient_enqueue)
{
	char q[128];
	size_t n;
	int box;
	NT_ARGS(2, 2);
	const char *id = rid(L, __func__, 1);
	const char *msg = NT_LSTR(2, "notification", &n);
	if (!registered(L, __func__, id))
		NT_ERR("recipient '%s' is not registered", id);
	key(q, sizeof q, id, "queue");
	const char *llen[] = {"LLEN", q};
	if (cmd(L, __func__, 2, llen) >= QUEUE_MAX) {
		count(L, __func__, id, "drops");
		lua_pushboolean(L, 0);
		return 1;
	}
	const char *argv[] = {"RPUSH", q, msg};
	size_t lens[] = {5, strlen(q), n};
	nt_redis(L, __func__, &box, 3, argv, lens);
	lw_redis_done(L, box);
	count(L, __func__, id, "enqueued");
	lua_pushboolean(L, 1);
	return 1;
}

NT_FN(recipient_dequeue)
{
	char q[128], f[128], u[128], now[32];
	int box;
	NT_ARGS(1, 1);
	const char *id = rid(L, __func__, 1);
	key(q, sizeof q, id, "queue");
	key(f, sizeof f, id, "inflight");
	key(u, sizeof u, id, "last_use");
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	const char *set[] = {"SET", u, now};
	cmd(L, __func__, 3, set);
	/* an unacknowledged one first: its delivery failed or was cut */
	const char *idx[] = {"LINDEX", f, "0"};
	redisReply *r = nt_redis(L, __func__, &box, 3, idx, NULL);
	if (r->type == REDIS_REPLY_STRING) {
		lua_pushlstring(L, r->str, r->len);
		lua_replace(L, box);
		count(L, __func__, id, "retries");
		return 1;
	}
	lw_redis_done(L, box);
	const char *mv[] = {"LMOVE", q, f, "LEFT", "RIGHT"};
	r = nt_redis(L, __func__, &box, 5, mv, NULL);
	if (r->type == REDIS_REPLY_STRING)
		lua_pushlstring(L, r->str, r->len);
	else
		lua_pushnil(L);
	lua_replace(L, box);
	return 1;
}

/* "delivered" acknowledges the notification in flight; every name
 * (including "failed") is a counter of the recipient's stats. */
NT_FN(recipient_inc_stats)
{
	char f[128];
	NT_ARGS(2, 2);
	const char *id = rid(L, __func__, 1);
	size_t n;
	const char *stat = NT_LSTR(2, "stat", &n);
	if (n == 0 || n > 64)
		NT_ERR("argument #2 (stat): 1 to 64 characters");
	if (strcmp(stat, "delivered") == 0) {
		key(f, sizeof f, id, "inflight");
		const char *pop[] = {"LPOP", f};
		cmd(L, __func__, 2, pop);
	}
	count(L, __func__, id, stat);
	return 0;
}

NT_FN(recipient_last_use)
{
	char u[128];
	int box;
	NT_ARGS(1, 1);
	const char *id = rid(L, __func__, 1);
	key(u, sizeof u, id, "last_use");
	const char *get[] = {"GET", u};
	redisReply *r = nt_redis(L, __func__, &box, 2, get, NULL);
	lua_Integer v = r->type == REDIS_REPLY_STRING ?
	    (lua_Integer)strtoll(r->str, NULL, 10) : 0;
	lw_redis_done(L, box);
	lua_pushinteger(L, v);
	return 1;
}

/* {id = {queue_len, in_flight, last_use, <counter> = n, ...}} */
NT_FN(recipient_stats)
{
	char k[128];
	int box, sbox;
	NT_ARGS(0, 0);
	const char *members[] = {"SMEMBERS", SET_KEY};
	redisReply *set = nt_redis(L, __func__, &sbox, 2, members, NULL);
	lua_newtable(L);
	for (size_t i = 0; set->type == REDIS_REPLY_ARRAY &&
	    i < set->elements; i++) {
		const redisReply *e = set->element[i];
		if (e->type != REDIS_REPLY_STRING || e->len > 64)
			continue;
		const char *id = e->str;
		lua_newtable(L);
		key(k, sizeof k, id, "queue");
		const char *ql[] = {"LLEN", k};
		nt_setint(L, "queue_len", cmd(L, __func__, 2, ql));
		key(k, sizeof k, id, "inflight");
		const char *fl[] = {"LLEN", k};
		nt_setint(L, "in_flight", cmd(L, __func__, 2, fl));
		key(k, sizeof k, id, "stats");
		const char *hg[] = {"HGETALL", k};
		redisReply *h = nt_redis(L, __func__, &box, 2, hg, NULL);
		for (size_t j = 0; h->type == REDIS_REPLY_ARRAY &&
		    j + 1 < h->elements; j += 2)
			if (h->element[j]->type == REDIS_REPLY_STRING &&
			    h->element[j + 1]->type == REDIS_REPLY_STRING) {
				lua_pushinteger(L, (lua_Integer)strtoll(
				    h->element[j + 1]->str, NULL, 10));
				lua_setfield(L, -3, h->element[j]->str);
			}
		lw_redis_done(L, box);
		key(k, sizeof k, id, "last_use");
		const char *lu[] = {"GET", k};
		redisReply *g = nt_redis(L, __func__, &box, 2, lu, NULL);
		lua_Integer last = g->type == REDIS_REPLY_STRING ?
		    (lua_Integer)strtoll(g->str, NULL, 10) : 0;
		lw_redis_done(L, box);
		nt_setint(L, "last_use", last);
		lua_setfield(L, -2, id);
	}
	lw_redis_done(L, sbox);
	return 1;
}

/* netward's own: the "file" delivery of the notification script. Appends
 * one line to DATA/lua/notifications/<recipient_id>.log, created 0600,
 * and fsyncs it before answering true, so a notification acknowledged
 * after this call is on disk. The file name is the checked recipient id:
 * a script cannot name any other path. */
#define NOTIFY_DIR "notifications"
#define NOTIFY_LINE_MAX (256 * 1024)
#define NOTIFY_FILE_MAX ((off_t)256 * 1024 * 1024)

NT_FN(recipient_append_file)
{
	char path[sizeof lw_cfg.data_dir + 96];
	size_t n;
	NT_ARGS(2, 2);
	const char *id = rid(L, __func__, 1);
	const char *line = NT_LSTR(2, "line", &n);
	if (n > NOTIFY_LINE_MAX || memchr(line, '\n', n) != NULL)
		NT_ERR("argument #2 (line): one line of at most %d bytes",
		    NOTIFY_LINE_MAX);
	if (lw_cfg.data_dir[0] == '\0')
		NT_ERR("this worker has no data directory");
	snprintf(path, sizeof path, "%s/" NOTIFY_DIR, lw_cfg.data_dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		NT_ERR("%s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/" NOTIFY_DIR "/%s.log",
	    lw_cfg.data_dir, id);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		NT_ERR("%s: %s", path, strerror(errno));
	struct stat st;
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size + (off_t)n + 1 <= NOTIFY_FILE_MAX;
	int e = ok ? 0 : EFBIG;
	struct iovec iov[2] = {{(void *)line, n}, {"\n", 1}};
	if (ok && writev(fd, iov, 2) != (ssize_t)(n + 1)) {
		ok = false;
		e = errno;
	}
	if (ok && fsync(fd) != 0) {
		ok = false;
		e = errno;
	}
	close(fd);
	if (!ok)
		NT_ERR("%s: %s", path, strerror(e));
	lua_pushboolean(L, 1);
	return 1;
}

static const luaL_Reg fns[] = {
	NT_ROW(recipient_register), NT_ROW(recipient_delete),
	NT_ROW(recipient_enqueue), NT_ROW(recipient_dequeue),
	NT_ROW(recipient_inc_stats), NT_ROW(recipient_last_use),
	NT_ROW(recipient_stats), NT_ROW(recipient_append_file),
	{NULL, NULL},
};

void
ntop_recipients_register(lua_State *L)
{
	nt_register(L, fns);
}
