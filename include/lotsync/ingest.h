/*
 * ingest.h - claimed files of one feed into snapshots (SPEC §3, §9).
 *
 * For each file, oldest first: SHA-256, archive under archive/<feed>/<sha>
 * (durably, before anything is applied), then one transaction holding the
 * snapshot, its rejected rows and its vehicle versions. A file whose
 * SHA-256 is the feed's newest applied snapshot's (or a held one's) is
 * recorded as a duplicate and not applied; one equal to an older snapshot
 * is applied (SPEC §9). A refused row with a readable key keeps its
 * vehicle's version; refused rows without one while vehicles would vanish,
 * and drift against the previous applied snapshot, hold the file.
 * A file that cannot be read as its profile says is quarantined in
 * failed/<feed>/ with a .reason file; the feed's later files and the other
 * feeds go on. The work file is removed only after the commit.
 *
 * Error scope: a file that cannot be read as its profile says spoils only
 * itself; a spool or read failure stops the feed (its files wait for the
 * next run); a database failure stops the run (sum->scope says which).
 */
#ifndef LOTSYNC_INGEST_H
#define LOTSYNC_INGEST_H

#include "lotsync/app.h"
#include "lotsync/srs.h"

struct ingest_summary {
	unsigned files, duplicates, quarantined, refused, waiting;
	unsigned held;       /* files of this run held by the vanish guard */
	unsigned held_total; /* snapshots of the feed awaiting an operator */
	long long vehicles, new_, changed, vanished, rejected;
	long long last_snapshot;
	enum ls_scope scope; /* LS_BAD_FEED: the feed stopped; LS_BAD_RUN: stop the run */
};

/*
 * A feed's first steps done ahead, on a thread of its own, while the feed
 * before it is applied: its profile loaded, its folders made, work/ and
 * incoming/ scanned and, when work/ is empty, the first incoming file
 * claimed and archived (copied, hashed and fsynced). Those are the waits
 * of a small feed; a run of 2,000 feeds spent most of each feed's overhead
 * in them, one after the other. Only the spool and the configuration are
 * touched, never the store, and each step logs in the feed's name. NULL
 * (the feed is ingested as without it) in a dry run, with crash points
 * armed, or when no thread starts.
 */
struct ingest_stage;
struct ingest_stage *ingest_stage_start(struct app *app, const struct feed_conf *feed);
/* A stage not handed to ingest_feed() (the run stopped): waited for and freed. */
void ingest_stage_drop(struct ingest_stage *st);

/*
 * Ingest every complete file of the feed, applying the rules with the
 * batch's srs state. stage (or NULL) is ingest_stage_start() of this feed,
 * taken: its steps' results stand for doing them here. Returns the most
 * severe exit condition met.
 */
enum ls_exit ingest_feed(struct app *app, struct srs_run *srs, const struct feed_conf *feed,
                         struct ingest_summary *sum, struct ingest_stage *stage);

/*
 * Accept (apply now, as an ingest would) or reject a snapshot held by the
 * vanish guard, recording who decided and when in the snapshot and the
 * audit chain; then newer held snapshots of the feed are judged again in
 * order. Only the oldest held snapshot of a feed can be decided.
 */
enum ls_exit ingest_decide(struct app *app, struct srs_run *srs, long long snapshot, bool accept);

#endif
