/* See alert_internal.h. */
#include "alert_internal.h"

#include "alert_store.h"
#include "envelope.h"
#include "flow_risk.h"
#include "log.h"

#include <msgpack.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct ai {
	int64_t tstamp;
	int severity;
	char key[48];
	char message[200];
	bool stored, popped;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ai q[AI_QUEUE_MAX];
static size_t head, len;
static uint64_t dropped;

void
ai_raise(int severity, const char *key, const char *message)
{
	struct ai *a;

	pthread_mutex_lock(&lock);
	if (len == AI_QUEUE_MAX) {
		head = (head + 1) % AI_QUEUE_MAX;
		len--;
		dropped++;
	}
	a = &q[(head + len) % AI_QUEUE_MAX];
	memset(a, 0, sizeof *a);
	a->tstamp = (int64_t)time(NULL);
	a->severity = severity;
	snprintf(a->key, sizeof a->key, "%s", key);
	snprintf(a->message, sizeof a->message, "%s", message);
	len++;
	pthread_mutex_unlock(&lock);
	log_warn("internal alert %s: %s", key, message);
}

/* A JSON string body: quotes, backslashes and control bytes escaped. */
static void
json_str(char *out, size_t outlen, const char *s)
{
	size_t o = 0;

	for (; *s && o + 7 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, outlen - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

/* Under lock: forgets the head entries both stored and popped. */
static void
trim(void)
{
	while (len > 0 && q[head].stored && q[head].popped) {
		head = (head + 1) % AI_QUEUE_MAX;
		len--;
	}
}

void
ai_persist(void)
{
	struct ai todo[AI_QUEUE_MAX];
	size_t n = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < len; i++) {
		struct ai *a = &q[(head + i) % AI_QUEUE_MAX];
		if (!a->stored) {
			todo[n++] = *a;
			a->stored = true;
		}
	}
	trim();
	pthread_mutex_unlock(&lock);
	if (n == 0)
		return;
	sqlite3 *db = as_lock();
	sqlite3_stmt *st = NULL;
	if (db && sqlite3_prepare_v2(db, "INSERT INTO entity_alerts (alert_id,"
		" alert_status, interface_id, entity_id, entity_val, source,"
		" script_key, subtype, granularity, tstamp, tstamp_end,"
		" severity, score, json) VALUES (?1, 0, ?2, ?3,"
		" 'netward-capture', 'internal', '', ?4, 0, ?5, ?5, ?6, ?7, ?8)",
		-1, &st, NULL) == SQLITE_OK) {
		for (size_t i = 0; i < n; i++) {
			char msg[420], json[512];
			json_str(msg, sizeof msg, todo[i].message);
			snprintf(json, sizeof json, "{\"event_type\":\"%s\","
			    "\"msg_details\":\"%s\"}", todo[i].key, msg);
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, AI_ALERT_ID);
			sqlite3_bind_int64(st, 2, as_ifid());
			sqlite3_bind_int64(st, 3, FR_ENTITY_SYSTEM);
			sqlite3_bind_text(st, 4, todo[i].key, -1,
			    SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 5, todo[i].tstamp);
			sqlite3_bind_int64(st, 6, todo[i].severity);
			sqlite3_bind_int64(st, 7,
			    fr_severity_to_score(todo[i].severity));
			sqlite3_bind_text(st, 8, json, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) != SQLITE_DONE)
				log_error("internal alert not stored: %s",
				    sqlite3_errmsg(db));
		}
	}
	sqlite3_finalize(st);
	as_unlock();
}

void
ai_pop(msgpack_packer *pk)
{
	size_t n = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < len; i++)
		n += !q[(head + i) % AI_QUEUE_MAX].popped;
	msgpack_pack_array(pk, (uint32_t)n);
	for (size_t i = 0; i < len; i++) {
		struct ai *a = &q[(head + i) % AI_QUEUE_MAX];
		if (a->popped)
			continue;
		a->popped = true;
		msgpack_pack_map(pk, 7);
		ipc_pack_key(pk, "ifid");
		msgpack_pack_int64(pk, as_ifid());
		ipc_pack_key(pk, "alert_id");
		msgpack_pack_int64(pk, AI_ALERT_ID);
		ipc_pack_key(pk, "entity_id");
		msgpack_pack_int64(pk, FR_ENTITY_SYSTEM);
		ipc_pack_key(pk, "tstamp");
		msgpack_pack_int64(pk, a->tstamp);
		ipc_pack_key(pk, "severity");
		msgpack_pack_int64(pk, a->severity);
		ipc_pack_key(pk, "event_type");
		ipc_pack_str(pk, a->key);
		ipc_pack_key(pk, "message");
		ipc_pack_str(pk, a->message);
	}
	trim();
	(void)dropped;
	pthread_mutex_unlock(&lock);
}
