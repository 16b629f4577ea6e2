/*
 * export.h - render a target's current vehicles into outbox/<target>/.
 *
 * An export is rendered only when the target's basis (the newest applied
 * snapshot of each of its feeds) moved since its last export, or when
 * forced. The file is written under a temporary name, fsynced and renamed
 * to a unique final name "<target>-<clock>-<id>.<ext>", and recorded in the
 * same transaction that allocates its id; a crash before the commit leaves
 * an unrecorded file, which export_reconcile() removes on the next run.
 */
#ifndef LOTSYNC_EXPORT_H
#define LOTSYNC_EXPORT_H

#include <stdbool.h>

#include "lotsync/app.h"

struct export_summary {
	unsigned files;
	long long vehicles;
};

void export_target(struct app *app, const struct target_conf *t, bool force,
                   struct export_summary *sum);

/* Remove outbox files no export record names (left by a crash before commit). */
void export_reconcile(struct app *app, const struct target_conf *t);

#endif
