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
 * return -1 (or a negative id); store_failure() then says what exit
 * condition that is.
 */
#ifndef LOTSYNC_STORE_H
#define LOTSYNC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lotsync/keymap.h"
#include "lotsync/record.h"
#include "lotsync/status.h"

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
	char *hold_reason; /* why it is held, or NULL */
	char *decided;     /* "accepted by U at T" / "rejected by U at T", or NULL */
};

struct export_info {
	long long id;
	char *target;
	char *file; /* name in outbox/<target>/ and on the server; NULL = nothing to send */
	char *sha256;
	long long vehicles; /* the target's vehicle count the export reflects */
	char *created_at;
	char *state;    /* pending | delivered | superseded */
	char *basis;    /* "feed:seq,…" the export reflects */
	char *kind;     /* full | delta */
	long long rows; /* vehicles written in the file (delta: the changes) */
	long long bytes, warnings;
	long long held;     /* vehicles left out, awaiting release (auto_release = no) */
	char *delivered_at; /* or superseded at; NULL while pending */
};

/* A target's standing (schema 4): what the deviation lock compares with, the lock. */
struct target_info {
	long long baseline; /* vehicles of the last delivery (or unlock); -1 = none yet */
	bool locked;
	char *locked_at;
	char *lock_reason;
	long long lock_baseline, lock_vehicles; /* the two counts that tripped it */
	long long release_gen;                  /* bumped by every release */
};

/* Per target, for status: queue, last delivery and last unresolved error. */
struct target_status {
	long long pending;
	char *last_delivery; /* time, or NULL */
	char *error_at;      /* newest failed attempt after the last delivery, or NULL */
	char *error_file;
	char *error_reply;
};

int store_open(const char *path, bool readonly, struct store **out);
/*
 * The connection's page cache in MiB (it fills only as pages are used):
 * STORE_CACHE_MIB for reading, STORE_CACHE_WRITE_MIB while an ingest
 * writes. With compressed version rows (schema 14) a 256 MiB write cache
 * kept a steady-state ingest of a million vehicles at ~400 MB of RSS
 * against ~230 MB, for no CPU saved there (SQLite spills dirty pages to
 * the WAL mid-transaction instead); a first load took ~9% more CPU. 32
 * instead of 64 for writing: the steady state of a million at 239 MB
 * instead of 273, in the same time (6.0-6.5 s, three runs).
 * 0 or -1 (logged).
 */
#define STORE_CACHE_MIB       64
#define STORE_CACHE_WRITE_MIB 32
int store_cache_mib(struct store *st, int mib);
/* For tests of a migration: open read-write, migrating only up to schema version. */
int store_open_upto(const char *path, int version, struct store **out);
void store_close(struct store *st);
/*
 * The exit condition of a failed store call: 74 for local I/O (disk full,
 * an I/O or fsync error, a damaged or unwritable file), else 70 (st may be NULL).
 */
enum ls_exit store_failure(const struct store *st);

/*
 * Called after each outermost COMMIT (never for a savepoint, so not inside
 * a dry run's wrapper): the entry layer records the chain head outside the
 * database there. fn must not use the store's transactions.
 */
typedef void (*store_commit_fn)(void *ctx);
void store_on_commit(struct store *st, store_commit_fn fn, void *ctx);
/* True when the file had no lotsync schema when store_open() opened it (new or emptied). */
bool store_created(const struct store *st);
/*
 * PRAGMA quick_check (full = false) or integrity_check: 0 intact, 1
 * damaged (the first message into first), -1 when it could not run (logged).
 */
int store_check(struct store *st, bool full, char *first, size_t cap);
/*
 * The quick_check on a thread and a read-only connection of its own while
 * the command goes on (store_check.c): every commit of st waits for its
 * verdict, and a verdict other than intact turns that commit and every
 * later one into a rollback. fn (may be NULL) is called once, on the
 * thread that waited, with the verdict (1 damaged, -1 could not run) and
 * the first message, to say so. Returns 1 when no thread could be started
 * (the caller checks at once instead).
 */
typedef void (*store_verdict_fn)(void *ctx, int verdict, const char *first);
int store_check_start(struct store *st, store_verdict_fn fn, void *ctx);
/* Waits for that verdict: 0 intact (or no check was started, or st NULL), -1 otherwise. */
int store_check_wait(struct store *st);
/* How far the database's history reaches: the newest chain entry and snapshot. */
struct store_mark {
	long long chain_id;    /* newest audit_chain id, 0 = none */
	char chain_link[65];   /* its link ("" when none) */
	long long snapshot_id; /* newest snapshot id, 0 = none */
};
int store_mark_get(struct store *st, struct store_mark *m);
/* The link of chain entry id into hex: 0, 1 when there is no such entry, -1 on error. */
int store_chain_link_at(struct store *st, long long id, char hex[65]);
/* The clock of the newest run other than except (ISO 8601 UTC): 0, 1 when none, -1. */
int store_newest_run_clock(struct store *st, long long except, char out[32]);

/* Clock jumps (schema 10, store_guard.c; guard.h says what they hold). */
struct clock_jump {
	long long id;
	char from[32], to[32]; /* the newest run's clock before, the jumping run's */
};
int store_clock_jump_add(struct store *st, long long run, const char *from, const char *to);
/* The oldest jump no operator accepted yet: 0, 1 when none, -1. */
int store_clock_jump_pending(struct store *st, struct clock_jump *j);
/* Accept every pending jump; how many, or -1. */
long long store_clock_jump_accept(struct store *st, const char *by, const char *at);
/* 1 when a snapshot or quarantined file of feed has this SHA-256, 0 if none, -1. */
int store_archive_known(struct store *st, const char *feed, const char *sha);
/* Open SRs of feed absent from its feed whose auto-close clock started at or before cutoff. */
long long store_srs_close_due(struct store *st, const char *feed, const char *cutoff);

int store_begin(struct store *st); /* BEGIN IMMEDIATE */
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Runs: one row per invocation that changes state. */
long long store_run_begin(struct store *st, const char *command, const char *clock_iso);
/*
 * The same row, inserted by the first write through st instead (the first
 * store_begin(), a write outside one, or store_run_end()), and again by
 * the next one when a rollback took it: an insert now would be a commit,
 * and commits wait for the quick_check beside the start of the command
 * (store_check_start). A run that crashes before it writes leaves no row.
 */
long long store_run_reserve(struct store *st, const char *command, const char *clock_iso);
int store_run_end(struct store *st, long long run, int exit_code);

/* Snapshots. */
long long store_snapshot_add(struct store *st, long long run, const struct snapshot_info *s);
/*
 * Write the final state, seq, counts and hold reason of a snapshot inserted
 * in this transaction, and seal it: after the commit its row can change only
 * from held to applied or rejected (triggers refuse anything else).
 */
int store_snapshot_seal(struct store *st, const struct snapshot_info *s);
/* Held to applied (with seq and fresh counts) or rejected, recording who decided. */
int store_snapshot_decide(struct store *st, const struct snapshot_info *s, const char *decided);
/* Ids of the feed's held snapshots, oldest first. Caller frees *ids. */
int store_feed_held(struct store *st, const char *feed, long long **ids, size_t *n);
long long store_feed_next_seq(struct store *st, const char *feed);
/* Newest applied snapshot of a feed: its seq (0 if none) and id. */
int store_feed_head(struct store *st, const char *feed, long long *seq, long long *id);
int store_snapshot_get(struct store *st, long long id, struct snapshot_info *out);
/* All snapshots, or those of one feed when feed != NULL, oldest first. */
int store_snapshot_list(struct store *st, const char *feed, struct snapshot_info **out, size_t *n);
/*
 * Stream a feed's snapshots to fn one at a time, so memory does not grow
 * with history; the strings are valid only during the call. Stops when fn
 * returns non-zero and returns that value (-1 on a database error, logged).
 * store_each_snapshot: newest first, at most limit (0 = all).
 * store_each_applied: the applied ones in seq order, the feed's inventory
 * over time.
 */
typedef int (*store_snapshot_fn)(void *ctx, const struct snapshot_info *s);
int store_each_snapshot(struct store *st, const char *feed, long long limit, store_snapshot_fn fn,
                        void *ctx);
int store_each_applied(struct store *st, const char *feed, store_snapshot_fn fn, void *ctx);
void snapshot_info_release(struct snapshot_info *s);
void snapshot_list_free(struct snapshot_info *s, size_t n);
const char *snapshot_state_name(enum snapshot_state s);

/* Rejected rows of a snapshot. */
int store_reject_add(struct store *st, long long snapshot, const struct row_error *e);

/* A file moved to failed/: why, for status and the auditors. */
int store_quarantine_add(struct store *st, long long run, const char *feed, const char *file,
                         const char *sha256, const char *reason, const char *at);

/* Versions. */
/*
 * Fill map with the feed's current versions (key, hash, version id; current
 * = true). raw (may be NULL) receives a row for each version whose raw
 * record is known (cur.raw; rawset_build() is the caller's).
 */
int store_load_current(struct store *st, const char *feed, struct keymap *map, struct rawset *raw);
/*
 * The same before the file's transaction begins (so it can overlap work that
 * does not use the store: no other call on st until it returns), in a read
 * transaction of its own: *version is the data version it read. Valid inside
 * the later write transaction while store_data_version() still says *version
 * (no other connection committed in between). 0, -1 (logged), or 1 when st
 * is inside a transaction (nothing loaded: load in it with store_load_current).
 */
int store_preload_current(struct store *st, const char *feed, struct keymap *map,
                          struct rawset *raw, long long *version);
/* A current version's raw record (the fast path): what cur.raw says of it from now on. */
int store_cur_set_raw(struct store *st, const char *feed, long long version,
                      const struct rawrec *raw);
/* PRAGMA data_version: changes when another connection commits to the database. */
int store_data_version(struct store *st, long long *v);
/*
 * verify: does cur hold exactly the open versions (feed, id, key, hash), and
 * is each raw record NULL or of its one size?
 * 0 yes, 1 no (why says where first), -1 error (logged).
 */
int store_cur_check(struct store *st, char *why, size_t cap);
/* One vehicle version to store: its key, VIN (or NULL), content hash and canonical JSON. */
struct version_row {
	const char *key;
	const char *vin;
	uint64_t hash;
	const char *json;
	const char *kind;         /* "workorder", "person"; NULL = "vehicle" */
	const struct rawrec *raw; /* its raw record (the fast path), or NULL */
};
long long store_version_add(struct store *st, const char *feed, long long seq, long long snapshot,
                            const struct version_row *r);
/*
 * New versions written in batches (ingest): store_vbatch_submit() starts
 * compressing their data on a thread of the store's own while the caller
 * builds the next batch, store_vbatch_write() inserts them in order, each
 * as soon as it is compressed. Compressing is most of what writing a version costs
 * (~8 us for a vehicle's 900 bytes of JSON), and a steady-state ingest
 * waits for the thread that writes. One batch is compressed at a time
 * (submit waits for the one before); rows stay the caller's, untouched,
 * until written or dropped.
 */
struct store_vbatch {
	const char *feed;
	long long seq, snapshot;
	const struct version_row *rows;
	size_t n;
	long long *ids;           /* the caller's n: ids[i] is rows[i]'s once written */
	struct store_vpack *pack; /* private */
};
void store_vbatch_submit(struct store *st, struct store_vbatch *b);
/* 0, or -1 (logged; the caller rolls back). Either way b is done with. */
int store_vbatch_write(struct store *st, struct store_vbatch *b);
/* A submitted batch not to be written (an error path): waited for and released. */
void store_vbatch_drop(struct store *st, struct store_vbatch *b);
/* End a current version of feed at seq (appended: versions are never updated). */
int store_version_end(struct store *st, const char *feed, long long version, long long seq);

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

/*
 * Never silently wrong (store_drift.c). The newest applied snapshot of a
 * feed, below seq below_seq unless it is 0 (id 0 when none; sha
 * NUL-terminated); the first held or applied
 * snapshot with this content (0 when none, -1 error); whether the feed's
 * newest recorded snapshot is this content under this file name (1/0/-1:
 * a leftover in work/ that a crash kept after its commit).
 */
int store_feed_last_applied(struct store *st, const char *feed, long long below_seq, long long *id,
                            char sha[65]);
long long store_snapshot_held_sha(struct store *st, const char *feed, const char *sha);
long long store_snapshot_applied_sha(struct store *st, const char *feed, const char *sha);
int store_snapshot_newest_is(struct store *st, const char *feed, const char *sha, const char *file);

/* What an applied snapshot's file had: mapped columns present, and fields filled per vehicle. */
struct store_drift_col {
	char *name;  /* the column as the header spelt it */
	char *field; /* the canonical field it maps */
};
struct store_drift_fill {
	char *field;
	long long filled; /* vehicles with a value */
};
struct store_drift {
	struct store_drift_col *cols;
	size_t ncols;
	struct store_drift_fill *fill;
	size_t nfill;
	bool known; /* something was recorded (snapshots before schema 9 have nothing) */
};
int store_drift_add(struct store *st, long long snapshot, const struct store_drift *d);
/* Load into d (caller releases, also after -1). */
int store_drift_load(struct store *st, long long snapshot, struct store_drift *d);
void store_drift_release(struct store_drift *d);

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

/* Exports and deliveries (store_export.c). Caller frees what out holds. */
int store_target_status(struct store *st, const char *target, struct target_status *out);
void target_status_release(struct target_status *s);

/*
 * Audit chain (SPEC §8). Each entry links to the previous one by
 * link = SHA-256(previous link || canonical manifest); the first entry's
 * previous link is 64 zeros. A snapshot's manifest holds its file SHA-256,
 * size, source, received time, profile, state, counts and a digest of the
 * vehicle versions it created and ended, so editing any of them behind
 * lotsync's back breaks verification.
 */
/* Append a chain entry for a snapshot (kind "snapshot", "accept" or "reject"). */
int store_chain_snapshot(struct store *st, const char *kind, long long snapshot, const char *at,
                         const char *by);
/*
 * Append an operator's action that is not a snapshot (kind "retry": a
 * quarantined file put back) with its canonical manifest (compact JSON);
 * verify checks its link like any other.
 */
int store_chain_event(struct store *st, const char *kind, const char *at, const char *by,
                      const char *manifest);
/* The newest link (64 zeros for an empty chain) into hex. */
int store_chain_head(struct store *st, char hex[65]);

/* What verify found: 0 = intact; otherwise every problem is logged. */
struct verify_report {
	long long entries, snapshots, files;
	long long problems;
	char first[512]; /* the first problem as logged ("" when none), for the report */
};
/*
 * Recompute the chain and every snapshot's manifest from the tables, and
 * re-hash every archived file under archive_root/<feed>/<sha256>.
 */
int store_verify(struct store *st, const char *archive_root, struct verify_report *r);

/* Exports and deliveries. */
long long store_export_add(struct store *st, long long run, const char *target, const char *basis,
                           const char *created_at);
/* Set file, sha256, vehicles, kind, rows, bytes, warnings, held of export e->id. */
int store_export_finish(struct store *st, const struct export_info *e);
/* Newest export of a target (any state); returns 0 with out->id = 0 when none. */
int store_export_last(struct store *st, const char *target, struct export_info *out);
int store_export_pending(struct store *st, const char *target, struct export_info **out, size_t *n);
int store_export_set_state(struct store *st, long long id, const char *state, const char *at);
int store_delivery_add(struct store *st, long long export_id, long long run, const char *at,
                       const char *result, const char *reply);
/* The export recorded under file for the target; out->id = 0 when none. */
int store_export_by_file(struct store *st, const char *target, const char *file,
                         struct export_info *out);
/*
 * Delivered or superseded exports (and file-less ones) of a target created
 * before 'before', except the newest export and the newest delivery, which
 * the next export and the deviation lock compare with.
 */
int store_export_prunable(struct store *st, const char *target, const char *before,
                          struct export_info **out, size_t *n);
/* Delete an export record and its delivery attempts. */
int store_export_delete(struct store *st, long long id);
void export_info_release(struct export_info *e);
void export_list_free(struct export_info *e, size_t n);

/*
 * Current vehicles of a feed as stored: version id, key and canonical JSON,
 * in storage order (fast: no sort, no per-field rows). The strings are
 * valid only during the call. Stops when fn returns non-zero.
 */
typedef int (*store_raw_fn)(void *ctx, long long version, const char *key, const char *json,
                            size_t len);
int store_each_current(struct store *st, const char *feed, store_raw_fn fn, void *ctx);
/*
 * The same rows with their data as stored: packed (a compressed frame,
 * for store_unpack) or not (the JSON itself). Decompressing is most of a
 * full export's scan (2.2 us a row): this lets another thread do it.
 */
typedef int (*store_stored_fn)(void *ctx, long long version, const char *key, const void *data,
                               size_t len, bool packed);
int store_each_current_stored(struct store *st, const char *feed, store_stored_fn fn, void *ctx);
/* A decompression context of a thread's own (store_unpack); NULL: out of memory. */
struct store_unpacker *store_unpacker_new(void);
void store_unpacker_free(struct store_unpacker *u);
/*
 * The JSON of data as store_each_current_stored gave it: data itself when
 * not packed, else u's buffer (valid until the next call on u), *len its
 * length. NULL when the frame is damaged (a reason in why[cap]).
 */
const char *store_unpack(struct store_unpacker *u, const void *data, size_t n, bool packed,
                         size_t *len, char *why, size_t cap);
/* One stored version by id (a deleted vehicle's last data). */
int store_version_raw(struct store *st, long long version, store_raw_fn fn, void *ctx);
/* Keys of a feed's current vehicles with this VIN; caller frees each and the array. */
int store_current_keys_by_vin(struct store *st, const char *feed, const char *vin, char ***keys,
                              size_t *n);

/*
 * Erasures of a person (store_erase.c; cmd_erase.c runs them): a journal
 * planned (pending: the files to rewrite, old and new SHA-256), then one
 * transaction rewrites the person's versions, re-seals their snapshots in
 * the audit chain (kind "erased"), appends the "erase" entry and marks
 * the erasure done. verify checks rewritten archive files against their
 * new SHA-256 and each erasure against its entry.
 */
struct erasure_file {
	char *place;   /* archive | failed | outbox | sent */
	char *owner;   /* the feed or target folder */
	char *name;    /* the file's name there (archive: the snapshot's SHA-256) */
	char *old_sha; /* what it hashed to before */
	char *new_sha; /* and after the rewrite */
};
void erasure_files_release(struct erasure_file *f, size_t n);
/* The oldest unfinished erasure: *id 0 when none; feed and person for the caller to free. */
int store_erasure_pending(struct store *st, long long *id, char **feed, char **person);
/* Start one (pending), in the caller's transaction; its id or -1. */
long long store_erasure_begin(struct store *st, const char *feed, const char *person,
                              const char *at, const char *by);
int store_erasure_add_file(struct store *st, long long id, const struct erasure_file *f);
/* The files of an erasure in plan order; release with erasure_files_release(). */
int store_erasure_files(struct store *st, long long id, struct erasure_file **out, size_t *n);
/* The newest finished erasure's new SHA-256 of place/owner/name (*sha NULL: none). */
int store_erased_sha(struct store *st, const char *place, const char *owner, const char *name,
                     char **sha);
/* Whether the feed has ever stored person:<person>. */
int store_person_known(struct store *st, const char *feed, const char *person, bool *known);
/* Every version of person:<person> and of the work orders naming it, in id order. */
int store_each_person_version(struct store *st, const char *feed, const char *person,
                              store_raw_fn fn, void *ctx);
/* Rewrite one version's data and hash as part of pending erasure erasure. */
int store_erase_version(struct store *st, long long erasure, long long version, const char *data,
                        uint64_t hash);
/* Re-seal, chain entry, done; returns the chain entry's id or -1. */
long long store_erasure_finish(struct store *st, long long id);
/*
 * verify: may archive/<feed>/<sha> hash to got? Yes when got is sha and no
 * erasure rewrote it (or the content arrived again after it), or got is
 * the newest erasure's new SHA-256, or either side of a pending one.
 */
int store_archive_expect(struct store *st, const char *feed, const char *sha, const char *got,
                         bool *ok);
/* Overwrite deleted content with zeros from now on (this connection). */
int store_secure_delete(struct store *st);
/* Copy the write-ahead log into the database and empty it (TRUNCATE). */
int store_checkpoint(struct store *st);

/* A target's standing; out->baseline = -1 and unlocked when never recorded. */
int store_target_get(struct store *st, const char *target, struct target_info *out);
void target_info_release(struct target_info *t);
int store_target_set_baseline(struct store *st, const char *target, long long vehicles);
int store_target_set_lock(struct store *st, const char *target, const char *at, const char *reason,
                          long long baseline, long long vehicles);
int store_target_clear_lock(struct store *st, const char *target);
/* Count one more release for the target; returns the new generation or -1. */
long long store_target_bump_release(struct store *st, const char *target);
/* Append to the target's event log (locked, unlocked, released). */
int store_target_event(struct store *st, const char *target, long long run, const char *at,
                       const char *event, const char *detail);

/* What a delta target's receiver holds: key -> version id (entry->version). */
int store_target_state_load(struct store *st, const char *target, const char *feed,
                            struct keymap *m);
int store_target_state_put(struct store *st, const char *target, const char *feed, const char *key,
                           long long version);
int store_target_state_del(struct store *st, const char *target, const char *feed, const char *key);
/* Vehicles released for a target with auto_release = no (keys of the map). */
int store_release_load(struct store *st, const char *target, const char *feed, struct keymap *m);
int store_release_add(struct store *st, const char *target, const char *feed, const char *key,
                      const char *vin, const char *at, long long run);
/*
 * Fetched files (store_fetch.c): one record per completed download of a
 * remote feed file, so an unchanged remote file is not fetched again, a
 * re-uploaded identical file is recognised, and after_fetch = delete
 * deletes only what is archived.
 */
struct fetch_record {
	const char *feed;
	const char *source; /* directory URL, scheme://user@host:port/dir/ (no secret) */
	const char *remote; /* file name in that directory */
	long long size;
	long long mtime; /* remote mtime (epoch s), 0 when the server does not say */
	const char *sha256;
	const char *local; /* name given in incoming/<feed>/; NULL: content known already */
	const char *fetched_at;
};

/* The newest record of one remote file. */
struct fetch_seen {
	long long id, size, mtime;
	char sha256[65];
	char *local;   /* or NULL; freed by fetch_seen_release() */
	bool archived; /* a snapshot or quarantined file of the feed has this content */
	bool deleted;  /* after_fetch = delete removed the remote file */
};

/* Record a download; returns the row id or -1. */
long long store_fetch_add(struct store *st, long long run, const struct fetch_record *r);
/* Newest record of source+remote for the feed: 1 found (out set), 0 none, -1 error. */
int store_fetch_last(struct store *st, const char *feed, const char *source, const char *remote,
                     struct fetch_seen *out);
void fetch_seen_release(struct fetch_seen *f);
/*
 * 1 when this content need not be ingested again: it is the feed's newest
 * applied snapshot, a held one, or a quarantined file (content equal to an
 * older snapshot is the inventory now and is ingested again); 0 when not,
 * with *local the name under which it was last fetched
 * and not yet archived (or NULL; caller frees); -1 on error.
 */
int store_fetch_known(struct store *st, const char *feed, const char *sha256, char **local);
int store_fetch_set_deleted(struct store *st, long long id, const char *at);
/*
 * Observations of listed remote files (table remote_seen), by lotsync's real
 * clock: the basis of settling, independent of the server's clock.
 */
struct remote_obs {
	const char *feed, *source, *remote;
	long long size, mtime; /* as listed; mtime 0 when the server does not say */
	long long now;         /* lotsync's real clock (clock_real()), epoch s */
};
struct remote_obs_result {
	long long first_seen;    /* when this size+mtime was first listed (now if new) */
	long long changed_after; /* the file was listed differently at this time; 0 = not */
	char *delete_refused; /* server's refusal to delete this version, or NULL; caller frees */
};
/* Record one listed file (upsert); 0 or -1. */
int store_fetch_observe(struct store *st, const struct remote_obs *o,
                        struct remote_obs_result *out);
/* Drop observations of the feed's files not listed at `now`; 0 or -1. */
int store_fetch_forget_unlisted(struct store *st, const char *feed, const char *source,
                                long long now);
/* Remember that the server refused to delete the current version of remote. */
int store_fetch_delete_refused(struct store *st, const char *feed, const char *source,
                               const char *remote, const char *reply);
/*
 * Where incoming/<feed>/<local> with this content was fetched from: its URL
 * into *url (caller frees), NULL for a dropped file. 0, or -1 (logged).
 */
int store_fetch_source(struct store *st, const char *feed, const char *local, const char *sha256,
                       char **url);

#endif
