/*
 * store_zdata_sql.h - the SQL function lotsync_json(data): a version's
 * stored data as JSON text, whichever form it has (TEXT before schema 14,
 * a store_zdata frame since). Defined here once and compiled twice: into
 * the store (store.c, with <sqlite3.h>) and into the SQLite extension
 * (contrib/sqlite/lotsync_sqlite.c, after <sqlite3ext.h>, whose macros
 * route the same calls through the extension's API table). Include it
 * after one of the two; the includer registers it with
 * sqlite3_create_function_v2(db, "lotsync_json", 1, STORE_ZDATA_SQL_FLAGS,
 * store_zdata_sqlnew(), store_zdata_sqlfn, NULL, NULL, store_zdata_sqlfree).
 */
#ifndef LOTSYNC_STORE_ZDATA_SQL_H
#define LOTSYNC_STORE_ZDATA_SQL_H

#include <stdlib.h>
#include <string.h>

#include "store_zdata.h"

/* Same input, same output, no side effects: usable in views, indexes, triggers. */
#define STORE_ZDATA_SQL_FLAGS (SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS)

/*
 * The function's state: the contexts, and the last frame it unpacked with
 * its JSON. A query that reads several fields of one version
 * (json_extract(lotsync_json(data), ...) twice or more; SQLite flattens a
 * subquery into copies of the call) decompresses it once.
 */
struct store_zdata_fn {
	struct store_zdata *z;
	void *in; /* a copy of the last frame, in[0..nin) */
	size_t nin;
	char *json; /* its JSON, NUL-terminated, json[0..njson) */
	size_t njson;
};

/* The function's user data, or NULL (out of memory); store_zdata_sqlfree frees it. */
static struct store_zdata_fn *
store_zdata_sqlnew(void)
{
	struct store_zdata_fn *f = calloc(1, sizeof(*f));

	if (f && !(f->z = store_zdata_new())) {
		free(f);
		f = NULL;
	}
	return f;
}

static void
store_zdata_sqlfree(void *p)
{
	struct store_zdata_fn *f = p;

	if (!f)
		return;
	store_zdata_free(f->z);
	free(f->in);
	free(f->json);
	free(f);
}

static void
store_zdata_sqlfn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct store_zdata_fn *f = sqlite3_user_data(ctx);
	const void *blob;
	char why[160], *json;
	size_t len, n;
	void *in;

	(void)argc;
	switch (sqlite3_value_type(argv[0])) {
	case SQLITE_NULL: sqlite3_result_null(ctx); return;
	case SQLITE_TEXT: sqlite3_result_value(ctx, argv[0]); return; /* as written before 14 */
	case SQLITE_BLOB: break;
	default: sqlite3_result_error(ctx, "lotsync_json: not a stored version's data", -1); return;
	}
	blob = sqlite3_value_blob(argv[0]);
	n = (size_t)sqlite3_value_bytes(argv[0]);
	if (f->json && n == f->nin && memcmp(blob, f->in, n) == 0) {
		sqlite3_result_text64(ctx, f->json, f->njson, SQLITE_TRANSIENT, SQLITE_UTF8);
		return;
	}
	if (!(json = store_zdata_unpack(f->z, blob, n, &len, why, sizeof(why)))) {
		sqlite3_result_error(ctx, why, -1);
		return;
	}
	if ((in = malloc(n ? n : 1))) { /* else no cache: the result stands */
		memcpy(in, blob, n);
		free(f->in);
		free(f->json);
		f->in = in;
		f->nin = n;
		f->json = json;
		f->njson = len;
		sqlite3_result_text64(ctx, json, len, SQLITE_TRANSIENT, SQLITE_UTF8);
		return;
	}
	sqlite3_result_text64(ctx, json, len, free, SQLITE_UTF8);
}

#endif
