/* log.c - diagnostics on stderr; the only module with global mutable state. */
#include "lotsync/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level max_level = LOG_WARN;
static const char *cur_scope;
static unsigned nerrors, nwarnings;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void
log_set_level(enum log_level level)
{
	max_level = level;
}

enum log_level
log_get_level(void)
{
	return max_level;
}

void
log_scope(const char *scope)
{
	cur_scope = scope;
}

static void
vlog(enum log_level level, const char *errstr, const char *fmt, va_list ap)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;

	/* Fetch threads log too: stderr's lock keeps each line and the counts whole. */
	flockfile(stderr);
	if (level == LOG_ERROR)
		nerrors++;
	else if (level == LOG_WARN)
		nwarnings++;
	if (level > max_level) {
		funlockfile(stderr);
		return;
	}
	/* Real time, not --now: log lines say when things happened here. */
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s ", ts, level_names[level]);
	if (cur_scope)
		fprintf(stderr, "%s: ", cur_scope);
	vfprintf(stderr, fmt, ap);
	if (errstr)
		fprintf(stderr, ": %s", errstr);
	fputc('\n', stderr);
	funlockfile(stderr);
}

#define LOG_BODY(level, errstr)                                                                    \
	do {                                                                                       \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vlog(level, errstr, fmt, ap);                                                      \
		va_end(ap);                                                                        \
	} while (0)

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_DEBUG, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, NULL);
}

void
log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_WARN, NULL);
}

int
log_error(const char *fmt, ...)
{
	LOG_BODY(LOG_ERROR, NULL);
	return -1;
}

int
log_syserr(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY(LOG_ERROR, e);
	return -1;
}

void
log_fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_ERROR, NULL);
	abort();
}

unsigned
log_error_count(void)
{
	return nerrors;
}

unsigned
log_warn_count(void)
{
	return nwarnings;
}
