/* store_export.c - export files, delivery attempts, target locks and releases. */
#include "lotsync/store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/log.h"
#include "lotsync/util.h"
#include "store_p.h"
#include "store_zdata.h"

/*
 * Schema 4 (exports issue). exports gains what a file holds (kind, rows,
 * bytes, warnings); targets keeps each target's deviation baseline and
 * lock; target_state is what a delta target's receiver holds once every
 * queued file is delivered (the next delta is the difference to it);
 * releases are the vehicles let through on targets with auto_release = no;
 * target_events is an append-only log of locks, unlocks and releases.
 */
const char schema_v4_exports[] =
        "ALTER TABLE exports ADD COLUMN kind TEXT NOT NULL DEFAULT 'full';"
        "ALTER TABLE exports ADD COLUMN rows INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE exports ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE exports ADD COLUMN warnings INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE exports ADD COLUMN held INTEGER NOT NULL DEFAULT 0;"
        "CREATE INDEX exports_file ON exports(target, file);"
        "CREATE INDEX deliveries_export ON deliveries(export_id);"
        "CREATE TABLE targets(name TEXT PRIMARY KEY, baseline INTEGER NOT NULL DEFAULT -1,"
        " locked_at TEXT, lock_reason TEXT, lock_baseline INTEGER, lock_vehicles INTEGER,"
        " release_gen INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE target_state(target TEXT NOT NULL, feed TEXT NOT NULL, key TEXT NOT NULL,"
        " version INTEGER NOT NULL, PRIMARY KEY(target, feed, key)) WITHOUT ROWID;"
        "CREATE TABLE releases(target TEXT NOT NULL, feed TEXT NOT NULL, key TEXT NOT NULL,"
        " vin TEXT, released_at TEXT NOT NULL, run_id INTEGER,"
        " PRIMARY KEY(target, feed, key)) WITHOUT ROWID;"
        "CREATE TABLE target_events(id INTEGER PRIMARY KEY, target TEXT NOT NULL,"
        " run_id INTEGER, at TEXT NOT NULL, event TEXT NOT NULL, detail TEXT);"
        "CREATE VIEW v_deliveries AS SELECT d.id, e.target, e.file, e.sha256, e.vehicles,"
        " e.kind, d.at, d.result, d.reply, d.run_id FROM deliveries d"
        " JOIN exports e ON e.id = d.export_id;";

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
store_export_finish(struct store *st, const struct export_info *e)
{
	sqlite3_stmt *s = store_prep(
	        st, "UPDATE exports SET file = ?, sha256 = ?, vehicles = ?,"
	            " kind = ?, rows = ?, bytes = ?, warnings = ?, held = ? WHERE id = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, e->file);
	store_bind_text(s, 2, e->sha256);
	sqlite3_bind_int64(s, 3, e->vehicles);
	store_bind_text(s, 4, e->kind);
	sqlite3_bind_int64(s, 5, e->rows);
	sqlite3_bind_int64(s, 6, e->bytes);
	sqlite3_bind_int64(s, 7, e->warnings);
	sqlite3_bind_int64(s, 8, e->held);
	sqlite3_bind_int64(s, 9, e->id);
	return store_done(st, s, "record export file");
}

#define EXPORT_COLS                                                                                \
	"id, target, file, sha256, vehicles, created_at, state, basis, kind, rows, bytes,"         \
	" warnings, delivered_at, held"

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
	e->kind = store_col_text(s, 8);
	e->rows = sqlite3_column_int64(s, 9);
	e->bytes = sqlite3_column_int64(s, 10);
	e->warnings = sqlite3_column_int64(s, 11);
	e->delivered_at = store_col_text(s, 12);
	e->held = sqlite3_column_int64(s, 13);
}

/* At most one row of s into out (zeroed first). */
static int
read_one(struct store *st, sqlite3_stmt *s, struct export_info *out, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		read_export(s, out);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, what);
	return 0;
}

/* Every row of s into a new array. */
static int
read_list(struct store *st, sqlite3_stmt *s, struct export_info **out, size_t *n, const char *what)
{
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = xgrow(*out, &alloc, *n + 1, sizeof(**out));
		memset(&(*out)[*n], 0, sizeof(**out));
		read_export(s, &(*out)[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, what);
	return 0;
}

int
store_export_last(struct store *st, const char *target, struct export_info *out)
{
	sqlite3_stmt *s = store_prep(st, "SELECT " EXPORT_COLS " FROM exports WHERE target = ?"
	                                 " ORDER BY id DESC LIMIT 1");

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	return read_one(st, s, out, "read last export");
}

int
store_export_by_file(struct store *st, const char *target, const char *file,
                     struct export_info *out)
{
	sqlite3_stmt *s = store_prep(st, "SELECT " EXPORT_COLS " FROM exports WHERE target = ?"
	                                 " AND file = ?");

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	store_bind_text(s, 2, file);
	return read_one(st, s, out, "look up export file");
}

int
store_export_pending(struct store *st, const char *target, struct export_info **out, size_t *n)
{
	sqlite3_stmt *s = store_prep(st, "SELECT " EXPORT_COLS " FROM exports WHERE target = ?"
	                                 " AND state = 'pending' AND file IS NOT NULL ORDER BY id");

	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	return read_list(st, s, out, n, "list pending exports");
}

int
store_export_prunable(struct store *st, const char *target, const char *before,
                      struct export_info **out, size_t *n)
{
	sqlite3_stmt *s =
	        store_prep(st, "SELECT " EXPORT_COLS " FROM exports WHERE target = ?1"
	                       " AND (state IN ('delivered', 'superseded') OR file IS NULL)"
	                       " AND coalesce(delivered_at, created_at) < ?2"
	                       " AND id <> (SELECT max(id) FROM exports WHERE target = ?1)"
	                       " AND id <> coalesce((SELECT max(id) FROM exports WHERE target = ?1"
	                       " AND state = 'delivered'), 0) ORDER BY id");

	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	store_bind_text(s, 2, before);
	return read_list(st, s, out, n, "list exports past retention");
}

int
store_export_delete(struct store *st, long long id)
{
	sqlite3_stmt *d = store_prep(st, "DELETE FROM deliveries WHERE export_id = ?");
	sqlite3_stmt *e;

	if (!d)
		return -1;
	sqlite3_bind_int64(d, 1, id);
	if (store_done(st, d, "delete delivery records") == -1)
		return -1;
	if (!(e = store_prep(st, "DELETE FROM exports WHERE id = ?")))
		return -1;
	sqlite3_bind_int64(e, 1, id);
	return store_done(st, e, "delete export record");
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

void
export_info_release(struct export_info *e)
{
	free(e->target);
	free(e->file);
	free(e->sha256);
	free(e->created_at);
	free(e->state);
	free(e->basis);
	free(e->kind);
	free(e->delivered_at);
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
store_target_status(struct store *st, const char *target, struct target_status *out)
{
	sqlite3_stmt *s = store_prep(
	        st, "SELECT (SELECT count(*) FROM exports WHERE target = ?1 AND"
	            " state = 'pending' AND file IS NOT NULL),"
	            " (SELECT max(delivered_at) FROM exports WHERE target = ?1 AND"
	            " state = 'delivered'), d.at, e.file, d.reply"
	            " FROM (SELECT 1) LEFT JOIN deliveries d ON d.id = (SELECT max(d2.id)"
	            " FROM deliveries d2 JOIN exports e2 ON e2.id = d2.export_id"
	            " WHERE e2.target = ?1 AND d2.result = 'failed' AND d2.id > coalesce("
	            "(SELECT max(d3.id) FROM deliveries d3 JOIN exports e3 ON e3.id = d3.export_id"
	            " WHERE e3.target = ?1 AND d3.result = 'delivered'), 0))"
	            " LEFT JOIN exports e ON e.id = d.export_id");
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->pending = sqlite3_column_int64(s, 0);
		out->last_delivery = store_col_text(s, 1);
		out->error_at = store_col_text(s, 2);
		out->error_file = store_col_text(s, 3);
		out->error_reply = store_col_text(s, 4);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return store_db_error(st, "read target status");
	return 0;
}

void
target_status_release(struct target_status *s)
{
	free(s->last_delivery);
	free(s->error_at);
	free(s->error_file);
	free(s->error_reply);
	memset(s, 0, sizeof(*s));
}

int
store_each_raw(struct store *st, sqlite3_stmt *s, store_raw_fn fn, void *ctx, const char *what)
{
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 1);
		const char *json = (const char *)sqlite3_column_text(s, 2);

		if ((ret = fn(ctx, sqlite3_column_int64(s, 0), key ? key : "", json ? json : "",
		              (size_t)sqlite3_column_bytes(s, 2))) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_db_error(st, what);
	sqlite3_finalize(s);
	return ret;
}

/* A feed's current vehicles with data as DATA reads it; cur is in id order: no sort of 1M rows */
#define CURRENT_SQL(DATA)                                                                          \
	"SELECT v.id, v.key, " DATA " FROM cur c JOIN version_rows v ON v.id = c.version_id"       \
	" WHERE c.feed = ? AND v.kind IN ('vehicle', 'workorder') ORDER BY c.version_id"

/* The statement over the feed's current vehicles, its feed bound; NULL (logged). */
static sqlite3_stmt *
current_stmt(struct store *st, const char *sql, const char *feed)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_db_error(st, "prepare current vehicles");
		return NULL;
	}
	store_bind_text(s, 1, feed);
	return s;
}

int
store_each_current(struct store *st, const char *feed, store_raw_fn fn, void *ctx)
{
	sqlite3_stmt *s = current_stmt(st, CURRENT_SQL("lotsync_json(v.data)"), feed);

	return s ? store_each_raw(st, s, fn, ctx, "read current vehicles") : -1;
}

int
store_each_current_stored(struct store *st, const char *feed, store_stored_fn fn, void *ctx)
{
	sqlite3_stmt *s = current_stmt(st, CURRENT_SQL("v.data"), feed);
	int rc, ret = 0;

	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 1);
		bool packed = sqlite3_column_type(s, 2) == SQLITE_BLOB;
		/* text before its length: the pointer of the right type, then the bytes */
		const void *data = packed ? sqlite3_column_blob(s, 2) : sqlite3_column_text(s, 2);

		if ((ret = fn(ctx, sqlite3_column_int64(s, 0), key ? key : "", data ? data : "",
		              (size_t)sqlite3_column_bytes(s, 2), packed)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_db_error(st, "read current vehicles");
	sqlite3_finalize(s);
	return ret;
}

struct store_unpacker {
	struct store_zdata *z;
	char *json; /* the last one unpacked, in a buffer reused for the next */
	size_t alloc;
};

struct store_unpacker *
store_unpacker_new(void)
{
	struct store_unpacker *u = calloc(1, sizeof(*u));

	if (u && !(u->z = store_zdata_new())) {
		free(u);
		return NULL;
	}
	return u;
}

void
store_unpacker_free(struct store_unpacker *u)
{
	if (!u)
		return;
	store_zdata_free(u->z);
	free(u->json);
	free(u);
}

const char *
store_unpack(struct store_unpacker *u, const void *data, size_t n, bool packed, size_t *len,
             char *why, size_t cap)
{
	if (!packed) {
		*len = n;
		return data;
	}
	return store_zdata_unpack_into(u->z, data, n, &u->json, &u->alloc, len, why, cap);
}

int
store_version_raw(struct store *st, long long version, store_raw_fn fn, void *ctx)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db,
	                       "SELECT id, key, lotsync_json(data) FROM version_rows WHERE id = ?",
	                       -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare version");
	sqlite3_bind_int64(s, 1, version);
	return store_each_raw(st, s, fn, ctx, "read version");
}

int
store_current_keys_by_vin(struct store *st, const char *feed, const char *vin, char ***keys,
                          size_t *n)
{
	sqlite3_stmt *s = store_prep(st, "SELECT key FROM versions v WHERE v.feed = ?2"
	                                 " AND " STORE_VIN_MATCH("v", "?1") " AND to_seq IS NULL"
	                                                                    " ORDER BY key");
	size_t alloc = 0;
	int rc;

	*keys = NULL;
	*n = 0;
	if (!s)
		return -1;
	store_bind_text(s, 1, vin);
	store_bind_text(s, 2, feed);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*keys = xgrow(*keys, &alloc, *n + 1, sizeof(**keys));
		(*keys)[(*n)++] = store_col_text(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "look up VIN");
	return 0;
}

int
store_target_get(struct store *st, const char *target, struct target_info *out)
{
	sqlite3_stmt *s = store_prep(st, "SELECT baseline, locked_at, lock_reason, lock_baseline,"
	                                 " lock_vehicles, release_gen FROM targets WHERE name = ?");
	int rc;

	memset(out, 0, sizeof(*out));
	out->baseline = -1;
	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->baseline = sqlite3_column_int64(s, 0);
		out->locked_at = store_col_text(s, 1);
		out->locked = out->locked_at != NULL;
		out->lock_reason = store_col_text(s, 2);
		out->lock_baseline = sqlite3_column_int64(s, 3);
		out->lock_vehicles = sqlite3_column_int64(s, 4);
		out->release_gen = sqlite3_column_int64(s, 5);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, "read target");
	return 0;
}

void
target_info_release(struct target_info *t)
{
	free(t->locked_at);
	free(t->lock_reason);
	memset(t, 0, sizeof(*t));
}

/* Every targets update starts by making sure the row exists. */
static int
target_row(struct store *st, const char *target)
{
	sqlite3_stmt *s = store_prep(st, "INSERT OR IGNORE INTO targets(name) VALUES(?)");

	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	return store_done(st, s, "record target");
}

int
store_target_set_baseline(struct store *st, const char *target, long long vehicles)
{
	sqlite3_stmt *s;

	if (target_row(st, target) == -1 ||
	    !(s = store_prep(st, "UPDATE targets SET baseline = ? WHERE name = ?")))
		return -1;
	sqlite3_bind_int64(s, 1, vehicles);
	store_bind_text(s, 2, target);
	return store_done(st, s, "update target baseline");
}

int
store_target_set_lock(struct store *st, const char *target, const char *at, const char *reason,
                      long long baseline, long long vehicles)
{
	sqlite3_stmt *s;

	if (target_row(st, target) == -1 ||
	    !(s = store_prep(st, "UPDATE targets SET locked_at = coalesce(locked_at, ?),"
	                         " lock_reason = ?, lock_baseline = ?, lock_vehicles = ?"
	                         " WHERE name = ?")))
		return -1;
	store_bind_text(s, 1, at);
	store_bind_text(s, 2, reason);
	sqlite3_bind_int64(s, 3, baseline);
	sqlite3_bind_int64(s, 4, vehicles);
	store_bind_text(s, 5, target);
	return store_done(st, s, "lock target");
}

int
store_target_clear_lock(struct store *st, const char *target)
{
	sqlite3_stmt *s = store_prep(st, "UPDATE targets SET locked_at = NULL, lock_reason = NULL,"
	                                 " lock_baseline = NULL, lock_vehicles = NULL"
	                                 " WHERE name = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	return store_done(st, s, "unlock target");
}

long long
store_target_bump_release(struct store *st, const char *target)
{
	sqlite3_stmt *s;
	struct target_info t;
	long long gen;

	if (target_row(st, target) == -1 ||
	    !(s = store_prep(st,
	                     "UPDATE targets SET release_gen = release_gen + 1 WHERE name = ?")))
		return -1;
	store_bind_text(s, 1, target);
	if (store_done(st, s, "count release") == -1 || store_target_get(st, target, &t) == -1)
		return -1;
	gen = t.release_gen;
	target_info_release(&t);
	return gen;
}

int
store_target_event(struct store *st, const char *target, long long run, const char *at,
                   const char *event, const char *detail)
{
	sqlite3_stmt *s =
	        store_prep(st, "INSERT INTO target_events(target, run_id, at, event, detail)"
	                       " VALUES(?,?,?,?,?)");

	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	sqlite3_bind_int64(s, 2, run);
	store_bind_text(s, 3, at);
	store_bind_text(s, 4, event);
	store_bind_text(s, 5, detail);
	return store_insert(st, s, "record target event") < 0 ? -1 : 0;
}

/* Rows of (key, version) into m. */
static int
load_keys(struct store *st, sqlite3_stmt *s, struct keymap *m, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct keymap_entry *e = keymap_put(m, (const char *)sqlite3_column_text(s, 0));

		e->version = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, what);
	return 0;
}

int
store_target_state_load(struct store *st, const char *target, const char *feed, struct keymap *m)
{
	sqlite3_stmt *s = store_prep(st, "SELECT key, version FROM target_state WHERE target = ?"
	                                 " AND feed = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	store_bind_text(s, 2, feed);
	return load_keys(st, s, m, "read delta state");
}

int
store_target_state_put(struct store *st, const char *target, const char *feed, const char *key,
                       long long version)
{
	sqlite3_stmt *s = store_prep(st, "INSERT OR REPLACE INTO target_state(target, feed, key,"
	                                 " version) VALUES(?,?,?,?)");

	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	store_bind_text(s, 2, feed);
	store_bind_text(s, 3, key);
	sqlite3_bind_int64(s, 4, version);
	return store_done(st, s, "update delta state");
}

int
store_target_state_del(struct store *st, const char *target, const char *feed, const char *key)
{
	sqlite3_stmt *s = store_prep(st, "DELETE FROM target_state WHERE target = ? AND feed = ?"
	                                 " AND key = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	store_bind_text(s, 2, feed);
	store_bind_text(s, 3, key);
	return store_done(st, s, "update delta state");
}

int
store_release_load(struct store *st, const char *target, const char *feed, struct keymap *m)
{
	sqlite3_stmt *s = store_prep(st, "SELECT key, 0 FROM releases WHERE target = ?"
	                                 " AND feed = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	store_bind_text(s, 2, feed);
	return load_keys(st, s, m, "read releases");
}

int
store_release_add(struct store *st, const char *target, const char *feed, const char *key,
                  const char *vin, const char *at, long long run)
{
	sqlite3_stmt *s = store_prep(st, "INSERT OR IGNORE INTO releases(target, feed, key, vin,"
	                                 " released_at, run_id) VALUES(?,?,?,?,?,?)");

	if (!s)
		return -1;
	store_bind_text(s, 1, target);
	store_bind_text(s, 2, feed);
	store_bind_text(s, 3, key);
	store_bind_text(s, 4, vin);
	store_bind_text(s, 5, at);
	sqlite3_bind_int64(s, 6, run);
	return store_done(st, s, "record release");
}
