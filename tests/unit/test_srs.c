/*
 * test_srs.c - the rules against a real SQLite file: the ingest hook and
 * the path `accept` takes (vehicles read back from the store) decide the
 * same, nested transactions (what --dry-run relies on) roll back exactly
 * their own work.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/app.h"
#include "lotsync/clock.h"
#include "lotsync/ingest.h"
#include "lotsync/srs.h"
#include "lotsync/store_rules.h"
#include "lotsync/util.h"

#include "unit.h"

#define DAY 86400
#define T0  1767225600 /* 2026-01-01T00:00:00Z */

UNIT_DIR_FIXTURE(dir)

/* One drop feed with rules, in its own directory under dir. */
struct world {
	struct app app;
	struct srs_run *srs;
	enum ls_exit status; /* every ingest's result, folded */
	struct feed_conf feed;
	struct client_map clients[2];
	char *root;
};

static void
world_init(struct world *w, const char *name)
{
	const char *src = getenv("LOTSYNC_SRCDIR");
	char *db;

	memset(w, 0, sizeof(*w));
	w->root = xasprintf("%s/%s", dir, name);
	db = xasprintf("%s/lotsync.db", w->root);
	w->feed = (struct feed_conf){.name = "acme",
	                             .source = "drop",
	                             .profile = "generic-csv",
	                             .key = FEED_KEY_VIN,
	                             .track_stock_client = 3,
	                             .auto_close = 3};
	w->clients[0] = (struct client_map){.label = "one", .dealer_id = "D1", .name = "One"};
	w->app.cfg.dir = xasprintf("%s/conf", src ? src : ".");
	w->app.cfg.feeds = &w->feed;
	w->app.cfg.nfeeds = 1;
	w->app.cfg.clients = w->clients;
	w->app.cfg.nclients = 1;
	spool_init(&w->app.spool, w->root);
	ck_assert_int_eq(spool_prepare_feed(&w->app.spool, "acme"), 0);
	ck_assert_int_eq(store_open(db, false, &w->app.store), 0);
	w->app.run = store_run_begin(w->app.store, "test", "2026-01-01T00:00:00Z");
	w->srs = srs_run_new();
	free(db);
}

static void
world_free(struct world *w)
{
	srs_run_free(w->srs);
	store_close(w->app.store);
	spool_release(&w->app.spool);
	free(w->app.cfg.dir);
	free(w->root);
}

static void
drop(struct world *w, const char *name, const char *text)
{
	char *p = xasprintf("%s/incoming/acme/%s", w->root, name);
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static long long
ingest_at(struct world *w, double day)
{
	struct ingest_summary s;

	clock_set((time_t)(T0 + day * DAY));
	w->status = status_worse(w->status, ingest_feed(&w->app, w->srs, &w->feed, &s, NULL));
	ck_assert_int_eq(w->status, LS_EXIT_OK);
	ck_assert_uint_eq(s.files, 1);
	return s.last_snapshot;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* The SRs and the rule events as one comparable text. */
static char *
dump(struct world *w)
{
	struct sr_info *l;
	struct history_event *h;
	size_t n, nh;
	char *acc = xstrdup(""), *next;

	ck_assert_int_eq(store_sr_list(w->app.store, NULL, NULL, &l, &n), 0);
	for (size_t i = 0; i < n; i++) {
		next = xasprintf("%s%lld %s %s %s %s\n", acc, l[i].id, l[i].vin, l[i].status,
		                 l[i].stock_no, l[i].created_at);
		free(acc);
		acc = next;
	}
	sr_list_free(l, n);
	for (const char *const *vin =
	             (const char *const[]){"WVWZZZ1J30W000001", "WVWZZZ1J50W000002",
	                                   "WVWZZZ1J70W000003", "WVWZZZ1J90W000004", NULL};
	     *vin; vin++) {
		ck_assert_int_eq(store_history(w->app.store, *vin, &h, &nh), 0);
		for (size_t i = 0; i < nh; i++) {
			if (strstr(h[i].detail, "file "))
				continue; /* version events name the file: not a rule decision */
			next = xasprintf("%s%s %lld %s %s\n", acc, h[i].at, h[i].snapshot,
			                 h[i].event, h[i].detail);
			free(acc);
			acc = next;
		}
		history_free(h, nh);
	}
	return acc;
}

#define HDR  "DealerID,VIN,StockNo,Type\n"
#define DAY0 HDR "D1,WVWZZZ1J30W000001,S1,N\nD1,WVWZZZ1J50W000002,S2,N\nD9,WVWZZZ1J70W000003,S3,N\n"
#define DAY1                                                                                       \
	HDR "D1,WVWZZZ1J30W000001,S1b,N\nD1,WVWZZZ1J50W000002,S2,N\nD9,WVWZZZ1J70W000003,S3,"      \
	    "N\nD9,WVWZZZ1J90W000004,S4,N\n"

/*
 * World a: both files through the ingest hook. World b: the second file is
 * stored without rules (as a held snapshot is), then srs_apply_snapshot()
 * reads its vehicles back from the store, as `accept` does.
 */
START_TEST(accept_path_decides_as_the_ingest_hook)
{
	struct world a, b;
	long long snap;
	char *da, *db;

	world_init(&a, "a");
	world_init(&b, "b");
	drop(&a, "0.csv", DAY0);
	drop(&b, "0.csv", DAY0);
	ingest_at(&a, 0);
	ingest_at(&b, 0);
	drop(&a, "1.csv", DAY1);
	drop(&b, "1.csv", DAY1);
	ingest_at(&a, 1);
	b.app.cfg.nclients = 0; /* day 1 in b: rules off (nothing vanished, so nothing happens) */
	snap = ingest_at(&b, 1);
	b.app.cfg.nclients = 1;
	ck_assert_int_eq(store_begin(b.app.store), 0);
	ck_assert_int_eq(srs_apply_snapshot(&b.app, b.srs, &b.feed, snap, NULL), 0);
	ck_assert_int_eq(store_commit(b.app.store), 0);
	da = dump(&a);
	db = dump(&b);
	/* WVWZZZ1J70W000003 stays ignored without a second event; WVWZZZ1J90W000004 is new and
	 * ignored; WVWZZZ1J30W000001's stock followed. */
	ck_assert_msg(
	        strstr(da, "updated feed acme, key WVWZZZ1J30W000001, SR 1: stock_no S1 -> S1b"),
	        "%s", da);
	ck_assert_msg(strstr(da, "ignored feed acme, key WVWZZZ1J90W000004"), "%s", da);
	ck_assert_int_eq(count(da, "key WVWZZZ1J70W000003:"), 1);
	ck_assert_str_eq(da, db);
	free(da);
	free(db);
	world_free(&a);
	world_free(&b);
	clock_set_real();
}
END_TEST

START_TEST(accept_path_refuses_a_snapshot_of_another_feed)
{
	struct world w;
	struct feed_conf other = {.name = "beta"};
	long long snap;

	world_init(&w, "w");
	drop(&w, "0.csv", DAY0);
	snap = ingest_at(&w, 0);
	ck_assert_int_eq(store_begin(w.app.store), 0);
	ck_assert_int_eq(srs_apply_snapshot(&w.app, w.srs, &other, snap, NULL), -1);
	store_rollback(w.app.store);
	world_free(&w);
	clock_set_real();
}
END_TEST

static size_t
nsnapshots(struct store *st)
{
	struct snapshot_info *l;
	size_t n;

	ck_assert_int_eq(store_snapshot_list(st, NULL, &l, &n), 0);
	snapshot_list_free(l, n);
	return n;
}

START_TEST(nested_transactions_roll_back_only_their_own_work)
{
	struct world w;
	struct snapshot_info dup = {.feed = "acme",
	                            .state = SNAP_DUPLICATE,
	                            .sha256 = "00",
	                            .file = "x.csv",
	                            .source = "drop",
	                            .profile = "generic-csv",
	                            .received_at = "2026-01-01T00:00:00Z"};

	world_init(&w, "w");
	drop(&w, "0.csv", DAY0);
	ck_assert_int_eq(store_begin(w.app.store), 0); /* what --dry-run does */
	ingest_at(&w, 0);                              /* its own transaction nests inside */
	ck_assert_int_eq(store_sr_count_open(w.app.store), 2);
	ck_assert_uint_eq(nsnapshots(w.app.store), 1);
	ck_assert_int_eq(store_begin(w.app.store), 0);
	ck_assert_int_gt(store_snapshot_add(w.app.store, w.app.run, &dup), 0);
	ck_assert_uint_eq(nsnapshots(w.app.store), 2);
	store_rollback(w.app.store); /* the inner one only */
	ck_assert_uint_eq(nsnapshots(w.app.store), 1);
	ck_assert_int_eq(store_sr_count_open(w.app.store), 2);
	store_rollback(w.app.store); /* the outer: nothing happened */
	ck_assert_uint_eq(nsnapshots(w.app.store), 0);
	ck_assert_int_eq(store_sr_count_open(w.app.store), 0);
	/* And the store is usable as before. */
	ck_assert_int_eq(store_begin(w.app.store), 0);
	ck_assert_int_gt(store_snapshot_add(w.app.store, w.app.run, &dup), 0);
	ck_assert_int_eq(store_commit(w.app.store), 0);
	ck_assert_uint_eq(nsnapshots(w.app.store), 1);
	world_free(&w);
	clock_set_real();
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("srs");
	TCase *tc = unit_tcase(s, "store", setup, teardown);

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, accept_path_decides_as_the_ingest_hook);
	tcase_add_test(tc, accept_path_refuses_a_snapshot_of_another_feed);
	tcase_add_test(tc, nested_transactions_roll_back_only_their_own_work);
	return s;
}

UNIT_MAIN(make_suite)
