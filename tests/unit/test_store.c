/*
 * test_store.c - the store's own logic on a real SQLite file: creating and
 * migrating the schema, refusing a newer or unmigrated one, read-only
 * handles that cannot write, nested transactions (a savepoint inside the
 * dry run's transaction), run records, and the errors each one reports.
 * (What the stages store is asserted by test_pipeline, test_srs, test_fetch
 * and the e2e suite.)
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lotsync/keymap.h"
#include "lotsync/limits.h"
#include "lotsync/log.h"
#include "lotsync/store.h"
#include "lotsync/util.h"

#include "../../src/store_zdata.h"
#include "../../src/store_zdict.h"
#include "unit_db.h"

UNIT_DB_FIXTURE(dir, db, log_set_level(LOG_ERROR))

/* The snapshot row the tests that write versions hang them on. */
static const struct snapshot_info applied_snapshot = {.feed = "f",
                                                      .state = SNAP_APPLIED,
                                                      .seq = 1,
                                                      .sha256 = "a",
                                                      .file = "a.csv",
                                                      .source = "drop",
                                                      .profile = "p",
                                                      .received_at = "t"};

/* Run sql on the database file with the sqlite3 library directly. */
static void
raw(const char *sql)
{
	sqlite3 *h;

	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", sql,
	              sqlite3_errmsg(h));
	sqlite3_close(h);
}

/* Run sql on the database file directly: SQLite's result code (triggers may refuse it). */
static int
sqlite3_exec_raw(const char *sql)
{
	sqlite3 *h;
	int rc;

	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc;
}

/* store_open with stderr captured; returns its result, *err what it logged. */
static int
open_capture(bool readonly, struct store **st, char **err)
{
	struct unit_capture cap;
	int rc;

	unit_capture_begin(&cap);
	rc = store_open(db, readonly, st);
	*err = unit_capture_end(&cap);
	return rc;
}

START_TEST(creates_the_schema_and_reopens_it)
{
	struct store *st;
	char *v;

	ck_assert_int_eq(store_open(db, false, &st), 0);
	ck_assert_int_eq(store_failure(st), LS_EXIT_SOFTWARE); /* not a full disk */
	store_close(st);
	v = unit_sql(db, "pragma user_version");
	ck_assert_int_gt(atoi(v), 0);
	/* opening again migrates nothing and keeps the version */
	ck_assert_int_eq(store_open(db, false, &st), 0);
	store_close(st);
	unit_assert_sql(db, "pragma user_version", v);
	unit_assert_sql(db, "pragma journal_mode", "wal");
	unit_assert_sql(db,
	                "select group_concat(name) from (select name from sqlite_master where"
	                " type = 'view' order by name)",
	                "v_audit_chain,v_clock_jumps,v_deliveries,v_erasures,v_fetched,v_notify_"
	                "queue,v_snapshots,"
	                "v_sr_events,v_srs,v_vehicle_history,versions");
	/* read-only opens a migrated file */
	ck_assert_int_eq(store_open(db, true, &st), 0);
	store_close(st);
	free(v);
	store_close(NULL);
}
END_TEST

/*
 * Schema 12 moves to_seq out of the version rows (version_ends, and the
 * current set in cur): a database of schema 11 upgrades, and the view
 * `versions` and v_vehicle_history read exactly what the tables held.
 */
START_TEST(version_ends_migration_keeps_what_readers_see)
{
	static const char rows[] = "select * from versions order by id";
	static const char hist[] = "select * from v_vehicle_history order by vin, from_seq, feed";
	struct store *st;
	struct unit_capture cap;
	char *before, *hbefore, *err;

	ck_assert_int_eq(store_open_upto(db, 11, &st), 0);
	store_close(st);
	unit_assert_sql(db, "pragma user_version", "11");
	raw("insert into snapshots(id, feed, state, seq, sha256, size, file, source, profile,"
	    " received_at) values(1, 'f', 'applied', 1, 'a', 1, 'a.csv', 'drop', 'p', 't1'),"
	    " (2, 'f', 'applied', 2, 'b', 1, 'b.csv', 'drop', 'p', 't2'),"
	    " (3, 'g', 'applied', 1, 'c', 1, 'c.csv', 'drop', 'p', 't3');"
	    "insert into versions(id, feed, key, vin, hash, data, snapshot_id, from_seq, to_seq)"
	    " values(1, 'f', 'A', 'A', 11, '{\"p\":\"1\"}', 1, 1, 2),"
	    " (2, 'f', 'B', 'B', 12, '{}', 1, 1, 2), (3, 'f', 'C', NULL, 13, '{}', 1, 1, NULL),"
	    " (4, 'f', 'A', 'A', 14, '{\"p\":\"2\"}', 2, 2, NULL),"
	    " (5, 'g', 'A', 'A', 15, '{}', 3, 1, NULL);");
	before = unit_sql(db, rows);
	hbefore = unit_sql(db, hist);
	ck_assert_int_eq(store_open(db, false, &st), 0);
	store_close(st);
	/* and on: cur.raw (13), packed data (14) */
	unit_assert_sql(db, "pragma user_version", "16");
	unit_assert_sql(db, rows, before);
	unit_assert_sql(db, hist, hbefore);
	unit_assert_sql(db, "select feed, version_id, key, hash from cur order by feed, version_id",
	                "f|3|C|13\nf|4|A|14\ng|5|A|15");
	unit_assert_sql(db, "select * from version_ends order by version_id", "1|f|2\n2|f|2");
	/* Schema 13: no raw record is known for the rows before it; one set is loaded back */
	unit_assert_sql(db, "select count(*) || ' ' || count(raw) from cur", "3 0");
	ck_assert_int_eq(store_open(db, false, &st), 0);
	{
		struct rawrec r = {1, 2, 5, (uint64_t)1 << 40};
		struct keymap map;
		struct rawset set;

		ck_assert_int_eq(store_cur_set_raw(st, "f", 4, &r), 0);
		unit_assert_sql(db, "select hex(raw) from cur where version_id = 4",
		                "0100000000000000020000000000000005000000000000000000000000010000");
		keymap_init(&map);
		rawset_init(&set);
		ck_assert_int_eq(store_load_current(st, "f", &map, &set), 0);
		ck_assert_uint_eq(set.n, 1);
		rawset_build(&set);
		ck_assert_int_eq(rawset_find(&set, 1, 2), 0);
		ck_assert_int_eq(rawset_find(&set, 1, 3), -1);
		ck_assert_str_eq(set.rows[0].key, "A");
		ck_assert_int_eq(set.rows[0].version, 4);
		ck_assert(!memcmp(&set.rows[0].r, &r, sizeof(r)));
		ck_assert_uint_eq(keymap_get(&map, "A")->raw, 1);
		ck_assert_uint_eq(keymap_get(&map, "C")->raw, 0);
		/* Two rows of one raw hash: neither is matched (then both records are parsed) */
		rawset_add(&set, keymap_get(&map, "C"), &r);
		rawset_build(&set);
		ck_assert_int_eq(rawset_find(&set, 1, 2), -1);
		rawset_release(&set);
		keymap_release(&map);
	}
	/* versions are never updated; ends are never changed; only a current version ends */
	ck_assert_int_eq(store_version_end(st, "f", 4, 3), 0);
	unit_assert_sql(db, "select group_concat(version_id) from cur where feed = 'f'", "3");
	unit_assert_sql(db, "select to_seq from versions where id = 4", "3");
	unit_capture_begin(&cap);
	ck_assert_int_eq(store_version_end(st, "f", 4, 4), -1);
	ck_assert_int_eq(store_version_end(st, "g", 3, 4), -1);
	err = unit_capture_end(&cap);
	ck_assert_msg(strstr(err, "only a current version of the feed can end"), "%s", err);
	free(err);
	store_close(st);
	unit_assert_sql(db, "select count(*) from version_ends", "3");
	ck_assert_int_ne(sqlite3_exec_raw("update version_rows set hash = 0 where id = 3"), 0);
	ck_assert_int_ne(sqlite3_exec_raw("delete from version_ends where version_id = 1"), 0);
	ck_assert_int_ne(sqlite3_exec_raw("update version_ends set to_seq = 9"), 0);
	unit_assert_sql(db, rows,
	                "1|vehicle|f|A|A|11|{\"p\":\"1\"}|1|1|2\n"
	                "2|vehicle|f|B|B|12|{}|1|1|2\n3|vehicle|f|C||13|{}|1|1|\n"
	                "4|vehicle|f|A|A|14|{\"p\":\"2\"}|2|2|3\n"
	                "5|vehicle|g|A|A|15|{}|3|1|");
	free(before);
	free(hbefore);
}
END_TEST

/* store_each_record's records as "key:name=value,...;" */
static int
collect_record(void *ctx, const struct record *r)
{
	char **out = ctx;
	char *n = xasprintf("%s%s:", *out, r->key);

	for (size_t i = 0; i < r->nfields; i++) {
		char *m = xasprintf("%s%s=%s,", n, r->fields[i].name, r->fields[i].value);

		free(n);
		n = m;
	}
	free(*out);
	*out = xasprintf("%s;", n);
	free(n);
	return 0;
}

static char *
records_at(struct store *st, long long seq)
{
	char *out = xstrdup("");

	ck_assert_int_eq(store_each_record(st, "f", seq, collect_record, &out), 0);
	return out;
}

static int
collect_raw(void *ctx, long long version, const char *key, const char *json, size_t len)
{
	char **out = ctx;
	char *n = xasprintf("%s%lld %s %s %zu\n", *out, version, key, json, len);

	free(*out);
	*out = n;
	return 0;
}

/* history details of vin, one a line */
static char *
history_of(struct store *st, const char *vin)
{
	struct history_event *h;
	size_t n;
	char *out = xstrdup("");

	ck_assert_int_eq(store_history(st, vin, &h, &n), 0);
	for (size_t i = 0; i < n; i++) {
		char *m = xasprintf("%s%s %s\n", out, h[i].event, h[i].detail);

		free(out);
		out = m;
	}
	history_free(h, n);
	return out;
}

/*
 * Schema 14 stores a version's data as a zstd frame, and rows written
 * before keep their TEXT: a store holding both reads each as the JSON it
 * was given (records at a seq, one version, history by VIN, keys by VIN
 * through the partial versions_vin), and nothing is rewritten.
 */
START_TEST(packed_and_text_versions_read_alike)
{
	struct store *st;
	struct version_row v = {.key = "A", .vin = "VA", .hash = 21, .json = "{\"price\":\"2\"}"};
	struct version_row w = {.key = "VC", .vin = "VC", .hash = 23, .json = "{\"vin\":\"VC\"}"};
	char *got, **keys;
	size_t n;

	ck_assert_int_eq(store_open_upto(db, 12, &st), 0);
	store_close(st);
	raw("insert into snapshots(id, feed, state, seq, sha256, size, file, source, profile,"
	    " received_at) values(1, 'f', 'applied', 1, 'a', 1, 'a.csv', 'drop', 'p', 't1'),"
	    " (2, 'f', 'applied', 2, 'b', 1, 'b.csv', 'drop', 'p', 't2');"
	    "insert into version_rows(id, feed, key, vin, hash, data, snapshot_id, from_seq)"
	    " values(1, 'f', 'A', 'VA', 11, '{\"price\":\"1\"}', 1, 1),"
	    " (2, 'f', 'VB', 'VB', 12, '{\"vin\":\"VB\"}', 1, 1);"
	    "insert into cur(feed, version_id, key, hash) values('f', 1, 'A', 11), ('f', 2, 'VB', "
	    "12);");
	ck_assert_int_eq(store_open(db, false, &st), 0);
	unit_assert_sql(db, "pragma user_version", "16");
	unit_assert_sql(db,
	                "select sql like '%WHERE vin <> key' from sqlite_master"
	                " where name = 'versions_vin'",
	                "1");
	ck_assert_int_eq(store_version_end(st, "f", 1, 2), 0);
	ck_assert_int_eq(store_version_add(st, "f", 2, 2, &v), 3);
	ck_assert_int_eq(store_version_add(st, "f", 2, 2, &w), 4);
	/* old rows stay TEXT; new ones are frames, smaller than the JSON only when it is long */
	unit_assert_sql(
	        db,
	        "select group_concat(t) from (select typeof(data) t from version_rows order by id)",
	        "text,text,blob,blob");
	unit_assert_sql(db, "select hex(substr(data, 1, 4)) from version_rows where id = 3",
	                "28B52FFD");
	got = records_at(st, 1);
	ck_assert_str_eq(got, "A:price=1,;VB:vin=VB,;");
	free(got);
	got = records_at(st, 2);
	ck_assert_str_eq(got, "A:price=2,;VB:vin=VB,;VC:vin=VC,;");
	free(got);
	got = xstrdup("");
	ck_assert_int_eq(store_version_raw(st, 3, collect_raw, &got), 0);
	ck_assert_int_eq(store_version_raw(st, 2, collect_raw, &got), 0);
	ck_assert_str_eq(got, "3 A {\"price\":\"2\"} 13\n2 VB {\"vin\":\"VB\"} 12\n");
	free(got);
	/* a VIN that is not the key (partial index) and VINs that are (versions_key) */
	got = history_of(st, "VA");
	ck_assert_msg(strstr(got, "appeared feed f, key A, file a.csv: {\"price\":\"1\"}") &&
	                      strstr(got, "changed feed f, key A, file b.csv: {\"price\":\"2\"}"),
	              "%s", got);
	free(got);
	got = history_of(st, "VB");
	ck_assert_msg(strstr(got, "appeared feed f, key VB, file a.csv: {\"vin\":\"VB\"}"), "%s",
	              got);
	free(got);
	got = history_of(st, "VC");
	ck_assert_msg(strstr(got, "appeared feed f, key VC, file b.csv: {\"vin\":\"VC\"}"), "%s",
	              got);
	free(got);
	ck_assert_int_eq(store_current_keys_by_vin(st, "f", "VA", &keys, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(keys[0], "A");
	free(keys[0]);
	free(keys);
	ck_assert_int_eq(store_current_keys_by_vin(st, "f", "VC", &keys, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(keys[0], "VC");
	free(keys[0]);
	free(keys);
	store_close(st);
	unit_assert_sql(
	        db,
	        "select group_concat(t) from (select typeof(data) t from version_rows order by id)",
	        "text,text,blob,blob");
}
END_TEST

/* The frame format itself: round trip, and a damaged or foreign blob refused with a reason. */
START_TEST(zdata_frames_round_trip_and_refuse_damage)
{
	static const char rec[] = "{\"make\":\"Volvo\",\"model\":\"V60\"}";
	struct store_zdata *z = store_zdata_new();
	char big[4096], why[160], *back, *bad;
	const void *f;
	size_t len, n;

	ck_assert_ptr_nonnull(z);
	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = rec[i % (sizeof(rec) - 1)];
	big[sizeof(big) - 1] = '\0';
	f = store_zdata_pack(z, big, strlen(big), &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_lt(len, 200);
	bad = xmalloc(len);
	memcpy(bad, f, len);
	back = store_zdata_unpack(z, bad, len, &n, why, sizeof(why));
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(n, strlen(big));
	ck_assert_str_eq(back, big);
	free(back);
	/* cut short */
	ck_assert_ptr_null(store_zdata_unpack(z, bad, len - 3, &n, why, sizeof(why)));
	ck_assert_msg(strstr(why, "stored-JSON frame"), "%s", why);
	/* not a frame at all */
	ck_assert_ptr_null(store_zdata_unpack(z, "{}", 2, &n, why, sizeof(why)));
	ck_assert_msg(strstr(why, "not a stored-JSON frame (2 bytes)"), "%s", why);
	free(bad);
	store_zdata_free(z);
	store_zdata_free(NULL);
}
END_TEST

/*
 * Schema 15: new frames name dictionary 2 in their header (one byte);
 * frames of dictionary 0, the raw content schema 14 wrote, still read; a
 * frame naming a dictionary lotsync does not have is refused by its number.
 */
START_TEST(zdata_dictionaries_old_frames_read_new_ones_named)
{
	static const char rec[] = "{\"make\":\"Škoda\",\"model\":\"Octavia Combi\","
	                          "\"price\":\"18990.00\",\"vin\":\"TMBJJ7NE5L0123456\"}";
	struct store_zdata *z = store_zdata_new();
	ZSTD_CCtx *c = ZSTD_createCCtx();
	unsigned char old[512], *mine;
	char why[200], *back;
	const unsigned char *f;
	size_t olen, len, n;

	ck_assert_ptr_nonnull(z);
	ck_assert_ptr_nonnull(c);
	/* a schema 14 frame: the content alone as a raw dictionary, no ID */
	olen = ZSTD_compress_usingDict(c, old, sizeof(old), rec, sizeof(rec) - 1, zdict_content,
	                               sizeof(zdict_content) - 1, 3);
	ck_assert(!ZSTD_isError(olen));
	ck_assert_uint_eq(ZSTD_getDictID_fromFrame(old, olen), 0);
	back = store_zdata_unpack(z, old, olen, &n, why, sizeof(why));
	ck_assert_msg(back != NULL, "%s", why);
	ck_assert_str_eq(back, rec);
	free(back);
	/* a new frame: dictionary 2, one ID byte right after the descriptor */
	f = store_zdata_pack(z, rec, sizeof(rec) - 1, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(ZSTD_getDictID_fromFrame(f, len), 2);
	ck_assert_uint_eq(f[4] & 3, 1);
	ck_assert_uint_eq(f[5], 2);
	mine = xmalloc(len);
	memcpy(mine, f, len);
	back = store_zdata_unpack(z, mine, len, &n, why, sizeof(why));
	ck_assert_msg(back != NULL, "%s", why);
	ck_assert_str_eq(back, rec);
	free(back);
	/* a dictionary it does not have */
	mine[5] = 7;
	ck_assert_ptr_null(store_zdata_unpack(z, mine, len, &n, why, sizeof(why)));
	ck_assert_msg(strstr(why, "stored-JSON frame of dictionary 7, which this lotsync does not"),
	              "%s", why);
	free(mine);
	ZSTD_freeCCtx(c);
	store_zdata_free(z);
}
END_TEST

START_TEST(refuses_what_it_cannot_open)
{
	struct store *st = NULL;
	char *err, *want;

	/* a directory that does not exist */
	free(db);
	db = xasprintf("%s/no/such/dir/lotsync.db", dir);
	ck_assert_int_eq(open_capture(false, &st, &err), -1);
	want = xasprintf("cannot open database %s: unable to open database file", db);
	ck_assert_msg(strstr(err, want), "%s", err);
	free(want);
	free(err);
	free(db);
	db = xasprintf("%s/lotsync.db", dir);
	/* a file a newer lotsync wrote */
	raw("pragma user_version = 999");
	ck_assert_int_eq(open_capture(false, &st, &err), -1);
	ck_assert_msg(strstr(err, "schema version 999 is newer than this lotsync"), "%s", err);
	free(err);
	/* read-only never migrates: it names the command that does */
	raw("pragma user_version = 3");
	ck_assert_int_eq(open_capture(true, &st, &err), -1);
	ck_assert_msg(strstr(err, "schema version 3, expected ") &&
	                      strstr(err, "run 'lotsync run' once to migrate it"),
	              "%s", err);
	free(err);
	/* no schema at all: empty, not "migrate" */
	raw("pragma user_version = 0");
	ck_assert_int_eq(open_capture(true, &st, &err), -1);
	ck_assert_msg(strstr(err, "the database is empty (no lotsync schema)") &&
	                      !strstr(err, "migrate"),
	              "%s", err);
	free(err);
}
END_TEST

START_TEST(a_read_only_handle_cannot_write)
{
	struct store *st;
	char *err;
	struct unit_capture cap;
	long long run;

	ck_assert_int_eq(store_open(db, false, &st), 0);
	store_close(st);
	ck_assert_int_eq(store_open(db, true, &st), 0);
	unit_capture_begin(&cap);
	run = store_run_begin(st, "test", "2026-01-01T00:00:00Z");
	err = unit_capture_end(&cap);
	ck_assert_int_eq(run, -1);
	ck_assert_msg(strstr(err, "record run: attempt to write a readonly database"), "%s", err);
	ck_assert_int_eq(store_failure(st), LS_EXIT_SOFTWARE); /* not a full disk */
	free(err);
	store_close(st);
	unit_assert_sql(db, "select count(*) from runs", "0");
}
END_TEST

START_TEST(run_records)
{
	struct store *st;
	long long a, b;

	ck_assert_int_eq(store_open(db, false, &st), 0);
	a = store_run_begin(st, "run", "2026-11-20T08:00:00Z");
	b = store_run_begin(st, "verify", "2026-11-20T09:00:00Z");
	ck_assert_int_gt(a, 0);
	ck_assert_int_eq(b, a + 1);
	ck_assert_int_eq(store_run_end(st, a, 65), 0);
	store_close(st);
	unit_assert_sql(
	        db,
	        "select command || ':' || clock || ':' || coalesce(exit_code, '-') || ':' ||"
	        " (finished_at is not null) from runs order by id",
	        "run:2026-11-20T08:00:00Z:65:1\nverify:2026-11-20T09:00:00Z:-:0");
}
END_TEST

START_TEST(nested_transactions_are_savepoints)
{
	struct store *st;

	ck_assert_int_eq(store_open(db, false, &st), 0);
	/* the dry run's outer transaction, a file's inner one */
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_gt(store_run_begin(st, "outer", "2026-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_gt(store_run_begin(st, "inner-rolled-back", "2026-01-01T00:00:00Z"), 0);
	store_rollback(st);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_gt(store_run_begin(st, "inner-kept", "2026-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(store_commit(st), 0);
	ck_assert_int_eq(store_commit(st), 0);
	unit_assert_sql(db, "select group_concat(command) from runs", "outer,inner-kept");
	/* the outer rollback takes the committed inner transaction with it */
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_gt(store_run_begin(st, "gone", "2026-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(store_commit(st), 0);
	store_rollback(st);
	unit_assert_sql(db, "select group_concat(command) from runs", "outer,inner-kept");
	/* a plain transaction */
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_gt(store_run_begin(st, "plain", "2026-01-01T00:00:00Z"), 0);
	store_rollback(st);
	store_rollback(st); /* nothing open: harmless */
	unit_assert_sql(db, "select count(*) from runs where command = 'plain'", "0");
	store_close(st);
}
END_TEST

START_TEST(reserved_run_row_waits_for_the_first_write)
{
	struct store *st;
	long long a, b;

	ck_assert_int_eq(store_open(db, false, &st), 0);
	a = store_run_reserve(st, "ingest", "2026-11-20T08:00:00Z");
	ck_assert_int_gt(a, 0);
	unit_assert_sql(db, "select count(*) from runs", "0");
	/* a rolled-back transaction takes the row with it; the next write inserts it again */
	ck_assert_int_eq(store_begin(st), 0);
	store_rollback(st);
	unit_assert_sql(db, "select count(*) from runs", "0");
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_commit(st), 0);
	unit_assert_sql(db, "select group_concat(id || ':' || command) from runs", "1:ingest");
	ck_assert_int_eq(store_run_end(st, a, 0), 0);
	/* a run that writes nothing: its end inserts the row */
	b = store_run_reserve(st, "export", "2026-11-20T09:00:00Z");
	ck_assert_int_eq(b, a + 1);
	ck_assert_int_eq(store_run_end(st, b, 3), 0);
	store_close(st);
	unit_assert_sql(
	        db,
	        "select group_concat(command || ':' || exit_code || ':' ||"
	        " (finished_at is not null) || ':' || (started_at <= finished_at)) from runs",
	        "ingest:0:1:1,export:3:1:1");
}
END_TEST

struct verdicts {
	int calls, last;
	char first[256];
};

static void
note_verdict(void *ctx, int verdict, const char *first)
{
	struct verdicts *v = ctx;

	v->calls++;
	v->last = verdict;
	snprintf(v->first, sizeof(v->first), "%s", first);
}

/* A database with a damaged index page: quick_check's "wrong # of entries". */
static void
damage_an_index(void)
{
	char *sql;
	FILE *f;
	long long page = 0, size = 0;
	sqlite3 *h;
	sqlite3_stmt *s;
	char junk[4096];

	raw("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT); CREATE INDEX t_b ON t(b);"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)"
	    " INSERT INTO t SELECT i, printf('%08d-%s', i, hex(randomblob(20))) FROM n;"
	    "PRAGMA wal_checkpoint(TRUNCATE)");
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	sql = "SELECT (SELECT rootpage FROM sqlite_schema WHERE name = 't_b'),"
	      " (SELECT page_size FROM pragma_page_size)";
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	page = sqlite3_column_int64(s, 0);
	size = sqlite3_column_int64(s, 1);
	sqlite3_finalize(s);
	sqlite3_close(h);
	ck_assert_int_gt(page, 1);
	memset(junk, 0x5a, sizeof(junk));
	ck_assert_ptr_nonnull(f = fopen(db, "r+b"));
	ck_assert_int_eq(fseek(f, (page - 1) * size, SEEK_SET), 0);
	ck_assert_int_eq(
	        fwrite(junk, 1, (size_t)size < sizeof(junk) ? (size_t)size : sizeof(junk), f) > 0,
	        1);
	fclose(f);
}

START_TEST(late_quick_check_gates_every_commit)
{
	struct store *st;
	struct verdicts v = {0};
	struct unit_capture cap;
	char *err;

	/* intact: the commit goes through once the verdict is in */
	ck_assert_int_eq(store_open(db, false, &st), 0);
	ck_assert_int_eq(store_check_start(st, note_verdict, &v), 0);
	ck_assert_int_gt(store_run_reserve(st, "ingest", "2026-11-20T08:00:00Z"), 0);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_commit(st), 0);
	ck_assert_int_eq(store_check_wait(st), 0);
	ck_assert_int_eq(v.calls, 0);
	store_close(st);
	unit_assert_sql(db, "select count(*) from runs", "1");

	damage_an_index();
	ck_assert_int_eq(store_open(db, false, &st), 0);
	ck_assert_int_eq(store_check_start(st, note_verdict, &v), 0);
	ck_assert_int_gt(store_run_reserve(st, "ingest", "2026-11-20T09:00:00Z"), 0);
	unit_capture_begin(&cap);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_commit(st), -1); /* refused: rolled back */
	ck_assert_int_eq(store_run_end(st, 2, 0), -1);
	ck_assert_int_eq(store_check_wait(st), -1);
	err = unit_capture_end(&cap);
	ck_assert_int_eq(v.calls, 1); /* said once */
	ck_assert_int_eq(v.last, 1);
	ck_assert_msg(v.first[0] != '\0', "no first message");
	ck_assert_int_eq(store_failure(st), LS_EXIT_IOERR);
	free(err);
	store_close(st);
	unit_assert_sql(db, "select count(*) from runs", "1"); /* nothing written into it */
	/* the check at once says the same */
	ck_assert_int_eq(store_open(db, false, &st), 0);
	{
		char first[256];

		ck_assert_int_eq(store_check(st, false, first, sizeof(first)), 1);
	}
	store_close(st);
}
END_TEST

START_TEST(late_quick_check_left_running_is_stopped_at_close)
{
	struct store *st;
	struct verdicts v = {0};

	ck_assert_int_eq(store_open(db, false, &st), 0);
	ck_assert_int_eq(store_check_start(st, note_verdict, &v), 0);
	store_close(st); /* interrupted or finished, never reported */
	ck_assert_int_eq(v.calls, 0);
}
END_TEST

/* Versions written in batches: compressed beside the caller, inserted in order. */
START_TEST(version_batches_land_in_order)
{
	struct snapshot_info i = applied_snapshot;
	enum { N = 300 };
	struct version_row rows[2][N], big = {.key = "BIG", .hash = 9};
	long long ids[2][N], big_id = 0, snap;
	char *text[2][N], *got, why[128];
	struct store_vbatch b[2], drop, toolarge;
	struct unit_capture cap;
	struct store_zdata *z = store_zdata_new();
	struct store *st;
	sqlite3 *h;
	sqlite3_stmt *q;
	size_t n;

	for (int k = 0; k < 2; k++)
		for (int r = 0; r < N; r++) {
			char key[16];

			snprintf(key, sizeof(key), "K%04d", k * N + r);
			text[k][r] = xasprintf("{\"n\":\"%d\",\"s\":\"%s\"}", k * N + r, key);
			rows[k][r] = (struct version_row){.key = xstrdup(key),
			                                  .hash = (uint64_t)(k * N + r),
			                                  .json = text[k][r]};
		}
	ck_assert_int_eq(store_open(db, false, &st), 0);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_gt(snap = store_snapshot_add(st, 0, &i), 0);
	for (int k = 0; k < 2; k++)
		b[k] = (struct store_vbatch){.feed = "f",
		                             .seq = 1,
		                             .snapshot = snap,
		                             .rows = rows[k],
		                             .n = N,
		                             .ids = ids[k]};
	/* the caller's pattern: the next batch is submitted once the one before is written */
	store_vbatch_submit(st, &b[0]);
	ck_assert_int_eq(store_vbatch_write(st, &b[0]), 0);
	store_vbatch_submit(st, &b[1]);
	ck_assert_int_eq(store_vbatch_write(st, &b[1]), 0);
	for (int r = 1; r < 2 * N; r++) /* ids in row order */
		ck_assert_int_eq(ids[r / N][r % N], ids[(r - 1) / N][(r - 1) % N] + 1);
	/* a dropped batch writes nothing; a too large row fails its batch */
	drop = b[0];
	drop.pack = NULL;
	store_vbatch_submit(st, &drop);
	store_vbatch_drop(st, &drop);
	ck_assert_ptr_null(drop.pack);
	big.json = got = xmalloc(LS_MAX_STORED_JSON + 2);
	memset(got, 'x', LS_MAX_STORED_JSON + 1);
	got[LS_MAX_STORED_JSON + 1] = '\0';
	toolarge = (struct store_vbatch){
	        .feed = "f", .seq = 1, .snapshot = snap, .rows = &big, .n = 1, .ids = &big_id};
	unit_capture_begin(&cap);
	store_vbatch_submit(st, &toolarge);
	ck_assert_int_eq(store_vbatch_write(st, &toolarge), -1);
	free(got);
	got = unit_capture_end(&cap);
	ck_assert_msg(strstr(got, "more than a version holds"), "%s", got);
	free(got);
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);
	unit_assert_sql(db, "select count(*), min(key), max(key) from version_rows",
	                "600|K0000|K0599");
	unit_assert_sql(db, "select count(*) from cur where feed = 'f'", "600");
	/* each row's frame is its own JSON */
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(
	        sqlite3_prepare_v2(h, "SELECT data FROM version_rows WHERE id = ?", -1, &q, NULL),
	        SQLITE_OK);
	for (int r = 0; r < 2 * N; r += 37) {
		sqlite3_bind_int64(q, 1, ids[r / N][r % N]);
		ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
		got = store_zdata_unpack(z, sqlite3_column_blob(q, 0),
		                         (size_t)sqlite3_column_bytes(q, 0), &n, why, sizeof(why));
		ck_assert_str_eq(got, text[r / N][r % N]);
		free(got);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	sqlite3_close(h);
	store_zdata_free(z);
	for (int k = 0; k < 2; k++)
		for (int r = 0; r < N; r++) {
			free((char *)rows[k][r].key);
			free(text[k][r]);
		}
}
END_TEST

START_TEST(snapshot_lookups)
{
	struct store *st;
	struct snapshot_info s;
	struct unit_capture cap;
	char *err;
	long long seq = -1, id = -1;

	ck_assert_int_eq(store_open(db, false, &st), 0);
	unit_capture_begin(&cap);
	ck_assert_int_eq(store_snapshot_get(st, 42, &s), -1);
	err = unit_capture_end(&cap);
	ck_assert_msg(strstr(err, "no snapshot with id 42"), "%s", err);
	free(err);
	ck_assert_int_eq(store_snapshot_held_sha(st, "acme", "00"), 0);
	ck_assert_int_eq(store_snapshot_applied_sha(st, "acme", "00"), 0);
	ck_assert_int_eq(store_feed_next_seq(st, "acme"), 1);
	ck_assert_int_eq(store_feed_head(st, "acme", &seq, &id), 0);
	ck_assert_int_eq(seq, 0);
	ck_assert_str_eq(snapshot_state_name(SNAP_HELD), "held");
	ck_assert_str_eq(snapshot_state_name(SNAP_APPLIED), "applied");
	store_close(st);
}
END_TEST

/*
 * The current set read before the file's transaction (while the archive
 * copy runs) says which data version it read: a commit by another
 * connection changes it, so ingest knows to read the set again.
 */
START_TEST(preloaded_current_set_knows_its_data_version)
{
	struct snapshot_info i = applied_snapshot;
	struct version_row a = {.key = "A", .vin = "A", .hash = 1, .json = "{}"};
	struct version_row b = {.key = "B", .hash = 2, .json = "{}"};
	struct store *st;
	struct keymap map;
	long long snap, v = 0, now = 0;

	ck_assert_int_eq(store_open(db, false, &st), 0);
	ck_assert_int_gt(snap = store_snapshot_add(st, 0, &i), 0);
	ck_assert_int_gt(store_version_add(st, "f", 1, snap, &a), 0);
	ck_assert_int_gt(store_version_add(st, "f", 1, snap, &b), 0);
	ck_assert_int_gt(store_version_add(st, "g", 1, snap, &a), 0);
	keymap_init(&map);
	ck_assert_int_eq(store_preload_current(st, "f", &map, NULL, &v), 0);
	ck_assert_uint_eq(map.n, 2);
	ck_assert(keymap_get(&map, "A")->current && keymap_get(&map, "B")->hash == 2);
	ck_assert_int_eq(store_data_version(st, &now), 0);
	ck_assert_int_eq(now, v); /* its own writes do not count, and there were none */
	raw("insert into runs(command, started_at, clock) values('other', 't', 't')");
	ck_assert_int_eq(store_data_version(st, &now), 0);
	ck_assert_int_ne(now, v);
	/* inside a transaction it would not be a state of its own: nothing loaded */
	keymap_release(&map);
	keymap_init(&map);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_preload_current(st, "f", &map, NULL, &v), 1);
	ck_assert_uint_eq(map.n, 0);
	store_rollback(st);
	keymap_release(&map);
	store_close(st);
}
END_TEST

/* Foreign keys are checked at COMMIT (no statement journal per INSERT), and still hold. */
START_TEST(foreign_keys_hold_at_commit)
{
	struct version_row a = {.key = "A", .hash = 1, .json = "{}"};
	struct store *st;
	struct unit_capture cap;
	char *err;

	ck_assert_int_eq(store_open(db, false, &st), 0);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_gt(store_version_add(st, "f", 1, 999, &a), 0); /* no snapshot 999 */
	unit_capture_begin(&cap);
	ck_assert_int_eq(store_commit(st), -1);
	err = unit_capture_end(&cap);
	ck_assert_msg(strstr(err, "FOREIGN KEY constraint failed"), "%s", err);
	free(err);
	store_rollback(st);
	store_close(st);
	unit_assert_sql(db, "select count(*) from version_rows", "0");
	unit_assert_sql(db, "select count(*) from cur", "0");
}
END_TEST

/*
 * Schema 16 makes every foreign key DEFERRABLE INITIALLY DEFERRED in the
 * schema's text (no per-transaction pragma): a store of schema 15 with
 * rows upgrades in place, each REFERENCES gets the clause, rows stay, and
 * a row of a missing snapshot still fails at COMMIT only.
 */
START_TEST(deferred_foreign_keys_migration_edits_the_schema_only)
{
	static const char refs[] = "select sum((length(sql) - length(replace(sql, 'REFERENCES',"
	                           " ''))) / 10) from sqlite_master where type = 'table'";
	static const char deferred[] =
	        "select sum((length(sql) - length(replace(sql, 'REFERENCES ' || r || '(id)"
	        " DEFERRABLE INITIALLY DEFERRED', ''))) / length('REFERENCES ' || r || '(id)"
	        " DEFERRABLE INITIALLY DEFERRED')) from sqlite_master, (select 'snapshots' r"
	        " union all select 'exports' union all select 'srs' union all select 'erasures')"
	        " where type = 'table'";
	struct store *st;
	char *n;

	ck_assert_int_eq(store_open_upto(db, 15, &st), 0);
	store_close(st);
	unit_assert_sql(db, "select count(*) from sqlite_master where sql like '%DEFERRABLE%'",
	                "0");
	raw("insert into snapshots(id, feed, state, seq, sha256, size, file, source, profile,"
	    " received_at) values(1, 'f', 'applied', 1, 'a', 1, 'a.csv', 'drop', 'p', 't1');"
	    "insert into rejected_rows(snapshot_id, line, reason) values(1, 7, 'no key');");
	n = unit_sql(db, refs);
	ck_assert_int_ge(atoi(n), 10); /* snapshots x6, exports, srs, erasures x2 at least */
	ck_assert_int_eq(store_open(db, false, &st), 0);
	unit_assert_sql(db, "pragma user_version", "16");
	unit_assert_sql(db, deferred, n);
	unit_assert_sql(db, "pragma integrity_check", "ok");
	unit_assert_sql(db, "select snapshot_id, line, reason from rejected_rows", "1|7|no key");
	/* a plain connection defers too: child first, parent later, in one transaction */
	raw("pragma foreign_keys = on; begin; insert into rejected_rows(snapshot_id, line, reason)"
	    " values(2, 1, 'x'); insert into snapshots(id, feed, state, seq, sha256, size, file,"
	    " source, profile, received_at) values(2, 'f', 'applied', 2, 'b', 1, 'b.csv', 'drop',"
	    " 'p', 't2'); commit;");
	ck_assert_int_eq(sqlite3_exec_raw("pragma foreign_keys = on; begin; insert into"
	                                  " rejected_rows(snapshot_id, line, reason)"
	                                  " values(9, 1, 'x'); commit;"),
	                 SQLITE_CONSTRAINT);
	store_close(st);
	unit_assert_sql(db, "select count(*) from rejected_rows", "2");
	free(n);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = unit_tcase(s, "sqlite", setup, teardown);

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, creates_the_schema_and_reopens_it);
	tcase_add_test(tc, version_ends_migration_keeps_what_readers_see);
	tcase_add_test(tc, packed_and_text_versions_read_alike);
	tcase_add_test(tc, zdata_frames_round_trip_and_refuse_damage);
	tcase_add_test(tc, zdata_dictionaries_old_frames_read_new_ones_named);
	tcase_add_test(tc, refuses_what_it_cannot_open);
	tcase_add_test(tc, a_read_only_handle_cannot_write);
	tcase_add_test(tc, run_records);
	tcase_add_test(tc, nested_transactions_are_savepoints);
	tcase_add_test(tc, reserved_run_row_waits_for_the_first_write);
	tcase_add_test(tc, late_quick_check_gates_every_commit);
	tcase_add_test(tc, late_quick_check_left_running_is_stopped_at_close);
	tcase_add_test(tc, version_batches_land_in_order);
	tcase_add_test(tc, snapshot_lookups);
	tcase_add_test(tc, preloaded_current_set_knows_its_data_version);
	tcase_add_test(tc, foreign_keys_hold_at_commit);
	tcase_add_test(tc, deferred_foreign_keys_migration_edits_the_schema_only);
	return s;
}

UNIT_MAIN(make_suite)
