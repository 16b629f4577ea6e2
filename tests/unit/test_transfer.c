/*
 * test_transfer.c - transfer layer: name safety, URL parsing, listing
 * rules, secrets, the file:// backend, and (when LOTSYNC_SERVERS is set by
 * scripts/with-servers.sh) SFTP, FTP and FTPS against real servers.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/transfer_p.h"
#include "lotsync/fsio.h"
#include "lotsync/log.h"
#include "lotsync/transfer.h"
#include "lotsync/util.h"

#include "unit.h"

/* ---- helpers ---- */

/* Each test's private directory (Check forks per test; teardown removes it). */
static char dir[64];

static void
setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
}

static void
teardown(void)
{
	unit_rmtree(dir);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Write text as in/name (0644). */
static void
put(const char *in, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", in, name);

	unit_write_str(p, text, 0644);
	free(p);
}

/* c lists exactly one file, name. */
static void
assert_lists_one(struct transfer_conn *c, const char *name)
{
	struct remote_file *files;
	size_t n;

	ck_assert_int_eq(transfer_list(c, &files, &n), LS_EXIT_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(files[0].name, name);
	transfer_files_free(files, n);
}

/*
 * root/inbox/many, fresh (a failed earlier run may have left it), with 450
 * files f000.csv .. f449.csv of i % 7 bytes each: more than one SIZE/MDTM
 * batch. Caller frees the path.
 */
static char *
many_files(const char *root)
{
	char *path = xasprintf("%s/inbox/many", root), name[16];

	unit_rmtree(path);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	for (int i = 0; i < 450; i++) {
		snprintf(name, sizeof(name), "f%03d.csv", i);
		put(path, name, &"xxxxxxx"[7 - i % 7]);
	}
	return path;
}

/* Deterministic bytes, so a shifted or truncated copy cannot compare equal. */
static char *
pattern(size_t n, unsigned seed)
{
	char *p = xmalloc(n);
	unsigned x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (char)(x >> 16);
	}
	return p;
}

/* Download name into a temp file and compare it with want[0..n). */
static void
assert_get_equals(struct transfer_conn *c, const char *name, const char *want, size_t n)
{
	char path[] = "/tmp/lotsync-test-get.XXXXXX";
	int fd = mkstemp(path);
	uint64_t bytes = 0;
	size_t got_n;
	char *got;

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(transfer_get(c, name, fd, &bytes), LS_EXIT_OK);
	close(fd);
	ck_assert_uint_eq(bytes, n);
	got = unit_slurp(path, &got_n);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got_n, n);
	ck_assert_msg(memcmp(got, want, n) == 0, "downloaded bytes differ");
	free(got);
	unlink(path);
}

/* transfer_get_sha256() gives the bytes and their SHA-256 in one pass. */
static void
assert_get_sha(struct transfer_conn *c, const char *name, const char *want, size_t n)
{
	char path[] = "/tmp/lotsync-test-get.XXXXXX";
	char want_hex[FSIO_SHA256_HEX], got_hex[65], file_hex[FSIO_SHA256_HEX];
	int fd = mkstemp(path);
	uint64_t bytes = 0, fsize = 0;

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(transfer_get_sha256(c, name, fd, &bytes, got_hex), LS_EXIT_OK);
	close(fd);
	ck_assert_uint_eq(bytes, n);
	fsio_sha256_buf(want, n, want_hex);
	ck_assert_str_eq(got_hex, want_hex);
	ck_assert_int_eq(fsio_sha256_file(path, file_hex, &fsize), 0);
	ck_assert_str_eq(file_hex, want_hex);
	ck_assert_uint_eq(fsize, n);
	unlink(path);
}

static const struct remote_file *
find_file(const struct remote_file *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

/* Capture what is logged to stderr between capture_begin() and capture_end(). */
struct capture {
	int saved;
	char path[64];
};

static void
capture_begin(struct capture *cap)
{
	int fd;

	snprintf(cap->path, sizeof(cap->path), "/tmp/lotsync-test-log.XXXXXX");
	fd = mkstemp(cap->path);
	ck_assert_int_ne(fd, -1);
	fflush(stderr);
	cap->saved = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *
capture_end(struct capture *cap)
{
	size_t n;
	char *text;

	fflush(stderr);
	dup2(cap->saved, 2);
	close(cap->saved);
	text = unit_slurp(cap->path, &n);
	ck_assert_ptr_nonnull(text);
	unlink(cap->path);
	fputs(text, stderr); /* still show it */
	return text;
}

/* ---- name safety ---- */

START_TEST(test_names_hostile)
{
	char long_name[300];
	const char *hostile[] = {
	        "",       ".",      "..",        "../x",    "../../etc/passwd",
	        "/etc/x", "/",      "a/b",       "a/",      "-rf",
	        "-",      "--help", "a\nb",      "a\rb",    "\n",
	        "a\tb",   "a\\b",   "\\",        "..\\x",   "\x7f",
	        "a\x7f",  "\x01",   "a\x1b[31m", ".hidden", ".x.part",
	        ".csv",   "a/../b", "x\x1f",     "C:\\x",   long_name,
	};

	memset(long_name, 'a', 256);
	long_name[256] = '\0';
	ck_assert(!transfer_name_is_safe(NULL));
	ck_assert_uint_ge(ARRAY_SIZE(hostile), 25);
	for (size_t i = 0; i < ARRAY_SIZE(hostile); i++)
		ck_assert_msg(!transfer_name_is_safe(hostile[i]), "accepted hostile name #%zu", i);
}
END_TEST

START_TEST(test_names_safe)
{
	char name255[256];
	const char *safe[] = {
	        "a",
	        "a.csv",
	        "Dealer 1 inventory.csv",
	        "x-y_z.xml",
	        "a..b",
	        "a.",
	        "name-",
	        "1",
	        "20261122T0600.csv",
	        "Ä\xc3\xb6.csv",
	        "a b c",
	        "~backup",
	        "file.csv.part",
	        name255,
	};

	memset(name255, 'b', 255);
	name255[255] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(safe); i++)
		ck_assert_msg(transfer_name_is_safe(safe[i]), "refused safe name #%zu", i);
}
END_TEST

/* ---- URLs ---- */

struct url_case {
	const char *url;
	const char *scheme, *user, *host;
	long port;
	const char *dir, *glob;
};

static void
check_url(const struct url_case *t)
{
	struct transfer_url u;

	ck_assert_msg(transfer_url_parse(t->url, &u) == LS_EXIT_OK, "refused %s", t->url);
	ck_assert_str_eq(u.scheme, t->scheme);
	ck_assert_pstr_eq(u.user, t->user);
	ck_assert_pstr_eq(u.host, t->host);
	ck_assert_int_eq(u.port, t->port);
	ck_assert_str_eq(u.dir, t->dir);
	ck_assert_pstr_eq(u.glob, t->glob);
	ck_assert_ptr_nonnull(u.display);
	transfer_url_release(&u);
}

START_TEST(test_url_good)
{
	static const struct url_case cases[] = {
	        {"sftp://u@h:2222/in/*.csv", "sftp", "u", "h", 2222, "/in/", "*.csv"},
	        {"sftp://u@h/in/", "sftp", "u", "h", 22, "/in/", NULL},
	        {"ftp://h/x/", "ftp", NULL, "h", 21, "/x/", NULL},
	        {"ftps://u@h/x/y.csv", "ftps", "u", "h", 21, "/x/", "y.csv"},
	        {"ftp://u@h", "ftp", "u", "h", 21, "/", NULL},
	        {"ftp://h/a%20b/f%3F.csv", "ftp", NULL, "h", 21, "/a b/", "f?.csv"},
	        {"sftp://d%40x@h/~/in/", "sftp", "d@x", "h", 22, "/~/in/", NULL},
	        {"ftp://[::1]:2121/up/", "ftp", NULL, "::1", 2121, "/up/", NULL},
	        {"SFTP://u@h:22/a/b/c/", "sftp", "u", "h", 22, "/a/b/c/", NULL},
	        {"file:///tmp/x/", "file", NULL, NULL, 0, "/tmp/x/", NULL},
	        {"file:///tmp/x/*.xml", "file", NULL, NULL, 0, "/tmp/x/", "*.xml"},
	        {"ftp://h/a/./b/../c/", "ftp", NULL, "h", 21, "/a/c/", NULL},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_url(&cases[i]);
}
END_TEST

START_TEST(test_url_bad)
{
	const char *bad[] = {
	        NULL,
	        "",
	        "http://h/x/",
	        "scp://u@h/x/",
	        "sftp://u:secret@h/x/", /* passwords belong in password_file */
	        "ftp://h/x/?q=1",
	        "ftp://h/x/#frag",
	        "ftp://h/a%0Ab/",
	        "ftp://h/a/%0d%0aDELE%20x",
	        "ftp://h/a/b%2Fc",
	        "ftp://h/a/%zz",
	        "ftp://h/a/%4",
	        "ftp://h:0/x/",
	        "ftp://h:99999/x/",
	        "ftp://h:abc/x/",
	        "ftp:///x/",
	        "no-scheme",
	};
	struct transfer_url u;
	unsigned before = log_error_count();

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_msg(transfer_url_parse(bad[i], &u) == LS_EXIT_CONFIG, "accepted #%zu %s",
		              i, bad[i] ? bad[i] : "(null)");
		transfer_url_release(&u);
	}
	ck_assert_uint_eq(log_error_count() - before, ARRAY_SIZE(bad));
}
END_TEST

START_TEST(test_url_password_not_echoed)
{
	struct transfer_url u;
	struct capture cap;
	char *text;

	capture_begin(&cap);
	ck_assert_int_eq(transfer_url_parse("ftp://u:hunter2@h/x/", &u), LS_EXIT_CONFIG);
	text = capture_end(&cap);
	transfer_url_release(&u);
	ck_assert_ptr_null(strstr(text, "hunter2"));
	free(text);
}
END_TEST

START_TEST(test_remote_path)
{
	struct transfer_url u;
	char *p;

	ck_assert_int_eq(transfer_url_parse("sftp://u@h/~/in/", &u), LS_EXIT_OK);
	p = transfer_remote_path(&u, "a.csv");
	ck_assert_str_eq(p, "in/a.csv");
	free(p);
	p = transfer_remote_path(&u, NULL);
	ck_assert_str_eq(p, "in/");
	free(p);
	transfer_url_release(&u);

	ck_assert_int_eq(transfer_url_parse("sftp://u@h/~/", &u), LS_EXIT_OK);
	p = transfer_remote_path(&u, NULL);
	ck_assert_str_eq(p, ".");
	free(p);
	p = transfer_remote_path(&u, "x");
	ck_assert_str_eq(p, "x");
	free(p);
	transfer_url_release(&u);

	ck_assert_int_eq(transfer_url_parse("sftp://u@h/srv/in%20box/", &u), LS_EXIT_OK);
	p = transfer_remote_path(&u, "x");
	ck_assert_str_eq(p, "/srv/in box/x");
	free(p);
	transfer_url_release(&u);

	p = transfer_temp_name("a.csv");
	ck_assert_str_eq(p, ".a.csv.part");
	ck_assert(!transfer_name_is_safe(p)); /* never listed, never fetched */
	free(p);
}
END_TEST

/* ---- listing rules ---- */

START_TEST(test_list_add_rules)
{
	struct transfer_listing l = {.glob = "*.csv", .where = "test"};
	unsigned warns = log_warn_count();

	ck_assert_int_eq(transfer_list_add(&l, "a.csv", 10, 5), 0);
	ck_assert_int_eq(transfer_list_add(&l, "b.xml", 1, 1), 0);       /* glob */
	ck_assert_int_eq(transfer_list_add(&l, ".a.csv.part", 1, 1), 0); /* hidden: silent */
	ck_assert_int_eq(transfer_list_add(&l, ".evil.csv", 1, 1), 0);
	ck_assert_int_eq(transfer_list_add(&l, "-rf.csv", 1, 1), 0);  /* unsafe: warned */
	ck_assert_int_eq(transfer_list_add(&l, "a\nb.csv", 1, 1), 0); /* unsafe: warned */
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.files[0].name, "a.csv");
	ck_assert_uint_eq(l.files[0].size, 10);
	ck_assert_int_eq(l.files[0].mtime, 5);
	ck_assert_uint_eq(log_warn_count() - warns, 2);
	transfer_files_free(l.files, l.n);

	/* No glob: everything but hidden names; an explicit dot glob reaches them */
	l = (struct transfer_listing){.glob = NULL, .where = "test"};
	transfer_list_add(&l, "x", 0, 0);
	transfer_list_add(&l, ".x", 0, 0);
	ck_assert_uint_eq(l.n, 1);
	transfer_files_free(l.files, l.n);
	l = (struct transfer_listing){.glob = ".*", .where = "test"};
	warns = log_warn_count();
	transfer_list_add(&l, ".x", 0, 0);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_uint_eq(log_warn_count() - warns, 1);
	transfer_files_free(l.files, l.n);
}
END_TEST

START_TEST(test_list_cap)
{
	struct transfer_listing l = {.glob = NULL, .where = "test"};
	char name[32];
	int rc = 0;

	for (int i = 0; i <= LS_MAX_LIST_ENTRIES && rc == 0; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		rc = transfer_list_add(&l, name, 0, 0);
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_uint_eq(l.n, LS_MAX_LIST_ENTRIES);
	transfer_files_free(l.files, l.n);
}
END_TEST

START_TEST(test_mlsd_parse)
{
	char *name;
	uint64_t size;
	time_t mtime;

	ck_assert_int_eq(
	        transfer_ftp_parse_mlsd("type=file;size=1234;modify=20261122063000; a b.csv", &name,
	                                &size, &mtime),
	        0);
	ck_assert_str_eq(name, "a b.csv");
	ck_assert_uint_eq(size, 1234);
	ck_assert_int_eq(mtime, 1795329000);
	free(name);
	ck_assert_int_eq(transfer_ftp_parse_mlsd("Type=dir;Modify=20260101000000; sub", &name,
	                                         &size, &mtime),
	                 1);
	free(name);
	ck_assert_int_eq(
	        transfer_ftp_parse_mlsd("type=OS.unix=slink:/x;size=3; l", &name, &size, &mtime),
	        1);
	free(name);
	ck_assert_int_eq(transfer_ftp_parse_mlsd("modify=20260101000000.123;type=file;perm=r; x",
	                                         &name, &size, &mtime),
	                 0);
	ck_assert_uint_eq(size, 0);
	ck_assert_int_eq(mtime, 1767225600);
	free(name);
	ck_assert_int_eq(transfer_ftp_parse_mlsd("size=3; nofacttype", &name, &size, &mtime), -1);
	ck_assert_int_eq(transfer_ftp_parse_mlsd("garbage", &name, &size, &mtime), -1);
	ck_assert_int_eq(transfer_ftp_parse_mlsd("type=file; ", &name, &size, &mtime), -1);
}
END_TEST

/* ---- secrets ---- */

START_TEST(test_read_secret)
{
	char *p = xasprintf("%s/pw", dir);
	char *secret;

	unit_write(p, "s3cret\r\nsecond line\n", 20, 0600);
	ck_assert_int_eq(transfer_read_secret(p, &secret), LS_EXIT_OK);
	ck_assert_str_eq(secret, "s3cret");
	transfer_secret_free(secret);

	unit_write(p, "nonewline", 9, 0400);
	ck_assert_int_eq(transfer_read_secret(p, &secret), LS_EXIT_OK);
	ck_assert_str_eq(secret, "nonewline");
	transfer_secret_free(secret);

	unit_write(p, "s3cret\n", 7, 0640);
	ck_assert_int_eq(transfer_read_secret(p, &secret), LS_EXIT_CONFIG);
	ck_assert_ptr_null(secret);
	unit_write(p, "s3cret\n", 7, 0604);
	ck_assert_int_eq(transfer_read_secret(p, &secret), LS_EXIT_CONFIG);
	unit_write(p, "\n", 1, 0600);
	ck_assert_int_eq(transfer_read_secret(p, &secret), LS_EXIT_CONFIG);
	unit_write(p, "a\0b\n", 4, 0600);
	ck_assert_int_eq(transfer_read_secret(p, &secret), LS_EXIT_CONFIG);
	ck_assert_int_eq(transfer_read_secret("/nonexistent/pw", &secret), LS_EXIT_CONFIG);
	ck_assert_int_eq(transfer_read_secret(dir, &secret), LS_EXIT_CONFIG); /* a directory */
	{
		/* the cap is LS_MAX_SECRET bytes of secret, newline not counted */
		char big[LS_MAX_SECRET + 2];

		memset(big, 'x', sizeof(big));
		big[LS_MAX_SECRET] = '\n';
		unit_write(p, big, LS_MAX_SECRET + 1, 0600);
		ck_assert_int_eq(transfer_read_secret(p, &secret), LS_EXIT_OK);
		ck_assert_uint_eq(strlen(secret), LS_MAX_SECRET);
		transfer_secret_free(secret);
		big[LS_MAX_SECRET] = 'x';
		unit_write(p, big, LS_MAX_SECRET + 1, 0600);
		ck_assert_int_eq(transfer_read_secret(p, &secret), LS_EXIT_CONFIG);
	}
	free(p);
}
END_TEST

/* ---- file:// backend ---- */

START_TEST(test_local_roundtrip)
{
	char *remote = xasprintf("%s/remote", dir), *src = xasprintf("%s/src.csv", dir);
	char *url = xasprintf("file://%s/", remote);
	char *final = xasprintf("%s/feed.csv", remote),
	     *part = xasprintf("%s/.feed.csv.part", remote);
	struct transfer_endpoint ep = {.url = url};
	struct transfer_conn *c;
	struct remote_file *files;
	size_t n;
	char *data = pattern(300000, 1), *data2 = pattern(1000, 2);

	ck_assert_int_eq(mkdir(remote, 0755), 0);
	unit_write(src, data, 300000, 0644);
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_OK);

	ck_assert_int_eq(transfer_put(c, src, "feed.csv", true), LS_EXIT_OK);
	ck_assert(exists(final));
	ck_assert(!exists(part));
	ck_assert_str_ne(transfer_last_reply(c), "");

	/* a hidden temp file, a subdirectory and a symlink are not listed */
	unit_write(part, "x", 1, 0644);
	free(part);
	part = xasprintf("%s/sub", remote);
	ck_assert_int_eq(mkdir(part, 0755), 0);
	free(part);
	part = xasprintf("%s/link.csv", remote);
	ck_assert_int_eq(symlink(final, part), 0);

	ck_assert_int_eq(transfer_list(c, &files, &n), LS_EXIT_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(files[0].name, "feed.csv");
	ck_assert_uint_eq(files[0].size, 300000);
	ck_assert_int_gt(files[0].mtime, 0);
	transfer_files_free(files, n);

	assert_get_equals(c, "feed.csv", data, 300000);
	assert_get_sha(c, "feed.csv", data, 300000);

	/* replace an existing file, then upload without rename */
	unit_write(src, data2, 1000, 0644);
	ck_assert_int_eq(transfer_put(c, src, "feed.csv", true), LS_EXIT_OK);
	assert_get_equals(c, "feed.csv", data2, 1000);
	ck_assert_int_eq(transfer_put(c, src, "direct.csv", false), LS_EXIT_OK);
	assert_get_equals(c, "direct.csv", data2, 1000);

	ck_assert_int_eq(transfer_delete(c, "feed.csv"), LS_EXIT_OK);
	ck_assert(!exists(final));
	ck_assert_int_eq(transfer_delete(c, "feed.csv"), LS_EXIT_UNAVAILABLE);
	ck_assert_int_eq(transfer_get(c, "feed.csv", 1, NULL), LS_EXIT_UNAVAILABLE);
	ck_assert_int_eq(transfer_get(c, "../src.csv", 1, NULL), LS_EXIT_DATAERR);
	ck_assert_int_eq(transfer_put(c, src, "../escape.csv", true), LS_EXIT_DATAERR);
	ck_assert_int_eq(transfer_delete(c, ".feed.csv.part"), LS_EXIT_DATAERR);
	ck_assert_int_eq(transfer_put(c, "/nonexistent/x", "x.csv", true), LS_EXIT_IOERR);
	transfer_close(c);

	free(data);
	free(data2);
	free(part);
	free(final);
	free(url);
	free(src);
	free(remote);
}
END_TEST

/* One connection serves two directories; another server is refused. */
START_TEST(test_set_url)
{
	char *a = xasprintf("%s/a", dir), *b = xasprintf("%s/b", dir);
	char *url_a = xasprintf("file://%s/", a), *url_b = xasprintf("file://%s/*.csv", b);
	char *p;
	struct transfer_endpoint ep = {.url = url_a};
	struct transfer_conn *c;

	ck_assert_int_eq(mkdir(a, 0755), 0);
	ck_assert_int_eq(mkdir(b, 0755), 0);
	put(a, "in-a.txt", "a");
	put(b, "in-b.csv", "bb");
	put(b, "skip.txt", "b");
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_OK);
	assert_lists_one(c, "in-a.txt");

	ck_assert_int_eq(transfer_set_url(c, url_b), LS_EXIT_OK);
	p = xasprintf("file://%s/", b);
	ck_assert_str_eq(transfer_where(c), p);
	free(p);
	assert_lists_one(c, "in-b.csv");
	assert_get_sha(c, "in-b.csv", "bb", 2);

	ck_assert_int_eq(transfer_set_url(c, "ftp://u@127.0.0.1:21/x/"), LS_EXIT_CONFIG);
	/* still usable, still on b */
	assert_get_equals(c, "in-b.csv", "bb", 2);
	transfer_close(c);
	free(url_a);
	free(url_b);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_local_glob_and_errors)
{
	char *url = xasprintf("file://%s/*.csv", dir);
	struct transfer_endpoint ep = {.url = url};
	struct transfer_conn *c;
	struct remote_file *files;
	size_t n;

	put(dir, "b.csv", "b");
	put(dir, "a.csv", "aa");
	put(dir, "c.xml", "c");
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_OK);
	ck_assert_int_eq(transfer_list(c, &files, &n), LS_EXIT_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(files[0].name, "a.csv"); /* sorted */
	ck_assert_str_eq(files[1].name, "b.csv");
	transfer_files_free(files, n);
	transfer_close(c);
	free(url);

	url = xasprintf("file://%s/missing/", dir);
	ep.url = url;
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_UNAVAILABLE);
	ck_assert_ptr_null(c);
	ep.url = "gopher://h/x/";
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_CONFIG);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(transfer_last_reply(NULL), "");
	free(url);
}
END_TEST

/* ---- timeouts, against a socket that accepts connections but never speaks ---- */

static int
silent_listener(long *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 8), 0); /* the kernel completes connects; nobody reads */
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

START_TEST(test_silent_server_times_out)
{
	const char *schemes[] = {"sftp", "ftp", "ftps"};
	char *kh = xasprintf("%s/known_hosts", dir), *url;
	struct transfer_endpoint ep;
	struct transfer_conn *c;
	struct timespec t0, t1;
	long port;
	int lfd = silent_listener(&port);
	double secs;

	unit_write(kh, "", 0, 0644);
	for (size_t i = 0; i < ARRAY_SIZE(schemes); i++) {
		url = xasprintf("%s://u@127.0.0.1:%ld/x/", schemes[i], port);
		ep = (struct transfer_endpoint){
		        .url = url, .identity = kh, .known_hosts = kh, .idle_timeout = 1};
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_UNAVAILABLE);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ck_assert_ptr_null(c);
		secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		ck_assert_msg(secs >= 0.9 && secs < 4, "%s: gave up after %.2f s", schemes[i],
		              secs);
		free(url);
	}
	close(lfd);
	free(kh);
}
END_TEST

/* ---- real servers (scripts/with-servers.sh) ---- */

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v && *v, "environment variable %s is not set", name);
	return v;
}

/* True when the server tests should run; fails when they must but cannot. */
static bool
have_servers(void)
{
	const char *req = getenv("LOTSYNC_REQUIRE_SERVERS");

	if (getenv("LOTSYNC_SERVERS"))
		return true;
	ck_assert_msg(!(req && strcmp(req, "1") == 0),
	              "LOTSYNC_REQUIRE_SERVERS=1 but LOTSYNC_SERVERS is not set "
	              "(run under scripts/with-servers.sh)");
	return false;
}

/* A port on 127.0.0.1 that nothing listens on (bound, then released). */
static long
closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static char *
sftp_url(const char *sub)
{
	return xasprintf("sftp://%s@127.0.0.1:%s%s/%s", env("SFTP_USER"), env("SFTP_PORT"),
	                 env("SFTP_ROOT"), sub);
}

static char *
ftp_url(const char *scheme, const char *port_var, const char *sub)
{
	return xasprintf("%s://%s@127.0.0.1:%s/%s", scheme, env("FTP_USER"), env(port_var), sub);
}

/*
 * put (temp name, then final), list, get, replace, delete on one connection;
 * root is the local directory behind the URL, to see what really landed.
 */
static void
roundtrip(struct transfer_conn *c, const char *root, size_t size, bool expect_warn)
{
	char *src = xasprintf("%s/src", dir), *final = xasprintf("%s/rt.csv", root);
	char *part = xasprintf("%s/.rt.csv.part", root);
	char *data = pattern(size, 7), *data2 = pattern(size / 2 + 1, 8);
	struct remote_file *files;
	const struct remote_file *f;
	unsigned warns;
	size_t n;

	unit_write(src, data, size, 0644);
	ck_assert_int_eq(transfer_put(c, src, "rt.csv", true), LS_EXIT_OK);
	ck_assert_msg(exists(final), "%s missing", final);
	ck_assert_msg(!exists(part), "%s left behind", part);

	ck_assert_int_eq(transfer_list(c, &files, &n), LS_EXIT_OK);
	f = find_file(files, n, "rt.csv");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->size, size);
	ck_assert_int_gt(f->mtime, 0);
	ck_assert_ptr_null(find_file(files, n, ".rt.csv.part"));
	transfer_files_free(files, n);

	assert_get_equals(c, "rt.csv", data, size);
	assert_get_sha(c, "rt.csv", data, size);

	/* replace the existing file: SFTP (OpenSSH) must delete first and warn */
	unit_write(src, data2, size / 2 + 1, 0644);
	warns = log_warn_count();
	ck_assert_int_eq(transfer_put(c, src, "rt.csv", true), LS_EXIT_OK);
	ck_assert_uint_eq(log_warn_count() - warns, expect_warn ? 1 : 0);
	ck_assert(!exists(part));
	assert_get_equals(c, "rt.csv", data2, size / 2 + 1);

	ck_assert_int_eq(transfer_delete(c, "rt.csv"), LS_EXIT_OK);
	ck_assert(!exists(final));
	ck_assert_int_ne(transfer_delete(c, "rt.csv"), LS_EXIT_OK);
	ck_assert_int_ne(transfer_get(c, "rt.csv", 1, NULL), LS_EXIT_OK);

	/* rename = off: straight to the name */
	ck_assert_int_eq(transfer_put(c, src, "direct.csv", false), LS_EXIT_OK);
	assert_get_equals(c, "direct.csv", data2, size / 2 + 1);
	ck_assert_int_eq(transfer_delete(c, "direct.csv"), LS_EXIT_OK);

	free(data);
	free(data2);
	free(part);
	free(final);
	free(src);
}

START_TEST(test_sftp_key)
{
	char *url, *root;
	struct transfer_endpoint ep = {0};
	struct transfer_conn *c;

	if (!have_servers())
		return;
	url = sftp_url("upload/");
	root = xasprintf("%s/upload", env("SFTP_ROOT"));
	ep = (struct transfer_endpoint){
	        .url = url, .identity = env("SFTP_KEY"), .known_hosts = env("SFTP_KNOWN_HOSTS")};
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_OK);
	roundtrip(c, root, 3 * 1024 * 1024 + 17, true); /* big reads */
	roundtrip(c, root, 5000, true);                 /* small reads */
	transfer_close(c);
	free(root);
	free(url);
}
END_TEST

START_TEST(test_sftp_password_and_home)
{
	char *url, *root;
	struct transfer_endpoint ep;
	struct transfer_conn *c;

	if (!have_servers())
		return;
	/* "/~/" is the login directory, which the test server sets to SFTP_ROOT */
	url = xasprintf("sftp://%s@127.0.0.1:%s/~/upload/", env("SFTP_USER"), env("SFTP_PORT"));
	root = xasprintf("%s/upload", env("SFTP_ROOT"));
	ep = (struct transfer_endpoint){.url = url,
	                                .password_file = env("SFTP_PASSWORD_FILE"),
	                                .known_hosts = env("SFTP_KNOWN_HOSTS")};
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_OK);
	roundtrip(c, root, 70000, true);
	transfer_close(c);
	free(root);
	free(url);
}
END_TEST

START_TEST(test_sftp_login_refused)
{
	char *url, *pw = xasprintf("%s/pw", dir);
	struct transfer_endpoint ep;
	struct transfer_conn *c;

	if (!have_servers())
		goto out;
	url = sftp_url("upload/");
	unit_write(pw, "wrong-password\n", 15, 0600);
	ep = (struct transfer_endpoint){
	        .url = url, .password_file = pw, .known_hosts = env("SFTP_KNOWN_HOSTS")};
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_UNAVAILABLE);
	ck_assert_ptr_null(c);
	/* no way to log in at all is a configuration error */
	ep.password_file = NULL;
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_CONFIG);
	free(url);
out:
	free(pw);
}
END_TEST

/* Open with known_hosts holding kh_text; returns the exit code and the log. */
static enum ls_exit
open_with_known_hosts(const char *kh_path, char **log_text)
{
	char *url = sftp_url("upload/");
	struct transfer_endpoint ep = {
	        .url = url, .identity = env("SFTP_KEY"), .known_hosts = kh_path};
	struct transfer_conn *c;
	struct capture cap;
	enum ls_exit rc;

	capture_begin(&cap);
	rc = transfer_open(&ep, &c);
	*log_text = capture_end(&cap);
	if (rc == LS_EXIT_OK)
		transfer_close(c);
	else
		ck_assert_ptr_null(c);
	free(url);
	return rc;
}

START_TEST(test_sftp_host_key_refused)
{
	char *kh, *cmd, *text, *pub, *line;
	size_t n;

	if (!have_servers())
		return;
	kh = xasprintf("%s/known_hosts", dir);
	cmd = xasprintf("ssh-keygen -q -t ed25519 -N '' -f '%s/other' </dev/null", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	cmd = xasprintf("%s/other.pub", dir);
	pub = unit_slurp(cmd, &n);
	ck_assert_ptr_nonnull(pub);
	free(cmd);

	/* changed: same host, another ed25519 key */
	line = xasprintf("[127.0.0.1]:%s %s", env("SFTP_PORT"), pub);
	unit_write(kh, line, strlen(line), 0644);
	free(line);
	ck_assert_int_eq(open_with_known_hosts(kh, &text), LS_EXIT_CONFIG);
	ck_assert_ptr_nonnull(strstr(text, env("SFTP_HOST_FPR"))); /* "SHA256:..." */
	ck_assert_ptr_nonnull(strstr(text, "CHANGED"));
	ck_assert_ptr_nonnull(strstr(text, "127.0.0.1:"));
	free(text);

	/* unknown: a key for another host only */
	line = xasprintf("[10.9.8.7]:22 %s", pub);
	unit_write(kh, line, strlen(line), 0644);
	free(line);
	ck_assert_int_eq(open_with_known_hosts(kh, &text), LS_EXIT_CONFIG);
	ck_assert_ptr_nonnull(strstr(text, "SHA256:"));
	ck_assert_ptr_nonnull(strstr(text, "unknown"));
	free(text);

	/* no known_hosts file at all */
	ck_assert_int_eq(open_with_known_hosts("/nonexistent/known_hosts", &text), LS_EXIT_CONFIG);
	free(text);

	/* the right file still works (and the password was never needed) */
	ck_assert_int_eq(open_with_known_hosts(env("SFTP_KNOWN_HOSTS"), &text), LS_EXIT_OK);
	free(text);

	free(pub);
	free(kh);
}
END_TEST

START_TEST(test_sftp_list_many_and_glob)
{
	char *url, *many, *p;
	struct transfer_endpoint ep;
	struct transfer_conn *c;
	struct remote_file *files;
	size_t n;

	if (!have_servers())
		return;
	many = many_files(env("SFTP_ROOT"));
	put(many, "other.xml", "x");
	p = xasprintf("%s/sub.csv", many);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	url = sftp_url("inbox/many/*.csv");
	ep = (struct transfer_endpoint){
	        .url = url, .identity = env("SFTP_KEY"), .known_hosts = env("SFTP_KNOWN_HOSTS")};
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_OK);
	ck_assert_int_eq(transfer_list(c, &files, &n), LS_EXIT_OK);
	ck_assert_uint_eq(n, 450);
	ck_assert_str_eq(files[449].name, "f449.csv");
	ck_assert_uint_eq(files[449].size, 449 % 7);
	transfer_files_free(files, n);
	transfer_close(c);
	free(url);
	unit_rmtree(many);
	free(many);
}
END_TEST

/*
 * A connection opened on upload/ and switched to a glob in inbox/ lists and
 * fetches there: one login serves several feeds of a server.
 */
static void
switch_dir(struct transfer_endpoint *ep, const char *root, const char *other_url)
{
	char *sub = xasprintf("%s/inbox/sw%d", root, (int)getpid());
	char *p = xasprintf("%s/feed.csv", sub);
	struct transfer_conn *c;

	unit_rmtree(sub);
	ck_assert_int_eq(mkdir(sub, 0777), 0);
	ck_assert_int_eq(chmod(sub, 0777), 0);
	unit_write(p, "vin\nX1\n", 7, 0644);
	ck_assert_int_eq(transfer_open(ep, &c), LS_EXIT_OK);
	ck_assert_int_eq(transfer_set_url(c, other_url), LS_EXIT_OK);
	assert_lists_one(c, "feed.csv");
	assert_get_sha(c, "feed.csv", "vin\nX1\n", 7);
	ck_assert_int_eq(transfer_delete(c, "feed.csv"), LS_EXIT_OK);
	ck_assert(!exists(p));
	transfer_close(c);
	unit_rmtree(sub);
	free(p);
	free(sub);
}

START_TEST(test_set_url_servers)
{
	char *url, *other;
	struct transfer_endpoint ep;

	if (!have_servers())
		return;
	url = sftp_url("upload/");
	other = xasprintf("sftp://%s@127.0.0.1:%s%s/inbox/sw%d/*.csv", env("SFTP_USER"),
	                  env("SFTP_PORT"), env("SFTP_ROOT"), (int)getpid());
	ep = (struct transfer_endpoint){
	        .url = url, .identity = env("SFTP_KEY"), .known_hosts = env("SFTP_KNOWN_HOSTS")};
	switch_dir(&ep, env("SFTP_ROOT"), other);
	free(other);
	free(url);

	url = ftp_url("ftp", "FTP_PORT", "upload/");
	other = xasprintf("ftp://%s@127.0.0.1:%s/inbox/sw%d/*.csv", env("FTP_USER"),
	                  env("FTP_PORT"), (int)getpid());
	ep = (struct transfer_endpoint){.url = url, .password_file = env("FTP_PASSWORD_FILE")};
	switch_dir(&ep, env("FTP_ROOT"), other);
	free(other);
	free(url);
}
END_TEST

/* roundtrip() of size bytes in the FTP server's upload/ over scheme (ftps: with the test CA). */
static void
ftp_roundtrip(const char *scheme, size_t size)
{
	char *url = ftp_url(scheme, "FTP_PORT", "upload/");
	char *root = xasprintf("%s/upload", env("FTP_ROOT"));
	struct transfer_endpoint ep = {.url = url,
	                               .password_file = env("FTP_PASSWORD_FILE"),
	                               .ca_file =
	                                       strcmp(scheme, "ftps") ? NULL : env("FTP_CACERT")};
	struct transfer_conn *c;

	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_OK);
	roundtrip(c, root, size, false); /* vsftpd renames over files */
	transfer_close(c);
	free(root);
	free(url);
}

START_TEST(test_ftp_roundtrip)
{
	if (have_servers())
		ftp_roundtrip("ftp", 2 * 1024 * 1024 + 3);
}
END_TEST

START_TEST(test_ftps_roundtrip)
{
	char *url;
	struct transfer_endpoint ep;
	struct transfer_conn *c;

	if (!have_servers())
		return;
	ftp_roundtrip("ftps", 100000);

	/* the self-signed certificate does not verify against the system CAs */
	url = ftp_url("ftps", "FTP_PORT", "upload/");
	ep = (struct transfer_endpoint){.url = url, .password_file = env("FTP_PASSWORD_FILE")};
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_CONFIG);
	ck_assert_ptr_null(c);
	free(url);
}
END_TEST

START_TEST(test_ftps_without_tls_refused)
{
	char *url, *text, *pw_line;
	struct transfer_endpoint ep;
	struct transfer_conn *c;
	struct capture cap;
	size_t n;

	if (!have_servers())
		return;
	url = ftp_url("ftps", "FTP_NOTLS_PORT", "upload/");
	ep = (struct transfer_endpoint){.url = url,
	                                .password_file = env("FTP_PASSWORD_FILE"),
	                                .ca_file = env("FTP_CACERT")};
	capture_begin(&cap);
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_UNAVAILABLE);
	text = capture_end(&cap);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(text, "TLS"));
	pw_line = unit_slurp(env("FTP_PASSWORD_FILE"), &n);
	str_trim(pw_line);
	ck_assert_ptr_null(strstr(text, pw_line)); /* secrets are never logged */
	free(pw_line);
	free(text);
	free(url);
}
END_TEST

START_TEST(test_ftp_list_many_and_dirs)
{
	char *url, *many, *p;
	struct transfer_endpoint ep;
	struct transfer_conn *c;
	struct remote_file *files;
	const struct remote_file *f;
	size_t n;

	if (!have_servers())
		return;
	many = many_files(env("FTP_ROOT"));
	p = xasprintf("%s/adir.csv", many);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	url = ftp_url("ftp", "FTP_PORT", "inbox/many/*.csv");
	ep = (struct transfer_endpoint){.url = url, .password_file = env("FTP_PASSWORD_FILE")};
	ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_OK);
	ck_assert_int_eq(transfer_list(c, &files, &n), LS_EXIT_OK);
	ck_assert_uint_eq(n, 450);
	ck_assert_ptr_null(find_file(files, n, "adir.csv"));
	f = find_file(files, n, "f006.csv");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->size, 6);
	ck_assert_int_gt(f->mtime, time(NULL) - 3600);
	transfer_files_free(files, n);
	transfer_close(c);
	free(url);
	unit_rmtree(many);
	free(many);
}
END_TEST

START_TEST(test_unreachable_fast)
{
	char *url, *port;
	struct transfer_endpoint ep = {0};
	struct transfer_conn *c;
	struct timespec t0, t1;
	const char *schemes[] = {"sftp", "ftp", "ftps"};

	if (!have_servers())
		return;
	port = xasprintf("%ld", closed_port());
	for (size_t i = 0; i < ARRAY_SIZE(schemes); i++) {
		url = xasprintf("%s://u@127.0.0.1:%s/x/", schemes[i], port);
		ep = (struct transfer_endpoint){.url = url,
		                                .identity = env("SFTP_KEY"),
		                                .known_hosts = env("SFTP_KNOWN_HOSTS"),
		                                .connect_timeout = 5};
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert_int_eq(transfer_open(&ep, &c), LS_EXIT_UNAVAILABLE);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ck_assert_ptr_null(c);
		ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 3);
		free(url);
	}
	free(port);
}
END_TEST

static Suite *
transfer_suite(void)
{
	Suite *s = suite_create("transfer");
	TCase *pure = unit_tcase(s, "pure", setup, teardown);
	TCase *local = unit_tcase(s, "local", setup, teardown);
	TCase *servers = unit_tcase(s, "servers", setup, teardown);

	tcase_add_test(pure, test_names_hostile);
	tcase_add_test(pure, test_names_safe);
	tcase_add_test(pure, test_url_good);
	tcase_add_test(pure, test_url_bad);
	tcase_add_test(pure, test_url_password_not_echoed);
	tcase_add_test(pure, test_remote_path);
	tcase_add_test(pure, test_list_add_rules);
	tcase_add_test(pure, test_list_cap);
	tcase_add_test(pure, test_mlsd_parse);
	tcase_add_test(pure, test_read_secret);

	tcase_add_test(local, test_local_roundtrip);
	tcase_add_test(local, test_local_glob_and_errors);
	tcase_add_test(local, test_set_url);
	tcase_add_test(local, test_silent_server_times_out);

	tcase_set_timeout(servers, 120);
	tcase_add_test(servers, test_sftp_key);
	tcase_add_test(servers, test_sftp_password_and_home);
	tcase_add_test(servers, test_sftp_login_refused);
	tcase_add_test(servers, test_sftp_host_key_refused);
	tcase_add_test(servers, test_sftp_list_many_and_glob);
	tcase_add_test(servers, test_ftp_roundtrip);
	tcase_add_test(servers, test_set_url_servers);
	tcase_add_test(servers, test_ftps_roundtrip);
	tcase_add_test(servers, test_ftps_without_tls_refused);
	tcase_add_test(servers, test_ftp_list_many_and_dirs);
	tcase_add_test(servers, test_unreachable_fast);
	return s;
}

int
main(void)
{
	if (!getenv("LOTSYNC_SERVERS"))
		fprintf(stderr, "test_transfer: LOTSYNC_SERVERS not set: server tests %s\n",
		        getenv("LOTSYNC_REQUIRE_SERVERS") ? "required: they will fail" : "skipped");
	return unit_run(transfer_suite());
}
