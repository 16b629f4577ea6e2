/*
 * export.h - render a target's vehicles into outbox/<target>/ (SPEC §7).
 *
 * A target's vehicles are the current vehicles of its feeds, minus those
 * awaiting release when auto_release = no. An export is rendered when the
 * target's basis (the newest applied snapshot of each feed, and the count
 * of releases) moved since its last export, or when forced:
 *  - full: every vehicle;
 *  - delta: new, changed and deleted vehicles (an action column) against
 *    what the receiver holds once every queued file is delivered (table
 *    target_state), so the queued files, sent in order, add up; forced,
 *    unchanged vehicles are written too (action "unchanged").
 * A delta with no change, or a first export with no vehicle, writes no
 * file (the basis is still recorded, so it is not reconsidered).
 *
 * The file is written under a temporary name, fsynced and renamed to its
 * unique final name (target file_name pattern, default
 * "<target>-<UTC clock>-<id>.<ext>") inside the transaction that records
 * it, with its SHA-256, vehicle and row counts; a crash before the commit
 * leaves an unrecorded file that export_reconcile() removes next run.
 *
 * Deviation lock: when the export's vehicle count moves more than
 * deviation_lock against the target's baseline (the last delivery, or the
 * count accepted by 'lotsync unlock'), or the export is empty while the
 * baseline is not, the target is locked in the same transaction. Exports
 * go on being rendered while locked; deliver sends nothing until unlock.
 *
 * Errors are logged where they happen; both functions return the most
 * severe condition met: 78 bad format or file name, 74 local I/O, 70
 * database; 3 when the target is locked or vehicles await release.
 */
#ifndef LOTSYNC_EXPORT_H
#define LOTSYNC_EXPORT_H

#include <stdbool.h>

#include "lotsync/app.h"

struct export_summary {
	unsigned files;
	long long vehicles; /* in the target after the export */
	long long rows;     /* written to the file */
	long long held;     /* awaiting release */
	bool locked;
};

enum ls_exit export_target(struct app *app, const struct target_conf *t, bool force,
                           struct export_summary *sum);

/*
 * Tidy outbox/<target>/ after a crash: remove temporary and unrecorded
 * files; move files recorded as delivered or superseded on to sent/.
 */
enum ls_exit export_reconcile(struct app *app, const struct target_conf *t);

#endif
