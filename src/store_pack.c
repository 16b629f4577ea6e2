/*
 * store_pack.c - schema 14: version data stored compressed, and the
 * versions_vin index only where the VIN is not already the key.
 *
 * version_rows.data of a row written since schema 14 is a BLOB: one zstd
 * frame of the record's canonical JSON (store_zdata.c). Rows written
 * before keep their TEXT: nothing is rewritten (a 1M-vehicle history
 * would be copied once, and the chain's digests hash the JSON, which is
 * the same either way). Every reader of data goes through the SQL
 * function lotsync_json(data), registered on each connection, so the
 * store's callers see JSON whatever the row's age.
 *
 * versions_vin: for a feed keyed by VIN (most are) every entry repeated
 * versions_key's; a lookup by VIN reads the two halves instead
 * (STORE_VIN_MATCH in store_p.h), and a first load of 1M vehicles no
 * longer inserts 1M random entries into a second index.
 */
#include <sqlite3.h>
#include <string.h>

#include "lotsync/limits.h"
#include "lotsync/log.h"
#include "store_p.h"
#include "store_zdata.h"
#include "store_zdata_sql.h"

const char store_schema_pack[] = "DROP INDEX versions_vin;"
                                 "CREATE INDEX versions_vin ON version_rows(vin) WHERE vin <> key;";

int
store_pack_register(struct store *st)
{
	struct store_zdata_fn *fn = store_zdata_sqlnew();

	if (!fn || !(st->zdata = store_zdata_new())) {
		store_zdata_sqlfree(fn);
		log_fatal("out of memory (zstd contexts)");
	}
	/* SQLite frees fn with the connection, or now when the call fails */
	if (sqlite3_create_function_v2(st->db, "lotsync_json", 1, STORE_ZDATA_SQL_FLAGS, fn,
	                               store_zdata_sqlfn, NULL, NULL,
	                               store_zdata_sqlfree) != SQLITE_OK)
		return store_db_error(st, "register lotsync_json()");
	return 0;
}

int
store_bind_data(struct store *st, sqlite3_stmt *s, int i, const char *json)
{
	size_t n = strlen(json), len;
	const void *z;

	if (n > LS_MAX_STORED_JSON)
		return log_error("%s: a record of %zu bytes of JSON is more than a version holds "
		                 "(%zu)",
		                 st->path, n, LS_MAX_STORED_JSON);
	if (!(z = store_zdata_pack(st->zdata, json, n, &len)))
		log_fatal("out of memory (zstd)");
	/* z lives in st->zdata until the next pack: the statement steps before that */
	return sqlite3_bind_blob64(s, i, z, len, SQLITE_STATIC) == SQLITE_OK
	               ? 0
	               : store_db_error(st, "bind a version's data");
}
