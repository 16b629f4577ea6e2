/* ingest.c - one claimed file -> archive, parse, diff against the feed, store: one transaction. */
#include "lotsync/ingest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/clock.h"
#include "lotsync/fsio.h"
#include "lotsync/keymap.h"
#include "lotsync/log.h"
#include "lotsync/profile.h"
#include "lotsync/reader.h"
#include "lotsync/util.h"

/* Everything one file's ingest needs; lives for that file only. */
struct ingest_file {
	struct app *app;
	const struct feed_conf *feed;
	const struct profile *prof;
	const char *name;  /* file name, for messages */
	struct keymap map; /* key -> current version, and keys seen in this file */
	struct snapshot_info info;
	char *why; /* file-level failure, for the .reason file */
};

static enum ls_scope
reject_row(struct ingest_file *f, struct row_error *e)
{
	log_info("%s:%lu: row rejected%s%s: %s", f->name, e->line, e->field ? ": field " : "",
	         e->field ? e->field : "", e->reason);
	f->info.rejected_rows++;
	if (store_reject_add(f->app->store, f->info.id, e) == -1) {
		row_error_release(e);
		return LS_BAD_RUN;
	}
	row_error_release(e);
	return LS_BAD_RECORD;
}

/* Compare one parsed record with the feed's current version of its key. */
static enum ls_scope
apply_record(struct ingest_file *f, const struct record *r)
{
	struct keymap_entry *e = keymap_get(&f->map, r->key);
	struct store *st = f->app->store;

	if (e && e->seen_line) {
		struct row_error err = {
		        .line = r->line,
		        .field = xstrdup(f->feed->key == FEED_KEY_VIN ? "vin" : "stock_no"),
		        .reason = xasprintf("duplicate key '%s' (first on line %lu)", r->key,
		                            e->seen_line)};

		return reject_row(f, &err);
	}
	if (!e)
		e = keymap_put(&f->map, r->key);
	e->seen_line = r->line;
	f->info.vehicles++;
	if (e->current && e->hash == r->hash)
		return LS_OK;
	if (e->current) {
		f->info.changed++;
		if (store_version_end(st, e->version, f->info.seq) == -1)
			return LS_BAD_RUN;
	} else {
		f->info.new_++;
	}
	e->hash = r->hash;
	e->version = store_version_add(st, f->feed->name, f->info.seq, f->info.id, r);
	return e->version < 0 ? LS_BAD_RUN : LS_OK;
}

static enum ls_scope
on_record(void *ctx, const struct record *r)
{
	return apply_record(ctx, r);
}

static enum ls_scope
on_reject(void *ctx, struct row_error *e)
{
	return reject_row(ctx, e);
}

static enum ls_scope
on_warn(void *ctx, const struct row_warning *w)
{
	struct ingest_file *f = ctx;

	return store_warning_add(f->app->store, f->info.id, w) == -1 ? LS_BAD_RUN : LS_OK;
}

/* Versions of keys the file no longer has end at this snapshot. */
static int
end_vanished(struct ingest_file *f)
{
	for (size_t i = 0; i < f->map.cap; i++) {
		struct keymap_entry *e = &f->map.slots[i];

		if (!e->key || !e->current || e->seen_line)
			continue;
		f->info.vanished++;
		if (store_version_end(f->app->store, e->version, f->info.seq) == -1)
			return -1;
	}
	return 0;
}

static enum ls_scope
parse_into_snapshot(struct ingest_file *f, const char *path)
{
	struct reader_cb cb = {.record = on_record, .reject = on_reject, .warn = on_warn, .ctx = f};
	enum ls_scope sc;

	if (store_load_current(f->app->store, f->feed->name, &f->map) == -1)
		return LS_BAD_RUN;
	sc = reader_read(f->prof, f->feed, path, f->name, &cb, &f->why);
	if (sc >= LS_BAD_FILE)
		return sc;
	if (end_vanished(f) == -1 || store_snapshot_set_counts(f->app->store, &f->info) == -1)
		return LS_BAD_RUN;
	return LS_OK;
}

/* Move a work file to failed/<feed>/ with a .reason file next to it. */
static void
quarantine(struct app *app, const struct feed_conf *feed, const char *path, const char *name,
           const char *sha, const char *why)
{
	char *dir = spool_path(&app->spool, SPOOL_FAILED, feed->name);
	char *rname = xasprintf("%s.reason", name), *text;
	char now[CLOCK_ISO_LEN];

	clock_format(clock_now(), now);
	text = xasprintf("file: %s\nsha256: %s\nat: %s\nreason: %s\n", name, sha, now, why);
	if (fsio_write_file(dir, rname, text, strlen(text)) == -1 ||
	    fsio_move(path, dir, name) == -1) {
		app_status(app, LS_EXIT_IOERR);
	} else {
		spool_drop_marker(path);
		log_error("%s: quarantined in %s (reason in %s)", name, dir, rname);
	}
	if (store_begin(app->store) == 0) {
		if (store_quarantine_add(app->store, app->run, feed->name, name, sha, why, now) ==
		            -1 ||
		    store_commit(app->store) == -1)
			store_rollback(app->store);
	}
	app_status(app, LS_EXIT_DATAERR);
	free(text);
	free(rname);
	free(dir);
}

static int
archive(struct app *app, const struct feed_conf *feed, const char *path, const char *sha)
{
	char *dir = spool_path(&app->spool, SPOOL_ARCHIVE, feed->name);
	int rc = fsio_copy(path, dir, sha);

	free(dir);
	return rc;
}

static void
finish_work_file(struct app *app, const char *path)
{
	if (unlink(path) == -1 && errno != ENOENT) {
		log_syserr("cannot remove %s", path);
		app_status(app, LS_EXIT_IOERR);
	}
	spool_drop_marker(path);
}

/* Record a re-delivered file as a duplicate snapshot of the earlier one. */
static int
record_duplicate(struct app *app, struct snapshot_info *info, long long first)
{
	info->state = SNAP_DUPLICATE;
	log_info("%s: same content as snapshot %lld; recorded as duplicate, not applied",
	         info->file, first);
	if (store_begin(app->store) == -1)
		return -1;
	if ((info->id = store_snapshot_add(app->store, app->run, info)) < 0 ||
	    store_commit(app->store) == -1) {
		store_rollback(app->store);
		return -1;
	}
	return 0;
}

static void
ingest_file(struct app *app, const struct feed_conf *feed, const struct profile *prof,
            const struct spool_file *wf, bool leftover, struct ingest_summary *sum)
{
	struct ingest_file f = {.app = app, .feed = feed, .prof = prof, .name = wf->name};
	char sha[FSIO_SHA256_HEX], now[CLOCK_ISO_LEN];
	uint64_t size;
	long long first;
	enum ls_scope sc;

	keymap_init(&f.map);
	if (fsio_sha256_file(wf->path, sha, &size) == -1 ||
	    archive(app, feed, wf->path, sha) == -1) {
		app_status(app, LS_EXIT_IOERR);
		goto out;
	}
	f.info = (struct snapshot_info){.feed = feed->name,
	                                .state = SNAP_APPLIED,
	                                .sha256 = sha,
	                                .size = (long long)size,
	                                .file = wf->name,
	                                .source = "drop",
	                                .profile = prof->name,
	                                .received_at = clock_format(clock_now(), now)};
	if ((first = store_snapshot_by_sha(app->store, feed->name, sha)) < 0)
		goto db_fail;
	if (first > 0) {
		/* A leftover in work/ whose content is recorded was committed before a crash. */
		if (!leftover && record_duplicate(app, &f.info, first) == -1)
			goto db_fail;
		sum->duplicates += !leftover;
		finish_work_file(app, wf->path);
		goto out;
	}
	if (store_begin(app->store) == -1)
		goto db_fail;
	if ((f.info.seq = store_feed_next_seq(app->store, feed->name)) < 0 ||
	    (f.info.id = store_snapshot_add(app->store, app->run, &f.info)) < 0)
		goto rollback;
	sc = parse_into_snapshot(&f, wf->path);
	if (sc == LS_BAD_FILE) {
		store_rollback(app->store);
		quarantine(app, feed, wf->path, wf->name, sha,
		           f.why ? f.why : "cannot be read as its profile says");
		sum->quarantined++;
		goto out;
	}
	if (sc != LS_OK || store_commit(app->store) == -1)
		goto rollback;
	finish_work_file(app, wf->path);
	if (f.info.rejected_rows)
		log_warn("%s: %lld rows rejected; see 'lotsync show %lld --rejected'", wf->name,
		         f.info.rejected_rows, f.info.id);
	sum->files++;
	sum->vehicles = f.info.vehicles;
	sum->new_ += f.info.new_;
	sum->changed += f.info.changed;
	sum->vanished += f.info.vanished;
	sum->rejected += f.info.rejected_rows;
	sum->last_snapshot = f.info.id;
	goto out;
rollback:
	store_rollback(app->store);
db_fail:
	app_status(app, store_disk_full(app->store) ? LS_EXIT_IOERR : LS_EXIT_SOFTWARE);
out:
	keymap_release(&f.map);
	free(f.why);
}

static void
ingest_list(struct app *app, const struct feed_conf *feed, const struct profile *prof,
            struct spool_scan *scan, bool leftover, struct ingest_summary *sum)
{
	for (size_t i = 0; i < scan->nfiles; i++) {
		char *claimed = NULL;
		struct spool_file wf = scan->files[i];

		if (!leftover) {
			if (!(claimed = spool_claim(&app->spool, feed->name, &scan->files[i])))
				continue;
			wf.path = claimed;
		}
		ingest_file(app, feed, prof, &wf, leftover, sum);
		free(claimed);
	}
}

void
ingest_feed(struct app *app, const struct feed_conf *feed, struct ingest_summary *sum)
{
	struct profile prof;
	struct spool_scan scan;

	memset(sum, 0, sizeof(*sum));
	log_scope(feed->name);
	if (profile_load(app->cfg.dir, feed->profile, &prof) != 0) {
		app_status(app, LS_EXIT_CONFIG);
		goto out;
	}
	if (spool_prepare_feed(&app->spool, feed->name) == -1) {
		app_status(app, LS_EXIT_IOERR);
		goto out;
	}
	/* Files an interrupted run claimed come first: they arrived first. */
	if (spool_scan_work(&app->spool, feed->name, &scan) == 0) {
		ingest_list(app, feed, &prof, &scan, true, sum);
		spool_scan_release(&scan);
	}
	if (spool_scan_incoming(&app->spool, feed->name, app->cfg.settle_seconds, &scan) == 0) {
		sum->refused = scan.refused;
		sum->waiting = scan.waiting;
		if (scan.refused)
			app_status(app, LS_EXIT_DATAERR);
		ingest_list(app, feed, &prof, &scan, false, sum);
		spool_scan_release(&scan);
	} else {
		app_status(app, LS_EXIT_IOERR);
	}
out:
	profile_release(&prof);
	log_scope(NULL);
}
