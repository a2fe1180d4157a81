/* Host checks as ntopng's host alerts: one table shared by the capture
 * worker (which runs the checks, capture-worker/host_checks.c) and the Lua
 * worker (ntop.getHostCheckInfo, reloadHostChecks).
 *
 * The check id is ntopng's host alert id (HostAlertTypeEnum), so a check
 * and the alert it raises have one number. Thresholds count events in one
 * check period (HC_PERIOD_S seconds of packet time) and are compared with
 * ">" as ntopng's threshold_cross checks are. */
#ifndef NETWARD_HOST_CHECK_H
#define NETWARD_HOST_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#define HC_PERIOD_S 60 /* one check pass per minute of packet time */

/* ntopng's HostAlertTypeEnum ids of the checks netward runs */
enum {
	HC_ID_FLOW_FLOOD = 4,
	HC_ID_SYN_SCAN = 5,
	HC_ID_SYN_FLOOD = 6,
	HC_ID_DANGEROUS_HOST = 14,
	HC_ID_SCORE_THRESHOLD = 17,
	HC_ID_TRAFFIC_VOLUME = 26, /* triggerTrafficAlert on a host */
};

/* Index of a check in the table, 0 .. HC_COUNT-1 */
enum hc_index {
	HC_SCORE, HC_SYN_SCAN, HC_FLOW_FLOOD, HC_SYN_FLOOD, HC_BLACKLIST,
	HC_COUNT
};

struct hc_def {
	const char *key;	 /* ntopng's check key */
	int alert_id;		 /* ntopng's host alert id */
	int score;		 /* score of the alert it raises */
	uint64_t def_threshold;	 /* default threshold (per period) */
	uint64_t max_threshold;
	bool def_enabled;
	const char *unit;	 /* what the threshold counts */
	const char *description;
};

const struct hc_def *hc_def(int index);
/* Index of the check with ntopng id or key; -1 if none. */
int hc_index_of_id(int64_t alert_id);
int hc_index_of_key(const char *key);

#endif
