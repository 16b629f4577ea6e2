/*
 * lotsync_json.c - a SQLite extension that gives the plain sqlite3 shell
 * the store's lotsync_json(data): a version's stored data as JSON text.
 *
 * Since schema 14 version_rows.data is a zstd frame (store_zdata.c), which
 * json_extract() cannot read; rows written before stay TEXT. An auditor
 * reads both the same way:
 *
 *   sqlite3 -readonly -cmd '.load /usr/local/lib/lotsync/lotsync_json' \
 *     spool/lotsync.db "SELECT key, json_extract(lotsync_json(data), '$.price')
 *     FROM versions WHERE to_seq IS NULL"
 *
 * Built as build/lotsync_json.so from this file and src/store_zdata.c
 * (make all); the function's one definition is src/store_zdata_sql.h, so
 * the shell and lotsync cannot read a row differently.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "store_zdata_sql.h"

/* The entry point SQLite derives from the file name lotsync_json.so. */
int sqlite3_lotsyncjson_init(sqlite3 *db, char **err, const sqlite3_api_routines *api);

int
sqlite3_lotsyncjson_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
	struct store_zdata_fn *z;

	SQLITE_EXTENSION_INIT2(api);
	if (!(z = store_zdata_sqlnew())) {
		*err = sqlite3_mprintf("lotsync_json: out of memory");
		return SQLITE_NOMEM;
	}
	/* SQLite frees z with the connection, or now when the call fails */
	return sqlite3_create_function_v2(db, "lotsync_json", 1, STORE_ZDATA_SQL_FLAGS, z,
	                                  store_zdata_sqlfn, NULL, NULL, store_zdata_sqlfree);
}
