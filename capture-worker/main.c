/* netward-capture: one interface's packets, flows and hosts, served over
 * RPC. Reads top to bottom: options, open the source (the only step that
 * may need privilege), drop every capability, serve, capture. */
#include "alert_store.h"
#include "capture.h"
#include "dump.h"
#include "iface.h"
#include "log.h"
#include "secrets.h"
#include "caller.h"
#include "geoip.h"
#include "mac_table.h"
#include "privs.h"
#include "rpc_alerts.h"
#include "rpc_common.h"
#include "rpc_handlers.h"
#include "sandbox.h"
#ifdef NETWARD_TEST_HOOKS
#include "escape.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Debian's ieee-data, installed by tools/setup.sh */
#define OUI_PATH "/usr/share/ieee-data/oui.txt"

struct options {
	int ifid;
	const char *ifname;
	const char *socket_url;
	const char *data_socket_url; /* unix://: the Lua workers' calls */
	int pcap_fd;
	const char *pcap_file;
	const char *live;
	struct localnets nets;
	int rpc_threads;
	bool progress;
	bool dump_flows;
	bool verbose;
	long idle_timeout;
	const char *geoip_asn, *geoip_city;
	const char *data_dir; /* its own store: alerts.db */
};

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: netward-capture [--ifid N] [--ifname NAME]\n"
	    "         (--pcap-fd FD | --pcap-file PATH | --live IFNAME)\n"
	    "         [--socket URL] [--data-socket unix://PATH]\n"
	    "         [--local-nets CIDR,...] "
	    "[--rpc-threads N]\n"
	    "         [--idle-timeout SECS] [--progress] [--dump-flows] "
	    "[--verbose]\n"
	    "         [--geoip-asn FILE.mmdb] [--geoip-city FILE.mmdb] "
	    "[--secrets-fd N]\n"
	    "         [--data-dir DIR]\n");
}

static long
parse_num(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max) {
		log_error("%s: '%s' is not a number in [%ld, %ld]", opt, s, min,
		    max);
		exit(EXIT_CONFIG_ERROR);
	}
	return v;
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "ifid", required_argument, NULL, 'i' },
		{ "ifname", required_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 's' },
		{ "data-socket", required_argument, NULL, 'X' },
		{ "pcap-fd", required_argument, NULL, 'F' },
		{ "pcap-file", required_argument, NULL, 'f' },
		{ "live", required_argument, NULL, 'l' },
		{ "local-nets", required_argument, NULL, 'm' },
		{ "rpc-threads", required_argument, NULL, 't' },
		{ "idle-timeout", required_argument, NULL, 'T' },
		{ "progress", no_argument, NULL, 'p' },
		{ "dump-flows", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "geoip-asn", required_argument, NULL, 'A' },
		{ "geoip-city", required_argument, NULL, 'C' },
		{ "secrets-fd", required_argument, NULL, 'S' },
		{ "data-dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[128];
	int c, sources = 0;

	memset(o, 0, sizeof *o);
	o->pcap_fd = -1;
	o->rpc_threads = 2;
	o->idle_timeout = -1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->ifid = (int)parse_num("--ifid", optarg, 0, INT_MAX);
			break;
		case 'n':
			o->ifname = optarg;
			break;
		case 's':
			o->socket_url = optarg;
			break;
		case 'X':
			o->data_socket_url = optarg;
			break;
		case 'F':
			o->pcap_fd = (int)parse_num("--pcap-fd", optarg, 0,
			    INT_MAX);
			sources++;
			break;
		case 'f':
			o->pcap_file = optarg;
			sources++;
			break;
		case 'l':
			o->live = optarg;
			sources++;
			break;
		case 'm':
			if (!localnets_parse(&o->nets, optarg, err,
				sizeof err)) {
				log_error("--local-nets: %s", err);
				exit(EXIT_CONFIG_ERROR);
			}
			break;
		case 't':
			o->rpc_threads = (int)parse_num("--rpc-threads", optarg,
			    1, IPC_SERVER_MAX_THREADS);
			break;
		case 'T':
			o->idle_timeout = parse_num("--idle-timeout", optarg,
			    0, 86400);
			break;
		case 'p':
			o->progress = true;
			break;
		case 'd':
			o->dump_flows = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'A':
			o->geoip_asn = optarg;
			break;
		case 'C':
			o->geoip_city = optarg;
			break;
		case 'S': {
			/* The identity key: from now on callers must carry an
			 * identity the frontend minted. */
			struct ipc_secrets sec;
			if (ipc_secrets_read((int)parse_num("--secrets-fd",
			    optarg, 3, 1023), &sec) != 0 ||
			    !sec.has_identity_key) {
				log_error("--secrets-fd: no identity key");
				exit(EXIT_CONFIG_ERROR);
			}
			caller_set_key(sec.identity_key);
			ipc_secrets_clear(&sec);
			break;
		}
		case 'D':
			o->data_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EXIT_CONFIG_ERROR);
		}
	}
	if (optind != argc || sources != 1) {
		log_error("exactly one of --pcap-fd, --pcap-file, --live is "
			  "needed");
		usage(stderr);
		exit(EXIT_CONFIG_ERROR);
	}
	if (o->dump_flows && o->live) {
		log_error("--dump-flows works on a pcap file only");
		exit(EXIT_CONFIG_ERROR);
	}
	if (!o->dump_flows && o->socket_url == NULL) {
		log_error("--socket is required (or --dump-flows)");
		exit(EXIT_CONFIG_ERROR);
	}
	if (o->ifname == NULL)
		o->ifname = o->live ? o->live :
		    o->pcap_file ? o->pcap_file : "pcap";
}

#ifdef NETWARD_TEST_HOOKS
/* Test builds: "__test_escape" (tests/privsep) before the method table. */
static void
dispatch(const struct ipc_request *rq, struct ipc_writer *reply, void *arg)
{
	if (!nw_test_escape(rq, reply))
		rpc_dispatch(rq, reply, arg);
}
#else
#define dispatch rpc_dispatch
#endif

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
main(int argc, char **argv)
{
	struct options o;
	struct capture cap;
	static struct iface ifc;
	struct ipc_server srv, data_srv;
	char err[256];
	int rc;

	log_init("netward-capture", LOG_LVL_INFO);
	parse_options(argc, argv, &o);
	if (o.verbose)
		log_set_level(LOG_LVL_DEBUG);
	install_signals();

	/* 1. open the source: the only step that may need a capability */
	if (o.live)
		rc = capture_open_live(&cap, o.live, err, sizeof err);
	else if (o.pcap_fd >= 0)
		rc = capture_open_fd(&cap, o.pcap_fd, err, sizeof err);
	else
		rc = capture_open_path(&cap, o.pcap_file, err, sizeof err);
	if (rc != 0) {
		log_error("%s", err);
		return EXIT_CONFIG_ERROR;
	}
	cap.progress = o.progress;

	/* 1b. read-only tables, read once before anything is restricted */
	if (oui_load(OUI_PATH) < 0)
		log_warn("%s: %s; MAC manufacturers will be unknown",
		    OUI_PATH, strerror(errno));
	if (!geo_open(o.geoip_asn, o.geoip_city))
		return EXIT_CONFIG_ERROR;

	/* 2. keep nothing once the handle is open */
	if (privs_drop_all() != 0)
		fatal("dropping capabilities");

	if (iface_init(&ifc, o.ifid, o.ifname, !o.live, &o.nets) != 0)
		fatalx("nDPI initialisation failed");
	if (o.idle_timeout >= 0) {
		ifc.idle_timeout_s = (uint32_t)o.idle_timeout;
		ifc.idle_purge = o.idle_timeout > 0;
	}

	if (o.dump_flows) {
		rc = capture_run(&cap, &ifc, &stop_requested);
		capture_close(&cap);
		dump_flows_tsv(&ifc, stdout);
		fflush(stdout);
		iface_destroy(&ifc);
		return rc == 0 ? 0 : 1;
	}

	/* 2b. the alert store, in the data dir landlock lets us write */
	{
		char db[4200];
		if (o.data_dir)
			snprintf(db, sizeof db, "%s/alerts.db", o.data_dir);
		if (as_open(o.data_dir ? db : NULL, o.ifid) != 0 ||
		    as_start() != 0)
			return EXIT_CONFIG_ERROR;
		/* the host checks and exclusions last configured, before
		 * the first packet is checked */
		rpc_alerts_restore(&ifc);
		rpc_pools_restore(&ifc); /* and the host pools */
		rpc_devtype_restore(&ifc); /* and the MAC device types */
	}

	/* 3. listen for RPC (answered only once sandboxed, below): the
	 * control socket (NNG) and the Lua workers' data socket */
	rc = ipc_server_listen(&srv, o.socket_url, o.rpc_threads, dispatch,
	    &ifc);
	if (rc != 0) {
		log_error("listen %s: %s", o.socket_url, nng_strerror(rc));
		return EXIT_CONFIG_ERROR;
	}
	if (o.data_socket_url != NULL &&
	    (rc = ipc_server_listen(&data_srv, o.data_socket_url,
	    o.rpc_threads, dispatch, &ifc)) != 0) {
		log_error("listen %s: %s", o.data_socket_url,
		    nng_strerror(rc));
		return EXIT_CONFIG_ERROR;
	}
	/* 4. sandbox: from here on only policies/capture.c's system calls
	 * (no connect, no exec, no new processes) */
	if (nw_sandbox_enter(&nw_policy_capture) != 0)
		fatalx("cannot enter the sandbox");
	ipc_server_serve(&srv); /* 5. serve RPC while capturing */
	if (o.data_socket_url != NULL)
		ipc_server_serve(&data_srv);
	log_info("interface %d (%s) serving on %s", o.ifid, o.ifname,
	    o.socket_url);

	rc = capture_run(&cap, &ifc, &stop_requested);
	capture_close(&cap);
	if (rc == 0 && !o.live)
		log_info("%s: ingestion complete: %llu packets, %zu flows",
		    o.ifname, (unsigned long long)ifc.packets,
		    ifc.flows.count);

	/* a file's state stays served until we are told to stop */
	while (!stop_requested) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	log_info("stopping");
	if (o.data_socket_url != NULL)
		ipc_server_stop(&data_srv);
	ipc_server_stop(&srv);
	as_close();
	iface_destroy(&ifc);
	return rc == 0 ? 0 : 1;
}
