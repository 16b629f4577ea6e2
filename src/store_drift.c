/*
 * store_drift.c - what ingest needs to tell a feed's truth from a damaged
 * file: the newest applied snapshot (duplicates), each applied snapshot's
 * columns and per-field fill counts (the drift guard), and the rows
 * refused per key (refused is not vanished).
 */
#include "lotsync/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/util.h"
#include "store_p.h"

/*
 * Version 9. A file identical to an older snapshot is applied again (it is
 * the inventory now), so the SHA-256 of applied snapshots is no longer
 * unique per feed. Refused rows keep the key they name. Columns and fill
 * counts are written for applied snapshots only, append-only like the
 * snapshots they describe.
 */
const char store_schema_drift[] =
        "DROP INDEX snapshots_sha;"
        "CREATE INDEX snapshots_sha ON snapshots(feed, sha256);"
        "ALTER TABLE rejected_rows ADD COLUMN key TEXT;"
        "CREATE INDEX rejected_rows_key ON rejected_rows(key);"
        "CREATE TABLE snapshot_columns(snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
        " name TEXT NOT NULL, field TEXT NOT NULL);"
        "CREATE INDEX snapshot_columns_snapshot ON snapshot_columns(snapshot_id);"
        "CREATE TABLE snapshot_fill(snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
        " field TEXT NOT NULL, filled INTEGER NOT NULL);"
        "CREATE INDEX snapshot_fill_snapshot ON snapshot_fill(snapshot_id);"
        "CREATE TRIGGER snapshot_columns_append_only_u BEFORE UPDATE ON snapshot_columns"
        " BEGIN SELECT RAISE(ABORT, 'snapshot_columns are append-only'); END;"
        "CREATE TRIGGER snapshot_columns_append_only_d BEFORE DELETE ON snapshot_columns"
        " BEGIN SELECT RAISE(ABORT, 'snapshot_columns are append-only'); END;"
        "CREATE TRIGGER snapshot_fill_append_only_u BEFORE UPDATE ON snapshot_fill"
        " BEGIN SELECT RAISE(ABORT, 'snapshot_fill is append-only'); END;"
        "CREATE TRIGGER snapshot_fill_append_only_d BEFORE DELETE ON snapshot_fill"
        " BEGIN SELECT RAISE(ABORT, 'snapshot_fill is append-only'); END;";

int
store_feed_last_applied(struct store *st, const char *feed, long long below_seq, long long *id,
                        char sha[65])
{
	sqlite3_stmt *s = store_prep(st, "SELECT id, sha256 FROM snapshots WHERE feed = ?"
	                                 " AND state = 'applied' AND (?2 = 0 OR seq < ?2)"
	                                 " ORDER BY seq DESC LIMIT 1");
	int rc;

	*id = 0;
	sha[0] = '\0';
	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	sqlite3_bind_int64(s, 2, below_seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(s, 1);

		*id = sqlite3_column_int64(s, 0);
		snprintf(sha, 65, "%s", h ? h : "");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, "look up the newest applied snapshot");
	return 0;
}

/* The first snapshot of the feed whose state is state and content sha, or 0. */
static long long
by_sha_state(struct store *st, const char *feed, const char *sha, const char *state)
{
	sqlite3_stmt *s = store_prep(st, "SELECT id FROM snapshots WHERE feed = ? AND sha256 = ?"
	                                 " AND state = ? ORDER BY id LIMIT 1");
	long long id;

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, sha);
	store_bind_text(s, 3, state);
	if (store_one_int(st, s, &id, "look up snapshot by SHA-256") == -1)
		return -1;
	return id;
}

long long
store_snapshot_held_sha(struct store *st, const char *feed, const char *sha)
{
	return by_sha_state(st, feed, sha, "held");
}

long long
store_snapshot_applied_sha(struct store *st, const char *feed, const char *sha)
{
	return by_sha_state(st, feed, sha, "applied");
}

int
store_snapshot_newest_is(struct store *st, const char *feed, const char *sha, const char *file)
{
	sqlite3_stmt *s = store_prep(st, "SELECT sha256 = ? AND file = ? FROM snapshots"
	                                 " WHERE feed = ? ORDER BY id DESC LIMIT 1");
	int rc, yes = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, sha);
	store_bind_text(s, 2, file);
	store_bind_text(s, 3, feed);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		yes = sqlite3_column_int(s, 0) != 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, "look up the newest snapshot");
	return yes;
}

int
store_drift_add(struct store *st, long long snapshot, const struct store_drift *d)
{
	sqlite3_stmt *c = store_prep(st, "INSERT INTO snapshot_columns(snapshot_id, name, field)"
	                                 " VALUES(?,?,?)");

	if (!c)
		return -1;
	for (size_t i = 0; i < d->ncols; i++) {
		sqlite3_bind_int64(c, 1, snapshot);
		store_bind_text(c, 2, d->cols[i].name);
		store_bind_text(c, 3, d->cols[i].field);
		if (store_done(st, c, "record snapshot column") == -1)
			return -1;
	}
	c = store_prep(st, "INSERT INTO snapshot_fill(snapshot_id, field, filled) VALUES(?,?,?)");
	if (!c)
		return -1;
	for (size_t i = 0; i < d->nfill; i++) {
		sqlite3_bind_int64(c, 1, snapshot);
		store_bind_text(c, 2, d->fill[i].field);
		sqlite3_bind_int64(c, 3, d->fill[i].filled);
		if (store_done(st, c, "record field fill count") == -1)
			return -1;
	}
	return 0;
}

int
store_drift_load(struct store *st, long long snapshot, struct store_drift *d)
{
	sqlite3_stmt *s = store_prep(st, "SELECT name, field FROM snapshot_columns"
	                                 " WHERE snapshot_id = ? ORDER BY rowid");
	size_t alloc = 0;
	int rc;

	memset(d, 0, sizeof(*d));
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, snapshot);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		d->cols = xgrow(d->cols, &alloc, d->ncols + 1, sizeof(*d->cols));
		d->cols[d->ncols].name = store_col_text(s, 0);
		d->cols[d->ncols].field = store_col_text(s, 1);
		d->ncols++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "load snapshot columns");
	if (!(s = store_prep(st, "SELECT field, filled FROM snapshot_fill WHERE snapshot_id = ?"
	                         " ORDER BY rowid")))
		return -1;
	alloc = 0;
	sqlite3_bind_int64(s, 1, snapshot);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		d->fill = xgrow(d->fill, &alloc, d->nfill + 1, sizeof(*d->fill));
		d->fill[d->nfill].field = store_col_text(s, 0);
		d->fill[d->nfill].filled = sqlite3_column_int64(s, 1);
		d->nfill++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "load field fill counts");
	d->known = d->ncols > 0 || d->nfill > 0;
	return 0;
}

void
store_drift_release(struct store_drift *d)
{
	for (size_t i = 0; i < d->ncols; i++) {
		free(d->cols[i].name);
		free(d->cols[i].field);
	}
	for (size_t i = 0; i < d->nfill; i++)
		free(d->fill[i].field);
	free(d->cols);
	free(d->fill);
	memset(d, 0, sizeof(*d));
}
