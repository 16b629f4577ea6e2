/* run.c - one batch: fetch -> ingest -> export -> deliver, per feed and target. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/cmd.h"
#include "lotsync/deliver.h"
#include "lotsync/export.h"
#include "lotsync/fetch.h"
#include "lotsync/ingest.h"
#include "lotsync/log.h"
#include "lotsync/run.h"
#include "lotsync/srs.h"
#include "lotsync/util.h"

void
app_status(struct app *app, enum ls_exit e)
{
	app->status = status_worse(app->status, e);
}

/* True when name is in argv[0..argc) or argc is 0 (no names = all). */
static bool
selected(int argc, char **argv, const char *name)
{
	if (argc == 0)
		return true;
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

/* Every name given must be configured: a typo must not pass as "nothing to do". */
static int
check_names(struct app *app, int argc, char **argv, bool feeds)
{
	int bad = 0;

	for (int i = 0; i < argc; i++) {
		if (feeds ? !config_feed(&app->cfg, argv[i]) : !config_target(&app->cfg, argv[i])) {
			log_error("no %s named '%s' in %s", feeds ? "feed" : "target", argv[i],
			          app->cfg.path);
			bad++;
		}
	}
	return bad ? -1 : 0;
}

static void
ingest_feeds_once(struct app *app, int argc, char **argv)
{
	for (size_t i = 0; i < app->cfg.nfeeds; i++) {
		const struct feed_conf *f = &app->cfg.feeds[i];
		struct ingest_summary s;

		if (!selected(argc, argv, f->name))
			continue;
		ingest_feed(app, f, &s);
		srs_auto_close(app, f); /* also when no file came: time alone can close SRs */
		if (app->verbose && !app->json && s.held_total)
			printf("feed %s: %u snapshot(s) held for an operator (see lotsync "
			       "status)\n",
			       f->name, s.held_total);
		if (app->verbose && !app->json && s.files + s.duplicates + s.quarantined == 0)
			printf("feed %s: no new file (%u waiting to settle, %u refused)\n", f->name,
			       s.waiting, s.refused);
		else if (app->verbose && !app->json)
			printf("feed %s: %u file(s), %lld vehicles, %lld new, %lld changed, "
			       "%lld vanished, %lld rows rejected, %u duplicate(s), "
			       "%u quarantined, %u waiting\n",
			       f->name, s.files, s.vehicles, s.new_, s.changed, s.vanished,
			       s.rejected, s.duplicates, s.quarantined, s.waiting);
	}
}

/*
 * --dry-run does the same work inside one transaction and rolls it back,
 * so later files and auto-close see what earlier ones would have done.
 */
static void
ingest_feeds(struct app *app, int argc, char **argv)
{
	if (!app->dry_run) {
		ingest_feeds_once(app, argc, argv);
		return;
	}
	if (store_begin(app->store) == -1) {
		app_status(app, LS_EXIT_SOFTWARE);
		return;
	}
	ingest_feeds_once(app, argc, argv);
	store_rollback(app->store);
	srs_dry_run_print(app);
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
 * ingest is about to archive.
 */
static void
fetch_feeds(struct app *app, int argc, char **argv, bool *fetched)
{
	struct fetcher *fx = fetcher_new(app);

	for (size_t i = 0; i < app->cfg.nfeeds; i++) {
		const struct feed_conf *f = &app->cfg.feeds[i];
		struct fetch_summary s;

		if (!selected(argc, argv, f->name) || !fetch_is_remote(f))
			continue;
		fetch_feed(fx, f, &s);
		if (fetched)
			fetched[i] = s.fetched + s.pending > 0;
		print_fetch(app, f->name, &s);
	}
	fetcher_free(fx);
}

/*
 * after_fetch = delete, once ingest has archived and committed what was
 * fetched: a new login (the fetch sessions may have idled out meanwhile).
 */
static void
cleanup_feeds(struct app *app, const bool *fetched)
{
	struct fetcher *fx = NULL;

	for (size_t i = 0; i < app->cfg.nfeeds; i++) {
		const struct feed_conf *f = &app->cfg.feeds[i];
		struct fetch_summary s;

		if (!fetched[i] || f->after_fetch != AFTER_FETCH_DELETE)
			continue;
		if (!fx)
			fx = fetcher_new(app);
		fetch_cleanup(fx, f, &s);
		if (app->verbose && !app->json && s.deleted)
			printf("feed %s: %u file(s) deleted remotely\n", f->name, s.deleted);
	}
	fetcher_free(fx);
}

static bool
target_wants(const struct target_conf *t, int argc, char **argv)
{
	for (size_t i = 0; i < t->nfeeds; i++)
		if (selected(argc, argv, t->feeds[i]))
			return true;
	return false;
}

static void
export_and_deliver(struct app *app, int argc, char **argv, bool by_feed)
{
	for (size_t i = 0; i < app->cfg.ntargets; i++) {
		const struct target_conf *t = &app->cfg.targets[i];
		struct export_summary es;
		struct deliver_summary ds;

		if (by_feed ? !target_wants(t, argc, argv) : !selected(argc, argv, t->name))
			continue;
		export_reconcile(app, t);
		export_target(app, t, false, &es);
		deliver_target(app, t, &ds);
		if (app->verbose && !app->json)
			printf("target %s: %u file(s) exported (%lld vehicles, %lld rows), "
			       "%u delivered, %u failed, %u superseded%s\n",
			       t->name, es.files, es.vehicles, es.rows, ds.delivered, ds.failed,
			       ds.superseded, ds.locked ? ", LOCKED" : "");
	}
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

/* -v: the chain head, for operators to keep off the machine (SPEC §5, §8). */
static void
print_chain_head(struct app *app)
{
	char head[65];

	if (app->verbose && !app->json && store_chain_head(app->store, head) == 0)
		printf("audit chain head %s\n", head);
}

void
run_targets_for_feeds(struct app *app, int nfeeds, char **feeds)
{
	export_and_deliver(app, nfeeds, feeds, true);
}

/* accept / reject SNAPSHOT: an operator's decision on a held snapshot. */
static int
decide(struct app *app, int argc, char **argv, bool accept)
{
	unsigned long long id;
	struct snapshot_info s;
	enum ls_exit rc;
	char *feed;

	if (argc != 2 || parse_uint(argv[1], (1ULL << 62), &id) == -1 || id == 0) {
		fprintf(stderr, "usage: lotsync %s SNAPSHOT\n", argv[0]);
		return LS_EXIT_USAGE;
	}
	if ((rc = ingest_decide(app, (long long)id, accept)) != LS_EXIT_OK)
		return rc;
	/* The feed's current vehicles may have moved: its targets export and deliver now. */
	if (store_snapshot_get(app->store, (long long)id, &s) == 0) {
		feed = s.feed;
		run_targets_for_feeds(app, 1, &feed);
		snapshot_info_release(&s);
	}
	return app->status;
}

int
cmd_accept(struct app *app, int argc, char **argv)
{
	return decide(app, argc, argv, true);
}

int
cmd_reject(struct app *app, int argc, char **argv)
{
	return decide(app, argc, argv, false);
}

int
cmd_run(struct app *app, int argc, char **argv)
{
	bool *fetched;

	if (plain_args(argc, argv, "run") == -1)
		return LS_EXIT_USAGE;
	if (check_names(app, argc - 1, argv + 1, true) == -1)
		return LS_EXIT_USAGE;
	/* --dry-run fetches, deletes and writes nothing: it judges what is already here. */
	fetched = xcalloc(app->cfg.nfeeds + 1, sizeof(*fetched));
	if (!app->dry_run)
		fetch_feeds(app, argc - 1, argv + 1, fetched);
	ingest_feeds(app, argc - 1, argv + 1);
	if (!app->dry_run) {
		cleanup_feeds(app, fetched);
		export_and_deliver(app, argc - 1, argv + 1, true);
	}
	free(fetched);
	print_chain_head(app);
	return app->status;
}

int
cmd_fetch(struct app *app, int argc, char **argv)
{
	if (plain_args(argc, argv, "fetch") == -1)
		return LS_EXIT_USAGE;
	if (check_names(app, argc - 1, argv + 1, true) == -1)
		return LS_EXIT_USAGE;
	for (int i = 1; i < argc; i++)
		if (!fetch_is_remote(config_feed(&app->cfg, argv[i])))
			log_info("%s: a drop folder: nothing to fetch", argv[i]);
	fetch_feeds(app, argc - 1, argv + 1, NULL);
	return app->status;
}

int
cmd_ingest(struct app *app, int argc, char **argv)
{
	if (plain_args(argc, argv, "ingest") == -1)
		return LS_EXIT_USAGE;
	if (check_names(app, argc - 1, argv + 1, true) == -1)
		return LS_EXIT_USAGE;
	ingest_feeds(app, argc - 1, argv + 1);
	return app->status;
}

int
cmd_export(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {{"full", no_argument, NULL, 'f'},
	                                         {NULL, 0, NULL, 0}};
	bool full = false;
	int c;

	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c != 'f')
			return LS_EXIT_USAGE;
		full = true;
	}
	if (check_names(app, argc - optind, argv + optind, false) == -1)
		return LS_EXIT_USAGE;
	for (size_t i = 0; i < app->cfg.ntargets; i++) {
		const struct target_conf *t = &app->cfg.targets[i];
		struct export_summary es;

		if (!selected(argc - optind, argv + optind, t->name))
			continue;
		export_reconcile(app, t);
		export_target(app, t, full, &es);
		if (app->verbose)
			printf("target %s: %u file(s) exported (%lld vehicles, %lld rows)%s\n",
			       t->name, es.files, es.vehicles, es.rows,
			       es.locked ? ", LOCKED" : "");
	}
	return app->status;
}

int
cmd_deliver(struct app *app, int argc, char **argv)
{
	if (plain_args(argc, argv, "deliver") == -1)
		return LS_EXIT_USAGE;
	if (check_names(app, argc - 1, argv + 1, false) == -1)
		return LS_EXIT_USAGE;
	for (size_t i = 0; i < app->cfg.ntargets; i++) {
		const struct target_conf *t = &app->cfg.targets[i];
		struct deliver_summary ds;

		if (!selected(argc - 1, argv + 1, t->name))
			continue;
		export_reconcile(app, t);
		deliver_target(app, t, &ds);
		if (app->verbose)
			printf("target %s: %u delivered, %u failed, %u superseded%s\n", t->name,
			       ds.delivered, ds.failed, ds.superseded, ds.locked ? ", LOCKED" : "");
	}
	return app->status;
}
