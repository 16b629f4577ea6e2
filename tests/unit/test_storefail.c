/*
 * test_storefail.c - the clock-jump, archive look-up, work-order and erasure
 * calls of the store (store_guard.c, store_wo.c, store_erase.c) on a real SQLite file: what a
 * healthy database answers, and that the same calls answer an error (-1 or
 * NULL), never "nothing there", when a statement cannot be prepared (an
 * authorizer that denies everything, on a fresh connection so nothing is
 * cached yet) or fails when it is stepped (SQLite's progress handler
 * interrupting every statement, as in test_dbfault.c).
 *
 * White box: the test reaches the store's sqlite3 handle (src/store_p.h) to
 * install the callbacks and to write rows the read paths need.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/log.h"
#include "lotsync/store.h"
#include "lotsync/store_wo.h"
#include "lotsync/util.h"

#include "../../src/store_p.h"
#include "unit_db.h"

UNIT_DB_FIXTURE(dir, db, log_set_level(LOG_WARN))

enum fault { HEALTHY, PREPARE_DENIED, STEP_INTERRUPTED };

/* A fresh connection to db (nothing prepared yet) with the fault installed. */
static struct store *
open_with(enum fault f)
{
	struct store *st;

	ck_assert_int_eq(store_open(db, false, &st), 0);
	if (f == PREPARE_DENIED)
		sqlite3_set_authorizer(st->db, unit_sqlite_deny, NULL);
	else if (f == STEP_INTERRUPTED)
		sqlite3_progress_handler(st->db, 1, unit_sqlite_interrupt, NULL);
	return st;
}

static void
exec_ok(struct store *st, const char *sql)
{
	char *err = NULL;

	ck_assert_msg(sqlite3_exec(st->db, sql, NULL, NULL, &err) == SQLITE_OK, "%s: %s", sql,
	              err ? err : "");
}

/* One applied snapshot of feed acme with its sha, and one open SR absent since day 1. */
static void
seed(void)
{
	struct store *st = open_with(HEALTHY);

	exec_ok(st, "INSERT INTO snapshots(id, feed, state, seq, sha256, size, file, source,"
	            " profile, received_at) VALUES(1, 'acme', 'applied', 1, 'aa11', 3, 'f.csv',"
	            " 'drop', 'generic-csv', '2026-05-01T00:00:00Z')");
	exec_ok(st, "INSERT INTO version_rows(kind, feed, key, hash, data, snapshot_id, from_seq)"
	            " VALUES('person', 'acme', 'person:P1', 1, '{\"name\":\"Ann\"}', 1, 1),"
	            " ('workorder', 'acme', 'W1', 2, '{\"canceled\":\"true\"}', 1, 1),"
	            " ('workorder', 'acme', 'W2', 3, '{\"wo_number\":\"2\"}', 1, 1)");
	/* the current set the store keeps with them (schema 12) */
	exec_ok(st, "INSERT INTO cur(feed, version_id, key, hash)"
	            " SELECT feed, id, key, hash FROM version_rows");
	store_close(st);
}

/* A jump is pending until accepted, with its clocks and its run; then none is. */
START_TEST(clock_jumps_pending_until_accepted)
{
	struct store *st = open_with(HEALTHY);
	struct clock_jump j;
	sqlite3_stmt *q;

	ck_assert_int_eq(store_clock_jump_pending(st, &j), 1);
	exec_ok(st, "INSERT INTO runs(id, command, started_at, clock) VALUES(7, 'run', 'x', 'y')");
	ck_assert_int_eq(
	        store_clock_jump_add(st, 7, "2026-05-01T00:00:00Z", "2027-05-01T00:00:00Z"), 0);
	ck_assert_int_eq(
	        store_clock_jump_add(st, 0, "2027-05-01T00:00:00Z", "2028-05-01T00:00:00Z"), 0);
	ck_assert_int_eq(store_clock_jump_pending(st, &j), 0);
	ck_assert_str_eq(j.from, "2026-05-01T00:00:00Z");
	ck_assert_str_eq(j.to, "2027-05-01T00:00:00Z");
	/* the run is recorded when there is one, NULL when there is not */
	ck_assert_int_eq(sqlite3_prepare_v2(st->db,
	                                    "SELECT group_concat(coalesce(run_id, 'null'), ',')"
	                                    " FROM (SELECT run_id FROM clock_jumps ORDER BY id)",
	                                    -1, &q, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), "7,null");
	sqlite3_finalize(q);
	ck_assert_int_eq(store_clock_jump_accept(st, "ops", "2027-05-02T00:00:00Z"), 2);
	ck_assert_int_eq(store_clock_jump_pending(st, &j), 1);
	ck_assert_int_eq(store_clock_jump_accept(st, "ops", "2027-05-03T00:00:00Z"), 0);
	store_close(st);
}
END_TEST

START_TEST(guard_reads_of_a_healthy_database)
{
	struct store *st;

	seed();
	st = open_with(HEALTHY);
	ck_assert_int_eq(store_archive_known(st, "acme", "aa11"), 1);
	ck_assert_int_eq(store_archive_known(st, "acme", "bb22"), 0);
	ck_assert_int_eq(store_archive_known(st, "other", "aa11"), 0);
	ck_assert_int_eq(store_srs_close_due(st, "acme", "2026-05-04"), 0);
	store_close(st);
}
END_TEST

/* Every guard call of a failing database is -1, also where a healthy one says "none". */
static void
guard_fails(enum fault f)
{
	struct store *st;
	struct clock_jump j;

	seed();
	st = open_with(f);
	ck_assert_int_eq(store_clock_jump_add(st, 1, "a", "b"), -1);
	ck_assert_int_eq(store_clock_jump_pending(st, &j), -1);
	ck_assert_int_eq(store_clock_jump_accept(st, "ops", "t"), -1);
	ck_assert_int_eq(store_srs_close_due(st, "acme", "2026-05-04"), -1);
	ck_assert_int_eq(store_archive_known(st, "acme", "aa11"), -1);
	store_close(st);
	st = open_with(HEALTHY); /* nothing was written by the failed add */
	ck_assert_int_eq(store_clock_jump_pending(st, &j), 1);
	store_close(st);
}

START_TEST(guard_calls_fail_when_nothing_can_be_prepared)
{
	guard_fails(PREPARE_DENIED);
}
END_TEST

START_TEST(guard_calls_fail_when_every_step_is_interrupted)
{
	guard_fails(STEP_INTERRUPTED);
}
END_TEST

START_TEST(wo_counts_of_a_healthy_database)
{
	struct store_wo_counts c;
	struct store *st;
	char *json;

	seed();
	st = open_with(HEALTHY);
	ck_assert_int_eq(store_wo_counts(st, "acme", &c), 0);
	ck_assert_int_eq(c.current, 2);
	ck_assert_int_eq(c.canceled, 1);
	ck_assert_int_eq(c.persons, 1);
	ck_assert_int_eq(c.typos_total, 0);
	ck_assert_uint_eq(c.ntypos, 0);
	store_wo_counts_release(&c);
	ck_assert_int_eq(store_wo_counts(st, "none", &c), 0);
	ck_assert_int_eq(c.current + c.persons, 0);
	store_wo_counts_release(&c);
	json = store_wo_person_json(st, "acme", "person:P1");
	ck_assert_ptr_nonnull(json);
	ck_assert_str_eq(json, "{\"name\":\"Ann\"}");
	free(json);
	ck_assert_ptr_null(store_wo_person_json(st, "acme", "P9"));
	store_close(st);
}
END_TEST

/* A failing database: -1 for the counts (all zero), NULL for the person that exists. */
static void
wo_fails(enum fault f)
{
	struct store_wo_counts c;
	struct store *st;

	seed();
	st = open_with(f);
	ck_assert_int_eq(store_wo_counts(st, "acme", &c), -1);
	ck_assert_int_eq(c.current + c.persons + c.canceled, 0);
	ck_assert_ptr_null(c.typos);
	store_wo_counts_release(&c);
	ck_assert_ptr_null(store_wo_person_json(st, "acme", "person:P1"));
	store_close(st);
}

START_TEST(wo_reads_fail_when_nothing_can_be_prepared)
{
	wo_fails(PREPARE_DENIED);
}
END_TEST

START_TEST(wo_reads_fail_when_every_step_is_interrupted)
{
	wo_fails(STEP_INTERRUPTED);
}
END_TEST

/* An erasure done after snapshot 1 rewrote archive file aa11 of acme (to bb22). */
static void
seed_erasure(void)
{
	struct store *st;

	seed();
	st = open_with(HEALTHY);
	exec_ok(st, "INSERT INTO erasures(id, feed, person, state, at, last_snapshot)"
	            " VALUES(1, 'acme', 'P1', 'pending', '2026-05-02T00:00:00Z', 1)");
	exec_ok(st,
	        "INSERT INTO erasure_files VALUES(1, 'archive', 'acme', 'aa11', 'aa11', 'bb22')");
	exec_ok(st, "UPDATE erasures SET state = 'done', chain_id = 99 WHERE id = 1");
	store_close(st);
}

/*
 * After the erasure the archive file must hold the rewritten content; the
 * original content is right again only when the same file arrived again in
 * a later snapshot.
 */
START_TEST(archive_expect_original_only_after_a_later_copy)
{
	struct store *st;
	bool ok;

	seed_erasure();
	st = open_with(HEALTHY);
	ck_assert_int_eq(store_archive_expect(st, "acme", "aa11", "bb22", &ok), 0);
	ck_assert(ok);
	ck_assert_int_eq(store_archive_expect(st, "acme", "aa11", "cc33", &ok), 0);
	ck_assert(!ok);
	ck_assert_int_eq(store_archive_expect(st, "acme", "aa11", "aa11", &ok), 0);
	ck_assert(!ok);
	exec_ok(st, "INSERT INTO snapshots(id, feed, state, sha256, size, file, source,"
	            " profile, received_at) VALUES(2, 'acme', 'duplicate', 'aa11', 3, 'g.csv',"
	            " 'drop', 'generic-csv', '2026-05-03T00:00:00Z')");
	ck_assert_int_eq(store_archive_expect(st, "acme", "aa11", "aa11", &ok), 0);
	ck_assert(ok);
	store_close(st);
}
END_TEST

static void
note(void *ctx, const char *msg)
{
	char **all = ctx, *was = *all;

	*all = xasprintf("%s%s\n", was ? was : "", msg);
	free(was);
}

/* verify names an unfinished erasure and one whose chain entry is missing. */
START_TEST(verify_names_pending_and_unchained_erasures)
{
	struct store *st;
	char *all = NULL;

	seed_erasure();
	st = open_with(HEALTHY);
	exec_ok(st, "INSERT INTO erasures(id, feed, person, state, at, last_snapshot)"
	            " VALUES(2, 'acme', 'P2', 'pending', '2026-05-04T00:00:00Z', 1)");
	ck_assert_int_eq(store_verify_erasures(st, note, &all), 0);
	ck_assert_ptr_nonnull(all);
	ck_assert_str_eq(all, "erasure 1 has no audit chain entry: it was changed behind lotsync's"
	                      " back\nerasure 2 (person P2 of feed acme) is not finished: run"
	                      " 'lotsync erase-person acme P2' again\n");
	free(all);
	store_close(st);
}
END_TEST

static int
version_row(void *ctx, long long version, const char *key, const char *json, size_t len)
{
	(void)version, (void)key, (void)json, (void)len;
	++*(int *)ctx;
	return 0;
}

/* Every erasure call of a failing database is -1 (or NULL), never "none" or "not known". */
static void
erase_fails(enum fault f)
{
	struct erasure_file ef = {"archive", "acme", "aa11", "aa11", "bb22"}, *files;
	long long id;
	char *feed, *person, *sha;
	struct store *st;
	bool known, ok;
	size_t n;
	int rows = 0;

	seed_erasure();
	st = open_with(f);
	ck_assert_int_eq(store_erasure_pending(st, &id, &feed, &person), -1);
	ck_assert_int_eq(store_erasure_begin(st, "acme", "P1", "t", "ops"), -1);
	ck_assert_int_eq(store_erasure_add_file(st, 1, &ef), -1);
	ck_assert_int_eq(store_erasure_files(st, 1, &files, &n), -1);
	ck_assert_ptr_null(files);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(store_erased_sha(st, "archive", "acme", "aa11", &sha), -1);
	ck_assert_ptr_null(sha);
	ck_assert_int_eq(store_person_known(st, "acme", "P1", &known), -1);
	ck_assert_int_eq(store_each_person_version(st, "acme", "P1", version_row, &rows), -1);
	ck_assert_int_eq(rows, 0);
	ck_assert_int_eq(store_erase_version(st, 1, 1, "{}", 1), -1);
	ck_assert_int_eq(store_erasure_finish(st, 1), -1);
	ck_assert_int_eq(store_verify_erasures(st, note, &sha), -1);
	ck_assert_int_eq(store_archive_expect(st, "acme", "aa11", "bb22", &ok), -1);
	store_close(st);
	st = open_with(HEALTHY); /* and the same calls of a healthy one */
	ck_assert_int_eq(store_erasure_files(st, 1, &files, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(files[0].new_sha, "bb22");
	erasure_files_release(files, n);
	ck_assert_int_eq(store_erased_sha(st, "archive", "acme", "aa11", &sha), 0);
	ck_assert_str_eq(sha, "bb22");
	free(sha);
	ck_assert_int_eq(store_each_person_version(st, "acme", "P1", version_row, &rows), 0);
	ck_assert_int_eq(rows, 1);
	ck_assert_int_eq(store_person_known(st, "acme", "P1", &known), 0);
	ck_assert(known);
	ck_assert_int_eq(store_erasure_pending(st, &id, &feed, &person), 0);
	ck_assert_int_eq(id, 0);
	store_close(st);
}

START_TEST(erase_calls_fail_when_nothing_can_be_prepared)
{
	erase_fails(PREPARE_DENIED);
}
END_TEST

START_TEST(erase_calls_fail_when_every_step_is_interrupted)
{
	erase_fails(STEP_INTERRUPTED);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("storefail");
	TCase *tc = unit_tcase(s, "storefail", setup, teardown);

	tcase_add_test(tc, clock_jumps_pending_until_accepted);
	tcase_add_test(tc, guard_reads_of_a_healthy_database);
	tcase_add_test(tc, guard_calls_fail_when_nothing_can_be_prepared);
	tcase_add_test(tc, guard_calls_fail_when_every_step_is_interrupted);
	tcase_add_test(tc, wo_counts_of_a_healthy_database);
	tcase_add_test(tc, wo_reads_fail_when_nothing_can_be_prepared);
	tcase_add_test(tc, wo_reads_fail_when_every_step_is_interrupted);
	tcase_add_test(tc, archive_expect_original_only_after_a_later_copy);
	tcase_add_test(tc, verify_names_pending_and_unchained_erasures);
	tcase_add_test(tc, erase_calls_fail_when_nothing_can_be_prepared);
	tcase_add_test(tc, erase_calls_fail_when_every_step_is_interrupted);
	return s;
}

UNIT_MAIN(make_suite)
