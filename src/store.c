/* store.c - SQLite state: schema, migrations, transactions, queries. */
#include "lotsync/store.h"
#include "store_p.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lotsync/log.h"
#include "lotsync/util.h"
#include "store_zdata.h"

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
        "CREATE INDEX versions_key ON versions(feed, key);"
        "CREATE INDEX versions_vin ON versions(vin);"
        "CREATE INDEX versions_snapshot ON versions(snapshot_id);"
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

/*
 * Errors of the disk or the file itself are local I/O (exit 74), not a
 * bug: a full disk, any SQLITE_IOERR (a failed write, read or fsync,
 * SQLITE_IOERR_FSYNC included), a damaged or foreign file, or a database
 * that cannot be written (read-only file or directory).
 */
static void
note_io(struct store *st)
{
	switch (sqlite3_errcode(st->db)) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_CANTOPEN: st->full = true; break;
	case SQLITE_READONLY: st->full = !st->readonly; break; /* a file or spool made read-only */
	default: break;
	}
}

int
store_db_error(struct store *st, const char *what)
{
	note_io(st);
	return log_error("%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int
exec(struct store *st, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		note_io(st);
		log_error("%s: %s", st->path, err ? err : sqlite3_errmsg(st->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Cached statement i, reset and unbound for its next use. */
static sqlite3_stmt *
cached(struct store *st, size_t i)
{
	sqlite3_reset(st->cache[i].st);
	sqlite3_clear_bindings(st->cache[i].st);
	return st->cache[i].st;
}

/* Prepared statements are cached by their SQL text: ingest runs some per row. */
sqlite3_stmt *
store_prep(struct store *st, const char *sql)
{
	sqlite3_stmt *s;

	/*
	 * By address first: callers pass their string literals, and comparing
	 * the text of every statement cached before the one asked for (dozens,
	 * most beginning "SELECT" or "INSERT INTO") is work for nothing. In a
	 * 1M steady-state ingest strcmp went from 2.9% to 2.3% of the applying
	 * thread's samples (the rest is the keymap's and SQLite's compares).
	 * The text decides only for a string built at run time (the same
	 * literal at another address).
	 */
	for (size_t i = 0; i < st->ncache; i++)
		if (st->cache[i].sql == sql)
			return cached(st, i);
	for (size_t i = 0; i < st->ncache; i++)
		if (strcmp(st->cache[i].sql, sql) == 0)
			return cached(st, i);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_db_error(st, "prepare");
		return NULL;
	}
	if (st->ncache == STORE_MAX_STMTS)
		log_fatal("store: more than %d distinct statements", STORE_MAX_STMTS);
	st->cache[st->ncache].sql = sql;
	st->cache[st->ncache].st = s;
	st->ncache++;
	return s;
}

static int
user_version(struct store *st)
{
	sqlite3_stmt *s = store_prep(st, "PRAGMA user_version");
	int v = -1;

	if (s && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	if (s)
		sqlite3_reset(s);
	return v;
}

/* the clause every foreign key gets at v16 (defer_foreign_keys) */
#define FK_DEFERRED "DEFERRABLE INITIALLY DEFERRED"

static int defer_foreign_keys(struct store *st);

/*
 * Forward migrations, oldest first. Each runs in one transaction with the
 * user_version bump, so a crash leaves the database at one version or the
 * next. Add a new entry at the end; never edit a released one.
 */
static const struct migration {
	int version;
	const char *sql;
	int (*fn)(struct store *st); /* after sql, in the same transaction */
} migrations[] = {
        {1, schema_v1, NULL},
        {2, store_schema_audit, NULL},
        {3, schema_v5_rules, NULL},
        {4, schema_v4_exports, NULL},
        {5, store_schema_fetch, NULL},
        {6, store_schema_warnings, NULL},
        {7, store_schema_fetch_seen, NULL},
        {8, store_schema_notify, NULL},
        {9, store_schema_drift, NULL},
        {10, store_schema_guard, NULL},
        {11, store_schema_erase, NULL},
        {12, store_schema_version_ends, NULL},
        {13, store_schema_cur_raw, NULL},
        {14, store_schema_pack, NULL},
        {15, store_schema_zdict2, NULL},
        {16, "SELECT 1", defer_foreign_keys},
};

/*
 * v16: every foreign key DEFERRABLE INITIALLY DEFERRED, checked at COMMIT.
 * Why deferred: an immediate check can abort a statement after it wrote,
 * so SQLite copies every page each INSERT touches into a statement journal
 * (a first load of 100k vehicles spent a tenth of its time there); a
 * violation still fails the COMMIT and the caller rolls back. Why in the
 * schema: the same deferral by "PRAGMA defer_foreign_keys=ON", which each
 * transaction had to repeat, expires every prepared statement, and a run of
 * 2000 small feeds spent 8% of its main thread compiling them again.
 *
 * The clause changes no stored byte, so the tables are edited in place as
 * SQLite documents for such changes (ALTER TABLE, "other kinds of table
 * schema changes"): writable_schema, the new text, schema_version + 1 so
 * every connection reads it again. Every REFERENCES must come out
 * deferred; a table this edit missed fails the migration. A clause already
 * there is taken out first, so the edit never doubles it.
 */
static int
defer_foreign_keys(struct store *st)
{
	static const char edit[] =
	        "UPDATE sqlite_schema SET sql = replace(replace(replace(replace(replace(sql,"
	        " ' " FK_DEFERRED "', ''),"
	        " 'REFERENCES snapshots(id)', 'REFERENCES snapshots(id) " FK_DEFERRED "'),"
	        " 'REFERENCES exports(id)', 'REFERENCES exports(id) " FK_DEFERRED "'),"
	        " 'REFERENCES srs(id)', 'REFERENCES srs(id) " FK_DEFERRED "'),"
	        " 'REFERENCES erasures(id)', 'REFERENCES erasures(id) " FK_DEFERRED "')"
	        " WHERE type = 'table' AND sql LIKE '%REFERENCES%'";
	/* occurrences of a word in sql: what replace() takes away, over its length */
	static const char missed[] =
	        "SELECT group_concat(name, ', ') FROM sqlite_schema WHERE type = 'table'"
	        " AND length(sql) - length(replace(sql, 'REFERENCES', '')) <>"
	        " (length(sql) - length(replace(sql, '" FK_DEFERRED "', ''))) * 10"
	        " / length('" FK_DEFERRED "')";
	sqlite3_stmt *s = NULL;
	char *bump = NULL;
	int version, rc = -1;

	if (!(s = store_prep(st, "PRAGMA schema_version")) || sqlite3_step(s) != SQLITE_ROW)
		goto fail;
	version = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	if (exec(st, "PRAGMA writable_schema=ON") == -1)
		goto fail;
	bump = xasprintf("PRAGMA schema_version = %d", version + 1);
	rc = exec(st, edit) == -1 ? -1 : 0;
	if (rc == 0 && (!(s = store_prep(st, missed)) || sqlite3_step(s) != SQLITE_ROW))
		rc = store_db_error(st, "check the deferred foreign keys");
	else if (rc == 0 && sqlite3_column_type(s, 0) != SQLITE_NULL)
		rc = log_error("%s: foreign keys of %s not made deferred", st->path,
		               sqlite3_column_text(s, 0));
	if (s)
		sqlite3_reset(s);
	if (rc == 0)
		rc = exec(st, bump);
	if (exec(st, "PRAGMA writable_schema=OFF") == -1)
		rc = -1;
fail:
	free(bump);
	return rc;
}

/*
 * Why a read-only open cannot go on, in words that fit the cause: only an
 * older schema is fixed by a run; a file SQLite cannot read, or one it
 * cannot open read-only, is not.
 */
static int
check_readable(struct store *st)
{
	int v = user_version(st);
	int want = migrations[ARRAY_SIZE(migrations) - 1].version;
	int code = sqlite3_errcode(st->db);

	if (v < 0 && (code == SQLITE_NOTADB || code == SQLITE_CORRUPT))
		return log_error("%s: the database is damaged or not a lotsync database (%s); "
		                 "restore it from a backup ('lotsync verify' checks one)",
		                 st->path, sqlite3_errmsg(st->db));
	if (v < 0)
		return log_error("%s: cannot read the database: %s (a WAL database needs its "
		                 "directory writable, or its -shm file present, even to read it)",
		                 st->path, sqlite3_errmsg(st->db));
	if (v == 0)
		return log_error("%s: the database is empty (no lotsync schema); 'lotsync run' "
		                 "creates it, or restore it from a backup",
		                 st->path);
	if (v > want)
		return log_error("%s: schema version %d is newer than this lotsync (%d)", st->path,
		                 v, want);
	if (v < want)
		return log_error("%s: schema version %d, expected %d; run 'lotsync run' once to "
		                 "migrate it",
		                 st->path, v, want);
	return 0;
}

static int
migrate(struct store *st, int upto)
{
	int v = user_version(st);
	int latest = migrations[ARRAY_SIZE(migrations) - 1].version;

	if (v < 0)
		return -1;
	st->created = v == 0;
	if (v > latest)
		return log_error("%s: schema version %d is newer than this lotsync (%d)", st->path,
		                 v, latest);
	for (size_t i = 0; i < ARRAY_SIZE(migrations); i++) {
		char *bump;
		int rc;

		if (migrations[i].version <= v || migrations[i].version > upto)
			continue;
		if (exec(st, "BEGIN IMMEDIATE") == -1)
			return -1;
		bump = xasprintf("PRAGMA user_version = %d", migrations[i].version);
		rc = exec(st, migrations[i].sql) == -1 ||
		     (migrations[i].fn && migrations[i].fn(st) == -1) || exec(st, bump) == -1 ||
		     exec(st, "COMMIT") == -1;
		free(bump);
		if (rc) {
			exec(st, "ROLLBACK");
			return -1;
		}
	}
	return 0;
}

static int
open_upto(const char *path, bool readonly, int upto, struct store **out)
{
	struct store *st = xcalloc(1, sizeof(*st));
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	st->path = xstrdup(path);
	st->readonly = readonly;
	if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		log_error("cannot open database %s: %s", path,
		          st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	/* A concurrent run may hold the write lock briefly; readers never block in WAL. */
	sqlite3_busy_timeout(st->db, 10000);
	if (store_pack_register(st) == -1)
		goto fail;
	if (readonly && check_readable(st) == -1)
		goto fail;
	/*
	 * A 64 MiB page cache: loading a feed's current versions and scanning a
	 * snapshot read the same pages many times (ingest sizes it up for its
	 * writes: store_cache_mib). No mmap: its pages would count against the
	 * run's memory on a database of a million vehicles.
	 */
	if (store_cache_mib(st, STORE_CACHE_MIB) == -1)
		goto fail;
	/*
	 * 8 KiB pages for a new file (a no-op on an existing one): a version
	 * row is ~0.5 KB compressed, and a 4 KiB page left 5% of the table
	 * unused at its end.
	 */
	if (!readonly &&
	    (exec(st, "PRAGMA page_size=8192") == -1 || exec(st, "PRAGMA journal_mode=WAL") == -1 ||
	     exec(st, "PRAGMA synchronous=FULL") == -1 ||
	     exec(st, "PRAGMA foreign_keys=ON") == -1 || migrate(st, upto) == -1))
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return -1;
}

int
store_open(const char *path, bool readonly, struct store **out)
{
	return open_upto(path, readonly, migrations[ARRAY_SIZE(migrations) - 1].version, out);
}

int
store_open_upto(const char *path, int version, struct store **out)
{
	return open_upto(path, false, version, out);
}

int
store_cache_mib(struct store *st, int mib)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size=%d", -1024 * mib);
	return exec(st, sql);
}

void
store_close(struct store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].st);
	store_check_drop(st);
	store_packer_stop(st);
	if (st->db)
		sqlite3_close(st->db);
	free(st->run.command);
	store_zdata_free(st->zdata);
	store_digest_drop(st);
	free(st->path);
	free(st);
}

enum ls_exit
store_failure(const struct store *st)
{
	return st && st->full ? LS_EXIT_IOERR : LS_EXIT_SOFTWARE;
}

/*
 * A store_begin() inside another is a savepoint: a dry run wraps the whole
 * run in one transaction that it rolls back, while the per-file
 * transactions inside it still commit or roll back on their own.
 */
static int run_flush(struct store *st);

int
store_begin(struct store *st)
{
	/* A savepoint outside a transaction would start one, and commit on release. */
	if (st->depth && sqlite3_get_autocommit(st->db))
		return log_error("%s: the enclosing transaction was rolled back", st->path);
	if (exec(st, st->depth ? "SAVEPOINT nested" : "BEGIN IMMEDIATE") == -1)
		return -1;
	if (st->depth == 0 && run_flush(st) == -1) {
		exec(st, "ROLLBACK");
		return -1;
	}
	/* foreign keys are checked at COMMIT: the schema says so (defer_foreign_keys) */
	st->depth++;
	return 0;
}

int
store_commit(struct store *st)
{
	bool outer = st->depth <= 1;

	/* The commit hook would refuse it too, with SQLite's "constraint failed" */
	if (outer && store_check_wait(st) == -1) {
		store_rollback(st);
		return -1;
	}
	if (exec(st, st->depth > 1 ? "RELEASE nested" : "COMMIT") == -1)
		return -1;
	if (st->depth > 0)
		st->depth--;
	if (outer) {
		store_digest_drop(st); /* sealed or not, the snapshot is written */
		st->run.tx_id = 0;
	}
	if (outer && st->on_commit)
		st->on_commit(st->on_commit_ctx);
	return 0;
}

void
store_on_commit(struct store *st, store_commit_fn fn, void *ctx)
{
	st->on_commit = fn;
	st->on_commit_ctx = ctx;
}

bool
store_created(const struct store *st)
{
	return st->created;
}

int
store_mark_get(struct store *st, struct store_mark *m)
{
	sqlite3_stmt *s =
	        store_prep(st, "SELECT (SELECT coalesce(max(id), 0) FROM audit_chain),"
	                       " (SELECT coalesce(max(id), 0) FROM snapshots),"
	                       " (SELECT link FROM audit_chain ORDER BY id DESC LIMIT 1)");
	const char *l;

	if (!s)
		return -1;
	memset(m, 0, sizeof(*m));
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, "read the chain head");
	}
	m->chain_id = sqlite3_column_int64(s, 0);
	m->snapshot_id = sqlite3_column_int64(s, 1);
	l = (const char *)sqlite3_column_text(s, 2);
	snprintf(m->chain_link, sizeof(m->chain_link), "%s", l ? l : "");
	sqlite3_reset(s);
	return 0;
}

int
store_chain_link_at(struct store *st, long long id, char hex[65])
{
	sqlite3_stmt *s = store_prep(st, "SELECT link FROM audit_chain WHERE id = ?");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	hex[0] = '\0';
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *l = (const char *)sqlite3_column_text(s, 0);

		snprintf(hex, 65, "%s", l ? l : "");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, "read a chain link");
	return rc == SQLITE_ROW ? 0 : 1;
}

int
store_newest_run_clock(struct store *st, long long except, char out[32])
{
	sqlite3_stmt *s = store_prep(st, "SELECT clock FROM runs WHERE id <> ?"
	                                 " ORDER BY clock DESC LIMIT 1");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, except);
	out[0] = '\0';
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);

		snprintf(out, 32, "%s", t ? t : "");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, "read the newest run");
	return rc == SQLITE_ROW && out[0] ? 0 : 1;
}

void
store_rollback(struct store *st)
{
	store_digest_drop(st);                 /* what it fed may be gone */
	if (st->depth <= 1 && st->run.tx_id) { /* the run row goes with it: pending again */
		st->run.id = st->run.tx_id;
		st->run.tx_id = 0;
	}
	/* After some errors SQLite has already rolled the whole transaction back. */
	if (!sqlite3_get_autocommit(st->db))
		exec(st, st->depth > 1 ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK");
	if (st->depth > 0)
		st->depth--;
}

/* Step a statement that returns no rows. */
int
store_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	/* A write outside store_begin() commits at once: the run row goes first */
	if (st->run.id && !sqlite3_stmt_readonly(s) && run_flush(st) == -1) {
		sqlite3_reset(s);
		return -1;
	}
	rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, what);
	return 0;
}

long long
store_insert(struct store *st, sqlite3_stmt *s, const char *what)
{
	if (store_done(st, s, what) == -1)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int
store_one_int(struct store *st, sqlite3_stmt *s, long long *out, const char *what)
{
	int rc = sqlite3_step(s);

	*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, what);
	return 0;
}

int
store_each_by_id(struct store *st, const char *sql, long long id, store_row_fn row, void *arg,
                 const char *what)
{
	sqlite3_stmt *s;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, what);
	sqlite3_bind_int64(s, 1, id);
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = row(s, arg);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_db_error(st, what);
	sqlite3_finalize(s);
	return ret;
}

void
store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

char *
store_col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? xstrdup((const char *)t) : NULL;
}

long long
store_run_begin(struct store *st, const char *command, const char *clock_iso)
{
	long long id = store_run_reserve(st, command, clock_iso);

	return id < 0 || run_flush(st) == -1 ? -1 : id;
}

/*
 * The id is the one SQLite would give the row (max + 1): the run lock
 * keeps every other writer out until it is inserted.
 */
long long
store_run_reserve(struct store *st, const char *command, const char *clock_iso)
{
	sqlite3_stmt *s = store_prep(st, "SELECT coalesce(max(id), 0) + 1 FROM runs");
	time_t now = time(NULL);
	struct tm tm;
	long long id;

	if (!s || store_one_int(st, s, &id, "reserve the run record") == -1)
		return -1;
	free(st->run.command);
	st->run.command = xstrdup(command);
	snprintf(st->run.clock, sizeof(st->run.clock), "%s", clock_iso);
	gmtime_r(&now, &tm);
	strftime(st->run.started, sizeof(st->run.started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	st->run.id = id;
	return id;
}

/* The reserved run row, before the command's first write. */
static int
run_flush(struct store *st)
{
	sqlite3_stmt *s;
	long long id = st->run.id;

	if (id == 0)
		return 0;
	st->run.id = 0; /* first: the insert below goes through store_done */
	s = store_prep(st, "INSERT INTO runs(id, command, started_at, clock, pid, lib_versions)"
	                   " VALUES(?, ?, ?, ?, ?, ?)");
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, st->run.command);
	store_bind_text(s, 3, st->run.started);
	store_bind_text(s, 4, st->run.clock);
	sqlite3_bind_int64(s, 5, (long long)getpid());
	sqlite3_bind_text(s, 6, "sqlite " SQLITE_VERSION, -1, SQLITE_STATIC);
	if (store_done(st, s, "record run") == -1)
		goto fail;
	st->run.tx_id = sqlite3_get_autocommit(st->db) ? 0 : id;
	return 0;
fail:
	st->run.id = id;
	return -1;
}

int
store_run_end(struct store *st, long long run, int exit_code)
{
	sqlite3_stmt *s;

	/* Nothing into a damaged database, not even the run's end (store_done inserts a reserved
	 * row) */
	if (store_check_wait(st) == -1)
		return -1;
	s = store_prep(st, "UPDATE runs SET finished_at ="
	                   " strftime('%Y-%m-%dT%H:%M:%SZ','now'), exit_code = ? WHERE id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, exit_code);
	sqlite3_bind_int64(s, 2, run);
	return store_done(st, s, "finish run");
}

int
store_quarantine_add(struct store *st, long long run, const char *feed, const char *file,
                     const char *sha256, const char *reason, const char *at)
{
	sqlite3_stmt *s =
	        store_prep(st, "INSERT INTO quarantine(feed, run_id, file, sha256, reason, at)"
	                       " SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE NOT EXISTS"
	                       " (SELECT 1 FROM quarantine WHERE feed = ?1 AND file = ?3"
	                       " AND sha256 = ?4)");

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	sqlite3_bind_int64(s, 2, run);
	store_bind_text(s, 3, file);
	store_bind_text(s, 4, sha256);
	store_bind_text(s, 5, reason);
	store_bind_text(s, 6, at);
	return store_insert(st, s, "record quarantined file") < 0 ? -1 : 0;
}
