/*
 * spool.h - the spool layout of SPEC §3 and the moves between its folders.
 *
 *   incoming/<feed>/ -> work/<feed>/ -> archive/<feed>/<sha256> (+ failed/<feed>/)
 *   outbox/<target>/ -> sent/<target>/
 *
 * Only this module names, moves, copies or removes spool files; the stages
 * call its verbs, and fsio below it does the durable writes. Every move is
 * a rename() within the spool's file system followed by an fsync of the
 * directories (a drop folder on another file system is claimed by copy,
 * fsync and unlink), so a file is always in exactly one folder (a quarantined
 * file in failed/ is a copy of its archived bytes, not a second name).
 * A file leaves work/ only after the database commit that records it, so
 * a crash leaves it there and the next run takes it up again.
 */
#ifndef LOTSYNC_SPOOL_H
#define LOTSYNC_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lotsync/fsio.h"

enum spool_dir {
	SPOOL_INCOMING,
	SPOOL_WORK,
	SPOOL_ARCHIVE,
	SPOOL_FAILED,
	SPOOL_OUTBOX,
	SPOOL_SENT
};

struct spool {
	char *root;
};

struct spool_file {
	char *name; /* file name within its folder */
	char *path; /* full path */
	time_t mtime;
	long long size;
};

struct spool_scan {
	struct spool_file *files; /* claimable, in mtime then name order */
	size_t nfiles;
	unsigned refused; /* symlinks, FIFOs, directories, hard links, bad names */
	unsigned waiting; /* not yet settled */
};

void spool_init(struct spool *sp, const char *root);
void spool_release(struct spool *sp);

/*
 * Paths. Every spool path is built here; callers never join names by hand.
 * spool_path: <root>/<dir>/<name> (name NULL: the folder itself), where
 * name is a feed or target; spool_file_path: <root>/<dir>/<sub>/<name>.
 * Caller frees.
 */
char *spool_path(const struct spool *sp, enum spool_dir dir, const char *name);
char *spool_file_path(const struct spool *sp, enum spool_dir dir, const char *sub,
                      const char *name);

/* True when <dir>/<sub>/<name> exists (not followed). */
bool spool_has(const struct spool *sp, enum spool_dir dir, const char *sub, const char *name);

/* fsync <dir>/<sub>/, making the renames and creations in it durable. */
int spool_sync(const struct spool *sp, enum spool_dir dir, const char *sub);

/*
 * 1 when incoming/<feed>/ (followed: it may be a symbolic link or a mount
 * point) is on another file system than work/<feed>/ (or work/, or the
 * spool, whichever exists first), so claims copy instead of renaming; 0
 * when not or when incoming/<feed>/ does not exist.
 */
int spool_feed_other_fs(const struct spool *sp, const char *feed);

/* Create the spool folders for one feed or target (0700 for work/). */
int spool_prepare_feed(const struct spool *sp, const char *feed);
int spool_prepare_target(const struct spool *sp, const char *target);

/*
 * Scan incoming/<feed>/ for complete files: a "<name>.done" marker exists,
 * or size and mtime have not changed for settle_seconds of real time (the
 * file's mtime is at least that old). Refused entries are logged as
 * warnings and counted. Caller releases with spool_scan_release().
 */
int spool_scan_incoming(const struct spool *sp, const char *feed, unsigned settle_seconds,
                        struct spool_scan *scan);

/* Files already in work/<feed>/ (left by an interrupted run), oldest first. */
int spool_scan_work(const struct spool *sp, const char *feed, struct spool_scan *scan);
void spool_scan_release(struct spool_scan *scan);

/*
 * Claim one scanned file: rename it (and its .done marker) into
 * work/<feed>/, both folders fsynced; a drop folder on another file system
 * is claimed by copy (temp, fsync, rename) and unlink. A file another
 * process holds open for writing (a Linux read lease is refused) is not
 * claimed. *path gets the work path (caller frees) when the file is in
 * work/: with SPOOL_CLAIMED, and with SPOOL_CLAIM_FAILED when it moved but
 * a later step failed (the next run takes it up from work/).
 */
enum spool_claim {
	SPOOL_CLAIMED,
	SPOOL_CLAIM_GONE,   /* vanished or swapped since the scan: skipped (logged) */
	SPOOL_CLAIM_BUSY,   /* still being written: it and the feed's later files wait */
	SPOOL_CLAIM_FAILED, /* local I/O failure (logged): the feed stops, exit 74 */
};
enum spool_claim spool_claim(const struct spool *sp, const char *feed, const struct spool_file *f,
                             char **path);

/*
 * A claim that stopped after its file reached work/<feed>/ may have left
 * the file's NAME.done marker in incoming/<feed>/: move it along now
 * (unless a new incoming/<feed>/NAME waits, whose marker it is), so it
 * never lets a later file of that name be claimed unsettled. 0, or -1
 * (logged).
 */
int spool_adopt_marker(const struct spool *sp, const char *feed, const char *name);

/* True when a name may be claimed as a feed file (SPEC §3). */
bool spool_name_is_claimable(const char *name);

/*
 * True when name may be a file's name in a spool folder and, for outbox
 * files, the name it is delivered under: 1 to 255 bytes, no '/', '\\' or
 * control bytes, no leading '-', not hidden (hidden names are the spool's
 * own: ".tmp-" files, and "." and "..").
 */
bool spool_name_is_safe(const char *name);

/*
 * The local name for a fetched remote file: its bytes in [A-Za-z0-9._+~-]
 * (others become '_'), at most SPOOL_LOCAL_NAME_MAX bytes, and claimable
 * (a '_' is appended when truncation made it look partial). Caller frees.
 */
#define SPOOL_LOCAL_NAME_MAX 200
char *spool_incoming_name(const char *remote);

/*
 * A new file for <dir>/<sub>/<name>: a temporary ".tmp-<name>-XXXXXX" in
 * the same folder (O_EXCL, 0600), which no claim, scan or reconcile takes
 * for a finished file. Returns the fd and *tmp (caller frees), or -1.
 * spool_commit() fsyncs, closes and renames it to <name> and fsyncs the
 * folder (tmp is removed on failure); spool_discard() closes fd (when >= 0)
 * and removes tmp, returning -1.
 */
int spool_create(const struct spool *sp, enum spool_dir dir, const char *sub, const char *name,
                 char **tmp);
int spool_commit(const struct spool *sp, int fd, char *tmp, enum spool_dir dir, const char *sub,
                 const char *name);
int spool_discard(int fd, const char *tmp);

/*
 * Remove the ".tmp-" files a killed run left in <dir>/<sub>/ (they are
 * ours: the run lock is held). Each removal is logged.
 */
void spool_purge_tmp(const struct spool *sp, enum spool_dir dir, const char *sub);
/* The same for a feed's work/, archive/ and failed/ folders (before its ingest). */
void spool_purge_feed_tmp(const struct spool *sp, const char *feed);

/* Non-hidden names in <dir>/<sub>/ (none when it is missing); free with spool_names_free(). */
int spool_list(const struct spool *sp, enum spool_dir dir, const char *sub, char ***names,
               size_t *n);
void spool_names_free(char **names, size_t n);

/*
 * Publish a complete download (a spool_create() file of incoming/<feed>/,
 * closed) under a free name: name, else "name~N.ext", never replacing a
 * file (renameat2 RENAME_NOREPLACE, or link + unlink), never a name that
 * waits in work/<feed>/ (its claim would replace that file). A taken name
 * holding exactly the content sha (placed by a run killed before it
 * recorded it) is kept and tmp removed. The folder is not fsynced: call
 * spool_sync() once per batch. Returns the name (caller frees) or NULL
 * (logged).
 */
char *spool_publish_incoming(const struct spool *sp, const char *feed, const char *tmp,
                             const char *name, const char *sha);

/* Write the NAME.done marker that lets a claim take incoming/<feed>/NAME at once. */
int spool_mark_done(const struct spool *sp, const char *feed, const char *name);

/*
 * Archive a work file as archive/<feed>/<sha>: lotsync's own read-only
 * (0444) byte copy, never a link to the sender's file, hashed while it is
 * copied (sha and *size describe exactly the archived bytes), durably
 * placed (temp, fsync, rename, fsync), replacing an existing file of that
 * name. Returns 0, -1 on failure (logged), or 1 when the file is still
 * being written (another process has it open for writing, or its size or
 * mtime changed during the copy): nothing archived.
 */
int spool_archive(const struct spool *sp, const char *feed, const char *path,
                  char sha[FSIO_SHA256_HEX], uint64_t *size);

/*
 * Quarantine a work file: a separate copy in failed/<feed>/ (never a link
 * to the archive, so editing it cannot change the evidence) with a
 * NAME.reason file beside it (file, sha256, at, reason), then the work
 * file and its marker are removed. An earlier quarantined file of the same
 * name and other content is kept: this one becomes "NAME.<sha:12>".
 * *qname gets the name used (caller frees; NULL on failure).
 */
int spool_quarantine(const struct spool *sp, const char *feed, const char *work_path,
                     const char *name, const char *sha, const char *at, const char *why,
                     char **qname);

/*
 * Put failed/<feed>/<qname> back into incoming/<feed>/ under its original
 * name (numbered when taken; see spool_publish_incoming) and remove its
 * .reason, for `lotsync retry` after a profile fix. Returns the incoming
 * name (caller frees), or NULL (logged).
 */
char *spool_requeue(const struct spool *sp, const char *feed, const char *qname, const char *name,
                    const char *sha);

/*
 * Replace the file <dir>/<sub>/<name> with len bytes of buf, durably and
 * atomically (a temporary name in the same folder, fsync, rename, folder
 * fsync), keeping the old file's permission bits (0444 in archive/):
 * a reader sees the old bytes or the new ones, never a mix. For
 * `lotsync erase-person`, which rewrites archived, quarantined and export
 * files under the names the database knows them by. The file must exist
 * and be a regular file. 0, or -1 (logged; the old file is left as it was).
 */
int spool_rewrite(const struct spool *sp, enum spool_dir dir, const char *sub, const char *name,
                  const void *buf, size_t len);

/* Remove a committed work file and its .done marker (a missing one is no error). */
int spool_remove_work(const char *work_path);

/* Remove a work file's .done marker, if any. */
void spool_drop_marker(const char *work_path);

/* Remove <dir>/<sub>/<name> (a missing one is no error). */
int spool_remove(const struct spool *sp, enum spool_dir dir, const char *sub, const char *name);

/* Move outbox/<target>/<name> to sent/<target>/ (rename, both folders fsynced). */
int spool_to_sent(const struct spool *sp, const char *target, const char *name);

/* Remove sent/<target>/<name> past retention (a missing one is no error; logged). */
void spool_prune_sent(const struct spool *sp, const char *target, const char *name);

/*
 * The state record of database db (guard.h): <root>/<db's name without
 * .db>.state (lotsync.state; lotsync-I-of-N.state per shard), the chain
 * head and the newest snapshot kept outside the database.
 * spool_state_read() gives its text (caller frees): 0, 1 when there is
 * none, -1 (logged); spool_state_write() replaces it (temporary name,
 * fsync, rename: after a power loss the record is the new one or the one
 * before, never a torn one) and spool_state_sync() makes the newest name
 * durable (the spool directory's fsync), once for all the rewrites of a
 * command. spool_state_path() names it for messages (caller frees).
 * spool_state_purge_tmp() removes the temporary files a killed run left
 * (under the lock).
 */
int spool_state_read(const struct spool *sp, const char *db, char **text);
int spool_state_write(const struct spool *sp, const char *db, const char *text);
int spool_state_sync(const struct spool *sp);
char *spool_state_path(const struct spool *sp, const char *db);
void spool_state_purge_tmp(const struct spool *sp, const char *db);

/* How many files archive/<feed>/ holds (0 when it is missing); -1 (logged). */
long long spool_archive_count(const struct spool *sp, const char *feed);

#endif
