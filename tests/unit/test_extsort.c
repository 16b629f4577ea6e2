/* test_extsort.c - records in key order in bounded memory: in memory, spilled, merged. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/extsort.h"
#include "lotsync/util.h"

#include "unit.h"

struct seen {
	char **keys;
	uint64_t *ties;
	char **pays;
	size_t n, stop_at, ka, ta, pa;
};

static int
collect(void *ctx, const char *key, size_t klen, uint64_t tie, const char *pay, size_t plen)
{
	struct seen *s = ctx;

	ck_assert_uint_eq(strlen(key), klen); /* NUL-terminated, as promised */
	ck_assert_uint_eq(strlen(pay), plen);
	s->keys = xgrow(s->keys, &s->ka, s->n + 1, sizeof(*s->keys));
	s->ties = xgrow(s->ties, &s->ta, s->n + 1, sizeof(*s->ties));
	s->pays = xgrow(s->pays, &s->pa, s->n + 1, sizeof(*s->pays));
	s->keys[s->n] = xstrdup(key);
	s->ties[s->n] = tie;
	s->pays[s->n] = xstrdup(pay);
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

static void
seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->keys[i]);
		free(s->pays[i]);
	}
	free(s->keys);
	free(s->ties);
	free(s->pays);
}

/* Bytewise with a shorter key first (SQLite's BINARY), then the tie; head and body as one. */
START_TEST(extsort_orders_like_sqlite_binary)
{
	static const char *const keys[] = {"b", "ab", "a", "\xc3\xa9", "a", "B", ""};
	static const uint64_t ties[] = {1, 2, 9, 3, 4, 5, 6};
	static const char *const want[] = {"", "B", "a", "a", "ab", "b", "\xc3\xa9"};
	struct extsort *x = extsort_new(1 << 20);
	struct seen s = {0};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		ck_assert_int_eq(extsort_add(x, keys[i], strlen(keys[i]), ties[i], "h:", 2, keys[i],
		                             strlen(keys[i])),
		                 0);
	ck_assert_int_eq(extsort_each(x, collect, &s), 0);
	ck_assert_uint_eq(extsort_runs(x), 0); /* it all fit: no file */
	ck_assert_uint_eq(s.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < s.n; i++)
		ck_assert_str_eq(s.keys[i], want[i]);
	ck_assert_uint_eq(s.ties[2], 4); /* equal keys by tie */
	ck_assert_uint_eq(s.ties[3], 9);
	ck_assert_str_eq(s.pays[4], "h:ab");
	seen_free(&s);
	extsort_free(x);
}
END_TEST

/*
 * With a budget far below the records, runs are written and merged: every
 * record once, in order, payload intact, a record larger than the whole
 * budget included; the callback's stop value comes back.
 */
START_TEST(extsort_spills_and_merges)
{
	enum { N = 20000 };
	struct extsort *x = extsort_new(4096);
	struct seen s = {0};
	char key[32], big[20000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (unsigned i = 0; i < N; i++) {
		unsigned k = (i * 7919u) % N; /* every number once, out of order */

		snprintf(key, sizeof(key), "k%06u", k);
		ck_assert_int_eq(extsort_add(x, key, strlen(key), k, NULL, 0, key, strlen(key)), 0);
	}
	ck_assert_int_eq(extsort_add(x, "k010000a", 8, 0, NULL, 0, big, strlen(big)), 0);
	ck_assert_uint_gt(extsort_runs(x), 10);
	ck_assert_int_eq(extsort_each(x, collect, &s), 0);
	ck_assert_uint_eq(s.n, N + 1);
	for (unsigned i = 0, k = 0; i < s.n; i++) {
		if (!strcmp(s.keys[i], "k010000a")) {
			ck_assert_str_eq(s.keys[i - 1], "k010000");
			ck_assert_str_eq(s.pays[i], big);
			continue;
		}
		snprintf(key, sizeof(key), "k%06u", k);
		ck_assert_str_eq(s.keys[i], key);
		ck_assert_str_eq(s.pays[i], key);
		ck_assert_uint_eq(s.ties[i], k);
		k++;
	}
	seen_free(&s);
	extsort_free(x);

	x = extsort_new(4096);
	memset(&s, 0, sizeof(s));
	s.stop_at = 3;
	for (unsigned i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "%04u", 999 - i);
		ck_assert_int_eq(extsort_add(x, key, strlen(key), 0, NULL, 0, NULL, 0), 0);
	}
	ck_assert_int_eq(extsort_each(x, collect, &s), 7);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_str_eq(s.keys[2], "0002");
	seen_free(&s);
	extsort_free(x);
}
END_TEST

/* No temporary file to be had: -1 (logged), and the sorter refuses what follows. */
START_TEST(extsort_without_a_temporary_directory_fails)
{
	struct extsort *x = extsort_new(4096);
	struct seen s = {0};
	char key[16];
	int rc = 0;

	setenv("TMPDIR", "/nonexistent/lotsync-unit", 1);
	for (unsigned i = 0; i < 1000 && rc == 0; i++) {
		snprintf(key, sizeof(key), "%04u", i);
		rc = extsort_add(x, key, strlen(key), 0, NULL, 0, "payload", 7);
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(extsort_add(x, "a", 1, 0, NULL, 0, NULL, 0), -1);
	ck_assert_int_eq(extsort_each(x, collect, &s), -1);
	ck_assert_uint_eq(s.n, 0);
	extsort_free(x);
	unsetenv("TMPDIR");
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("extsort");
	TCase *tc = tcase_create("extsort");

	tcase_add_test(tc, extsort_orders_like_sqlite_binary);
	tcase_add_test(tc, extsort_spills_and_merges);
	tcase_add_test(tc, extsort_without_a_temporary_directory_fails);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(make_suite)
