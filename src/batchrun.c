/*
 * batchrun.c - the batch both the batch commands and the decisions use (see
 * batchrun.h): its names, its folded exit condition, and the export and
 * delivery of its targets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/batchrun.h"
#include "lotsync/deliver.h"
#include "lotsync/export.h"
#include "lotsync/log.h"
#include "lotsync/store.h"

void
batchrun_init(struct batchrun *b, struct app *app, int argc, char **argv)
{
	*b = (struct batchrun){.app = app, .argc = argc, .argv = argv, .status = LS_EXIT_OK};
}

int
batchrun_finish(struct batchrun *b)
{
	srs_run_free(b->srs);
	return b->status;
}

void
batchrun_note(struct batchrun *b, enum ls_exit e)
{
	b->status = status_worse(b->status, e);
}

bool
batchrun_selected(const struct batchrun *b, const char *name)
{
	if (b->argc == 0)
		return true;
	for (int i = 0; i < b->argc; i++)
		if (strcmp(b->argv[i], name) == 0)
			return true;
	return false;
}

static bool
target_wants(const struct batchrun *b, const struct target_conf *t)
{
	for (size_t i = 0; i < t->nfeeds; i++)
		if (batchrun_selected(b, t->feeds[i]))
			return true;
	return false;
}

static bool
target_has_feed(const struct target_conf *t, const char *feed)
{
	for (size_t i = 0; i < t->nfeeds; i++)
		if (strcmp(t->feeds[i], feed) == 0)
			return true;
	return false;
}

/*
 * An erasure killed half-way has rewritten some files and not others: a
 * queued export of its feed may still hold the person's data, so none of
 * that feed's targets exports or delivers until erase-person finishes it.
 * The person is named by id only (personal data never reaches a log).
 */
bool
batchrun_target_held(struct batchrun *b, const struct target_conf *t)
{
	long long id = 0;
	char *feed = NULL, *person = NULL;
	bool held = false;

	if (!b->app->store)
		return false;
	if (store_erasure_pending(b->app->store, &id, &feed, &person) == -1) {
		batchrun_note(b, store_failure(b->app->store));
		return true;
	}
	if (id != 0 && target_has_feed(t, feed)) {
		log_error("target %s: not exported or delivered: erasure %lld of person %s in feed "
		          "%s "
		          "is not finished; run 'lotsync erase-person %s %s' again",
		          t->name, id, person, feed, feed, person);
		batchrun_note(b, LS_EXIT_HELD);
		held = true;
	}
	free(feed);
	free(person);
	return held;
}

void
batchrun_export_deliver(struct batchrun *b, bool by_feed)
{
	struct app *app = b->app;

	for (size_t i = 0; i < app->cfg.ntargets; i++) {
		const struct target_conf *t = &app->cfg.targets[i];
		struct export_summary es;
		struct deliver_summary ds;

		if (by_feed ? !target_wants(b, t) : !batchrun_selected(b, t->name))
			continue;
		if (batchrun_target_held(b, t))
			continue;
		batchrun_note(b, export_reconcile(app, t));
		batchrun_note(b, export_target(app, t, false, &es));
		batchrun_note(b, deliver_target(app, t, &ds));
		if (app->verbose && !app->json)
			printf("target %s: %u file(s) exported (%lld vehicles, %lld rows), "
			       "%u delivered, %u failed, %u superseded%s\n",
			       t->name, es.files, es.vehicles, es.rows, ds.delivered, ds.failed,
			       ds.superseded, ds.locked ? ", LOCKED" : "");
	}
}
