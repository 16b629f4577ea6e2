/*
 * test_storefail.c - the clock-jump, archive look-up and work-order reads
 * of the store (store_guard.c, store_wo.c) on a real SQLite file: what a
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
#include "unit.h"

static char dir[64];
static char *db;

static void
setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	db = xasprintf("%s/lotsync.db", dir);
	log_set_level(LOG_WARN);
}

static void
teardown(void)
{
	free(db);
	unit_rmtree(dir);
}

static int
deny(void *ctx, int action, const char *a, const char *b, const char *c, const char *d)
{
	(void)ctx, (void)action, (void)a, (void)b, (void)c, (void)d;
	return SQLITE_DENY;
}

static int
always(void *ctx)
{
	(void)ctx;
	return 1;
}

enum fault { HEALTHY, PREPARE_DENIED, STEP_INTERRUPTED };

/* A fresh connection to db (nothing prepared yet) with the fault installed. */
static struct store *
open_with(enum fault f)
{
	struct store *st;

	ck_assert_int_eq(store_open(db, false, &st), 0);
	if (f == PREPARE_DENIED)
		sqlite3_set_authorizer(st->db, deny, NULL);
	else if (f == STEP_INTERRUPTED)
		sqlite3_progress_handler(st->db, 1, always, NULL);
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
	exec_ok(st, "INSERT INTO versions(kind, feed, key, hash, data, snapshot_id, from_seq)"
	            " VALUES('person', 'acme', 'P1', 1, '{\"name\":\"Ann\"}', 1, 1),"
	            " ('workorder', 'acme', 'W1', 2, '{\"canceled\":\"true\"}', 1, 1),"
	            " ('workorder', 'acme', 'W2', 3, '{\"wo_number\":\"2\"}', 1, 1)");
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
	json = store_wo_person_json(st, "acme", "P1");
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
	ck_assert_ptr_null(store_wo_person_json(st, "acme", "P1"));
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
	return s;
}

UNIT_MAIN(make_suite)
