/*
 * store_ops.c - figures for metrics_file and the notification queue
 * (schema 8). Payloads are built by SQLite's json_object(), so every string
 * a vendor or server sent is escaped by the database, not by hand.
 */
#include "lotsync/store_ops.h"

#include <stdlib.h>
#include <string.h>

#include "lotsync/log.h"
#include "lotsync/record.h"
#include "lotsync/store_report.h"
#include "lotsync/util.h"
#include "store_p.h"

/*
 * Version 8. The cursors start past everything already recorded, so a
 * database that gains notifications does not replay its whole history.
 */
const char store_schema_notify[] =
        "CREATE TABLE notify_queue(id INTEGER PRIMARY KEY, notify TEXT NOT NULL,"
        " event TEXT NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, delivered_at TEXT);"
        "CREATE INDEX notify_queue_pending ON notify_queue(notify, delivered_at);"
        "CREATE TABLE notify_cursor(source TEXT PRIMARY KEY, last_id INTEGER NOT NULL)"
        " WITHOUT ROWID;"
        "INSERT INTO notify_cursor SELECT 'snapshots', coalesce(max(id), 0) FROM snapshots;"
        "INSERT INTO notify_cursor SELECT 'quarantine', coalesce(max(id), 0) FROM quarantine;"
        "INSERT INTO notify_cursor SELECT 'target_events', coalesce(max(id), 0)"
        " FROM target_events;"
        "INSERT INTO notify_cursor SELECT 'deliveries', coalesce(max(id), 0) FROM deliveries;"
        "INSERT INTO notify_cursor SELECT 'seq:' || feed, max(seq) FROM snapshots"
        " WHERE seq IS NOT NULL GROUP BY feed;"
        "CREATE VIEW v_notify_queue AS SELECT id, notify, event, at, attempts, last_error,"
        " delivered_at, payload FROM notify_queue;";

/*
 * The first column of a one-row query with one optional text parameter:
 * as an integer into *num (0 without a row) or as text into *text (NULL
 * without a row; caller frees). Exactly one of num and text is given.
 */
static int
one_value(struct store *st, const char *sql, const char *arg, long long *num, char **text,
          const char *what)
{
	sqlite3_stmt *s = store_prep(st, sql);
	int rc;

	if (num)
		*num = 0;
	if (text)
		*text = NULL;
	if (!s)
		return -1;
	if (arg)
		store_bind_text(s, 1, arg);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && num)
		*num = sqlite3_column_int64(s, 0);
	if (rc == SQLITE_ROW && text)
		*text = store_col_text(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, what);
	return 0;
}

static int
one_int(struct store *st, const char *sql, const char *arg, long long *out, const char *what)
{
	return one_value(st, sql, arg, out, NULL, what);
}

static int
one_text(struct store *st, const char *sql, const char *arg, char **out, const char *what)
{
	return one_value(st, sql, arg, NULL, out, what);
}

int
store_feed_figures(struct store *st, const char *feed, struct feed_figures *out)
{
	struct feed_totals t;

	memset(out, 0, sizeof(*out));
	if (store_feed_totals(st, feed, &t) == -1)
		return -1;
	out->held = t.held;
	out->quarantined = t.quarantined;
	out->rejected_rows = t.rejected_rows;
	if (one_int(st,
	            "SELECT coalesce(max(CAST(strftime('%s', received_at) AS INTEGER)), 0)"
	            " FROM snapshots WHERE feed = ?1 AND state = 'applied'",
	            feed, &out->last_applied, "read last applied snapshot") == -1)
		return -1;
	return one_int(st,
	               "SELECT count(*) FROM cur c JOIN version_rows v ON v.id = c.version_id"
	               " WHERE c.feed = ?1 AND v.kind <> 'person'",
	               feed, &out->records, "count current records");
}

int
store_target_figures(struct store *st, const char *target, struct target_figures *out)
{
	long long locked;

	memset(out, 0, sizeof(*out));
	if (one_int(st, "SELECT locked_at IS NOT NULL FROM targets WHERE name = ?1", target,
	            &locked, "read target lock") == -1 ||
	    one_int(st,
	            "SELECT count(*) FROM exports WHERE target = ?1 AND state = 'pending'"
	            " AND file IS NOT NULL",
	            target, &out->pending, "count pending exports") == -1 ||
	    one_int(st,
	            "SELECT coalesce(max(CAST(strftime('%s', d.at) AS INTEGER)), 0)"
	            " FROM deliveries d JOIN exports e ON e.id = d.export_id"
	            " WHERE e.target = ?1 AND d.result = 'delivered'",
	            target, &out->last_delivery, "read last delivery") == -1)
		return -1;
	out->locked = locked != 0;
	return 0;
}

int
store_last_success(struct store *st, long long *at)
{
	return one_int(st,
	               "SELECT CAST(strftime('%s', clock) AS INTEGER) FROM runs"
	               " WHERE exit_code = 0 ORDER BY id DESC LIMIT 1",
	               NULL, at, "read last successful run");
}

int
store_last_run(struct store *st, struct ops_times *out)
{
	sqlite3_stmt *s = store_prep(st, "SELECT clock, command, exit_code FROM runs"
	                                 " WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1");
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->last_run_at = store_col_text(s, 0);
		out->last_run_command = store_col_text(s, 1);
		out->last_run_exit = sqlite3_column_int(s, 2);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, "read the last run");
	return 0;
}

int
store_feed_times(struct store *st, const char *feed, struct ops_times *out)
{
	if (one_text(st, "SELECT max(received_at) FROM snapshots WHERE feed = ?1", feed,
	             &out->last_file_at, "read last file time") == -1)
		return -1;
	return one_text(
	        st, "SELECT max(received_at) FROM snapshots WHERE feed = ?1 AND state = 'applied'",
	        feed, &out->last_applied_at, "read last applied time");
}

int
store_target_times(struct store *st, const char *target, struct ops_times *out)
{
	return one_text(
	        st, "SELECT max(created_at) FROM exports WHERE target = ?1 AND file IS NOT NULL",
	        target, &out->last_export_at, "read last export time");
}

void
ops_times_release(struct ops_times *t)
{
	free(t->last_run_at);
	free(t->last_run_command);
	free(t->last_file_at);
	free(t->last_applied_at);
	free(t->last_export_at);
	memset(t, 0, sizeof(*t));
}

/* Collection: a growing list of events. */
struct events {
	struct notify_event *v;
	size_t n, alloc;
};

static void
push(struct events *ev, enum notify_kind kind, sqlite3_stmt *s, int at_col, int payload_col)
{
	struct notify_event *e;

	ev->v = xgrow(ev->v, &ev->alloc, ev->n + 1, sizeof(*ev->v));
	e = &ev->v[ev->n++];
	e->kind = kind;
	e->at = store_col_text(s, at_col);
	e->payload = store_col_text(s, payload_col);
	if (!e->at)
		e->at = xstrdup("");
	if (!e->payload)
		e->payload = xstrdup("{}");
}

static int
cursor_get(struct store *st, const char *source, long long *last)
{
	return one_int(st, "SELECT last_id FROM notify_cursor WHERE source = ?1", source, last,
	               "read notification cursor");
}

static int
cursor_set(struct store *st, const char *source, long long last)
{
	sqlite3_stmt *s = store_prep(st, "INSERT INTO notify_cursor(source, last_id) VALUES(?1, ?2)"
	                                 " ON CONFLICT(source) DO UPDATE SET last_id = ?2");

	if (!s)
		return -1;
	store_bind_text(s, 1, source);
	sqlite3_bind_int64(s, 2, last);
	return store_done(st, s, "move notification cursor");
}

/*
 * Run sql (?1 = the cursor; columns: id, kind name, at, payload) and push
 * each row; then move the cursor past the largest id seen (every row counts,
 * also those of kinds nobody subscribed to).
 */
static int
collect_table(struct store *st, const char *source, const char *sql, struct events *ev)
{
	long long last, max;
	sqlite3_stmt *s;
	int rc;

	if (cursor_get(st, source, &last) == -1 || !(s = store_prep(st, sql)))
		return -1;
	max = last;
	sqlite3_bind_int64(s, 1, last);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 1);
		int kind = name ? notify_kind_parse(name) : -1; /* NULL: not an event */

		if (sqlite3_column_int64(s, 0) > max)
			max = sqlite3_column_int64(s, 0);
		if (kind >= 0)
			push(ev, (enum notify_kind)kind, s, 2, 3);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "collect notification events");
	return max > last ? cursor_set(st, source, max) : 0;
}

/* Listing state of a stored version, as Wayke names it. */
#define LISTING(d)                                                                                 \
	"CASE json_extract(lotsync_json(" d "), '$.availability') WHEN 'sold' THEN 'Sold'"         \
	" WHEN 'pending' THEN 'Unpublished' WHEN 'unavailable' THEN 'Unpublished'"                 \
	" ELSE 'Published' END"
#define VEHICLE_JSON(status)                                                                       \
	"json_object('event', 'vehicle', 'at', s.received_at, 'feed', s.feed, 'snapshot', s.id,"   \
	" 'id', x.key, 'registrationNumber',"                                                      \
	" json_extract(lotsync_json(x.data), '$.registration_number'),"                            \
	" 'vehicleIdentificationNumber', x.vin, 'status', " status ")"

/* Vehicles that appeared, changed listing state or vanished in one applied seq. */
static int
collect_seq(struct store *st, const char *feed, long long seq, struct events *ev)
{
	/* clang-format off */
	static const char *const sql[] = {
		/* appeared, or changed listing state */
		"SELECT x.id, 'vehicle', s.received_at, " VEHICLE_JSON(LISTING("x.data"))
		" FROM versions x JOIN snapshots s ON s.id = x.snapshot_id"
		" LEFT JOIN versions p ON p.feed = x.feed AND p.key = x.key"
		" AND p.to_seq = x.from_seq"
		" WHERE x.feed = ?1 AND x.from_seq = ?2 AND x.kind = 'vehicle'"
		" AND (p.id IS NULL OR " LISTING("p.data") " <> " LISTING("x.data") ")"
		" ORDER BY x.key",
		/* vanished: ended at seq with no successor */
		"SELECT x.id, 'vehicle', s.received_at, "
		VEHICLE_JSON("CASE WHEN json_extract(lotsync_json(x.data), '$.availability') = 'sold'"
		             " THEN 'Sold' ELSE 'Unpublished' END")
		" FROM versions x JOIN snapshots s ON s.feed = x.feed AND s.seq = x.to_seq"
		" WHERE x.feed = ?1 AND x.to_seq = ?2 AND x.kind = 'vehicle'"
		" AND NOT EXISTS (SELECT 1 FROM versions n"
		" WHERE n.feed = x.feed AND n.key = x.key AND n.from_seq = ?2)"
		" ORDER BY x.key",
	};
	/* clang-format on */

	for (size_t q = 0; q < ARRAY_SIZE(sql); q++) {
		sqlite3_stmt *s = store_prep(st, sql[q]);
		int rc;

		if (!s)
			return -1;
		store_bind_text(s, 1, feed);
		sqlite3_bind_int64(s, 2, seq);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			push(ev, NOTIFY_VEHICLE, s, 2, 3);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return store_db_error(st, "collect vehicle events");
	}
	return 0;
}

/* Every feed's applied seqs past its cursor, in order. */
static int
collect_vehicles(struct store *st, bool want, struct events *ev)
{
	sqlite3_stmt *s = store_prep(
	        st, "SELECT feed, max(seq) FROM snapshots WHERE seq IS NOT NULL GROUP BY feed"
	            " ORDER BY feed");
	char **feeds = NULL;
	long long *heads = NULL;
	size_t n = 0, alloc = 0, halloc = 0;
	int rc, ret = 0;

	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		feeds = xgrow(feeds, &alloc, n + 1, sizeof(*feeds));
		heads = xgrow(heads, &halloc, n + 1, sizeof(*heads));
		feeds[n] = store_col_text(s, 0);
		heads[n++] = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		ret = store_db_error(st, "list applied feeds");
	for (size_t i = 0; i < n && ret == 0; i++) {
		char *source = xasprintf("seq:%s", feeds[i]);
		long long last;

		if (cursor_get(st, source, &last) == -1)
			ret = -1;
		for (long long q = last + 1; want && ret == 0 && q <= heads[i]; q++)
			ret = collect_seq(st, feeds[i], q, ev);
		if (ret == 0 && heads[i] > last)
			ret = cursor_set(st, source, heads[i]);
		free(source);
	}
	for (size_t i = 0; i < n; i++)
		free(feeds[i]);
	free(feeds);
	free(heads);
	return ret;
}

int
store_notify_collect(struct store *st, bool want_vehicles, struct notify_event **out, size_t *n)
{
	struct events ev = {0};
	int rc;

	/* In pipeline order: ingest (quarantine, hold, vehicles), export (locks), deliver. */
	rc = collect_table(
	        st, "quarantine",
	        "SELECT id, 'quarantined', at, json_object('event', 'quarantined', 'at', at,"
	        " 'feed', feed, 'snapshot', NULL, 'reason', reason, 'file', file)"
	        " FROM quarantine WHERE id > ?1 ORDER BY id",
	        &ev);
	if (rc == 0)
		rc = collect_table(
		        st, "snapshots",
		        "SELECT id, CASE WHEN hold_reason IS NOT NULL THEN 'held' END,"
		        " received_at, json_object('event', 'held', 'at', received_at,"
		        " 'feed', feed, 'snapshot', id, 'reason', hold_reason, 'file', file)"
		        " FROM snapshots WHERE id > ?1 ORDER BY id",
		        &ev);
	if (rc == 0) /* work-order feeds: each probable date typo in an applied snapshot */
		rc = collect_table(
		        st, "snapshot_warnings",
		        "SELECT w.rowid, CASE WHEN w.code = 'date_typo' AND s.state = 'applied'"
		        " THEN 'date_typo' END, s.received_at, json_object('event', 'date_typo',"
		        " 'at', s.received_at, 'feed', s.feed, 'snapshot', s.id, 'reason', "
		        "w.message,"
		        " 'file', s.file, 'line', w.line) FROM snapshot_warnings w"
		        " JOIN snapshots s ON s.id = w.snapshot_id WHERE w.rowid > ?1 ORDER BY "
		        "w.rowid",
		        &ev);
	if (rc == 0)
		rc = collect_vehicles(st, want_vehicles, &ev);
	if (rc == 0)
		rc = collect_table(st, "target_events",
		                   "SELECT id, event, at, json_object('event', event, 'at', at,"
		                   " 'target', target, 'snapshot', NULL, 'reason', detail)"
		                   " FROM target_events WHERE id > ?1 ORDER BY id",
		                   &ev);
	if (rc == 0)
		rc = collect_table(
		        st, "deliveries",
		        /* once per file: its first failed attempt, not every retry */
		        "SELECT d.id, CASE WHEN d.result = 'failed' AND NOT EXISTS"
		        " (SELECT 1 FROM deliveries o WHERE o.export_id = d.export_id"
		        " AND o.result = 'failed' AND o.id < d.id) THEN 'delivery_failed' END,"
		        " d.at, json_object('event', 'delivery_failed', 'at', d.at,"
		        " 'target', e.target, 'snapshot', NULL, 'reason', d.reply,"
		        " 'file', e.file) FROM deliveries d JOIN exports e"
		        " ON e.id = d.export_id WHERE d.id > ?1 ORDER BY d.id",
		        &ev);
	if (rc == -1) {
		notify_events_free(ev.v, ev.n);
		return -1;
	}
	*out = ev.v;
	*n = ev.n;
	return 0;
}

void
notify_events_free(struct notify_event *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].at);
		free(v[i].payload);
	}
	free(v);
}

int
store_notify_enqueue(struct store *st, const char *notify, const struct notify_event *e)
{
	sqlite3_stmt *s = store_prep(st, "INSERT INTO notify_queue(notify, event, at, payload)"
	                                 " VALUES(?, ?, ?, ?)");

	if (!s)
		return -1;
	store_bind_text(s, 1, notify);
	store_bind_text(s, 2, notify_kind_name(e->kind));
	store_bind_text(s, 3, e->at);
	store_bind_text(s, 4, e->payload);
	return store_insert(st, s, "queue notification") < 0 ? -1 : 0;
}

int
store_notify_pending(struct store *st, const char *notify, struct notify_item **out, size_t *n)
{
	sqlite3_stmt *s = store_prep(st, "SELECT id, event, at, payload, attempts FROM notify_queue"
	                                 " WHERE notify = ? AND delivered_at IS NULL ORDER BY id");
	struct notify_item *v = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	store_bind_text(s, 1, notify);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, &alloc, *n + 1, sizeof(*v));
		v[*n].id = sqlite3_column_int64(s, 0);
		v[*n].event = store_col_text(s, 1);
		v[*n].at = store_col_text(s, 2);
		v[*n].payload = store_col_text(s, 3);
		v[*n].attempts = sqlite3_column_int64(s, 4);
		(*n)++;
	}
	sqlite3_reset(s);
	*out = v;
	if (rc != SQLITE_DONE)
		return store_db_error(st, "read notification queue");
	return 0;
}

void
notify_items_free(struct notify_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].event);
		free(v[i].at);
		free(v[i].payload);
	}
	free(v);
}

int
store_notify_delivered(struct store *st, long long id, const char *at)
{
	sqlite3_stmt *s = store_prep(st, "UPDATE notify_queue SET delivered_at = ?,"
	                                 " attempts = attempts + 1 WHERE id = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, at);
	sqlite3_bind_int64(s, 2, id);
	return store_done(st, s, "mark notification delivered");
}

int
store_notify_failed(struct store *st, long long id, const char *error)
{
	sqlite3_stmt *s = store_prep(st, "UPDATE notify_queue SET attempts = attempts + 1,"
	                                 " last_error = ? WHERE id = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, error);
	sqlite3_bind_int64(s, 2, id);
	return store_done(st, s, "record notification failure");
}

int
store_notify_prune(struct store *st, const char *notify, const char *before, long long *dropped)
{
	sqlite3_stmt *s = store_prep(st, "SELECT count(*) FROM notify_queue WHERE notify = ?1"
	                                 " AND delivered_at IS NULL AND at < ?2");
	int rc;

	*dropped = 0;
	if (!s)
		return -1;
	store_bind_text(s, 1, notify);
	store_bind_text(s, 2, before);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*dropped = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return store_db_error(st, "count stale notifications");
	if (!(s = store_prep(st, "DELETE FROM notify_queue WHERE notify = ? AND at < ?")))
		return -1;
	store_bind_text(s, 1, notify);
	store_bind_text(s, 2, before);
	return store_done(st, s, "prune notifications");
}

/*
 * Versions of every vehicle that ever matched, one row per field
 * (json_each). The matching keys are found once, not per version: by VIN
 * and key through the indexes, by stock number (alone or dealer/stock),
 * work-order number or registration in one pass over the versions
 * (lotsync_json() decompresses each version once for its four reads).
 */
static const char versions_sql[] =
        "SELECT v.id, v.feed, v.key, v.vin, s.id, s.received_at, s.file,"
        " coalesce(e.id, 0), e.received_at, e.file,"
        " EXISTS(SELECT 1 FROM versions q WHERE q.feed = v.feed AND q.key = v.key"
        "  AND q.from_seq = v.to_seq), j.key, j.value"
        " FROM ("
        "  SELECT feed, key FROM version_rows WHERE id IN (" STORE_VIN_IDS(
                "upper(?1)") ")"
                             "  UNION SELECT feed, key FROM version_rows"
                             "   WHERE feed IN (SELECT DISTINCT feed FROM snapshots) AND key = ?1"
                             "  UNION SELECT m.feed, m.key FROM version_rows m"
                             "   WHERE json_extract(lotsync_json(m.data), '$.stock_no') = ?1"
                             "   OR json_extract(lotsync_json(m.data), '$.dealer_id') || '/'"
                             "    || json_extract(lotsync_json(m.data), '$.stock_no') = ?1"
                             "   OR (m.kind = 'workorder' AND (json_extract(lotsync_json(m.data), "
                             "'$.wo_number') = ?1"
                             "    OR upper(replace(replace(json_extract(lotsync_json(m.data), "
                             "'$.registration_number'),"
                             "     '-', ''), ' ', '')) = upper(replace(replace(?1, '-', ''), ' ', "
                             "''))))) mk"
                             /* the few matched keys drive: versions_key for their versions, no scan
                              */
                             " CROSS JOIN versions v ON v.feed = mk.feed AND v.key = mk.key"
                             " JOIN snapshots s ON s.id = v.snapshot_id"
                             " LEFT JOIN snapshots e ON e.feed = v.feed AND e.seq = v.to_seq,"
                             " json_each(lotsync_json(v.data)) j"
                             " WHERE (?2 IS NULL OR v.feed = ?2)"
                             " ORDER BY v.feed, v.key, v.from_seq, v.id, j.key";

struct version_row_state {
	struct record cur, prev;
	bool have_prev;
	long long id;
	char *feed, *key, *vin, *at, *file, *end_at, *end_file;
	long long snapshot, end_snapshot;
	bool succeeded;
};

static void
vstate_clear(struct version_row_state *v)
{
	free(v->feed);
	free(v->key);
	free(v->vin);
	free(v->at);
	free(v->file);
	free(v->end_at);
	free(v->end_file);
	v->feed = v->key = v->vin = v->at = v->file = v->end_at = v->end_file = NULL;
}

/* Hand the finished version to fn; it becomes the previous one of its key. */
static int
vstate_emit(struct version_row_state *v, store_version_fn fn, void *ctx)
{
	struct version_view view = {
	        .feed = v->feed,
	        .key = v->key,
	        .vin = v->vin,
	        .snapshot = v->snapshot,
	        .at = v->at,
	        .file = v->file,
	        .end_snapshot = v->end_snapshot,
	        .end_at = v->end_at,
	        .end_file = v->end_file,
	        .succeeded = v->succeeded,
	        .r = &v->cur,
	        .prev = v->have_prev ? &v->prev : NULL,
	};
	int rc;

	record_finish(&v->cur);
	rc = fn(ctx, &view);
	record_release(&v->prev);
	v->prev = v->cur;
	v->have_prev = true;
	record_init(&v->cur);
	return rc;
}

int
store_each_version(struct store *st, const char *match, const char *feed, store_version_fn fn,
                   void *ctx)
{
	struct version_row_state v = {0};
	sqlite3_stmt *s;
	int rc, ret = 0;

	/* Not cached: fn may run other statements while this one steps. */
	if (sqlite3_prepare_v2(st->db, versions_sql, -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare version history");
	store_bind_text(s, 1, match);
	store_bind_text(s, 2, feed);
	record_init(&v.cur);
	record_init(&v.prev);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 11);
		const char *value = (const char *)sqlite3_column_text(s, 12);

		if (v.feed && id != v.id) {
			bool same = strcmp(v.feed, (const char *)sqlite3_column_text(s, 1)) == 0 &&
			            strcmp(v.key, (const char *)sqlite3_column_text(s, 2)) == 0;

			if ((ret = vstate_emit(&v, fn, ctx)) != 0)
				break;
			if (!same) { /* a new vehicle: nothing before its first version */
				record_release(&v.prev);
				record_init(&v.prev);
				v.have_prev = false;
			}
			vstate_clear(&v);
		}
		if (!v.feed) {
			v.id = id;
			v.feed = store_col_text(s, 1);
			v.key = store_col_text(s, 2);
			v.vin = store_col_text(s, 3);
			v.snapshot = sqlite3_column_int64(s, 4);
			v.at = store_col_text(s, 5);
			v.file = store_col_text(s, 6);
			v.end_snapshot = sqlite3_column_int64(s, 7);
			v.end_at = store_col_text(s, 8);
			v.end_file = store_col_text(s, 9);
			v.succeeded = sqlite3_column_int(s, 10) != 0;
			v.cur.key = xstrdup(v.key);
		}
		if (name && value)
			record_set(&v.cur, name, value, strlen(value));
	}
	if (ret == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_db_error(st, "read version history");
	else if (ret == 0 && v.feed)
		ret = vstate_emit(&v, fn, ctx);
	sqlite3_finalize(s);
	vstate_clear(&v);
	record_release(&v.cur);
	record_release(&v.prev);
	return ret;
}
