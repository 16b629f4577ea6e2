/*
 * srs.h - dealer rules applied to the store: the SPEC §6 service requests.
 *
 * The decisions come from the pure rules module; this module loads the
 * state they need, writes back the result and the events, and reports:
 * a summary per snapshot at -v, every decision at -vv, and once per run a
 * warning per dealer whose vehicles are ignored for want of a [client:]
 * mapping. Under --dry-run every decision is also printed on stdout (or
 * collected for --json; srs_dry_run_print() prints them).
 *
 * Transactions: srs_apply_snapshot() runs inside the caller's transaction
 * (the snapshot's: the rules commit or roll back with it);
 * srs_auto_close() takes its own. Errors are logged where they happen and
 * returned as -1; the caller decides the exit code (ingest rolls the file
 * back). A feed with no applicable [client:] mapping does not use rules
 * (rules.h says what that means).
 */
#ifndef LOTSYNC_SRS_H
#define LOTSYNC_SRS_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/app.h"
#include "lotsync/record.h"
#include "lotsync/rules.h"

/* The vehicles of a snapshot as ingest reads them; owns copies of the fields. */
struct srs_batch {
	struct rules_vehicle *v;
	size_t n, alloc;
};

/*
 * Whether ingest must collect a snapshot's vehicles and call
 * srs_apply_snapshot(): the feed uses rules, or still has open SRs whose
 * vehicles' presence matters. 1 yes, 0 no, -1 error. Saves a 1M-vehicle
 * feed without rules ~240 MB of copies.
 */
int srs_feed_wants_vehicles(struct app *app, const struct feed_conf *feed);

void srs_batch_init(struct srs_batch *b);
/* Copy the fields the rules read from r; appeared: not in the previous applied snapshot. */
void srs_batch_add(struct srs_batch *b, const struct record *r, bool appeared);
void srs_batch_release(struct srs_batch *b);

/*
 * What the rules keep for one batch (a command's run over its feeds):
 * the dealers already reported as unmapped, and under --dry-run the
 * decisions shown. The batch creates it and frees it.
 */
struct srs_run;
struct srs_run *srs_run_new(void);
void srs_run_free(struct srs_run *run);

/*
 * Apply the rules to an applied snapshot of feed at clock_now(), inside
 * the open transaction, after the snapshot's versions are stored (it must
 * be the feed's newest applied snapshot). present holds its vehicles, or
 * is NULL to read them from the store by the snapshot's seq (what `accept`
 * of a held snapshot does). Returns 0 or -1.
 */
int srs_apply_snapshot(struct app *app, struct srs_run *run, const struct feed_conf *feed,
                       long long snapshot, const struct srs_batch *present);

/*
 * Close the feed's SRs that auto_close says are due at clock_now(); the
 * vehicles' absence is from the feed's newest applied snapshot (held
 * snapshots change nothing). Call on every run for every feed, also when
 * no new file came. Returns the exit condition (70/74 on a database
 * error, logged).
 */
enum ls_exit srs_auto_close(struct app *app, struct srs_run *run, const struct feed_conf *feed);

/* --dry-run: print the decisions collected for --json (one JSON array), or a closing line. */
void srs_dry_run_print(const struct app *app, struct srs_run *run);

#endif
