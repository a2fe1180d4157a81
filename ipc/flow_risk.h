/* nDPI flow risks as ntopng's flow alerts: one table shared by the
 * capture worker (which raises the alerts) and the Lua worker (which
 * answers ntop.getRiskStr, getFlowRiskAlerts, getFlowAlertScore, ...).
 *
 * ntopng numbers the flow alert of an nDPI risk with the risk's own id
 * (flow_alert_ndpi_* keys), so alert id == risk id here; its score is the
 * score nDPI gives that risk alone (ndpi_risk2score), split between client
 * and server by nDPI's percentage, and its severity follows from the score
 * with ntopng's thresholds (fr_score_to_severity). */
#ifndef NETWARD_FLOW_RISK_H
#define NETWARD_FLOW_RISK_H

#include <stdbool.h>
#include <stdint.h>

/* ntopng's alert_severity ids */
enum fr_severity {
	FR_SEV_NONE, FR_SEV_DEBUG, FR_SEV_INFO, FR_SEV_NOTICE, FR_SEV_WARNING,
	FR_SEV_ERROR, FR_SEV_CRITICAL, FR_SEV_EMERGENCY
};
/* ntopng's score thresholds (SCORE_LEVEL_*) */
enum {
	FR_SCORE_INFO = 1, FR_SCORE_NOTICE = 10, FR_SCORE_WARNING = 50,
	FR_SCORE_ERROR = 100, FR_SCORE_SEVERE = 150
};
/* ntopng's AlertCategory ids used by flow risks */
enum { FR_CAT_OTHER = 0, FR_CAT_SECURITY = 1 };
/* ntopng's alert entity ids (AlertEntity) */
enum {
	FR_ENTITY_INTERFACE = 0, FR_ENTITY_HOST = 1, FR_ENTITY_NETWORK = 2,
	FR_ENTITY_SNMP = 3, FR_ENTITY_FLOW = 4, FR_ENTITY_MAC = 5,
	FR_ENTITY_SYSTEM = 7, FR_ENTITY_AM_HOST = 10
};

/* The last risk id nDPI 4.2 defines (NDPI_MAX_RISK - 1). */
int fr_max_risk(void);
/* ntopng's check/alert name of risk id ("ndpi_clear_text_credentials"),
 * NULL when id is not a risk. */
const char *fr_alert_name(int id);
/* nDPI's text for the risk ("Clear-Text Credentials"), NULL if none. */
const char *fr_risk_str(int id);
int fr_category(int id);
/* Score of one risk alone, and its client/server parts. */
uint16_t fr_risk_score(int id, uint16_t *cli, uint16_t *srv);
/* Score of a whole risk bitmap, as nDPI (and ndpiReader) compute it. */
uint16_t fr_bitmap_score(uint64_t risk, uint16_t *cli, uint16_t *srv);
int fr_score_to_severity(int64_t score);
int fr_severity_to_score(int severity);
/* The risk of the bitmap with the highest score (ntopng's predominant
 * alert), 0 when the bitmap is empty. */
int fr_predominant(uint64_t risk);

#endif
