/*
 * test_report.c - `lotsync report`: HTML escaping of hostile strings, the
 * chart axes and scales for 0, 1 and many points, merging of long series,
 * and whole reports written from real SQLite stores (empty, absent, and
 * one fed through ingest with hostile names, a held snapshot, a
 * quarantined file and a tampered archive; one with service requests).
 */
#include <check.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lotsync/app.h"
#include "lotsync/clock.h"
#include "lotsync/html.h"
#include "lotsync/ingest.h"
#include "lotsync/report.h"
#include "lotsync/report_chart.h"
#include "lotsync/srs.h"
#include "lotsync/util.h"
#include "lotsync/view.h"

#include "unit.h"

UNIT_DIR_FIXTURE(dir)

/* What html_escape() makes of s. Caller frees. */
static char *
escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	html_escape(f, s);
	fclose(f);
	return buf;
}

static void
check_escape(const char *in, const char *want)
{
	char *got = escaped(in);

	ck_assert_str_eq(got, want);
	free(got);
}

#define FFFD "\xEF\xBF\xBD"

START_TEST(escape_hostile_strings)
{
	check_escape("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
	check_escape("a&b \"q\" 'x'", "a&amp;b &quot;q&quot; &#39;x&#39;");
	check_escape("&amp;", "&amp;amp;");
	check_escape("", "");
	check_escape(NULL, "");
	/* Valid UTF-8 stays; TAB, LF and CR stay. */
	check_escape("Citro\xC3\xABn \xE2\x82\xAC \xF0\x9F\x9A\x97\t\n\r",
	             "Citro\xC3\xABn \xE2\x82\xAC \xF0\x9F\x9A\x97\t\n\r");
	/* Windows-1252 bytes, overlong '/', a surrogate, C0/C1 controls, DEL: U+FFFD. */
	check_escape("caf\xE9", "caf" FFFD);
	check_escape("\xC0\xAF", FFFD FFFD);
	check_escape("\xED\xA0\x80", FFFD FFFD FFFD);
	check_escape("a\x01"
	             "b\x7f"
	             "c\xC2\x85",
	             "a" FFFD "b" FFFD "c" FFFD FFFD);
	/* A sequence cut short by the end of the string. */
	check_escape("x\xE2\x82", "x" FFFD FFFD);
	check_escape("\xEF\xBF\xBE", FFFD FFFD FFFD); /* U+FFFE, a noncharacter */
}
END_TEST

static void
check_axis(long long max, long long hi, long long step)
{
	struct report_axis a;

	report_axis_nice(max, &a);
	ck_assert_msg(a.hi == hi && a.step == step, "max %lld: hi %lld step %lld", max, a.hi,
	              a.step);
}

START_TEST(axis_is_round_and_covers_the_data)
{
	struct report_axis a;

	check_axis(0, 1, 1);
	check_axis(-3, 1, 1);
	check_axis(1, 1, 1);
	check_axis(5, 5, 1);
	check_axis(7, 8, 2);
	check_axis(1000, 1000, 200);
	check_axis(1234, 1500, 500);
	for (long long max = 1; max <= 20000; max++) {
		long long s;

		report_axis_nice(max, &a);
		ck_assert(a.hi >= max && a.hi % a.step == 0 && a.hi / a.step <= 5);
		for (s = a.step; s % 10 == 0; s /= 10)
			;
		ck_assert(s == 1 || s == 2 || s == 5);
	}
	/* Absurd counts (a tampered row) stay finite. */
	report_axis_nice(9223372036854775807LL, &a);
	ck_assert(a.hi > 0 && a.step > 0 && a.hi / a.step <= 5);
}
END_TEST

START_TEST(scale_for_one_and_many_points)
{
	struct report_axis a = {.hi = 100, .step = 20};
	double prev = 0;

	/* One point sits in the middle; many spread inside the plot, in order. */
	ck_assert(report_scale_x(0, 1, 64, 704) == 384);
	ck_assert(report_scale_x(0, 0, 64, 704) == 384);
	for (size_t i = 0; i < 240; i++) {
		double x = report_scale_x(i, 240, 64, 704);

		ck_assert(x > 64 && x < 704 && x > prev);
		prev = x;
	}
	ck_assert(report_scale_y(0, &a, 200, 30) == 200);
	ck_assert(report_scale_y(100, &a, 200, 30) == 30);
	ck_assert(report_scale_y(50, &a, 200, 30) == 115);
	ck_assert(report_scale_y(-5, &a, 200, 30) == 200);
	ck_assert(report_scale_y(1000, &a, 200, 30) == 30);
}
END_TEST

static void
add(struct report_series *s, long long id, long long vehicles, long long nw, long long ch,
    long long va)
{
	struct snapshot_info i = {.id = id,
	                          .seq = id,
	                          .received_at = "2026-01-01T00:00:00Z",
	                          .vehicles = vehicles,
	                          .new_ = nw,
	                          .changed = ch,
	                          .vanished = va};

	report_series_add(s, &i);
}

START_TEST(series_merges_beyond_the_point_limit)
{
	struct report_series *s = xmalloc(sizeof(*s));
	long long sum_new = 0;

	report_series_init(s, 1);
	add(s, 7, 40, 40, 0, 0);
	ck_assert_uint_eq(s->n, 1);
	ck_assert_int_eq(s->per, 1);
	ck_assert_int_eq(s->pts[0].first_id, 7);

	report_series_init(s, 1000);
	ck_assert_int_eq(s->per, 5);
	for (long long i = 1; i <= 1000; i++) {
		add(s, i, 100 + i % 17, i, 1, 0);
		sum_new += i;
	}
	ck_assert_uint_eq(s->n, 200);
	ck_assert_int_eq(s->pts[0].first_id, 1);
	ck_assert_int_eq(s->pts[0].last_id, 5);
	ck_assert_int_eq(s->pts[199].last_id, 1000);
	ck_assert_int_eq(s->pts[0].new_, 1 + 2 + 3 + 4 + 5);
	ck_assert_int_eq(s->new_, sum_new);
	ck_assert_int_eq(s->vmin, 100);
	ck_assert_int_eq(s->vmax, 116);

	/* More than counted (a run committed meanwhile): still at most the limit. */
	report_series_init(s, 10);
	for (long long i = 1; i <= 500; i++)
		add(s, i, i, 0, 0, 0);
	ck_assert_uint_eq(s->n, REPORT_CHART_POINTS);
	ck_assert_int_eq(s->pts[REPORT_CHART_POINTS - 1].last_id, 500);
	free(s);
}
END_TEST

/* Occurrences of needle in hay. */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* Both charts of s into a string. Caller frees. */
static char *
charts(const struct report_series *s, const char *feed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	report_chart_vehicles(f, 1, feed, s);
	report_chart_changes(f, 2, feed, s);
	fclose(f);
	ck_assert_int_eq(count(buf, "<svg "), 2);
	ck_assert_int_eq(count(buf, "</svg>"), 2);
	ck_assert_int_eq(count(buf, "<title id=\"c1-t\">"), 1);
	ck_assert_int_eq(count(buf, "<desc id=\"c2-d\">"), 1);
	ck_assert_int_eq(count(buf, "aria-labelledby=\"c2-t c2-d\""), 1);
	return buf;
}

START_TEST(charts_for_zero_one_and_many_points)
{
	struct report_series *s = xmalloc(sizeof(*s));
	char *svg;

	report_series_init(s, 0);
	svg = charts(s, "a<b>&\"c\"");
	ck_assert_int_eq(count(svg, "no applied snapshots yet"), 2);
	ck_assert_int_eq(count(svg, "<circle"), 0);
	ck_assert_int_eq(count(svg, "feed a&lt;b&gt;&amp;&quot;c&quot;"), 2);
	ck_assert_int_eq(count(svg, "<b>"), 0);
	free(svg);

	/* One point: a dot in the middle, no line; one bar, cut nowhere. */
	report_series_init(s, 1);
	add(s, 3, 60, 60, 0, 0);
	svg = charts(s, "acme");
	ck_assert_int_eq(count(svg, "<circle cx=\"384.0\""), 1);
	ck_assert_int_eq(count(svg, "<polyline"), 0);
	ck_assert_int_eq(count(svg, "<g><title>snapshot 3 (received"), 1);
	ck_assert_int_eq(count(svg, "is cut"), 0);
	ck_assert_int_eq(count(svg, ">#3</text>"), 2);
	free(svg);

	/* Many: merged to the limit, a line, range strokes, the first bar cut. */
	report_series_init(s, 1000);
	add(s, 1, 500, 500, 0, 0);
	for (long long i = 2; i <= 1000; i++)
		add(s, i, 500 + i % 9, i % 4, i % 3, i % 4);
	svg = charts(s, "acme");
	ck_assert_int_eq(count(svg, "<polyline"), 1);
	ck_assert_int_eq(count(svg, "<circle"), 200);
	ck_assert_int_eq(count(svg, "<path stroke"), 1);
	ck_assert_int_eq(count(svg, "<g><title>snapshots "), 200);
	ck_assert_int_eq(count(svg, "1 bar taller than the axis"), 1);
	ck_assert_int_eq(count(svg, ">#1</text>"), 2);
	ck_assert_int_eq(count(svg, ">#1000</text>"), 2);
	free(svg);
	free(s);
}
END_TEST

/* An app with one drop feed (generic-csv from the source tree) and one target. */
struct world {
	struct app app;
	struct srs_run *srs;
	enum ls_exit status; /* every stage's result, folded */
	struct feed_conf feed;
	struct target_conf target;
	char *feeds[1];
};

static void
world_init(struct world *w, bool with_db)
{
	const char *src = getenv("LOTSYNC_SRCDIR");

	memset(w, 0, sizeof(*w));
	w->feed = (struct feed_conf){.name = "acme",
	                             .source = "drop",
	                             .profile = "generic-csv",
	                             .key = FEED_KEY_VIN,
	                             .vanish_guard = 0.20,
	                             .vanish_guard_min = 2};
	w->feeds[0] = "acme";
	w->target = (struct target_conf){.name = "mobile",
	                                 .url = "ftp://u@127.0.0.1/up/",
	                                 .format = "generic-csv",
	                                 .feeds = w->feeds,
	                                 .nfeeds = 1};
	w->app.cfg.dir = xasprintf("%s/conf", src ? src : ".");
	w->app.cfg.path = xasprintf("%s/lotsync.conf", dir);
	w->app.cfg.spool = xasprintf("%s/spool", dir);
	w->app.cfg.database = xasprintf("%s/lotsync.db", dir);
	w->app.cfg.feeds = &w->feed;
	w->app.cfg.nfeeds = 1;
	w->app.cfg.targets = &w->target;
	w->app.cfg.ntargets = 1;
	spool_init(&w->app.spool, w->app.cfg.spool);
	ck_assert_int_eq(spool_prepare_feed(&w->app.spool, "acme"), 0);
	w->srs = srs_run_new();
	if (with_db)
		ck_assert_int_eq(store_open(w->app.cfg.database, false, &w->app.store), 0);
}

static void
world_free(struct world *w)
{
	srs_run_free(w->srs);
	store_close(w->app.store);
	spool_release(&w->app.spool);
	free(w->app.cfg.dir);
	free(w->app.cfg.path);
	free(w->app.cfg.spool);
	free(w->app.cfg.database);
}

/* Write the report into dir/r.html and return its text; no temporary file may remain. */
static char *
report(struct world *w, enum ls_exit want, struct verify_report *v)
{
	struct report_opts o = {.max_rows = REPORT_MAX_ROWS};
	char *path = xasprintf("%s/r.html", dir), *html;
	DIR *d;
	struct dirent *de;

	ck_assert_int_eq(report_write(&w->app, path, &o, v), want);
	html = unit_slurp(path, NULL);
	ck_assert_ptr_nonnull(html);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		ck_assert_msg(strncmp(de->d_name, ".tmp-", 5) != 0, "left %s", de->d_name);
	closedir(d);
	free(path);
	ck_assert(str_startswith(html, "<!DOCTYPE html>\n"));
	ck_assert(str_endswith(html, "</html>\n"));
	ck_assert_ptr_null(strcasestr(html, "<script"));
	return html;
}

START_TEST(report_of_an_empty_database)
{
	struct world w;
	struct verify_report v;
	char *html;

	world_init(&w, true);
	clock_set(1767225600); /* 2026-01-01T00:00:00Z */
	html = report(&w, LS_EXIT_OK, &v);
	ck_assert_int_eq(v.problems, 0);
	ck_assert_ptr_nonnull(strstr(html, "datetime=\"2026-01-01T00:00:00Z\""));
	ck_assert_ptr_nonnull(strstr(html, "<strong>Verification passed</strong>: 0 chain"));
	ck_assert_ptr_nonnull(strstr(html, "<code id=\"chain-head\">000000000000000000000000000"
	                                   "0000000000000000000000000000000000000</code>"));
	ck_assert_ptr_nonnull(strstr(html, "Nothing awaits an operator."));
	ck_assert_ptr_nonnull(strstr(html, "<section id=\"feed-acme\">"));
	ck_assert_ptr_nonnull(strstr(html, "<section id=\"target-mobile\">"));
	ck_assert_ptr_nonnull(strstr(html, "<p>No snapshots yet.</p>"));
	ck_assert_int_eq(count(html, "no applied snapshots yet"), 2);
	ck_assert_ptr_nonnull(strstr(html, "<th>Last delivery</th><td>never</td>"));
	/* Self-contained: nothing is fetched from anywhere. */
	ck_assert_int_eq(count(html, "src="), 0);
	ck_assert_int_eq(
	        count(html, "http://") - count(html, "xmlns=\"http://www.w3.org/2000/svg\""), 0);
	ck_assert_int_eq(count(html, "https://"), 0);
	free(html);

	/* No database at all: the report still comes, and says so. */
	store_close(w.app.store);
	w.app.store = NULL;
	html = report(&w, LS_EXIT_OK, &v);
	ck_assert_ptr_nonnull(strstr(html, "No database yet: nothing to verify."));
	free(html);
	world_free(&w);
	clock_set_real();
}
END_TEST

static void
drop(const char *name, const char *text)
{
	char *path = xasprintf("%s/spool/incoming/acme/%s", dir, name);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

#define HDR "DealerID,VIN,StockNo,Price\n"

START_TEST(report_escapes_vendor_strings_and_shows_problems)
{
	struct world w;
	struct ingest_summary s;
	struct verify_report v;
	struct snapshot_info snap;
	char *html, *archived;
	FILE *f;

	world_init(&w, true);
	w.app.run = store_run_begin(w.app.store, "test", "2026-01-01T00:00:00Z");
	clock_set(1767225600);
	/* A hostile file name, and a hostile VIN twice: the rejection reason quotes it. */
	drop("day1 <script>x&\"'.csv", HDR
	     "D1,WVWZZZ1J30W000001,1,100\nD1,WVWZZZ1J50W000002,2,200\nD1,WVWZZZ1J70W000003,3,300\n"
	     "D1,\"<script>alert(1)</script>&\"\"'\",4,400\n"
	     "D1,\"<script>alert(1)</script>&\"\"'\",5,500\n");
	w.status = status_worse(w.status, ingest_feed(&w.app, w.srs, &w.feed, &s, NULL));
	ck_assert_int_eq(s.rejected, 2);                               /* an invalid VIN, twice */
	drop("bad<script>.csv", HDR "D1,\"WVWZZZ1J30W000001,1,100\n"); /* quarantined */
	w.status = status_worse(w.status, ingest_feed(&w.app, w.srs, &w.feed, &s, NULL));
	ck_assert_int_eq(s.quarantined, 1);
	drop("short.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n"); /* 3 of 4 would vanish: held */
	w.status = status_worse(w.status, ingest_feed(&w.app, w.srs, &w.feed, &s, NULL));
	ck_assert_int_eq(s.held, 1);

	html = report(&w, LS_EXIT_OK, &v);
	ck_assert_int_eq(v.problems, 0);
	ck_assert_ptr_nonnull(strstr(html, "day1 &lt;script&gt;x&amp;&quot;&#39;.csv"));
	ck_assert_ptr_nonnull(
	        strstr(html, "&#39;&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;&#39; has"
	                     " a character other than A-Z and 0-9"));
	ck_assert_ptr_nonnull(strstr(html, "<td>bad&lt;script&gt;.csv</td>"));
	ck_assert_ptr_nonnull(strstr(html, "<tr class=\"held\" id=\"snapshot-2\">"));
	ck_assert_ptr_nonnull(strstr(html, "<code>lotsync accept 2</code>"));
	ck_assert_ptr_null(strstr(html, "Nothing awaits an operator."));
	free(html);

	/* One archived byte changed: the report says so at the top, and is still written. */
	ck_assert_int_eq(store_snapshot_get(w.app.store, 1, &snap), 0);
	archived = xasprintf("%s/spool/archive/acme/%s", dir, snap.sha256);
	snapshot_info_release(&snap);
	f = fopen(archived, "r+");
	ck_assert_ptr_nonnull(f);
	fputc('X', f);
	fclose(f);
	html = report(&w, LS_EXIT_OK, &v);
	ck_assert_int_gt(v.problems, 0);
	ck_assert_ptr_nonnull(strstr(v.first, "archived file damaged"));
	ck_assert_ptr_nonnull(strstr(html, "<strong>VERIFICATION FAILED</strong>"));
	ck_assert_ptr_nonnull(strstr(html, "archived file damaged"));
	free(archived);
	free(html);
	world_free(&w);
	clock_set_real();
}
END_TEST

START_TEST(report_summarises_service_requests)
{
	struct client_map client = {
	        .label = "one", .dealer_id = "D1", .name = "One <b>&amp;</b>", .sr_type = "Recon"};
	struct world w;
	struct ingest_summary s;
	struct verify_report v;
	char *html;

	world_init(&w, true);
	w.feed.auto_close = CONFIG_IMMEDIATELY;
	w.app.cfg.clients = &client;
	w.app.cfg.nclients = 1;
	w.app.run = store_run_begin(w.app.store, "test", "2026-01-01T00:00:00Z");
	clock_set(1767225600);
	drop("1.csv", HDR "D1,WVWZZZ1J30W000001,1,100\nD1,WVWZZZ1J50W000002,2,200\nD1,"
	                  "WVWZZZ1J70W000003,3,300\n");
	w.status = status_worse(w.status, ingest_feed(&w.app, w.srs, &w.feed, &s, NULL));
	clock_set(1767225600 + 86400);
	drop("2.csv", HDR "D1,WVWZZZ1J30W000001,1,100\nD1,WVWZZZ1J70W000003,3,300\n");
	w.status = status_worse(w.status, ingest_feed(&w.app, w.srs, &w.feed, &s, NULL));
	w.status = status_worse(w.status, srs_auto_close(&w.app, w.srs, &w.feed));
	ck_assert_int_eq(w.status, LS_EXIT_OK);

	html = report(&w, LS_EXIT_OK, &v);
	ck_assert_ptr_nonnull(strstr(html, "<h3>Service requests</h3>"));
	ck_assert_ptr_nonnull(strstr(html, "<td class=\"n\">2</td><td class=\"n\">1</td>"));
	ck_assert_ptr_nonnull(
	        strstr(html, "<td>WVWZZZ1J50W000002</td><td>D1</td><td>One &lt;b&gt;&amp;amp;"
	                     "&lt;/b&gt;</td><td>Recon</td>"));
	ck_assert_ptr_null(strstr(html, "<b>"));
	free(html);
	world_free(&w);
	clock_set_real();
}
END_TEST

/* The one view status and the report render: held, locked, --feed, and a failed query. */
START_TEST(view_reads_what_awaits_an_operator)
{
	struct target_conf other = {
	        .name = "other", .url = "file:///nowhere/", .format = "generic-csv"};
	struct target_conf targets[2];
	char *zeta[] = {"zeta"};
	struct world w;
	struct ingest_summary s;
	struct verify_report vr;
	struct view v;
	sqlite3 *db;

	world_init(&w, true);
	other.feeds = zeta;
	other.nfeeds = 1;
	targets[0] = w.target;
	targets[1] = other;
	w.app.cfg.targets = targets;
	w.app.cfg.ntargets = 2;
	w.app.run = store_run_begin(w.app.store, "test", "2026-01-01T00:00:00Z");
	clock_set(1767225600);

	/* Nothing stored yet: empty, nothing awaits, the zero chain head. */
	ck_assert_int_eq(view_load(&v, &w.app.cfg, &w.app.spool, w.app.store, 0, NULL), 0);
	ck_assert_uint_eq(v.nfeeds, 1);
	ck_assert_uint_eq(v.ntargets, 2);
	ck_assert_int_eq(v.feeds[0].last_snapshot, 0);
	ck_assert_int_eq(v.targets[0].ti.baseline, -1);
	ck_assert_str_eq(v.chain_head,
	                 "0000000000000000000000000000000000000000000000000000000000000000");
	ck_assert(!view_awaits_operator(&v));
	ck_assert_int_eq(v.errors, 0);
	view_release(&v);

	drop("1.csv", HDR "D1,WVWZZZ1J30W000001,1,100\nD1,WVWZZZ1J50W000002,2,200\n"
	                  "D1,WVWZZZ1J70W000003,3,300\n");
	w.status = status_worse(w.status, ingest_feed(&w.app, w.srs, &w.feed, &s, NULL));
	drop("2.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n"); /* 2 of 3 would vanish: held */
	w.status = status_worse(w.status, ingest_feed(&w.app, w.srs, &w.feed, &s, NULL));
	ck_assert_int_eq(s.held, 1);
	drop("3.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n"); /* waits in incoming/ behind it */
	ck_assert_int_eq(store_target_set_lock(w.app.store, "other", "2026-01-01T00:00:00Z",
	                                       "too few", 10, 1),
	                 0);

	ck_assert_int_eq(view_load(&v, &w.app.cfg, &w.app.spool, w.app.store, VIEW_SPOOL, NULL), 0);
	ck_assert_int_eq(v.errors, 0);
	ck_assert_int_eq(v.feeds[0].last_snapshot, 1);
	ck_assert_int_eq(v.feeds[0].vehicles, 3);
	ck_assert_uint_eq(v.feeds[0].nheld, 1);
	ck_assert_int_eq(v.feeds[0].held_ids[0], 2);
	ck_assert_int_eq(v.feeds[0].held[0].id, 2);
	ck_assert_str_eq(v.feeds[0].held[0].file, "2.csv");
	ck_assert_ptr_nonnull(strstr(v.feeds[0].held[0].hold_reason, "would vanish"));
	ck_assert_int_eq(v.feeds[0].incoming, 1);
	ck_assert(!v.targets[0].ti.locked);
	ck_assert(v.targets[1].ti.locked);
	ck_assert_str_eq(v.targets[1].ti.lock_reason, "too few");
	ck_assert(view_awaits_operator(&v));
	ck_assert_str_ne(v.chain_head,
	                 "0000000000000000000000000000000000000000000000000000000000000000");
	view_release(&v);

	/* Without VIEW_SPOOL the spool is not looked at; --feed keeps the targets taking it. */
	ck_assert_int_eq(view_load(&v, &w.app.cfg, &w.app.spool, w.app.store, 0, "acme"), 0);
	ck_assert_int_eq(v.feeds[0].incoming, 0);
	ck_assert_uint_eq(v.ntargets, 1);
	ck_assert_str_eq(v.targets[0].conf->name, "mobile");
	view_release(&v);
	ck_assert_int_eq(view_load(&v, &w.app.cfg, &w.app.spool, w.app.store, 0, "zeta"), 0);
	ck_assert_uint_eq(v.nfeeds, 0);
	ck_assert_uint_eq(v.ntargets, 1);
	ck_assert_str_eq(v.targets[0].conf->name, "other");
	view_release(&v);

	/* A query that fails is counted and the rest still read; the report refuses it. */
	ck_assert_int_eq(sqlite3_open(w.app.cfg.database, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "ALTER TABLE srs RENAME TO srs_gone", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(view_load(&v, &w.app.cfg, &w.app.spool, w.app.store, 0, NULL), 0);
	ck_assert_int_eq(v.errors, 1);
	ck_assert_uint_eq(v.feeds[0].nheld, 1);
	ck_assert(v.targets[1].ti.locked);
	view_release(&v);
	{
		struct report_opts o = {.max_rows = REPORT_MAX_ROWS};
		char *path = xasprintf("%s/r.html", dir);

		ck_assert_int_eq(report_write(&w.app, path, &o, &vr), LS_EXIT_SOFTWARE);
		ck_assert_int_eq(access(path, F_OK), -1);
		free(path);
	}
	world_free(&w);
	clock_set_real();
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = unit_tcase(s, "report", setup, teardown);

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, escape_hostile_strings);
	tcase_add_test(tc, axis_is_round_and_covers_the_data);
	tcase_add_test(tc, scale_for_one_and_many_points);
	tcase_add_test(tc, series_merges_beyond_the_point_limit);
	tcase_add_test(tc, charts_for_zero_one_and_many_points);
	tcase_add_test(tc, report_of_an_empty_database);
	tcase_add_test(tc, report_escapes_vendor_strings_and_shows_problems);
	tcase_add_test(tc, report_summarises_service_requests);
	tcase_add_test(tc, view_reads_what_awaits_an_operator);
	return s;
}

UNIT_MAIN(make_suite)
