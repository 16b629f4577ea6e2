/* store_diff.c - streamed diff of two snapshots and streamed show, from the temporal store. */
#include "lotsync/store_diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/extsort.h"
#include "lotsync/handoff.h"
#include "lotsync/log.h"
#include "lotsync/util.h"
#include "store_p.h"

/*
 * The diff's rows, unsorted (the sorter orders them by key):
 * Side 0: versions valid at lo and not at hi: they end in (lo, hi] and did
 * not begin there. The ends come from version_ends_seq; those of versions
 * that also began in (lo, hi] are dropped by their id before the wide row
 * is read: a month apart, most ends are of versions the month itself
 * created. Version ids only grow (rows are never deleted, and a feed's
 * snapshots write theirs in seq order), so those are the ids from the
 * first one a snapshot in range created: one index seek per snapshot, where
 * a NOT IN list of them built a temporary B-tree of every id the month
 * created. (v.from_seq <= lo still decides each row.) The rest are
 * read in id order (a page read once, not once per row that lies on it;
 * LIMIT -1 keeps SQLite from dropping the subquery's ORDER BY).
 * Side 1: versions valid at hi and not at lo: they begin in (lo, hi] (a
 * version begins at the seq of the snapshot that created it, so the
 * snapshots in range lead, CROSS JOIN keeping that order) and are open or
 * end after hi.
 * At most one row per key and side: a key has one version valid at a seq.
 * Side 2: the rows snapshot B (seq ?4) refused, with line, field and reason.
 * Each version row carries its data as stored, read with the row the scan
 * visits anyway: no second read at random per changed key. A frame is
 * decompressed only once the sort has paired it and its JSON is needed:
 * never for a key whose two versions hash alike, nor for a new or
 * vanished key when the caller takes no JSON of those; and the sort moves
 * frames, a third of the JSON's bytes.
 */
static const char diff_sql[] =
        "SELECT v.key, 0, v.id, v.hash, v.data"
        " FROM (SELECT version_id FROM version_ends"
        " WHERE feed = ?1 AND to_seq > ?2 AND to_seq <= ?3"
        " AND version_id < coalesce((SELECT min((SELECT min(b.id) FROM version_rows b"
        " WHERE b.snapshot_id = s.id)) FROM snapshots s"
        " WHERE s.feed = ?1 AND s.seq > ?2 AND s.seq <= ?3), 9223372036854775807)"
        " ORDER BY version_id LIMIT -1) e"
        " CROSS JOIN version_rows v ON v.id = e.version_id WHERE v.from_seq <= ?2"
        " UNION ALL"
        " SELECT v.key, 1, v.id, v.hash, v.data"
        " FROM snapshots s CROSS JOIN versions v ON v.snapshot_id = s.id"
        " WHERE s.feed = ?1 AND s.seq > ?2 AND s.seq <= ?3"
        " AND (v.to_seq IS NULL OR v.to_seq > ?3)"
        " UNION ALL"
        " SELECT r.key, 2, r.line, r.field, r.reason FROM snapshots s"
        " CROSS JOIN rejected_rows r ON r.snapshot_id = s.id WHERE s.feed = ?1 AND s.seq = ?4";

/*
 * Sorted by key, then side, then id (line for side 2): the tie is the side
 * (plus one) in its top byte and the id below. A refused row without a key
 * sorts as the empty key with side byte 0, so it comes first.
 */
#define TIE(side, id) ((uint64_t)(side) << 56 | ((uint64_t)(id) & (((uint64_t)1 << 56) - 1)))

/*
 * Memory the diff and show keep for sorting before they spill to a
 * temporary file (extsort.h); with the page cache below, a diff or show
 * of a million vehicles stays at ~70 MB resident.
 */
#define SORT_BUDGET ((size_t)32 << 20)

/* What a sorted row carries before its body (the JSON, or field NUL reason). */
struct diff_head {
	long long id; /* the version; the line for a refused row */
	long long hash;
	int side;      /* 0 = valid at lo, 1 = at hi, 2 = refused by B */
	int field_len; /* side 2: bytes of the field, -1 for none */
	bool packed;   /* sides 0 and 1: the body is a frame (store_unpack), else the JSON */
};

/*
 * The merge settles a key (a pair whose hashes differ, a single side, a
 * refused row) into a job of a batch; a whole batch goes to the unpacking
 * thread, which decompresses the frames its jobs need while the merge
 * fills the next batch, and the batch's items are then passed to the
 * callback in order on the caller's thread. Decompressing (~4.5 us a
 * frame, per-frame setup that no level avoids) was a third of a month's
 * diff on one core.
 */
enum { JOB_SINGLE, JOB_PAIR, JOB_REFUSED };

struct diff_job {
	int kind;
	bool has_key;            /* JOB_REFUSED: the row's key could be read */
	struct diff_head h[2];   /* [0] the single, refused or lower side; [1] the upper */
	size_t key;              /* offset of the NUL-terminated key in raw */
	size_t data[2], len[2];  /* the frames (the body of a refused row) in raw */
	bool need[2];            /* the side's JSON is needed: unpacked into out */
	size_t json[2], jlen[2]; /* offsets in out, set by the unpacking thread */
};

/* Jobs a batch holds, and the bytes of their frames, before it is handed on. */
#define BATCH_JOBS 512
#define BATCH_RAW  ((size_t)1 << 20)

struct diff_batch {
	struct diff_job *jobs;
	size_t n, alloc;
	char *raw, *out;
	size_t rlen, ralloc, olen, oalloc;
	size_t failed; /* the job with a damaged frame (its side in fail_side); n: none */
	int fail_side;
	char why[160];
};

/* One settled job to the caller's callback (its JSON unpacked as it needs). */
typedef int (*line_emit_fn)(void *ctx, const struct diff_batch *b, const struct diff_job *j);

/*
 * The line from the merge to the callback: two batches, one being filled
 * (cur), the other with the unpacking thread (inflight) and then emitted
 * on the caller's thread while cur fills.
 */
struct line {
	struct diff_batch b[2];
	struct diff_batch *cur, *inflight;
	struct handoff *pipe;     /* the unpacking thread: one batch at a time */
	struct store_unpacker *u; /* its decompressor */
	line_emit_fn emit;
	void *ctx;
};

struct diff_walk {
	struct store *st;
	store_diff_fn fn;
	void *ctx;
	bool a_is_lo; /* snapshot A is the older of the two */
	/*
	 * The pending row (have): a job of cur begun as a single, its key and
	 * data copied in (the sorter moves on); the key's next row makes it a
	 * pair or drops it, else it stays a single.
	 */
	size_t pend, pklen;
	bool have;
	bool singles;  /* also pass the one version of a new or vanished key */
	char *scratch; /* a refused row's body while it is added */
	size_t salloc;
	struct line l;
};

static size_t
raw_add(struct diff_batch *b, const char *p, size_t n)
{
	size_t at = b->rlen;

	b->raw = xgrow(b->raw, &b->ralloc, b->rlen + n + 1, 1);
	memcpy(b->raw + at, p, n);
	b->raw[at + n] = '\0';
	b->rlen += n + 1;
	return at;
}

static struct diff_job *
job_new(struct diff_batch *b, int kind, const char *key, size_t klen)
{
	struct diff_job *j;

	b->jobs = xgrow(b->jobs, &b->alloc, b->n + 1, sizeof(*b->jobs));
	j = &b->jobs[b->n++];
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->key = raw_add(b, key, klen);
	return j;
}

static void
job_side(struct diff_batch *b, struct diff_job *j, int side, const struct diff_head *h,
         const char *data, size_t len, bool need)
{
	j->h[side] = *h;
	j->need[side] = need;
	j->len[side] = need || j->kind == JOB_REFUSED ? len : 0;
	j->data[side] = raw_add(b, data, j->len[side]);
}

/* On the unpacking thread: the JSON of every side a job needs, into out. */
static void
batch_unpack(struct diff_batch *b, struct store_unpacker *u)
{
	b->failed = b->n;
	b->olen = 0;
	for (size_t i = 0; i < b->n; i++)
		for (int s = 0; s < 2; s++) {
			struct diff_job *j = &b->jobs[i];
			size_t len = j->len[s];
			const char *json;

			if (!j->need[s])
				continue;
			json = store_unpack(u, b->raw + j->data[s], len, j->h[s].packed, &len,
			                    b->why, sizeof(b->why));
			if (!json) {
				b->failed = i;
				b->fail_side = s;
				return;
			}
			b->out = xgrow(b->out, &b->oalloc, b->olen + len + 1, 1);
			memcpy(b->out + b->olen, json, len);
			b->out[b->olen + len] = '\0';
			j->json[s] = b->olen;
			j->jlen[s] = len;
			b->olen += len + 1;
		}
}

static int
unpack_item(void *item, void *arg)
{
	batch_unpack(item, arg);
	return 0; /* a damaged frame is the batch's to report, in its turn */
}

static const char *
job_json(const struct diff_batch *b, const struct diff_job *j, int s, size_t *len)
{
	*len = j->need[s] ? j->jlen[s] : 0;
	return j->need[s] ? b->out + j->json[s] : "";
}

/* One unpacked job to the callback, as the store_diff_item the header describes. */
static int
job_emit(void *ctx, const struct diff_batch *b, const struct diff_job *j)
{
	struct diff_walk *w = ctx;
	const char *key = b->raw + j->key;
	struct store_diff_item d = {.key = key};
	size_t l0, l1;
	const char *j0 = job_json(b, j, 0, &l0), *j1;

	if (j->kind == JOB_REFUSED) {
		const char *body = b->raw + j->data[0];

		d.key = j->has_key ? key : NULL;
		d.line = j->h[0].id;
		d.field = j->h[0].field_len >= 0 ? body : NULL;
		d.refused = body + (j->h[0].field_len >= 0 ? j->h[0].field_len + 1 : 0);
	} else if (j->kind == JOB_SINGLE) {
		/* new when the one side is B, vanished when it is A */
		bool at_a = (j->h[0].side == 0) == w->a_is_lo;

		d.old_json = at_a ? j0 : NULL;
		d.old_len = at_a ? l0 : 0;
		d.new_json = at_a ? NULL : j0;
		d.new_len = at_a ? 0 : l0;
	} else {
		j1 = job_json(b, j, 1, &l1);
		d.old_json = w->a_is_lo ? j0 : j1;
		d.old_len = w->a_is_lo ? l0 : l1;
		d.new_json = w->a_is_lo ? j1 : j0;
		d.new_len = w->a_is_lo ? l1 : l0;
	}
	return w->fn(w->ctx, &d);
}

/* Batch b, unpacked, to the callback in order; then empty. */
static int
emit_batch(struct line *l, struct diff_batch *b)
{
	int rc = 0;

	for (size_t i = 0; i < b->n && rc == 0; i++) {
		const struct diff_job *j = &b->jobs[i];

		if (i == b->failed)
			rc = log_error("version %lld (%s): %s", j->h[b->fail_side].id,
			               b->raw + j->key, b->why);
		else
			rc = l->emit(l->ctx, b, j);
	}
	b->n = b->rlen = 0;
	return rc;
}

/*
 * The current batch to the unpacking thread once the one before it is
 * unpacked, and that one to the callback while the thread works on this
 * one; the emptied batch is filled next.
 */
static int
hand_on(struct line *l)
{
	struct diff_batch *done = l->inflight;

	handoff_drain(l->pipe);
	l->inflight = NULL;
	if (l->cur->n > 0) {
		l->inflight = l->cur;
		handoff_put(l->pipe, l->cur);
	}
	l->cur = l->cur == &l->b[0] ? &l->b[1] : &l->b[0];
	return done ? emit_batch(l, done) : 0;
}

/* The job just settled in cur: the batch goes on when it is full. */
static int
job_done(struct line *l)
{
	if (l->cur->n < BATCH_JOBS && l->cur->rlen < BATCH_RAW)
		return 0;
	return hand_on(l);
}

static void
batch_free(struct diff_batch *b)
{
	free(b->jobs);
	free(b->raw);
	free(b->out);
}

/* A line emitting through emit(ctx, ...); its thread starts with line_run. */
static void
line_init(struct line *l, line_emit_fn emit, void *ctx)
{
	memset(l, 0, sizeof(*l));
	l->cur = &l->b[0];
	l->emit = emit;
	l->ctx = ctx;
}

static int
line_run(struct line *l)
{
	if (!(l->u = store_unpacker_new()))
		return log_error("out of memory (zstd contexts)");
	l->pipe = handoff_new(unpack_item, l->u, 1);
	return 0;
}

/* The last batch in, then out: the one before it first. */
static int
line_finish(struct line *l)
{
	int rc = hand_on(l);

	return rc == 0 ? hand_on(l) : rc;
}

static void
line_free(struct line *l)
{
	handoff_free(l->pipe); /* waits for a batch still in flight */
	store_unpacker_free(l->u);
	batch_free(&l->b[0]);
	batch_free(&l->b[1]);
}

static struct diff_job *
pending(struct diff_walk *w)
{
	return &w->l.cur->jobs[w->pend];
}

/* A key on one side only: new when that side is B, vanished when it is A. */
static int
emit_single(struct diff_walk *w)
{
	pending(w)->need[0] = w->singles;
	w->have = false;
	return job_done(&w->l);
}

/* A key on both sides: changed unless the content hashes agree. */
static int
emit_pair(struct diff_walk *w, const struct diff_head *hi, const char *data, size_t len)
{
	struct diff_job *j = pending(w);

	w->have = false;
	if (j->h[0].hash == hi->hash) { /* no difference: the pending job and its bytes go */
		w->l.cur->n--;
		w->l.cur->rlen = j->key;
		return 0;
	}
	/* the pending row is the lower side (sorted by side within a key) */
	j->kind = JOB_PAIR;
	job_side(w->l.cur, j, 1, hi, data, len, true);
	return job_done(&w->l);
}

static void
set_pending(struct diff_walk *w, const char *key, size_t klen, const struct diff_head *h,
            const char *data, size_t len)
{
	struct diff_job *j = job_new(w->l.cur, JOB_SINGLE, key, klen);

	job_side(w->l.cur, j, 0, h, data, len, true);
	w->pend = w->l.cur->n - 1;
	w->pklen = klen;
	w->have = true;
}

/* A row B refused, after the key's pending version is out. */
static int
emit_refused(struct diff_walk *w, const char *key, size_t klen, uint64_t tie,
             const struct diff_head *h, const char *body, size_t blen)
{
	struct diff_job *j;
	int rc;

	if (w->have && (rc = emit_single(w)) != 0)
		return rc;
	j = job_new(w->l.cur, JOB_REFUSED, key, klen);
	j->has_key = tie >> 56 != 0;
	job_side(w->l.cur, j, 0, h, body, blen, false);
	return job_done(&w->l);
}

/* One sorted row: pairs with the pending row of the same key, else flushes it. */
static int
diff_row(void *ctx, const char *key, size_t klen, uint64_t tie, const char *pay, size_t plen)
{
	struct diff_walk *w = ctx;
	struct diff_head h;
	const char *body = pay + sizeof(h);
	size_t blen = plen - sizeof(h);
	int rc;

	memcpy(&h, pay, sizeof(h));
	if (h.side == 2)
		return emit_refused(w, key, klen, tie, &h, body, blen);
	if (w->have && w->pklen == klen && memcmp(w->l.cur->raw + pending(w)->key, key, klen) == 0)
		return emit_pair(w, &h, body, blen);
	if (w->have && (rc = emit_single(w)) != 0)
		return rc;
	set_pending(w, key, klen, &h, body, blen);
	return 0;
}

/* One row of diff_sql into the sorter. */
static int
diff_add(struct diff_walk *w, struct extsort *x, sqlite3_stmt *s)
{
	struct diff_head h = {.side = sqlite3_column_int(s, 1), .id = sqlite3_column_int64(s, 2)};
	const char *key = (const char *)sqlite3_column_text(s, 0);
	size_t klen = (size_t)sqlite3_column_bytes(s, 0);
	uint64_t tie = TIE(key ? h.side + 1 : 0, h.id);

	if (!key)
		key = "";
	if (h.side != 2) {
		h.hash = sqlite3_column_int64(s, 3);
		h.field_len = -1;
		h.packed = sqlite3_column_type(s, 4) == SQLITE_BLOB;
		return extsort_add(x, key, klen, tie, &h, sizeof(h), sqlite3_column_blob(s, 4),
		                   (size_t)sqlite3_column_bytes(s, 4));
	}
	/* field NUL reason (a NULL field: the reason alone) */
	const char *field = (const char *)sqlite3_column_text(s, 3);
	size_t flen = field ? (size_t)sqlite3_column_bytes(s, 3) : 0;
	const char *reason = (const char *)sqlite3_column_text(s, 4);
	size_t rlen = reason ? (size_t)sqlite3_column_bytes(s, 4) : 0, n = 0;

	w->scratch = xgrow(w->scratch, &w->salloc, flen + rlen + 2, 1);
	h.field_len = field ? (int)flen : -1;
	if (field) {
		memcpy(w->scratch, field, flen);
		w->scratch[flen] = '\0';
		n = flen + 1;
	}
	memcpy(w->scratch + n, reason ? reason : "", rlen);
	return extsort_add(x, key, klen, tie, &h, sizeof(h), w->scratch, n + rlen);
}

/*
 * The diff and show visit each page about once (ranges of indexes, then
 * rows), so a page cache beyond the b-tree's interior pages buys nothing
 * but resident memory: run them with SCAN_CACHE, then put back the
 * connection's own size.
 */
#define SCAN_CACHE "-16384" /* KiB */

typedef int (*scan_fn)(struct store *st, void *arg);

/* fn(st, arg) with SCAN_CACHE, in one read transaction unless one is open. */
static int
with_scan_cache(struct store *st, scan_fn fn, void *arg)
{
	sqlite3_stmt *s = store_prep(st, "PRAGMA cache_size");
	bool txn = st->depth == 0 && sqlite3_get_autocommit(st->db);
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
	if (sqlite3_exec(st->db, "PRAGMA cache_size=" SCAN_CACHE, NULL, NULL, NULL) != SQLITE_OK) {
		free(restore);
		return store_db_error(st, "set the cache size");
	}
	/* one state of the database for every statement of the read */
	if (txn && sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		ret = store_db_error(st, "begin a read");
	else
		ret = fn(st, arg);
	if (txn && !sqlite3_get_autocommit(st->db) &&
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		if (ret == 0)
			ret = store_db_error(st, "end a read");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (sqlite3_exec(st->db, restore, NULL, NULL, NULL) != SQLITE_OK && ret == 0)
		ret = store_db_error(st, "restore the cache size");
	free(restore);
	return ret;
}

struct diff_args {
	const char *feed;
	long long seq_a, seq_b;
	bool singles;
	store_diff_fn fn;
	void *ctx;
};

static int
diff_walk(struct store *st, void *arg)
{
	struct diff_args *a = arg;
	struct diff_walk w = {.st = st,
	                      .fn = a->fn,
	                      .ctx = a->ctx,
	                      .a_is_lo = a->seq_a <= a->seq_b,
	                      .singles = a->singles};
	struct extsort *x;
	sqlite3_stmt *s;
	int rc = SQLITE_DONE, ret = 0;

	/* Not cached: the sorter holds what it needs, the statement goes. */
	if (sqlite3_prepare_v2(st->db, diff_sql, -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare diff");
	store_bind_text(s, 1, a->feed);
	sqlite3_bind_int64(s, 2, w.a_is_lo ? a->seq_a : a->seq_b);
	sqlite3_bind_int64(s, 3, w.a_is_lo ? a->seq_b : a->seq_a);
	sqlite3_bind_int64(s, 4, a->seq_b);
	x = extsort_new(SORT_BUDGET);
	line_init(&w.l, job_emit, &w);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((ret = diff_add(&w, x, s)) != 0)
			break;
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_db_error(st, "diff snapshots");
	sqlite3_finalize(s);
	if (ret == 0)
		ret = line_run(&w.l);
	if (ret == 0)
		ret = extsort_each(x, diff_row, &w);
	if (ret == 0 && w.have)
		ret = emit_single(&w);
	if (ret == 0)
		ret = line_finish(&w.l);
	line_free(&w.l);
	extsort_free(x);
	free(w.scratch);
	return ret;
}

static int
diff_each(struct store *st, const char *feed, long long seq_a, long long seq_b, bool singles,
          store_diff_fn fn, void *ctx)
{
	struct diff_args a = {feed, seq_a, seq_b, singles, fn, ctx};

	if (seq_a == seq_b)
		return 0;
	return with_scan_cache(st, diff_walk, &a);
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

/*
 * show: the ids of the versions valid at seq, from narrow tables and
 * indexes only: the feed's current set (cur) less the versions begun after
 * seq, plus the versions that end after seq and began at or before it.
 * At the feed's newest seq, the current set alone.
 */
static const char at_cur_sql[] =
        "SELECT version_id FROM cur WHERE feed = ?1 AND version_id NOT IN"
        " (SELECT b.id FROM snapshots s CROSS JOIN version_rows b ON b.snapshot_id = s.id"
        "  WHERE s.feed = ?1 AND s.seq > ?2)";
static const char at_ended_sql[] =
        "SELECT e.version_id FROM version_ends e WHERE e.feed = ?1 AND e.to_seq > ?2"
        " AND e.version_id NOT IN (SELECT b.id FROM snapshots s CROSS JOIN version_rows b"
        "  ON b.snapshot_id = s.id WHERE s.feed = ?1 AND s.seq > ?2)";

/* Rows the cursor steps over rather than seek past (a seek is a descent from the root). */
#define SCAN_GAP 64

struct at_args {
	const char *feed;
	long long seq;
	store_raw_fn fn;
	void *ctx;
	long long *ids;
	size_t nids, alloc;
};

static int
ids_add(struct store *st, struct at_args *a, const char *sql, const char *what)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, what);
	store_bind_text(s, 1, a->feed);
	sqlite3_bind_int64(s, 2, a->seq);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a->ids = xgrow(a->ids, &a->alloc, a->nids + 1, sizeof(*a->ids));
		a->ids[a->nids++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_db_error(st, what);
}

static int
id_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

struct at_walk {
	store_raw_fn fn;
	void *ctx;
	struct line l;
};

/* One version of the snapshot to the callback, its JSON unpacked. */
static int
at_emit(void *ctx, const struct diff_batch *b, const struct diff_job *j)
{
	struct at_walk *w = ctx;

	return w->fn(w->ctx, j->h[0].id, b->raw + j->key, b->out + j->json[0], j->jlen[0]);
}

/* A sorted version (its payload: a packed flag, then the data as stored): a job of its own. */
static int
at_row(void *ctx, const char *key, size_t klen, uint64_t tie, const char *pay, size_t plen)
{
	struct at_walk *w = ctx;
	struct diff_head h = {.id = (long long)tie, .packed = pay[0] != 0};
	struct diff_job *j = job_new(w->l.cur, JOB_SINGLE, key, klen);

	job_side(w->l.cur, j, 0, &h, pay + 1, plen - 1, true);
	return job_done(&w->l);
}

static int
scan_at(struct store *st, void *arg)
{
	struct at_args *a = arg;
	struct at_walk w = {.fn = a->fn, .ctx = a->ctx};
	struct extsort *x = NULL;
	sqlite3_stmt *s = NULL;
	long long at = 0; /* the id the cursor is on */
	bool on = false;  /* the cursor is positioned */
	int ret;

	if ((ret = ids_add(st, a, at_cur_sql, "read a snapshot's current versions")) != 0 ||
	    (ret = ids_add(st, a, at_ended_sql, "read a snapshot's ended versions")) != 0)
		goto out;
	/* cur comes in id order; the ended ones by end, then id */
	qsort(a->ids, a->nids, sizeof(*a->ids), id_cmp);
	/*
	 * In id order the rows are read about as they lie in the file (the
	 * sorter puts them in key order). One cursor walks forward over short
	 * gaps (stepping past a row is cheaper than a new descent of the
	 * b-tree) and seeks again over long ones. The data is taken as stored:
	 * a frame is decompressed once sorted, on the line's thread, and never
	 * for a row stepped over (lotsync_json() in the SELECT would be run on
	 * every row the cursor passes, wanted or not).
	 */
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT id, key, data FROM version_rows WHERE id >= ? ORDER BY id",
	                       -1, &s, NULL) != SQLITE_OK) {
		ret = store_db_error(st, "prepare snapshot scan");
		goto out;
	}
	x = extsort_new(SORT_BUDGET);
	for (size_t i = 0; i < a->nids && ret == 0; i++) {
		long long want = a->ids[i];

		if (!on || want - at > SCAN_GAP) {
			sqlite3_reset(s);
			sqlite3_bind_int64(s, 1, want);
			on = true;
			at = want - 1;
		}
		while (at < want) {
			if (sqlite3_step(s) != SQLITE_ROW) {
				ret = store_db_error(st, "scan a snapshot");
				break;
			}
			at = sqlite3_column_int64(s, 0);
		}
		if (ret == 0 && at != want)
			ret = log_error("%s: version %lld of feed %s is missing", st->path, want,
			                a->feed);
		if (ret == 0) {
			char packed = sqlite3_column_type(s, 2) == SQLITE_BLOB;

			ret = extsort_add(x, (const char *)sqlite3_column_text(s, 1),
			                  (size_t)sqlite3_column_bytes(s, 1), (uint64_t)want,
			                  &packed, 1, sqlite3_column_blob(s, 2),
			                  (size_t)sqlite3_column_bytes(s, 2));
		}
	}
	sqlite3_finalize(s);
	free(a->ids);
	a->ids = NULL;
	line_init(&w.l, at_emit, &w);
	if (ret == 0)
		ret = line_run(&w.l);
	if (ret == 0)
		ret = extsort_each(x, at_row, &w);
	if (ret == 0)
		ret = line_finish(&w.l);
	line_free(&w.l);
out:
	extsort_free(x);
	free(a->ids);
	return ret;
}

int
store_each_at(struct store *st, const char *feed, long long seq, store_raw_fn fn, void *ctx)
{
	struct at_args a = {.feed = feed, .seq = seq, .fn = fn, .ctx = ctx};

	return with_scan_cache(st, scan_at, &a);
}
