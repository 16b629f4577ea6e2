/*
 * test_spool.c - the spool on a real file system: the verbs (every move,
 * copy and removal of a spool file), the folder layout and modes, which
 * names may be claimed, what a scan of incoming/ and work/ returns (order,
 * settling, .done markers, refused entries), and claiming a file into
 * work/ with its marker, also when the entry changed after the scan.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lotsync/fsio.h"
#include "lotsync/log.h"
#include "lotsync/spool.h"
#include "lotsync/util.h"

#include "unit.h"

static char root[64];
static struct spool sp;

static void
setup(void)
{
	unit_tmpdir(root, sizeof(root));
	spool_init(&sp, root);
	ck_assert_int_eq(spool_prepare_feed(&sp, "acme"), 0);
	ck_assert_int_eq(spool_prepare_target(&sp, "web"), 0);
}

static void
teardown(void)
{
	spool_release(&sp);
	unit_rmtree(root);
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

/* The file's text in a buffer valid until the next call. */
static char *
slurp(const char *path)
{
	static char *last;

	free(last);
	last = unit_slurp(path, NULL);
	ck_assert_ptr_nonnull(last);
	return last;
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

	char want_sha[FSIO_SHA256_HEX];
	uint64_t size = 0;

	ck_assert_int_eq(fsio_sha256_file(work, want_sha, NULL), 0);
	ck_assert_int_eq(spool_archive(&sp, "acme", work, sha, &size), 0);
	ck_assert_str_eq(sha, want_sha); /* hashed while copied: the same bytes */
	ck_assert_uint_eq(size, 6);
	archived = spool_file_path(&sp, SPOOL_ARCHIVE, "acme", sha);
	ck_assert_int_eq((int)(links_of(archived)), 1); /* its own inode, not a link */
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

/*
 * A name without an extension numbers as "name~N"; when all 1000 tries are
 * taken by other content the download is refused (NULL) and left where it
 * is, nothing replaced.
 */
START_TEST(publish_incoming_gives_up_after_its_tries)
{
	char sha[FSIO_SHA256_HEX], *tmp, *local, *p;

	tmp = download("inv", "new\n", sha);
	free(put(SPOOL_INCOMING, "acme", "inv", "other\n"));
	local = spool_publish_incoming(&sp, "acme", tmp, "inv", sha);
	ck_assert_str_eq(local, "inv~2");
	free(local);
	free(tmp);
	for (int i = 3; i <= 1000; i++) {
		char *name = xasprintf("inv~%d", i);

		free(put(SPOOL_INCOMING, "acme", name, "other\n"));
		free(name);
	}
	tmp = download("inv", "newest\n", sha);
	ck_assert_ptr_null(spool_publish_incoming(&sp, "acme", tmp, "inv", sha));
	ck_assert_int_eq(access(tmp, F_OK), 0);
	ck_assert(!spool_has(&sp, SPOOL_INCOMING, "acme", "inv~1001"));
	p = spool_file_path(&sp, SPOOL_INCOMING, "acme", "inv~1000");
	ck_assert_str_eq(slurp(p), "other\n");
	free(p);
	p = spool_file_path(&sp, SPOOL_INCOMING, "acme", "inv~2");
	ck_assert_str_eq(slurp(p), "new\n");
	free(p);
	unlink(tmp);
	free(tmp);
}
END_TEST

/* Only a regular file is rewritten: a symbolic link in its place is refused, its target kept. */
START_TEST(rewrite_refuses_what_is_not_a_regular_file)
{
	char *target = put(SPOOL_INCOMING, "acme", "real.csv", "secret\n");
	char *link = spool_file_path(&sp, SPOOL_INCOMING, "acme", "link.csv");

	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(spool_rewrite(&sp, SPOOL_INCOMING, "acme", "link.csv", "x\n", 2), -1);
	ck_assert_str_eq(slurp(target), "secret\n");
	ck_assert_int_eq(spool_rewrite(&sp, SPOOL_INCOMING, "acme", "real.csv", "new\n", 4), 0);
	ck_assert_str_eq(slurp(target), "new\n");
	free(link);
	free(target);
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

/* ---- scanning incoming/ and work/, claiming ---- */

static char sdir[64];
static char *in; /* incoming/acme */

static void
scan_setup(void)
{
	char *spool_root;

	unit_tmpdir(sdir, sizeof(sdir));
	spool_root = xasprintf("%s/spool", sdir);
	spool_init(&sp, spool_root);
	free(spool_root);
	ck_assert_int_eq(spool_prepare_feed(&sp, "acme"), 0);
	in = spool_path(&sp, SPOOL_INCOMING, "acme");
}

static void
scan_teardown(void)
{
	free(in);
	spool_release(&sp);
	unit_rmtree(sdir);
}

/* Write d/name with an mtime of `age` seconds ago. */
static void
put_aged(const char *d, const char *name, const char *text, time_t age)
{
	char *p = xasprintf("%s/%s", d, name);
	struct timespec t[2];

	unit_write_str(p, text, 0644);
	t[0].tv_sec = t[1].tv_sec = time(NULL) - age;
	t[0].tv_nsec = t[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, p, t, AT_SYMLINK_NOFOLLOW), 0);
	free(p);
}

/* The scanned names, space separated. Caller frees. */
static char *
names(const struct spool_scan *s)
{
	char *out = xstrdup(""), *t;

	for (size_t i = 0; i < s->nfiles; i++) {
		t = xasprintf("%s%s%s", out, i ? " " : "", s->files[i].name);
		free(out);
		out = t;
	}
	return out;
}

static mode_t
mode_of(enum spool_dir d, const char *name)
{
	char *p = spool_path(&sp, d, name);
	struct stat st;

	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	free(p);
	return st.st_mode & 07777;
}

START_TEST(layout_paths_and_modes)
{
	char *p = spool_path(&sp, SPOOL_SENT, "t1"), *want = xasprintf("%s/spool/sent/t1", sdir);

	ck_assert_str_eq(p, want);
	free(p);
	free(want);
	p = spool_path(&sp, SPOOL_ARCHIVE, NULL);
	want = xasprintf("%s/spool/archive", sdir);
	ck_assert_str_eq(p, want);
	free(p);
	free(want);
	/* work/ is lotsync's alone; incoming/ is where vendors' accounts write */
	ck_assert_uint_eq(mode_of(SPOOL_WORK, "acme") & 077, 0);
	ck_assert_uint_eq(mode_of(SPOOL_INCOMING, "acme") & 0700, 0700);
	ck_assert_uint_eq(mode_of(SPOOL_ARCHIVE, "acme") & 007, 0);
	ck_assert_uint_eq(mode_of(SPOOL_FAILED, "acme") & 007, 0);
	ck_assert_int_eq(spool_prepare_target(&sp, "t1"), 0);
	ck_assert_uint_eq(mode_of(SPOOL_OUTBOX, "t1") & 007, 0);
	ck_assert_uint_eq(mode_of(SPOOL_SENT, "t1") & 007, 0);
	/* idempotent */
	ck_assert_int_eq(spool_prepare_feed(&sp, "acme"), 0);
	ck_assert_int_eq(spool_prepare_target(&sp, "t1"), 0);
}
END_TEST

START_TEST(claimable_names)
{
	static const struct {
		const char *name;
		bool ok;
	} t[] = {
	        {"inventory.csv", true},
	        {"a", true},
	        {"feed 2026.xml", true},
	        {"ümlaut.csv", true},
	        {"", false},
	        {".hidden.csv", false},
	        {"up.csv.part", false},
	        {"up.csv.tmp", false},
	        {"up.csv.filepart", false},
	        {"up.csv.done", false},
	        {"tab\there.csv", false},
	        {"nl\n.csv", false},
	        {"del\x7f.csv", false},
	        {"esc\x1b[31m.csv", false},
	        {"part.csv", true},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		ck_assert_msg(spool_name_is_claimable(t[i].name) == t[i].ok, "'%s': wanted %d",
		              t[i].name, t[i].ok);
}
END_TEST

START_TEST(scan_orders_by_mtime_then_name)
{
	struct spool_scan s;
	char *got;

	put_aged(in, "b.csv", "x\n", 300);
	put_aged(in, "c.csv", "x\n", 600);
	put_aged(in, "a.csv", "x\n", 300);
	put_aged(in, "old.csv", "xyz\n", 900);
	ck_assert_int_eq(spool_scan_incoming(&sp, "acme", 60, &s), 0);
	got = names(&s);
	ck_assert_str_eq(got, "old.csv c.csv a.csv b.csv");
	ck_assert_int_eq(s.files[0].size, 4);
	ck_assert_int_eq(s.refused, 0);
	ck_assert_int_eq(s.waiting, 0);
	free(got);
	spool_scan_release(&s);
	ck_assert_ptr_null(s.files);
	ck_assert_uint_eq(s.nfiles, 0);
}
END_TEST

START_TEST(scan_waits_for_settling_unless_marked)
{
	struct spool_scan s;
	char *got;

	put_aged(in, "fresh.csv", "x\n", 5);
	put_aged(in, "marked.csv", "x\n", 5);
	put_aged(in, "marked.csv.done", "", 5);
	put_aged(in, "settled.csv", "x\n", 120);
	put_aged(in, "up.csv.part", "x\n", 999);
	put_aged(in, ".hidden.csv", "x\n", 999);
	ck_assert_int_eq(spool_scan_incoming(&sp, "acme", 60, &s), 0);
	got = names(&s);
	ck_assert_str_eq(got, "settled.csv marked.csv");
	ck_assert_int_eq(s.waiting, 1); /* fresh.csv; partials and hidden names are not counted */
	ck_assert_int_eq(s.refused, 0);
	free(got);
	spool_scan_release(&s);
	/* settle_seconds = 0: nothing waits */
	ck_assert_int_eq(spool_scan_incoming(&sp, "acme", 0, &s), 0);
	got = names(&s);
	ck_assert_str_eq(got, "settled.csv fresh.csv marked.csv");
	ck_assert_int_eq(s.waiting, 0);
	free(got);
	spool_scan_release(&s);
}
END_TEST

START_TEST(scan_refuses_links_fifos_and_directories)
{
	struct spool_scan s;
	char *a = xasprintf("%s/plain.csv", in), *l = xasprintf("%s/link.csv", in);
	char *h = xasprintf("%s/hard.csv", in), *h2 = xasprintf("%s/hard2.csv", in);
	char *fifo = xasprintf("%s/fifo.csv", in), *sub = xasprintf("%s/sub.csv", in);
	char *got;

	put_aged(in, "plain.csv", "x\n", 999);
	put_aged(in, "hard.csv", "x\n", 999);
	ck_assert_int_eq(symlink(a, l), 0);
	ck_assert_int_eq(link(h, h2), 0);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	log_set_level(LOG_ERROR);
	ck_assert_int_eq(spool_scan_incoming(&sp, "acme", 0, &s), 0);
	got = names(&s);
	ck_assert_str_eq(got, "plain.csv");
	/* link.csv, fifo.csv, sub.csv, and both names of the hard-linked file */
	ck_assert_int_eq(s.refused, 5);
	free(got);
	spool_scan_release(&s);
	/* everything refused stays where it was */
	ck_assert_int_eq(access(l, F_OK), 0);
	ck_assert_int_eq(access(h2, F_OK), 0);
	ck_assert_int_eq(access(fifo, F_OK), 0);
	free(a);
	free(l);
	free(h);
	free(h2);
	free(fifo);
	free(sub);
}
END_TEST

START_TEST(scan_of_a_missing_folder_is_empty)
{
	struct spool_scan s;

	ck_assert_int_eq(spool_scan_incoming(&sp, "nosuchfeed", 0, &s), 0);
	ck_assert_uint_eq(s.nfiles, 0);
	ck_assert_int_eq(spool_scan_work(&sp, "nosuchfeed", &s), 0);
	ck_assert_uint_eq(s.nfiles, 0);
	spool_scan_release(&s);
}
END_TEST

START_TEST(claim_moves_file_and_marker_into_work)
{
	struct spool_scan s;
	char *work = spool_path(&sp, SPOOL_WORK, "acme"), *dst, *want, *m;
	char *body;

	put_aged(in, "inv.csv", "DealerID,VIN\n", 999);
	put_aged(in, "inv.csv.done", "", 999);
	ck_assert_int_eq(spool_scan_incoming(&sp, "acme", 60, &s), 0);
	ck_assert_uint_eq(s.nfiles, 1);
	ck_assert_int_eq(spool_claim(&sp, "acme", &s.files[0], &dst), SPOOL_CLAIMED);
	want = xasprintf("%s/inv.csv", work);
	ck_assert_ptr_nonnull(dst);
	ck_assert_str_eq(dst, want);
	body = unit_slurp(dst, NULL);
	ck_assert_str_eq(body, "DealerID,VIN\n");
	ck_assert_int_eq(access(s.files[0].path, F_OK), -1);
	m = xasprintf("%s.done", dst);
	ck_assert_int_eq(access(m, F_OK), 0);
	spool_scan_release(&s);
	/* a work file (ours, possibly hard-linked into archive/) is scanned as is */
	ck_assert_int_eq(spool_scan_work(&sp, "acme", &s), 0);
	ck_assert_uint_eq(s.nfiles, 1);
	ck_assert_str_eq(s.files[0].name, "inv.csv");
	spool_scan_release(&s);
	spool_drop_marker(dst);
	ck_assert_int_eq(access(m, F_OK), -1);
	spool_drop_marker(dst); /* no marker: nothing to do, no error */
	free(body);
	free(m);
	free(want);
	free(dst);
	free(work);
}
END_TEST

START_TEST(claim_refuses_an_entry_changed_after_the_scan)
{
	struct spool_scan s;
	char *p, *other = xasprintf("%s/other", sdir), *work = spool_path(&sp, SPOOL_WORK, "acme");
	char *w = xasprintf("%s/swapped.csv", work), *dst;

	put_aged(in, "swapped.csv", "x\n", 999);
	put_aged(in, "gone.csv", "x\n", 999);
	unit_write_str(other, "secret\n", 0600);
	ck_assert_int_eq(spool_scan_incoming(&sp, "acme", 0, &s), 0);
	ck_assert_uint_eq(s.nfiles, 2);
	log_set_level(LOG_ERROR);
	/* gone.csv vanished: not claimed */
	ck_assert_str_eq(s.files[0].name, "gone.csv");
	ck_assert_int_eq(unlink(s.files[0].path), 0);
	ck_assert_int_eq(spool_claim(&sp, "acme", &s.files[0], &p), SPOOL_CLAIM_GONE);
	ck_assert_ptr_null(p);
	/* swapped.csv became a symbolic link: not claimed, left in place */
	p = s.files[1].path;
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(symlink(other, p), 0);
	ck_assert_int_eq(spool_claim(&sp, "acme", &s.files[1], &dst), SPOOL_CLAIM_GONE);
	ck_assert_ptr_null(dst);
	ck_assert_int_eq(access(w, F_OK), -1);
	ck_assert_int_eq(faccessat(AT_FDCWD, p, F_OK, AT_SYMLINK_NOFOLLOW), 0);
	spool_scan_release(&s);
	free(other);
	free(work);
	free(w);
}
END_TEST

START_TEST(claim_waits_for_a_file_open_for_writing)
{
	struct spool_scan s;
	char *p, *dst = NULL;
	int w;

	put_aged(in, "growing.csv", "VIN\n", 999);
	p = xasprintf("%s/growing.csv", in);
	w = open(p, O_WRONLY | O_APPEND);
	ck_assert_int_ge(w, 0);
	ck_assert_int_eq(spool_scan_incoming(&sp, "acme", 60, &s), 0);
	ck_assert_uint_eq(s.nfiles, 1);
	log_set_level(LOG_ERROR);
	/* a writer holds it open: a read lease is refused, the file stays */
	ck_assert_int_eq(spool_claim(&sp, "acme", &s.files[0], &dst), SPOOL_CLAIM_BUSY);
	ck_assert_ptr_null(dst);
	ck_assert_int_eq(access(p, F_OK), 0);
	close(w);
	ck_assert_int_eq(spool_claim(&sp, "acme", &s.files[0], &dst), SPOOL_CLAIMED);
	ck_assert_ptr_nonnull(dst);
	/* archived while a writer has the work file open: not archived */
	w = open(dst, O_WRONLY | O_APPEND);
	ck_assert_int_ge(w, 0);
	{
		char sha[FSIO_SHA256_HEX];
		uint64_t size;

		ck_assert_int_eq(spool_archive(&sp, "acme", dst, sha, &size), 1);
		close(w);
		ck_assert_int_eq(spool_archive(&sp, "acme", dst, sha, &size), 0);
	}
	spool_scan_release(&s);
	free(dst);
	free(p);
}
END_TEST

START_TEST(claim_across_file_systems_copies_and_unlinks)
{
	char shm[] = "/dev/shm/lotsync-spool.XXXXXX", *body, *dst = NULL;
	struct stat a, b;
	struct spool_scan s;

	ck_assert_ptr_nonnull(mkdtemp(shm));
	ck_assert_int_eq(stat(shm, &a), 0);
	ck_assert_int_eq(stat(sdir, &b), 0);
	if (a.st_dev == b.st_dev) { /* no second file system here: nothing to show */
		unit_rmtree(shm);
		return;
	}
	/* incoming/acme is a symbolic link to a folder on another file system */
	unit_rmtree(in);
	ck_assert_int_eq(symlink(shm, in), 0);
	put_aged(in, "far.csv", "VIN\n1\n", 999);
	put_aged(in, "far.csv.done", "", 999);
	ck_assert_int_eq(spool_scan_incoming(&sp, "acme", 60, &s), 0);
	ck_assert_uint_eq(s.nfiles, 1);
	log_set_level(LOG_ERROR);
	ck_assert_int_eq(spool_claim(&sp, "acme", &s.files[0], &dst), SPOOL_CLAIMED);
	body = unit_slurp(dst, NULL);
	ck_assert_str_eq(body, "VIN\n1\n");
	ck_assert_int_eq(access(s.files[0].path, F_OK), -1); /* the original is gone */
	free(body);
	body = xasprintf("%s.done", dst);
	ck_assert_int_eq(access(body, F_OK), 0); /* the marker came along */
	free(body);
	spool_scan_release(&s);
	free(dst);
	unit_rmtree(shm);
}
END_TEST

START_TEST(scan_refuses_bad_names_and_oversized_files_by_size)
{
	struct spool_scan s;
	char longname[256], *p;
	int fd;

	memset(longname, 'n', 250);
	strcpy(longname + 246, ".csv");
	put_aged(in, longname, "x\n", 999);
	put_aged(in, "bell\a.csv", "x\n", 999);
	put_aged(in, "ok.csv", "x\n", 999);
	/* a sparse file past the cap: told from its size, never read */
	p = xasprintf("%s/huge.csv", in);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(5ULL << 30)), 0);
	close(fd);
	log_set_level(LOG_ERROR);
	ck_assert_int_eq(spool_scan_incoming(&sp, "acme", 0, &s), 0);
	ck_assert_uint_eq(s.nfiles, 1);
	ck_assert_str_eq(s.files[0].name, "ok.csv");
	ck_assert_uint_eq(s.refused, 3);
	spool_scan_release(&s);
	free(p);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("verbs"), *scan = tcase_create("scan");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, names_safe_and_local);
	tcase_add_test(tc, quarantine_is_a_copy_with_its_reason);
	tcase_add_test(tc, quarantine_keeps_an_earlier_file_of_the_same_name);
	tcase_add_test(tc, publish_incoming_never_replaces);
	tcase_add_test(tc, publish_incoming_gives_up_after_its_tries);
	tcase_add_test(tc, rewrite_refuses_what_is_not_a_regular_file);
	tcase_add_test(tc, outbox_to_sent_prune_and_purge);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(scan, scan_setup, scan_teardown);
	tcase_add_test(scan, layout_paths_and_modes);
	tcase_add_test(scan, claimable_names);
	tcase_add_test(scan, scan_orders_by_mtime_then_name);
	tcase_add_test(scan, scan_waits_for_settling_unless_marked);
	tcase_add_test(scan, scan_refuses_links_fifos_and_directories);
	tcase_add_test(scan, scan_of_a_missing_folder_is_empty);
	tcase_add_test(scan, claim_moves_file_and_marker_into_work);
	tcase_add_test(scan, claim_refuses_an_entry_changed_after_the_scan);
	tcase_add_test(scan, claim_waits_for_a_file_open_for_writing);
	tcase_add_test(scan, claim_across_file_systems_copies_and_unlinks);
	tcase_add_test(scan, scan_refuses_bad_names_and_oversized_files_by_size);
	suite_add_tcase(s, scan);
	return s;
}

UNIT_MAIN(make_suite)
