/*
 * store_cur.c - the version store (schema 12): append-only version rows,
 * ends as appended rows, and each feed's current set in a narrow table.
 *
 * Ending a version used to UPDATE to_seq in place: with rows of ~1 KB of
 * JSON, 70k ends of a 1M-vehicle feed dirtied ~60k random pages of the wide
 * table, and loading the current set read the whole table. Now:
 * - version_rows holds the versions (what `versions` held but to_seq) and
 *   is never updated;
 * - version_ends(version_id, feed, to_seq) records an end: a narrow row;
 * - cur(feed, version_id, key, hash) is the current set (a version row
 *   enters it, its end leaves it: store_version_add/_end write both, not
 *   INSERT triggers, which would make SQLite copy every page each INSERT
 *   touches into a statement journal: a first load a third slower), in id
 *   order per feed, so a new version is an append and the load reads ~40
 *   bytes per vehicle;
 * - the view `versions` joins them back to the columns it always had, so
 *   every reader of to_seq (diff, show, history, tests, auditors' sqlite3)
 *   sees the same rows.
 * Schema 13 adds cur.raw: what the current version's raw record stands for
 * (struct rawrec, 32 bytes little-endian: raw hash low, high, fill, flags),
 * or NULL when unknown (rows older than the migration, work orders, XML,
 * rules feeds); the next file's identical bytes then need no parse.
 */
#include "lotsync/store.h"

#include <sqlite3.h>
#include <stdio.h>

#include "lotsync/keymap.h"
#include "lotsync/log.h"
#include "store_p.h"

/*
 * DROP COLUMN rewrites the table once; the trigger, index and view that
 * name to_seq go first and come back over the new tables.
 */
const char store_schema_version_ends[] =
        "DROP VIEW v_vehicle_history;"
        "DROP TRIGGER versions_end_only;"
        "DROP INDEX versions_open;"
        "CREATE TABLE version_ends(version_id INTEGER PRIMARY KEY, feed TEXT NOT NULL,"
        " to_seq INTEGER NOT NULL);"
        "INSERT INTO version_ends(version_id, feed, to_seq)"
        " SELECT id, feed, to_seq FROM versions WHERE to_seq IS NOT NULL ORDER BY id;"
        "CREATE INDEX version_ends_seq ON version_ends(feed, to_seq);"
        "CREATE TABLE cur(feed TEXT NOT NULL, version_id INTEGER NOT NULL, key TEXT NOT NULL,"
        " hash INTEGER NOT NULL, PRIMARY KEY(feed, version_id)) WITHOUT ROWID;"
        "INSERT INTO cur(feed, version_id, key, hash)"
        " SELECT feed, id, key, hash FROM versions WHERE to_seq IS NULL ORDER BY feed, id;"
        "ALTER TABLE versions DROP COLUMN to_seq;"
        "ALTER TABLE versions RENAME TO version_rows;"
        /* the one rewrite erase-person makes (schema 11): data and hash, journaled */
        "CREATE TRIGGER version_rows_append_only_u BEFORE UPDATE ON version_rows WHEN NOT"
        " (NEW.id = OLD.id AND NEW.kind = OLD.kind AND NEW.feed = OLD.feed"
        "  AND NEW.key = OLD.key AND NEW.vin IS OLD.vin AND NEW.from_seq = OLD.from_seq"
        "  AND NEW.snapshot_id = OLD.snapshot_id"
        "  AND EXISTS (SELECT 1 FROM erasure_versions ev JOIN erasures e"
        "   ON e.id = ev.erasure_id WHERE ev.version_id = OLD.id AND e.state = 'pending'))"
        " BEGIN SELECT RAISE(ABORT, 'versions are append-only (an end is a version_ends row)');"
        " END;"
        "CREATE TRIGGER version_ends_append_only_u BEFORE UPDATE ON version_ends"
        " BEGIN SELECT RAISE(ABORT, 'version_ends are append-only'); END;"
        "CREATE TRIGGER version_ends_append_only_d BEFORE DELETE ON version_ends"
        " BEGIN SELECT RAISE(ABORT, 'version_ends are append-only'); END;"
        "CREATE VIEW versions AS SELECT v.id, v.kind, v.feed, v.key, v.vin, v.hash, v.data,"
        " v.snapshot_id, v.from_seq, e.to_seq FROM version_rows v"
        " LEFT JOIN version_ends e ON e.version_id = v.id;"
        "CREATE VIEW v_vehicle_history AS SELECT v.vin, v.feed, v.key, s.id AS snapshot_id,"
        " s.file, s.received_at, v.from_seq, v.to_seq, v.data FROM versions v"
        " JOIN snapshots s ON s.id = v.snapshot_id;";

/* An ALTER TABLE of the narrow table: existing rows read NULL (unknown: parsed once). */
const char store_schema_cur_raw[] = "ALTER TABLE cur ADD COLUMN raw BLOB;";

#define RAW_BYTES 32

static void
put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void
raw_encode(const struct rawrec *r, unsigned char out[RAW_BYTES])
{
	put64(out, r->lo);
	put64(out + 8, r->hi);
	put64(out + 16, r->fill);
	put64(out + 24, r->flags);
}

/* Bind raw (NULL: unknown) to parameter i; out must live until the statement ran. */
static void
bind_raw(sqlite3_stmt *s, int i, const struct rawrec *r, unsigned char out[RAW_BYTES])
{
	if (!r) {
		sqlite3_bind_null(s, i);
		return;
	}
	raw_encode(r, out);
	sqlite3_bind_blob(s, i, out, RAW_BYTES, SQLITE_STATIC);
}

#define HINT_MAX ((long long)1 << 24) /* entries a size hint may ask room for */

/*
 * About how many versions the feed's current set holds: the vehicles of its
 * newest applied snapshot (an index seek), for sizing the tables the load
 * fills; 0 when unknown, -1 on a database error.
 */
static long long
current_size_hint(struct store *st, const char *feed)
{
	sqlite3_stmt *s = store_prep(st, "SELECT vehicles FROM snapshots WHERE feed = ?"
	                                 " AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1");
	long long n = 0;
	int rc;

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, "read the current set's size");
	/* a hint: a damaged count must not allocate without bound (more still fit) */
	return n < 0 ? 0 : n > HINT_MAX ? HINT_MAX : n;
}

int
store_load_current(struct store *st, const char *feed, struct keymap *map, struct rawset *raw)
{
	sqlite3_stmt *s;
	long long n = current_size_hint(st, feed);
	int rc;

	if (n < 0 ||
	    !(s = store_prep(st, "SELECT key, hash, version_id, raw FROM cur WHERE feed = ?")))
		return -1;
	keymap_reserve(map, (size_t)n);
	if (raw)
		rawset_reserve(raw, (size_t)n);
	store_bind_text(s, 1, feed);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct keymap_entry *e = keymap_put(map, (const char *)sqlite3_column_text(s, 0));
		const unsigned char *b;

		e->hash = (uint64_t)sqlite3_column_int64(s, 1);
		e->version = sqlite3_column_int64(s, 2);
		e->current = true;
		/* Another size is not ours (verify says so): such a record is parsed. */
		if (raw && sqlite3_column_bytes(s, 3) == RAW_BYTES &&
		    (b = sqlite3_column_blob(s, 3)) != NULL) {
			struct rawrec r = {get64(b), get64(b + 8), get64(b + 16), get64(b + 24)};

			rawset_add(raw, e, &r);
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "load current versions");
	return 0;
}

long long
store_version_insert(struct store *st, const char *feed, long long seq, long long snapshot,
                     const struct version_row *r, const void *blob, size_t len)
{
	sqlite3_stmt *s =
	        store_prep(st, "INSERT INTO version_rows(feed, key, vin, hash, data, snapshot_id,"
	                       " from_seq, kind) VALUES(?,?,?,?,?,?,?,?)");
	unsigned char raw[RAW_BYTES];
	long long id;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->key, -1, SQLITE_STATIC);
	store_bind_text(s, 3, r->vin);
	sqlite3_bind_int64(s, 4, (long long)r->hash);
	if (!blob && store_bind_data(st, s, 5, r->json) == -1)
		return -1;
	if (blob && sqlite3_bind_blob64(s, 5, blob, len, SQLITE_STATIC) != SQLITE_OK)
		return store_db_error(st, "bind a version's data");
	sqlite3_bind_int64(s, 6, snapshot);
	sqlite3_bind_int64(s, 7, seq);
	sqlite3_bind_text(s, 8, r->kind ? r->kind : "vehicle", -1, SQLITE_STATIC);
	if ((id = store_insert(st, s, "store vehicle version")) < 0)
		return -1;
	store_digest_add(st, snapshot, id, r->key, r->hash, r->json);
	if (!(s = store_prep(st, "INSERT INTO cur(feed, version_id, key, hash, raw)"
	                         " VALUES(?,?,?,?,?)")))
		return -1;
	sqlite3_bind_text(s, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	sqlite3_bind_text(s, 3, r->key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (long long)r->hash);
	bind_raw(s, 5, r->raw, raw);
	return store_done(st, s, "add a current version") == -1 ? -1 : id;
}

long long
store_version_add(struct store *st, const char *feed, long long seq, long long snapshot,
                  const struct version_row *r)
{
	return store_version_insert(st, feed, seq, snapshot, r, NULL, 0);
}

int
store_cur_set_raw(struct store *st, const char *feed, long long version, const struct rawrec *raw)
{
	sqlite3_stmt *s =
	        store_prep(st, "UPDATE cur SET raw = ? WHERE feed = ? AND version_id = ?");
	unsigned char b[RAW_BYTES];

	if (!s)
		return -1;
	bind_raw(s, 1, raw, b);
	sqlite3_bind_text(s, 2, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, version);
	return store_done(st, s, "record a current version's raw record");
}

int
store_version_end(struct store *st, const char *feed, long long version, long long seq)
{
	sqlite3_stmt *s = store_prep(st, "DELETE FROM cur WHERE feed = ? AND version_id = ?");

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, version);
	if (store_done(st, s, "end a current version") == -1)
		return -1;
	/* Ending what is not current in feed is a bug: it must not reach the history */
	if (sqlite3_changes(st->db) != 1)
		return log_error("%s: version %lld cannot end: only a current version of the feed "
		                 "can end (feed %s)",
		                 st->path, version, feed);
	if (!(s = store_prep(st, "INSERT INTO version_ends(version_id, feed, to_seq)"
	                         " VALUES(?, ?, ?)")))
		return -1;
	sqlite3_bind_int64(s, 1, version);
	sqlite3_bind_text(s, 2, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, seq);
	return store_done(st, s, "end vehicle version");
}

int
store_data_version(struct store *st, long long *v)
{
	sqlite3_stmt *s = store_prep(st, "PRAGMA data_version");

	return s ? store_one_int(st, s, v, "read the data version") : -1;
}

int
store_preload_current(struct store *st, const char *feed, struct keymap *map, struct rawset *raw,
                      long long *version)
{
	/* One read transaction: the rows and the data version are of one state */
	if (st->depth > 0) /* its rows would not be a state of their own: the caller loads */
		return 1;
	if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return store_db_error(st, "begin the current-set load");
	if (store_data_version(st, version) == -1 || store_load_current(st, feed, map, raw) == -1) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_db_error(st, "end the current-set load");
		/* a read transaction left open would refuse the file's BEGIN IMMEDIATE */
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int
store_cur_check(struct store *st, char *why, size_t cap)
{
	static const char sql[] =
	        "SELECT feed, version_id, 'open but not in cur' FROM"
	        " (SELECT feed, id AS version_id, key, hash FROM versions WHERE to_seq IS NULL"
	        "  EXCEPT SELECT feed, version_id, key, hash FROM cur)"
	        " UNION ALL SELECT feed, version_id, 'in cur but not open' FROM"
	        " (SELECT feed, version_id, key, hash FROM cur"
	        "  EXCEPT SELECT feed, id, key, hash FROM versions WHERE to_seq IS NULL)"
	        " UNION ALL SELECT feed, version_id, 'raw record of ' || length(raw) ||"
	        " ' bytes, not 32' FROM cur WHERE raw IS NOT NULL AND (typeof(raw) != 'blob'"
	        "  OR length(raw) != 32)";
	sqlite3_stmt *s;
	long long n = 0;
	int rc;

	why[0] = '\0';
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare the current-set check");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (n++ == 0)
			snprintf(why, cap, "feed %s, version %lld: %s",
			         (const char *)sqlite3_column_text(s, 0),
			         (long long)sqlite3_column_int64(s, 1),
			         (const char *)sqlite3_column_text(s, 2));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "check the current set");
	if (n > 0) {
		char first[256];

		snprintf(first, sizeof(first), "%s", why);
		snprintf(why, cap,
		         "cur (the current set) disagrees with the versions in %lld place%s "
		         "(first: %s)",
		         n, n > 1 ? "s" : "", first);
	}
	return n > 0;
}
