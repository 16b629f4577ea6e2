/*
 * report.c - the self-contained HTML report for auditors and operators
 * (`lotsync report --html FILE`, cmd_report.c). report.h states what it
 * holds; this file writes the document, streaming every row from the store
 * to a temporary file that is renamed into place.
 */
#include "lotsync/report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/fsio.h"
#include "lotsync/html.h"
#include "lotsync/log.h"
#include "lotsync/report_chart.h"
#include "lotsync/rules.h"
#include "lotsync/store_report.h"
#include "lotsync/util.h"
#include "lotsync/view.h"

/* One report being written. */
struct report {
	struct app *app;
	struct store *st; /* app->store: NULL when there is no database yet */
	FILE *out;
	const struct report_opts *o;
	const struct verify_report *v;
	const struct view *view; /* what awaits an operator, feeds and targets shown */
	char now[CLOCK_ISO_LEN];
	int charts; /* SVG ids used so far */
};

/* Shorthands: literal markup, and escaped text. */
static void
put(struct report *r, const char *markup)
{
	fputs(markup, r->out);
}

static void
esc(struct report *r, const char *text)
{
	html_escape(r->out, text);
}

/* <tag>escaped text</tag>; a NULL text leaves the element empty. */
static void
cell(struct report *r, const char *tag, const char *text)
{
	fprintf(r->out, "<%s>", tag);
	esc(r, text);
	fprintf(r->out, "</%s>", tag);
}

static void
num(struct report *r, long long v)
{
	fprintf(r->out, "<td class=\"n\">%lld</td>", v);
}

static void
header_row(struct report *r, const char *const *names, size_t n)
{
	put(r, "<thead><tr>");
	for (size_t i = 0; i < n; i++)
		cell(r, "th", names[i]);
	put(r, "</tr></thead>\n<tbody>\n");
}

static void
head(struct report *r)
{
	put(r, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	       /* No script may run and nothing may be fetched, whatever a vendor's string holds. */
	       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
	       " style-src 'unsafe-inline'\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	       "<meta name=\"generator\" content=\"lotsync report\">\n<title>lotsync report ");
	esc(r, r->now);
	put(r, "</title>\n<style>\n"
	       "body{font:14px/1.45 system-ui,sans-serif;color:#222;max-width:1240px;"
	       "margin:1em auto;padding:0 1em}\n"
	       "h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ccc;"
	       "padding-bottom:.2em;margin-top:2em}h3{margin-bottom:.3em}\n"
	       "table{border-collapse:collapse;margin:.4em 0 1em;font-size:13px}\n"
	       "th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}\n"
	       "th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	       "code{font-family:ui-monospace,monospace;word-break:break-all}\n"
	       ".ok,.bad,.warn{padding:.5em 1em;margin:.6em 0;border-left:6px solid}\n"
	       ".ok{background:#e8f5e9;border-color:#2e7d32}\n"
	       ".bad{background:#fdecea;border-color:#c62828}\n"
	       ".warn{background:#fff8e1;border-color:#f9a825}\n"
	       "tr.held td{background:#fff3cd;font-weight:600}\n"
	       "tr.rejected td,tr.duplicate td{color:#777}\n"
	       ".note{color:#555;font-style:italic}figure{margin:.5em 0 1em}"
	       "figcaption{color:#555;font-size:12px}svg{max-width:100%;height:auto}\n"
	       "@media print{body{max-width:none}h2{break-before:page}}\n"
	       "</style>\n</head>\n<body>\n");
}

static void
intro(struct report *r)
{
	put(r, "<header>\n<h1>lotsync report</h1>\n<p>Generated at <time datetime=\"");
	esc(r, r->now);
	put(r, "\">");
	esc(r, r->now);
	put(r, "</time> (the lotsync clock: <code>--now</code> when given) from ");
	esc(r, r->app->cfg.path);
	put(r, ".<br>Database ");
	esc(r, r->app->cfg.database);
	put(r, r->st ? "" : " (none yet: nothing has been ingested)");
	if (r->o->feed) {
		put(r, "; only feed ");
		esc(r, r->o->feed);
		put(r, " and the targets that take it");
	}
	put(r, ".</p>\n</header>\n");
}

static void
audit(struct report *r)
{
	const struct verify_report *v = r->v;

	put(r, "<section id=\"audit\">\n<h2>Audit chain</h2>\n");
	if (!r->st) {
		put(r, "<div class=\"warn\"><p>No database yet: nothing to verify.</p></div>\n");
	} else if (v->problems == 0) {
		fprintf(r->out,
		        "<div class=\"ok\" id=\"verify\"><p><strong>Verification passed</strong>:"
		        " %lld chain entries linked, %lld snapshots match their manifests,"
		        " %lld archived files re-hashed.</p></div>\n",
		        v->entries, v->snapshots, v->files);
	} else {
		fprintf(r->out,
		        "<div class=\"bad\" id=\"verify\" role=\"alert\"><p><strong>VERIFICATION"
		        " FAILED</strong>: %lld problem%s (%lld chain entries, %lld snapshots,"
		        " %lld archived files checked). First: ",
		        v->problems, v->problems == 1 ? "" : "s", v->entries, v->snapshots,
		        v->files);
		esc(r, v->first);
		put(r, "</p><p><code>lotsync verify</code> lists every problem. This report"
		       " command exits 65.</p></div>\n");
	}
	put(r, "<p>Audit chain head: <code id=\"chain-head\">");
	esc(r, r->view->chain_head);
	put(r, "</code></p>\n<p class=\"note\">Whoever can write the database can recompute the"
	       " chain: keep copies of the head off this machine and compare them with this"
	       " one.</p>\n</section>\n");
}

/* Open an item of the list (and the list itself at the first), naming what and linking it. */
static void
attention_item(struct report *r, int *items, const char *what, const char *name, const char *anchor)
{
	put(r, (*items)++ == 0 ? "<ul>\n<li><strong>" : "<li><strong>");
	esc(r, what);
	put(r, " <a href=\"#");
	esc(r, anchor);
	put(r, "\">");
	esc(r, name);
	put(r, "</a></strong>: ");
}

/* Held snapshots of a feed, one line each with what an operator can do. */
static void
attention_held(struct report *r, const struct view_feed *f, int *items)
{
	char *anchor = xasprintf("feed-%s", f->conf->name);

	for (size_t i = 0; i < f->nheld; i++) {
		const struct snapshot_info *s = &f->held[i];

		attention_item(r, items, "Feed", f->conf->name, anchor);
		fprintf(r->out, "<a href=\"#snapshot-%lld\">snapshot %lld</a> (", s->id, s->id);
		esc(r, s->file);
		put(r, ", received ");
		esc(r, s->received_at);
		put(r, ") is <strong>held</strong>: ");
		esc(r, s->hold_reason);
		fprintf(r->out,
		        ". <code>lotsync accept %lld</code> or <code>lotsync reject"
		        " %lld</code></li>\n",
		        s->id, s->id);
	}
	free(anchor);
}

/* Work orders flagged as a probable date typo (kind = workorder feeds). */
static void
attention_typos(struct report *r, const struct view_feed *f, int *items)
{
	char *anchor = xasprintf("feed-%s", f->conf->name);

	for (size_t i = 0; i < f->wo.ntypos; i++) {
		const struct store_wo_typo *t = &f->wo.typos[i];

		attention_item(r, items, "Feed", f->conf->name, anchor);
		put(r, "work order <strong>");
		esc(r, t->wo_number ? t->wo_number : t->key);
		put(r, "</strong>: <strong>probable date typo</strong>: appointment ");
		esc(r, t->appointment_at ? t->appointment_at : "?");
		put(r, " as read, ");
		esc(r, t->swapped_at ? t->swapped_at : "?");
		put(r, " with day and month swapped; fix it in the DMS</li>\n");
	}
	if (f->wo.typos_total > (long long)f->wo.ntypos)
		fprintf(r->out,
		        "<li>and %lld more probable date typos (<code>lotsync "
		        "status</code>)</li>\n",
		        f->wo.typos_total - (long long)f->wo.ntypos);
	free(anchor);
}

static void
attention_target(struct report *r, const struct view_target *v, int *items)
{
	const char *name = v->conf->name;
	char *anchor = xasprintf("target-%s", name);

	if (v->ti.locked) {
		attention_item(r, items, "Target", name, anchor);
		put(r, "<strong>locked</strong> since ");
		esc(r, v->ti.locked_at);
		put(r, ": ");
		esc(r, v->ti.lock_reason);
		put(r, ". <code>lotsync unlock ");
		esc(r, name);
		put(r, "</code></li>\n");
	}
	if (v->st.error_at) {
		attention_item(r, items, "Target", name, anchor);
		put(r, "delivery failed at ");
		esc(r, v->st.error_at);
		put(r, ": ");
		esc(r, v->st.error_reply);
		put(r, "</li>\n");
	}
	if (v->last.held > 0) {
		attention_item(r, items, "Target", name, anchor);
		fprintf(r->out, "%lld new vehicle%s await <code>lotsync release ", v->last.held,
		        v->last.held == 1 ? "" : "s");
		esc(r, name);
		put(r, "</code></li>\n");
	}
	free(anchor);
}

/* Everything an operator has to act on, at the top. */
static void
attention(struct report *r)
{
	int items = 0;

	put(r, "<section id=\"attention\">\n<h2>Needs attention</h2>\n");
	if (r->st && r->v->problems > 0) {
		attention_item(r, &items, "Audit", "chain", "audit");
		put(r, "verification FAILED</li>\n");
	}
	for (size_t i = 0; i < r->view->nfeeds; i++) {
		attention_held(r, &r->view->feeds[i], &items);
		attention_typos(r, &r->view->feeds[i], &items);
	}
	for (size_t i = 0; i < r->view->ntargets; i++)
		attention_target(r, &r->view->targets[i], &items);
	put(r, items ? "</ul>\n" : "<div class=\"ok\"><p>Nothing awaits an operator.</p></div>\n");
	put(r, "</section>\n");
}

/* A link to a section: <a href="#PREFIX-NAME">NAME</a>. */
static void
section_link(struct report *r, const char *prefix, const char *name)
{
	put(r, " <a href=\"#");
	put(r, prefix);
	esc(r, name);
	put(r, "\">");
	esc(r, name);
	put(r, "</a>");
}

static void
contents(struct report *r)
{
	put(r, "<nav>\n<p>Feeds:");
	for (size_t i = 0; i < r->view->nfeeds; i++)
		section_link(r, "feed-", r->view->feeds[i].conf->name);
	/* Configured targets, also when --feed leaves none of them in. */
	put(r, r->app->cfg.ntargets ? "<br>Targets:" : "");
	for (size_t i = 0; i < r->view->ntargets; i++)
		section_link(r, "target-", r->view->targets[i].conf->name);
	put(r, "</p>\n</nav>\n");
}

/* "Showing the newest N of M WHAT; HINT." when a table is cut; hint is escaped and freed. */
static void
cut_note(struct report *r, long long shown, long long total, const char *what, char *hint)
{
	if (shown < total) {
		fprintf(r->out, "<p class=\"note\">Showing the newest %lld of %lld %s; ", shown,
		        total, what);
		esc(r, hint);
		put(r, ".</p>\n");
	}
	free(hint);
}

static long long
cap(long long limit, long long total)
{
	return limit > 0 && limit < total ? limit : total;
}

/* The last cell of a snapshot row: why it is held and what was decided. */
static void
snapshot_outcome(struct report *r, const struct snapshot_info *s)
{
	put(r, "<td>");
	if (s->state == SNAP_HELD) {
		put(r, "<strong>awaiting an operator</strong>: ");
		esc(r, s->hold_reason);
		fprintf(r->out,
		        " (<code>lotsync accept %lld</code> or <code>lotsync reject %lld</code>)",
		        s->id, s->id);
	} else if (s->state == SNAP_DUPLICATE) {
		put(r, "same content as an earlier file: not applied again");
	} else if (s->hold_reason || s->decided) {
		put(r, "was held: ");
		esc(r, s->hold_reason);
		put(r, "; ");
		esc(r, s->decided);
	}
	put(r, "</td>");
}

static int
snapshot_row(void *ctx, const struct snapshot_info *s)
{
	struct report *r = ctx;
	const char *state = snapshot_state_name(s->state);
	char sha[13];

	snprintf(sha, sizeof(sha), "%s", s->sha256 ? s->sha256 : "");
	fprintf(r->out, "<tr class=\"%s\" id=\"snapshot-%lld\"><td class=\"n\">%lld</td>", state,
	        s->id, s->id);
	cell(r, "td", s->state == SNAP_HELD ? "HELD" : state);
	cell(r, "td", s->received_at);
	fprintf(r->out, "<td title=\"%lld bytes from ", s->size);
	esc(r, s->source);
	put(r, ", profile ");
	esc(r, s->profile);
	put(r, "\">");
	esc(r, s->file);
	put(r, "</td><td><code title=\"");
	esc(r, s->sha256);
	put(r, "\">");
	esc(r, sha);
	put(r, "</code></td>");
	num(r, s->vehicles);
	num(r, s->new_);
	num(r, s->changed);
	num(r, s->vanished);
	num(r, s->rejected_rows);
	snapshot_outcome(r, s);
	put(r, "</tr>\n");
	return ferror(r->out) ? 1 : 0;
}

static int
snapshot_table(struct report *r, const struct feed_conf *f, const struct feed_totals *t)
{
	static const char *const cols[] = {"ID",       "State",         "Received",      "File",
	                                   "SHA-256",  "Vehicles",      "New",           "Changed",
	                                   "Vanished", "Rejected rows", "Held / decided"};
	int rc;

	put(r, "<h3>Snapshots</h3>\n");
	if (t->snapshots == 0) {
		put(r, "<p>No snapshots yet.</p>\n");
		return 0;
	}
	cut_note(r, cap(r->o->max_rows, t->snapshots), t->snapshots, "snapshots",
	         xasprintf("'lotsync snapshots %s' lists them all", f->name));
	put(r, "<table class=\"snapshots\">\n");
	header_row(r, cols, ARRAY_SIZE(cols));
	rc = store_each_snapshot(r->st, f->name, r->o->max_rows, snapshot_row, r);
	put(r, "</tbody>\n</table>\n");
	return rc == -1 ? -1 : 0;
}

static int
add_point(void *ctx, const struct snapshot_info *s)
{
	report_series_add(ctx, s);
	return 0;
}

static int
charts(struct report *r, const struct feed_conf *f, const struct feed_totals *t)
{
	struct report_series *s = xmalloc(sizeof(*s));
	int rc = 0;

	report_series_init(s, t->applied);
	if (r->st)
		rc = store_each_applied(r->st, f->name, add_point, s);
	if (rc == 0) {
		put(r, "<h3>Inventory over time</h3>\n<figure>\n");
		report_chart_vehicles(r->out, ++r->charts, f->name, s);
		put(r, "<figcaption>Vehicles after each applied snapshot. Held, rejected and"
		       " duplicate files change nothing and are only in the table.</figcaption>\n"
		       "</figure>\n<figure>\n");
		report_chart_changes(r->out, ++r->charts, f->name, s);
		put(r, "<figcaption>New, changed and vanished vehicles per applied snapshot. The"
		       " first snapshot counts every vehicle as new.</figcaption>\n</figure>\n");
	}
	free(s);
	return rc;
}

static int
reject_row(void *ctx, long long snapshot, const struct row_error *e)
{
	struct report *r = ctx;

	fprintf(r->out, "<tr><td class=\"n\"><a href=\"#snapshot-%lld\">%lld</a></td>", snapshot,
	        snapshot);
	num(r, (long long)e->line);
	cell(r, "td", e->field);
	cell(r, "td", e->reason);
	put(r, "</tr>\n");
	return ferror(r->out) ? 1 : 0;
}

static int
rejects(struct report *r, const struct feed_conf *f, const struct feed_totals *t)
{
	static const char *const cols[] = {"Snapshot", "Line", "Field", "Reason"};
	int rc;

	if (t->rejected_rows == 0)
		return 0;
	put(r, "<h3>Rejected rows</h3>\n");
	cut_note(r, cap(REPORT_LIST_ROWS, t->rejected_rows), t->rejected_rows, "rejected rows",
	         xstrdup("'lotsync show SNAPSHOT --rejected' lists those of a snapshot"));
	put(r, "<table>\n");
	header_row(r, cols, ARRAY_SIZE(cols));
	rc = store_each_feed_reject(r->st, f->name, REPORT_LIST_ROWS, reject_row, r);
	put(r, "</tbody>\n</table>\n");
	return rc == -1 ? -1 : 0;
}

static int
quarantine_row(void *ctx, const struct quarantine_info *q)
{
	struct report *r = ctx;
	char sha[13];

	snprintf(sha, sizeof(sha), "%s", q->sha256 ? q->sha256 : "");
	put(r, "<tr>");
	cell(r, "td", q->at);
	cell(r, "td", q->file);
	put(r, "<td><code title=\"");
	esc(r, q->sha256);
	put(r, "\">");
	esc(r, sha);
	put(r, "</code></td>");
	cell(r, "td", q->reason);
	put(r, "</tr>\n");
	return ferror(r->out) ? 1 : 0;
}

static int
quarantined(struct report *r, const struct feed_conf *f, const struct feed_totals *t)
{
	static const char *const cols[] = {"Quarantined at", "File", "SHA-256", "Reason"};
	int rc;

	if (t->quarantined == 0)
		return 0;
	put(r, "<h3>Quarantined files</h3>\n<p>Files that could not be read as the profile says:"
	       " each is in <code>failed/");
	esc(r, f->name);
	put(r, "/</code> with a <code>.reason</code> file, and archived by SHA-256.</p>\n");
	cut_note(r, cap(REPORT_LIST_ROWS, t->quarantined), t->quarantined, "quarantined files",
	         xasprintf("the others are in failed/%s/ too", f->name));
	put(r, "<table>\n");
	header_row(r, cols, ARRAY_SIZE(cols));
	rc = store_each_quarantine(r->st, f->name, REPORT_LIST_ROWS, quarantine_row, r);
	put(r, "</tbody>\n</table>\n");
	return rc == -1 ? -1 : 0;
}

static int
closed_sr_row(void *ctx, const struct sr_info *s)
{
	struct report *r = ctx;

	fprintf(r->out, "<tr><td class=\"n\">%lld</td>", s->id);
	cell(r, "td", s->vin);
	cell(r, "td", s->dealer_id);
	cell(r, "td", s->client);
	cell(r, "td", s->sr_type);
	cell(r, "td", s->created_at);
	cell(r, "td", s->closed_at);
	cell(r, "td", s->close_reason);
	put(r, "</tr>\n");
	return ferror(r->out) ? 1 : 0;
}

static int
service_requests(struct report *r, const struct feed_conf *f, const struct feed_totals *t)
{
	static const char *const cols[] = {"SR",      "VIN",     "Dealer", "Client",
	                                   "SR type", "Created", "Closed", "Why"};
	int rc;

	/* A feed without [client:] mappings does not use rules (SPEC §6). */
	if (!rules_active(&r->app->cfg, f) && t->srs_open + t->srs_closed == 0)
		return 0;
	fprintf(r->out,
	        "<h3>Service requests</h3>\n<table>\n<thead><tr><th>Open</th><th>Closed</th>"
	        "</tr></thead>\n<tbody><tr><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
	        "</tr></tbody>\n</table>\n",
	        t->srs_open, t->srs_closed);
	if (t->srs_closed == 0)
		return 0;
	put(r, "<p>Most recently closed:</p>\n");
	cut_note(r, cap(REPORT_SR_ROWS, t->srs_closed), t->srs_closed, "closed service requests",
	         xasprintf("'lotsync srs --closed --feed %s' lists them all", f->name));
	put(r, "<table>\n");
	header_row(r, cols, ARRAY_SIZE(cols));
	rc = store_each_sr_closed(r->st, f->name, REPORT_SR_ROWS, closed_sr_row, r);
	put(r, "</tbody>\n</table>\n");
	return rc == -1 ? -1 : 0;
}

static void
feed_summary(struct report *r, const struct feed_conf *f, const struct feed_totals *t)
{
	put(r, "<p>Source <code>");
	esc(r, f->source);
	put(r, "</code>, profile <code>");
	esc(r, f->profile);
	put(r, f->key == FEED_KEY_STOCK ? "</code>, key dealer + stock number.<br>"
	                                : "</code>, key VIN.<br>");
	fprintf(r->out,
	        "Snapshots: %lld (applied %lld, held %lld, rejected %lld, duplicate %lld)."
	        " Rejected rows: %lld. Quarantined files: %lld.</p>\n",
	        t->snapshots, t->applied, t->held, t->rejected, t->duplicate, t->rejected_rows,
	        t->quarantined);
	if (t->held > 0)
		fprintf(r->out,
		        "<div class=\"warn\"><p><strong>%lld snapshot%s held</strong> by the vanish"
		        " guard, awaiting an operator (highlighted below). Newer files of the feed"
		        " wait behind %s.</p></div>\n",
		        t->held, t->held == 1 ? "" : "s", t->held == 1 ? "it" : "them");
}

static int
feed_section(struct report *r, const struct feed_conf *f)
{
	struct feed_totals t = {0};

	put(r, "<section id=\"feed-");
	esc(r, f->name);
	put(r, "\">\n<h2>Feed ");
	esc(r, f->name);
	put(r, "</h2>\n");
	if (r->st && store_feed_totals(r->st, f->name, &t) == -1)
		return -1;
	feed_summary(r, f, &t);
	if (charts(r, f, &t) != 0 || snapshot_table(r, f, &t) != 0 || rejects(r, f, &t) != 0 ||
	    quarantined(r, f, &t) != 0 || service_requests(r, f, &t) != 0)
		return -1;
	put(r, "</section>\n");
	return 0;
}

/* A row of a two-column table: heading, then markup the caller writes. */
static void
kv(struct report *r, const char *key)
{
	put(r, "<tr>");
	cell(r, "th", key);
	put(r, "<td>");
}

static void
target_lock(struct report *r, const struct view_target *v)
{
	kv(r, "Deviation lock");
	if (v->ti.locked) {
		put(r, "<strong>LOCKED</strong> since ");
		esc(r, v->ti.locked_at);
		put(r, ": ");
		esc(r, v->ti.lock_reason);
		fprintf(r->out,
		        " (last delivery %lld vehicles, export %lld). <code>lotsync unlock ",
		        v->ti.lock_baseline, v->ti.lock_vehicles);
		esc(r, v->conf->name);
		put(r, "</code> sends");
	} else {
		put(r, "not locked");
	}
	put(r, "</td></tr>\n");
}

static void
target_facts(struct report *r, const struct view_target *v)
{
	const struct target_conf *t = v->conf;

	put(r, "<table>\n<tbody>\n");
	kv(r, "Destination");
	put(r, "<code>");
	esc(r, t->url);
	put(r, "</code></td></tr>\n");
	kv(r, "Format, mode");
	esc(r, t->format);
	put(r, t->mode == EXPORT_DELTA ? ", delta</td></tr>\n" : ", full</td></tr>\n");
	kv(r, "Feeds");
	for (size_t i = 0; i < t->nfeeds; i++) {
		put(r, i ? ", " : "");
		esc(r, t->feeds[i]);
	}
	put(r, "</td></tr>\n");
	target_lock(r, v);
	kv(r, "Queue");
	fprintf(r->out, "%lld file%s waiting</td></tr>\n", v->st.pending,
	        v->st.pending == 1 ? "" : "s");
	kv(r, "Last delivery");
	esc(r, v->st.last_delivery ? v->st.last_delivery : "never");
	if (v->ti.baseline >= 0)
		fprintf(r->out, " (%lld vehicles)", v->ti.baseline);
	put(r, "</td></tr>\n");
	kv(r, "Last error");
	if (v->st.error_at) {
		esc(r, v->st.error_at);
		put(r, " ");
		esc(r, v->st.error_file);
		put(r, ": ");
		esc(r, v->st.error_reply);
	} else {
		put(r, "none since the last delivery");
	}
	put(r, "</td></tr>\n");
	kv(r, "Awaiting release");
	fprintf(r->out, "%lld new vehicles</td></tr>\n</tbody>\n</table>\n", v->last.held);
}

static void
target_queue(struct report *r, const struct view_target *v)
{
	static const char *const cols[] = {"Queued file", "Created", "Kind",
	                                   "Vehicles",    "Rows",    "Cell warnings"};
	long long shown = cap(REPORT_LIST_ROWS, (long long)v->nqueue);

	if (v->nqueue == 0)
		return;
	if (shown < (long long)v->nqueue)
		fprintf(r->out,
		        "<p class=\"note\">Showing the oldest %lld of %zu queued files.</p>\n",
		        shown, v->nqueue);
	put(r, "<table>\n");
	header_row(r, cols, ARRAY_SIZE(cols));
	for (long long i = 0; i < shown; i++) {
		const struct export_info *e = &v->queue[i];

		put(r, "<tr>");
		cell(r, "td", e->file);
		cell(r, "td", e->created_at);
		cell(r, "td", e->kind);
		num(r, e->vehicles);
		num(r, e->rows);
		num(r, e->warnings);
		put(r, "</tr>\n");
	}
	put(r, "</tbody>\n</table>\n");
}

static void
target_section(struct report *r, const struct view_target *v)
{
	put(r, "<section id=\"target-");
	esc(r, v->conf->name);
	put(r, "\">\n<h2>Target ");
	esc(r, v->conf->name);
	put(r, "</h2>\n");
	target_facts(r, v);
	target_queue(r, v);
	put(r, "</section>\n");
}

static int
body(struct report *r)
{
	head(r);
	intro(r);
	audit(r);
	attention(r);
	contents(r);
	for (size_t i = 0; i < r->view->nfeeds; i++)
		if (feed_section(r, r->view->feeds[i].conf) != 0)
			return -1;
	for (size_t i = 0; i < r->view->ntargets; i++)
		target_section(r, &r->view->targets[i]);
	put(r, "<footer>\n<p class=\"note\">Written by <code>lotsync report</code>, which only"
	       " reads: nothing was changed. Chain head ");
	esc(r, r->view->chain_head);
	put(r, ".</p>\n</footer>\n</body>\n</html>\n");
	return 0;
}

/* Write the document to fd through a stdio stream of its own descriptor. */
static enum ls_exit
write_doc(struct report *r, int fd, const char *tmp)
{
	int dup_fd = dup(fd);
	int rc;

	if (dup_fd == -1 || !(r->out = fdopen(dup_fd, "w"))) {
		log_syserr("cannot write %s", tmp);
		if (dup_fd != -1)
			close(dup_fd);
		return LS_EXIT_IOERR;
	}
	rc = body(r);
	if (ferror(r->out)) {
		log_error("cannot write %s", tmp);
		fclose(r->out);
		return LS_EXIT_IOERR;
	}
	if (fclose(r->out) == EOF) {
		log_syserr("cannot write %s", tmp);
		return LS_EXIT_IOERR;
	}
	if (rc == 0)
		return LS_EXIT_OK;
	return store_failure(r->st);
}

/* The check verify runs, then the view the document shows (its chain head read after). */
static enum ls_exit
verify_and_view(struct report *r, struct verify_report *v, struct view *view)
{
	char *archive;
	int rc = 0;

	memset(v, 0, sizeof(*v));
	if (r->st) {
		archive = spool_path(&r->app->spool, SPOOL_ARCHIVE, NULL);
		rc = store_verify(r->st, archive, v);
		free(archive);
	}
	if (rc == -1 || view_load(view, &r->app->cfg, &r->app->spool, r->st, 0, r->o->feed) == -1)
		return LS_EXIT_SOFTWARE;
	/* A report must not look complete when part of it could not be read. */
	if (view->errors > 0)
		return store_failure(r->st);
	r->view = view;
	return LS_EXIT_OK;
}

enum ls_exit
report_write(struct app *app, const char *path, const struct report_opts *o,
             struct verify_report *v)
{
	struct report r = {.app = app, .st = app->store, .o = o, .v = v};
	struct view view = {0};
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	char *dir = fsio_dirname(path), *tmp = NULL;
	enum ls_exit rc;
	int fd;

	clock_format(clock_now(), r.now);
	if ((rc = verify_and_view(&r, v, &view)) != LS_EXIT_OK)
		goto out;
	if ((fd = fsio_mktemp(dir, name, &tmp)) == -1) {
		rc = LS_EXIT_IOERR;
		goto out;
	}
	if ((rc = write_doc(&r, fd, tmp)) != LS_EXIT_OK)
		fsio_discard(fd, tmp);
	else if (fsio_commit(fd, tmp, dir, name) == -1)
		rc = LS_EXIT_IOERR;
	else
		log_info("wrote report %s", path);
out:
	view_release(&view);
	free(tmp);
	free(dir);
	return rc;
}
