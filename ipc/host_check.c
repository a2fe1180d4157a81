/* See host_check.h. Defaults follow ntopng's check definitions where it
 * has the same check (SYN scan 256 and flow flood 256 per minute, score
 * threshold 5000); the SYN flood default is ntopng's 50 SYNs/s expressed
 * per minute. Scores are ntopng's SCORE_LEVEL_ERROR (100) for every
 * behaviour check and SCORE_LEVEL_SEVERE (150) for a listed address. */
#include "host_check.h"

#include <string.h>

static const struct hc_def defs[HC_COUNT] = {
	[HC_SCORE] = { "score_threshold", HC_ID_SCORE_THRESHOLD, 100, 5000,
	    1000000000, true, "score",
	    "the host's score (sum over its alerted flows) is above the "
	    "threshold" },
	[HC_SYN_SCAN] = { "syn_scan", HC_ID_SYN_SCAN, 100, 256, 1000000000,
	    true, "unanswered SYNs per minute",
	    "TCP SYNs sent (attacker) or received (victim) without a "
	    "SYN-ACK, per minute, above the threshold" },
	[HC_FLOW_FLOOD] = { "flow_flood", HC_ID_FLOW_FLOOD, 100, 256,
	    1000000000, true, "new flows per minute",
	    "new flows as client (attacker) or server (victim), per minute, "
	    "above the threshold" },
	[HC_SYN_FLOOD] = { "syn_flood", HC_ID_SYN_FLOOD, 100, 3000,
	    1000000000, true, "SYNs per minute",
	    "TCP SYNs sent (attacker) or received (victim), per minute, "
	    "above the threshold" },
	[HC_BLACKLIST] = { "dangerous_host", HC_ID_DANGEROUS_HOST, 150, 0, 0,
	    true, "",
	    "the host's address is in the blacklist and it had traffic in "
	    "the last period" },
};

const struct hc_def *
hc_def(int index)
{
	return index >= 0 && index < HC_COUNT ? &defs[index] : NULL;
}

int
hc_index_of_id(int64_t alert_id)
{
	for (int i = 0; i < HC_COUNT; i++)
		if (defs[i].alert_id == alert_id)
			return i;
	return -1;
}

int
hc_index_of_key(const char *key)
{
	for (int i = 0; i < HC_COUNT; i++)
		if (strcmp(defs[i].key, key) == 0)
			return i;
	return -1;
}
