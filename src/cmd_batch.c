/*
 * cmd_batch.c - the batch commands (run, fetch, ingest, export, deliver):
 * one batch (batchrun.h) over the named feeds and their targets. Every stage
 * returns its exit condition and the batch folds them (status_worse); a
 * run-level error in ingest stops the batch.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/batchrun.h"
#include "lotsync/cmd.h"
#include "lotsync/deliver.h"
#include "lotsync/export.h"
#include "lotsync/fetch.h"
#include "lotsync/guard.h"
#include "lotsync/ingest.h"
#include "lotsync/log.h"
#include "lotsync/srs.h"
#include "lotsync/util.h"

/* Every name given must be configured: a typo must not pass as "nothing to do". */
static int
check_names(struct app *app, int argc, char **argv, bool feeds)
{
	int bad = 0;

	for (int i = 0; i < argc; i++) {
		if (feeds ? config_feed(&app->cfg, argv[i]) != NULL
		          : config_target(&app->cfg, argv[i]) != NULL)
			continue;
		if (app->cfg.shard && feeds)
			log_error(
			        "no feed named '%s' in shard %s of %s (by its name it would be in "
			        "shard %u)",
			        argv[i], app->cfg.shard, app->cfg.path,
			        config_shard_of(argv[i], app->shard_n));
		else
			log_error("no %s named '%s' in %s%s%s", feeds ? "feed" : "target", argv[i],
			          app->cfg.path, app->cfg.shard ? " shard " : "",
			          app->cfg.shard ? app->cfg.shard : "");
		bad++;
	}
	return bad ? -1 : 0;
}

/* What a feed's records are called in a summary. */
static const char *
kind_words(const struct app *app, const char *feed)
{
	const struct feed_conf *f = config_feed(&app->cfg, feed);

	return f && f->kind == FEED_KIND_WORKORDER ? "work orders" : "vehicles";
}

static void
print_ingest(const struct app *app, const char *feed, const struct ingest_summary *s)
{
	if (!app->verbose || app->json)
		return;
	if (s->held_total)
		printf("feed %s: %u snapshot(s) held for an operator (see lotsync "
		       "status)\n",
		       feed, s->held_total);
	if (s->files + s->duplicates + s->quarantined == 0)
		printf("feed %s: no new file (%u waiting to settle, %u refused)\n", feed,
		       s->waiting, s->refused);
	else
		printf("feed %s: %u file(s), %lld %s, %lld new, %lld changed, "
		       "%lld vanished, %lld rows rejected, %u duplicate(s), "
		       "%u quarantined, %u waiting\n",
		       feed, s->files, s->vehicles, kind_words(app, feed), s->new_, s->changed,
		       s->vanished, s->rejected, s->duplicates, s->quarantined, s->waiting);
}

/* The next feed this batch ingests after feed i, or cfg.nfeeds. */
static size_t
next_feed(struct batchrun *b, const bool *skip, size_t i)
{
	struct app *app = b->app;

	while (++i < app->cfg.nfeeds)
		if (batchrun_selected(b, app->cfg.feeds[i].name) && !(skip && skip[i]))
			break;
	return i;
}

static void
ingest_feeds_once(struct batchrun *b, const bool *skip)
{
	struct app *app = b->app;
	struct ingest_stage *staged = NULL; /* of feed staged_i, started during the one before */
	size_t staged_i = app->cfg.nfeeds;

	for (size_t i = 0; i < app->cfg.nfeeds && !b->stopped; i++) {
		const struct feed_conf *f = &app->cfg.feeds[i];
		struct ingest_stage *st = NULL;
		struct ingest_summary s;
		size_t n;

		if (!batchrun_selected(b, f->name))
			continue;
		if (skip && skip[i]) {
			/*
			 * What it placed in incoming/ may be unrecorded: ingested now, the
			 * next fetch would not know it and could apply an older file again
			 * on top of a newer one. The next run fetches and ingests in order.
			 */
			log_error("feed %s: not ingested in this run: its fetch failed locally "
			          "(see above)",
			          f->name);
			continue;
		}
		if (staged_i == i) {
			st = staged;
			staged = NULL;
		}
		/* The next feed's spool steps wait on the disk while this one is applied */
		if ((n = next_feed(b, skip, i)) < app->cfg.nfeeds) {
			staged = ingest_stage_start(app, &app->cfg.feeds[n]);
			staged_i = n;
		}
		batchrun_note(b, ingest_feed(app, b->srs, f, &s, st));
		if (s.scope == LS_BAD_RUN) {
			log_error("the run stops here: the database failed (see above)");
			b->stopped = true;
			break;
		}
		/* also when no file came: time alone can close SRs */
		batchrun_note(b, srs_auto_close(app, b->srs, f));
		print_ingest(app, f->name, &s);
	}
	ingest_stage_drop(staged);
}

/*
 * --dry-run does the same work inside one transaction and rolls it back,
 * so later files and auto-close see what earlier ones would have done.
 */
static void
ingest_feeds(struct batchrun *b, const bool *skip)
{
	struct app *app = b->app;

	b->srs = srs_run_new();
	if (!app->dry_run) {
		ingest_feeds_once(b, skip);
		return;
	}
	if (store_begin(app->store) == -1) {
		batchrun_note(b, store_failure(app->store));
		return;
	}
	ingest_feeds_once(b, skip);
	store_rollback(app->store);
	srs_dry_run_print(app, b->srs);
}

static void
print_fetch(const struct app *app, const char *feed, const struct fetch_summary *s)
{
	if (!app->verbose || app->json)
		return;
	printf("feed %s: fetched %u file(s) (%llu bytes), %u unchanged, %u identical to "
	       "earlier files, %u waiting, %u failed, %u deleted remotely\n",
	       feed, s->fetched, s->bytes, s->unchanged, s->identical, s->waiting, s->failed,
	       s->deleted);
}

/*
 * The fetch step: remote feeds into incoming/, one login per server for
 * all of them. fetched[i] tells whether feed i has fetched files that
 * ingest is about to archive; failed[i] whether its fetch failed locally
 * (74 or 70: the disk or the database), so that ingest leaves it alone.
 */
static void
fetch_feeds(struct batchrun *b, bool *fetched, bool *failed)
{
	struct app *app = b->app;
	struct fetcher *fx = fetcher_new(app);

	for (size_t i = 0; i < app->cfg.nfeeds; i++) {
		const struct feed_conf *f = &app->cfg.feeds[i];
		struct fetch_summary s;

		if (!batchrun_selected(b, f->name) || !fetch_is_remote(f))
			continue;
		enum ls_exit rc = fetch_feed(fx, f, &s);

		batchrun_note(b, rc);
		if (fetched)
			fetched[i] = s.fetched + s.pending > 0;
		if (failed)
			failed[i] = rc == LS_EXIT_IOERR || rc == LS_EXIT_SOFTWARE;
		print_fetch(app, f->name, &s);
	}
	fetcher_free(fx);
}

/*
 * after_fetch = delete, once ingest has archived and committed what was
 * fetched: a new login (the fetch sessions may have idled out meanwhile).
 */
static void
cleanup_feeds(struct batchrun *b, const bool *fetched)
{
	struct app *app = b->app;
	struct fetcher *fx = NULL;

	for (size_t i = 0; i < app->cfg.nfeeds; i++) {
		const struct feed_conf *f = &app->cfg.feeds[i];
		struct fetch_summary s;

		if (!fetched[i] || f->after_fetch != AFTER_FETCH_DELETE)
			continue;
		if (!fx)
			fx = fetcher_new(app);
		batchrun_note(b, fetch_cleanup(fx, f, &s));
		if (app->verbose && !app->json && s.deleted)
			printf("feed %s: %u file(s) deleted remotely\n", f->name, s.deleted);
	}
	fetcher_free(fx);
}

/* Commands take no options of their own but names; refuse anything else. */
static int
plain_args(int argc, char **argv, const char *cmd)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-') {
			fprintf(stderr, "lotsync %s: unknown option '%s'\n", cmd, argv[i]);
			return -1;
		}
	return 0;
}

/* A batch over the names after the command: configured feeds (or targets); -1 on a usage error. */
static int
batch_start(struct batchrun *b, struct app *app, int argc, char **argv, bool feeds)
{
	if (plain_args(argc, argv, argv[0]) == -1 ||
	    check_names(app, argc - 1, argv + 1, feeds) == -1)
		return -1;
	batchrun_init(b, app, argc - 1, argv + 1);
	return 0;
}

/* -v: the chain head, for operators to keep off the machine (SPEC §5, §8). */
static void
print_chain_head(struct app *app)
{
	char head[65];

	if (app->verbose && !app->json && store_chain_head(app->store, head) == 0)
		printf("audit chain head %s\n", head);
}

int
cmd_run(struct app *app, int argc, char **argv)
{
	struct batchrun b;
	bool *fetched, *failed;

	if (batch_start(&b, app, argc, argv, true) == -1)
		return LS_EXIT_USAGE;
	/* --dry-run fetches, deletes and writes nothing: it judges what is already here. */
	fetched = xcalloc(app->cfg.nfeeds + 1, sizeof(*fetched));
	failed = xcalloc(app->cfg.nfeeds + 1, sizeof(*failed));
	if (!app->dry_run)
		fetch_feeds(&b, fetched, failed);
	ingest_feeds(&b, failed);
	/* Remote deletes and export files are not undone by a rollback: the verdict first */
	if (!app->dry_run && !b.stopped) {
		enum ls_exit v = guard_wait(app);

		batchrun_note(&b, v);
		b.stopped = v != LS_EXIT_OK;
	}
	if (!app->dry_run && !b.stopped) {
		cleanup_feeds(&b, fetched);
		batchrun_export_deliver(&b, true);
	}
	free(fetched);
	free(failed);
	print_chain_head(app);
	return batchrun_finish(&b);
}

int
cmd_fetch(struct app *app, int argc, char **argv)
{
	struct batchrun b;

	if (batch_start(&b, app, argc, argv, true) == -1)
		return LS_EXIT_USAGE;
	for (int i = 1; i < argc; i++)
		if (!fetch_is_remote(config_feed(&app->cfg, argv[i])))
			log_info("%s: a drop folder: nothing to fetch", argv[i]);
	fetch_feeds(&b, NULL, NULL);
	return batchrun_finish(&b);
}

int
cmd_ingest(struct app *app, int argc, char **argv)
{
	struct batchrun b;

	if (batch_start(&b, app, argc, argv, true) == -1)
		return LS_EXIT_USAGE;
	ingest_feeds(&b, NULL);
	return batchrun_finish(&b);
}

int
cmd_export(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {{"full", no_argument, NULL, 'f'},
	                                         {NULL, 0, NULL, 0}};
	struct batchrun b;
	bool full = false;
	int c;

	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c != 'f')
			return LS_EXIT_USAGE;
		full = true;
	}
	if (check_names(app, argc - optind, argv + optind, false) == -1)
		return LS_EXIT_USAGE;
	batchrun_init(&b, app, argc - optind, argv + optind);
	for (size_t i = 0; i < app->cfg.ntargets; i++) {
		const struct target_conf *t = &app->cfg.targets[i];
		struct export_summary es;

		if (!batchrun_selected(&b, t->name) || batchrun_target_held(&b, t))
			continue;
		batchrun_note(&b, export_reconcile(app, t));
		batchrun_note(&b, export_target(app, t, full, &es));
		if (app->verbose)
			printf("target %s: %u file(s) exported (%lld vehicles, %lld rows)%s\n",
			       t->name, es.files, es.vehicles, es.rows,
			       es.locked ? ", LOCKED" : "");
	}
	return batchrun_finish(&b);
}

int
cmd_deliver(struct app *app, int argc, char **argv)
{
	struct batchrun b;

	if (batch_start(&b, app, argc, argv, false) == -1)
		return LS_EXIT_USAGE;
	for (size_t i = 0; i < app->cfg.ntargets; i++) {
		const struct target_conf *t = &app->cfg.targets[i];
		struct deliver_summary ds;

		if (!batchrun_selected(&b, t->name) || batchrun_target_held(&b, t))
			continue;
		batchrun_note(&b, export_reconcile(app, t));
		batchrun_note(&b, deliver_target(app, t, &ds));
		if (app->verbose)
			printf("target %s: %u delivered, %u failed, %u superseded%s\n", t->name,
			       ds.delivered, ds.failed, ds.superseded, ds.locked ? ", LOCKED" : "");
	}
	return batchrun_finish(&b);
}
