/* test_core.c - clock, status, json, record and diff: the pure pieces. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/clock.h"
#include "lotsync/diff.h"
#include "lotsync/json.h"
#include "lotsync/keymap.h"
#include "lotsync/record.h"
#include "lotsync/status.h"
#include "lotsync/util.h"

#include "unit.h"

START_TEST(clock_parses_iso_forms)
{
	time_t t;
	char buf[CLOCK_ISO_LEN];

	ck_assert_int_eq(clock_parse("2026-11-22T08:00:00Z", &t), 0);
	ck_assert_str_eq(clock_format(t, buf), "2026-11-22T08:00:00Z");
	ck_assert_int_eq(clock_parse("2026-11-22", &t), 0);
	ck_assert_str_eq(clock_format(t, buf), "2026-11-22T00:00:00Z");
	ck_assert_int_eq(clock_parse("2026-11-22T10:30+02:00", &t), 0);
	ck_assert_str_eq(clock_format(t, buf), "2026-11-22T08:30:00Z");
	ck_assert_int_eq(clock_parse("2024-02-29T00:00:00", &t), 0);
}
END_TEST

START_TEST(clock_refuses_malformed)
{
	time_t t;
	const char *bad[] = {"",
	                     "2026",
	                     "2026-13-01",
	                     "2025-02-29",
	                     "2026-11-22T25:00",
	                     "2026-11-22T08:00:00+2",
	                     "2026-11-22x",
	                     "tomorrow",
	                     "2026-11-31"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(clock_parse(bad[i], &t) == -1, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(clock_is_injectable)
{
	clock_set(86400);
	ck_assert_int_eq(clock_now(), 86400);
	clock_set_real();
	ck_assert_int_gt(clock_now(), 1700000000);
}
END_TEST

START_TEST(status_most_severe_wins)
{
	ck_assert_int_eq(status_worse(LS_EXIT_OK, LS_EXIT_HELD), LS_EXIT_HELD);
	ck_assert_int_eq(status_worse(LS_EXIT_DATAERR, LS_EXIT_HELD), LS_EXIT_DATAERR);
	ck_assert_int_eq(status_worse(LS_EXIT_UNAVAILABLE, LS_EXIT_DATAERR), LS_EXIT_UNAVAILABLE);
	ck_assert_int_eq(status_worse(LS_EXIT_TEMPFAIL, LS_EXIT_UNAVAILABLE), LS_EXIT_TEMPFAIL);
	ck_assert_int_eq(status_worse(LS_EXIT_SOFTWARE, LS_EXIT_TEMPFAIL), LS_EXIT_SOFTWARE);
	ck_assert_int_eq(status_worse(LS_EXIT_IOERR, LS_EXIT_SOFTWARE), LS_EXIT_IOERR);
	ck_assert_int_eq(status_worse(LS_EXIT_IOERR, LS_EXIT_CONFIG), LS_EXIT_CONFIG);
}
END_TEST

START_TEST(json_escapes_and_commas)
{
	struct json j;
	char *s;

	json_init(&j);
	json_obj(&j);
	json_key(&j, "a");
	json_arr(&j);
	json_int(&j, 1);
	json_str(&j, "q\"\\\n\x01");
	json_null(&j);
	json_end(&j);
	json_key(&j, "b");
	json_bool(&j, true);
	json_end(&j);
	s = json_detach(&j);
	ck_assert_str_eq(s, "{\"a\":[1,\"q\\\"\\\\\\n\\u0001\",null],\"b\":true}");
	free(s);
}
END_TEST

static void
mk(struct record *r, const char *key, const char *price, const char *color)
{
	record_init(r);
	r->key = strdup(key);
	record_set(r, "vin", key, strlen(key));
	record_set(r, "price", price, strlen(price));
	if (color)
		record_set(r, "exterior_color", color, strlen(color));
	record_finish(r);
}

START_TEST(record_hash_ignores_field_order_and_empties)
{
	struct record a, b;

	record_init(&a);
	record_init(&b);
	record_set(&a, "price", "100", 3);
	record_set(&a, "make", "Volvo", 5);
	record_set(&b, "make", "Volvo", 5);
	record_set(&b, "model", "", 0); /* empty = absent */
	record_set(&b, "price", "100", 3);
	record_finish(&a);
	record_finish(&b);
	ck_assert_uint_eq(a.hash, b.hash);
	record_set(&b, "price", "101", 3);
	record_finish(&b);
	ck_assert_uint_ne(a.hash, b.hash);
	record_release(&a);
	record_release(&b);
}
END_TEST

START_TEST(record_json_is_canonical)
{
	struct record r;
	char *s;

	record_init(&r);
	record_set(&r, "vin", "V1", 2);
	record_set(&r, "description", "say \"hi\"", 8);
	record_finish(&r);
	s = record_to_json(&r);
	ck_assert_str_eq(s, "{\"description\":\"say \\\"hi\\\"\",\"vin\":\"V1\"}");
	free(s);
	record_release(&r);
}
END_TEST

START_TEST(diff_new_changed_vanished)
{
	struct record a[3], b[3];
	struct diff_result d;

	mk(&a[0], "A", "100", NULL);
	mk(&a[1], "B", "200", "Red");
	mk(&a[2], "C", "300", NULL);
	mk(&b[0], "B", "250", NULL);
	mk(&b[1], "C", "300", NULL);
	mk(&b[2], "D", "400", NULL);
	diff_compute(a, 3, b, 3, &d);
	ck_assert_uint_eq(d.nadded, 1);
	ck_assert_str_eq(d.added[0], "D");
	ck_assert_uint_eq(d.nvanished, 1);
	ck_assert_str_eq(d.vanished[0], "A");
	ck_assert_uint_eq(d.nchanged, 1);
	ck_assert_str_eq(d.changed[0].key, "B");
	ck_assert_uint_eq(d.changed[0].nfields, 2);
	ck_assert_str_eq(d.changed[0].fields[0].name, "exterior_color");
	ck_assert_str_eq(d.changed[0].fields[0].old, "Red");
	ck_assert_ptr_null(d.changed[0].fields[0].new_);
	ck_assert_str_eq(d.changed[0].fields[1].name, "price");
	ck_assert_str_eq(d.changed[0].fields[1].old, "200");
	ck_assert_str_eq(d.changed[0].fields[1].new_, "250");
	diff_result_release(&d);
	for (int i = 0; i < 3; i++) {
		record_release(&a[i]);
		record_release(&b[i]);
	}
}
END_TEST

START_TEST(diff_of_equal_sets_is_empty)
{
	struct record a[1], b[1];
	struct diff_result d;

	mk(&a[0], "A", "100", "Blue");
	mk(&b[0], "A", "100", "Blue");
	diff_compute(a, 1, b, 1, &d);
	ck_assert_uint_eq(d.nadded + d.nvanished + d.nchanged, 0);
	diff_result_release(&d);
	record_release(&a[0]);
	record_release(&b[0]);
}
END_TEST

/* A view of n bytes reads as parse_uint() reads the same digits as a C string. */
START_TEST(parse_uint_n_matches_parse_uint)
{
	static const char *const cases[] = {"0",
	                                    "42",
	                                    "1125899906842624",
	                                    "1125899906842625",
	                                    "18446744073709551615",
	                                    "18446744073709551616",
	                                    "",
	                                    "-1",
	                                    "4a",
	                                    " 4",
	                                    "99999999999999999999"};
	unsigned long long a, b;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int m = 0; m < 3; m++) {
			unsigned long long max = m == 0 ? 9 : m == 1 ? (1ull << 50) : ~0ull;
			int ra = parse_uint(cases[i], max, &a);
			int rb = parse_uint_n(cases[i], strlen(cases[i]), max, &b);

			ck_assert_msg(ra == rb, "'%s' max %llu: %d vs %d", cases[i], max, ra, rb);
			if (ra == 0)
				ck_assert_uint_eq(a, b);
		}
	/* the view ends at n, or earlier at a NUL */
	ck_assert_int_eq(parse_uint_n("12345", 2, 100, &b), 0);
	ck_assert_uint_eq(b, 12);
	ck_assert_int_eq(parse_uint_n("7\0"
	                              "9",
	                              3, 100, &b),
	                 0);
	ck_assert_uint_eq(b, 7);
	ck_assert_int_eq(parse_uint_n("12x", 3, 100, &b), -1);
}
END_TEST

/*
 * A reserved table keeps what it holds (reserved after some puts, too), and
 * takes the reserved number without growing; more still fit. The rawset's
 * reserve keeps its rows.
 */
START_TEST(keymap_reserve_keeps_entries_and_room)
{
	struct keymap m;
	struct rawset rs;
	char key[32];
	size_t cap;

	keymap_init(&m);
	rawset_init(&rs);
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "K%d", i);
		keymap_put(&m, key)->version = i;
	}
	keymap_reserve(&m, 5000);
	cap = m.cap;
	ck_assert_uint_ge(cap, 2 * 5001);
	for (int i = 100; i < 5000; i++) {
		snprintf(key, sizeof(key), "K%d", i);
		keymap_put(&m, key)->version = i;
	}
	ck_assert_uint_eq(m.cap, cap); /* no growth up to the reserved number */
	keymap_reserve(&m, 10);        /* never shrinks */
	ck_assert_uint_eq(m.cap, cap);
	for (int i = 5000; i < 12000; i++) {
		snprintf(key, sizeof(key), "K%d", i);
		keymap_put(&m, key)->version = i;
	}
	ck_assert_uint_eq(m.n, 12000);
	for (int i = 0; i < 12000; i++) {
		snprintf(key, sizeof(key), "K%d", i);
		ck_assert_ptr_nonnull(keymap_get(&m, key));
		ck_assert_int_eq(keymap_get(&m, key)->version, i);
	}
	ck_assert_ptr_null(keymap_get(&m, "K12000"));
	struct rawrec r = {1, 2, 3, 4};

	rawset_add(&rs, keymap_get(&m, "K7"), &r);
	rawset_reserve(&rs, 1000);
	ck_assert_uint_ge(rs.alloc, 1000);
	ck_assert_uint_eq(rs.n, 1);
	ck_assert_str_eq(rs.rows[0].key, "K7");
	rawset_build(&rs);
	ck_assert_int_eq(rawset_find(&rs, 1, 2), 0);
	rawset_release(&rs);
	keymap_release(&m);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, clock_parses_iso_forms);
	tcase_add_test(tc, clock_refuses_malformed);
	tcase_add_test(tc, clock_is_injectable);
	tcase_add_test(tc, status_most_severe_wins);
	tcase_add_test(tc, json_escapes_and_commas);
	tcase_add_test(tc, parse_uint_n_matches_parse_uint);
	tcase_add_test(tc, record_hash_ignores_field_order_and_empties);
	tcase_add_test(tc, record_json_is_canonical);
	tcase_add_test(tc, diff_new_changed_vanished);
	tcase_add_test(tc, diff_of_equal_sets_is_empty);
	tcase_add_test(tc, keymap_reserve_keeps_entries_and_room);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(make_suite)
