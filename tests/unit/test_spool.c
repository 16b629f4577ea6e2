/* test_spool.c - the spool verbs: every move, copy and removal of a spool file. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/fsio.h"
#include "lotsync/spool.h"
#include "testdir.h"

static char root[64];
static struct spool sp;

static void
setup(void)
{
	testdir_make(root, sizeof(root));
	spool_init(&sp, root);
	ck_assert_int_eq(spool_prepare_feed(&sp, "acme"), 0);
	ck_assert_int_eq(spool_prepare_target(&sp, "web"), 0);
}

static void
teardown(void)
{
	spool_release(&sp);
	testdir_remove(root);
}

/* Write text as <dir>/<sub>/<name>; returns the path (caller frees). */
static char *
put(enum spool_dir dir, const char *sub, const char *name, const char *text)
{
	char *p = spool_file_path(&sp, dir, sub, name);
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

static char *
slurp(const char *path)
{
	static char buf[512];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static nlink_t
links_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_nlink;
}

START_TEST(names_safe_and_local)
{
	const char *bad[] = {"", ".", "..", ".tmp-x", "-rf", "a/b", "a\\b", "a\nb", "a\x7f"};
	char longname[300];
	char *s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!spool_name_is_safe(bad[i]), "accepted bad name #%zu", i);
	ck_assert(!spool_name_is_safe(NULL));
	ck_assert(spool_name_is_safe("web-20261122T080000Z-7.csv"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert(!spool_name_is_safe(longname));
	longname[255] = '\0';
	ck_assert(spool_name_is_safe(longname));

	s = spool_incoming_name("stock list (1).csv");
	ck_assert_str_eq(s, "stock_list__1_.csv");
	free(s);
	s = spool_incoming_name("feed.part"); /* would never be claimed: made claimable */
	ck_assert_str_eq(s, "feed.part_");
	ck_assert(spool_name_is_claimable(s));
	free(s);
}
END_TEST

START_TEST(quarantine_is_a_copy_with_its_reason)
{
	char sha[FSIO_SHA256_HEX], *work = put(SPOOL_WORK, "acme", "bad.csv", "x,y\n1\n");
	char *marker = put(SPOOL_WORK, "acme", "bad.csv.done", "");
	char *q = NULL, *failed, *reason, *archived, want[256];

	ck_assert_int_eq(fsio_sha256_file(work, sha, NULL), 0);
	ck_assert_int_eq(spool_archive(&sp, "acme", work, sha), 0);
	archived = spool_file_path(&sp, SPOOL_ARCHIVE, "acme", sha);
	ck_assert_int_eq(spool_quarantine(&sp, "acme", work, "bad.csv", sha, "2026-11-22T08:00:00Z",
	                                  "no header", &q),
	                 0);
	ck_assert_str_eq(q, "bad.csv");
	ck_assert_int_eq(access(work, F_OK), -1); /* left work/, marker and all */
	ck_assert_int_eq(access(marker, F_OK), -1);
	failed = spool_file_path(&sp, SPOOL_FAILED, "acme", "bad.csv");
	reason = spool_file_path(&sp, SPOOL_FAILED, "acme", "bad.csv.reason");
	ck_assert_str_eq(slurp(failed), "x,y\n1\n");
	/* Editing the quarantined copy must not touch the archived evidence */
	ck_assert_int_eq((int)links_of(failed), 1);
	ck_assert_int_eq((int)links_of(archived), 1);
	snprintf(want, sizeof(want),
	         "file: bad.csv\nsha256: %s\nat: 2026-11-22T08:00:00Z\nreason: no header\n", sha);
	ck_assert_str_eq(slurp(reason), want);
	free(q);
	free(failed);
	free(reason);
	free(archived);
	free(work);
	free(marker);
}
END_TEST

START_TEST(quarantine_keeps_an_earlier_file_of_the_same_name)
{
	char sha1[FSIO_SHA256_HEX], sha2[FSIO_SHA256_HEX], *q = NULL, *p, want[64];
	char *work = put(SPOOL_WORK, "acme", "f.csv", "one\n");

	ck_assert_int_eq(fsio_sha256_file(work, sha1, NULL), 0);
	ck_assert_int_eq(spool_quarantine(&sp, "acme", work, "f.csv", sha1, "t", "r", &q), 0);
	ck_assert_str_eq(q, "f.csv");
	free(q);
	/* The same content again (a rerun after a crash): the same name */
	free(put(SPOOL_WORK, "acme", "f.csv", "one\n"));
	ck_assert_int_eq(spool_quarantine(&sp, "acme", work, "f.csv", sha1, "t", "r", &q), 0);
	ck_assert_str_eq(q, "f.csv");
	free(q);
	/* Other content under the same name: a second name, the first file kept */
	free(put(SPOOL_WORK, "acme", "f.csv", "two\n"));
	ck_assert_int_eq(fsio_sha256_file(work, sha2, NULL), 0);
	ck_assert_int_eq(spool_quarantine(&sp, "acme", work, "f.csv", sha2, "t", "r", &q), 0);
	snprintf(want, sizeof(want), "f.csv.%.12s", sha2);
	ck_assert_str_eq(q, want);
	p = spool_file_path(&sp, SPOOL_FAILED, "acme", q);
	ck_assert_str_eq(slurp(p), "two\n");
	free(p);
	p = spool_file_path(&sp, SPOOL_FAILED, "acme", "f.csv");
	ck_assert_str_eq(slurp(p), "one\n");
	free(p);
	free(q);
	free(work);
}
END_TEST

/* A closed temporary file of incoming/acme/ holding text; returns its path. */
static char *
download(const char *name, const char *text, char sha[FSIO_SHA256_HEX])
{
	char *tmp = NULL;
	int fd = spool_create(&sp, SPOOL_INCOMING, "acme", name, &tmp);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fsio_write_all(fd, text, strlen(text)), 0);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(fsio_sha256_file(tmp, sha, NULL), 0);
	return tmp;
}

START_TEST(publish_incoming_never_replaces)
{
	char sha[FSIO_SHA256_HEX], *tmp, *local, *p;

	/* A claimed file of that name waits in work/: the new one takes "~2" */
	free(put(SPOOL_WORK, "acme", "inv.csv", "claimed\n"));
	tmp = download("inv.csv", "new\n", sha);
	local = spool_publish_incoming(&sp, "acme", tmp, "inv.csv", sha);
	ck_assert_str_eq(local, "inv~2.csv");
	ck_assert_int_eq(access(tmp, F_OK), -1);
	free(local);
	free(tmp);
	/* A taken name with other content: the next number */
	tmp = download("inv.csv", "newer\n", sha);
	local = spool_publish_incoming(&sp, "acme", tmp, "inv.csv", sha);
	ck_assert_str_eq(local, "inv~3.csv");
	free(local);
	free(tmp);
	/* A taken name holding the same content: kept, the download dropped */
	tmp = download("inv.csv", "new\n", sha);
	local = spool_publish_incoming(&sp, "acme", tmp, "inv.csv", sha);
	ck_assert_str_eq(local, "inv~2.csv");
	ck_assert_int_eq(access(tmp, F_OK), -1);
	p = spool_file_path(&sp, SPOOL_INCOMING, "acme", "inv~2.csv");
	ck_assert_str_eq(slurp(p), "new\n");
	free(p);
	free(local);
	free(tmp);
	ck_assert_int_eq(spool_mark_done(&sp, "acme", "inv~2.csv"), 0);
	ck_assert(spool_has(&sp, SPOOL_INCOMING, "acme", "inv~2.csv.done"));
	ck_assert_int_eq(spool_sync(&sp, SPOOL_INCOMING, "acme"), 0);
}
END_TEST

START_TEST(outbox_to_sent_prune_and_purge)
{
	char **names = NULL, *tmp = NULL;
	size_t n = 0;
	int fd;

	free(put(SPOOL_OUTBOX, "web", "a.csv", "a\n"));
	fd = spool_create(&sp, SPOOL_OUTBOX, "web", "b.csv", &tmp);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(close(fd), 0); /* a killed export's leftover */
	ck_assert_int_eq(spool_list(&sp, SPOOL_OUTBOX, "web", &names, &n), 0);
	ck_assert_uint_eq(n, 1); /* hidden temporary files are not listed */
	ck_assert_str_eq(names[0], "a.csv");
	spool_names_free(names, n);
	ck_assert_int_eq(access(tmp, F_OK), 0);
	spool_purge_tmp(&sp, SPOOL_OUTBOX, "web");
	ck_assert_int_eq(access(tmp, F_OK), -1);
	ck_assert(spool_has(&sp, SPOOL_OUTBOX, "web", "a.csv")); /* finished files stay */
	free(tmp);

	ck_assert_int_eq(spool_to_sent(&sp, "web", "a.csv"), 0);
	ck_assert(!spool_has(&sp, SPOOL_OUTBOX, "web", "a.csv"));
	ck_assert(spool_has(&sp, SPOOL_SENT, "web", "a.csv"));
	ck_assert_int_eq(spool_to_sent(&sp, "web", "a.csv"), -1); /* gone from outbox/ */
	spool_prune_sent(&sp, "web", "a.csv");
	ck_assert(!spool_has(&sp, SPOOL_SENT, "web", "a.csv"));
	spool_prune_sent(&sp, "web", "a.csv"); /* already gone: no error */
	ck_assert_int_eq(spool_remove(&sp, SPOOL_SENT, "web", "a.csv"), 0);
	ck_assert_int_eq(spool_list(&sp, SPOOL_OUTBOX, "missing", &names, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("verbs");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, names_safe_and_local);
	tcase_add_test(tc, quarantine_is_a_copy_with_its_reason);
	tcase_add_test(tc, quarantine_keeps_an_earlier_file_of_the_same_name);
	tcase_add_test(tc, publish_incoming_never_replaces);
	tcase_add_test(tc, outbox_to_sent_prune_and_purge);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
