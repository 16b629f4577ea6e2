/*
 * metrics.h - metrics_file (in [lotsync]): after every run of a command that
 * changes state, the run's outcome and each feed's and target's standing in
 * the Prometheus text exposition format, for node_exporter's textfile
 * collector. The file is written to a temporary name in its directory and
 * renamed, so a scrape never sees half of it; it is written after failed
 * runs too, but not by a dry run or a run that found the lock taken (the
 * run holding it writes the file).
 *
 * Timestamps are Unix seconds on the run's clock (--now, else real time).
 */
#ifndef LOTSYNC_METRICS_H
#define LOTSYNC_METRICS_H

#include <stdio.h>

#include "lotsync/app.h"

struct metrics_run {
	const char *command;
	double duration; /* real seconds the command took */
	int exit_code;
};

/*
 * Write the metrics text for app (its store may be NULL: then only the run
 * metrics) to fp. Returns 0, or -1 on a database error (logged).
 */
int metrics_render(struct app *app, const struct metrics_run *r, FILE *fp);

/* Render into app->cfg.metrics_file atomically. Returns 0 or -1 (logged). */
int metrics_write(struct app *app, const struct metrics_run *r);

#endif
