/*
 * store.h - the SQLite state: runs, snapshots, record versions, rejected
 * rows, exports and delivery attempts. Only this module speaks SQL.
 *
 * Storage grows with change, not with feed size: a record version is
 * stored when a key first appears or its content changes, and is valid for
 * the feed's applied snapshots from_seq <= seq < to_seq. A snapshot's
 * content is the versions valid at its seq. Versions are kept for any kind
 * of keyed record ("vehicle" today).
 *
 * Durability: WAL, synchronous=FULL, one BEGIN IMMEDIATE transaction per
 * ingested file. The schema version is PRAGMA user_version; an older
 * database is migrated forward at open, a newer one is refused.
 *
 * Errors are logged with the database path and SQLite's message; functions
 * return -1 (or a negative id). A full disk is reported through
 * store_disk_full() so the caller can exit 74.
 */
#ifndef LOTSYNC_STORE_H
#define LOTSYNC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lotsync/keymap.h"
#include "lotsync/profile.h"
#include "lotsync/record.h"

struct store;

enum snapshot_state { SNAP_APPLIED, SNAP_HELD, SNAP_REJECTED, SNAP_DUPLICATE };

struct snapshot_info {
	long long id;
	char *feed;
	enum snapshot_state state;
	long long seq; /* apply order within the feed; 0 unless applied */
	char *sha256;
	long long size;
	char *file;   /* name the file had when received */
	char *source; /* "drop" or the URL it was fetched from (no secrets) */
	char *profile;
	char *received_at;
	long long vehicles, new_, changed, vanished, rejected_rows;
};

struct export_info {
	long long id;
	char *target;
	char *file; /* name in outbox/<target>/ and on the server */
	char *sha256;
	long long vehicles;
	char *created_at;
	char *state; /* pending | delivered | superseded */
	char *basis; /* "feed:seq,…" the export reflects */
};

int store_open(const char *path, bool readonly, struct store **out);
void store_close(struct store *st);
bool store_disk_full(const struct store *st);
const char *store_path(const struct store *st);

int store_begin(struct store *st); /* BEGIN IMMEDIATE */
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Runs: one row per invocation that changes state. */
long long store_run_begin(struct store *st, const char *command, const char *clock_iso);
int store_run_end(struct store *st, long long run, int exit_code);

/* Snapshots. */
/* Id of an earlier snapshot of feed with this SHA-256 (not a duplicate), 0 if none. */
long long store_snapshot_by_sha(struct store *st, const char *feed, const char *sha256);
long long store_snapshot_add(struct store *st, long long run, const struct snapshot_info *s);
int store_snapshot_set_counts(struct store *st, const struct snapshot_info *s);
long long store_feed_next_seq(struct store *st, const char *feed);
/* Newest applied snapshot of a feed: its seq (0 if none) and id. */
int store_feed_head(struct store *st, const char *feed, long long *seq, long long *id);
int store_snapshot_get(struct store *st, long long id, struct snapshot_info *out);
/* All snapshots, or those of one feed when feed != NULL, oldest first. */
int store_snapshot_list(struct store *st, const char *feed, struct snapshot_info **out, size_t *n);
void snapshot_info_release(struct snapshot_info *s);
void snapshot_list_free(struct snapshot_info *s, size_t n);
const char *snapshot_state_name(enum snapshot_state s);

/* Rejected rows of a snapshot. */
int store_reject_add(struct store *st, long long snapshot, const struct row_error *e);

/* A file moved to failed/: why, for status and the auditors. */
int store_quarantine_add(struct store *st, long long run, const char *feed, const char *file,
                         const char *sha256, const char *reason, const char *at);

/* Versions. */
/* Fill map with the feed's current versions (key, hash, version id; current = true). */
int store_load_current(struct store *st, const char *feed, struct keymap *map);
long long store_version_add(struct store *st, const char *feed, long long seq, long long snapshot,
                            const struct record *r);
int store_version_end(struct store *st, long long version, long long seq);

/*
 * Call fn for every record of the feed valid at seq (0 = current), ordered
 * by key, with fields filled from the stored JSON. Stops when fn returns
 * non-zero and returns that value.
 */
typedef int (*store_record_fn)(void *ctx, const struct record *r);
int store_each_record(struct store *st, const char *feed, long long seq, store_record_fn fn,
                      void *ctx);

/* Rejected rows of a snapshot in line order; stops when fn returns non-zero. */
typedef int (*store_reject_fn)(void *ctx, const struct row_error *e);
int store_each_reject(struct store *st, long long snapshot, store_reject_fn fn, void *ctx);

/* Warnings about a snapshot's file as a whole (store_warn.c), in the order recorded. */
int store_warning_add(struct store *st, long long snapshot, const struct row_warning *w);
typedef int (*store_warning_fn)(void *ctx, const struct row_warning *w);
int store_each_warning(struct store *st, long long snapshot, store_warning_fn fn, void *ctx);

/* One entry of a vehicle's history (SPEC §5 history keys). */
struct history_event {
	char *at; /* received time of the snapshot */
	long long snapshot;
	char *event;  /* appeared | changed | vanished */
	char *detail; /* feed, key, file, and the version's fields */
};

/* Every version of the VIN across feeds, oldest first. Caller frees with history_free(). */
int store_history(struct store *st, const char *vin, struct history_event **out, size_t *n);
void history_free(struct history_event *h, size_t n);

/* Pending export count and the time of the last delivery (NULL if none; caller frees). */
int store_target_status(struct store *st, const char *target, long long *pending,
                        char **last_delivery);

/* Exports and deliveries. */
long long store_export_add(struct store *st, long long run, const char *target, const char *basis,
                           const char *created_at);
int store_export_set_file(struct store *st, long long id, const char *file, const char *sha256,
                          long long vehicles);
/* Newest export of a target (any state); returns 0 with out->id = 0 when none. */
int store_export_last(struct store *st, const char *target, struct export_info *out);
int store_export_pending(struct store *st, const char *target, struct export_info **out, size_t *n);
int store_export_set_state(struct store *st, long long id, const char *state, const char *at);
int store_delivery_add(struct store *st, long long export_id, long long run, const char *at,
                       const char *result, const char *reply);
/* True when a file of that name is recorded for the target. */
int store_export_has_file(struct store *st, const char *target, const char *file);
void export_info_release(struct export_info *e);
void export_list_free(struct export_info *e, size_t n);

#endif
