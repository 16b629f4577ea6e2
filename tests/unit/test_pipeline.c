/* test_pipeline.c - parse_csv, spool, runlock and ingest into a real SQLite file. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/app.h"
#include "lotsync/buf.h"
#include "lotsync/clock.h"
#include "lotsync/ingest.h"
#include "lotsync/parse_csv.h"
#include "lotsync/runlock.h"
#include "lotsync/util.h"

#include "unit.h"

UNIT_DIR_FIXTURE(dir)

/* Write dir/sub/name (sub created); returns the path, caller frees. */
static char *
write_file(const char *sub, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s/%s", dir, sub, name);

	unit_write_str(p, text, 0644);
	return p;
}

struct rows {
	unsigned long lines[16];
	size_t nfields[16];
	char first[16][64];
	int n;
};

static enum ls_scope
collect(void *ctx, unsigned long line, const struct span *f, const unsigned char *plain, size_t n)
{
	struct rows *r = ctx;

	(void)plain;
	if (r->n < 16) {
		r->lines[r->n] = line;
		r->nfields[r->n] = n;
		snprintf(r->first[r->n], sizeof(r->first[0]), "%.*s", (int)f[0].n, f[0].p);
	}
	r->n++;
	return LS_OK;
}

/*
 * The whole file as one final chunk, read into a capped buffer; a file
 * error comes back as "FILE:LINE: reason" in *why (caller frees).
 */
static enum ls_scope
parse_file(const char *path, const struct pcsv_opts *o, struct rows *r, char **why)
{
	struct buf b;
	struct pcsv_result res = {0};
	char piece[4096];
	size_t k;
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	buf_init(&b, 1 << 20);
	while ((k = fread(piece, 1, sizeof(piece), f)) > 0)
		ck_assert_int_eq(buf_append(&b, piece, k), 0);
	fclose(f);
	pcsv_parse_chunk(o, b.p, b.len, true, collect, r, &res);
	if (res.error && why)
		*why = xasprintf("%s:%lu: %s", path, res.error_line, res.error);
	free(res.error);
	buf_release(&b);
	return res.scope;
}

START_TEST(csv_records_know_their_start_line)
{
	char *p = write_file("in", "a.csv", "h1,h2\r\n\"multi\nline\",x\r\n\nlast,y\n");
	struct pcsv_opts o = {.delimiter = ',', .quote = '"'};
	struct rows r = {0};

	ck_assert_int_eq(parse_file(p, &o, &r, NULL), LS_OK);
	ck_assert_int_eq(r.n, 3);
	ck_assert_uint_eq(r.lines[1], 2);
	ck_assert_str_eq(r.first[1], "multi\nline");
	ck_assert_uint_eq(r.lines[2], 5);
	ck_assert_str_eq(r.first[2], "last");
	free(p);
}
END_TEST

START_TEST(csv_unterminated_quote_is_a_file_error)
{
	char *p = write_file("in", "b.csv", "h1,h2\nok,1\n\"open,2\n");
	struct pcsv_opts o = {.delimiter = ',', .quote = '"'};
	struct rows r = {0};
	char *why = NULL;

	ck_assert_int_eq(parse_file(p, &o, &r, &why), LS_BAD_FILE);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, "b.csv:3: ") && strstr(why, "unterminated"), "why: %s", why);
	free(why);
	free(p);
}
END_TEST

START_TEST(csv_field_count_cap)
{
	char *p = write_file("in", "c.csv", "a,b,c,d,e,f\n");
	struct pcsv_opts o = {.delimiter = ',', .quote = '"', .max_fields = 4};
	struct rows r = {0};

	ck_assert_int_eq(parse_file(p, &o, &r, NULL), LS_BAD_FILE);
	ck_assert_int_eq(r.n, 0);
	free(p);
}
END_TEST

START_TEST(spool_claims_only_complete_regular_files)
{
	struct spool sp;
	struct spool_scan scan;
	char *root = xasprintf("%s/spool", dir), *p, *fifo, *link;

	spool_init(&sp, root);
	ck_assert_int_eq(spool_prepare_feed(&sp, "acme"), 0);
	free(write_file("spool/incoming/acme", "ready.csv", "x\n"));
	free(write_file("spool/incoming/acme", "ready.csv.done", ""));
	free(write_file("spool/incoming/acme", "fresh.csv", "x\n"));
	free(write_file("spool/incoming/acme", "upload.csv.part", "x\n"));
	free(write_file("spool/incoming/acme", ".hidden.csv", "x\n"));
	fifo = xasprintf("%s/incoming/acme/pipe.csv", root);
	link = xasprintf("%s/incoming/acme/link.csv", root);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(symlink("/etc/passwd", link), 0);
	/* fresh.csv was just written: not settled for 3600 s, no marker. */
	ck_assert_int_eq(spool_scan_incoming(&sp, "acme", 3600, &scan), 0);
	ck_assert_uint_eq(scan.nfiles, 1);
	ck_assert_str_eq(scan.files[0].name, "ready.csv");
	ck_assert_uint_eq(scan.refused, 2);
	ck_assert_uint_eq(scan.waiting, 1);
	ck_assert_int_eq(spool_claim(&sp, "acme", &scan.files[0], &p), SPOOL_CLAIMED);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(access(p, F_OK), 0);
	ck_assert_int_eq(access(scan.files[0].path, F_OK), -1);
	free(p);
	p = xasprintf("%s/work/acme/ready.csv.done", root);
	ck_assert_int_eq(access(p, F_OK), 0);
	free(p);
	spool_scan_release(&scan);
	/* settle_seconds = 0 claims at once. */
	ck_assert_int_eq(spool_scan_incoming(&sp, "acme", 0, &scan), 0);
	ck_assert_uint_eq(scan.nfiles, 1);
	ck_assert_str_eq(scan.files[0].name, "fresh.csv");
	spool_scan_release(&scan);
	spool_release(&sp);
	free(fifo);
	free(link);
	free(root);
}
END_TEST

START_TEST(runlock_refuses_a_second_holder)
{
	int fd1 = -1, fd2 = -1;

	ck_assert_int_eq(runlock_take(dir, NULL, &fd1), LS_EXIT_OK);
	/* flock is per open file description: a second open conflicts even in-process. */
	ck_assert_int_eq(runlock_take(dir, NULL, &fd2), LS_EXIT_TEMPFAIL);
	runlock_release(fd1);
	ck_assert_int_eq(runlock_take(dir, NULL, &fd2), LS_EXIT_OK);
	runlock_release(fd2);
}
END_TEST

/* An app with one drop feed, profile generic-csv from the source tree. */
static void
make_app(struct app *app, struct feed_conf *feed)
{
	const char *src = getenv("LOTSYNC_SRCDIR");
	char *root = xasprintf("%s/spool", dir), *db = xasprintf("%s/lotsync.db", dir);

	memset(app, 0, sizeof(*app));
	memset(feed, 0, sizeof(*feed));
	feed->name = "acme";
	feed->source = "drop";
	feed->profile = "generic-csv";
	feed->key = FEED_KEY_VIN;
	feed->vanish_guard = 0.20;
	feed->vanish_guard_min = 10;
	app->cfg.dir = xasprintf("%s/conf", src ? src : ".");
	app->cfg.feeds = feed;
	app->cfg.nfeeds = 1;
	spool_init(&app->spool, root);
	ck_assert_int_eq(store_open(db, false, &app->store), 0);
	app->run = store_run_begin(app->store, "test", "2026-01-01T00:00:00Z");
	ck_assert_int_gt(app->run, 0);
	free(root);
	free(db);
}

static void
free_app(struct app *app)
{
	store_close(app->store);
	spool_release(&app->spool);
	free(app->cfg.dir);
}

#define HDR "DealerID,VIN,StockNo,Price\n"
/* Valid 17-character VINs (check digits right): the profile normalises and checks them. */
#define VINA "WVWZZZ1J30W000001"
#define VINB "WVWZZZ1J50W000002"
#define VINC "WVWZZZ1J70W000003"
#define VIND "WVWZZZ1J90W000004"
#define VINE "WVWZZZ1J00W000005"

START_TEST(ingest_counts_new_changed_vanished_and_rejects)
{
	char *db = xasprintf("%s/lotsync.db", dir);
	struct app app;
	struct srs_run *srs = srs_run_new();
	enum ls_exit status = LS_EXIT_OK; /* every ingest's result, folded */
	struct feed_conf feed;
	struct ingest_summary s;
	struct snapshot_info *list;
	size_t n;

	make_app(&app, &feed);
	spool_prepare_feed(&app.spool, "acme");
	free(write_file("spool/incoming/acme", "1.csv",
	                HDR "D1," VINA ",1,100\nD1," VINB ",2,200\nD1," VINC ",3,300\n"));
	clock_set(1000);
	status = status_worse(status, ingest_feed(&app, srs, &feed, &s, NULL));
	ck_assert_int_eq(status, LS_EXIT_OK);
	ck_assert_int_eq(s.files, 1);
	ck_assert_int_eq(s.new_, 3);
	/*
	 * B changes price, C vanishes, D is new, E's first row is refused (not
	 * created), A is repeated. (A row without a readable key while C
	 * vanishes would hold the file: see tests/fixtures/dirty/CASES.)
	 */
	free(write_file("spool/incoming/acme", "2.csv",
	                HDR "D1,wvwzzz1j30w000001,1,100\nD1," VINB ",2,250\nD1," VIND
	                    ",4,400\nD1," VINE ",5,abc\nD1," VINA ",9,1\n"));
	status = status_worse(status, ingest_feed(&app, srs, &feed, &s, NULL));
	ck_assert_int_eq(status, LS_EXIT_OK);
	ck_assert_int_eq(s.vehicles, 3);
	ck_assert_int_eq(s.new_, 1);
	ck_assert_int_eq(s.changed, 1);
	ck_assert_int_eq(s.vanished, 1);
	ck_assert_int_eq(s.rejected, 2);
	/* Which vehicles, not only how many: current A, B, D; D new, B changed, C vanished. */
	unit_assert_sql(db, "select key from versions where to_seq is null order by key",
	                VINA "\n" VINB "\n" VIND);
	unit_assert_sql(db,
	                "select key || ':' || (select count(*) from versions o where o.key = v.key"
	                " and o.from_seq < 2) from versions v where from_seq = 2 order by key",
	                VINB ":1\n" VIND ":0");
	unit_assert_sql(db,
	                "select key from versions v where to_seq = 2 and not exists (select 1 from"
	                " versions o where o.key = v.key and o.from_seq = 2)",
	                VINC);
	unit_assert_sql(db, "select line || ':' || reason from rejected_rows order by line",
	                "5:'abc' is not an amount (column Price) (key " VINE
	                ")\n6:duplicate key '" VINA "' (first on line 2)");
	/* Same bytes again: a duplicate, nothing applied. */
	free(write_file("spool/incoming/acme", "3.csv",
	                HDR "D1,wvwzzz1j30w000001,1,100\nD1," VINB ",2,250\nD1," VIND
	                    ",4,400\nD1," VINE ",5,abc\nD1," VINA ",9,1\n"));
	status = status_worse(status, ingest_feed(&app, srs, &feed, &s, NULL));
	ck_assert_int_eq(s.files, 0);
	ck_assert_int_eq(s.duplicates, 1);
	ck_assert_int_eq(store_snapshot_list(app.store, "acme", &list, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(list[2].state, SNAP_DUPLICATE);
	ck_assert_int_eq(list[1].rejected_rows, 2);
	snapshot_list_free(list, n);
	srs_run_free(srs);
	free_app(&app);
	clock_set_real();
	free(db);
}
END_TEST

START_TEST(ingest_quarantines_unreadable_file_and_goes_on)
{
	struct app app;
	struct srs_run *srs = srs_run_new();
	enum ls_exit status = LS_EXIT_OK; /* every ingest's result, folded */
	struct feed_conf feed;
	struct ingest_summary s;
	char *reason, *archived, *db = xasprintf("%s/lotsync.db", dir);

	make_app(&app, &feed);
	spool_prepare_feed(&app.spool, "acme");
	free(write_file("spool/incoming/acme", "bad.csv", HDR "D1,\"" VINA ",1,100\n"));
	free(write_file("spool/incoming/acme", "good.csv", HDR "D1," VINB ",2,200\n"));
	status = status_worse(status, ingest_feed(&app, srs, &feed, &s, NULL));
	ck_assert_int_eq(status, LS_EXIT_DATAERR);
	ck_assert_int_eq(s.quarantined, 1);
	/* ... and goes on: the next file of the feed is applied. */
	ck_assert_int_eq(s.files, 1);
	unit_assert_sql(db, "select file || ':' || state from snapshots", "good.csv:applied");
	unit_assert_sql(db, "select key from versions where to_seq is null", VINB);
	unit_assert_sql(db, "select file from quarantine", "bad.csv");
	reason = xasprintf("%s/spool/failed/acme/bad.csv.reason", dir);
	ck_assert_int_eq(access(reason, F_OK), 0);
	/* Nothing received is lost: the raw file is archived too. */
	archived = xasprintf("%s/spool/failed/acme/bad.csv", dir);
	ck_assert_int_eq(access(archived, F_OK), 0);
	free(reason);
	free(archived);
	free(db);
	srs_run_free(srs);
	free_app(&app);
}
END_TEST

/* Entries of a folder, hidden ones (temporary files) left out. */
static int
unit_count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * A feed staged while another is ingested (ingest_stage_start): its first
 * file claimed and archived ahead, its second claimed in place, both
 * applied in order; leftovers in work/ still go first; a stage the run
 * drops leaves its claimed file in work/, and the next ingest applies it;
 * a dry run stages nothing.
 */
START_TEST(ingest_takes_a_staged_feed_as_its_own_steps)
{
	char *db = xasprintf("%s/lotsync.db", dir), *p;
	struct app app;
	struct srs_run *srs = srs_run_new();
	struct feed_conf feed, beta;
	struct ingest_summary s;
	struct ingest_stage *st;

	make_app(&app, &feed);
	beta = feed;
	beta.name = "beta";
	spool_prepare_feed(&app.spool, "acme");
	spool_prepare_feed(&app.spool, "beta");
	free(write_file("spool/incoming/acme", "a.csv", HDR "D1," VINA ",1,100\n"));
	p = write_file("spool/incoming/beta", "1.csv", HDR "D2," VINB ",2,200\n");
	free(write_file("spool/incoming/beta", "2.csv", HDR "D2," VINC ",3,300\n"));
	/* 1.csv is the older: the spool orders by mtime, then name */
	ck_assert_int_eq(utimensat(AT_FDCWD, p, (struct timespec[]){{1, 0}, {1, 0}}, 0), 0);
	free(p);
	st = ingest_stage_start(&app, &beta);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(ingest_feed(&app, srs, &feed, &s, NULL), LS_EXIT_OK);
	ck_assert_int_eq(ingest_feed(&app, srs, &beta, &s, st), LS_EXIT_OK);
	ck_assert_int_eq(s.files, 2);
	unit_assert_sql(db, "select feed || ':' || file || ':' || state from snapshots order by id",
	                "acme:a.csv:applied\nbeta:1.csv:applied\nbeta:2.csv:applied");
	unit_assert_sql(db, "select key from versions where feed = 'beta' and to_seq is null",
	                VINC);
	p = xasprintf("%s/spool/work/beta", dir);
	ck_assert_int_eq(unit_count_entries(p), 0);
	free(p);
	p = xasprintf("%s/spool/archive/beta", dir);
	ck_assert_int_eq(unit_count_entries(p), 2);
	free(p);

	/* A leftover in work/ goes before the newer file of incoming/, staged or not */
	free(write_file("spool/work/beta", "3.csv", HDR "D2," VIND ",4,400\n"));
	free(write_file("spool/incoming/beta", "4.csv", HDR "D2," VINE ",5,500\n"));
	st = ingest_stage_start(&app, &beta);
	ck_assert_int_eq(ingest_feed(&app, srs, &beta, &s, st), LS_EXIT_OK);
	ck_assert_int_eq(s.files, 2);
	unit_assert_sql(db, "select file from snapshots where feed = 'beta' order by id",
	                "1.csv\n2.csv\n3.csv\n4.csv");

	/* Dropped after it claimed and archived: the file waits in work/, then is applied */
	free(write_file("spool/incoming/beta", "5.csv", HDR "D2," VINA ",6,600\n"));
	ingest_stage_drop(ingest_stage_start(&app, &beta));
	p = xasprintf("%s/spool/work/beta/5.csv", dir);
	ck_assert_int_eq(access(p, F_OK), 0);
	free(p);
	unit_assert_sql(db, "select count(*) from snapshots where file = '5.csv'", "0");
	ck_assert_int_eq(ingest_feed(&app, srs, &beta, &s, NULL), LS_EXIT_OK);
	unit_assert_sql(db, "select state from snapshots where file = '5.csv'", "applied");

	app.dry_run = true;
	ck_assert_ptr_null(ingest_stage_start(&app, &beta));
	srs_run_free(srs);
	free_app(&app);
	free(db);
}
END_TEST

/*
 * A feed whose archive cannot be written stops at its first file: that
 * file waits in work/, the later one is not even claimed, and the run says
 * 74. Once the spool is repaired both are ingested, in order.
 */
START_TEST(ingest_stops_the_feed_when_its_spool_fails)
{
	struct app app;
	struct srs_run *srs = srs_run_new();
	struct feed_conf feed;
	struct ingest_summary s;
	char *archive = xasprintf("%s/spool/archive/acme", dir);
	char *work1 = xasprintf("%s/spool/work/acme/1.csv", dir);
	char *in2 = xasprintf("%s/spool/incoming/acme/2.csv", dir);

	make_app(&app, &feed);
	spool_prepare_feed(&app.spool, "acme");
	free(write_file("spool/incoming/acme", "1.csv", HDR "D1," VINA ",1,100\n"));
	free(write_file("spool/incoming/acme", "2.csv",
	                HDR "D1," VINA ",1,100\nD1," VINB ",2,200\n"));
	/* A file where the archive folder should be: no link or copy can go there */
	ck_assert_int_eq(rmdir(archive), 0);
	free(write_file("spool/archive", "acme", "not a folder"));
	ck_assert_int_eq(ingest_feed(&app, srs, &feed, &s, NULL), LS_EXIT_IOERR);
	ck_assert_int_eq(s.scope, LS_BAD_FEED);
	ck_assert_int_eq(s.files, 0);
	ck_assert_int_eq(access(work1, F_OK), 0);
	ck_assert_int_eq(access(in2, F_OK), 0);

	ck_assert_int_eq(unlink(archive), 0);
	ck_assert_int_eq(ingest_feed(&app, srs, &feed, &s, NULL), LS_EXIT_OK);
	ck_assert_int_eq(s.scope, LS_OK);
	ck_assert_int_eq(s.files, 2);
	ck_assert_int_eq(s.new_, 2);
	ck_assert_int_eq(access(work1, F_OK), -1);
	free(archive);
	free(work1);
	free(in2);
	srs_run_free(srs);
	free_app(&app);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = unit_tcase(s, "files", setup, teardown);

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, csv_records_know_their_start_line);
	tcase_add_test(tc, csv_unterminated_quote_is_a_file_error);
	tcase_add_test(tc, csv_field_count_cap);
	tcase_add_test(tc, spool_claims_only_complete_regular_files);
	tcase_add_test(tc, runlock_refuses_a_second_holder);
	tcase_add_test(tc, ingest_counts_new_changed_vanished_and_rejects);
	tcase_add_test(tc, ingest_quarantines_unreadable_file_and_goes_on);
	tcase_add_test(tc, ingest_stops_the_feed_when_its_spool_fails);
	tcase_add_test(tc, ingest_takes_a_staged_feed_as_its_own_steps);
	return s;
}

UNIT_MAIN(make_suite)
