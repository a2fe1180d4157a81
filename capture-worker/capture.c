/* Packet sources and the capture loop; see capture.h. */
#include "capture.h"

#include "host_checks.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LIVE_SNAPLEN 65535
#define LIVE_BUFFER (64 * 1024 * 1024)
#define LIVE_TIMEOUT_MS 100

static double
now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
open_file(struct capture *c, FILE *fp, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";

	memset(c, 0, sizeof *c);
	c->pcap = pcap_fopen_offline(fp, perr);
	if (c->pcap == NULL) {
		snprintf(err, errlen, "not a pcap/pcapng file: %s", perr);
		fclose(fp);
		return -1;
	}
	c->file = fp; /* owned by pcap from now on */
	return 0;
}

int
capture_open_fd(struct capture *c, int fd, char *err, size_t errlen)
{
	FILE *fp = fdopen(fd, "rb");

	if (fp == NULL) {
		snprintf(err, errlen, "fd %d: %s", fd, strerror(errno));
		return -1;
	}
	return open_file(c, fp, err, errlen);
}

int
capture_open_path(struct capture *c, const char *path, char *err,
    size_t errlen)
{
	FILE *fp = fopen(path, "rb");

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return open_file(c, fp, err, errlen);
}

int
capture_open_live(struct capture *c, const char *ifname, char *err,
    size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	int rc;

	memset(c, 0, sizeof *c);
	c->live = true;
	c->pcap = pcap_create(ifname, perr);
	if (c->pcap == NULL) {
		snprintf(err, errlen, "%s: %s", ifname, perr);
		return -1;
	}
	pcap_set_snaplen(c->pcap, LIVE_SNAPLEN);
	pcap_set_promisc(c->pcap, 1);
	/* Not immediate mode: there libpcap's ring holds fixed frames of
	 * snaplen bytes (about a thousand in 64 MiB) and bursts overflow
	 * it (a third of big.pcap dropped at 290 K packets/s on a veth).
	 * Blocks of variable-size frames hold ~100 K packets; a packet is
	 * seen at most LIVE_TIMEOUT_MS late. */
	pcap_set_immediate_mode(c->pcap, 0);
	pcap_set_buffer_size(c->pcap, LIVE_BUFFER);
	pcap_set_timeout(c->pcap, LIVE_TIMEOUT_MS);
	rc = pcap_activate(c->pcap);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", ifname, pcap_geterr(c->pcap));
		pcap_close(c->pcap);
		c->pcap = NULL;
		return -1;
	}
	if (rc > 0)
		log_warn("%s: %s", ifname, pcap_statustostr(rc));
	/* Non-blocking: the capture thread waits in poll() without the
	 * iface lock and sees a stop request within LIVE_TIMEOUT_MS (a
	 * blocking read in immediate mode may never return on an idle
	 * link). */
	if (pcap_setnonblock(c->pcap, 1, perr) != 0 ||
	    (c->fd = pcap_get_selectable_fd(c->pcap)) < 0) {
		snprintf(err, errlen, "%s: no selectable descriptor: %s", ifname,
		    perr);
		pcap_close(c->pcap);
		c->pcap = NULL;
		return -1;
	}
	return 0;
}

void
capture_close(struct capture *c)
{
	if (c->pcap)
		pcap_close(c->pcap); /* also closes c->file */
	c->pcap = NULL;
	c->file = NULL;
}

static void
print_progress(struct iface *ifc, double start, bool final)
{
	double el = now_wall() - start;
	double pct = ifc->file_size ?
	    100.0 * (double)ifc->file_pos / (double)ifc->file_size : 0;

	if (final)
		fprintf(stderr,
		    "netward-capture: %s: %llu packets, %llu bytes, %zu flows, "
		    "%zu hosts in %.2f s (%.0f packets/s)\n",
		    ifc->name, (unsigned long long)ifc->packets,
		    (unsigned long long)ifc->bytes, ifc->flows.count,
		    ifc->hosts.count, el, el > 0 ? ifc->packets / el : 0);
	else
		fprintf(stderr,
		    "netward-capture: %s: %llu packets, %.1f%%, %.0f packets/s\n",
		    ifc->name, (unsigned long long)ifc->packets, pct,
		    el > 0 ? ifc->packets / el : 0);
}

/* One batch under the lock; returns the last pcap_next_ex() code (0: a
 * live source has nothing more for now). */
static int
run_batch(struct capture *c, struct iface *ifc)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = 1;

	iface_lock_capture(ifc);
	for (int i = 0; i < CAPTURE_BATCH; i++) {
		rc = pcap_next_ex(c->pcap, &h, &data);
		if (rc != 1)
			break;
		iface_packet(ifc, h, data);
	}
	if (c->file) {
		long pos = ftell(c->file);
		if (pos >= 0)
			ifc->file_pos = (uint64_t)pos;
	}
	pthread_mutex_unlock(&ifc->lock);
	iface_yield_to_rpc(ifc);
	return rc;
}

static void
live_housekeeping(struct capture *c, struct iface *ifc, double wall)
{
	struct pcap_stat st;

	iface_lock_capture(ifc);
	if (pcap_stats(c->pcap, &st) == 0)
		ifc->drops = (uint64_t)st.ps_drop + st.ps_ifdrop;
	iface_update_throughput(ifc, wall);
	/* also expire when no packet arrives to advance packet time */
	if (ifc->idle_purge) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		iface_purge_idle(ifc, (uint64_t)ts.tv_sec * 1000000u);
	}
	/* the host checks' period ends also on a quiet link */
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t now = (uint64_t)ts.tv_sec * 1000000u +
		    (uint64_t)ts.tv_nsec / 1000u;
		if (ifc->hc_next_us != 0 && now >= ifc->hc_next_us)
			hc_tick(ifc, now);
	}
	pthread_mutex_unlock(&ifc->lock);
}

int
capture_run(struct capture *c, struct iface *ifc, volatile sig_atomic_t *stop)
{
	double start = now_wall(), last_report = start, last_house = start;
	struct stat sb;
	int rc;

	ifc->dlt = pcap_datalink(c->pcap);
	if (!dissect_link_supported(ifc->dlt))
		log_warn("%s: link type %s is not dissected; frames are only "
			 "counted", ifc->name,
		    pcap_datalink_val_to_name(ifc->dlt) ?: "?");
	if (c->file && fstat(fileno(c->file), &sb) == 0)
		ifc->file_size = (uint64_t)sb.st_size;

	for (;;) {
		if (*stop)
			return 0;
		rc = run_batch(c, ifc);
		double wall = now_wall();
		if (c->live) {
			if (rc == 0) {
				/* drained: wait for more without the lock */
				struct pollfd pfd = { c->fd, POLLIN, 0 };
				if (poll(&pfd, 1, LIVE_TIMEOUT_MS) < 0 &&
				    errno != EINTR)
					log_warn("%s: poll: %s", ifc->name,
					    strerror(errno));
				wall = now_wall();
			}
			if (rc < 0) {
				log_error("%s: %s", ifc->name,
				    pcap_geterr(c->pcap));
				return -1;
			}
			if (wall - last_house >= 1.0) {
				live_housekeeping(c, ifc, wall);
				last_house = wall;
			}
			continue;
		}
		if (rc == PCAP_ERROR_BREAK || rc == -2)
			break;
		if (rc == PCAP_ERROR) {
			/* a truncated last record: keep what was read */
			log_warn("%s: %s", ifc->name, pcap_geterr(c->pcap));
			break;
		}
		if (wall - last_house >= 1.0) {
			iface_lock_capture(ifc);
			iface_update_throughput(ifc, wall);
			pthread_mutex_unlock(&ifc->lock);
			last_house = wall;
		}
		if (c->progress && wall - last_report >= 1.0) {
			print_progress(ifc, start, false);
			last_report = wall;
		}
	}

	iface_lock_capture(ifc);
	iface_giveup_all(ifc);
	hc_final(ifc); /* the last, partial period of the file */
	ifc->file_pos = ifc->file_size;
	ifc->ingest_complete = true;
	ifc->thpt_bps = ifc->thpt_pps = 0; /* nothing flows any more */
	pthread_mutex_unlock(&ifc->lock);
	if (c->progress)
		print_progress(ifc, start, true);
	return 0;
}
