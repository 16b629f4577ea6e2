/*
 * test_property.c - properties of ingest over random feeds (issue 11):
 *   1. the same sequence of files into two fresh stores gives identical
 *      stores (snapshots, versions, refused rows): ingest decides from the
 *      files and the clock alone;
 *   2. a file identical to the feed's newest applied snapshot changes
 *      nothing (a duplicate: no version, no vehicle, no count moves);
 *   3. a file identical to an older snapshot (without refused rows) brings
 *      back exactly that snapshot's vehicles.
 * Files are random subsets of a vehicle pool with random price and mileage
 * changes, refused rows (a price of "abc") and resends of older files.
 * PROPERTY_SEED=N picks another seed; PROPERTY_ROUNDS=N the number of feeds.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/app.h"
#include "lotsync/clock.h"
#include "lotsync/ingest.h"
#include "lotsync/srs.h"
#include "lotsync/util.h"
#include "unit.h"

#define POOL  30
#define FILES 12

static unsigned long long rng;

static unsigned
rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng >> 33) % n);
}

/* A VIN-shaped key per pool index (vin_check = warn: check digits do not matter). */
static void
vin_of(int i, char out[18])
{
	/* % keeps the number at six digits, so the compiler sees that it fits */
	snprintf(out, 18, "WVWZZZ1KZ6W%06u", (100000u + (unsigned)i) % 1000000u);
}

/* Random file content: which vehicles, their prices and mileages (and some refused rows). */
static char *
random_file(bool refused)
{
	char *s = xstrdup("DealerID,VIN,StockNo,Mileage,Price\n");

	for (int i = 0; i < POOL; i++) {
		char vin[18], *n;

		if (rnd(10) < 2)
			continue; /* not in this file */
		vin_of(i, vin);
		if (refused && rnd(25) == 0)
			n = xasprintf("%sD1,%s,S%d,%u,abc\n", s, vin, i, 1000 * rnd(50));
		else
			n = xasprintf("%sD1,%s,S%d,%u,%u\n", s, vin, i, 1000 * rnd(50),
			              9000 + 500 * rnd(8));
		free(s);
		s = n;
	}
	return s;
}

static char *
dump(const char *db)
{
	static const char *const q[] = {
	        "SELECT state, seq, sha256, vehicles, new, changed, vanished, rejected_rows"
	        " FROM snapshots ORDER BY id",
	        "SELECT key, hash, data, from_seq, to_seq FROM versions ORDER BY id",
	        "SELECT snapshot_id, line, reason, key FROM rejected_rows ORDER BY rowid"};
	sqlite3 *h;
	char *out = xstrdup("");

	ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (size_t k = 0; k < ARRAY_SIZE(q); k++) {
		sqlite3_stmt *s;

		ck_assert_int_eq(sqlite3_prepare_v2(h, q[k], -1, &s, NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(s); c++) {
				const char *v = (const char *)sqlite3_column_text(s, c);
				char *n = xasprintf("%s%s|", out, v ? v : "NULL");

				free(out);
				out = n;
			}
			{
				char *n = xasprintf("%s\n", out);

				free(out);
				out = n;
			}
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(h);
	return out;
}

/* Only the versions and snapshots that change vehicles: a duplicate adds a snapshot row only. */
static char *
dump_versions(const char *db)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	char *out = xstrdup("");

	ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h,
	                                    "SELECT key, hash, from_seq, to_seq FROM versions"
	                                    " ORDER BY id",
	                                    -1, &s, NULL),
	                 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		char *n = xasprintf("%s%s %s %s %s\n", out, sqlite3_column_text(s, 0),
		                    sqlite3_column_text(s, 1), sqlite3_column_text(s, 2),
		                    sqlite3_column_text(s, 3) ? (char *)sqlite3_column_text(s, 3)
		                                              : "-");

		free(out);
		out = n;
	}
	sqlite3_finalize(s);
	sqlite3_close(h);
	return out;
}

struct world {
	char dir[64], *root, *db;
	struct app app;
	struct srs_run *srs;
	struct feed_conf feed;
	char *src;
};

static void
world_open(struct world *w, const char *name)
{
	char *conf;

	memset(w, 0, sizeof(*w));
	unit_tmpdir(w->dir, sizeof(w->dir));
	w->src = xstrdup(getenv("LOTSYNC_SRCDIR") ? getenv("LOTSYNC_SRCDIR") : ".");
	w->root = xasprintf("%s/spool-%s", w->dir, name);
	w->db = xasprintf("%s/%s.db", w->dir, name);
	w->feed = (struct feed_conf){.name = "p",
	                             .source = "drop",
	                             .profile = "generic-csv",
	                             .vanish_guard = 1.0,
	                             .vanish_guard_min = 1000};
	conf = xasprintf("%s/conf", w->src);
	w->app.cfg.dir = conf;
	w->app.cfg.feeds = &w->feed;
	w->app.cfg.nfeeds = 1;
	spool_init(&w->app.spool, w->root);
	ck_assert_int_eq(spool_prepare_feed(&w->app.spool, "p"), 0);
	ck_assert_int_eq(store_open(w->db, false, &w->app.store), 0);
	w->srs = srs_run_new();
}

static void
world_close(struct world *w)
{
	srs_run_free(w->srs);
	store_close(w->app.store);
	spool_release(&w->app.spool);
	free(w->app.cfg.dir);
	unit_rmtree(w->dir);
	free(w->root);
	free(w->db);
	free(w->src);
}

/* Drop text as incoming/p/NAME and ingest it at day; returns the summary. */
static struct ingest_summary
feed_file(struct world *w, const char *name, const char *text, int day)
{
	char *path = xasprintf("%s/incoming/p/%s", w->root, name), iso[CLOCK_ISO_LEN];
	FILE *f = fopen(path, "w");
	struct ingest_summary sum;

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	clock_set(1767225600 + 3600LL * day);
	clock_format(clock_now(), iso);
	w->app.run = store_run_begin(w->app.store, "test", iso);
	store_run_end(w->app.store, w->app.run, ingest_feed(&w->app, w->srs, &w->feed, &sum, NULL));
	free(path);
	return sum;
}

START_TEST(replay_and_duplicates)
{
	const char *seed = getenv("PROPERTY_SEED");
	char *files[FILES], *newest = NULL;
	struct world a, b;
	char *da, *db;
	int day = 0;

	rng = (seed ? strtoull(seed, NULL, 10) : 11) + (unsigned long long)_i * 7919;
	for (int i = 0; i < FILES; i++)
		/* a third of the files resend an earlier one byte for byte */
		files[i] =
		        i > 1 && rnd(3) == 0 ? xstrdup(files[rnd((unsigned)i)]) : random_file(true);
	world_open(&a, "a");
	world_open(&b, "b");
	for (int i = 0; i < FILES; i++) {
		char name[32];
		struct ingest_summary sa, sb;

		snprintf(name, sizeof(name), "f%02d.csv", i);
		sa = feed_file(&a, name, files[i], day);
		sb = feed_file(&b, name, files[i], day);
		ck_assert_int_eq(sa.files + sa.duplicates, 1);
		ck_assert_int_eq(sb.files + sb.duplicates, 1);
		/* Identical to the newest applied: a duplicate, and only then. */
		ck_assert_int_eq(sa.duplicates, newest && !strcmp(newest, files[i]));
		newest = files[i];
		day++;
		/* Property 2: the newest applied file again changes no version. */
		{
			char *before = dump_versions(a.db), *after, again[32];
			struct ingest_summary s;

			snprintf(again, sizeof(again), "again%02d.csv", i);
			s = feed_file(&a, again, files[i], day);
			ck_assert_int_eq(s.duplicates, 1);
			ck_assert_int_eq(s.files, 0);
			after = dump_versions(a.db);
			ck_assert_str_eq(before, after);
			free(before);
			free(after);
			s = feed_file(&b, again, files[i], day);
			ck_assert_int_eq(s.duplicates, 1);
			day++;
		}
	}
	/* Property 1: two fresh stores fed the same sequence are identical. */
	da = dump(a.db);
	db = dump(b.db);
	ck_assert_str_eq(da, db);
	free(da);
	free(db);
	world_close(&a);
	world_close(&b);
	for (int i = 0; i < FILES; i++)
		free(files[i]);
}
END_TEST

/* Property 3: resending snapshot k's file restores exactly snapshot k's vehicles. */
static int
collect(void *ctx, const struct record *r)
{
	char **s = ctx;
	char *n = xasprintf("%s%s %llx\n", *s, r->key, (unsigned long long)r->hash);

	free(*s);
	*s = n;
	return 0;
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the lines of s in place (the store lists vehicles in version order). */
static void
sort_lines(char *s)
{
	char **v = NULL, *copy = xstrdup(s), *save = NULL, *o = s;
	size_t n = 0, alloc = 0;

	for (char *t = strtok_r(copy, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		v = xgrow(v, &alloc, n + 1, sizeof(*v));
		v[n++] = t;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_line);
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(v[i]);

		memcpy(o, v[i], k);
		o += k;
		*o++ = '\n';
	}
	*o = '\0';
	free(v);
	free(copy);
}

START_TEST(resend_restores)
{
	struct world w;
	char *f1, *f2, *state1 = xstrdup(""), *state3 = xstrdup("");

	rng = 4242 + (unsigned long long)_i;
	world_open(&w, "r");
	/* Without refused rows: a refused row keeps the vehicle it had (not the older state). */
	f1 = random_file(false);
	f2 = random_file(false);
	ck_assert_int_eq(feed_file(&w, "d1.csv", f1, 0).files, 1);
	ck_assert_int_eq(store_each_record(w.app.store, "p", 0, collect, &state1), 0);
	feed_file(&w, "d2.csv", f2, 1);
	ck_assert_int_eq(feed_file(&w, "d3.csv", f1, 2).files, strcmp(f1, f2) ? 1 : 0);
	ck_assert_int_eq(store_each_record(w.app.store, "p", 0, collect, &state3), 0);
	sort_lines(state1);
	sort_lines(state3);
	ck_assert_str_eq(state1, state3);
	free(state1);
	free(state3);
	free(f1);
	free(f2);
	world_close(&w);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("property");
	TCase *tc = unit_tcase(s, "ingest properties", NULL, NULL);
	const char *rounds = getenv("PROPERTY_ROUNDS");
	int n = rounds ? atoi(rounds) : 8;

	setenv("LOTSYNC_PARSE_THREADS", "1", 1);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, replay_and_duplicates, 0, n);
	tcase_add_loop_test(tc, resend_restores, 0, n);
	return unit_run(s);
}
