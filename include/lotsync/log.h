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
/*
 * The calling thread's own scope, which wins over log_scope()'s on its
 * lines (NULL: log_scope()'s again). Not copied.
 */
void log_thread_scope(const char *scope);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_syserr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Out of memory or a broken invariant: print and abort. Never for bad input. */
_Noreturn void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A progress line for long work, for a person at a terminal: when stderr is
 * a TTY (not cron, a pipe or the journal) and not -q, work that runs longer
 * than two seconds shows "WHAT: N UNIT, RATE/s, S s" on stderr, redrawn in
 * place at most four times a second and erased by log_progress_end() (and
 * before any log line). One at a time: begin ends the previous one. what
 * and unit are copied. Call step once per item; it reads the clock only
 * every 256 items.
 */
void log_progress_begin(const char *what, const char *unit);
void log_progress_step(void);
void log_progress_end(void);

/* Count of errors and warnings logged so far (tests and the run summary). */
unsigned log_error_count(void);
unsigned log_warn_count(void);

#endif
