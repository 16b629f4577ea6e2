/*
 * test_builtin.c - the profiles and formats compiled into the binary, and
 * conffile_locate()'s order: a file next to the config, then the built-in.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lotsync/builtin.h"
#include "lotsync/conffile.h"
#include "lotsync/util.h"
#include "unit.h"

static const char *
srcdir(void)
{
	const char *s = getenv("LOTSYNC_SRCDIR");

	return s && *s ? s : ".";
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	buf = xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* Every conf/<kind>/NAME.ini is compiled in, byte for byte, and nothing else. */
static void
check_kind(const char *kind)
{
	char *dir = xasprintf("%s/conf/%s", srcdir(), kind);
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t files = 0, builtins = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name), n;
		char *name, *path, *text;
		const struct builtin_file *b;

		if (len <= 4 || !str_endswith(e->d_name, ".ini"))
			continue;
		name = xstrndup(e->d_name, len - 4);
		path = xasprintf("%s/%s", dir, e->d_name);
		text = slurp(path, &n);
		b = builtin_find(kind, name);
		ck_assert_msg(b != NULL, "%s/%s is not built in", kind, name);
		ck_assert_uint_eq(b->len, n);
		ck_assert_int_eq(memcmp(b->data, text, n), 0);
		ck_assert_int_eq(b->data[n], '\0');
		files++;
		free(text);
		free(path);
		free(name);
	}
	closedir(d);
	for (size_t i = 0; i < builtin_nfiles; i++)
		builtins += strcmp(builtin_files[i].kind, kind) == 0;
	ck_assert_uint_eq(builtins, files);
	ck_assert_uint_gt(files, 4);
	free(dir);
}

START_TEST(test_all_shipped_files_built_in)
{
	check_kind("profiles");
	check_kind("formats");
	ck_assert_ptr_null(builtin_find("profiles", "no-such"));
	ck_assert_ptr_null(builtin_find("formats", "dealer-feed")); /* a profile only */
}
END_TEST

START_TEST(test_locate_order)
{
	char dir[64], *p, *path;
	FILE *fp;

	unit_tmpdir(dir, sizeof(dir));
	/* Nothing local: the built-in one, under a name messages can show. */
	p = conffile_locate(dir, "profiles", "generic-csv");
	ck_assert_str_eq(p, "built-in:profiles/generic-csv.ini");
	ck_assert(conffile_is_builtin(p));
	free(p);
	ck_assert_ptr_null(conffile_locate(dir, "profiles", "mine"));
	ck_assert_ptr_null(conffile_locate(dir, "profiles", "../generic-csv"));
	ck_assert_ptr_null(conffile_locate(dir, "profiles", ".hidden"));
	/* A local file of the same name wins; a new name is found too. */
	path = xasprintf("%s/profiles", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
	path = xasprintf("%s/profiles/generic-csv.ini", dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("[profile]\n", fp);
	fclose(fp);
	p = conffile_locate(dir, "profiles", "generic-csv");
	ck_assert_str_eq(p, path);
	ck_assert(!conffile_is_builtin(p));
	free(p);
	free(path);
	ck_assert(!conffile_is_builtin("built-in:profiles/no-such.ini"));
	ck_assert(!conffile_is_builtin("built-in:profiles"));
	unit_rmtree(dir);
}
END_TEST

static int entries;

static int
count(void *user, const char *section, const char *name, const char *value)
{
	(void)user;
	(void)section;
	(void)name;
	(void)value;
	entries++;
	return 1;
}

START_TEST(test_parse_builtin_counts_lines)
{
	int line = 0;
	const struct builtin_file *b = builtin_find("profiles", "generic-csv");
	int lines = 0;

	for (size_t i = 0; i < b->len; i++)
		lines += b->data[i] == '\n';
	ck_assert_int_eq(conffile_parse("built-in:profiles/generic-csv.ini", count, NULL, &line),
	                 0);
	ck_assert_int_gt(entries, 10);
	ck_assert_int_eq(line, lines);
}
END_TEST

START_TEST(test_summary)
{
	char out[100];

	builtin_summary("; acme: the acme export (header, comma), UTF-8: more\n[profile]\n", "acme",
	                out, sizeof(out));
	ck_assert_str_eq(out, "the acme export, UTF-8");
	builtin_summary("; acme: a long phrase that goes on, and on over the\n; next line, "
	                "and further still, until it passes sixty characters\n",
	                "acme", out, sizeof(out));
	ck_assert_str_eq(out, "a long phrase that goes on, and on over the next line");
	builtin_summary("[profile]\n", "acme", out, sizeof(out));
	ck_assert_str_eq(out, "");
	builtin_summary("; other: words. More words\n", "acme", out, sizeof(out));
	ck_assert_str_eq(out, "other"); /* not its own name: kept, cut at ':' */
	builtin_summary("; acme: words. More words\n", "acme", out, sizeof(out));
	ck_assert_str_eq(out, "words");
	builtin_summary("; acme: words and more\n", "acme", out, 6);
	ck_assert_str_eq(out, "words");
}
END_TEST

static Suite *
builtin_suite(void)
{
	Suite *s = suite_create("builtin");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_all_shipped_files_built_in);
	tcase_add_test(tc, test_locate_order);
	tcase_add_test(tc, test_parse_builtin_counts_lines);
	tcase_add_test(tc, test_summary);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(builtin_suite)
