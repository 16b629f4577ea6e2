/*
 * report.h - `lotsync report --html FILE` (SPEC §5): one self-contained
 * HTML file for auditors and operators (src/report.c writes the document,
 * src/report_chart.c its inline SVG charts, report_chart.h).
 *
 * The document has no external CSS, JavaScript, fonts or images: an inline
 * <style>, inline <svg> and a Content-Security-Policy that forbids scripts
 * and every fetch. It holds the generated-at time (the --now clock), the
 * audit chain head and the outcome of the same check `verify` runs; per
 * feed the snapshot table (newest max_rows), charts of vehicles and of
 * new/changed/vanished over the applied snapshots, held snapshots, the
 * newest rejected rows and quarantined files, service requests; per target
 * its lock, queue, last delivery and last error.
 *
 * Every string that comes from the database, the configuration or a file
 * name goes through html_escape(): names and reasons come from vendors.
 * Rows are streamed from the store to the file, never collected, so memory
 * does not grow with history; charts keep at most REPORT_CHART_POINTS
 * points (consecutive snapshots are merged when there are more).
 *
 * The file is written atomically: a temporary file in the target's
 * directory, fsync, rename, fsync of the directory, so a reader sees the
 * old report or the new one, never half of one. Errors are logged where
 * they happen.
 */
#ifndef LOTSYNC_REPORT_H
#define LOTSYNC_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "lotsync/app.h"
#include "lotsync/clock.h"
#include "lotsync/store.h"

#define REPORT_MAX_ROWS  500 /* newest snapshots per feed table by default */
#define REPORT_LIST_ROWS 100 /* newest rejected rows and quarantined files per feed */
#define REPORT_SR_ROWS   20  /* newest closed service requests per feed */

struct report_opts {
	const char *feed;   /* only this feed and the targets that take it; NULL = all */
	long long max_rows; /* newest snapshots per feed table; 0 = all */
};

/*
 * Run the audit verification, then write the report of app (its config,
 * spool and store; app->store NULL = no database yet) to path. Returns
 * LS_EXIT_OK with *v filled (v->problems > 0: verification failed, the
 * report says so), or the exit code of what stopped it (logged): 74 the
 * file could not be written, 70 a database error. No partial file is left.
 */
enum ls_exit report_write(struct app *app, const char *path, const struct report_opts *o,
                          struct verify_report *v);

#endif
