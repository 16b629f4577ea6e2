/* store_warn.c - warnings about a snapshot's file as a whole (ambiguous dates, VIN check digits).
 */
#include "lotsync/store.h"

#include <sqlite3.h>

#include "store_p.h"

/*
 * Version 3 (2 is the audit work's). Warnings do not refuse anything; they
 * tell an operator or auditor what to check about a file that was applied.
 */
const char store_schema_warnings[] =
        "CREATE TABLE snapshot_warnings(snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
        " code TEXT NOT NULL, line INTEGER NOT NULL DEFAULT 0, field TEXT,"
        " message TEXT NOT NULL);"
        "CREATE INDEX snapshot_warnings_snapshot ON snapshot_warnings(snapshot_id);";

int
store_warning_add(struct store *st, long long snapshot, const struct row_warning *w)
{
	sqlite3_stmt *s = store_prep(st, "INSERT INTO snapshot_warnings(snapshot_id, code, line,"
	                                 " field, message) VALUES(?,?,?,?,?)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, snapshot);
	store_bind_text(s, 2, w->code);
	sqlite3_bind_int64(s, 3, (long long)w->line);
	store_bind_text(s, 4, w->field);
	store_bind_text(s, 5, w->message);
	return store_done(st, s, "record snapshot warning");
}

struct warning_walk {
	store_warning_fn fn;
	void *ctx;
};

static int
warning_row(sqlite3_stmt *s, void *arg)
{
	struct warning_walk *w = arg;
	struct row_warning r = {.code = (const char *)sqlite3_column_text(s, 0),
	                        .line = (unsigned long)sqlite3_column_int64(s, 1),
	                        .field = (const char *)sqlite3_column_text(s, 2),
	                        .message = (const char *)sqlite3_column_text(s, 3)};

	return w->fn(w->ctx, &r);
}

int
store_each_warning(struct store *st, long long snapshot, store_warning_fn fn, void *ctx)
{
	struct warning_walk w = {fn, ctx};

	return store_each_by_id(st,
	                        "SELECT code, line, field, message FROM snapshot_warnings"
	                        " WHERE snapshot_id = ? ORDER BY rowid",
	                        snapshot, warning_row, &w, "read snapshot warnings");
}
