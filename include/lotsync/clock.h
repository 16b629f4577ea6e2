/*
 * clock.h - the run's notion of "now" (SPEC §5 --now, LOTSYNC_NOW).
 *
 * Every rule, record and file name uses clock_now(), never time(NULL), so
 * tests step through days without sleeping. Settling of dropped files is
 * about the file system and uses the real clock (SPEC §3); log lines too.
 */
#ifndef LOTSYNC_CLOCK_H
#define LOTSYNC_CLOCK_H

#include <stddef.h>
#include <time.h>

#define CLOCK_ISO_LEN 21 /* "YYYY-MM-DDTHH:MM:SSZ" + NUL */

/*
 * Parse an ISO 8601 time: YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS] followed by
 * nothing (UTC), Z, or +HH:MM / -HH:MM. Returns 0, or -1 when malformed.
 */
int clock_parse(const char *s, time_t *out);

/* Fix the clock to t (from --now); clock_set_real() undoes it. */
void clock_set(time_t t);
void clock_set_real(void);
time_t clock_now(void);

/*
 * The real clock for settling remote files (never --now): time(NULL) plus
 * LOTSYNC_TEST_SETTLE_OFFSET seconds when that is set. The offset exists
 * only so tests can stand in for a listing made minutes ago without
 * sleeping; it moves nothing but remote settling observations.
 */
time_t clock_real(void);

/*
 * The run's deadline (run_timeout): set once at the start of a run, on the
 * monotonic clock. clock_deadline_left_ms() is the time left (0 once it has
 * passed), or CLOCK_NO_DEADLINE when none is set; clock_deadline_seconds()
 * the run_timeout it was set from (0 = none), for messages. Transfers
 * shorten their waits to it, so a slow or silent server cannot hold a run
 * past it.
 */
#define CLOCK_NO_DEADLINE 0x7fffffffL
void clock_deadline_set(long seconds);
long clock_deadline_left_ms(void);
long clock_deadline_seconds(void);

/* Format t as "YYYY-MM-DDTHH:MM:SSZ" into buf (CLOCK_ISO_LEN bytes). */
char *clock_format(time_t t, char *buf);

#endif
