/*
 * batchrun.h - one batch over named feeds and targets, shared by the batch
 * commands (cmd_batch.c: run, fetch, ingest, export, deliver) and the
 * operator's decisions (cmd_decide.c: accept, reject), which end with the
 * same export and delivery. Commands never call each other, so what both
 * need lives here, below them.
 *
 * A batch holds the names it was given (none = all; the caller keeps the
 * strings alive), the rules' per-run state (srs, created by whoever runs
 * the rules, freed by batchrun_finish()) and the worst exit condition seen.
 */
#ifndef LOTSYNC_BATCHRUN_H
#define LOTSYNC_BATCHRUN_H

#include <stdbool.h>

#include "lotsync/app.h"
#include "lotsync/srs.h"
#include "lotsync/status.h"

struct batchrun {
	struct app *app;
	int argc;
	char **argv;
	struct srs_run *srs;
	enum ls_exit status;
	bool stopped; /* a run-level error: nothing more is done */
};

/* A batch over argv[0..argc) (borrowed), status LS_EXIT_OK, no srs yet. */
void batchrun_init(struct batchrun *b, struct app *app, int argc, char **argv);

/* Frees the rules' state; returns the batch's exit condition. */
int batchrun_finish(struct batchrun *b);

/* Folds one stage's exit condition into the batch's (status_worse). */
void batchrun_note(struct batchrun *b, enum ls_exit e);

/* True when name is one of the batch's names or it has none (no names = all). */
bool batchrun_selected(const struct batchrun *b, const char *name);

/*
 * True when t must not export or deliver now: an unfinished erasure of one
 * of its feeds (logged, the batch's condition 3), or the store failed
 * (noted). Every command that exports or delivers asks it first.
 */
bool batchrun_target_held(struct batchrun *b, const struct target_conf *t);

/*
 * For each target the batch selects (by_feed: each target with one of the
 * batch's feeds; else by the target's own name): reconcile its outbox,
 * export, deliver, and print a line at -v. Each stage's condition is noted.
 */
void batchrun_export_deliver(struct batchrun *b, bool by_feed);

#endif
