/*
 * runlock.h - one run at a time per spool (SPEC §3 .lock, §5 exit 75).
 *
 * flock(2) rather than a PID file: the kernel drops the lock when the holder
 * dies, even by kill -9, so a crash never leaves a stale lock. The holder's
 * PID is written into the file only to name it in the refusal message.
 */
#ifndef LOTSYNC_RUNLOCK_H
#define LOTSYNC_RUNLOCK_H

#include "lotsync/status.h"

/*
 * Take <spool>/name (NULL: ".lock"; a shard has its own, config_shard()). Returns LS_EXIT_OK with
 * *fd set (keep it open for the whole run), LS_EXIT_TEMPFAIL when another process holds it (logged
 * with the lock path and the holder's PID), or LS_EXIT_IOERR.
 */
enum ls_exit runlock_take(const char *spool, const char *name, int *fd);
void runlock_release(int fd);

#endif
