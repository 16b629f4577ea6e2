/* test_buf.c - the capped buffer: caps, NUL termination, detach and reuse. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/buf.h"

#include "unit.h"

START_TEST(empty_buf_is_an_empty_string)
{
	struct buf b;
	char *s;
	size_t n = 99;

	buf_init(&b, 16);
	ck_assert_ptr_nonnull(b.p);
	ck_assert_str_eq(b.p, "");
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.alloc, 0); /* nothing allocated until the first append */
	s = buf_detach(&b, &n);
	ck_assert_str_eq(s, ""); /* a detached empty buf is still the caller's to free */
	ck_assert_uint_eq(n, 0);
	free(s);
	buf_release(&b);
}
END_TEST

START_TEST(appends_stay_nul_terminated)
{
	struct buf b;

	buf_init(&b, 1024);
	ck_assert_int_eq(buf_append(&b, "abc", 3), 0);
	ck_assert_str_eq(b.p, "abc");
	ck_assert_int_eq(buf_puts(&b, "de"), 0);
	ck_assert_int_eq(buf_putc(&b, 'f'), 0);
	ck_assert_int_eq(buf_printf(&b, "-%d-%s", 42, "x"), 0);
	ck_assert_str_eq(b.p, "abcdef-42-x");
	ck_assert_uint_eq(b.len, strlen("abcdef-42-x"));
	ck_assert_int_eq(buf_append(&b, "g\0h", 3), 0); /* NUL bytes are data */
	ck_assert_uint_eq(b.len, strlen("abcdef-42-x") + 3);
	ck_assert_int_eq(memcmp(b.p + b.len - 3, "g\0h", 3), 0);
	ck_assert_int_eq(b.p[b.len], '\0');
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.p, "");
	buf_release(&b);
}
END_TEST

START_TEST(growth_keeps_the_bytes)
{
	struct buf b;
	char c[1];

	buf_init(&b, 1 << 20);
	for (int i = 0; i < 100000; i++) {
		c[0] = (char)('a' + i % 26);
		ck_assert_int_eq(buf_append(&b, c, 1), 0);
	}
	ck_assert_uint_eq(b.len, 100000);
	ck_assert_uint_eq(strlen(b.p), 100000);
	for (int i = 0; i < 100000; i++)
		ck_assert_int_eq(b.p[i], 'a' + i % 26);
	ck_assert_uint_le(b.alloc, b.cap + 1);
	buf_release(&b);
}
END_TEST

START_TEST(the_cap_refuses_and_changes_nothing)
{
	struct buf b;

	buf_init(&b, 8);
	ck_assert_int_eq(buf_append(&b, "12345", 5), 0);
	ck_assert_int_eq(buf_append(&b, "6789", 4), -1); /* 9 > 8 */
	ck_assert_str_eq(b.p, "12345");
	ck_assert_uint_eq(b.len, 5);
	ck_assert_int_eq(buf_append(&b, "678", 3), 0); /* exactly the cap */
	ck_assert_str_eq(b.p, "12345678");
	ck_assert_int_eq(buf_putc(&b, 'x'), -1);
	ck_assert_int_eq(buf_printf(&b, "%s", "y"), -1);
	ck_assert_int_eq(buf_grow(&b, 1), -1);
	ck_assert_int_eq(buf_append(&b, "", 0), 0); /* nothing more is always room */
	ck_assert_str_eq(b.p, "12345678");
	ck_assert_uint_le(b.alloc, b.cap + 1); /* the allocation is capped too */
	/* a printf longer than the room appends nothing at all */
	buf_reset(&b);
	ck_assert_int_eq(buf_printf(&b, "%d", 123456789), -1);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.p, "");
	buf_release(&b);
}
END_TEST

START_TEST(one_big_append_past_the_cap)
{
	struct buf b;
	char *big = malloc(4097);

	memset(big, 'z', 4097);
	buf_init(&b, 4096);
	ck_assert_int_eq(buf_append(&b, big, 4097), -1);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(buf_append(&b, big, 4096), 0);
	ck_assert_uint_eq(b.len, 4096);
	ck_assert_int_eq(b.p[4096], '\0');
	buf_release(&b);
	free(big);
}
END_TEST

START_TEST(detach_hands_over_and_resets)
{
	struct buf b;
	size_t n = 0;
	char *s;

	buf_init(&b, 64);
	ck_assert_int_eq(buf_puts(&b, "hello"), 0);
	s = buf_detach(&b, &n);
	ck_assert_str_eq(s, "hello");
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.alloc, 0);
	ck_assert_str_eq(b.p, "");
	ck_assert_uint_eq(b.cap, 64); /* the cap survives */
	ck_assert_int_eq(buf_puts(&b, "again"), 0);
	ck_assert_str_eq(b.p, "again");
	ck_assert_ptr_ne(b.p, s); /* new memory: s is the caller's */
	free(s);
	s = buf_detach(&b, NULL);
	ck_assert_str_eq(s, "again");
	free(s);
	buf_release(&b);
}
END_TEST

START_TEST(write_in_place)
{
	struct buf b;

	buf_init(&b, 32);
	ck_assert_int_eq(buf_puts(&b, "ab"), 0);
	ck_assert_int_eq(buf_grow(&b, 10), 0);
	ck_assert_uint_ge(b.alloc - b.len, 11);
	memcpy(b.p + b.len, "0123456789", 10);
	buf_setlen(&b, b.len + 10);
	ck_assert_str_eq(b.p, "ab0123456789");
	buf_setlen(&b, 3);
	ck_assert_str_eq(b.p, "ab0");           /* setlen writes the NUL */
	ck_assert_int_eq(buf_grow(&b, 30), -1); /* 3 + 30 > 32 */
	ck_assert_int_eq(buf_grow(&b, 29), 0);
	buf_release(&b);
	buf_release(&b); /* twice is harmless */
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = unit_tcase(s, "buf", NULL, NULL);

	tcase_add_test(tc, empty_buf_is_an_empty_string);
	tcase_add_test(tc, appends_stay_nul_terminated);
	tcase_add_test(tc, growth_keeps_the_bytes);
	tcase_add_test(tc, the_cap_refuses_and_changes_nothing);
	tcase_add_test(tc, one_big_append_past_the_cap);
	tcase_add_test(tc, detach_hands_over_and_resets);
	tcase_add_test(tc, write_in_place);
	return s;
}

UNIT_MAIN(make_suite)
