/* store_fetch.c - what was fetched from remote feeds, so nothing is fetched twice. */
#include "lotsync/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/log.h"
#include "lotsync/util.h"
#include "store_p.h"

/*
 * One row per download that completed (or per remote file whose content
 * turned out to be known already: state 'identical', no local copy). The
 * newest row of (feed, source, remote) says what the remote file looked
 * like when it was last fetched; a listing with the same size and mtime is
 * not fetched again. Rows are history: only remote_deleted_at may be set,
 * once (after_fetch = delete).
 */
const char store_schema_fetch[] =
        "CREATE TABLE fetched(id INTEGER PRIMARY KEY, feed TEXT NOT NULL, run_id INTEGER,"
        " source TEXT NOT NULL, remote TEXT NOT NULL, size INTEGER NOT NULL,"
        " mtime INTEGER NOT NULL, sha256 TEXT NOT NULL, local TEXT, fetched_at TEXT NOT NULL,"
        " state TEXT NOT NULL CHECK(state IN ('fetched','identical')),"
        " remote_deleted_at TEXT);"
        "CREATE INDEX fetched_remote ON fetched(feed, source, remote);"
        "CREATE INDEX fetched_sha ON fetched(feed, sha256);"
        "CREATE INDEX fetched_local ON fetched(feed, local);"
        "CREATE TRIGGER fetched_append_only_d BEFORE DELETE ON fetched"
        " BEGIN SELECT RAISE(ABORT, 'fetched is append-only'); END;"
        "CREATE TRIGGER fetched_delete_once BEFORE UPDATE ON fetched WHEN NOT"
        " (OLD.remote_deleted_at IS NULL AND NEW.remote_deleted_at IS NOT NULL"
        "  AND NEW.id = OLD.id AND NEW.feed = OLD.feed AND NEW.source = OLD.source"
        "  AND NEW.remote = OLD.remote AND NEW.size = OLD.size AND NEW.mtime = OLD.mtime"
        "  AND NEW.sha256 = OLD.sha256 AND NEW.local IS OLD.local"
        "  AND NEW.fetched_at = OLD.fetched_at AND NEW.state = OLD.state)"
        " BEGIN SELECT RAISE(ABORT, 'fetched rows can only be marked deleted'); END;"
        "CREATE VIEW v_fetched AS SELECT id, feed, source, remote, size, mtime, sha256, local,"
        " fetched_at, state, remote_deleted_at FROM fetched;";

/*
 * What lotsync itself observed of each remote file, by its own real clock:
 * when the listed size and mtime were first seen (first_seen) and when the
 * file was last listed (last_seen). A remote file has settled when the same
 * size and mtime were listed settle_seconds apart, whatever the server's
 * clock or time zone says. delete_refused holds the server's reply when it
 * refused to delete this version (warned once, not retried). One row per
 * listed file; rows of files no longer listed are dropped after a listing.
 */
const char store_schema_fetch_seen[] =
        "CREATE TABLE remote_seen(feed TEXT NOT NULL, source TEXT NOT NULL,"
        " remote TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,"
        " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, delete_refused TEXT,"
        " PRIMARY KEY(feed, source, remote)) WITHOUT ROWID;";

/* Content of the feed that is archived: a snapshot (any state) or a quarantined file. */
#define ARCHIVED_SQL                                                                               \
	"(EXISTS(SELECT 1 FROM snapshots s WHERE s.feed = f.feed AND s.sha256 = f.sha256"          \
	" AND s.state <> 'duplicate') OR EXISTS(SELECT 1 FROM quarantine q"                        \
	" WHERE q.feed = f.feed AND q.sha256 = f.sha256))"

long long
store_fetch_add(struct store *st, long long run, const struct fetch_record *r)
{
	sqlite3_stmt *s = store_prep(
	        st, "INSERT INTO fetched(feed, run_id, source, remote, size, mtime, sha256, local,"
	            " fetched_at, state) VALUES(?,?,?,?,?,?,?,?,?,?)");

	if (!s)
		return -1;
	store_bind_text(s, 1, r->feed);
	sqlite3_bind_int64(s, 2, run);
	store_bind_text(s, 3, r->source);
	store_bind_text(s, 4, r->remote);
	sqlite3_bind_int64(s, 5, r->size);
	sqlite3_bind_int64(s, 6, r->mtime);
	store_bind_text(s, 7, r->sha256);
	store_bind_text(s, 8, r->local);
	store_bind_text(s, 9, r->fetched_at);
	store_bind_text(s, 10, r->local ? "fetched" : "identical");
	return store_insert(st, s, "record fetched file");
}

int
store_fetch_last(struct store *st, const char *feed, const char *source, const char *remote,
                 struct fetch_seen *out)
{
	sqlite3_stmt *s = store_prep(
	        st,
	        "SELECT f.id, f.size, f.mtime, f.sha256, f.local, " ARCHIVED_SQL ","
	        " f.remote_deleted_at IS NOT NULL FROM fetched f"
	        " WHERE f.feed = ? AND f.source = ? AND f.remote = ? ORDER BY f.id DESC LIMIT 1");
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, source);
	store_bind_text(s, 3, remote);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *sha = sqlite3_column_text(s, 3);

		out->id = sqlite3_column_int64(s, 0);
		out->size = sqlite3_column_int64(s, 1);
		out->mtime = sqlite3_column_int64(s, 2);
		snprintf(out->sha256, sizeof(out->sha256), "%s", sha ? (const char *)sha : "");
		out->local = store_col_text(s, 4);
		out->archived = sqlite3_column_int(s, 5) != 0;
		out->deleted = sqlite3_column_int(s, 6) != 0;
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_db_error(st, "look up fetched file");
	}
	sqlite3_reset(s);
	return rc;
}

int
store_fetch_known(struct store *st, const char *feed, const char *sha256, char **local)
{
	sqlite3_stmt *s = store_prep(
	        st, "SELECT EXISTS(SELECT 1 FROM snapshots WHERE feed = ?1 AND sha256 = ?2"
	            " AND state = 'held') OR ?2 IS (SELECT sha256 FROM snapshots WHERE feed = ?1"
	            " AND state = 'applied' ORDER BY seq DESC LIMIT 1) OR EXISTS(SELECT 1 FROM "
	            "quarantine"
	            " WHERE feed = ?1 AND sha256 = ?2), (SELECT local FROM fetched WHERE feed = ?1"
	            " AND sha256 = ?2 AND local IS NOT NULL ORDER BY id DESC LIMIT 1)");
	int rc;

	*local = NULL;
	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, sha256);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = sqlite3_column_int(s, 0) != 0;
		if (!rc)
			*local = store_col_text(s, 1);
	} else {
		rc = store_db_error(st, "look up fetched content");
	}
	sqlite3_reset(s);
	return rc;
}

int
store_fetch_set_deleted(struct store *st, long long id, const char *at)
{
	sqlite3_stmt *s = store_prep(
	        st, "UPDATE fetched SET remote_deleted_at = ? WHERE id = ? AND remote_deleted_at"
	            " IS NULL");

	if (!s)
		return -1;
	store_bind_text(s, 1, at);
	sqlite3_bind_int64(s, 2, id);
	return store_done(st, s, "record remote file deleted");
}

int
store_fetch_source(struct store *st, const char *feed, const char *local, const char *sha256,
                   char **url)
{
	sqlite3_stmt *s = store_prep(st, "SELECT source || remote FROM fetched WHERE feed = ?"
	                                 " AND local = ? AND sha256 = ? ORDER BY id DESC LIMIT 1");
	int rc;

	*url = NULL;
	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, local);
	store_bind_text(s, 3, sha256);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*url = store_col_text(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, "look up where a file was fetched from");
	return 0;
}

int
store_fetch_observe(struct store *st, const struct remote_obs *o, struct remote_obs_result *out)
{
	sqlite3_stmt *sel = store_prep(
	        st, "SELECT size, mtime, first_seen, last_seen, delete_refused FROM remote_seen"
	            " WHERE feed = ? AND source = ? AND remote = ?");
	sqlite3_stmt *put;
	bool same = false;
	int rc;

	memset(out, 0, sizeof(*out));
	out->first_seen = o->now;
	if (!sel)
		return -1;
	store_bind_text(sel, 1, o->feed);
	store_bind_text(sel, 2, o->source);
	store_bind_text(sel, 3, o->remote);
	rc = sqlite3_step(sel);
	if (rc == SQLITE_ROW) {
		long long first = sqlite3_column_int64(sel, 2);

		same = sqlite3_column_int64(sel, 0) == o->size &&
		       sqlite3_column_int64(sel, 1) == o->mtime;
		/* A clock set back must not make a file look settled for longer */
		if (same && first <= o->now)
			out->first_seen = first;
		if (!same)
			out->changed_after = sqlite3_column_int64(sel, 3);
		else
			out->delete_refused = store_col_text(sel, 4);
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(sel);
		return store_db_error(st, "look up remote observation");
	}
	sqlite3_reset(sel);
	put = store_prep(st,
	                 "INSERT INTO remote_seen(feed, source, remote, size, mtime, first_seen,"
	                 " last_seen) VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT DO UPDATE SET"
	                 " size = ?4, mtime = ?5, first_seen = ?6, last_seen = ?7,"
	                 " delete_refused = CASE WHEN ?8 THEN delete_refused END");
	if (!put)
		goto fail;
	store_bind_text(put, 1, o->feed);
	store_bind_text(put, 2, o->source);
	store_bind_text(put, 3, o->remote);
	sqlite3_bind_int64(put, 4, o->size);
	sqlite3_bind_int64(put, 5, o->mtime);
	sqlite3_bind_int64(put, 6, out->first_seen);
	sqlite3_bind_int64(put, 7, o->now);
	sqlite3_bind_int(put, 8, same);
	if (store_done(st, put, "record remote observation") == -1)
		goto fail;
	return 0;
fail:
	free(out->delete_refused);
	out->delete_refused = NULL;
	return -1;
}

int
store_fetch_forget_unlisted(struct store *st, const char *feed, const char *source, long long now)
{
	sqlite3_stmt *s = store_prep(st, "DELETE FROM remote_seen WHERE feed = ? AND source = ?"
	                                 " AND last_seen < ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, source);
	sqlite3_bind_int64(s, 3, now);
	return store_done(st, s, "forget remote files no longer listed");
}

int
store_fetch_delete_refused(struct store *st, const char *feed, const char *source,
                           const char *remote, const char *reply)
{
	sqlite3_stmt *s = store_prep(st, "UPDATE remote_seen SET delete_refused = ? WHERE feed = ?"
	                                 " AND source = ? AND remote = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, reply);
	store_bind_text(s, 2, feed);
	store_bind_text(s, 3, source);
	store_bind_text(s, 4, remote);
	return store_done(st, s, "record refused remote delete");
}

void
fetch_seen_release(struct fetch_seen *f)
{
	free(f->local);
	f->local = NULL;
}
