/*
 * crash.h - deterministic crash points for fault tests (isync's approach).
 *
 * Every durable step of lotsync calls crash_point("name") right after it.
 * When the environment variable LOTSYNC_CRASH_AT is N, the Nth crash point
 * reached kills the process with SIGKILL (no cleanup, no atexit, no flush:
 * as close to a power cut as a test can get). LOTSYNC_CRASH_AT=name kills at
 * the first point of that name. LOTSYNC_CRASH_LIST=1 prints each point
 * reached to stderr, so tests can count them and loop N over all of them.
 * Unset, a crash point costs one branch.
 */
#ifndef LOTSYNC_CRASH_H
#define LOTSYNC_CRASH_H

#include <stdbool.h>

void crash_point(const char *name);
/*
 * Whether crash points are armed (either variable set): work that would
 * reach points from a second thread stays on one then, so the Nth point is
 * the same point in every run.
 */
bool crash_armed(void);

#endif
