/* Alerts that scripts raise (interface-api.md section 10, lifecycle):
 * rows of entity_alerts, written synchronously (the RPC answers after
 * the commit, so a stored alert survives kill -9).
 *
 * source "triggered" (storeTriggeredAlert / releaseTriggeredAlert),
 * "external" (triggerExternalAlert / releaseExternalAlert) and "traffic"
 * (triggerTrafficAlert, always past). An engaged alert is unique per
 * (source, entity, entity value, alert id, subtype): triggering it again
 * refreshes it instead of adding a row. */
#ifndef NETWARD_CAPTURE_ALERT_LUA_H
#define NETWARD_CAPTURE_ALERT_LUA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ea_alert {
	int64_t alert_id, entity_id, severity, score, granularity, tstamp;
	char entity_val[128];
	char subtype[64];
	char script_key[64];
	const char *json; /* may be NULL */
	size_t json_len;
};

/* Stores a; engaged or past. false with a message on failure. */
bool ea_store(const struct ea_alert *a, const char *source, bool engaged,
    char *err, size_t errlen);

/* Releases the engaged alerts matching every given filter (NULL / -1:
 * any); *n = how many. */
struct ea_filter {
	const char *source;
	int64_t alert_id, entity_id;
	const char *entity_val, *subtype, *script_key;
};
bool ea_release(const struct ea_filter *f, int64_t *n, char *err,
    size_t errlen);

#endif
