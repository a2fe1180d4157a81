/* Command line and configuration file, with ntopng's option names where
 * they exist. A configuration file holds the same options, one per line
 * ("-i=eth0", "--interface eth0"; '#' starts a comment), as ntopng's; the
 * command line comes after it, so it adds to or overrides the file. */
#define _GNU_SOURCE
#include "supervisor.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CONFIG_BYTES (64 * 1024)
#define MAX_TOTAL_ARGS 256

enum {
	OPT_RUNTIME_DIR = 256,
	OPT_DISABLE_LOGIN,
	OPT_ADMIN_PASSWORD_FILE,
	OPT_LUA_WORKERS,
	OPT_INSTALL_DIR,
	OPT_CONFIG,
	OPT_GEOIP_ASN,
	OPT_GEOIP_CITY,
	OPT_MINUTE_SECONDS,
};

static const struct option long_options[] = {
	{"interface", required_argument, NULL, 'i'},
	{"data-dir", required_argument, NULL, 'd'},
	{"http-port", required_argument, NULL, 'w'},
	{"user", required_argument, NULL, 'U'},
	{"redis", required_argument, NULL, 'r'},
	{"local-networks", required_argument, NULL, 'm'},
	{"runtime-dir", required_argument, NULL, OPT_RUNTIME_DIR},
	{"disable-login", optional_argument, NULL, OPT_DISABLE_LOGIN},
	{"admin-password-file", required_argument, NULL,
	    OPT_ADMIN_PASSWORD_FILE},
	{"lua-workers", required_argument, NULL, OPT_LUA_WORKERS},
	{"install-dir", required_argument, NULL, OPT_INSTALL_DIR},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"geoip-asn", required_argument, NULL, OPT_GEOIP_ASN},
	{"geoip-city", required_argument, NULL, OPT_GEOIP_CITY},
	{"minute-seconds", required_argument, NULL, OPT_MINUTE_SECONDS},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

void
sv_options_usage(void)
{
	fprintf(stderr,
	    "usage: netward [options] [config-file]\n"
	    "  -i, --interface IF|FILE     capture a device or read a pcap/pcapng file (repeatable)\n"
	    "  -d, --data-dir DIR          persistent data (default /var/lib/netward as root)\n"
	    "  -w, --http-port [ADDR:]PORT HTTPS listener (default 3000, all addresses)\n"
	    "  -U, --user USER             service user of the workers (default nobody)\n"
	    "  -r, --redis PATH            use this Redis unix socket instead of a private one\n"
	    "  -m, --local-networks CIDRS  comma-separated local networks\n"
	    "      --runtime-dir DIR       sockets (default /run/netward as root)\n"
	    "      --disable-login         no authentication (only on a loopback listener)\n"
	    "      --admin-password-file F first admin password, for automation\n"
	    "      --lua-workers N         Lua workers (default 2)\n"
	    "      --install-dir DIR       where scripts/ and httpdocs/ are\n"
	    "      --config FILE           read options from FILE first\n"
	    "      --geoip-asn FILE        MaxMind ASN database (.mmdb)\n"
	    "      --geoip-city FILE       MaxMind city or country database (.mmdb)\n"
	    "      --minute-seconds N      test only: periodic scripts' minute lasts N s\n"
	    "  -v, --verbose               debug logging\n");
}

static int
copy_path(char *dst, size_t size, const char *src, const char *what)
{
	if (strlen(src) >= size || src[0] == '\0') {
		log_error("%s: path empty or too long", what);
		return -1;
	}
	strcpy(dst, src);
	return 0;
}

/* Splits one configuration line into at most two arguments. */
static int
config_line_args(char *line, char **out, int room)
{
	char *p = line;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	char *end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (room < 2)
		return -1;
	/* "-i=eth0" is ntopng's form; getopt wants "-i" "eth0" for short
	 * options and accepts "--interface=eth0" as is. */
	if (p[0] == '-' && p[1] != '-' && p[1] != '\0' && p[2] == '=') {
		p[2] = '\0';
		out[0] = p;
		out[1] = p + 3;
		return 2;
	}
	char *sp = p;
	while (*sp && !isspace((unsigned char)*sp) && *sp != '=')
		sp++;
	if (*sp && isspace((unsigned char)*sp)) {
		*sp++ = '\0';
		while (isspace((unsigned char)*sp))
			sp++;
		out[0] = p;
		out[1] = sp;
		return 2;
	}
	out[0] = p;
	return 1;
}

static int
read_config(const char *path, char **args, int room, char **text_out)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		log_error("config %s: %s", path, strerror(errno));
		return -1;
	}
	char *text = calloc(1, MAX_CONFIG_BYTES + 1);
	size_t n = fread(text, 1, MAX_CONFIG_BYTES + 1, f);
	fclose(f);
	if (n > MAX_CONFIG_BYTES) {
		log_error("config %s: larger than %d bytes", path,
		    MAX_CONFIG_BYTES);
		free(text);
		return -1;
	}
	if (memchr(text, '\0', n) != NULL) {
		log_error("config %s: contains a NUL byte", path);
		free(text);
		return -1;
	}
	int count = sv_config_split(text, args, room);
	if (count < 0) {
		log_error("config %s: too many options", path);
		free(text);
		return -1;
	}
	*text_out = text; /* the args point into it for the process' life */
	return count;
}

int
sv_config_split(char *text, char **args, int room)
{
	int count = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		int k = config_line_args(line, args + count, room - count);
		if (k < 0)
			return -1;
		count += k;
	}
	return count;
}

static const char *
find_config(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	/* ntopng takes the configuration file as its only bare argument. */
	if (argc == 2 && argv[1][0] != '-')
		return argv[1];
	return NULL;
}

static void
set_defaults(struct sv_options *o)
{
	memset(o, 0, sizeof *o);
	o->user = "nobody";
	o->lua_workers = 2;
	snprintf(o->http_listen, sizeof o->http_listen, "3000");
	if (geteuid() == 0) {
		snprintf(o->data_dir, sizeof o->data_dir, "/var/lib/netward");
		snprintf(o->runtime_dir, sizeof o->runtime_dir,
		    "/run/netward");
	} else {
		const char *home = getenv("HOME");
		const char *xdg = getenv("XDG_RUNTIME_DIR");
		snprintf(o->data_dir, sizeof o->data_dir, "%s/.netward",
		    home ? home : "/tmp");
		if (xdg != NULL)
			snprintf(o->runtime_dir, sizeof o->runtime_dir,
			    "%s/netward", xdg);
		else
			snprintf(o->runtime_dir, sizeof o->runtime_dir,
			    "/tmp/netward-%u", (unsigned)getuid());
	}
}

/* The executables sit together; scripts/ and httpdocs/ are found beside
 * the build or install tree unless --install-dir says otherwise. */
static int
locate_self(struct sv_options *o)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	*slash = '\0';
	snprintf(o->bin_dir, sizeof o->bin_dir, "%s", exe);
	if (o->install_dir[0] != '\0')
		return 0;
	const char *candidates[] = {NETWARD_SOURCE_ROOT, NETWARD_DATA_DIR};
	for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
		char probe[PATH_MAX];
		snprintf(probe, sizeof probe, "%s/scripts/lua",
		    candidates[i]);
		if (access(probe, R_OK) == 0) {
			snprintf(o->install_dir, sizeof o->install_dir, "%s",
			    candidates[i]);
			return 0;
		}
	}
	log_error("cannot find scripts/lua: give --install-dir");
	return -1;
}

static int
parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int
sv_options_parse(struct sv_options *o, int argc, char **argv)
{
	static char *all[MAX_TOTAL_ARGS];
	static char *config_text;
	int n = 0;

	set_defaults(o);
	all[n++] = argv[0];
	const char *config = find_config(argc, argv);
	if (config != NULL) {
		int k = read_config(config, all + n, MAX_TOTAL_ARGS - argc - 1,
		    &config_text);
		if (k < 0)
			return -1;
		n += k;
	}
	if (n + argc >= MAX_TOTAL_ARGS) {
		log_error("too many arguments");
		return -1;
	}
	for (int i = 1; i < argc; i++)
		if (!(argc == 2 && argv[i] == config))
			all[n++] = argv[i];
	all[n] = NULL;

	optind = 1;
	int c;
	while ((c = getopt_long(n, all, "i:d:w:U:r:m:vh", long_options,
	    NULL)) != -1) {
		switch (c) {
		case 'i':
			if (o->n_interfaces == SV_MAX_INTERFACES) {
				log_error("at most %d interfaces",
				    SV_MAX_INTERFACES);
				return -1;
			}
			o->interfaces[o->n_interfaces++] = optarg;
			break;
		case 'd':
			if (copy_path(o->data_dir, sizeof o->data_dir, optarg,
			    "data dir") < 0)
				return -1;
			break;
		case 'w':
			if (strlen(optarg) >= sizeof o->http_listen) {
				log_error("-w: too long");
				return -1;
			}
			snprintf(o->http_listen, sizeof o->http_listen, "%s",
			    optarg);
			break;
		case 'U':
			o->user = optarg;
			break;
		case 'r':
			if (optarg[0] != '/') {
				log_error("-r: give the Redis unix socket "
				    "path; TCP Redis is not supported yet");
				return -1;
			}
			o->redis = optarg;
			break;
		case 'm':
			o->local_networks = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_RUNTIME_DIR:
			if (copy_path(o->runtime_dir, sizeof o->runtime_dir,
			    optarg, "runtime dir") < 0)
				return -1;
			break;
		case OPT_DISABLE_LOGIN:
			o->disable_login = optarg == NULL ||
			    strcmp(optarg, "1") == 0 ||
			    strcmp(optarg, "true") == 0;
			break;
		case OPT_ADMIN_PASSWORD_FILE:
			o->admin_password_file = optarg;
			break;
		case OPT_LUA_WORKERS:
			if (parse_int(optarg, 1, SV_MAX_LUA_WORKERS,
			    &o->lua_workers) < 0) {
				log_error("--lua-workers: 1 to %d",
				    SV_MAX_LUA_WORKERS);
				return -1;
			}
			break;
		case OPT_MINUTE_SECONDS: /* tests only: a shorter "minute" */
			if (parse_int(optarg, 1, 60, &o->minute_seconds) < 0) {
				log_error("--minute-seconds: 1 to 60");
				return -1;
			}
			break;
		case OPT_INSTALL_DIR:
			if (copy_path(o->install_dir, sizeof o->install_dir,
			    optarg, "install dir") < 0)
				return -1;
			break;
		case OPT_CONFIG:
			break; /* read above */
		case OPT_GEOIP_ASN:
		case OPT_GEOIP_CITY: {
			/* absolute: the capture workers run elsewhere */
			char *p = realpath(optarg, NULL);
			if (p == NULL) {
				log_error("--%s %s: %s", c == OPT_GEOIP_ASN ?
				    "geoip-asn" : "geoip-city", optarg,
				    strerror(errno));
				return -1;
			}
			char **dst = c == OPT_GEOIP_ASN ? &o->geoip_asn :
			    &o->geoip_city;
			free(*dst);
			*dst = p;
			break;
		}
		case 'h':
			sv_options_usage();
			exit(0);
		default:
			sv_options_usage();
			return -1;
		}
	}
	if (optind < n) {
		log_error("unexpected argument: %s", all[optind]);
		return -1;
	}
	if (o->n_interfaces == 0) {
		log_error("no interface: give -i DEVICE or -i FILE.pcap");
		return -1;
	}
	return locate_self(o);
}
