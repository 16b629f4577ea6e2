/*
 * report.h - `lotsync report --html FILE` (SPEC §5): one self-contained
 * HTML file for auditors and operators (src/report.c writes the document,
 * src/report_chart.c its inline SVG charts).
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
 * name goes through report_escape(): names and reasons come from vendors.
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

#define REPORT_MAX_ROWS     500 /* newest snapshots per feed table by default */
#define REPORT_LIST_ROWS    100 /* newest rejected rows and quarantined files per feed */
#define REPORT_SR_ROWS      20  /* newest closed service requests per feed */
#define REPORT_CHART_POINTS 240 /* points per chart at most */

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

/*
 * Write s as HTML text or attribute value: & < > " ' as references,
 * invalid UTF-8 and control characters (except TAB, LF, CR) as U+FFFD.
 * NULL writes nothing.
 */
void report_escape(FILE *out, const char *s);

/* A y axis from 0 to hi in steps of 1, 2 or 5 x 10^k: at most 5 steps, hi >= max. */
struct report_axis {
	long long hi, step;
};

/* The axis for values 0..max (max <= 0 gives 0..1). */
void report_axis_nice(long long max, struct report_axis *a);
/* Centre of band i of n between left and right (n == 1: the middle). */
double report_scale_x(size_t i, size_t n, double left, double right);
/* y of value v between bottom (0) and top (a->hi); clamped to that range. */
double report_scale_y(long long v, const struct report_axis *a, double bottom, double top);

/* One chart point: one applied snapshot, or several consecutive ones merged. */
struct report_point {
	long long first_seq, last_seq, first_id, last_id;
	char first_at[CLOCK_ISO_LEN], last_at[CLOCK_ISO_LEN]; /* received (truncated) */
	long long vehicles;                                   /* of the last snapshot merged */
	long long vmin, vmax;              /* lowest and highest of the merged ones */
	long long new_, changed, vanished; /* sums */
};

/* A feed's applied snapshots as at most REPORT_CHART_POINTS points. */
struct report_series {
	struct report_point pts[REPORT_CHART_POINTS];
	size_t n;                                      /* points filled */
	long long total;                               /* snapshots added */
	long long per;                                 /* snapshots per point (>= 1) */
	long long first_vehicles;                      /* of the oldest snapshot */
	long long vmin, vmax, new_, changed, vanished; /* over all snapshots added */
};

/* Prepare for about expected snapshots (more are merged into the last point). */
void report_series_init(struct report_series *s, long long expected);
void report_series_add(struct report_series *s, const struct snapshot_info *snap);

/*
 * Inline SVG charts of a series: vehicles per applied snapshot (a line),
 * and new/changed/vanished per applied snapshot (stacked bars). id must be
 * unique in the document (the <title> and <desc> ids are c<id>-t, c<id>-d);
 * feed is escaped. 0 points draw the axes and say there is no data.
 */
void report_chart_vehicles(FILE *out, int id, const char *feed, const struct report_series *s);
void report_chart_changes(FILE *out, int id, const char *feed, const struct report_series *s);

#endif
