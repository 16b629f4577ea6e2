/* store_report.c - read-only queries for `lotsync report`: totals and capped, streamed lists. */
#include "lotsync/store_report.h"

#include <sqlite3.h>
#include <string.h>

#include "store_p.h"

int
store_feed_totals(struct store *st, const char *feed, struct feed_totals *out)
{
	/* One statement, so the figures are of one moment even while a run writes. */
	static const char sql[] =
	        "SELECT count(*), coalesce(sum(state = 'applied'), 0),"
	        " coalesce(sum(state = 'held'), 0), coalesce(sum(state = 'rejected'), 0),"
	        " coalesce(sum(state = 'duplicate'), 0), coalesce(sum(rejected_rows), 0),"
	        " (SELECT count(*) FROM quarantine WHERE feed = ?1),"
	        " (SELECT count(*) FROM srs WHERE feed = ?1 AND status = 'open'),"
	        " (SELECT count(*) FROM srs WHERE feed = ?1 AND status = 'closed')"
	        " FROM snapshots WHERE feed = ?1";
	sqlite3_stmt *s = store_prep(st, sql);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->snapshots = sqlite3_column_int64(s, 0);
		out->applied = sqlite3_column_int64(s, 1);
		out->held = sqlite3_column_int64(s, 2);
		out->rejected = sqlite3_column_int64(s, 3);
		out->duplicate = sqlite3_column_int64(s, 4);
		out->rejected_rows = sqlite3_column_int64(s, 5);
		out->quarantined = sqlite3_column_int64(s, 6);
		out->srs_open = sqlite3_column_int64(s, 7);
		out->srs_closed = sqlite3_column_int64(s, 8);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return store_db_error(st, "count the feed's history");
	return 0;
}

/* Prepare an uncached statement (callbacks may query too) with ?1 = feed, ?2 = limit. */
static sqlite3_stmt *
prep_list(struct store *st, const char *sql, const char *feed, long long limit, const char *what)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_db_error(st, what);
		return NULL;
	}
	store_bind_text(s, 1, feed);
	sqlite3_bind_int64(s, 2, limit > 0 ? limit : -1); /* LIMIT -1: no limit */
	return s;
}

/* Finish a scan: a step error unless fn stopped it, then finalize. */
static int
end_list(struct store *st, sqlite3_stmt *s, int rc, int ret, const char *what)
{
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_db_error(st, what);
	sqlite3_finalize(s);
	return ret;
}

int
store_each_feed_reject(struct store *st, const char *feed, long long limit, store_feed_reject_fn fn,
                       void *ctx)
{
	sqlite3_stmt *s =
	        prep_list(st,
	                  "SELECT r.snapshot_id, r.line, r.field, r.reason FROM rejected_rows r"
	                  " JOIN snapshots n ON n.id = r.snapshot_id WHERE n.feed = ?1"
	                  " ORDER BY r.snapshot_id DESC, r.line, r.rowid LIMIT ?2",
	                  feed, limit, "prepare rejected rows of the feed");
	int rc = SQLITE_DONE, ret = 0;

	if (!s)
		return -1;
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct row_error e = {.line = (unsigned long)sqlite3_column_int64(s, 1),
		                      .field = (char *)sqlite3_column_text(s, 2),
		                      .reason = (char *)sqlite3_column_text(s, 3)};

		ret = fn(ctx, sqlite3_column_int64(s, 0), &e);
	}
	return end_list(st, s, rc, ret, "read rejected rows of the feed");
}

int
store_each_quarantine(struct store *st, const char *feed, long long limit, store_quarantine_fn fn,
                      void *ctx)
{
	sqlite3_stmt *s = prep_list(st,
	                            "SELECT id, feed, file, sha256, reason, at FROM quarantine"
	                            " WHERE feed = ?1 ORDER BY id DESC LIMIT ?2",
	                            feed, limit, "prepare quarantine list");
	int rc = SQLITE_DONE, ret = 0;

	if (!s)
		return -1;
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct quarantine_info q = {.id = sqlite3_column_int64(s, 0),
		                            .feed = (const char *)sqlite3_column_text(s, 1),
		                            .file = (const char *)sqlite3_column_text(s, 2),
		                            .sha256 = (const char *)sqlite3_column_text(s, 3),
		                            .reason = (const char *)sqlite3_column_text(s, 4),
		                            .at = (const char *)sqlite3_column_text(s, 5)};

		ret = fn(ctx, &q);
	}
	return end_list(st, s, rc, ret, "read quarantine list");
}

int
store_each_sr_closed(struct store *st, const char *feed, long long limit, store_sr_fn fn, void *ctx)
{
	sqlite3_stmt *s = prep_list(
	        st,
	        "SELECT id, feed, vin, dealer_id, client, stock_no, vehicle_type, sr_type, status,"
	        " created_at, closed_at, close_reason FROM srs WHERE feed = ?1"
	        " AND status = 'closed' ORDER BY closed_at DESC, id DESC LIMIT ?2",
	        feed, limit, "prepare closed service requests");
	int rc = SQLITE_DONE, ret = 0;

	if (!s)
		return -1;
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sr_info r = {.id = sqlite3_column_int64(s, 0),
		                    .feed = (char *)sqlite3_column_text(s, 1),
		                    .vin = (char *)sqlite3_column_text(s, 2),
		                    .dealer_id = (char *)sqlite3_column_text(s, 3),
		                    .client = (char *)sqlite3_column_text(s, 4),
		                    .stock_no = (char *)sqlite3_column_text(s, 5),
		                    .vehicle_type = (char *)sqlite3_column_text(s, 6),
		                    .sr_type = (char *)sqlite3_column_text(s, 7),
		                    .status = (char *)sqlite3_column_text(s, 8),
		                    .created_at = (char *)sqlite3_column_text(s, 9),
		                    .closed_at = (char *)sqlite3_column_text(s, 10),
		                    .close_reason = (char *)sqlite3_column_text(s, 11)};

		ret = fn(ctx, &r);
	}
	return end_list(st, s, rc, ret, "read closed service requests");
}
