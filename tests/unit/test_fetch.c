/*
 * test_fetch.c - the fetch step against a file:// "server": what is
 * fetched, local names, records, identical content, settling, leftovers
 * of killed runs, after_fetch = delete and parallel sessions. (SFTP, FTP
 * and FTPS are end-to-end tests: tests/e2e/t1001-fetch-servers.sh and
 * tests/e2e/t6004-fetch-faults.sh.)
 */
#include <check.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lotsync/app.h"
#include "lotsync/clock.h"
#include "lotsync/fetch.h"
#include "lotsync/fsio.h"
#include "lotsync/ingest.h"
#include "lotsync/util.h"

#include "unit.h"

static char dir[64];
static struct app app;
static enum ls_exit status; /* every stage's result, folded */
static struct srs_run *srs;
static struct feed_conf feed;
static char *remote, *incoming;

static char *
path_of(const char *d, const char *name)
{
	return xasprintf("%s/%s", d, name);
}

/* Write d/name with text and the given mtime (0: now). */
static void
put(const char *d, const char *name, const char *text, time_t mtime)
{
	char *p = path_of(d, name);
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	if (mtime) {
		struct timespec t[2] = {{.tv_sec = mtime}, {.tv_sec = mtime}};

		ck_assert_int_eq(utimensat(AT_FDCWD, p, t, 0), 0);
	}
	free(p);
}

static bool
has(const char *d, const char *name)
{
	char *p = path_of(d, name);
	struct stat st;
	bool yes = lstat(p, &st) == 0;

	free(p);
	return yes;
}

static time_t
mtime_of(const char *d, const char *name)
{
	char *p = path_of(d, name);
	struct stat st;

	ck_assert_int_eq(stat(p, &st), 0);
	free(p);
	return st.st_mtime;
}

static int
count_files(const char *d)
{
	char *cmd = xasprintf("ls -A '%s' | wc -l", d);
	FILE *f = popen(cmd, "r");
	int n = -1;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &n), 1);
	pclose(f);
	free(cmd);
	return n;
}

static void
setup(void)
{
	unsetenv("LOTSYNC_TEST_SETTLE_OFFSET");
	const char *src = getenv("LOTSYNC_SRCDIR");
	char *root, *db;

	strcpy(dir, "/tmp/lotsync-fetch.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	remote = path_of(dir, "remote");
	ck_assert_int_eq(mkdir(remote, 0755), 0);
	root = path_of(dir, "spool");
	db = path_of(dir, "lotsync.db");
	incoming = path_of(dir, "spool/incoming/acme");
	memset(&app, 0, sizeof(app));
	memset(&feed, 0, sizeof(feed));
	feed.name = "acme";
	feed.source = xasprintf("file://%s/*.csv", remote);
	feed.profile = "generic-csv";
	feed.key = FEED_KEY_VIN;
	feed.vanish_guard = 1.0;
	app.cfg.dir = xasprintf("%s/conf", src ? src : ".");
	app.cfg.feeds = &feed;
	app.cfg.nfeeds = 1;
	spool_init(&app.spool, root);
	ck_assert_int_eq(store_open(db, false, &app.store), 0);
	app.run = store_run_begin(app.store, "test", "2026-01-01T00:00:00Z");
	status = LS_EXIT_OK;
	srs = srs_run_new();
	free(root);
	free(db);
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	srs_run_free(srs);
	store_close(app.store);
	spool_release(&app.spool);
	free(app.cfg.dir);
	free(feed.source);
	free(remote);
	free(incoming);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

static struct fetch_summary
fetch(void)
{
	struct fetcher *fx = fetcher_new(&app);
	struct fetch_summary s;

	status = status_worse(status, fetch_feed(fx, &feed, &s));
	fetcher_free(fx);
	return s;
}

static long long
count(const char *sql)
{
	long long n = -1;
	char *cmd = xasprintf("sqlite3 '%s/lotsync.db' \"%s\"", dir, sql);
	FILE *f = popen(cmd, "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%lld", &n), 1);
	pclose(f);
	free(cmd);
	return n;
}

/*
 * A remote file that grows between the listing and the download, as when
 * a vendor's job appends while lotsync lists. transfer_local opens each
 * file with openat(2) just before reading it; this binary's openat()
 * (linked ahead of libc's) appends a row to grow_path once, right before
 * that open, and then opens as usual. Deterministic: no timing involved.
 */
static const char *grow_name;
static char *grow_path;

int
openat(int dirfd, const char *name, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (!real)
		real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	if (grow_name && strcmp(name, grow_name) == 0) {
		FILE *f;

		grow_name = NULL;
		f = fopen(grow_path, "a");
		if (f) {
			fputs("D1,WVWZZZ1J50W000002,2,200\n", f);
			fclose(f);
		}
	}
	return real(dirfd, name, flags, mode);
}

#define HDR  "DealerID,VIN,StockNo,Price\n"
#define OLD  (time(NULL) - 7200)
#define OLD2 (time(NULL) - 9000)

START_TEST(new_files_fetched_once_in_remote_order)
{
	struct fetch_summary s;
	time_t t = OLD;

	put(remote, "b.csv", HDR "D1,WVWZZZ1J50W000002,1,100\n", t);
	put(remote, "a.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n", t + 60);
	put(remote, "up.csv.part", "partial", t);
	put(remote, "notes.txt", "not matched", t);
	put(remote, ".hidden.csv", "hidden", t);
	s = fetch();
	ck_assert_int_eq(status, LS_EXIT_OK);
	ck_assert_uint_eq(s.listed, 2);
	ck_assert_uint_eq(s.fetched, 2);
	ck_assert(has(incoming, "a.csv") && has(incoming, "b.csv"));
	ck_assert_int_eq(count_files(incoming), 2); /* no temporary files, no markers */
	/* the remote mtime, so ingest takes b.csv first */
	ck_assert_int_eq(mtime_of(incoming, "b.csv"), t);
	ck_assert_int_eq(mtime_of(incoming, "a.csv"), t + 60);
	ck_assert_int_eq(count("select count(*) from fetched where state = 'fetched'"), 2);
	ck_assert_int_eq(count("select min(id) from fetched where remote = 'b.csv'"), 1);

	s = fetch();
	ck_assert_uint_eq(s.fetched, 0);
	ck_assert_uint_eq(s.unchanged, 2);
	ck_assert_uint_eq(s.pending, 2);
	ck_assert_int_eq(count("select count(*) from fetched"), 2);

	/* a.csv replaced remotely while its first copy still waits in incoming/ */
	put(remote, "a.csv", HDR "D1,WVWZZZ1J30W000001,1,150\n", t + 120);
	s = fetch();
	ck_assert_uint_eq(s.fetched, 1);
	ck_assert(has(incoming, "a.csv") && has(incoming, "a~2.csv"));
	ck_assert_int_eq(count("select count(*) from fetched where local = 'a~2.csv'"), 1);
}
END_TEST

START_TEST(a_file_growing_during_the_download_is_fetched_next_time)
{
	struct fetch_summary s;
	char *body, *got;
	struct timespec t[2] = {{.tv_sec = OLD}, {.tv_sec = OLD}};

	put(remote, "grow.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n", OLD);
	grow_path = path_of(remote, "grow.csv");
	grow_name = "grow.csv";
	s = fetch();
	ck_assert_ptr_null(grow_name); /* it grew between listing and download */
	ck_assert_uint_eq(s.listed, 1);
	ck_assert_uint_eq(s.fetched, 0);
	ck_assert_uint_eq(s.waiting, 1);
	ck_assert_uint_eq(s.failed, 0);
	ck_assert_int_eq(status, LS_EXIT_OK);
	ck_assert_int_eq(count_files(incoming), 0); /* nothing half, no temporary file */
	ck_assert_int_eq(count("select count(*) from fetched"), 0);
	/* the writer is done: the next fetch takes the whole file */
	ck_assert_int_eq(utimensat(AT_FDCWD, grow_path, t, 0), 0);
	s = fetch();
	ck_assert_uint_eq(s.fetched, 1);
	got = path_of(incoming, "grow.csv");
	body = unit_slurp(got, NULL);
	ck_assert_ptr_nonnull(body);
	ck_assert_str_eq(body, HDR "D1,WVWZZZ1J30W000001,1,100\nD1,WVWZZZ1J50W000002,2,200\n");
	free(body);
	free(got);
	free(grow_path);
}
END_TEST

/*
 * Two feeds of one server in one fetcher: the second reuses the first's
 * session (pointed at its own directory); and when the server failed for
 * the first feed, the second is not tried again in the same run.
 */
START_TEST(feeds_of_one_server_share_the_session_and_its_failure)
{
	struct feed_conf other = feed;
	char *dir2 = path_of(dir, "remote2"), *in2 = path_of(dir, "spool/incoming/other"), *err;
	struct fetcher *fx;
	struct fetch_summary s1, s2;
	struct unit_capture cap;
	char *good = feed.source;

	ck_assert_int_eq(mkdir(dir2, 0755), 0);
	other.name = "other";
	other.source = xasprintf("file://%s/*.csv", dir2);
	put(remote, "a.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n", OLD);
	put(dir2, "b.csv", HDR "D1,WVWZZZ1J50W000002,2,200\n", OLD);
	fx = fetcher_new(&app);
	ck_assert_int_eq(fetch_feed(fx, &feed, &s1), LS_EXIT_OK);
	ck_assert_int_eq(fetch_feed(fx, &other, &s2), LS_EXIT_OK);
	fetcher_free(fx);
	ck_assert_uint_eq(s1.fetched, 1);
	ck_assert_uint_eq(s2.fetched, 1);
	ck_assert(has(incoming, "a.csv") && !has(incoming, "b.csv"));
	ck_assert(has(in2, "b.csv") && !has(in2, "a.csv"));
	/* the first feed's server is unreachable: the second is not tried */
	feed.source = xasprintf("file://%s/gone/*.csv", dir);
	put(dir2, "c.csv", HDR "D1,WVWZZZ1J70W000003,3,300\n", OLD);
	fx = fetcher_new(&app);
	unit_capture_begin(&cap);
	ck_assert_int_eq(fetch_feed(fx, &feed, &s1), LS_EXIT_UNAVAILABLE);
	ck_assert_int_eq(fetch_feed(fx, &other, &s2), LS_EXIT_UNAVAILABLE);
	err = unit_capture_end(&cap);
	fetcher_free(fx);
	ck_assert_uint_eq(s2.fetched, 0);
	ck_assert(!has(in2, "c.csv"));
	ck_assert_msg(strstr(err, "not tried: the server failed earlier in this run"), "%s", err);
	free(err);
	free((char *)feed.source);
	feed.source = good;
	free((char *)other.source);
	free(dir2);
	free(in2);
}
END_TEST

START_TEST(identical_content_is_recognised)
{
	struct ingest_summary is;
	struct fetch_summary s;
	char *src, *want;
	char sha[FSIO_SHA256_HEX];

	put(remote, "day1.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n", OLD);
	s = fetch();
	ck_assert_uint_eq(s.fetched, 1);
	status = status_worse(status, ingest_feed(&app, srs, &feed, &is, NULL));
	ck_assert_int_eq(is.files, 1);
	ck_assert_int_eq(count("select count(*) from snapshots"), 1);
	/* the snapshot says where the file came from */
	fsio_sha256_buf(HDR "D1,WVWZZZ1J30W000001,1,100\n",
	                strlen(HDR "D1,WVWZZZ1J30W000001,1,100\n"), sha);
	ck_assert_int_eq(store_fetch_source(app.store, "acme", "day1.csv", sha, &src), 0);
	want = xasprintf("file://%s/day1.csv", remote);
	ck_assert_str_eq(src, want);
	ck_assert_int_eq(
	        count("select count(*) from snapshots where source like 'file://%day1.csv'"), 1);
	free(src);
	free(want);

	/* the same bytes uploaded again under another name */
	put(remote, "day1-again.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n", OLD);
	s = fetch();
	ck_assert_uint_eq(s.fetched, 0);
	ck_assert_uint_eq(s.identical, 1);
	ck_assert_int_eq(count_files(incoming), 0);
	ck_assert_int_eq(count("select count(*) from fetched where state = 'identical'"), 1);
	status = status_worse(status, ingest_feed(&app, srs, &feed, &is, NULL));
	ck_assert_int_eq(count("select count(*) from snapshots"), 1);
	/* and not downloaded again */
	s = fetch();
	ck_assert_uint_eq(s.identical, 0);
	ck_assert_uint_eq(s.unchanged, 2);
}
END_TEST

START_TEST(local_names_are_safe)
{
	struct fetch_summary s;

	put(remote, "Bestand M\xc3\xbcller;1.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n", OLD);
	put(remote, "$(reboot).csv", HDR "D1,WVWZZZ1J50W000002,1,100\n", OLD);
	put(remote, "a b'c\".csv", HDR "D1,WVWZZZ1J70W000003,1,100\n", OLD);
	put(remote, "-rf.csv", HDR "D1,WVWZZZ1J90W000004,1,100\n",
	    OLD); /* refused by the transfer layer */
	s = fetch();
	ck_assert_uint_eq(s.fetched, 3);
	ck_assert(has(incoming, "Bestand_M__ller_1.csv"));
	ck_assert(has(incoming, "__reboot_.csv"));
	ck_assert(has(incoming, "a_b_c_.csv"));
	ck_assert_int_eq(count_files(incoming), 3);
	ck_assert_int_eq(
	        count("select count(*) from fetched where remote = 'Bestand M\xc3\xbcller;1.csv'"
	              " and local = 'Bestand_M__ller_1.csv'"),
	        1);
}
END_TEST

START_TEST(leftovers_of_a_killed_run)
{
	struct fetch_summary s;
	char *p;

	put(remote, "a.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n", OLD);
	ck_assert_int_eq(spool_prepare_feed(&app.spool, "acme"), 0);
	/* a partial download, and a complete copy renamed but never recorded */
	put(incoming, ".tmp-a.csv-Xy12Ab", HDR "D1,VI", 0);
	put(incoming, "a.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n", OLD);
	s = fetch();
	ck_assert_uint_eq(s.fetched, 1);
	ck_assert(!has(incoming, ".tmp-a.csv-Xy12Ab"));
	ck_assert(!has(incoming, "a~2.csv")); /* the same content is not placed twice */
	ck_assert_int_eq(count_files(incoming), 1);
	ck_assert_int_eq(count("select count(*) from fetched where local = 'a.csv'"), 1);

	/* a recorded copy that vanished before it was ingested is fetched again */
	put(remote, "b.csv", HDR "D1,WVWZZZ1J50W000002,1,100\n", OLD);
	s = fetch();
	ck_assert_uint_eq(s.fetched, 1);
	p = path_of(incoming, "b.csv");
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	s = fetch();
	ck_assert_uint_eq(s.fetched, 1);
	ck_assert(has(incoming, "b.csv"));
}
END_TEST

START_TEST(settling_and_markers)
{
	struct fetch_summary s;
	time_t now = time(NULL);

	/*
	 * Settled = same size and mtime in listings settle_seconds apart by
	 * lotsync's clock: on the first listing nothing has, whatever the
	 * listed mtimes say (an old, a fresh and a future one).
	 */
	app.cfg.settle_seconds = 600;
	put(remote, "fresh.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n", now - 5);
	put(remote, "future.csv", HDR "D1,WVWZZZ1J50W000002,1,100\n", now + 7200);
	put(remote, "old.csv", HDR "D1,WVWZZZ1J70W000003,1,100\n", OLD);
	put(remote, "grow.csv", HDR "D1,WVWZZZ1J90W000004,1,100\n", OLD);
	s = fetch();
	ck_assert_uint_eq(s.waiting, 4);
	ck_assert_uint_eq(s.fetched, 0);
	ck_assert_int_eq(count("select count(*) from remote_seen"), 4);
	/* Ten minutes later by the settling clock; grow.csv changed in between */
	ck_assert_int_eq(setenv("LOTSYNC_TEST_SETTLE_OFFSET", "600", 1), 0);
	put(remote, "grow.csv", HDR "D1,WVWZZZ1J90W000004,1,100\nD1,WVWZZZ1J00W000005,2,200\n",
	    OLD + 1);
	s = fetch();
	ck_assert_uint_eq(s.waiting, 1);
	ck_assert_uint_eq(s.fetched, 3);
	ck_assert(!has(incoming, "grow.csv"));
	/* a fresh file's mtime is kept, with a marker: ingest need not wait again */
	ck_assert(has(incoming, "fresh.csv") && has(incoming, "fresh.csv.done"));
	/* a clock-skewed server's future mtime is not kept: a marker says "complete" */
	ck_assert(has(incoming, "future.csv") && has(incoming, "future.csv.done"));
	ck_assert_int_le(mtime_of(incoming, "future.csv"), time(NULL));
	ck_assert(has(incoming, "old.csv") && !has(incoming, "old.csv.done"));
	ck_assert_int_eq(mtime_of(incoming, "old.csv"), mtime_of(remote, "old.csv"));
	ck_assert_int_eq(setenv("LOTSYNC_TEST_SETTLE_OFFSET", "1200", 1), 0);
	s = fetch();
	ck_assert_uint_eq(s.fetched, 1);
	ck_assert(has(incoming, "grow.csv"));
	/* a file no longer listed is forgotten */
	{
		char *p = path_of(remote, "old.csv");

		ck_assert_int_eq(unlink(p), 0);
		free(p);
	}
	ck_assert_int_eq(setenv("LOTSYNC_TEST_SETTLE_OFFSET", "1300", 1), 0);
	s = fetch();
	ck_assert_int_eq(count("select count(*) from remote_seen where remote = 'old.csv'"), 0);
	ck_assert_int_eq(count("select count(*) from remote_seen"), 3);
	unsetenv("LOTSYNC_TEST_SETTLE_OFFSET");
}
END_TEST

START_TEST(after_fetch_delete_waits_for_the_archive)
{
	struct ingest_summary is;
	struct fetch_summary s;
	struct fetcher *fx;

	feed.after_fetch = AFTER_FETCH_DELETE;
	put(remote, "a.csv", HDR "D1,WVWZZZ1J30W000001,1,100\n", OLD2);
	put(remote, "b.csv", HDR "D1,WVWZZZ1J50W000002,1,100\n", OLD);
	s = fetch();
	ck_assert_uint_eq(s.fetched, 2);
	/* not archived yet: nothing deleted */
	s = fetch();
	ck_assert_uint_eq(s.deleted, 0);
	ck_assert(has(remote, "a.csv") && has(remote, "b.csv"));
	status = status_worse(status, ingest_feed(&app, srs, &feed, &is, NULL));
	ck_assert_int_eq(is.files, 2);
	/* b.csv is replaced remotely before the cleanup: only a.csv may go */
	put(remote, "b.csv", HDR "D1,WVWZZZ1J50W000002,1,999\n", OLD + 60);
	fx = fetcher_new(&app);
	status = status_worse(status, fetch_cleanup(fx, &feed, &s));
	fetcher_free(fx);
	ck_assert_int_eq(status, LS_EXIT_OK);
	ck_assert_uint_eq(s.deleted, 1);
	ck_assert(!has(remote, "a.csv"));
	ck_assert(has(remote, "b.csv"));
	ck_assert_int_eq(count("select count(*) from fetched where remote_deleted_at is not null"),
	                 1);
}
END_TEST

START_TEST(parallel_sessions_keep_order)
{
	struct fetch_summary s;
	time_t t = OLD2;

	feed.connections = 4;
	for (int i = 0; i < 70; i++) {
		char name[32], text[96];

		snprintf(name, sizeof(name), "f%02d.csv", i);
		snprintf(text, sizeof(text), HDR "D1,VIN%02d,%d,100\n", i, i);
		put(remote, name, text, t + (69 - i)); /* newest first by name */
	}
	s = fetch();
	ck_assert_int_eq(status, LS_EXIT_OK);
	ck_assert_uint_eq(s.fetched, 70);
	ck_assert_int_eq(count_files(incoming), 70);
	/* recorded in remote mtime order: f69 (oldest) first */
	ck_assert_int_eq(count("select count(*) from fetched f join fetched g on g.id = f.id + 1"
	                       " where g.mtime < f.mtime"),
	                 0);
	ck_assert_int_eq(count("select count(distinct sha256) from fetched"), 70);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("fetch");
	TCase *tc = unit_tcase(s, "file", setup, teardown);

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, new_files_fetched_once_in_remote_order);
	tcase_add_test(tc, a_file_growing_during_the_download_is_fetched_next_time);
	tcase_add_test(tc, feeds_of_one_server_share_the_session_and_its_failure);
	tcase_add_test(tc, identical_content_is_recognised);
	tcase_add_test(tc, local_names_are_safe);
	tcase_add_test(tc, leftovers_of_a_killed_run);
	tcase_add_test(tc, settling_and_markers);
	tcase_add_test(tc, after_fetch_delete_waits_for_the_archive);
	tcase_add_test(tc, parallel_sessions_keep_order);
	return s;
}

UNIT_MAIN(make_suite)
