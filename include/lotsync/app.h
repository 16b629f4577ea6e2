/*
 * app.h - what one invocation holds: configuration, spool, store, the run
 * record, global flags, and the worst condition met so far (the exit code).
 */
#ifndef LOTSYNC_APP_H
#define LOTSYNC_APP_H

#include <stdbool.h>

#include "lotsync/config.h"
#include "lotsync/spool.h"
#include "lotsync/status.h"
#include "lotsync/store.h"

struct srs_run;

struct app {
	const char *config_path; /* the -c file, or the default found */
	struct config cfg;
	struct spool spool;
	struct store *store;
	long long run; /* runs.id, 0 for read-only commands */
	bool dry_run;
	bool json;
	bool verbose; /* -v: print per-feed and per-target summaries */
	enum ls_exit status;
	struct srs_run *srs; /* what the rules keep for the run (srs.c), NULL until used */
};

/* Record a condition; the most severe becomes the exit code. */
void app_status(struct app *app, enum ls_exit e);

#endif
