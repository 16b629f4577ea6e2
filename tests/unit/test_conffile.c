/*
 * test_conffile.c - the INI vocabulary lotsync.conf, profiles and formats
 * share: yes/no, one character, the string setter, and the error list
 * ("FILE:LINE: message", line order, whole-file errors last).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/conffile.h"
#include "lotsync/format.h"
#include "lotsync/profile.h"
#include "lotsync/util.h"

#include "unit.h"

UNIT_DIR_FIXTURE(dir)

START_TEST(bool_words_any_case)
{
	static const char *const yes[] = {"yes", "YES", "Yes", "on", "ON", "true", "True", "1"};
	static const char *const no[] = {"no", "NO", "No", "off", "Off", "false", "FALSE", "0"};
	static const char *const bad[] = {"", "y", "n", "yess", "2", "enabled", " yes", "01"};
	bool b;

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		b = false;
		ck_assert_msg(conffile_bool(yes[i], &b) == 0 && b, "'%s' is yes", yes[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
		b = true;
		ck_assert_msg(conffile_bool(no[i], &b) == 0 && !b, "'%s' is no", no[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		b = true;
		ck_assert_msg(conffile_bool(bad[i], &b) == -1, "'%s' is refused", bad[i]);
		ck_assert(b); /* a refused value leaves the default */
	}
}
END_TEST

START_TEST(char_itself_or_its_name)
{
	static const struct {
		const char *v;
		char c;
	} ok[] = {{"tab", '\t'},  {"\\t", '\t'}, {"comma", ','}, {"semicolon", ';'}, {"pipe", '|'},
	          {"space", ' '}, {";", ';'},    {"x", 'x'},     {"\t", '\t'}};
	static const char *const bad[] = {"", "ab", "\n", "\r", "TAB", "commas"};
	char c;

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		c = 0;
		ck_assert_msg(conffile_char(ok[i].v, &c) == 0 && c == ok[i].c, "'%s'", ok[i].v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		c = '#';
		ck_assert_msg(conffile_char(bad[i], &c) == -1, "'%s' is refused", bad[i]);
		ck_assert_int_eq(c, '#');
	}
}
END_TEST

START_TEST(set_str_replaces_and_takes)
{
	char *s = xstrdup("default");

	conffile_set_str(&s, xstrdup("one")); /* the default is freed (ASan sees a leak) */
	ck_assert_str_eq(s, "one");
	conffile_set_str(&s, NULL);
	ck_assert_ptr_null(s);
	conffile_set_str(&s, xstrdup("two"));
	ck_assert_str_eq(s, "two");
	free(s);
}
END_TEST

/* Run flush with stderr in a file; returns what it wrote (caller frees). */
static char *
flush_captured(struct conffile_errors *e)
{
	char *path = xasprintf("%s/stderr", dir), *out;
	int saved = dup(2);
	FILE *f = fopen(path, "w+");
	long n;

	ck_assert_ptr_nonnull(f);
	fflush(stderr);
	dup2(fileno(f), 2);
	conffile_errors_flush(e);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	out = xcalloc(1, (size_t)n + 1);
	rewind(f);
	ck_assert_uint_eq(fread(out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	free(path);
	return out;
}

/* The message part of each line ("... error " stripped), joined by '\n'. */
static void
messages(const char *log, char *out, size_t size)
{
	const char *p = log;

	out[0] = '\0';
	while (*p) {
		const char *nl = strchr(p, '\n'), *m = strstr(p, "error ");

		ck_assert_ptr_nonnull(nl);
		ck_assert_msg(m && m < nl, "not an error line: %s", p);
		m += strlen("error ");
		snprintf(out + strlen(out), size - strlen(out), "%.*s\n", (int)(nl - m), m);
		p = nl + 1;
	}
}

START_TEST(errors_in_line_order_whole_file_last)
{
	struct conffile_errors e;
	char *log, got[1024];

	conffile_errors_init(&e, "conf/x.ini");
	conffile_error(&e, 0, "maps no fields");
	conffile_error(&e, 7, "second at %d", 7);
	conffile_error(&e, 3, "first");
	conffile_error(&e, 7, "seven again, found later");
	conffile_error(&e, 0, "whole file, found later");
	ck_assert_int_eq(e.count, 5);
	log = flush_captured(&e);
	messages(log, got, sizeof(got));
	ck_assert_str_eq(got, "conf/x.ini:3: first\n"
	                      "conf/x.ini:7: second at 7\n"
	                      "conf/x.ini:7: seven again, found later\n"
	                      "conf/x.ini:0: maps no fields\n"
	                      "conf/x.ini:0: whole file, found later\n");
	ck_assert_int_eq(e.count, 5); /* the count survives the flush */
	free(log);
	/* nothing left: a second flush logs nothing */
	log = flush_captured(&e);
	ck_assert_str_eq(log, "");
	free(log);
}
END_TEST

START_TEST(no_errors_log_nothing)
{
	struct conffile_errors e;
	char *log;

	conffile_errors_init(&e, "f.ini");
	log = flush_captured(&e);
	ck_assert_str_eq(log, "");
	ck_assert_int_eq(e.count, 0);
	free(log);
}
END_TEST

START_TEST(long_messages_are_cut_not_overrun)
{
	struct conffile_errors e;
	char *big = xcalloc(1, 4000), *log;

	memset(big, 'v', 3999);
	conffile_errors_init(&e, "f.ini");
	conffile_error(&e, 2, "value '%s'", big);
	log = flush_captured(&e);
	ck_assert_ptr_nonnull(strstr(log, "f.ini:2: value 'vvv"));
	ck_assert_uint_lt(strlen(log), 1200); /* one bounded line */
	free(log);
	free(big);
}
END_TEST

struct seen {
	struct conffile_errors *e;
	int *line;
	int pairs;
};

static int
on_pair(void *user, const char *section, const char *key, const char *value)
{
	struct seen *s = user;

	(void)section;
	(void)value;
	s->pairs++;
	if (strcmp(key, "bad") == 0)
		conffile_error(s->e, *s->line, "bad key");
	return 1;
}

START_TEST(load_locates_parses_and_reports)
{
	char *sub = xasprintf("%s/formats", dir), *ini = xasprintf("%s/x.ini", sub), *path = NULL;
	char *log, got[512], *want;
	struct conffile_errors e;
	int line = 0;
	struct seen s = {.e = &e, .line = &line};
	FILE *f;

	ck_assert_int_eq(mkdir(sub, 0700), 0);
	f = fopen(ini, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[format]\nok = 1\nnot a pair\nbad = 2\n", f);
	fclose(f);
	ck_assert_int_eq(
	        conffile_load(dir, "formats", "format", "x", on_pair, &s, &line, &e, &path), 0);
	ck_assert_str_eq(path, ini);
	ck_assert_int_eq(s.pairs, 2); /* inih goes on after the syntax error */
	ck_assert_int_eq(e.count, 2);
	log = flush_captured(&e);
	messages(log, got, sizeof(got));
	want = xasprintf("%s:3: syntax error (expected 'key = value' or '[section]')\n"
	                 "%s:4: bad key\n",
	                 ini, ini);
	ck_assert_str_eq(got, want);
	free(want);
	free(log);
	free(path);
	path = NULL;
	ck_assert_int_eq(
	        conffile_load(dir, "formats", "format", "absent", on_pair, &s, &line, &e, &path),
	        -1);
	ck_assert_ptr_null(path);
	/* names become paths: no separators or hidden names */
	ck_assert_int_eq(conffile_load(dir, "formats", "format", "../formats/x", on_pair, &s, &line,
	                               &e, &path),
	                 -1);
	free(ini);
	free(sub);
}
END_TEST

START_TEST(words_any_case)
{
	static const char *const w[] = {"csv", "xml", NULL};

	ck_assert_int_eq(conffile_word("csv", w), 0);
	ck_assert_int_eq(conffile_word("XML", w), 1);
	ck_assert_int_eq(conffile_word("Csv", w), 0);
	ck_assert_int_eq(conffile_word("json", w), -1);
	ck_assert_int_eq(conffile_word("", w), -1);
	ck_assert_int_eq(conffile_word("csvx", w), -1);
}
END_TEST

static void
write_ini(const char *kind, const char *name, const char *text)
{
	char *d = xasprintf("%s/%s", dir, kind), *p = xasprintf("%s/%s.ini", d, name);
	FILE *f;

	mkdir(d, 0700);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(p);
	free(d);
}

/* Profiles and formats read yes/no, words and characters as lotsync.conf does. */
START_TEST(profiles_and_formats_share_the_vocabulary)
{
	struct profile p;
	struct format f;

	write_ini("profiles", "v",
	          "[profile]\nformat = CSV\nheader = Yes\nshort_vin = ON\ndelimiter = space\n"
	          "mileage_unit = MI\nvin_check = Strict\n[fields]\nvin = VIN\n");
	ck_assert_int_eq(profile_load(dir, "v", &p), 0);
	ck_assert_int_eq(p.format, PROFILE_CSV);
	ck_assert(p.header && p.short_vin);
	ck_assert_int_eq(p.delimiter, ' ');
	ck_assert_int_eq(p.mileage_unit, MILEAGE_MI);
	ck_assert_int_eq(p.vin_check, VIN_CHECK_STRICT);
	profile_release(&p);

	/* formats took only lower-case yes/no and no "space" before */
	write_ini("formats", "v",
	          "[format]\ntype = CSV\nheader = off\nquoting = ALL\ndelimiter = space\n"
	          "line_ending = CRLF\n[columns]\n0 = vin\n1 = images items=First\n");
	ck_assert_int_eq(format_load(dir, "v", &f), 0);
	ck_assert_int_eq(f.type, FORMAT_CSV);
	ck_assert(!f.header && f.crlf);
	ck_assert_int_eq(f.quoting, QUOTING_ALL);
	ck_assert_int_eq(f.delimiter, ' ');
	ck_assert_uint_eq(f.ncols, 2);
	ck_assert_int_eq(f.cols[1].items, ITEMS_FIRST);
	format_release(&f);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("conffile");
	TCase *tc = unit_tcase(s, "vocabulary", setup, teardown);

	tcase_add_test(tc, bool_words_any_case);
	tcase_add_test(tc, char_itself_or_its_name);
	tcase_add_test(tc, set_str_replaces_and_takes);
	tcase_add_test(tc, errors_in_line_order_whole_file_last);
	tcase_add_test(tc, no_errors_log_nothing);
	tcase_add_test(tc, long_messages_are_cut_not_overrun);
	tcase_add_test(tc, load_locates_parses_and_reports);
	tcase_add_test(tc, words_any_case);
	tcase_add_test(tc, profiles_and_formats_share_the_vocabulary);
	return s;
}

UNIT_MAIN(make_suite)
