/*
 * report_chart.h - the report's inline SVG charts (src/report_chart.c):
 * a feed's applied snapshots as at most REPORT_CHART_POINTS points, the
 * axis arithmetic, and the two charts report.c places in a feed's section.
 * Text in a chart goes through html_escape().
 */
#ifndef LOTSYNC_REPORT_CHART_H
#define LOTSYNC_REPORT_CHART_H

#include <stddef.h>
#include <stdio.h>

#include "lotsync/clock.h"
#include "lotsync/store.h"

#define REPORT_CHART_POINTS 240 /* points per chart at most */

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
