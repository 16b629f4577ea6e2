/*
 * report_chart.c - the report's inline SVG charts: a feed's vehicles and
 * its new/changed/vanished counts over its applied snapshots. Plain
 * <polyline>, <rect> and <text>: no script, no external resource, and a
 * <title>/<desc> pair so a screen reader has the figures in words.
 */
#include "lotsync/report_chart.h"

#include <string.h>

#include "lotsync/html.h"

/* The drawing: a 720 x 250 view box, the plot inside these edges. */
#define CHART_W     720
#define CHART_H     250
#define PLOT_LEFT   64.0
#define PLOT_RIGHT  704.0
#define PLOT_TOP    30.0
#define PLOT_BOTTOM 200.0
/* Counts beyond this are drawn at the top; keeps the axis arithmetic far from overflow. */
#define AXIS_MAX 1000000000000000LL

#define COLOR_LINE     "#1f5fa8"
#define COLOR_RANGE    "#a9c1e0"
#define COLOR_NEW      "#2e8b57"
#define COLOR_CHANGED  "#d98c00"
#define COLOR_VANISHED "#c0392b"

void
report_axis_nice(long long max, struct report_axis *a)
{
	static const long long mult[] = {1, 2, 5};

	if (max <= 0) {
		a->hi = a->step = 1;
		return;
	}
	if (max > AXIS_MAX)
		max = AXIS_MAX;
	for (long long mag = 1;; mag *= 10)
		for (size_t i = 0; i < sizeof(mult) / sizeof(mult[0]); i++) {
			long long step = mult[i] * mag;

			if (step >= (max + 4) / 5) { /* 5 steps reach max */
				a->step = step;
				a->hi = (max + step - 1) / step * step;
				return;
			}
		}
}

double
report_scale_x(size_t i, size_t n, double left, double right)
{
	if (n == 0)
		return (left + right) / 2;
	return left + ((double)i + 0.5) * (right - left) / (double)n;
}

double
report_scale_y(long long v, const struct report_axis *a, double bottom, double top)
{
	double f = a->hi > 0 ? (double)v / (double)a->hi : 0;

	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return bottom - f * (bottom - top);
}

void
report_series_init(struct report_series *s, long long expected)
{
	memset(s, 0, sizeof(*s));
	s->per = expected > REPORT_CHART_POINTS
	                 ? (expected + REPORT_CHART_POINTS - 1) / REPORT_CHART_POINTS
	                 : 1;
}

static void
copy_time(char dst[CLOCK_ISO_LEN], const char *src)
{
	snprintf(dst, CLOCK_ISO_LEN, "%s", src ? src : "");
}

static long long
min_ll(long long a, long long b)
{
	return a < b ? a : b;
}

static long long
max_ll(long long a, long long b)
{
	return a > b ? a : b;
}

void
report_series_add(struct report_series *s, const struct snapshot_info *snap)
{
	size_t b = (size_t)(s->total / s->per);
	struct report_point *p;

	/* More snapshots than counted (a run committed meanwhile): merge into the last. */
	if (b >= REPORT_CHART_POINTS)
		b = REPORT_CHART_POINTS - 1;
	p = &s->pts[b];
	if (b >= s->n) {
		s->n = b + 1;
		p->first_seq = snap->seq;
		p->first_id = snap->id;
		copy_time(p->first_at, snap->received_at);
		p->vmin = p->vmax = snap->vehicles;
	}
	p->last_seq = snap->seq;
	p->last_id = snap->id;
	copy_time(p->last_at, snap->received_at);
	p->vehicles = snap->vehicles;
	p->vmin = min_ll(p->vmin, snap->vehicles);
	p->vmax = max_ll(p->vmax, snap->vehicles);
	p->new_ += snap->new_;
	p->changed += snap->changed;
	p->vanished += snap->vanished;
	if (s->total == 0)
		s->first_vehicles = snap->vehicles;
	s->vmin = s->total ? min_ll(s->vmin, snap->vehicles) : snap->vehicles;
	s->vmax = s->total ? max_ll(s->vmax, snap->vehicles) : snap->vehicles;
	s->new_ += snap->new_;
	s->changed += snap->changed;
	s->vanished += snap->vanished;
	s->total++;
}

/* "snapshot 7 (received T)" or "snapshots 7 to 12 (received T1 to T2)". */
static void
point_label(FILE *out, const struct report_point *p)
{
	if (p->first_id == p->last_id) {
		fprintf(out, "snapshot %lld (received ", p->last_id);
		html_escape(out, p->last_at);
	} else {
		fprintf(out, "snapshots %lld to %lld (received ", p->first_id, p->last_id);
		html_escape(out, p->first_at);
		fputs(" to ", out);
		html_escape(out, p->last_at);
	}
	fputs(")", out);
}

static void
svg_open(FILE *out, int id)
{
	fprintf(out,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\""
	        " height=\"%d\" role=\"img\" aria-labelledby=\"c%d-t c%d-d\""
	        " font-family=\"sans-serif\" font-size=\"11\" fill=\"#222\">\n",
	        CHART_W, CHART_H, CHART_W, CHART_H, id, id);
}

/* Grid lines and labels of the y axis, the x axis line and the axis titles. */
static void
axes(FILE *out, const struct report_axis *a, const char *ytitle, const char *xtitle)
{
	for (long long v = 0; v <= a->hi; v += a->step) {
		double y = report_scale_y(v, a, PLOT_BOTTOM, PLOT_TOP);

		fprintf(out,
		        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%lld</text>\n",
		        PLOT_LEFT, y, PLOT_RIGHT, y, PLOT_LEFT - 6, y + 4, v);
	}
	fprintf(out,
	        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#666\"/>"
	        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#666\"/>\n",
	        PLOT_LEFT, PLOT_BOTTOM, PLOT_RIGHT, PLOT_BOTTOM, PLOT_LEFT, PLOT_TOP, PLOT_LEFT,
	        PLOT_BOTTOM);
	fprintf(out,
	        "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\">%s"
	        "</text>\n<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
	        (PLOT_TOP + PLOT_BOTTOM) / 2, ytitle, (PLOT_LEFT + PLOT_RIGHT) / 2, CHART_H - 6,
	        xtitle);
}

/* Snapshot id and received date under the first, middle and last point. */
static void
x_labels(FILE *out, const struct report_series *s)
{
	size_t at[3] = {0, s->n / 2, s->n - 1};

	for (size_t k = 0; k < 3; k++) {
		const struct report_point *p = &s->pts[at[k]];
		double x = report_scale_x(at[k], s->n, PLOT_LEFT, PLOT_RIGHT);
		/* Near an edge the label grows inwards, so it stays inside the drawing. */
		const char *how = x - PLOT_LEFT < 40    ? "start"
		                  : PLOT_RIGHT - x < 40 ? "end"
		                                        : "middle";
		char day[11];

		/* Few points: the middle label would sit on the others. */
		if ((k == 1 && s->n < 5) || (k == 2 && s->n == 1))
			continue;
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">#%lld</text>", x,
		        PLOT_BOTTOM + 15, how, k == 0 ? p->first_id : p->last_id);
		/* The date part of the ISO time: what fits under a point. */
		snprintf(day, sizeof(day), "%.10s", k == 0 ? p->first_at : p->last_at);
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, PLOT_BOTTOM + 28,
		        how);
		html_escape(out, day);
		fputs("</text>\n", out);
	}
}

static void
no_data(FILE *out)
{
	fprintf(out,
	        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"14\""
	        " fill=\"#666\">no applied snapshots yet</text>\n",
	        (PLOT_LEFT + PLOT_RIGHT) / 2, (PLOT_TOP + PLOT_BOTTOM) / 2);
}

static void
vehicles_text(FILE *out, int id, const char *feed, const struct report_series *s)
{
	const struct report_point *a = &s->pts[0], *b = &s->pts[s->n ? s->n - 1 : 0];

	fprintf(out, "<title id=\"c%d-t\">Vehicles of feed ", id);
	html_escape(out, feed);
	fprintf(out, " over %lld applied snapshot%s</title>\n<desc id=\"c%d-d\">", s->total,
	        s->total == 1 ? "" : "s", id);
	if (s->n == 0) {
		fputs("No applied snapshots yet.</desc>\n", out);
		return;
	}
	fprintf(out, "%lld vehicles at snapshot %lld (received ", s->first_vehicles, a->first_id);
	html_escape(out, a->first_at);
	fprintf(out, "), %lld at snapshot %lld (received ", b->vehicles, b->last_id);
	html_escape(out, b->last_at);
	fprintf(out, "); lowest %lld, highest %lld.", s->vmin, s->vmax);
	if (s->per > 1)
		fprintf(out,
		        " Each point merges up to %lld consecutive snapshots and shows the last"
		        " one's count; a light stroke spans their lowest and highest.",
		        s->per);
	fputs("</desc>\n", out);
}

void
report_chart_vehicles(FILE *out, int id, const char *feed, const struct report_series *s)
{
	struct report_axis a;

	report_axis_nice(s->n ? s->vmax : 0, &a);
	svg_open(out, id);
	vehicles_text(out, id, feed, s);
	axes(out, &a, "vehicles", "applied snapshots, oldest left (snapshot id, received)");
	if (s->n == 0) {
		no_data(out);
		fputs("</svg>\n", out);
		return;
	}
	x_labels(out, s);
	if (s->per > 1) {
		fprintf(out, "<path stroke=\"%s\" stroke-width=\"3\" fill=\"none\" d=\"",
		        COLOR_RANGE);
		for (size_t i = 0; i < s->n; i++)
			fprintf(out, "M%.1f %.1fV%.1f",
			        report_scale_x(i, s->n, PLOT_LEFT, PLOT_RIGHT),
			        report_scale_y(s->pts[i].vmin, &a, PLOT_BOTTOM, PLOT_TOP),
			        report_scale_y(s->pts[i].vmax, &a, PLOT_BOTTOM, PLOT_TOP));
		fputs("\"/>\n", out);
	}
	if (s->n > 1) {
		fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
		        COLOR_LINE);
		for (size_t i = 0; i < s->n; i++)
			fprintf(out, "%s%.1f,%.1f", i ? " " : "",
			        report_scale_x(i, s->n, PLOT_LEFT, PLOT_RIGHT),
			        report_scale_y(s->pts[i].vehicles, &a, PLOT_BOTTOM, PLOT_TOP));
		fputs("\"/>\n", out);
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct report_point *p = &s->pts[i];

		fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"><title>",
		        report_scale_x(i, s->n, PLOT_LEFT, PLOT_RIGHT),
		        report_scale_y(p->vehicles, &a, PLOT_BOTTOM, PLOT_TOP),
		        s->n > 60 ? "1.5" : "3", COLOR_LINE);
		point_label(out, p);
		fprintf(out, ": %lld vehicles", p->vehicles);
		if (p->first_id != p->last_id)
			fprintf(out, " at the last, lowest %lld, highest %lld", p->vmin, p->vmax);
		fputs("</title></circle>\n", out);
	}
	fputs("</svg>\n", out);
}

/*
 * The first applied snapshot counts every vehicle as new (SPEC §5), as does
 * the one after an accepted empty file: scale to the other points so the
 * everyday changes stay readable; taller bars are cut and labelled.
 */
static long long
changes_max(const struct report_series *s)
{
	long long all = 0, rest = 0;

	for (size_t i = 0; i < s->n; i++) {
		long long t = s->pts[i].new_ + s->pts[i].changed + s->pts[i].vanished;

		all = max_ll(all, t);
		if (i > 0)
			rest = max_ll(rest, t);
	}
	return rest > 0 ? rest : all;
}

static void
legend(FILE *out)
{
	static const struct {
		const char *color, *name;
	} keys[] = {{COLOR_NEW, "new"}, {COLOR_CHANGED, "changed"}, {COLOR_VANISHED, "vanished"}};
	double x = PLOT_RIGHT - 230;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++, x += 80)
		fprintf(out,
		        "<rect x=\"%.1f\" y=\"6\" width=\"10\" height=\"10\" fill=\"%s\"/>"
		        "<text x=\"%.1f\" y=\"15\">%s</text>\n",
		        x, keys[i].color, x + 14, keys[i].name);
}

/* One stacked bar: new at the bottom, then changed, then vanished. */
static void
bar(FILE *out, const struct report_series *s, size_t i, const struct report_axis *a)
{
	const struct report_point *p = &s->pts[i];
	const long long part[3] = {p->new_, p->changed, p->vanished};
	const char *color[3] = {COLOR_NEW, COLOR_CHANGED, COLOR_VANISHED};
	double cx = report_scale_x(i, s->n, PLOT_LEFT, PLOT_RIGHT);
	double w = (PLOT_RIGHT - PLOT_LEFT) / (double)s->n * 0.7;
	long long sum = 0;

	w = w > 36 ? 36 : w < 1 ? 1 : w;
	fputs("<g><title>", out);
	point_label(out, p);
	fprintf(out, ": %lld new, %lld changed, %lld vanished</title>", p->new_, p->changed,
	        p->vanished);
	for (size_t k = 0; k < 3; k++) {
		double y0 = report_scale_y(sum, a, PLOT_BOTTOM, PLOT_TOP);
		double y1 = report_scale_y(sum + part[k], a, PLOT_BOTTOM, PLOT_TOP);

		sum += part[k];
		if (y0 - y1 > 0)
			fprintf(out,
			        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
			        " fill=\"%s\"/>",
			        cx - w / 2, y1, w, y0 - y1, color[k]);
	}
	if (sum > a->hi)
		fprintf(out,
		        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">"
		        "%lld</text>",
		        cx, PLOT_TOP - 2, sum);
	fputs("</g>\n", out);
}

void
report_chart_changes(FILE *out, int id, const char *feed, const struct report_series *s)
{
	struct report_axis a;
	size_t cut = 0;

	report_axis_nice(changes_max(s), &a);
	for (size_t i = 0; i < s->n; i++)
		cut += s->pts[i].new_ + s->pts[i].changed + s->pts[i].vanished > a.hi;
	svg_open(out, id);
	fprintf(out, "<title id=\"c%d-t\">New, changed and vanished vehicles of feed ", id);
	html_escape(out, feed);
	fprintf(out, " per applied snapshot</title>\n<desc id=\"c%d-d\">", id);
	if (s->n == 0)
		fputs("No applied snapshots yet.", out);
	else
		fprintf(out, "Over %lld applied snapshots: %lld new, %lld changed, %lld vanished.",
		        s->total, s->new_, s->changed, s->vanished);
	if (s->per > 1)
		fprintf(out, " Each bar sums up to %lld consecutive snapshots.", s->per);
	if (cut > 0)
		fprintf(out,
		        " %zu bar%s taller than the axis (%lld) %s cut and labelled with the"
		        " total.",
		        cut, cut == 1 ? "" : "s", a.hi, cut == 1 ? "is" : "are");
	fputs("</desc>\n", out);
	axes(out, &a, "vehicles", "applied snapshots, oldest left (snapshot id, received)");
	legend(out);
	if (s->n == 0)
		no_data(out);
	else
		x_labels(out, s);
	for (size_t i = 0; i < s->n; i++)
		bar(out, s, i, &a);
	fputs("</svg>\n", out);
}
