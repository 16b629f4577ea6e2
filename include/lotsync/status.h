/*
 * status.h - exit codes of SPEC §5 and how they combine.
 *
 * A run collects conditions from every feed and target; the most severe one
 * becomes the exit code. The order (most severe first) is config, local
 * I/O, internal error, lock held, remote unavailable, data error, awaiting an
 * operator, ok. Usage errors (64) happen before anything runs.
 */
#ifndef LOTSYNC_STATUS_H
#define LOTSYNC_STATUS_H

enum ls_exit {
	LS_EXIT_OK = 0,
	LS_EXIT_HELD = 3,         /* held snapshot or locked target */
	LS_EXIT_USAGE = 64,       /* bad command line */
	LS_EXIT_DATAERR = 65,     /* a file was quarantined or refused */
	LS_EXIT_UNAVAILABLE = 69, /* a remote was unreachable or refused */
	LS_EXIT_SOFTWARE = 70,    /* internal error, or not built yet */
	LS_EXIT_IOERR = 74,       /* local I/O error, disk full */
	LS_EXIT_TEMPFAIL = 75,    /* another run holds the lock */
	LS_EXIT_CONFIG = 78,      /* configuration, unknown/changed host key */
};

/*
 * How much a failure spoils, so the caller knows what to drop: one record
 * (reject the row, go on), one file (quarantine it), one feed (skip it,
 * retry next run) or the whole run.
 */
enum ls_scope { LS_OK, LS_BAD_RECORD, LS_BAD_FILE, LS_BAD_FEED, LS_BAD_RUN };

/* Return the more severe of two exit codes. */
enum ls_exit status_worse(enum ls_exit a, enum ls_exit b);

#endif
