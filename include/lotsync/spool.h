/*
 * spool.h - the spool layout of SPEC §3 and the moves between its folders.
 *
 *   incoming/<feed>/ -> work/<feed>/ -> archive/<feed>/<sha256> (+ failed/<feed>/)
 *   outbox/<target>/ -> sent/<target>/
 *
 * Every move is a rename() within the spool's file system followed by an
 * fsync of the directories, so a file is always in exactly one folder.
 * A file leaves work/ only after the database commit that records it, so
 * a crash leaves it there and the next run takes it up again.
 */
#ifndef LOTSYNC_SPOOL_H
#define LOTSYNC_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

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

/* <root>/<dir>/<name> (name may be NULL for the folder); caller frees. */
char *spool_path(const struct spool *sp, enum spool_dir dir, const char *name);

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
 * Claim one scanned file: rename it (and its .done marker) into work/<feed>/.
 * Returns the new path (caller frees), or NULL when it vanished or could not
 * be moved (logged).
 */
char *spool_claim(const struct spool *sp, const char *feed, const struct spool_file *f);

/* True when a name may be claimed as a feed file (SPEC §3). */
bool spool_name_is_claimable(const char *name);

/* Remove a work file's .done marker, if any. */
void spool_drop_marker(const char *work_path);

#endif
