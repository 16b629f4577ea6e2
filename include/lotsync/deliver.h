/*
 * deliver.h - upload a target's pending outbox files, exactly once.
 *
 * Each file is uploaded under a temporary name and renamed to the name it
 * has in outbox/ (transfer_put; with rename = off, straight to that name);
 * only then is the attempt recorded as delivered, the file's vehicle count
 * made the target's deviation baseline, and the file moved to
 * sent/<target>/. A crash between upload and record uploads the same name
 * again next run, which replaces the same bytes: one final file, one
 * delivery record. A failed upload is recorded with the server's reply and
 * stays pending (exit 69); later files wait behind it. A full-mode target
 * sends only its newest pending file; older ones are recorded as
 * superseded. A locked target sends nothing (exit 3, one warning).
 * Records and sent/ files older than retention_days are pruned, except the
 * newest export and the newest delivery. Returns the most severe
 * condition met (69 a server failed, 3 locked, 74/70 local or database).
 */
#ifndef LOTSYNC_DELIVER_H
#define LOTSYNC_DELIVER_H

#include <stdbool.h>

#include "lotsync/app.h"

struct deliver_summary {
	unsigned delivered, failed, superseded;
	bool locked;
};

enum ls_exit deliver_target(struct app *app, const struct target_conf *t,
                            struct deliver_summary *sum);

#endif
