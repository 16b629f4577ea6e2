/*
 * test_dbfault.c - the database failing at each statement of a batch.
 *
 * A day's batch (fetch a file:// feed, ingest it with its rules and
 * auto-close, export to a full and a delta file:// target and deliver)
 * runs with its Nth SQLite statement made to fail, for N = 1, 2, ...
 * until the batch gets through untouched. The failure is SQLite's own:
 * the statement is interrupted from its progress handler (SQLITE_INTERRUPT,
 * which rolls back the open transaction as a real I/O error or a full disk
 * does). Every failed batch must say so (exit 70, never 0), and the next
 * batch on a healthy database must reach the state of a batch that never
 * failed: the same snapshots, current versions, exports delivered and
 * delivered bytes, nothing left in incoming/, work/ or the outbox, each
 * remote file recorded (a record lost with a failed transaction comes back
 * as 'identical': the fetch log may differ, not what it says was fetched).
 * A full disk is SQLite's SQLITE_FULL from PRAGMA max_page_count: exit 74.
 *
 * White box: the test reaches the store's sqlite3 handle (src/store_p.h) to
 * install the trace and progress callbacks; the code under test is unchanged.
 * DBFAULT_PRINT=1 shows the error lines the failures log; DBFAULT_FROM=N
 * starts at statement N.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/app.h"
#include "lotsync/batchrun.h"
#include "lotsync/buf.h"
#include "lotsync/clock.h"
#include "lotsync/fetch.h"
#include "lotsync/ingest.h"
#include "lotsync/log.h"
#include "lotsync/store_diff.h"
#include "lotsync/store_report.h"
#include "lotsync/util.h"

#include "../../src/store_p.h"
#include "unit_db.h"

static char dir[64];
static int saved_stderr = -1;

/*
 * On tmpfs when there is one: a few hundred batches, each with its
 * fsyncs, would take minutes on a loaded disk. Each failed statement is
 * logged where it happens, as it should be: some thousand error lines.
 * They go to dir/err.log unless DBFAULT_PRINT=1.
 */
static void
setup(void)
{
	char *p;

	snprintf(dir, sizeof(dir), "%s/lotsync-dbfault.XXXXXX",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	p = xasprintf("%s/err.log", dir);
	if (!getenv("DBFAULT_PRINT")) {
		fflush(stderr);
		saved_stderr = dup(2);
		ck_assert_ptr_nonnull(freopen(p, "w", stderr));
	}
	free(p);
	log_set_level(getenv("DBFAULT_PRINT") ? LOG_INFO : LOG_WARN);
}

static void
teardown(void)
{
	if (saved_stderr != -1) { /* back, for what comes after (a sanitizer's report) */
		fflush(stderr);
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
	unit_rmtree(dir);
}

#define HDR "DealerID,VIN,StockNo,Type,Price\n"

/* Day 1: four vehicles. Day 2: one gone, one changed, one new. */
static const char day1[] = HDR "D1,WVWZZZ1JZXW000001,S1,N,10000\n"
                               "D1,WVWZZZ1JZXW000002,S2,N,20000\n"
                               "D1,WVWZZZ1JZXW000003,S3,U,30000\n"
                               "D1,WVWZZZ1JZXW000004,S4,U,40000\n";
static const char day2[] = HDR "D1,WVWZZZ1JZXW000001,S1,N,10000\n"
                               "D1,WVWZZZ1JZXW000002,S2,N,19000\n"
                               "D1,WVWZZZ1JZXW000004,S4,U,40000\n"
                               "D1,WVWZZZ1JZXW000005,S5,N,50000\n";

/* The fault: statement number fail_at (counted from arming) is interrupted. */
static long started, fail_at;
static bool fire;

static int
on_trace(unsigned type, void *ctx, void *p, void *x)
{
	(void)type, (void)ctx, (void)p, (void)x;
	if (++started == fail_at)
		fire = true;
	return 0;
}

static int
on_progress(void *ctx)
{
	(void)ctx;
	if (!fire)
		return 0;
	fire = false; /* this statement only: the rollback after it must run */
	return 1;
}

static void
arm(struct store *st, long n)
{
	started = 0;
	fail_at = n;
	fire = false;
	sqlite3_trace_v2(st->db, SQLITE_TRACE_STMT, on_trace, NULL);
	sqlite3_progress_handler(st->db, 1, on_progress, NULL);
}

static void
disarm(struct store *st)
{
	sqlite3_trace_v2(st->db, 0, NULL, NULL);
	sqlite3_progress_handler(st->db, 0, NULL, NULL);
	fail_at = 0;
}

/* One installation below root: a remote feed, two local targets. */
struct world {
	char *root;
	struct app app;
	struct feed_conf feed;
	struct client_map client;
	struct target_conf targets[2];
	char *feeds[1];
};

static void
world_open(struct world *w, const char *root)
{
	char *db;

	memset(w, 0, sizeof(*w));
	w->root = xstrdup(root);
	w->feeds[0] = "acme";
	w->feed = (struct feed_conf){.name = "acme",
	                             .source = xasprintf("file://%s/remote/*.csv", root),
	                             .profile = "generic-csv",
	                             .key = FEED_KEY_VIN,
	                             .vanish_guard = 1.0,
	                             .auto_close = 3};
	w->client = (struct client_map){.label = "one", .dealer_id = "D1", .name = "One"};
	w->targets[0] = (struct target_conf){.name = "full",
	                                     .url = xasprintf("file://%s/rfull/", root),
	                                     .format = "generic-csv",
	                                     .feeds = w->feeds,
	                                     .nfeeds = 1,
	                                     .deviation_lock = 1.0,
	                                     .auto_release = true,
	                                     .retention_days = 5,
	                                     .rename = true};
	w->targets[1] = w->targets[0];
	w->targets[1].name = "delta";
	w->targets[1].url = xasprintf("file://%s/rdelta/", root);
	w->targets[1].mode = EXPORT_DELTA;
	w->app.cfg.dir = xasprintf("%s/conf", unit_srcdir());
	w->app.cfg.feeds = &w->feed;
	w->app.cfg.nfeeds = 1;
	w->app.cfg.clients = &w->client;
	w->app.cfg.nclients = 1;
	w->app.cfg.targets = w->targets;
	w->app.cfg.ntargets = 2;
	w->app.cfg.settle_seconds = 0;
	for (const char *const *d = (const char *const[]){"remote", "rfull", "rdelta", NULL}; *d;
	     d++) {
		db = xasprintf("%s/%s", root, *d);
		unit_mkdirs(db);
		free(db);
	}
	db = xasprintf("%s/spool", root);
	spool_init(&w->app.spool, db);
	free(db);
	ck_assert_int_eq(spool_prepare_feed(&w->app.spool, "acme"), 0);
	db = xasprintf("%s/lotsync.db", root);
	ck_assert_int_eq(store_open(db, false, &w->app.store), 0);
	free(db);
	w->app.run = store_run_begin(w->app.store, "test", "2026-05-01T00:00:00Z");
	ck_assert_int_gt(w->app.run, 0);
}

static void
world_close(struct world *w)
{
	store_close(w->app.store);
	spool_release(&w->app.spool);
	free(w->app.cfg.dir);
	free(w->feed.source);
	free(w->targets[0].url);
	free(w->targets[1].url);
	free(w->root);
}

/* One day's batch, as `lotsync run` does it; its folded exit condition. */
static int
batch(struct world *w)
{
	struct batchrun b;
	struct fetcher *fx = fetcher_new(&w->app);
	struct fetch_summary fs;
	struct ingest_summary is;

	batchrun_init(&b, &w->app, 0, NULL);
	b.srs = srs_run_new();
	batchrun_note(&b, fetch_feed(fx, &w->feed, &fs));
	fetcher_free(fx);
	batchrun_note(&b, ingest_feed(&w->app, b.srs, &w->feed, &is, NULL));
	if (is.scope != LS_BAD_RUN) {
		batchrun_note(&b, srs_auto_close(&w->app, b.srs, &w->feed));
		batchrun_export_deliver(&b, true);
	}
	return batchrun_finish(&b);
}

/* What must be equal after convergence: the store's and the spool's observable state. */
static char *
state_of(const char *name)
{
	char *root = xasprintf("%s/%s", dir, name);
	char *cmd = xasprintf(
	        "cd '%s' && { sqlite3 lotsync.db \""
	        "select 'snap', file, state, seq, vehicles, new, changed, vanished from snapshots"
	        " where state <> 'duplicate' order by id;"

	        "select 'exp', target, kind, rows, state from exports where file is not null"
	        " and state <> 'superseded' order by target, id;"
	        "select 'srs', status, count(*), group_concat(vin) from (select * from srs order by"
	        " vin) group by status;"
	        "select distinct 'fetched', remote from fetched order by remote;\" ||"
	        " echo sqlite3 failed;"
	        " echo \"current: $(sqlite3 lotsync.db 'select key, hash from versions"
	        " where to_seq is null order by key' | sha256sum)\";"
	        " for d in spool/incoming/acme spool/work/acme spool/outbox/full "
	        "spool/outbox/delta;"
	        " do echo \"$d: $(ls -A $d 2>/dev/null)\"; done;"
	        " echo \"full: $(cat rfull/*.csv | sort | uniq | sha256sum)\";"
	        " echo \"delta: $(ls rdelta | wc -l) files, $(cat rdelta/*.csv | sort | "
	        "sha256sum)\"; }",
	        root);
	FILE *f = popen(cmd, "r");
	struct buf out;
	char line[1024];

	ck_assert_ptr_nonnull(f);
	buf_init(&out, 1 << 20);
	while (fgets(line, sizeof(line), f))
		ck_assert_int_eq(buf_append(&out, line, strlen(line)), 0);
	ck_assert_int_eq(pclose(f), 0);
	free(cmd);
	free(root);
	return buf_detach(&out, NULL);
}

static void
sh(const char *fmt, const char *a, const char *b)
{
	char *cmd = xasprintf(fmt, a, b, a, b);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/*
 * template/ after day 1, with day 2's file on the "server". Every world
 * runs at dir/w, where the template was made: the feed's URL, which the
 * fetch records name, stays the same.
 */
static char *
make_template(void)
{
	char *t = xasprintf("%s/template", dir), *w_root = xasprintf("%s/w", dir), *p;
	struct world w;

	world_open(&w, w_root);
	p = xasprintf("%s/remote/day1.csv", w_root);
	unit_write_str(p, day1, 0644);
	free(p);
	clock_set(1777622400); /* 2026-05-01T08:00:00Z */
	ck_assert_int_eq(batch(&w), LS_EXIT_OK);
	world_close(&w);
	p = xasprintf("%s/remote/day2.csv", w_root);
	unit_write_str(p, day2, 0644);
	free(p);
	sh("mv '%1$s' '%2$s'", w_root, t);
	free(w_root);
	return t;
}

/* A copy of the template at dir/w; the world opened on it. */
static void
copy_of(struct world *w, const char *tmpl)
{
	char *root = xasprintf("%s/w", dir);

	sh("rm -rf '%2$s' && cp -a '%1$s' '%2$s'", tmpl, root);
	world_open(w, root);
	free(root);
}

/* Fails the test with the difference when got is not want; what names the case. */
static void
assert_same_state(const char *got, const char *want, const char *what)
{
	char *g, *w, *cmd, diff[3000];
	size_t n;
	FILE *f;

	if (strcmp(got, want) == 0)
		return;
	g = xasprintf("%s/got.txt", dir);
	w = xasprintf("%s/want.txt", dir);
	unit_write_str(g, got, 0644);
	unit_write_str(w, want, 0644);
	cmd = xasprintf("diff '%s' '%s' | cut -c1-200", w, g);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(diff, 1, sizeof(diff) - 1, f);
	diff[n] = '\0';
	pclose(f);
	ck_abort_msg("%s: the rerun's state is not the reference's (diff reference rerun):\n%s",
	             what, diff);
}

START_TEST(every_statement_of_a_batch_fails_once)
{
	char *tmpl = make_template(), *want, *got;
	struct world w;
	long n, failed = 0;
	char what[64];

	/* the reference: day 2 with a healthy database */
	copy_of(&w, tmpl);
	clock_set(1777708800); /* 2026-05-02T08:00:00Z */
	ck_assert_int_eq(batch(&w), LS_EXIT_OK);
	world_close(&w);
	want = state_of("w");
	for (n = getenv("DBFAULT_FROM") ? atol(getenv("DBFAULT_FROM")) : 1;; n++) {
		int rc;

		copy_of(&w, tmpl);
		clock_set(1777708800);
		arm(w.app.store, n);
		rc = batch(&w);
		disarm(w.app.store);
		if (started < n) {
			/* the batch ran fewer than n statements: it never met the fault */
			ck_assert_int_eq(rc, LS_EXIT_OK);
			world_close(&w);
			break;
		}
		ck_assert_msg(rc == LS_EXIT_SOFTWARE, "statement %ld failed: exit %d, wanted 70", n,
		              rc);
		failed++;
		/* the next run (a minute later) on a healthy database converges */
		clock_set(1777708860);
		ck_assert_msg(batch(&w) == LS_EXIT_OK, "statement %ld: the rerun failed", n);
		world_close(&w);
		got = state_of("w");
		snprintf(what, sizeof(what), "statement %ld failed", n);
		assert_same_state(got, want, what);
		free(got);
	}
	if (getenv("DBFAULT_PRINT"))
		printf("%ld statements failed in turn\n", failed);
	if (!getenv("DBFAULT_FROM"))
		ck_assert_int_gt(failed, 50); /* the batch really went through the store */
	free(want);
	free(tmpl);
	clock_set_real();
}
END_TEST

/* Day 2 with 500 vehicles: their versions need pages the file does not have. */
static void
big_day2(void)
{
	char *p = xasprintf("%s/w/remote/day2.csv", dir);
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	fputs(HDR, f);
	for (int i = 1; i <= 500; i++)
		fprintf(f, "D1,WVWZZZ1JZXW%06d,S%d,N,%d\n", i, i, 10000 + i);
	ck_assert_int_eq(fclose(f), 0);
	free(p);
}

START_TEST(a_full_disk_is_74_and_the_next_run_converges)
{
	char *tmpl = make_template(), *want, *got;
	struct world w;
	long long pages;
	sqlite3_stmt *s;
	char *sql;

	copy_of(&w, tmpl);
	big_day2();
	clock_set(1777708800);
	/* 4 -> 500 vehicles: the targets' deviation lock holds them (exit 3) */
	ck_assert_int_eq(batch(&w), LS_EXIT_HELD);
	world_close(&w);
	want = state_of("w");

	copy_of(&w, tmpl);
	big_day2();
	/* no free page left inside the file either */
	ck_assert_int_eq(sqlite3_exec(w.app.store->db, "VACUUM", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(w.app.store->db, "PRAGMA page_count", -1, &s, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	pages = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	/* not a page more than day 1 needed: day 2's first new page is SQLITE_FULL */
	sql = xasprintf("PRAGMA max_page_count = %lld", pages);
	ck_assert_int_eq(sqlite3_exec(w.app.store->db, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	clock_set(1777708800);
	ck_assert_int_eq(batch(&w), LS_EXIT_IOERR);
	/* space again: the next run converges */
	ck_assert_int_eq(sqlite3_exec(w.app.store->db, "PRAGMA max_page_count = 1073741823", NULL,
	                              NULL, NULL),
	                 SQLITE_OK);
	clock_set(1777708800); /* the same --now: the held files' names say when */
	ck_assert_int_eq(batch(&w), LS_EXIT_HELD);
	world_close(&w);
	got = state_of("w");
	assert_same_state(got, want, "a full disk");
	free(got);
	free(want);
	free(tmpl);
	clock_set_real();
}
END_TEST

static int
no_rows(void *ctx)
{
	(void)ctx;
	return 0;
}

static int
raw_row(void *ctx, long long v, const char *k, const char *j, size_t n)
{
	(void)v, (void)k, (void)j, (void)n;
	return no_rows(ctx);
}

static int
diff_row(void *ctx, const struct store_diff_item *d)
{
	(void)d;
	return no_rows(ctx);
}

static int
snap_row(void *ctx, const struct snapshot_info *i)
{
	(void)i;
	return no_rows(ctx);
}

static int
record_row(void *ctx, const struct record *r)
{
	(void)r;
	return no_rows(ctx);
}

static int
reject_row(void *ctx, const struct row_error *e)
{
	(void)e;
	return no_rows(ctx);
}

static int
warning_row(void *ctx, const struct row_warning *w)
{
	(void)w;
	return no_rows(ctx);
}

static int
feed_reject_row(void *ctx, long long id, const struct row_error *e)
{
	(void)id, (void)e;
	return no_rows(ctx);
}

static int
quarantine_row(void *ctx, const struct quarantine_info *q)
{
	(void)q;
	return no_rows(ctx);
}

/*
 * The auditor's and the report's reads: each must say -1 when the database
 * fails (fail), and must not on a healthy one (so -1 means the failure).
 */
static void
every_read(struct store *st, const char *how, bool fail)
{
	struct snapshot_info si, *list = NULL;
	struct feed_totals ft;
	struct history_event *h = NULL;
	long long *ids = NULL, seq, id;
	size_t n_list = 0, n_held = 0, n = 0;
	struct {
		const char *what;
		int rc;
	} r[] = {
	        {"store_snapshot_get", store_snapshot_get(st, 2, &si)},
	        {"store_snapshot_list", store_snapshot_list(st, "acme", &list, &n_list)},
	        {"store_feed_held", store_feed_held(st, "acme", &ids, &n_held)},
	        {"store_feed_head", store_feed_head(st, "acme", &seq, &id)},
	        {"store_snapshot_held_sha", (int)store_snapshot_held_sha(st, "acme", "00")},
	        {"store_snapshot_applied_sha", (int)store_snapshot_applied_sha(st, "acme", "00")},
	        {"store_each_snapshot", store_each_snapshot(st, "acme", 0, snap_row, NULL)},
	        {"store_each_applied", store_each_applied(st, "acme", snap_row, NULL)},
	        {"store_each_record", store_each_record(st, "acme", 2, record_row, NULL)},
	        {"store_each_reject", store_each_reject(st, 2, reject_row, NULL)},
	        {"store_each_warning", store_each_warning(st, 2, warning_row, NULL)},
	        {"store_history", store_history(st, "WVWZZZ1JZXW000002", &h, &n)},
	        {"store_each_current", store_each_current(st, "acme", raw_row, NULL)},
	        {"store_diff_each", store_diff_each(st, "acme", 1, 2, diff_row, NULL)},
	        {"store_diff_each_full", store_diff_each_full(st, "acme", 1, 2, diff_row, NULL)},
	        {"store_each_at", store_each_at(st, "acme", 2, raw_row, NULL)},
	        {"store_feed_totals", store_feed_totals(st, "acme", &ft)},
	        {"store_each_feed_reject",
	         store_each_feed_reject(st, "acme", 10, feed_reject_row, NULL)},
	        {"store_each_quarantine",
	         store_each_quarantine(st, "acme", 10, quarantine_row, NULL)},
	};

	for (size_t i = 0; i < ARRAY_SIZE(r); i++)
		ck_assert_msg((r[i].rc == -1) == fail, "%s: %s returned %d", how, r[i].what,
		              r[i].rc);
	if (!fail) {
		snapshot_info_release(&si);
		snapshot_list_free(list, n_list);
		free(ids);
		history_free(h, n);
	}
}

/* A database whose statements cannot be prepared, or fail when stepped, is never "no rows". */
START_TEST(every_read_of_a_failing_database_is_an_error)
{
	char *tmpl = make_template(), *db = xasprintf("%s/w/lotsync.db", dir);
	struct store *st;
	struct world w;

	copy_of(&w, tmpl); /* days 1 and 2, so that every read has rows to step to */
	clock_set(1777708800);
	ck_assert_int_eq(batch(&w), LS_EXIT_OK);
	world_close(&w);

	ck_assert_int_eq(store_open(db, true, &st), 0);
	every_read(st, "healthy", false);
	store_close(st);

	ck_assert_int_eq(store_open(db, true, &st), 0); /* a fresh connection: nothing prepared */
	sqlite3_set_authorizer(st->db, unit_sqlite_deny, NULL);
	every_read(st, "prepare refused", true);
	sqlite3_set_authorizer(st->db, NULL, NULL);
	store_close(st);

	ck_assert_int_eq(store_open(db, true, &st), 0);
	sqlite3_progress_handler(st->db, 1, unit_sqlite_interrupt, NULL);
	every_read(st, "every step interrupted", true);
	sqlite3_progress_handler(st->db, 0, NULL, NULL);
	store_close(st);
	free(db);
	free(tmpl);
	clock_set_real();
}
END_TEST

static int
stop_at_first(void *ctx, const struct store_diff_item *d)
{
	(void)ctx, (void)d;
	return 5;
}

/*
 * The auditor's streamed diff and scan with the Nth of their statements
 * failing (the cache-size and mmap pragmas, each version read, the walk):
 * -1 every time the fault is met, and the callback's own stop passed on.
 */
START_TEST(a_diff_fails_at_any_statement)
{
	char *tmpl = make_template(), *db = xasprintf("%s/w/lotsync.db", dir);
	struct store *st;
	struct world w;
	long n, hits = 0;

	copy_of(&w, tmpl);
	clock_set(1777708800);
	ck_assert_int_eq(batch(&w), LS_EXIT_OK);
	world_close(&w);
	ck_assert_int_eq(store_open(db, true, &st), 0);
	ck_assert_int_eq(store_diff_each_full(st, "acme", 1, 2, stop_at_first, NULL), 5);
	for (int which = 0; which < 3; which++) {
		for (n = 1;; n++) {
			int rc;

			arm(st, n);
			rc = which == 0   ? store_diff_each_full(st, "acme", 1, 2, diff_row, NULL)
			     : which == 1 ? store_diff_each(st, "acme", 2, 1, diff_row, NULL)
			                  : store_each_at(st, "acme", 2, raw_row, NULL);
			disarm(st);
			if (started < n) {
				ck_assert_int_eq(rc, 0);
				break;
			}
			ck_assert_msg(rc == -1, "read %d, statement %ld failed: returned %d", which,
			              n, rc);
			hits++;
		}
	}
	ck_assert_int_gt(hits, 10);
	store_close(st);
	free(db);
	free(tmpl);
	clock_set_real();
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("dbfault");
	TCase *tc = unit_tcase(s, "store", setup, teardown);

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, every_statement_of_a_batch_fails_once);
	tcase_add_test(tc, a_full_disk_is_74_and_the_next_run_converges);
	tcase_add_test(tc, every_read_of_a_failing_database_is_an_error);
	tcase_add_test(tc, a_diff_fails_at_any_statement);
	return s;
}

UNIT_MAIN(make_suite)
