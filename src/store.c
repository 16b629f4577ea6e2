/* store.c - SQLite state: schema, migrations, transactions, queries. */
#include "lotsync/store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/log.h"
#include "lotsync/util.h"

#define SCHEMA_VERSION 1
#define MAX_STMTS      48

struct store {
	sqlite3 *db;
	char *path;
	bool full;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[MAX_STMTS];
	size_t ncache;
};

/*
 * Version 1. Snapshots and versions are history: later versions of the
 * schema add triggers that refuse to rewrite them (the audit issue).
 */
static const char schema_v1[] =
        "CREATE TABLE runs(id INTEGER PRIMARY KEY, command TEXT NOT NULL,"
        " started_at TEXT NOT NULL, clock TEXT NOT NULL, finished_at TEXT, exit_code INTEGER,"
        " pid INTEGER, lib_versions TEXT);"
        "CREATE TABLE snapshots(id INTEGER PRIMARY KEY, feed TEXT NOT NULL, run_id INTEGER,"
        " state TEXT NOT NULL CHECK(state IN ('applied','held','rejected','duplicate')),"
        " seq INTEGER, sha256 TEXT NOT NULL, size INTEGER NOT NULL, file TEXT NOT NULL,"
        " source TEXT NOT NULL, profile TEXT NOT NULL, received_at TEXT NOT NULL,"
        " vehicles INTEGER NOT NULL DEFAULT 0, new INTEGER NOT NULL DEFAULT 0,"
        " changed INTEGER NOT NULL DEFAULT 0, vanished INTEGER NOT NULL DEFAULT 0,"
        " rejected_rows INTEGER NOT NULL DEFAULT 0);"
        "CREATE UNIQUE INDEX snapshots_sha ON snapshots(feed, sha256) WHERE state <> 'duplicate';"
        "CREATE UNIQUE INDEX snapshots_seq ON snapshots(feed, seq) WHERE seq IS NOT NULL;"
        "CREATE TABLE rejected_rows(snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
        " line INTEGER NOT NULL, field TEXT, reason TEXT NOT NULL);"
        "CREATE INDEX rejected_rows_snapshot ON rejected_rows(snapshot_id);"
        "CREATE TABLE versions(id INTEGER PRIMARY KEY, kind TEXT NOT NULL DEFAULT 'vehicle',"
        " feed TEXT NOT NULL, key TEXT NOT NULL, vin TEXT, hash INTEGER NOT NULL,"
        " data TEXT NOT NULL, snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
        " from_seq INTEGER NOT NULL, to_seq INTEGER);"
        "CREATE INDEX versions_open ON versions(feed, to_seq);"
        "CREATE INDEX versions_from ON versions(feed, from_seq);"
        "CREATE INDEX versions_key ON versions(feed, key);"
        "CREATE INDEX versions_vin ON versions(vin);"
        "CREATE TABLE quarantine(id INTEGER PRIMARY KEY, feed TEXT NOT NULL, run_id INTEGER,"
        " file TEXT NOT NULL, sha256 TEXT, reason TEXT NOT NULL, at TEXT NOT NULL);"
        "CREATE TABLE exports(id INTEGER PRIMARY KEY, target TEXT NOT NULL, run_id INTEGER,"
        " file TEXT, sha256 TEXT, vehicles INTEGER NOT NULL DEFAULT 0, basis TEXT NOT NULL,"
        " created_at TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending'"
        " CHECK(state IN ('pending','delivered','superseded')), delivered_at TEXT);"
        "CREATE INDEX exports_target ON exports(target, state);"
        "CREATE TABLE deliveries(id INTEGER PRIMARY KEY, export_id INTEGER NOT NULL"
        " REFERENCES exports(id), run_id INTEGER, at TEXT NOT NULL, result TEXT NOT NULL,"
        " reply TEXT);"
        /* Documented read-only views for auditors using plain sqlite3 -readonly. */
        "CREATE VIEW v_snapshots AS SELECT id, feed, state, seq, sha256, size, file, source,"
        " profile, received_at, vehicles, new, changed, vanished, rejected_rows FROM snapshots;"
        "CREATE VIEW v_vehicle_history AS SELECT v.vin, v.feed, v.key, s.id AS snapshot_id,"
        " s.file, s.received_at, v.from_seq, v.to_seq, v.data FROM versions v"
        " JOIN snapshots s ON s.id = v.snapshot_id;";

static int
db_error(struct store *st, const char *what)
{
	int code = sqlite3_errcode(st->db);

	if (code == SQLITE_FULL || sqlite3_extended_errcode(st->db) == SQLITE_IOERR_WRITE)
		st->full = true;
	return log_error("%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int
exec(struct store *st, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		if (sqlite3_errcode(st->db) == SQLITE_FULL)
			st->full = true;
		log_error("%s: %s", st->path, err ? err : sqlite3_errmsg(st->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Prepared statements are cached by their SQL text: ingest runs some per row. */
static sqlite3_stmt *
prep(struct store *st, const char *sql)
{
	sqlite3_stmt *s;

	for (size_t i = 0; i < st->ncache; i++)
		if (st->cache[i].sql == sql || strcmp(st->cache[i].sql, sql) == 0) {
			sqlite3_reset(st->cache[i].st);
			sqlite3_clear_bindings(st->cache[i].st);
			return st->cache[i].st;
		}
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		db_error(st, "prepare");
		return NULL;
	}
	if (st->ncache == MAX_STMTS)
		log_fatal("store: more than %d distinct statements", MAX_STMTS);
	st->cache[st->ncache].sql = sql;
	st->cache[st->ncache].st = s;
	st->ncache++;
	return s;
}

static int
user_version(struct store *st)
{
	sqlite3_stmt *s = prep(st, "PRAGMA user_version");
	int v = -1;

	if (s && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	if (s)
		sqlite3_reset(s);
	return v;
}

static int
migrate(struct store *st)
{
	int v = user_version(st);

	if (v < 0)
		return -1;
	if (v > SCHEMA_VERSION)
		return log_error("%s: schema version %d is newer than this lotsync (%d)", st->path,
		                 v, SCHEMA_VERSION);
	if (v == SCHEMA_VERSION)
		return 0;
	if (exec(st, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (v < 1 && exec(st, schema_v1) == -1)
		goto fail;
	if (exec(st, "PRAGMA user_version = 1") == -1 || exec(st, "COMMIT") == -1)
		goto fail;
	return 0;
fail:
	exec(st, "ROLLBACK");
	return -1;
}

int
store_open(const char *path, bool readonly, struct store **out)
{
	struct store *st = xcalloc(1, sizeof(*st));
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	st->path = xstrdup(path);
	if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		log_error("cannot open database %s: %s", path,
		          st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	/* A concurrent run may hold the write lock briefly; readers never block in WAL. */
	sqlite3_busy_timeout(st->db, 10000);
	if (readonly) {
		int v = user_version(st);

		if (v != SCHEMA_VERSION) {
			log_error("%s: schema version %d, expected %d", path, v, SCHEMA_VERSION);
			goto fail;
		}
	} else if (exec(st, "PRAGMA journal_mode=WAL") == -1 ||
	           exec(st, "PRAGMA synchronous=FULL") == -1 ||
	           exec(st, "PRAGMA foreign_keys=ON") == -1 || migrate(st) == -1) {
		goto fail;
	}
	*out = st;
	return 0;
fail:
	store_close(st);
	return -1;
}

void
store_close(struct store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].st);
	if (st->db)
		sqlite3_close(st->db);
	free(st->path);
	free(st);
}

bool
store_disk_full(const struct store *st)
{
	return st->full;
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

int
store_begin(struct store *st)
{
	return exec(st, "BEGIN IMMEDIATE");
}

int
store_commit(struct store *st)
{
	return exec(st, "COMMIT");
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		exec(st, "ROLLBACK");
}

/* Step a statement that returns no rows. */
static int
done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_error(st, what);
	return 0;
}

static long long
insert(struct store *st, sqlite3_stmt *s, const char *what)
{
	if (done(st, s, what) == -1)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? xstrdup((const char *)t) : NULL;
}

long long
store_run_begin(struct store *st, const char *command, const char *clock_iso)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO runs(command, started_at, clock, pid, lib_versions)"
	                           " VALUES(?, strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?, ?, ?)");

	if (!s)
		return -1;
	bind_text(s, 1, command);
	bind_text(s, 2, clock_iso);
	sqlite3_bind_int64(s, 3, (long long)getpid());
	sqlite3_bind_text(s, 4, "sqlite " SQLITE_VERSION, -1, SQLITE_STATIC);
	return insert(st, s, "record run");
}

int
store_run_end(struct store *st, long long run, int exit_code)
{
	sqlite3_stmt *s =
	        prep(st, "UPDATE runs SET finished_at ="
	                 " strftime('%Y-%m-%dT%H:%M:%SZ','now'), exit_code = ? WHERE id = ?");

	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, exit_code);
	sqlite3_bind_int64(s, 2, run);
	return done(st, s, "finish run");
}

static const char *const state_names[] = {"applied", "held", "rejected", "duplicate"};

const char *
snapshot_state_name(enum snapshot_state s)
{
	return state_names[s];
}

static enum snapshot_state
state_of(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(state_names); i++)
		if (name && strcmp(state_names[i], name) == 0)
			return (enum snapshot_state)i;
	return SNAP_REJECTED;
}

long long
store_snapshot_by_sha(struct store *st, const char *feed, const char *sha256)
{
	sqlite3_stmt *s = prep(st, "SELECT id FROM snapshots WHERE feed = ? AND sha256 = ?"
	                           " AND state <> 'duplicate' ORDER BY id LIMIT 1");
	long long id = 0;
	int rc;

	if (!s)
		return -1;
	bind_text(s, 1, feed);
	bind_text(s, 2, sha256);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		id = db_error(st, "look up snapshot by SHA-256");
	sqlite3_reset(s);
	return id;
}

long long
store_snapshot_add(struct store *st, long long run, const struct snapshot_info *i)
{
	sqlite3_stmt *s = prep(
	        st, "INSERT INTO snapshots(feed, run_id, state, seq, sha256, size, file, source,"
	            " profile, received_at) VALUES(?,?,?,?,?,?,?,?,?,?)");

	if (!s)
		return -1;
	bind_text(s, 1, i->feed);
	sqlite3_bind_int64(s, 2, run);
	bind_text(s, 3, snapshot_state_name(i->state));
	if (i->seq > 0)
		sqlite3_bind_int64(s, 4, i->seq);
	else
		sqlite3_bind_null(s, 4);
	bind_text(s, 5, i->sha256);
	sqlite3_bind_int64(s, 6, i->size);
	bind_text(s, 7, i->file);
	bind_text(s, 8, i->source);
	bind_text(s, 9, i->profile);
	bind_text(s, 10, i->received_at);
	return insert(st, s, "record snapshot");
}

int
store_snapshot_set_counts(struct store *st, const struct snapshot_info *i)
{
	sqlite3_stmt *s = prep(st, "UPDATE snapshots SET vehicles = ?, new = ?, changed = ?,"
	                           " vanished = ?, rejected_rows = ? WHERE id = ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, i->vehicles);
	sqlite3_bind_int64(s, 2, i->new_);
	sqlite3_bind_int64(s, 3, i->changed);
	sqlite3_bind_int64(s, 4, i->vanished);
	sqlite3_bind_int64(s, 5, i->rejected_rows);
	sqlite3_bind_int64(s, 6, i->id);
	return done(st, s, "update snapshot counts");
}

long long
store_feed_next_seq(struct store *st, const char *feed)
{
	long long seq = 0, id = 0;

	if (store_feed_head(st, feed, &seq, &id) == -1)
		return -1;
	return seq + 1;
}

int
store_feed_head(struct store *st, const char *feed, long long *seq, long long *id)
{
	sqlite3_stmt *s = prep(st, "SELECT seq, id FROM snapshots WHERE feed = ? AND"
	                           " state = 'applied' ORDER BY seq DESC LIMIT 1");
	int rc;

	if (!s)
		return -1;
	bind_text(s, 1, feed);
	*seq = *id = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		*id = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, "find newest snapshot");
	return 0;
}

#define SNAP_COLS                                                                                  \
	"id, feed, state, COALESCE(seq, 0), sha256, size, file, source, profile, received_at,"     \
	" vehicles, new, changed, vanished, rejected_rows"

static void
read_snapshot(sqlite3_stmt *s, struct snapshot_info *o)
{
	char *state = col_text(s, 2);

	o->id = sqlite3_column_int64(s, 0);
	o->feed = col_text(s, 1);
	o->state = state_of(state);
	free(state);
	o->seq = sqlite3_column_int64(s, 3);
	o->sha256 = col_text(s, 4);
	o->size = sqlite3_column_int64(s, 5);
	o->file = col_text(s, 6);
	o->source = col_text(s, 7);
	o->profile = col_text(s, 8);
	o->received_at = col_text(s, 9);
	o->vehicles = sqlite3_column_int64(s, 10);
	o->new_ = sqlite3_column_int64(s, 11);
	o->changed = sqlite3_column_int64(s, 12);
	o->vanished = sqlite3_column_int64(s, 13);
	o->rejected_rows = sqlite3_column_int64(s, 14);
}

int
store_snapshot_get(struct store *st, long long id, struct snapshot_info *out)
{
	sqlite3_stmt *s = prep(st, "SELECT " SNAP_COLS " FROM snapshots WHERE id = ?");
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_snapshot(s, out);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return log_error("no snapshot with id %lld", id);
	if (rc != SQLITE_ROW)
		return db_error(st, "read snapshot");
	return 0;
}

int
store_snapshot_list(struct store *st, const char *feed, struct snapshot_info **out, size_t *n)
{
	sqlite3_stmt *s = prep(st, "SELECT " SNAP_COLS " FROM snapshots"
	                           " WHERE ?1 IS NULL OR feed = ?1 ORDER BY id");
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	bind_text(s, 1, feed);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = xgrow(*out, &alloc, *n + 1, sizeof(**out));
		memset(&(*out)[*n], 0, sizeof(**out));
		read_snapshot(s, &(*out)[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_error(st, "list snapshots");
	return 0;
}

void
snapshot_info_release(struct snapshot_info *i)
{
	free(i->feed);
	free(i->sha256);
	free(i->file);
	free(i->source);
	free(i->profile);
	free(i->received_at);
	memset(i, 0, sizeof(*i));
}

void
snapshot_list_free(struct snapshot_info *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snapshot_info_release(&s[i]);
	free(s);
}

int
store_reject_add(struct store *st, long long snapshot, const struct row_error *e)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO rejected_rows(snapshot_id, line, field, reason)"
	                           " VALUES(?,?,?,?)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, snapshot);
	sqlite3_bind_int64(s, 2, (long long)e->line);
	bind_text(s, 3, e->field);
	bind_text(s, 4, e->reason);
	return done(st, s, "record rejected row");
}

int
store_load_current(struct store *st, const char *feed, struct keymap *map)
{
	sqlite3_stmt *s = prep(st, "SELECT key, hash, id FROM versions"
	                           " WHERE feed = ? AND to_seq IS NULL");
	int rc;

	if (!s)
		return -1;
	bind_text(s, 1, feed);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct keymap_entry *e = keymap_put(map, (const char *)sqlite3_column_text(s, 0));

		e->hash = (uint64_t)sqlite3_column_int64(s, 1);
		e->version = sqlite3_column_int64(s, 2);
		e->current = true;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_error(st, "load current versions");
	return 0;
}

long long
store_version_add(struct store *st, const char *feed, long long seq, long long snapshot,
                  const struct record *r)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO versions(feed, key, vin, hash, data, snapshot_id,"
	                           " from_seq) VALUES(?,?,?,?,?,?,?)");
	char *json;
	long long id;

	if (!s)
		return -1;
	json = record_to_json(r);
	bind_text(s, 1, feed);
	bind_text(s, 2, r->key);
	bind_text(s, 3, record_get(r, "vin"));
	sqlite3_bind_int64(s, 4, (long long)r->hash);
	sqlite3_bind_text(s, 5, json, -1, free);
	sqlite3_bind_int64(s, 6, snapshot);
	sqlite3_bind_int64(s, 7, seq);
	id = insert(st, s, "store vehicle version");
	return id;
}

int
store_version_end(struct store *st, long long version, long long seq)
{
	sqlite3_stmt *s =
	        prep(st, "UPDATE versions SET to_seq = ? WHERE id = ? AND to_seq IS NULL");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, version);
	return done(st, s, "end vehicle version");
}

/*
 * One row per (record, field), grouped by record: json_each() unpacks the
 * stored canonical JSON, so no JSON parser is needed on this side.
 */
static const char each_sql[] =
        "SELECT v.key, j.key, j.value FROM versions v, json_each(v.data) j"
        " WHERE v.feed = ?1 AND ((?2 = 0 AND v.to_seq IS NULL) OR (?2 > 0 AND v.from_seq <= ?2"
        " AND (v.to_seq IS NULL OR v.to_seq > ?2))) ORDER BY v.key, j.key";

int
store_each_record(struct store *st, const char *feed, long long seq, store_record_fn fn, void *ctx)
{
	sqlite3_stmt *s;
	struct record r;
	int rc, ret = 0;

	/* Not cached: callbacks may run other statements while this one steps. */
	if (sqlite3_prepare_v2(st->db, each_sql, -1, &s, NULL) != SQLITE_OK)
		return db_error(st, "prepare record scan");
	bind_text(s, 1, feed);
	sqlite3_bind_int64(s, 2, seq);
	record_init(&r);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);
		const char *v = (const char *)sqlite3_column_text(s, 2);

		if (r.key && strcmp(r.key, key) != 0) {
			record_finish(&r);
			if ((ret = fn(ctx, &r)) != 0)
				break;
			record_release(&r);
		}
		if (!r.key)
			r.key = xstrdup(key);
		record_set(&r, (const char *)sqlite3_column_text(s, 1), v ? v : "",
		           v ? strlen(v) : 0);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = db_error(st, "scan records");
	else if (ret == 0 && r.key) {
		record_finish(&r);
		ret = fn(ctx, &r);
	}
	record_release(&r);
	sqlite3_finalize(s);
	return ret;
}

long long
store_export_add(struct store *st, long long run, const char *target, const char *basis,
                 const char *created_at)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO exports(target, run_id, basis, created_at)"
	                           " VALUES(?,?,?,?)");

	if (!s)
		return -1;
	bind_text(s, 1, target);
	sqlite3_bind_int64(s, 2, run);
	bind_text(s, 3, basis);
	bind_text(s, 4, created_at);
	return insert(st, s, "record export");
}

int
store_export_set_file(struct store *st, long long id, const char *file, const char *sha256,
                      long long vehicles)
{
	sqlite3_stmt *s =
	        prep(st, "UPDATE exports SET file = ?, sha256 = ?, vehicles = ? WHERE id = ?");

	if (!s)
		return -1;
	bind_text(s, 1, file);
	bind_text(s, 2, sha256);
	sqlite3_bind_int64(s, 3, vehicles);
	sqlite3_bind_int64(s, 4, id);
	return done(st, s, "record export file");
}

#define EXPORT_COLS "id, target, file, sha256, vehicles, created_at, state, basis"

static void
read_export(sqlite3_stmt *s, struct export_info *e)
{
	e->id = sqlite3_column_int64(s, 0);
	e->target = col_text(s, 1);
	e->file = col_text(s, 2);
	e->sha256 = col_text(s, 3);
	e->vehicles = sqlite3_column_int64(s, 4);
	e->created_at = col_text(s, 5);
	e->state = col_text(s, 6);
	e->basis = col_text(s, 7);
}

int
store_export_last(struct store *st, const char *target, struct export_info *out)
{
	sqlite3_stmt *s = prep(st, "SELECT " EXPORT_COLS " FROM exports WHERE target = ?"
	                           " ORDER BY id DESC LIMIT 1");
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	bind_text(s, 1, target);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_export(s, out);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, "read last export");
	return 0;
}

int
store_export_pending(struct store *st, const char *target, struct export_info **out, size_t *n)
{
	sqlite3_stmt *s = prep(st, "SELECT " EXPORT_COLS " FROM exports WHERE target = ?"
	                           " AND state = 'pending' AND file IS NOT NULL ORDER BY id");
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	bind_text(s, 1, target);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = xgrow(*out, &alloc, *n + 1, sizeof(**out));
		read_export(s, &(*out)[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_error(st, "list pending exports");
	return 0;
}

int
store_export_set_state(struct store *st, long long id, const char *state, const char *at)
{
	sqlite3_stmt *s = prep(st, "UPDATE exports SET state = ?, delivered_at = ? WHERE id = ?");

	if (!s)
		return -1;
	bind_text(s, 1, state);
	bind_text(s, 2, at);
	sqlite3_bind_int64(s, 3, id);
	return done(st, s, "update export state");
}

int
store_delivery_add(struct store *st, long long export_id, long long run, const char *at,
                   const char *result, const char *reply)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO deliveries(export_id, run_id, at, result, reply)"
	                           " VALUES(?,?,?,?,?)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, export_id);
	sqlite3_bind_int64(s, 2, run);
	bind_text(s, 3, at);
	bind_text(s, 4, result);
	bind_text(s, 5, reply);
	return insert(st, s, "record delivery attempt") < 0 ? -1 : 0;
}

int
store_export_has_file(struct store *st, const char *target, const char *file)
{
	sqlite3_stmt *s = prep(st, "SELECT 1 FROM exports WHERE target = ? AND file = ?");
	int rc;

	if (!s)
		return -1;
	bind_text(s, 1, target);
	bind_text(s, 2, file);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return db_error(st, "look up export file");
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
store_quarantine_add(struct store *st, long long run, const char *feed, const char *file,
                     const char *sha256, const char *reason, const char *at)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO quarantine(feed, run_id, file, sha256, reason, at)"
	                           " VALUES(?,?,?,?,?,?)");

	if (!s)
		return -1;
	bind_text(s, 1, feed);
	sqlite3_bind_int64(s, 2, run);
	bind_text(s, 3, file);
	bind_text(s, 4, sha256);
	bind_text(s, 5, reason);
	bind_text(s, 6, at);
	return insert(st, s, "record quarantined file") < 0 ? -1 : 0;
}

int
store_each_reject(struct store *st, long long snapshot, store_reject_fn fn, void *ctx)
{
	sqlite3_stmt *s;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(st->db,
	                       "SELECT line, field, reason FROM rejected_rows WHERE snapshot_id = ?"
	                       " ORDER BY line, rowid",
	                       -1, &s, NULL) != SQLITE_OK)
		return db_error(st, "prepare rejected rows");
	sqlite3_bind_int64(s, 1, snapshot);
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct row_error e = {.line = (unsigned long)sqlite3_column_int64(s, 0),
		                      .field = (char *)sqlite3_column_text(s, 1),
		                      .reason = (char *)sqlite3_column_text(s, 2)};

		ret = fn(ctx, &e);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = db_error(st, "read rejected rows");
	sqlite3_finalize(s);
	return ret;
}

static void
add_event(struct history_event **out, size_t *n, size_t *alloc, sqlite3_stmt *s, int at_col,
          int snap_col, const char *event, char *detail)
{
	struct history_event *h;

	*out = xgrow(*out, alloc, *n + 1, sizeof(**out));
	h = &(*out)[(*n)++];
	h->at = col_text(s, at_col);
	h->snapshot = sqlite3_column_int64(s, snap_col);
	h->event = xstrdup(event);
	h->detail = detail;
}

/*
 * A version that ends without a successor starting at the same seq marks a
 * vanish, reported at the snapshot that no longer had the vehicle.
 */
int
store_history(struct store *st, const char *vin, struct history_event **out, size_t *n)
{
	static const char sql[] =
	        "SELECT s.received_at, s.id, v.feed, v.key, s.file, v.data,"
	        " EXISTS(SELECT 1 FROM versions p WHERE p.feed = v.feed AND p.key = v.key"
	        "  AND p.to_seq = v.from_seq),"
	        " e.received_at, e.id, e.file,"
	        " EXISTS(SELECT 1 FROM versions q WHERE q.feed = v.feed AND q.key = v.key"
	        "  AND q.from_seq = v.to_seq)"
	        " FROM versions v JOIN snapshots s ON s.id = v.snapshot_id"
	        " LEFT JOIN snapshots e ON e.feed = v.feed AND e.seq = v.to_seq"
	        " WHERE v.vin = ? ORDER BY s.received_at, v.from_seq, v.id";
	sqlite3_stmt *s;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_error(st, "prepare history");
	bind_text(s, 1, vin);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *feed = (const char *)sqlite3_column_text(s, 2);
		const char *key = (const char *)sqlite3_column_text(s, 3);

		add_event(out, n, &alloc, s, 0, 1,
		          sqlite3_column_int(s, 6) ? "changed" : "appeared",
		          xasprintf("feed %s, key %s, file %s: %s", feed, key,
		                    (const char *)sqlite3_column_text(s, 4),
		                    (const char *)sqlite3_column_text(s, 5)));
		if (sqlite3_column_type(s, 8) != SQLITE_NULL && !sqlite3_column_int(s, 10))
			add_event(out, n, &alloc, s, 7, 8, "vanished",
			          xasprintf("feed %s, key %s, absent from file %s", feed, key,
			                    (const char *)sqlite3_column_text(s, 9)));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(st, "read history");
	return 0;
}

void
history_free(struct history_event *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].at);
		free(h[i].event);
		free(h[i].detail);
	}
	free(h);
}

int
store_target_status(struct store *st, const char *target, long long *pending, char **last_delivery)
{
	sqlite3_stmt *s = prep(st, "SELECT (SELECT count(*) FROM exports WHERE target = ?1 AND"
	                           " state = 'pending' AND file IS NOT NULL),"
	                           " (SELECT max(delivered_at) FROM exports WHERE target = ?1 AND"
	                           " state = 'delivered')");
	int rc;

	*pending = 0;
	*last_delivery = NULL;
	if (!s)
		return -1;
	bind_text(s, 1, target);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*pending = sqlite3_column_int64(s, 0);
		*last_delivery = col_text(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return db_error(st, "read target status");
	return 0;
}
