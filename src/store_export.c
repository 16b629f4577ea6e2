/* store_export.c - export files and delivery attempts. */
#include "lotsync/store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/log.h"
#include "lotsync/util.h"
#include "store_p.h"

long long
store_export_add(struct store *st, long long run, const char *target, const char *basis,
                 const char *created_at)
{
	sqlite3_stmt *s = store_prep(st, "INSERT INTO exports(target, run_id, basis, created_at)"
	                                 " VALUES(?,?,?,?)");

	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	sqlite3_bind_int64(s, 2, run);
	store_bind_text(s, 3, basis);
	store_bind_text(s, 4, created_at);
	return store_insert(st, s, "record export");
}

int
store_export_set_file(struct store *st, long long id, const char *file, const char *sha256,
                      long long vehicles)
{
	sqlite3_stmt *s = store_prep(
	        st, "UPDATE exports SET file = ?, sha256 = ?, vehicles = ? WHERE id = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, file);
	store_bind_text(s, 2, sha256);
	sqlite3_bind_int64(s, 3, vehicles);
	sqlite3_bind_int64(s, 4, id);
	return store_done(st, s, "record export file");
}

#define EXPORT_COLS "id, target, file, sha256, vehicles, created_at, state, basis"

static void
read_export(sqlite3_stmt *s, struct export_info *e)
{
	e->id = sqlite3_column_int64(s, 0);
	e->target = store_col_text(s, 1);
	e->file = store_col_text(s, 2);
	e->sha256 = store_col_text(s, 3);
	e->vehicles = sqlite3_column_int64(s, 4);
	e->created_at = store_col_text(s, 5);
	e->state = store_col_text(s, 6);
	e->basis = store_col_text(s, 7);
}

int
store_export_last(struct store *st, const char *target, struct export_info *out)
{
	sqlite3_stmt *s = store_prep(st, "SELECT " EXPORT_COLS " FROM exports WHERE target = ?"
	                                 " ORDER BY id DESC LIMIT 1");
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_export(s, out);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, "read last export");
	return 0;
}

int
store_export_pending(struct store *st, const char *target, struct export_info **out, size_t *n)
{
	sqlite3_stmt *s = store_prep(st, "SELECT " EXPORT_COLS " FROM exports WHERE target = ?"
	                                 " AND state = 'pending' AND file IS NOT NULL ORDER BY id");
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = xgrow(*out, &alloc, *n + 1, sizeof(**out));
		read_export(s, &(*out)[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "list pending exports");
	return 0;
}

int
store_export_set_state(struct store *st, long long id, const char *state, const char *at)
{
	sqlite3_stmt *s =
	        store_prep(st, "UPDATE exports SET state = ?, delivered_at = ? WHERE id = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, state);
	store_bind_text(s, 2, at);
	sqlite3_bind_int64(s, 3, id);
	return store_done(st, s, "update export state");
}

int
store_delivery_add(struct store *st, long long export_id, long long run, const char *at,
                   const char *result, const char *reply)
{
	sqlite3_stmt *s =
	        store_prep(st, "INSERT INTO deliveries(export_id, run_id, at, result, reply)"
	                       " VALUES(?,?,?,?,?)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, export_id);
	sqlite3_bind_int64(s, 2, run);
	store_bind_text(s, 3, at);
	store_bind_text(s, 4, result);
	store_bind_text(s, 5, reply);
	return store_insert(st, s, "record delivery attempt") < 0 ? -1 : 0;
}

int
store_export_has_file(struct store *st, const char *target, const char *file)
{
	sqlite3_stmt *s = store_prep(st, "SELECT 1 FROM exports WHERE target = ? AND file = ?");
	int rc;

	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	store_bind_text(s, 2, file);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return store_db_error(st, "look up export file");
	return 0;
}

void
export_info_release(struct export_info *e)
{
	free(e->target);
	free(e->file);
	free(e->sha256);
	free(e->created_at);
	free(e->state);
	free(e->basis);
	memset(e, 0, sizeof(*e));
}

void
export_list_free(struct export_info *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		export_info_release(&e[i]);
	free(e);
}

int
store_target_status(struct store *st, const char *target, long long *pending, char **last_delivery)
{
	sqlite3_stmt *s =
	        store_prep(st, "SELECT (SELECT count(*) FROM exports WHERE target = ?1 AND"
	                       " state = 'pending' AND file IS NOT NULL),"
	                       " (SELECT max(delivered_at) FROM exports WHERE target = ?1 AND"
	                       " state = 'delivered')");
	int rc;

	*pending = 0;
	*last_delivery = NULL;
	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*pending = sqlite3_column_int64(s, 0);
		*last_delivery = store_col_text(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return store_db_error(st, "read target status");
	return 0;
}
