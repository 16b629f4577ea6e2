/* test_handoff.c - the one-thread handoff: order, depth, waits, a failure's result. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "lotsync/handoff.h"

#include "unit.h"

struct log {
	int seen[64]; /* the items' values, in the order fn ran on them */
	int n;
	int fail_at; /* fn fails on this value (0: never) */
};

static int
record(void *item, void *arg)
{
	struct log *l = arg;
	int v = *(int *)item;

	l->seen[l->n++] = v;
	*(int *)item = -v; /* a write the caller must see after the wait */
	return v == l->fail_at ? 7 : 0;
}

START_TEST(items_run_in_order_and_come_back)
{
	struct log l = {0};
	int items[40];
	struct handoff *h = handoff_new(record, &l, 3);

	for (int i = 0; i < 40; i++) {
		items[i] = i + 1;
		ck_assert_uint_eq(handoff_put(h, &items[i]), (uint64_t)i + 1);
		if (i >= 2) { /* depth 3: the one three back may be reused once done */
			ck_assert_int_eq(handoff_wait(h, (uint64_t)i - 1), 0);
			ck_assert_int_eq(items[i - 2], -(i - 1));
		}
	}
	ck_assert_int_eq(handoff_drain(h), 0);
	ck_assert_int_eq(l.n, 40);
	for (int i = 0; i < 40; i++) {
		ck_assert_int_eq(l.seen[i], i + 1);
		ck_assert_int_eq(items[i], -(i + 1));
	}
	ck_assert_int_eq(handoff_wait(h, 0), 0);
	handoff_free(h);
}
END_TEST

START_TEST(a_failure_stops_the_rest)
{
	struct log l = {.fail_at = 5};
	int items[10];
	struct handoff *h = handoff_new(record, &l, 2);

	for (int i = 0; i < 10; i++) {
		items[i] = i + 1;
		handoff_put(h, &items[i]);
	}
	ck_assert_int_eq(handoff_drain(h), 7);
	ck_assert_int_eq(handoff_room(h), 7);
	ck_assert_int_eq(l.n, 5); /* 1..5 ran, 6..10 were only given back */
	ck_assert_int_eq(items[4], -5);
	ck_assert_int_eq(items[5], 6);
	handoff_free(h);
}
END_TEST

struct slow {
	int total;
};

static int
count(void *item, void *arg)
{
	struct slow *s = arg;

	s->total += *(int *)item;
	return 0;
}

START_TEST(room_and_free_without_waits)
{
	struct slow s = {0};
	int items[100];
	struct handoff *h = handoff_new(count, &s, 1);

	for (int i = 0; i < 100; i++) {
		items[i] = i;
		ck_assert_int_eq(handoff_room(h), 0);
		handoff_put(h, &items[i]);
	}
	handoff_free(h); /* drains: every item counted before the thread ends */
	ck_assert_int_eq(s.total, 4950);
	handoff_free(NULL);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("handoff");
	TCase *tc = unit_tcase(s, "handoff", NULL, NULL);

	tcase_add_test(tc, items_run_in_order_and_come_back);
	tcase_add_test(tc, a_failure_stops_the_rest);
	tcase_add_test(tc, room_and_free_without_waits);
	return s;
}

UNIT_MAIN(make_suite)
