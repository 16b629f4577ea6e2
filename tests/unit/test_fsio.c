/*
 * test_fsio.c - durable file operations on a real file system: temporary
 * names, commit and discard, copies (hard link or bytes), moves, SHA-256
 * against the FIPS 180-2 test vectors, and the failures each one reports.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/fsio.h"
#include "lotsync/log.h"
#include "lotsync/util.h"

#include "unit.h"

UNIT_DIR_FIXTURE(dir, log_set_level(LOG_ERROR))

static char *
at(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* Names in dir, sorted, space separated. Caller frees. */
static char *
listing(const char *d)
{
	char *cmd = xasprintf("ls -A '%s' | tr '\\n' ' '", d), buf[4096] = "";
	FILE *f = popen(cmd, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	pclose(f);
	free(cmd);
	return xstrdup(str_trim(buf));
}

START_TEST(mkdirs_creates_every_component)
{
	char *deep = at("a/b/c"), *file = at("f"), *under = at("f/x");
	struct stat st;

	ck_assert_int_eq(fsio_mkdirs(deep, 0750), 0);
	ck_assert_int_eq(stat(deep, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(fsio_mkdirs(deep, 0750), 0); /* exists: fine */
	unit_write_str(file, "x", 0644);
	ck_assert_int_eq(fsio_mkdirs(under, 0750), -1); /* a file is in the way */
	ck_assert_int_eq(fsio_fsync_dir(deep), 0);
	ck_assert_int_eq(fsio_fsync_dir(under), -1);
	free(deep);
	free(file);
	free(under);
}
END_TEST

START_TEST(mktemp_is_private_and_hidden)
{
	char *tmp = NULL, *tmp2 = NULL, *prefix = xasprintf("%s/.tmp-r.html-", dir);
	struct stat st;
	int fd = fsio_mktemp(dir, "r.html", &tmp), fd2 = fsio_mktemp(dir, "r.html", &tmp2);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(fd2, 0);
	ck_assert_msg(str_startswith(tmp, prefix), "%s", tmp);
	ck_assert_str_ne(tmp, tmp2);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(fsio_discard(fd, tmp), -1);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	ck_assert_int_eq(fsio_discard(fd2, tmp2), -1);
	ck_assert_int_eq(fsio_discard(-1, tmp2), -1); /* already gone: quiet */
	free(tmp);
	free(tmp2);
	tmp = NULL;
	ck_assert_int_eq(fsio_mktemp("/nonexistent-lotsync-dir", "x", &tmp), -1);
	ck_assert_ptr_null(tmp);
	free(prefix);
}
END_TEST

START_TEST(write_file_replaces_whole_and_leaves_no_temp)
{
	char *p = at("out.csv"), *body, *ls;
	static const char big_pattern[] = "0123456789abcdef";
	size_t n = 3 << 20, len;
	char *big = xmalloc(n);

	unit_write_str(p, "old content that is longer\n", 0644);
	ck_assert_int_eq(fsio_write_file(dir, "out.csv", "new\n", 4), 0);
	body = unit_slurp(p, &len);
	ck_assert_str_eq(body, "new\n");
	free(body);
	for (size_t i = 0; i < n; i++)
		big[i] = big_pattern[i % 16];
	ck_assert_int_eq(fsio_write_file(dir, "big", big, n), 0);
	free(p);
	p = at("big");
	body = unit_slurp(p, &len);
	ck_assert_uint_eq(len, n);
	ck_assert(memcmp(body, big, n) == 0);
	free(body);
	ls = listing(dir);
	ck_assert_str_eq(ls, "big out.csv");
	free(ls);
	ck_assert_int_eq(fsio_write_file("/nonexistent-lotsync-dir", "x", "y", 1), -1);
	free(big);
	free(p);
}
END_TEST

START_TEST(commit_that_cannot_rename_removes_the_temp)
{
	char *tmp = NULL, *blocker = at("busy"), *inside = at("busy/f"), *ls;
	int fd;

	/* a non-empty directory under the final name: rename(2) fails */
	unit_write_str(inside, "x", 0644);
	fd = fsio_mktemp(dir, "busy", &tmp);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fsio_write_all(fd, "data", 4), 0);
	ck_assert_int_eq(fsio_commit(fd, tmp, dir, "busy"), -1);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	ls = listing(dir);
	ck_assert_str_eq(ls, "busy");
	free(ls);
	free(tmp);
	free(blocker);
	free(inside);
}
END_TEST

START_TEST(copy_fd_is_an_own_hashed_copy_and_refuses_a_growing_file)
{
	char *src = at("src"), *sub = at("sub"), *dst = at("sub/copy"), *body, hex[FSIO_SHA256_HEX];
	char want[FSIO_SHA256_HEX], *named;
	struct stat a, b;
	uint64_t size = 0;
	int fd;

	unit_write_str(src, "feed bytes\n", 0644);
	unit_mkdirs(sub);
	fd = open(src, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(fsio_copy_fd(fd, &a, sub, "copy", 0444, hex, &size), 0);
	ck_assert_int_eq(stat(dst, &b), 0);
	ck_assert(a.st_ino != b.st_ino); /* never a hard link: our own inode */
	ck_assert_int_eq((int)(b.st_mode & 07777), 0444);
	ck_assert_uint_eq(size, 11);
	fsio_sha256_buf("feed bytes\n", 11, want);
	ck_assert_str_eq(hex, want);
	body = unit_slurp(dst, NULL);
	ck_assert_str_eq(body, "feed bytes\n");
	free(body);
	/* named by its hash, replacing an existing file of that name */
	named = xasprintf("%s/%s", sub, want);
	unit_write_str(named, "stale link\n", 0644);
	ck_assert_int_eq(fsio_copy_fd(fd, &a, sub, NULL, 0444, hex, NULL), 0);
	body = unit_slurp(named, NULL);
	ck_assert_str_eq(body, "feed bytes\n");
	free(body);
	/* the writer went on (size and mtime differ from before): nothing placed */
	unit_write_str(src, "feed bytes and more\n", 0644);
	ck_assert_int_eq(fsio_copy_fd(fd, &a, sub, "grown", 0444, hex, NULL), 1);
	body = at("sub/grown");
	ck_assert_int_eq(access(body, F_OK), -1);
	free(body);
	close(fd);
	free(named);
	free(src);
	free(sub);
	free(dst);
}
END_TEST

/*
 * A file of 40 MiB and an odd tail is copied and read back in several
 * chunks: the name is still the SHA-256 of every byte, in order (a chunk
 * hashed twice, skipped or out of order gives another digest). Past two
 * chunks the hash runs on a thread of its own a chunk or two behind the
 * copy; from another file system (src in /dev/shm, where there is one)
 * the kernel cannot copy and the read/write loop hashes as it reads.
 */
static void
copy_large_from(const char *src)
{
	char *sub = at("sub"), hex[FSIO_SHA256_HEX], want[FSIO_SHA256_HEX];
	size_t n = ((size_t)40 << 20) + 12345;
	unsigned char *data = xmalloc(n);
	uint64_t size = 0, x = 88172645463325252ULL;
	struct stat a, b;
	char *dst;
	int fd;

	for (size_t i = 0; i < n; i++) { /* xorshift: no two chunks alike */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		data[i] = (unsigned char)x;
	}
	fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fsio_write_all(fd, data, n), 0);
	close(fd);
	unit_mkdirs(sub);
	fsio_sha256_buf(data, n, want);
	fd = open(src, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(fsio_copy_fd(fd, &a, sub, NULL, 0444, hex, &size), 0);
	close(fd);
	ck_assert_str_eq(hex, want);
	ck_assert_uint_eq(size, n);
	dst = xasprintf("%s/%s", sub, want);
	ck_assert_int_eq(stat(dst, &b), 0);
	ck_assert_int_eq((long long)b.st_size, (long long)n);
	ck_assert_int_eq(unlink(dst), 0);
	free(dst);
	free(data);
	free(sub);
}

START_TEST(copy_fd_of_a_large_file_hashes_every_chunk_in_order)
{
	char *src = at("big");
	struct stat st;

	copy_large_from(src);
	free(src);
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) {
		src = xasprintf("/dev/shm/lotsync-unit-%ld", (long)getpid());
		copy_large_from(src);
		unlink(src);
		free(src);
	}
}
END_TEST

START_TEST(move_renames_between_folders)
{
	char *src = at("a/f.csv"), *b = at("b"), *dst = at("b/g.csv");

	unit_write_str(src, "x", 0644);
	unit_mkdirs(b);
	ck_assert_int_eq(fsio_move(src, b, "g.csv"), 0);
	ck_assert_int_eq(access(src, F_OK), -1);
	ck_assert_int_eq(access(dst, F_OK), 0);
	ck_assert_int_eq(fsio_move(src, b, "g.csv"), -1); /* gone */
	free(src);
	free(b);
	free(dst);
}
END_TEST

START_TEST(sha256_of_files_and_buffers)
{
	char hex[FSIO_SHA256_HEX], hex2[FSIO_SHA256_HEX], *p = at("abc"), *big = at("big");
	char *none = at("none");
	uint64_t size = 0;
	size_t n = (1 << 20) * 2 + 123;
	char *data = xmalloc(n);

	/* FIPS 180-2, appendix B.1, and the empty message */
	fsio_sha256_buf("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	fsio_sha256_buf("", 0, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	unit_write_str(p, "abc", 0644);
	ck_assert_int_eq(fsio_sha256_file(p, hex, &size), 0);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_uint_eq(size, 3);
	/* more than one read buffer */
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7);
	unit_write(big, data, n, 0644);
	ck_assert_int_eq(fsio_sha256_file(big, hex, &size), 0);
	fsio_sha256_buf(data, n, hex2);
	ck_assert_str_eq(hex, hex2);
	ck_assert_uint_eq(size, n);
	ck_assert_int_eq(fsio_sha256_file(big, hex, NULL), 0);
	ck_assert_int_eq(fsio_sha256_file(none, hex, &size), -1);
	free(data);
	free(p);
	free(big);
	free(none);
}
END_TEST

START_TEST(dirname_of_paths)
{
	static const char *const t[][2] = {
	        {"/a/b/c.csv", "/a/b"}, {"c.csv", "."}, {"/c.csv", "/"}, {"a/b", "a"}};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		char *d = fsio_dirname(t[i][0]);

		ck_assert_str_eq(d, t[i][1]);
		free(d);
	}
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("fsio");
	TCase *tc = unit_tcase(s, "durable", setup, teardown);

	tcase_add_test(tc, mkdirs_creates_every_component);
	tcase_add_test(tc, mktemp_is_private_and_hidden);
	tcase_add_test(tc, write_file_replaces_whole_and_leaves_no_temp);
	tcase_add_test(tc, commit_that_cannot_rename_removes_the_temp);
	tcase_add_test(tc, copy_fd_is_an_own_hashed_copy_and_refuses_a_growing_file);
	tcase_add_test(tc, copy_fd_of_a_large_file_hashes_every_chunk_in_order);
	tcase_add_test(tc, move_renames_between_folders);
	tcase_add_test(tc, sha256_of_files_and_buffers);
	tcase_add_test(tc, dirname_of_paths);
	return s;
}

UNIT_MAIN(make_suite)
