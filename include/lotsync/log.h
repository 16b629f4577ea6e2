/*
 * log.h - diagnostics on stderr.
 *
 * Every line is "<UTC timestamp> <level> [<scope>: ]<message>". When stderr
 * is the journal (JOURNAL_STREAM names it), the timestamp gives way to a
 * syslog priority prefix: "<3>error ...", "<4>warning ...", "<6>info ...",
 * so that journalctl -p warning selects them. A successful
 * run is silent: info and debug lines are printed only with -v (-vv for
 * debug); warnings and errors always, unless -q (errors only).
 *
 * log_error() and log_syserr() return -1 so that "return log_error(...)"
 * reports and fails in one statement. log_syserr() appends strerror(errno).
 * The scope (a feed or target name) is set by the caller for the duration of
 * its work and cleared with log_scope(NULL); the string is not copied.
 */
#ifndef LOTSYNC_LOG_H
#define LOTSYNC_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Set the most verbose level printed (default LOG_WARN). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Set the scope prefix of following lines; NULL clears it. Not copied. */
void log_scope(const char *scope);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_syserr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Out of memory or a broken invariant: print and abort. Never for bad input. */
_Noreturn void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Count of errors and warnings logged so far (tests and the run summary). */
unsigned log_error_count(void);
unsigned log_warn_count(void);

#endif
