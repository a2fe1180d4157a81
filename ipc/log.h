/* One logging interface for every netward process.
 *
 * Lines go to stderr, which the supervisor collects and prefixes with the
 * worker's name, so a worker only states what happened. */
#ifndef NETWARD_LOG_H
#define NETWARD_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *progname, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* fatal appends strerror(errno); fatalx does not. Both exit(1). */
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                     \
	do {                                                               \
		if (log_get_level() >= LOG_LVL_DEBUG)                      \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);               \
	} while (0)

/* Exit status a worker uses when its configuration cannot work: the
 * supervisor does not restart it forever (nginx's lesson). */
#define EXIT_CONFIG_ERROR 78

#endif
