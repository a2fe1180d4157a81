/* Packet sources: a pcap/pcapng file (by path or inherited fd) read as
 * fast as possible, or a live interface. The capture thread owns the
 * pcap handle; it takes iface->lock once per batch of packets. */
#ifndef NETWARD_CAPTURE_CAPTURE_H
#define NETWARD_CAPTURE_CAPTURE_H

#include "iface.h"

#include <pcap/pcap.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#define CAPTURE_BATCH 256

struct capture {
	pcap_t *pcap;
	FILE *file; /* the pcap file, for progress by ftell */
	int fd;	    /* live: pcap_get_selectable_fd() of the handle */
	bool live;
	bool progress; /* print progress lines to stderr */
};

/* Opens a file source from an fd the supervisor passed, or from a path.
 * Returns 0 or -1 with a message in err. */
int capture_open_fd(struct capture *c, int fd, char *err, size_t errlen);
int capture_open_path(struct capture *c, const char *path, char *err,
    size_t errlen);
/* Opens ifname live: big buffer, snaplen 65535, packets delivered in
 * blocks at least every LIVE_TIMEOUT_MS (not immediate mode). Needs
 * CAP_NET_RAW; the caller drops every capability afterwards. */
int capture_open_live(struct capture *c, const char *ifname, char *err,
    size_t errlen);

/* Reads the source into ifc until its end (file) or until *stop. At the
 * end of a file, ends detection on every flow and marks ingestion
 * complete. Returns 0, or -1 on a read error. */
int capture_run(struct capture *c, struct iface *ifc,
    volatile sig_atomic_t *stop);
void capture_close(struct capture *c);

#endif
