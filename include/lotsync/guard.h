/*
 * guard.h - the checks a state-changing command passes before it writes,
 * so that a damaged database or a wrong clock stops the run instead of
 * being written into:
 *
 *  - The state record: after every commit the newest audit chain entry
 *    (id and link) and the newest snapshot id are also written to a small
 *    file in the spool (lotsync.state, lotsync-I-of-N.state per shard, by
 *    spool_state_write(): temporary name, fsync, rename; the spool
 *    directory is fsynced once, at the end of the command). A database
 *    that is missing, empty or behind that record (a truncated file, a
 *    deleted -wal that took committed snapshots with it, an old backup
 *    put back), or whose chain link at the recorded entry differs
 *    (another database), is refused (exit 74); so is a missing or empty
 *    database while archive/ holds files.
 *  - PRAGMA quick_check on every start (integrity_check in verify); for
 *    ingest and run it runs beside the command's start, and the first
 *    commit waits for its verdict (store_check_start).
 *  - The clock: a run earlier than the newest recorded run is refused
 *    (exit 78) unless --allow-clock-rewind; a run more than max_clock_jump
 *    after it is a clock jump: recorded, warned about, and the auto-close
 *    decisions that depend on elapsed days are held (srs.h) until an
 *    operator runs 'lotsync accept-clock-jump'.
 */
#ifndef LOTSYNC_GUARD_H
#define LOTSYNC_GUARD_H

#include <stdbool.h>

#include "lotsync/app.h"
#include "lotsync/status.h"

/* Before store_open(): the database file against the archive and the state record. */
enum ls_exit guard_before_open(struct app *app);

/*
 * After store_open() for writing, before the run record: quick_check, the
 * database against the state record (written now when there is none), the
 * clock against the newest run. late: the quick_check runs on a thread
 * beside the command (not in a dry run); every commit, guard_wait() and
 * guard_finish() wait for its verdict, and a damaged database refuses them
 * all (exit 74). Registers guard_record() as the store's commit hook. Sets
 * app->hold_timed_closes while a clock jump awaits an operator.
 */
enum ls_exit guard_after_open(struct app *app, bool late);

/*
 * Before what a rollback cannot undo (remote deletes, export files,
 * uploads): the late quick_check's verdict. LS_EXIT_OK when intact.
 */
enum ls_exit guard_wait(struct app *app);

/* The commit hook: rewrite the state record when the chain or snapshots moved. */
void guard_record(void *app);

/*
 * At the end of a state-changing command: make the newest state record's
 * name durable (one fsync of the spool directory for all of the command's
 * rewrites). LS_EXIT_IOERR when that fails (logged).
 */
enum ls_exit guard_finish(struct app *app);

/*
 * For verify (read-only store): integrity_check, and the database against
 * the state record. Each problem is logged and counted into *problems;
 * the first is copied into first (cap bytes) when it is still empty.
 * Returns -1 when a check could not run.
 */
int guard_verify(struct app *app, long long *problems, char *first, size_t cap);

#endif
