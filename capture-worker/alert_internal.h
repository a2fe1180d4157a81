/* Internal alerts: events the capture worker itself raises about its own
 * health (ntop.popInternalAlerts returns them once each). Sources: a
 * previous run of this worker that ended without closing its store
 * (kill -9 or a crash: the supervisor restarted it), and the alert store
 * failing to write a batch. Each is also stored in entity_alerts as a
 * past system alert (ntopng's alert_process_notification), so it
 * outlives the in-memory queue. Any thread may raise one. */
#ifndef NETWARD_CAPTURE_ALERT_INTERNAL_H
#define NETWARD_CAPTURE_ALERT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define AI_QUEUE_MAX 256 /* oldest dropped past this, counted */
#define AI_ALERT_ID 29	 /* ntopng's other alert alert_process_notification */

struct msgpack_packer;

void ai_raise(int severity, const char *key, const char *message);
/* Writer thread: stores the alerts raised since the last call. */
void ai_persist(void);
/* Packs and removes the queued alerts (an array of maps). */
void ai_pop(struct msgpack_packer *pk);

#endif
