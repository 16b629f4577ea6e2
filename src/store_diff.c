/* store_diff.c - streamed diff of two snapshots and streamed show, from the temporal store. */
#include "lotsync/store_diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/util.h"
#include "store_p.h"

/*
 * Side 0: versions valid at lo and not at hi (they end in (lo, hi]).
 * Side 1: versions valid at hi and not at lo (they begin in (lo, hi]; a
 * version begins at the seq of the snapshot that created it, so the
 * snapshots in range lead, CROSS JOIN keeping that order: with no index
 * statistics SQLite would otherwise walk versions_key over the whole feed).
 * At most one row per key and side: a key has one version valid at a seq.
 * Side 2: the rows snapshot B (seq ?4) refused, with their line, field and
 * reason; after a key's versions, and those without a readable key (NULL)
 * first.
 */
static const char diff_sql[] =
        "SELECT v.key, 0 AS side, v.id, v.hash, NULL, NULL FROM version_ends e"
        " CROSS JOIN version_rows v ON v.id = e.version_id"
        " WHERE e.feed = ?1 AND e.to_seq > ?2 AND e.to_seq <= ?3 AND v.from_seq <= ?2"
        " UNION ALL"
        " SELECT v.key, 1, v.id, v.hash, NULL, NULL FROM snapshots s CROSS JOIN versions v"
        " ON v.snapshot_id = s.id WHERE s.feed = ?1 AND s.seq > ?2 AND s.seq <= ?3"
        " AND (v.to_seq IS NULL OR v.to_seq > ?3)"
        " UNION ALL"
        " SELECT r.key, 2, r.line, 0, r.field, r.reason FROM snapshots s"
        " CROSS JOIN rejected_rows r ON r.snapshot_id = s.id WHERE s.feed = ?1 AND s.seq = ?4"
        " ORDER BY 1, 2, 3";

struct side {
	long long id;
	int64_t hash;
	int which; /* 0 = valid at lo, 1 = at hi */
};

struct diff_walk {
	struct store *st;
	store_diff_fn fn;
	void *ctx;
	bool a_is_lo; /* snapshot A is the older of the two */
	char *key;    /* the pending row's key (copied: the statement moves on) */
	size_t klen, kalloc;
	char *old; /* old version's JSON while the new one is read */
	size_t oalloc;
	struct side pending;
	bool have;
	bool singles; /* also read the one version of a new or vanished key */
};

static const char version_sql[] = "SELECT data FROM version_rows WHERE id = ?";

/* Step the version read for id: its row stays current until the statement is reset. */
static sqlite3_stmt *
version_row(struct diff_walk *w, long long id)
{
	sqlite3_stmt *s = store_prep(w->st, version_sql);

	if (!s)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		store_db_error(w->st, "read a version for diff");
		return NULL;
	}
	return s;
}

/* A key on one side only: new when that side is B, vanished when it is A. */
static int
emit_single(struct diff_walk *w, const struct side *x)
{
	bool at_a = (x->which == 0) == w->a_is_lo;
	struct store_diff_item d = {
	        .key = w->key, .old_json = at_a ? "" : NULL, .new_json = at_a ? NULL : ""};
	sqlite3_stmt *s;
	int rc;

	if (!w->singles)
		return w->fn(w->ctx, &d);
	if (!(s = version_row(w, x->id)))
		return -1;
	if (at_a) {
		d.old_json = (const char *)sqlite3_column_text(s, 0);
		d.old_len = (size_t)sqlite3_column_bytes(s, 0);
	} else {
		d.new_json = (const char *)sqlite3_column_text(s, 0);
		d.new_len = (size_t)sqlite3_column_bytes(s, 0);
	}
	rc = w->fn(w->ctx, &d);
	sqlite3_reset(s);
	return rc;
}

/* A key on both sides: changed unless the content hashes agree. */
static int
emit_pair(struct diff_walk *w, const struct side *lo, const struct side *hi)
{
	const struct side *a = w->a_is_lo ? lo : hi, *b = w->a_is_lo ? hi : lo;
	struct store_diff_item d = {.key = w->key};
	sqlite3_stmt *s;
	int rc;

	if (lo->hash == hi->hash)
		return 0;
	/* A's JSON is copied out; B's is read in place while fn runs. */
	if (!(s = version_row(w, a->id)))
		return -1;
	d.old_len = (size_t)sqlite3_column_bytes(s, 0);
	w->old = xgrow(w->old, &w->oalloc, d.old_len + 1, 1);
	memcpy(w->old, sqlite3_column_blob(s, 0), d.old_len);
	w->old[d.old_len] = '\0';
	sqlite3_reset(s);
	if (!(s = version_row(w, b->id)))
		return -1;
	d.old_json = w->old;
	d.new_json = (const char *)sqlite3_column_text(s, 0);
	d.new_len = (size_t)sqlite3_column_bytes(s, 0);
	rc = w->fn(w->ctx, &d);
	sqlite3_reset(s);
	return rc;
}

static void
set_pending(struct diff_walk *w, sqlite3_stmt *s)
{
	size_t n = (size_t)sqlite3_column_bytes(s, 0);

	w->key = xgrow(w->key, &w->kalloc, n + 1, 1);
	memcpy(w->key, sqlite3_column_blob(s, 0), n);
	w->key[n] = '\0';
	w->klen = n;
	w->pending = (struct side){.which = sqlite3_column_int(s, 1),
	                           .id = sqlite3_column_int64(s, 2),
	                           .hash = sqlite3_column_int64(s, 3)};
	w->have = true;
}

/* A row B refused: read in place, after the key's pending version is out. */
static int
emit_refused(struct diff_walk *w, sqlite3_stmt *s)
{
	struct store_diff_item d = {.key = (const char *)sqlite3_column_text(s, 0),
	                            .refused = (const char *)sqlite3_column_text(s, 5),
	                            .field = (const char *)sqlite3_column_text(s, 4),
	                            .line = sqlite3_column_int64(s, 2)};
	int rc;

	if (w->have) {
		w->have = false;
		if ((rc = emit_single(w, &w->pending)) != 0)
			return rc;
	}
	if (!d.refused)
		d.refused = "";
	return w->fn(w->ctx, &d);
}

/* One sorted row: pairs with the pending row of the same key, else flushes it. */
static int
diff_row(struct diff_walk *w, sqlite3_stmt *s)
{
	const char *key = (const char *)sqlite3_column_blob(s, 0);
	size_t n = (size_t)sqlite3_column_bytes(s, 0);
	int rc;

	if (sqlite3_column_int(s, 1) == 2)
		return emit_refused(w, s);
	if (w->have && w->klen == n && memcmp(w->key, key, n) == 0) {
		struct side hi = {.which = sqlite3_column_int(s, 1),
		                  .id = sqlite3_column_int64(s, 2),
		                  .hash = sqlite3_column_int64(s, 3)};

		w->have = false;
		return emit_pair(w, &w->pending, &hi);
	}
	if (w->have && (rc = emit_single(w, &w->pending)) != 0)
		return rc;
	set_pending(w, s);
	return 0;
}

/*
 * The diff visits each page about once (a range of an index, then rows at
 * random), so a page cache beyond the b-tree's interior pages buys
 * nothing but resident memory: run it with DIFF_CACHE, then put back the
 * connection's own size.
 */
#define DIFF_CACHE "-16384" /* KiB */

static int diff_walk(struct store *st, const char *feed, long long seq_a, long long seq_b,
                     bool singles, store_diff_fn fn, void *ctx);

static int
diff_each(struct store *st, const char *feed, long long seq_a, long long seq_b, bool singles,
          store_diff_fn fn, void *ctx)
{
	sqlite3_stmt *s = store_prep(st, "PRAGMA cache_size");
	char *restore;
	int ret;

	if (!s)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, "read the cache size");
	}
	restore = xasprintf("PRAGMA cache_size=%lld", sqlite3_column_int64(s, 0));
	sqlite3_reset(s);
	if (sqlite3_exec(st->db, "PRAGMA cache_size=" DIFF_CACHE, NULL, NULL, NULL) != SQLITE_OK) {
		free(restore);
		return store_db_error(st, "set the cache size");
	}
	ret = diff_walk(st, feed, seq_a, seq_b, singles, fn, ctx);
	if (sqlite3_exec(st->db, restore, NULL, NULL, NULL) != SQLITE_OK && ret == 0)
		ret = store_db_error(st, "restore the cache size");
	free(restore);
	return ret;
}

int
store_diff_each(struct store *st, const char *feed, long long seq_a, long long seq_b,
                store_diff_fn fn, void *ctx)
{
	return diff_each(st, feed, seq_a, seq_b, false, fn, ctx);
}

int
store_diff_each_full(struct store *st, const char *feed, long long seq_a, long long seq_b,
                     store_diff_fn fn, void *ctx)
{
	return diff_each(st, feed, seq_a, seq_b, true, fn, ctx);
}

static int
diff_walk(struct store *st, const char *feed, long long seq_a, long long seq_b, bool singles,
          store_diff_fn fn, void *ctx)
{
	struct diff_walk w = {
	        .st = st, .fn = fn, .ctx = ctx, .a_is_lo = seq_a <= seq_b, .singles = singles};
	sqlite3_stmt *s;
	int rc, ret = 0;

	if (seq_a == seq_b)
		return 0;
	/* Not cached: the callback and the version reads use the connection meanwhile. */
	if (sqlite3_prepare_v2(st->db, diff_sql, -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare diff");
	store_bind_text(s, 1, feed);
	sqlite3_bind_int64(s, 2, w.a_is_lo ? seq_a : seq_b);
	sqlite3_bind_int64(s, 3, w.a_is_lo ? seq_b : seq_a);
	sqlite3_bind_int64(s, 4, seq_b);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((ret = diff_row(&w, s)) != 0)
			break;
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_db_error(st, "diff snapshots");
	if (ret == 0 && w.have)
		ret = emit_single(&w, &w.pending);
	sqlite3_finalize(s);
	free(w.key);
	free(w.old);
	return ret;
}

/* 1 TiB: the whole file, whatever it grows to (SQLite caps it at SQLITE_MAX_MMAP_SIZE). */
#define SHOW_MMAP "1099511627776"

static int scan_at(struct store *st, const char *feed, long long seq, store_raw_fn fn, void *ctx);

int
store_each_at(struct store *st, const char *feed, long long seq, store_raw_fn fn, void *ctx)
{
	int ret;

	/*
	 * Key order walks the table at random: map the file for the scan so
	 * each row is read in place, not copied out of the page cache by a
	 * pread (a quarter of show's CPU). Mapped pages are the kernel's page
	 * cache, shared and reclaimable; the map ends with the scan.
	 */
	if (sqlite3_exec(st->db, "PRAGMA mmap_size=" SHOW_MMAP, NULL, NULL, NULL) != SQLITE_OK)
		return store_db_error(st, "map the database");
	ret = scan_at(st, feed, seq, fn, ctx);
	if (sqlite3_exec(st->db, "PRAGMA mmap_size=0", NULL, NULL, NULL) != SQLITE_OK && ret == 0)
		ret = store_db_error(st, "unmap the database");
	return ret;
}

static int
scan_at(struct store *st, const char *feed, long long seq, store_raw_fn fn, void *ctx)
{
	sqlite3_stmt *s;

	/* versions_key (feed, key) gives key order: no sort of the snapshot. */
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT id, key, data FROM versions WHERE feed = ?1"
	                       " AND from_seq <= ?2 AND (to_seq IS NULL OR to_seq > ?2)"
	                       " ORDER BY key",
	                       -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare snapshot scan");
	store_bind_text(s, 1, feed);
	sqlite3_bind_int64(s, 2, seq);
	return store_each_raw(st, s, fn, ctx, "scan a snapshot");
}
