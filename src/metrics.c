/* metrics.c - metrics_file in the Prometheus text format, published by rename. */
#include "lotsync/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "lotsync/clock.h"
#include "lotsync/fsio.h"
#include "lotsync/log.h"
#include "lotsync/store_ops.h"
#include "lotsync/util.h"

static void
family(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the exposition format quotes it. */
static void
label_value(FILE *fp, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else
			fputc(*p, fp);
	}
}

static void
label(FILE *fp, const char *name, const char *value)
{
	fprintf(fp, "{%s=\"", name);
	label_value(fp, value);
	fputs("\"}", fp);
}

/*
 * A run-level series name; under --shard with a shard label, so the N
 * shards' files side by side in one textfile directory never repeat a
 * series (feed and target series differ by their own labels already).
 */
static void
run_series(FILE *fp, const struct app *app, const char *name)
{
	fputs(name, fp);
	if (app->cfg.shard)
		label(fp, "shard", app->cfg.shard);
}

static void
run_metrics(struct app *app, const struct metrics_run *r, FILE *fp, long long now)
{
	long long success = r->exit_code == 0 ? now : 0;

	if (app->store && store_last_success(app->store, &success) == -1)
		success = r->exit_code == 0 ? now : 0;
	family(fp, "lotsync_run_last_timestamp_seconds", "gauge",
	       "When the last lotsync run ended (Unix time, the run's clock).");
	run_series(fp, app, "lotsync_run_last_timestamp_seconds");
	fprintf(fp, " %lld\n", now);
	family(fp, "lotsync_run_last_success_timestamp_seconds", "gauge",
	       "When the last run that exited 0 ended (0: none yet).");
	run_series(fp, app, "lotsync_run_last_success_timestamp_seconds");
	fprintf(fp, " %lld\n", success);
	family(fp, "lotsync_run_duration_seconds", "gauge", "How long the last run took.");
	run_series(fp, app, "lotsync_run_duration_seconds");
	fprintf(fp, " %.3f\n", r->duration);
	family(fp, "lotsync_run_exit_code", "gauge",
	       "Exit status of the last run (0 ok, 3 awaiting an operator, 65 quarantined, ...).");
	run_series(fp, app, "lotsync_run_exit_code");
	fprintf(fp, " %d\n", r->exit_code);
	family(fp, "lotsync_run_info", "gauge", "The command the last run executed.");
	fputs("lotsync_run_info{", fp);
	if (app->cfg.shard)
		fprintf(fp, "shard=\"%s\",", app->cfg.shard);
	fputs("command=\"", fp);
	label_value(fp, r->command);
	fputs("\"} 1\n", fp);
}

struct feed_metric {
	const char *name, *type, *help;
	size_t off;
};

#define FEED_FIELD(f) offsetof(struct feed_figures, f)
static const struct feed_metric feed_metrics[] = {
        {"lotsync_feed_last_applied_timestamp_seconds", "gauge",
         "Received time of the feed's newest applied snapshot (0: none).",
         FEED_FIELD(last_applied)},
        {"lotsync_feed_records", "gauge", "Current vehicles (or work orders) of the feed.",
         FEED_FIELD(records)},
        {"lotsync_feed_held_snapshots", "gauge",
         "Snapshots of the feed held by a guard, awaiting accept or reject.", FEED_FIELD(held)},
        {"lotsync_feed_quarantined_files_total", "counter",
         "Files of the feed moved to failed/ so far.", FEED_FIELD(quarantined)},
        {"lotsync_feed_rejected_rows_total", "counter", "Rows of the feed refused so far.",
         FEED_FIELD(rejected_rows)},
};

static int
feed_section(struct app *app, FILE *fp)
{
	size_t n = app->cfg.nfeeds;
	struct feed_figures *f = xcalloc(n ? n : 1, sizeof(*f));

	for (size_t i = 0; i < n; i++)
		if (store_feed_figures(app->store, app->cfg.feeds[i].name, &f[i]) == -1) {
			free(f);
			return -1;
		}
	for (size_t m = 0; m < ARRAY_SIZE(feed_metrics); m++) {
		family(fp, feed_metrics[m].name, feed_metrics[m].type, feed_metrics[m].help);
		for (size_t i = 0; i < n; i++) {
			long long v;

			memcpy(&v, (const char *)&f[i] + feed_metrics[m].off, sizeof(v));
			fputs(feed_metrics[m].name, fp);
			label(fp, "feed", app->cfg.feeds[i].name);
			fprintf(fp, " %lld\n", v);
		}
	}
	free(f);
	return 0;
}

static int
target_section(struct app *app, FILE *fp)
{
	size_t n = app->cfg.ntargets;
	struct target_figures *t = xcalloc(n ? n : 1, sizeof(*t));
	static const char *const names[] = {"lotsync_target_locked", "lotsync_target_pending_files",
	                                    "lotsync_target_last_delivery_timestamp_seconds"};
	static const char *const helps[] = {
	        "1 while the target's deviation lock holds its deliveries.",
	        "Export files waiting in outbox/ for delivery.",
	        "When the target's newest file was delivered (0: never)."};

	for (size_t i = 0; i < n; i++)
		if (store_target_figures(app->store, app->cfg.targets[i].name, &t[i]) == -1) {
			free(t);
			return -1;
		}
	for (size_t m = 0; m < ARRAY_SIZE(names); m++) {
		family(fp, names[m], "gauge", helps[m]);
		for (size_t i = 0; i < n; i++) {
			long long v = m == 0   ? t[i].locked
			              : m == 1 ? t[i].pending
			                       : t[i].last_delivery;

			fputs(names[m], fp);
			label(fp, "target", app->cfg.targets[i].name);
			fprintf(fp, " %lld\n", v);
		}
	}
	free(t);
	return 0;
}

int
metrics_render(struct app *app, const struct metrics_run *r, FILE *fp)
{
	run_metrics(app, r, fp, (long long)clock_now());
	if (!app->store)
		return 0;
	if (feed_section(app, fp) == -1 || target_section(app, fp) == -1)
		return -1;
	return 0;
}

int
metrics_write(struct app *app, const struct metrics_run *r)
{
	const char *path = app->cfg.metrics_file;
	char *text = NULL, *dir, *slash;
	size_t len = 0;
	FILE *fp;
	int rc;

	if (!path)
		return 0;
	if (!(fp = open_memstream(&text, &len)))
		return log_syserr("metrics: cannot render");
	rc = metrics_render(app, r, fp);
	if (fclose(fp) != 0)
		rc = log_syserr("metrics: cannot render");
	if (rc == 0) {
		dir = fsio_dirname(path);
		slash = strrchr(path, '/');
		/* 0644: the collector runs as another user. */
		rc = fsio_write_file_mode(dir, slash ? slash + 1 : path, text, len, 0644);
		free(dir);
	}
	free(text);
	return rc;
}
