/*
 * store_p.h - what the store_*.c files share and nothing else sees: the
 * connection, the statement cache and small binding helpers. Only the
 * store speaks SQL (STYLE.md); it is split by concern across files.
 */
#ifndef LOTSYNC_STORE_P_H
#define LOTSYNC_STORE_P_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "lotsync/store.h"

#define STORE_MAX_STMTS 160

struct store {
	sqlite3 *db;
	char *path;
	bool full;     /* a local I/O failure: disk full, EIO, fsync, a damaged file (74) */
	bool created;  /* the file had no schema when it was opened */
	bool readonly; /* opened read-only: a write through it is a bug, not I/O */
	int depth;     /* open store_begin()s: beyond the first they are savepoints */
	struct store_zdata *zdata;   /* compresses the versions written (store_pack.c) */
	struct store_packer *packer; /* store_vbatch's thread, or NULL (store_pack.c) */
	/*
	 * The "+" rows of the digest of the snapshot being written, fed by
	 * store_version_add (store_audit.c): the seal need not read back and
	 * decompress every version it wrote. Dropped at the outermost commit
	 * and at any rollback.
	 */
	struct {
		void *md; /* EVP_MD_CTX, or NULL */
		long long snapshot, rows, last_id;
	} dig;
	struct store_bgcheck *check; /* the quick_check beside the command, or NULL */
	/*
	 * The run row, written with the command's first write (store_run_begin):
	 * its insert would be a commit, and a commit waits for the check.
	 */
	struct {
		long long id;    /* reserved, not yet inserted; 0 = none pending */
		long long tx_id; /* inserted by the open transaction: a rollback undoes it */
		char *command;
		char clock[32], started[24];
	} run;
	store_commit_fn on_commit; /* after each outermost COMMIT, or NULL */
	void *on_commit_ctx;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[STORE_MAX_STMTS];
	size_t ncache;
};

/* Schema steps defined beside the code that uses them (see migrations[] in store.c). */
extern const char store_schema_audit[];
/* Schema migrations kept with the concern they belong to (store.c lists them). */
extern const char schema_v4_exports[];
extern const char store_schema_fetch[];
extern const char store_schema_fetch_seen[];
/* Schema parts defined next to the code that uses them (migrations list: store.c). */
extern const char store_schema_warnings[];
/* Version 8 (store_ops.c): the notification queue and its cursors. */
extern const char store_schema_notify[];
/* Duplicates, refused keys and the drift guard (store_drift.c). */
extern const char store_schema_drift[];
/* Clock jumps held for an operator (store_guard.c). */
extern const char store_schema_guard[];
/* The erasure journal and the one versions rewrite it allows (store_erase.c). */
extern const char store_schema_erase[];
/*
 * verify (store_erase.c): each erasure done and equal to its chain entry,
 * each "erase" entry with its erasure; problem() gets each finding.
 */
int store_verify_erasures(struct store *st, void (*problem)(void *, const char *), void *ctx);
/* Append-only version rows, appended ends and the current set (store_cur.c). */
extern const char store_schema_version_ends[];
extern const char store_schema_cur_raw[];

/*
 * Schema 13 (store_pack.c): version data as zstd frames (read back through
 * the SQL function lotsync_json(data), registered on every connection by
 * store_pack_register), and versions_vin only where vin <> key.
 */
extern const char store_schema_pack[];
extern const char store_schema_zdict2[];
int store_pack_register(struct store *st);
/*
 * Bind a version's JSON to parameter i of s in its stored form (a frame
 * in st's buffer: step s before the next bind). 0, or -1 (logged).
 */
int store_bind_data(struct store *st, sqlite3_stmt *s, int i, const char *json);
/*
 * The rows of alias a (version_rows or the view versions) whose vin is the
 * parameter p: those with their own VIN through the partial versions_vin,
 * those keyed by it through versions_key (feed, key). With the feed known,
 * ANDed with a.feed = ..., both halves are index lookups.
 */
#define STORE_VIN_MATCH(a, p)                                                                      \
	"((" a ".vin = " p " AND " a ".vin <> " a ".key) OR (" a ".key = " p " AND " a ".vin = " p \
	"))"
/*
 * The ids of the version rows whose vin is p, any feed: the partial index
 * for the first half, versions_key once per feed for the second.
 */
#define STORE_VIN_IDS(p)                                                                           \
	"SELECT id FROM version_rows WHERE vin = " p " AND vin <> key UNION ALL"                   \
	" SELECT id FROM version_rows WHERE feed IN (SELECT DISTINCT feed FROM snapshots)"         \
	" AND key = " p " AND vin = " p

/*
 * store_audit.c: feed the version just written (id, in id order) to the
 * digest of its snapshot; forget what was fed (rollback, commit, close).
 */
void store_digest_add(struct store *st, long long snapshot, long long id, const char *key,
                      uint64_t hash, const char *json);
void store_digest_drop(struct store *st);

/* Log SQLite's error for what was being done; note a full disk. Returns -1. */
int store_db_error(struct store *st, const char *what);
/* Stops and frees store_vbatch's thread (store_close). */
void store_packer_stop(struct store *st);
/* A version row and its cur row; blob: its data already compressed, else NULL (store_cur.c). */
long long store_version_insert(struct store *st, const char *feed, long long seq,
                               long long snapshot, const struct version_row *r, const void *blob,
                               size_t len);
/* Joins or interrupts the check's thread and frees it (store_close). */
void store_check_drop(struct store *st);
/* A cached prepared statement for sql (reset, bindings cleared), or NULL (logged). */
sqlite3_stmt *store_prep(struct store *st, const char *sql);
/* Step a statement that returns no rows, then reset it. */
int store_done(struct store *st, sqlite3_stmt *s, const char *what);
/* store_done() and return the new rowid, or -1. */
long long store_insert(struct store *st, sqlite3_stmt *s, const char *what);
/*
 * Step s (bound) once: column 0 of its row as an integer into *out (0
 * without a row), then reset it. 0, or store_db_error(what).
 */
int store_one_int(struct store *st, sqlite3_stmt *s, long long *out, const char *what);
/*
 * Prepare sql uncached (row may run other statements while it steps), bind
 * id to ?1 and call row(s, arg) for each row until it returns non-zero,
 * then finalize. row's non-zero return, or store_db_error(what).
 */
typedef int (*store_row_fn)(sqlite3_stmt *s, void *arg);
int store_each_by_id(struct store *st, const char *sql, long long id, store_row_fn row, void *arg,
                     const char *what);
/* Bind text, or NULL when v is NULL. */
void store_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Column as a new string (caller frees), or NULL. */
char *store_col_text(sqlite3_stmt *s, int i);
/*
 * Step s (columns id, key, data) calling fn for each row, then finalize it:
 * s is uncached (prepared by the caller), as fn may run other statements
 * while it steps. fn's non-zero return, or store_db_error(what).
 */
int store_each_raw(struct store *st, sqlite3_stmt *s, store_raw_fn fn, void *ctx, const char *what);

/* Rules (store_rules.c): schema version 5, and the rule events of a VIN for store_history. */
extern const char schema_v5_rules[];
int store_sr_history(struct store *st, const char *vin, struct history_event **out, size_t *n,
                     size_t *alloc);

#endif
