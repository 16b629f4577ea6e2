/* store_snap.c - snapshots, record versions, rejected rows and vehicle history. */
#include "lotsync/store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/log.h"
#include "lotsync/util.h"
#include "store_p.h"

static const char *const state_names[] = {"applied", "held", "rejected", "duplicate"};

const char *
snapshot_state_name(enum snapshot_state s)
{
	return state_names[s];
}

static enum snapshot_state
state_of(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(state_names); i++)
		if (name && strcmp(state_names[i], name) == 0)
			return (enum snapshot_state)i;
	return SNAP_REJECTED;
}

long long
store_snapshot_add(struct store *st, long long run, const struct snapshot_info *i)
{
	sqlite3_stmt *s = store_prep(
	        st, "INSERT INTO snapshots(feed, run_id, state, seq, sha256, size, file, source,"
	            " profile, received_at) VALUES(?,?,?,?,?,?,?,?,?,?)");

	if (!s)
		return -1;
	store_bind_text(s, 1, i->feed);
	sqlite3_bind_int64(s, 2, run);
	store_bind_text(s, 3, snapshot_state_name(i->state));
	if (i->seq > 0)
		sqlite3_bind_int64(s, 4, i->seq);
	else
		sqlite3_bind_null(s, 4);
	store_bind_text(s, 5, i->sha256);
	sqlite3_bind_int64(s, 6, i->size);
	store_bind_text(s, 7, i->file);
	store_bind_text(s, 8, i->source);
	store_bind_text(s, 9, i->profile);
	store_bind_text(s, 10, i->received_at);
	return store_insert(st, s, "record snapshot");
}

/* Bind state, seq and the four counts to ?1..?6, the part seal and decide share. */
static void
bind_outcome(sqlite3_stmt *s, const struct snapshot_info *i)
{
	store_bind_text(s, 1, snapshot_state_name(i->state));
	if (i->seq > 0)
		sqlite3_bind_int64(s, 2, i->seq);
	else
		sqlite3_bind_null(s, 2);
	sqlite3_bind_int64(s, 3, i->vehicles);
	sqlite3_bind_int64(s, 4, i->new_);
	sqlite3_bind_int64(s, 5, i->changed);
	sqlite3_bind_int64(s, 6, i->vanished);
}

int
store_snapshot_seal(struct store *st, const struct snapshot_info *i)
{
	sqlite3_stmt *s =
	        store_prep(st, "UPDATE snapshots SET state = ?1, seq = ?2, vehicles = ?3,"
	                       " new = ?4, changed = ?5, vanished = ?6, rejected_rows = ?7,"
	                       " hold_reason = ?8, sealed = 1 WHERE id = ?9 AND sealed = 0");

	if (!s)
		return -1;
	bind_outcome(s, i);
	sqlite3_bind_int64(s, 7, i->rejected_rows);
	store_bind_text(s, 8, i->hold_reason);
	sqlite3_bind_int64(s, 9, i->id);
	return store_done(st, s, "seal snapshot");
}

int
store_snapshot_decide(struct store *st, const struct snapshot_info *i, const char *decided)
{
	sqlite3_stmt *s = store_prep(st, "UPDATE snapshots SET state = ?1, seq = ?2, vehicles = ?3,"
	                                 " new = ?4, changed = ?5, vanished = ?6, decided = ?7"
	                                 " WHERE id = ?8 AND state = 'held'");

	if (!s)
		return -1;
	bind_outcome(s, i);
	store_bind_text(s, 7, decided);
	sqlite3_bind_int64(s, 8, i->id);
	return store_done(st, s, "decide held snapshot");
}

int
store_feed_held(struct store *st, const char *feed, long long **ids, size_t *n)
{
	sqlite3_stmt *s = store_prep(st, "SELECT id FROM snapshots WHERE feed = ? AND"
	                                 " state = 'held' ORDER BY id");
	size_t alloc = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*ids = xgrow(*ids, &alloc, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "list held snapshots");
	return 0;
}

long long
store_feed_next_seq(struct store *st, const char *feed)
{
	long long seq = 0, id = 0;

	if (store_feed_head(st, feed, &seq, &id) == -1)
		return -1;
	return seq + 1;
}

int
store_feed_head(struct store *st, const char *feed, long long *seq, long long *id)
{
	sqlite3_stmt *s = store_prep(st, "SELECT seq, id FROM snapshots WHERE feed = ? AND"
	                                 " state = 'applied' ORDER BY seq DESC LIMIT 1");
	int rc;

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	*seq = *id = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		*id = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, "find newest snapshot");
	return 0;
}

#define SNAP_COLS                                                                                  \
	"id, feed, state, COALESCE(seq, 0), sha256, size, file, source, profile, received_at,"     \
	" vehicles, new, changed, vanished, rejected_rows, hold_reason, decided"

static void
read_snapshot(sqlite3_stmt *s, struct snapshot_info *o)
{
	char *state = store_col_text(s, 2);

	o->id = sqlite3_column_int64(s, 0);
	o->feed = store_col_text(s, 1);
	o->state = state_of(state);
	free(state);
	o->seq = sqlite3_column_int64(s, 3);
	o->sha256 = store_col_text(s, 4);
	o->size = sqlite3_column_int64(s, 5);
	o->file = store_col_text(s, 6);
	o->source = store_col_text(s, 7);
	o->profile = store_col_text(s, 8);
	o->received_at = store_col_text(s, 9);
	o->vehicles = sqlite3_column_int64(s, 10);
	o->new_ = sqlite3_column_int64(s, 11);
	o->changed = sqlite3_column_int64(s, 12);
	o->vanished = sqlite3_column_int64(s, 13);
	o->rejected_rows = sqlite3_column_int64(s, 14);
	o->hold_reason = store_col_text(s, 15);
	o->decided = store_col_text(s, 16);
}

int
store_snapshot_get(struct store *st, long long id, struct snapshot_info *out)
{
	sqlite3_stmt *s = store_prep(st, "SELECT " SNAP_COLS " FROM snapshots WHERE id = ?");
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_snapshot(s, out);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return log_error("no snapshot with id %lld", id);
	if (rc != SQLITE_ROW)
		return store_db_error(st, "read snapshot");
	return 0;
}

int
store_snapshot_list(struct store *st, const char *feed, struct snapshot_info **out, size_t *n)
{
	sqlite3_stmt *s = store_prep(st, "SELECT " SNAP_COLS " FROM snapshots"
	                                 " WHERE ?1 IS NULL OR feed = ?1 ORDER BY id");
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = xgrow(*out, &alloc, *n + 1, sizeof(**out));
		memset(&(*out)[*n], 0, sizeof(**out));
		read_snapshot(s, &(*out)[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "list snapshots");
	return 0;
}

/* Uncached: the callback may run other statements while this one steps. */
static int
each_snapshot(struct store *st, const char *sql, const char *feed, long long limit,
              store_snapshot_fn fn, void *ctx)
{
	sqlite3_stmt *s;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare snapshot scan");
	store_bind_text(s, 1, feed);
	sqlite3_bind_int64(s, 2, limit > 0 ? limit : -1); /* LIMIT -1: no limit */
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct snapshot_info i = {0};

		read_snapshot(s, &i);
		ret = fn(ctx, &i);
		snapshot_info_release(&i);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_db_error(st, "scan snapshots");
	sqlite3_finalize(s);
	return ret;
}

int
store_each_snapshot(struct store *st, const char *feed, long long limit, store_snapshot_fn fn,
                    void *ctx)
{
	return each_snapshot(st,
	                     "SELECT " SNAP_COLS " FROM snapshots WHERE feed = ?1"
	                     " ORDER BY id DESC LIMIT ?2",
	                     feed, limit, fn, ctx);
}

int
store_each_applied(struct store *st, const char *feed, store_snapshot_fn fn, void *ctx)
{
	return each_snapshot(st,
	                     "SELECT " SNAP_COLS " FROM snapshots WHERE feed = ?1"
	                     " AND state = 'applied' ORDER BY seq LIMIT ?2",
	                     feed, 0, fn, ctx);
}

void
snapshot_info_release(struct snapshot_info *i)
{
	free(i->feed);
	free(i->sha256);
	free(i->file);
	free(i->source);
	free(i->profile);
	free(i->received_at);
	free(i->hold_reason);
	free(i->decided);
	memset(i, 0, sizeof(*i));
}

void
snapshot_list_free(struct snapshot_info *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snapshot_info_release(&s[i]);
	free(s);
}

int
store_reject_add(struct store *st, long long snapshot, const struct row_error *e)
{
	sqlite3_stmt *s =
	        store_prep(st, "INSERT INTO rejected_rows(snapshot_id, line, field, reason, key)"
	                       " VALUES(?,?,?,?,?)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, snapshot);
	sqlite3_bind_int64(s, 2, (long long)e->line);
	store_bind_text(s, 3, e->field);
	store_bind_text(s, 4, e->reason);
	store_bind_text(s, 5, e->key);
	return store_done(st, s, "record rejected row");
}

/*
 * One row per (record, field), grouped by record: json_each() unpacks the
 * stored canonical JSON, so no JSON parser is needed on this side.
 */
static const char each_sql[] =
        "SELECT v.key, j.key, j.value FROM versions v, json_each(lotsync_json(v.data)) j"
        " WHERE v.feed = ?1 AND ((?2 = 0 AND v.to_seq IS NULL) OR (?2 > 0 AND v.from_seq <= ?2"
        " AND (v.to_seq IS NULL OR v.to_seq > ?2))) ORDER BY v.key, j.key";

int
store_each_record(struct store *st, const char *feed, long long seq, store_record_fn fn, void *ctx)
{
	sqlite3_stmt *s;
	struct record r;
	int rc, ret = 0;

	/* Not cached: callbacks may run other statements while this one steps. */
	if (sqlite3_prepare_v2(st->db, each_sql, -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare record scan");
	store_bind_text(s, 1, feed);
	sqlite3_bind_int64(s, 2, seq);
	record_init(&r);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);
		const char *v = (const char *)sqlite3_column_text(s, 2);

		if (r.key && strcmp(r.key, key) != 0) {
			record_finish(&r);
			if ((ret = fn(ctx, &r)) != 0)
				break;
			record_release(&r);
		}
		if (!r.key)
			r.key = xstrdup(key);
		record_set(&r, (const char *)sqlite3_column_text(s, 1), v ? v : "",
		           v ? strlen(v) : 0);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_db_error(st, "scan records");
	else if (ret == 0 && r.key) {
		record_finish(&r);
		ret = fn(ctx, &r);
	}
	record_release(&r);
	sqlite3_finalize(s);
	return ret;
}

struct reject_walk {
	store_reject_fn fn;
	void *ctx;
};

static int
reject_row(sqlite3_stmt *s, void *arg)
{
	struct reject_walk *w = arg;
	struct row_error e = {.line = (unsigned long)sqlite3_column_int64(s, 0),
	                      .field = (char *)sqlite3_column_text(s, 1),
	                      .reason = (char *)sqlite3_column_text(s, 2),
	                      .key = (char *)sqlite3_column_text(s, 3)};

	return w->fn(w->ctx, &e);
}

int
store_each_reject(struct store *st, long long snapshot, store_reject_fn fn, void *ctx)
{
	struct reject_walk w = {fn, ctx};

	return store_each_by_id(st,
	                        "SELECT line, field, reason, key FROM rejected_rows"
	                        " WHERE snapshot_id = ? ORDER BY line, rowid",
	                        snapshot, reject_row, &w, "read rejected rows");
}

static void
add_event(struct history_event **out, size_t *n, size_t *alloc, sqlite3_stmt *s, int at_col,
          int snap_col, const char *event, char *detail)
{
	struct history_event *h;

	*out = xgrow(*out, alloc, *n + 1, sizeof(**out));
	h = &(*out)[(*n)++];
	h->at = store_col_text(s, at_col);
	h->snapshot = sqlite3_column_int64(s, snap_col);
	h->event = xstrdup(event);
	h->detail = detail;
}

/* An entry of a history being sorted: versions first at one time and snapshot. */
struct history_sort {
	struct history_event h;
	int rules; /* 0: a version event, 1: a rule decision */
	size_t i;  /* the order each list was read in */
};

static int
cmp_history(const void *a, const void *b)
{
	const struct history_sort *x = a, *y = b;
	int c = strcmp(x->h.at, y->h.at);

	if (c)
		return c;
	if (x->h.snapshot != y->h.snapshot)
		return x->h.snapshot < y->h.snapshot ? -1 : 1;
	if (x->rules != y->rules)
		return x->rules - y->rules;
	return (x->i > y->i) - (x->i < y->i);
}

/*
 * Merge version events [0, nv) and rule decisions [nv, n) by time: the
 * vehicle appears before the SR it triggers, vanishes before it closes.
 */
static void
history_sort(struct history_event *h, size_t nv, size_t n)
{
	struct history_sort *t = xcalloc(n + 1, sizeof(*t));

	for (size_t i = 0; i < n; i++)
		t[i] = (struct history_sort){h[i], i >= nv, i};
	qsort(t, n, sizeof(*t), cmp_history);
	for (size_t i = 0; i < n; i++)
		h[i] = t[i].h;
	free(t);
}

/*
 * A version that ends without a successor starting at the same seq marks a
 * vanish, reported at the snapshot that no longer had the vehicle.
 */
/*
 * Rows of applied snapshots refused while their key was readable: the
 * vehicle kept its last good version (refused is not vanished).
 */
static int
refused_history(struct store *st, const char *vin, struct history_event **out, size_t *n,
                size_t *alloc)
{
	static const char sql[] =
	        "SELECT s.received_at, s.id, s.feed, r.key, s.file, r.line, r.reason"
	        " FROM rejected_rows r JOIN snapshots s ON s.id = r.snapshot_id"
	        " WHERE s.state = 'applied' AND r.key IS NOT NULL AND (r.key = ?1 OR r.key IN"
	        "  (SELECT key FROM version_rows WHERE +feed = s.feed" /* by id, not by feed */
	        "   AND id IN (" STORE_VIN_IDS("?1") ")))"
	                                             " ORDER BY s.id, r.line";
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare refused history");
	store_bind_text(s, 1, vin);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		add_event(out, n, alloc, s, 0, 1, "refused",
		          xasprintf("feed %s, key %s: refused in snapshot %lld: %s (file %s, line "
		                    "%lld); the last good version stays",
		                    (const char *)sqlite3_column_text(s, 2),
		                    (const char *)sqlite3_column_text(s, 3),
		                    (long long)sqlite3_column_int64(s, 1),
		                    (const char *)sqlite3_column_text(s, 6),
		                    (const char *)sqlite3_column_text(s, 4),
		                    (long long)sqlite3_column_int64(s, 5)));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_db_error(st, "read refused history");
}

int
store_history(struct store *st, const char *vin, struct history_event **out, size_t *n)
{
	static const char sql[] =
	        "SELECT s.received_at, s.id, v.feed, v.key, s.file, lotsync_json(v.data),"
	        " EXISTS(SELECT 1 FROM versions p WHERE p.feed = v.feed AND p.key = v.key"
	        "  AND p.to_seq = v.from_seq),"
	        " e.received_at, e.id, e.file,"
	        " EXISTS(SELECT 1 FROM versions q WHERE q.feed = v.feed AND q.key = v.key"
	        "  AND q.from_seq = v.to_seq)"
	        " FROM versions v JOIN snapshots s ON s.id = v.snapshot_id"
	        " LEFT JOIN snapshots e ON e.feed = v.feed AND e.seq = v.to_seq"
	        " WHERE v.id IN (" STORE_VIN_IDS("?1") ") ORDER BY s.received_at, v.from_seq, v.id";
	sqlite3_stmt *s;
	size_t alloc = 0, nversions;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare history");
	store_bind_text(s, 1, vin);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *feed = (const char *)sqlite3_column_text(s, 2);
		const char *key = (const char *)sqlite3_column_text(s, 3);

		add_event(out, n, &alloc, s, 0, 1,
		          sqlite3_column_int(s, 6) ? "changed" : "appeared",
		          xasprintf("feed %s, key %s, file %s: %s", feed, key,
		                    (const char *)sqlite3_column_text(s, 4),
		                    (const char *)sqlite3_column_text(s, 5)));
		if (sqlite3_column_type(s, 8) != SQLITE_NULL && !sqlite3_column_int(s, 10))
			add_event(out, n, &alloc, s, 7, 8, "vanished",
			          xasprintf("feed %s, key %s, absent from file %s", feed, key,
			                    (const char *)sqlite3_column_text(s, 9)));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "read history");
	if (refused_history(st, vin, out, n, &alloc) == -1)
		return -1;
	nversions = *n;
	if (store_sr_history(st, vin, out, n, &alloc) == -1)
		return -1;
	history_sort(*out, nversions, *n);
	return 0;
}

void
history_free(struct history_event *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].at);
		free(h[i].event);
		free(h[i].detail);
	}
	free(h);
}
