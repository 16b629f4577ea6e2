/*
 * test_input.c - a feed file as a byte stream: plain files through the
 * read-ahead buffer, gzip and zip found by content rather than name, which
 * zip member is the feed, printable member names, rewinding, the
 * compression-bomb cap, and what open and read report when they fail.
 * The archives are made with Python's gzip and zipfile modules (RFC 1952,
 * PKWARE APPNOTE), independent of libarchive, which reads them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/input.h"
#include "lotsync/log.h"
#include "lotsync/util.h"

#include "unit.h"

UNIT_DIR_FIXTURE(dir, log_set_level(LOG_ERROR))

/* Run a Python snippet in dir (sys.argv[1] is dir). */
static void
python(const char *code)
{
	char *cmd = xasprintf("/usr/bin/python3 -I -S -c '%s' '%s'", code, dir);

	ck_assert_msg(system(cmd) == 0, "%s", cmd);
	free(cmd);
}

/* Everything the input yields, read in chunks of `chunk` bytes. Caller frees. */
static char *
drain(struct input *in, size_t chunk, size_t *len)
{
	char *out = NULL;
	size_t n = 0, cap = 0;
	ssize_t k;

	for (;;) {
		if (cap - n < chunk) {
			cap = (cap + chunk) * 2;
			out = xrealloc(out, cap + 1);
		}
		if ((k = input_read(in, out + n, chunk)) <= 0)
			break;
		n += (size_t)k;
	}
	ck_assert_msg(k == 0, "read failed: %s", input_why(in));
	out[n] = '\0';
	*len = n;
	return out;
}

static struct input *
open_ok(const char *name, const char *ext)
{
	char *p = xasprintf("%s/%s", dir, name), *why = NULL;
	struct input *in = NULL;

	ck_assert_int_eq(input_open(p, ext, &in, &why), LS_OK);
	ck_assert_ptr_null(why);
	ck_assert_ptr_nonnull(in);
	free(p);
	return in;
}

/* input_open fails with LS_BAD_FILE and exactly want. */
static void
open_bad(const char *name, const char *ext, const char *want)
{
	char *p = xasprintf("%s/%s", dir, name), *why = NULL;
	struct input *in = NULL;

	ck_assert_int_eq(input_open(p, ext, &in, &why), LS_BAD_FILE);
	ck_assert_ptr_null(in);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, want);
	free(why);
	free(p);
}

START_TEST(plain_file_through_the_read_ahead)
{
	size_t n = 600 * 1024 + 17, len;
	char *data = xmalloc(n), *p = xasprintf("%s/feed.csv", dir), *got;
	struct input *in;

	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	unit_write(p, data, n, 0644);
	in = open_ok("feed.csv", "csv");
	ck_assert_int_eq(input_kind(in), INPUT_PLAIN);
	ck_assert_ptr_null(input_describe(in));
	/* small reads come out of the buffer, big ones go straight through */
	got = drain(in, 1000, &len);
	ck_assert_uint_eq(len, n);
	ck_assert(memcmp(got, data, n) == 0);
	free(got);
	ck_assert_int_eq(input_rewind(in), 0);
	got = drain(in, 300 * 1024, &len);
	ck_assert_uint_eq(len, n);
	ck_assert(memcmp(got, data, n) == 0);
	ck_assert_int_eq(input_scope(in), LS_OK);
	ck_assert_str_eq(input_why(in), "no error");
	free(got);
	input_close(in);
	free(data);
	free(p);
}
END_TEST

START_TEST(a_missing_file_is_a_feed_error)
{
	char *p = xasprintf("%s/none.csv", dir), *why = NULL;
	struct input *in = (struct input *)1;

	ck_assert_int_eq(input_open(p, "csv", &in, &why), LS_BAD_FEED);
	ck_assert_ptr_null(in);
	ck_assert_ptr_null(why);
	input_close(NULL);
	free(p);
}
END_TEST

START_TEST(gzip_by_content_not_by_name)
{
	struct input *in;
	size_t len;
	char *got;

	python("import gzip, sys; open(sys.argv[1] + \"/feed.csv\", \"wb\").write("
	       "gzip.compress(b\"DealerID,VIN\\nD1,V1\\n\" * 1000))");
	in = open_ok("feed.csv", "csv");
	ck_assert_int_eq(input_kind(in), INPUT_GZIP);
	ck_assert_str_eq(input_describe(in), "gzip");
	got = drain(in, 4096, &len);
	ck_assert_uint_eq(len, 19 * 1000);
	ck_assert(str_startswith(got, "DealerID,VIN\nD1,V1\nDealerID"));
	free(got);
	ck_assert_int_eq(input_rewind(in), 0);
	got = drain(in, 7, &len);
	ck_assert_uint_eq(len, 19 * 1000);
	free(got);
	input_close(in);
}
END_TEST

/* Read to the end: the count when it ends well, -1 when it fails. */
static ssize_t
read_all(struct input *in, size_t *total)
{
	char buf[4096];
	ssize_t k;

	*total = 0;
	while ((k = input_read(in, buf, sizeof(buf))) > 0)
		*total += (size_t)k;
	return k;
}

START_TEST(gzip_trailer_crc_and_length_are_checked)
{
	struct input *in;
	size_t total;

	/*
	 * A stored (level 0) gzip with one data byte changed inflates without
	 * error; only the trailer's CRC-32 tells (libarchive does not check it).
	 */
	python("import gzip, sys; d = b\"DealerID,VIN\\nD1,V1\\n\" * 100; "
	       "g = bytearray(gzip.compress(d, 0)); g[g.index(b\"V1\")] ^= 0x20; "
	       "open(sys.argv[1] + \"/flip.gz\", \"wb\").write(g); "
	       "g = bytearray(gzip.compress(d, 9)); g[-1] ^= 1; "
	       "open(sys.argv[1] + \"/isize.gz\", \"wb\").write(g); "
	       "open(sys.argv[1] + \"/two.gz\", \"wb\").write(gzip.compress(d[:50]) + "
	       "gzip.compress(d[50:]))");
	for (int i = 0; i < 2; i++) {
		in = open_ok(i ? "isize.gz" : "flip.gz", "csv");
		ck_assert_int_eq(read_all(in, &total), -1);
		ck_assert_uint_eq(total, 1900);
		ck_assert_int_eq(input_scope(in), LS_BAD_FILE);
		ck_assert_str_eq(input_why(in),
		                 "corrupt gzip data: the CRC-32 or length in the trailer "
		                 "does not match the data (damaged in transfer?)");
		input_close(in);
	}
	/* Two members: the last trailer covers only the last one, zlib checks both. */
	in = open_ok("two.gz", "csv");
	ck_assert_int_eq(read_all(in, &total), 0);
	ck_assert_uint_eq(total, 1900);
	ck_assert_int_eq(input_rewind(in), 0);
	ck_assert_int_eq(read_all(in, &total), 0);
	ck_assert_uint_eq(total, 1900);
	input_close(in);
}
END_TEST

START_TEST(gzip_bomb_is_refused_while_reading)
{
	struct input *in;
	char buf[65536];
	ssize_t k;
	uint64_t total = 0;

	/* 16 MiB of zeros: about 1000 times its compressed size */
	python("import gzip, sys; open(sys.argv[1] + \"/bomb.gz\", \"wb\").write("
	       "gzip.compress(bytes(16 << 20), 9))");
	in = open_ok("bomb.gz", "csv");
	while ((k = input_read(in, buf, sizeof(buf))) > 0)
		total += (uint64_t)k;
	ck_assert_int_eq(k, -1);
	ck_assert_uint_lt(total, 16 << 20);
	ck_assert_uint_ge(total, LS_INPUT_RATIO_FLOOR - sizeof(buf));
	ck_assert_int_eq(input_scope(in), LS_BAD_FILE);
	ck_assert_str_eq(input_why(in),
	                 "decompresses to more than 100 times its size (a compression bomb?)");
	ck_assert_int_eq(input_read(in, buf, sizeof(buf)), -1); /* stays failed */
	input_close(in);
}
END_TEST

START_TEST(zip_picks_the_one_feed_member)
{
	struct input *in;
	size_t len;
	char *got;

	python("import zipfile, sys; z = zipfile.ZipFile(sys.argv[1] + \"/f.zip\", \"w\", "
	       "zipfile.ZIP_DEFLATED); z.writestr(\"photos/\", b\"\"); "
	       "z.writestr(\"photos/1.jpg\", b\"\\xff\\xd8jpeg\"); "
	       "z.writestr(\"Feed.CSV\", b\"DealerID,VIN\\nD1,V1\\n\"); "
	       "z.writestr(\"notes.md\", b\"# hi\"); z.close()");
	in = open_ok("f.zip", "csv");
	ck_assert_int_eq(input_kind(in), INPUT_ZIP);
	ck_assert_str_eq(input_describe(in), "zip member 'Feed.CSV'");
	got = drain(in, 5, &len);
	ck_assert_str_eq(got, "DealerID,VIN\nD1,V1\n");
	free(got);
	ck_assert_int_eq(input_rewind(in), 0);
	got = drain(in, 4096, &len);
	ck_assert_str_eq(got, "DealerID,VIN\nD1,V1\n");
	free(got);
	input_close(in);
	/* as an XML feed the same zip has no member, and three regular files */
	open_bad("f.zip", "xml", "zip holds no .xml file");
}
END_TEST

START_TEST(zip_with_one_file_of_any_name_and_hostile_names)
{
	struct input *in;
	size_t len;
	char *got;

	python("import zipfile, sys; z = zipfile.ZipFile(sys.argv[1] + \"/one.zip\", \"w\"); "
	       "z.writestr(\"inventory\", b\"<feed/>\"); z.close(); "
	       "z = zipfile.ZipFile(sys.argv[1] + \"/evil.zip\", \"w\"); "
	       "z.writestr(\"../x\\x1b[31m\\n\" + \"a\" * 80 + \".xml\", b\"<feed/>\"); z.close(); "
	       "z = zipfile.ZipFile(sys.argv[1] + \"/two.zip\", \"w\"); "
	       "z.writestr(\"a.xml\", b\"<a/>\"); z.writestr(\"b.XML\", b\"<b/>\"); z.close()");
	in = open_ok("one.zip", "xml");
	ck_assert_str_eq(input_describe(in), "zip member 'inventory'");
	got = drain(in, 4096, &len);
	ck_assert_str_eq(got, "<feed/>");
	free(got);
	input_close(in);
	/* control characters become '?', the name is cut at 64 characters */
	in = open_ok("evil.zip", "xml");
	ck_assert_str_eq(input_describe(in), "zip member '../x?[31m?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                                     "aaaaaaaaaaaaaaaaaaaaaaaa...'");
	input_close(in);
	open_bad("two.zip", "xml", "zip holds 2 .xml files; a feed zip holds one");
}
END_TEST

START_TEST(corrupt_archives_are_file_errors)
{
	/* zip magic, then garbage; gzip magic, then garbage */
	char *z = xasprintf("%s/bad.zip", dir), *g = xasprintf("%s/bad.gz", dir);
	struct input *in;
	char buf[256];
	ssize_t k;

	unit_write(z, "PK\x03\x04garbage that is not a zip entry", 35, 0644);
	unit_write(g, "\x1f\x8b\x08\x00garbage", 11, 0644);
	{
		char *why = NULL;

		ck_assert_int_eq(input_open(z, "csv", &in, &why), LS_BAD_FILE);
		ck_assert_msg(why && str_startswith(why, "corrupt zip"), "%s", why);
		free(why);
	}
	{
		char *why = NULL;
		enum ls_scope sc = input_open(g, "csv", &in, &why);

		/* libarchive may notice at open or at the first read */
		if (sc == LS_OK) {
			k = input_read(in, buf, sizeof(buf));
			ck_assert_int_eq(k, -1);
			ck_assert_int_eq(input_scope(in), LS_BAD_FILE);
			input_close(in);
		} else {
			ck_assert_int_eq(sc, LS_BAD_FILE);
			ck_assert_ptr_nonnull(why);
			free(why);
		}
	}
	free(z);
	free(g);
}
END_TEST

START_TEST(memory_input)
{
	static const char text[] = "DealerID,VIN\nD1,V1\n";
	struct input *in = input_open_mem(text, sizeof(text) - 1);
	size_t len;
	char *got;

	ck_assert_int_eq(input_kind(in), INPUT_MEMORY);
	got = drain(in, 3, &len);
	ck_assert_str_eq(got, text);
	free(got);
	ck_assert_int_eq(input_rewind(in), 0);
	got = drain(in, 100, &len);
	ck_assert_str_eq(got, text);
	free(got);
	input_close(in);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("input");
	TCase *tc = unit_tcase(s, "streams", setup, teardown);

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, plain_file_through_the_read_ahead);
	tcase_add_test(tc, a_missing_file_is_a_feed_error);
	tcase_add_test(tc, gzip_by_content_not_by_name);
	tcase_add_test(tc, gzip_trailer_crc_and_length_are_checked);
	tcase_add_test(tc, gzip_bomb_is_refused_while_reading);
	tcase_add_test(tc, zip_picks_the_one_feed_member);
	tcase_add_test(tc, zip_with_one_file_of_any_name_and_hostile_names);
	tcase_add_test(tc, corrupt_archives_are_file_errors);
	tcase_add_test(tc, memory_input);
	return s;
}

UNIT_MAIN(make_suite)
