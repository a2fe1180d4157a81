/* See host_checks.h. */
#include "host_checks.h"
#include "event_ring.h"

#include "exclusions.h"
#include "flow_risk.h"
#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_MAX 65536
#define TH_SYN 0x02
#define TH_ACK 0x10

/* configuration: written by RPC handlers and read by the pass, both
 * under the interface lock */
static bool enabled[HC_COUNT];
static uint64_t threshold[HC_COUNT];
static bool configured;
static struct prefix_set blacklist;
static uint32_t bl_gen = 1;
static uint64_t bl_flow_hits, bl_hosts;

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static struct event_ring queue = EVENT_RING_INIT(struct hc_event, QUEUE_MAX);
static bool queue_on;
static struct hc_stats stats;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
defaults(void)
{
	for (int i = 0; i < HC_COUNT; i++) {
		enabled[i] = hc_def(i)->def_enabled;
		threshold[i] = hc_def(i)->def_threshold;
	}
	configured = true;
}

void
hc_configure(const bool en[HC_COUNT], const uint64_t th[HC_COUNT])
{
	for (int i = 0; i < HC_COUNT; i++) {
		enabled[i] = en[i];
		threshold[i] = th[i];
	}
	configured = true;
}

void
hc_set_blacklist(struct prefix *v, size_t n)
{
	ps_free(&blacklist);
	ps_init(&blacklist, v, n);
	bl_gen++; /* every host looks its address up again */
	bl_flow_hits = bl_hosts = 0;
}

/* Whether h is in the blacklist, looked up once per generation. */
static bool
listed(struct host *h)
{
	if (h->hc_bl_gen != bl_gen) {
		h->hc_bl = blacklist.n && ps_contains(&blacklist, h->ipver,
		    h->ip);
		h->hc_bl_gen = bl_gen;
		if (h->hc_bl)
			bl_hosts++;
	}
	return h->hc_bl;
}

void
hc_get_blacklist_stats(struct hc_bl_stats *st)
{
	st->entries = blacklist.n;
	st->flow_hits = bl_flow_hits;
	st->hosts = bl_hosts;
}

void
hc_reset_blacklist_stats(void)
{
	bl_flow_hits = bl_hosts = 0;
	bl_gen++;
}

void
hc_get_config(bool en[HC_COUNT], uint64_t th[HC_COUNT], size_t *bl_n)
{
	if (!configured)
		defaults();
	memcpy(en, enabled, sizeof enabled);
	memcpy(th, threshold, sizeof threshold);
	*bl_n = blacklist.n;
}

void
hc_new_flow(struct flow *f, uint8_t flags)
{
	if (f->cli_host)
		f->cli_host->hc_flows_cli++;
	if (f->srv_host)
		f->srv_host->hc_flows_srv++;
	if (blacklist.n) {
		bool c = f->cli_host && listed(f->cli_host);
		bool s = f->srv_host && listed(f->srv_host);
		if (c || s)
			bl_flow_hits++;
	}
	if (f->l4proto != 6 || (flags & (TH_SYN | TH_ACK)) != TH_SYN)
		return;
	if (f->cli_host)
		f->cli_host->hc_syn_sent++;
	if (f->srv_host)
		f->srv_host->hc_syn_rcvd++;
}

void
hc_synack(struct flow *f)
{
	if (f->srv_host)
		f->srv_host->hc_synack_sent++;
	if (f->cli_host)
		f->cli_host->hc_synack_rcvd++;
}

static void
emit(const struct hc_event *e)
{
	bool ok;
	uint64_t dropped;

	pthread_mutex_lock(&qlock);
	if (!queue_on) {
		pthread_mutex_unlock(&qlock);
		return;
	}
	ok = event_ring_push(&queue, e, false);
	if (!ok)
		stats.events_dropped++;
	dropped = stats.events_dropped;
	pthread_mutex_unlock(&qlock);
	if (!ok && dropped % 1000 == 1)
		log_warn("host alert queue full: %llu events dropped so far",
		    (unsigned long long)dropped);
}

static uint64_t
sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* The value of check i for h in the period that ended, and whether h is
 * the attacker (sender) side. */
static uint64_t
value_of(int i, struct host *h, uint64_t win_start_us, bool *attacker)
{
	uint64_t a = 0, v = 0;

	switch (i) {
	case HC_SCORE:
		*attacker = h->score_as_cli >= h->score_as_srv;
		return h->score_as_cli + h->score_as_srv;
	case HC_SYN_SCAN:
		a = sub0(h->hc_syn_sent, h->hc_synack_rcvd);
		v = sub0(h->hc_syn_rcvd, h->hc_synack_sent);
		break;
	case HC_FLOW_FLOOD:
		a = h->hc_flows_cli;
		v = h->hc_flows_srv;
		break;
	case HC_SYN_FLOOD:
		a = h->hc_syn_sent;
		v = h->hc_syn_rcvd;
		break;
	case HC_BLACKLIST:
		*attacker = false;
		return listed(h) && h->last_us >= win_start_us ? 1 : 0;
	}
	*attacker = a >= v;
	return a >= v ? a : v;
}

static void
fill(struct hc_event *e, int i, const struct host *h, bool engage,
    uint64_t now_s)
{
	memset(e, 0, sizeof *e);
	e->engage = engage;
	e->check = (uint8_t)i;
	e->ipver = h->ipver;
	memcpy(e->ip, h->ip, 16);
	e->vlan = h->vlan;
	e->local = h->local;
	e->score = (uint16_t)hc_def(i)->score;
	e->severity = (uint8_t)fr_score_to_severity(e->score);
	e->threshold = threshold[i];
	e->attacker = (h->hc_attacker >> i) & 1;
	e->victim = !e->attacker && i != HC_SCORE && i != HC_BLACKLIST;
	e->tstamp = engage ? now_s : h->hc_since[i];
	e->tstamp_end = now_s;
}

struct pass {
	struct iface *ifc;
	uint64_t win_start_us, now_us;
	bool release_all; /* the host is going away */
	uint64_t checked, engaged, released, suppressed;
};

static void
check_host(struct host *h, void *arg)
{
	struct pass *p = arg;
	uint64_t now_s = p->now_us / 1000000u;
	struct hc_event e;

	p->checked++;
	for (int i = 0; i < HC_COUNT; i++) {
		bool attacker = false;
		uint64_t v = value_of(i, h, p->win_start_us, &attacker);
		bool hold = !p->release_all && enabled[i] &&
		    (i == HC_BLACKLIST ? v > 0 : v > threshold[i]);
		bool on = (h->hc_engaged >> i) & 1;

		if (hold && ex_match(h->ipver, h->ip, EX_HOST,
			hc_def(i)->alert_id)) {
			hold = false;
			if (!on) {
				p->suppressed++;
				ex_count_suppressed(EX_HOST);
			}
		}
		if (hold && !on) {
			h->hc_engaged |= (uint8_t)(1u << i);
			if (attacker)
				h->hc_attacker |= (uint8_t)(1u << i);
			else
				h->hc_attacker &= (uint8_t)~(1u << i);
			h->hc_since[i] = now_s;
			fill(&e, i, h, true, now_s);
			e.value = v;
			emit(&e);
			p->engaged++;
			pthread_mutex_lock(&qlock);
			stats.engaged_now[i]++;
			stats.engaged_total[i]++;
			pthread_mutex_unlock(&qlock);
		} else if (!hold && on) {
			fill(&e, i, h, false, now_s);
			e.value = v;
			emit(&e);
			h->hc_engaged &= (uint8_t)~(1u << i);
			p->released++;
			pthread_mutex_lock(&qlock);
			if (stats.engaged_now[i] > 0)
				stats.engaged_now[i]--;
			pthread_mutex_unlock(&qlock);
		}
	}
	h->hc_syn_sent = h->hc_syn_rcvd = 0;
	h->hc_synack_sent = h->hc_synack_rcvd = 0;
	h->hc_flows_cli = h->hc_flows_srv = 0;
}

static void
run_pass(struct iface *ifc, uint64_t now_us)
{
	uint64_t t0 = now_ns();
	struct pass p = { ifc, ifc->hc_win_start_us, now_us, false, 0, 0, 0,
		0 };

	if (!configured)
		defaults();
	ht_foreach(&ifc->hosts, check_host, &p);
	ifc->hc_win_start_us = now_us;
	pthread_mutex_lock(&qlock);
	stats.passes++;
	stats.hosts_checked += p.checked;
	stats.engaged += p.engaged;
	stats.released += p.released;
	stats.suppressed += p.suppressed;
	stats.check_ns += now_ns() - t0;
	pthread_mutex_unlock(&qlock);
}

void
hc_tick(struct iface *ifc, uint64_t now_us)
{
	const uint64_t period = (uint64_t)HC_PERIOD_S * 1000000u;

	if (ifc->hc_next_us == 0) {
		ifc->hc_win_start_us = now_us;
		ifc->hc_next_us = now_us + period;
		return;
	}
	if (now_us < ifc->hc_next_us)
		return;
	/* the period(s) that ended: one pass, counters of the whole gap */
	run_pass(ifc, ifc->hc_next_us);
	while (ifc->hc_next_us <= now_us)
		ifc->hc_next_us += period;
}

void
hc_final(struct iface *ifc)
{
	if (ifc->hc_next_us == 0)
		return; /* no packet */
	run_pass(ifc, ifc->last_us);
	ifc->hc_next_us = UINT64_MAX; /* nothing comes after the file */
}

void
hc_host_gone(struct iface *ifc, struct host *h, uint64_t now_us)
{
	struct pass p = { ifc, 0, now_us, true, 0, 0, 0, 0 };

	if (h->hc_engaged == 0)
		return;
	check_host(h, &p);
	pthread_mutex_lock(&qlock);
	stats.released += p.released;
	pthread_mutex_unlock(&qlock);
}

void
hc_enable_queue(void)
{
	pthread_mutex_lock(&qlock);
	queue_on = true;
	pthread_mutex_unlock(&qlock);
}

size_t
hc_drain(struct hc_event *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&qlock);
	n = event_ring_pop(&queue, out, max);
	pthread_mutex_unlock(&qlock);
	return n;
}

void
hc_requeue(const struct hc_event *e, size_t n)
{
	pthread_mutex_lock(&qlock);
	for (size_t i = n; i-- > 0;)
		if (!event_ring_push(&queue, &e[i], true))
			stats.events_dropped++;
	pthread_mutex_unlock(&qlock);
}

size_t
hc_pending(void)
{
	size_t n;

	pthread_mutex_lock(&qlock);
	n = queue.len;
	pthread_mutex_unlock(&qlock);
	return n;
}

void
hc_get_stats(struct hc_stats *st)
{
	pthread_mutex_lock(&qlock);
	*st = stats;
	pthread_mutex_unlock(&qlock);
}
