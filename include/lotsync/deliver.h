/*
 * deliver.h - upload a target's pending outbox files, exactly once.
 *
 * Each file is uploaded under a temporary name and renamed to the name it
 * has in outbox/ (transfer_put); only then is it recorded as delivered and
 * moved to sent/<target>/. A crash between upload and record uploads the
 * same name again next run, which replaces the same bytes: one final file.
 * A failed upload stays pending. For a full-mode target only the newest
 * pending file is sent; older ones are recorded as superseded.
 */
#ifndef LOTSYNC_DELIVER_H
#define LOTSYNC_DELIVER_H

#include "lotsync/app.h"

struct deliver_summary {
	unsigned delivered, failed, superseded;
};

void deliver_target(struct app *app, const struct target_conf *t, struct deliver_summary *sum);

#endif
