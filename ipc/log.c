#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_progname = "netward";
static enum log_level log_level = LOG_LVL_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
log_init(const char *progname, enum log_level level)
{
	log_progname = progname;
	log_level = level;
	setvbuf(stderr, NULL, _IOLBF, 0);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if (level > log_level)
		return;
	char line[1024];
	int n = vsnprintf(line, sizeof line, fmt, ap);
	if (n < 0)
		return;
	/* One write per line so lines of threads do not interleave. */
	fprintf(stderr, "%s[%s] %s\n", log_progname, level_names[level],
	    line);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	char line[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_msg(LOG_LVL_ERROR, "fatal: %s: %s", line, strerror(saved));
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	char line[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_msg(LOG_LVL_ERROR, "fatal: %s", line);
	exit(1);
}
