/*
 * store_guard.c - clock jumps (schema 10): a run whose clock is more than
 * max_clock_jump after the newest run is recorded here, and the auto-close
 * decisions that count elapsed days stay held until an operator accepts
 * it (guard.h). Also the count of the SRs those held decisions concern.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "lotsync/store.h"
#include "store_p.h"

const char store_schema_guard[] =
        "CREATE TABLE clock_jumps(id INTEGER PRIMARY KEY, run_id INTEGER,"
        " from_clock TEXT NOT NULL, to_clock TEXT NOT NULL, accepted_by TEXT,"
        " accepted_at TEXT);"
        "CREATE VIEW v_clock_jumps AS SELECT id, run_id, from_clock, to_clock, accepted_by,"
        " accepted_at FROM clock_jumps;";

int
store_clock_jump_add(struct store *st, long long run, const char *from, const char *to)
{
	sqlite3_stmt *s = store_prep(st, "INSERT INTO clock_jumps(run_id, from_clock, to_clock)"
	                                 " VALUES(?, ?, ?)");

	if (!s)
		return -1;
	if (run > 0)
		sqlite3_bind_int64(s, 1, run);
	store_bind_text(s, 2, from);
	store_bind_text(s, 3, to);
	return store_insert(st, s, "record a clock jump") < 0 ? -1 : 0;
}

int
store_clock_jump_pending(struct store *st, struct clock_jump *j)
{
	sqlite3_stmt *s = store_prep(st, "SELECT id, from_clock, to_clock FROM clock_jumps"
	                                 " WHERE accepted_at IS NULL ORDER BY id LIMIT 1");
	int rc;

	memset(j, 0, sizeof(*j));
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *from = (const char *)sqlite3_column_text(s, 1);
		const char *to = (const char *)sqlite3_column_text(s, 2);

		j->id = sqlite3_column_int64(s, 0);
		snprintf(j->from, sizeof(j->from), "%s", from ? from : "");
		snprintf(j->to, sizeof(j->to), "%s", to ? to : "");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, "read clock jumps");
	return rc == SQLITE_ROW ? 0 : 1;
}

long long
store_clock_jump_accept(struct store *st, const char *by, const char *at)
{
	sqlite3_stmt *s = store_prep(st, "UPDATE clock_jumps SET accepted_by = ?, accepted_at = ?"
	                                 " WHERE accepted_at IS NULL");

	if (!s)
		return -1;
	store_bind_text(s, 1, by);
	store_bind_text(s, 2, at);
	if (store_done(st, s, "accept clock jumps") == -1)
		return -1;
	return sqlite3_changes(st->db);
}

long long
store_srs_close_due(struct store *st, const char *feed, const char *cutoff)
{
	sqlite3_stmt *s = store_prep(st, "SELECT count(*) FROM srs WHERE feed = ? AND"
	                                 " status = 'open' AND absent_since IS NOT NULL AND"
	                                 " clock_from <= ?");
	long long n = -1;

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, cutoff);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		store_db_error(st, "count the SRs due to close");
	sqlite3_reset(s);
	return n;
}

int
store_archive_known(struct store *st, const char *feed, const char *sha)
{
	sqlite3_stmt *s = store_prep(st, "SELECT EXISTS(SELECT 1 FROM snapshots WHERE feed = ?1"
	                                 " AND sha256 = ?2) OR EXISTS(SELECT 1 FROM quarantine"
	                                 " WHERE feed = ?1 AND sha256 = ?2)");
	int rc, known = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, sha);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		known = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return store_db_error(st, "look up an archived file");
	return known ? 1 : 0;
}
