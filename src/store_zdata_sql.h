/*
 * store_zdata_sql.h - the SQL function lotsync_json(data): a version's
 * stored data as JSON text, whichever form it has (TEXT before schema 14,
 * a store_zdata frame since). Defined here once and compiled twice: into
 * the store (store.c, with <sqlite3.h>) and into the SQLite extension
 * (contrib/sqlite/lotsync_sqlite.c, after <sqlite3ext.h>, whose macros
 * route the same calls through the extension's API table). Include it
 * after one of the two; the includer registers it with
 * sqlite3_create_function_v2(db, "lotsync_json", 1, STORE_ZDATA_SQL_FLAGS,
 * store_zdata_new(), store_zdata_sqlfn, NULL, NULL, store_zdata_sqlfree).
 */
#ifndef LOTSYNC_STORE_ZDATA_SQL_H
#define LOTSYNC_STORE_ZDATA_SQL_H

#include <stdlib.h>

#include "store_zdata.h"

/* Same input, same output, no side effects: usable in views, indexes, triggers. */
#define STORE_ZDATA_SQL_FLAGS (SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS)

static void
store_zdata_sqlfn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct store_zdata *z = sqlite3_user_data(ctx);
	const void *blob;
	char why[160], *json;
	size_t len;
	int n;

	(void)argc;
	switch (sqlite3_value_type(argv[0])) {
	case SQLITE_NULL: sqlite3_result_null(ctx); return;
	case SQLITE_TEXT: sqlite3_result_value(ctx, argv[0]); return; /* as written before 13 */
	case SQLITE_BLOB: break;
	default: sqlite3_result_error(ctx, "lotsync_json: not a stored version's data", -1); return;
	}
	blob = sqlite3_value_blob(argv[0]);
	n = sqlite3_value_bytes(argv[0]);
	if (!(json = store_zdata_unpack(z, blob, (size_t)n, &len, why, sizeof(why)))) {
		sqlite3_result_error(ctx, why, -1);
		return;
	}
	sqlite3_result_text64(ctx, json, len, free, SQLITE_UTF8);
}

static void
store_zdata_sqlfree(void *z)
{
	store_zdata_free(z);
}

#endif
