/*
 * app.h - what one invocation holds: configuration, spool, store, the run
 * record and the global flags. Conditions are not kept here: every stage
 * returns its exit condition and the command folds them (status_worse).
 */
#ifndef LOTSYNC_APP_H
#define LOTSYNC_APP_H

#include <stdbool.h>

#include "lotsync/config.h"
#include "lotsync/spool.h"
#include "lotsync/status.h"
#include "lotsync/store.h"

struct app {
	const char *config_path; /* the -c file, or the default found */
	struct config cfg;
	struct spool spool;
	struct store *store;
	long long run; /* runs.id, 0 for read-only commands */
	bool dry_run;
	bool json;
	bool verbose;              /* -v: print per-feed and per-target summaries */
	unsigned shard_i, shard_n; /* --shard I/N; shard_n 0 = not sharded */
	bool allow_clock_rewind;   /* --allow-clock-rewind: a deliberate replay */
	bool hold_timed_closes;    /* a clock jump awaits an operator (guard.h) */
	bool state_failed;         /* the state record could not be written: exit 74 */
	bool state_unsynced;       /* rewritten since the spool directory's last fsync */
	struct store_mark mark;    /* what the state record holds now */
};

#endif
