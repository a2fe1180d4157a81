/* See flow_checks.h. */
#include "flow_checks.h"
#include "event_ring.h"

#include "exclusions.h"
#include "flow_risk.h"
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_MAX 65536 /* alerts waiting for the writer */

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static struct event_ring queue = EVENT_RING_INIT(struct fc_alert, QUEUE_MAX);
static struct fc_stats stats;
static uint64_t disabled_mask;
static bool queue_on; /* a store drains the queue (fc_enable_queue) */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
fc_flow_done(struct iface *ifc, struct flow *f,
    const struct ndpi_flow_struct *nd)
{
	uint64_t t0 = now_ns();
	struct fc_alert a;
	uint64_t enabled;
	bool ok;

	(void)ifc;
	f->risk = nd->risk;
	/* nDPI leaves the URL's own check (XSS, SQL/RCE injection) to its
	 * user, as ndpiReader and ntopng both run it on the HTTP URL */
	if (nd->http.url != NULL &&
	    (f->proto.master_protocol == NDPI_PROTOCOL_HTTP ||
		f->proto.app_protocol == NDPI_PROTOCOL_HTTP)) {
		char url[2048];
		snprintf(url, sizeof url, "%s", nd->http.url);
		ndpi_risk_enum r = ndpi_validate_url(url);
		if (r > NDPI_NO_RISK && r < NDPI_MAX_RISK)
			f->risk |= (uint64_t)1 << r;
	}
	f->score = fr_bitmap_score(f->risk, &f->cli_score, &f->srv_score);
	pthread_mutex_lock(&qlock);
	stats.flows_checked++;
	enabled = f->risk & ~disabled_mask;
	pthread_mutex_unlock(&qlock);
	if (f->score == 0)
		goto out;
	if (f->cli_host) {
		f->cli_host->score_as_cli += f->cli_score;
		f->cli_host->alerted_as_cli++;
	}
	if (f->srv_host) {
		f->srv_host->score_as_srv += f->srv_score;
		f->srv_host->alerted_as_srv++;
	}
	if (enabled == 0 || !queue_on)
		goto out; /* no store (--dump-flows): scores only */
	/* alert exclusions of either end (ntop.reloadAlertExclusions) */
	uint64_t ex = ex_flow_mask(f->ipver, f->cli_ip) |
	    ex_flow_mask(f->ipver, f->srv_ip);
	if (enabled & ex) {
		enabled &= ~ex;
		if (enabled == 0) {
			ex_count_suppressed(EX_FLOW);
			goto out;
		}
	}

	memset(&a, 0, sizeof a);
	a.alert_id = (uint32_t)fr_predominant(enabled);
	a.risk = enabled;
	a.score = fr_bitmap_score(enabled, &a.cli_score, &a.srv_score);
	a.severity = (uint8_t)fr_score_to_severity(a.score);
	a.ipver = f->ipver;
	a.l4proto = f->l4proto;
	a.vlan = f->vlan;
	memcpy(a.cli_ip, f->cli_ip, 16);
	memcpy(a.srv_ip, f->srv_ip, 16);
	a.cli_port = f->cli_port;
	a.srv_port = f->srv_port;
	a.l7_proto = f->proto.app_protocol;
	a.l7_master_proto = f->proto.master_protocol;
	a.l7_cat = (uint16_t)f->proto.category;
	a.tstamp = f->last_us / 1000000u;
	a.first_seen = f->first_us / 1000000u;
	a.flow_key = f->hash ^ ((uint64_t)f->first_us << 1);
	a.cli2srv_bytes = f->bytes[DIR_C2S];
	a.srv2cli_bytes = f->bytes[DIR_S2C];
	a.cli2srv_pkts = f->pkts[DIR_C2S];
	a.srv2cli_pkts = f->pkts[DIR_S2C];
	memcpy(a.info, f->host_server_name, sizeof a.info);
	a.info[sizeof a.info - 1] = '\0';

	pthread_mutex_lock(&qlock);
	stats.flows_alerted++;
	ok = event_ring_push(&queue, &a, false);
	if (ok)
		stats.alerts_queued++;
	else
		stats.alerts_dropped++;
	uint64_t dropped = stats.alerts_dropped;
	pthread_mutex_unlock(&qlock);
	/* one line per 1000 drops: the count is in getFlowChecksStats */
	if (!ok && dropped % 1000 == 1)
		log_warn("flow alert queue full: %llu alerts dropped so far",
		    (unsigned long long)dropped);
out:
	pthread_mutex_lock(&qlock);
	stats.check_ns += now_ns() - t0;
	pthread_mutex_unlock(&qlock);
}

void
fc_enable_queue(void)
{
	pthread_mutex_lock(&qlock);
	queue_on = true;
	pthread_mutex_unlock(&qlock);
}

void
fc_flow_gone(struct iface *ifc, struct flow *f)
{
	(void)ifc;
	if (f->score == 0)
		return;
	if (f->cli_host && f->cli_host->score_as_cli >= f->cli_score) {
		f->cli_host->score_as_cli -= f->cli_score;
		f->cli_host->alerted_as_cli--;
	}
	if (f->srv_host && f->srv_host->score_as_srv >= f->srv_score) {
		f->srv_host->score_as_srv -= f->srv_score;
		f->srv_host->alerted_as_srv--;
	}
}

size_t
fc_drain(struct fc_alert *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&qlock);
	n = event_ring_pop(&queue, out, max);
	pthread_mutex_unlock(&qlock);
	return n;
}

void
fc_requeue(const struct fc_alert *a, size_t n)
{
	pthread_mutex_lock(&qlock);
	for (size_t i = n; i-- > 0;)
		if (!event_ring_push(&queue, &a[i], true))
			stats.alerts_dropped++;
	pthread_mutex_unlock(&qlock);
}

size_t
fc_pending(void)
{
	size_t n;

	pthread_mutex_lock(&qlock);
	n = queue.len;
	pthread_mutex_unlock(&qlock);
	return n;
}

void
fc_get_stats(struct fc_stats *st)
{
	pthread_mutex_lock(&qlock);
	*st = stats;
	pthread_mutex_unlock(&qlock);
}

void
fc_set_disabled(uint64_t mask)
{
	pthread_mutex_lock(&qlock);
	disabled_mask = mask;
	pthread_mutex_unlock(&qlock);
}

uint64_t
fc_disabled(void)
{
	uint64_t m;

	pthread_mutex_lock(&qlock);
	m = disabled_mask;
	pthread_mutex_unlock(&qlock);
	return m;
}
