/*
 * test_fields.c - the canonical field table: lookups, kinds, and README's
 * and docs/profiles.md's field lists, which must be the table (a failure prints the rows to paste).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/fields.h"
#include "lotsync/format.h"
#include "lotsync/util.h"

#include "unit.h"

START_TEST(lookups)
{
	ck_assert_ptr_nonnull(fields_find("vin"));
	ck_assert_int_eq(fields_kind("vin"), FIELD_VIN);
	ck_assert_int_eq(fields_kind("price"), FIELD_MONEY);
	ck_assert_int_eq(fields_kind("mileage"), FIELD_MILEAGE);
	ck_assert_int_eq(fields_kind("model_year"), FIELD_YEAR);
	ck_assert_int_eq(fields_kind("in_stock_date"), FIELD_DATE);
	ck_assert(fields_is_list("images") && fields_is_list("equipment") &&
	          fields_is_list("documents"));
	ck_assert(!fields_is_list("make"));
	ck_assert(fields_is_canonical("extra.Colour"));
	ck_assert(!fields_is_canonical("extra."));
	ck_assert(!fields_is_canonical("colour"));
	ck_assert_ptr_null(fields_find("extra.Colour"));
	ck_assert_int_eq(fields_kind("extra.Colour"), FIELD_TEXT);
	ck_assert_int_eq(fields_kind("nonsense"), FIELD_TEXT);
}
END_TEST

START_TEST(names_are_unique)
{
	for (size_t i = 0; i < fields_count; i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(fields_table[i].name, fields_table[j].name);
}
END_TEST

/* Formats print a column by the kind the profile normalised it to. */
START_TEST(format_kinds_follow_the_table)
{
	for (size_t i = 0; i < fields_count; i++) {
		const struct field_def *f = &fields_table[i];
		enum column_kind want = f->kind == FIELD_MONEY ? COL_MONEY
		                        : f->kind == FIELD_YEAR || f->kind == FIELD_MILEAGE ||
		                                        f->kind == FIELD_INT ||
		                                        f->kind == FIELD_COORD
		                                ? COL_NUMBER
		                        : f->kind == FIELD_DATE ? COL_DATE
		                        : f->kind == FIELD_LIST ? COL_LIST
		                                                : COL_TEXT;

		ck_assert_msg(format_field_kind(f->name) == want, "%s", f->name);
	}
}
END_TEST

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = xcalloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/* The <!-- fields --> block of a document under the source tree must be the table. */
static void
check_table(const char *doc)
{
	const char *src = getenv("LOTSYNC_SRCDIR");
	char *path = xasprintf("%s/%s", src ? src : ".", doc), *readme = slurp(path);
	const char *start = strstr(readme, "<!-- fields:"),
	           *end = strstr(readme, "<!-- /fields -->");
	char *want = xstrdup(""), *got;

	ck_assert_msg(start && end && start < end, "%s has no <!-- fields --> block", doc);
	start = strstr(start, "|---|---|---|\n");
	ck_assert_ptr_nonnull(start);
	start += strlen("|---|---|---|\n");
	got = xstrndup(start, (size_t)(end - start));
	for (size_t i = 0; i < fields_count; i++) {
		char *w = xasprintf("%s| `%s` | %s | %s |\n", want, fields_table[i].name,
		                    fields_kind_name(fields_table[i].kind), fields_table[i].doc);

		free(want);
		want = w;
	}
	ck_assert_msg(strcmp(got, want) == 0, "%s's field table should read:\n%s", doc, want);
	free(got);
	free(want);
	free(readme);
	free(path);
}

START_TEST(docs_list_the_table)
{
	check_table("README.md");
	check_table("docs/profiles.md");
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("fields");
	TCase *tc = unit_tcase(s, "fields", NULL, NULL);

	tcase_add_test(tc, lookups);
	tcase_add_test(tc, names_are_unique);
	tcase_add_test(tc, format_kinds_follow_the_table);
	tcase_add_test(tc, docs_list_the_table);
	return s;
}

UNIT_MAIN(make_suite)
