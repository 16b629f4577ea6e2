/*
 * store_diff.h - the auditor's streamed reads of the temporal store
 * (src/store_diff.c): what changed between any two snapshots of a feed,
 * and every vehicle of one snapshot, at the pace of the output and in
 * memory that does not grow with the feed.
 *
 * A version is valid at seq when from_seq <= seq < to_seq (to_seq NULL =
 * still open). Between seq lo < hi, only versions that end or begin in
 * (lo, hi] can differ: those are found by range scans of version_ends
 * (index feed, to_seq) and of the versions created by the snapshots with a
 * seq in (lo, hi] (versions_snapshot), each read once with its JSON, put in
 * key order by an extsort (memory-bounded, a temporary file past it) and
 * merged here key by key. So the cost follows the versions that changed
 * between the two, not the size of either snapshot. The frames a key needs
 * are decompressed on a thread of the diff's own, a batch of keys at a
 * time; the callback is always called on the caller's thread, in order.
 *
 * Strings a callback sees are valid only during the call. Each function
 * returns 0, fn's non-zero value when it stopped early, or -1 on a database
 * error (logged with the database path). A callback must not use the store:
 * the row it reads from is a statement the store reuses.
 */
#ifndef LOTSYNC_STORE_DIFF_H
#define LOTSYNC_STORE_DIFF_H

#include <stddef.h>

#include "lotsync/store.h"

/*
 * One key that differs from snapshot A to snapshot B. old_json is the
 * canonical JSON of its version valid at A, new_json at B; NULL when the key
 * had no version there (new: old_json NULL; vanished: new_json NULL). For a
 * new or vanished key the present side is "" (length 0) unless
 * store_diff_each_full() was asked for it.
 */
struct store_diff_item {
	const char *key; /* NULL only for a refused row without a readable key */
	const char *old_json, *new_json;
	size_t old_len, new_len;
	/*
	 * Non-NULL for a row snapshot B refused (its reason; both JSON NULL),
	 * with its line and field (NULL: the whole row). A refused row whose
	 * key could be read kept that key's version, so it is not vanished.
	 */
	const char *refused, *field;
	long long line;
};

typedef int (*store_diff_fn)(void *ctx, const struct store_diff_item *d);

/*
 * The keys that differ between the feed's snapshots seq_a and seq_b (either
 * may be the older), in key order (bytewise, as SQLite's BINARY). A key
 * whose versions at A and B have the same content hash (it vanished and
 * came back unchanged) is not reported. The rows B refused come in the same
 * order, after their key's version (those without a key first); nothing
 * when seq_a == seq_b.
 */
int store_diff_each(struct store *st, const char *feed, long long seq_a, long long seq_b,
                    store_diff_fn fn, void *ctx);
/*
 * The same, but a new key also carries its version's JSON (new_json) and a
 * vanished key its last one (old_json), for output that names the vehicle.
 */
int store_diff_each_full(struct store *st, const char *feed, long long seq_a, long long seq_b,
                         store_diff_fn fn, void *ctx);

/*
 * Every version of the feed valid at seq (> 0), in key order, as stored:
 * version id, key and canonical JSON. The ids come from narrow tables (the
 * current set, less what began after seq, plus what ended after it), the
 * rows are read in id order (about file order), their frames as stored,
 * and sorted by an extsort; the frames are decompressed on a thread of the
 * show's own, the callback called on the caller's thread, in order. Memory
 * stays bounded (~70 MB resident at a million vehicles), a large snapshot
 * passes once through a temporary file of about its size.
 */
int store_each_at(struct store *st, const char *feed, long long seq, store_raw_fn fn, void *ctx);

#endif
