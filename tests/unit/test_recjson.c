/* test_recjson.c - stored record JSON back to field views: round trips, escapes, refusals. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/diff.h"
#include "lotsync/json.h"
#include "lotsync/recjson.h"
#include "lotsync/record.h"

#include "unit.h"

/* A record through record_to_json() and back gives the same names and values. */
START_TEST(recjson_round_trips_record_to_json)
{
	static const char *const vals[][2] = {
	        {"description", "Quote \" backslash \\ tab\t newline\n cr\r"},
	        {"extra.Bell", "\x01\x1f\x7f"},
	        {"make", "Škoda — 東京 \xf0\x9f\x9a\x97"},
	        {"price", "2199500"},
	};
	struct record r;
	struct recjson d;
	char *json;

	record_init(&r);
	r.key = strdup("K1");
	for (size_t i = 0; i < 4; i++)
		record_set(&r, vals[i][0], vals[i][1], strlen(vals[i][1]));
	record_finish(&r);
	json = record_to_json(&r);
	recjson_init(&d);
	ck_assert_int_eq(recjson_parse(&d, json, strlen(json)), 0);
	ck_assert_uint_eq(d.nfields, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(d.fields[i].name, r.fields[i].name);
		ck_assert_str_eq(d.fields[i].value, r.fields[i].value);
		ck_assert_uint_eq(d.lens[i].name, strlen(r.fields[i].name));
		ck_assert_uint_eq(d.lens[i].value, strlen(r.fields[i].value));
	}
	/* The decoder is reused: a smaller record leaves nothing of the bigger one. */
	ck_assert_int_eq(recjson_parse(&d, "{\"a\":\"1\"}", 9), 0);
	ck_assert_uint_eq(d.nfields, 1);
	ck_assert_str_eq(d.fields[0].value, "1");
	ck_assert_int_eq(recjson_parse(&d, "{}", 2), 0);
	ck_assert_uint_eq(d.nfields, 0);
	free(json);
	record_release(&r);
	recjson_release(&d);
}
END_TEST

/* Escapes other writers use: \/, \b, \f, \u with a surrogate pair, upper-case hex. */
START_TEST(recjson_decodes_every_escape)
{
	const char *j = "{\"n\\/x\":\"\\b\\f\\u00E9\\ud83d\\ude97\\u20ac\"}";
	struct recjson d;

	recjson_init(&d);
	ck_assert_int_eq(recjson_parse(&d, j, strlen(j)), 0);
	ck_assert_uint_eq(d.nfields, 1);
	ck_assert_str_eq(d.fields[0].name, "n/x");
	ck_assert_str_eq(d.fields[0].value, "\b\f\xc3\xa9\xf0\x9f\x9a\x97\xe2\x82\xac");
	ck_assert_uint_eq(d.lens[0].value, strlen(d.fields[0].value));
	recjson_release(&d);
}
END_TEST

START_TEST(recjson_refuses_what_it_cannot_read)
{
	static const char *const bad[] = {
	        "",
	        "[]",
	        "{",
	        "{\"a\"}",
	        "{\"a\":1}",
	        "{\"a\":\"x",
	        "{\"a\":\"x\"",
	        "{\"a\":\"\\",
	        "{\"a\":\"\\q\"}",
	        "{\"a\":\"\\u12\"}",
	        "{\"a\":\"x\";\"b\":\"y\"}",
	};
	struct recjson d;

	recjson_init(&d);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(recjson_parse(&d, bad[i], strlen(bad[i])) == -1, "accepted %s",
		              bad[i]);
	/* Length is honoured: the same bytes cut short do not parse. */
	ck_assert_int_eq(recjson_parse(&d, "{\"a\":\"x\"}", 8), -1);
	recjson_release(&d);
}
END_TEST

/* The view feeds diff_fields() like a real record. */
START_TEST(recjson_record_diffs_like_a_record)
{
	const char *a = "{\"mileage\":\"100\",\"price\":\"500\"}";
	const char *b = "{\"color\":\"Red\",\"price\":\"450\"}";
	struct recjson da, db;
	struct record ra, rb;
	struct diff_change ch;

	recjson_init(&da);
	recjson_init(&db);
	ck_assert_int_eq(recjson_parse(&da, a, strlen(a)), 0);
	ck_assert_int_eq(recjson_parse(&db, b, strlen(b)), 0);
	ra = recjson_record(&da, "K");
	rb = recjson_record(&db, "K");
	diff_fields(&ra, &rb, &ch);
	ck_assert_uint_eq(ch.nfields, 3);
	ck_assert_str_eq(ch.fields[0].name, "color");
	ck_assert_ptr_null(ch.fields[0].old);
	ck_assert_str_eq(ch.fields[1].name, "mileage");
	ck_assert_ptr_null(ch.fields[1].new_);
	ck_assert_str_eq(ch.fields[2].old, "500");
	ck_assert_str_eq(ch.fields[2].new_, "450");
	diff_change_release(&ch);
	recjson_release(&da);
	recjson_release(&db);
}
END_TEST

/* diff_fields() of the two decoded records: the changes, in name order. */
static void
check_diff_like_diff_fields(const char *a, const char *b, size_t want)
{
	struct recjson da, db, sa, sb;
	struct recjson_diff dd;
	struct record ra, rb;
	struct diff_change ch;

	recjson_init(&da);
	recjson_init(&db);
	recjson_init(&sa);
	recjson_init(&sb);
	recjson_diff_init(&dd);
	ck_assert_int_eq(recjson_parse(&da, a, strlen(a)), 0);
	ck_assert_int_eq(recjson_parse(&db, b, strlen(b)), 0);
	ra = recjson_record(&da, "K");
	rb = recjson_record(&db, "K");
	diff_fields(&ra, &rb, &ch);
	ck_assert_int_eq(recjson_scan(&sa, a, strlen(a)), 0);
	ck_assert_int_eq(recjson_scan(&sb, b, strlen(b)), 0);
	ck_assert_int_eq(recjson_diff(&dd, &sa, &sb), 0);
	ck_assert_uint_eq(dd.n, want);
	ck_assert_uint_eq(dd.n, ch.nfields);
	for (size_t i = 0; i < ch.nfields; i++) {
		ck_assert_str_eq(dd.fields[i].name, ch.fields[i].name);
		if (ch.fields[i].old)
			ck_assert_str_eq(dd.fields[i].old, ch.fields[i].old);
		else
			ck_assert_ptr_null(dd.fields[i].old);
		if (ch.fields[i].new_)
			ck_assert_str_eq(dd.fields[i].new_, ch.fields[i].new_);
		else
			ck_assert_ptr_null(dd.fields[i].new_);
	}
	diff_change_release(&ch);
	recjson_diff_release(&dd);
	recjson_release(&da);
	recjson_release(&db);
	recjson_release(&sa);
	recjson_release(&sb);
}

/*
 * recjson_diff() over raw spans says what diff_fields() says over decoded
 * records: added and removed fields, changed values decoded (escapes
 * included), one value spelt two ways is no change, and a name with an
 * escape sends the caller to the decoded comparison.
 */
START_TEST(recjson_diff_is_diff_fields_without_decoding)
{
	struct recjson sa, sb;
	struct recjson_diff dd;
	const char *esc = "{\"a\\u0062\":\"1\"}", *plain = "{\"ab\":\"1\"}";

	check_diff_like_diff_fields("{\"mileage\":\"100\",\"price\":\"500\"}",
	                            "{\"color\":\"Red\",\"price\":\"450\"}", 3);
	check_diff_like_diff_fields("{\"a\":\"x\",\"b\":\"same\",\"c\":\"q\\\"uote\"}",
	                            "{\"a\":\"x\",\"b\":\"same\",\"c\":\"q\\\"uote \\u00e9\"}", 1);
	/* "\u0041" and "A" are one value: no change, though the stored texts differ */
	check_diff_like_diff_fields("{\"make\":\"\\u0041udi\",\"year\":\"2020\"}",
	                            "{\"make\":\"Audi\",\"year\":\"2021\"}", 1);
	check_diff_like_diff_fields("{}", "{\"make\":\"Audi\"}", 1);
	check_diff_like_diff_fields("{\"make\":\"Audi\"}", "{}", 1);
	check_diff_like_diff_fields("{\"make\":\"Audi\"}", "{\"make\":\"Audi\"}", 0);
	/* prefixes sort as strcmp sorts them: "price" before "price_old" */
	check_diff_like_diff_fields("{\"price\":\"1\",\"price_old\":\"2\"}",
	                            "{\"price_old\":\"2\",\"pricex\":\"3\"}", 2);
	recjson_init(&sa);
	recjson_init(&sb);
	recjson_diff_init(&dd);
	ck_assert_int_eq(recjson_scan(&sa, esc, strlen(esc)), 0);
	ck_assert_int_eq(recjson_scan(&sb, plain, strlen(plain)), 0);
	ck_assert_int_eq(recjson_diff(&dd, &sa, &sb), 1);
	recjson_diff_release(&dd);
	recjson_release(&sa);
	recjson_release(&sb);
}
END_TEST

/*
 * recjson_scan() gives the raw spans between the quotes: escapes that read
 * the same in show's quoting (\" \\ \n \r \t) keep the span plain, any other
 * makes it not plain, and recjson_unescape() gives what recjson_parse() does.
 */
START_TEST(recjson_scan_gives_raw_spans)
{
	const char *j =
	        "{\"a\":\"x\\\"y\\\\z\\n\\t\\r\",\"b\\/\":\"\\u00e9\",\"c\":\"plain\",\"d\":\"\"}";
	struct recjson d;
	char out[64];

	recjson_init(&d);
	ck_assert_int_eq(recjson_scan(&d, j, strlen(j)), 0);
	ck_assert_uint_eq(d.nspans, 4);
	ck_assert_uint_eq(d.spans[0].value.len, strlen("x\\\"y\\\\z\\n\\t\\r"));
	ck_assert(d.spans[0].value.esc && d.spans[0].value.plain);
	ck_assert(d.spans[1].name.esc && !d.spans[1].name.plain);
	ck_assert(d.spans[1].value.esc && !d.spans[1].value.plain);
	ck_assert(!d.spans[2].value.esc && d.spans[2].value.plain);
	ck_assert_int_eq(memcmp(d.spans[2].value.p, "plain", 5), 0);
	ck_assert_uint_eq(d.spans[3].value.len, 0);
	ck_assert_int_eq(recjson_unescape(&d.spans[0].value, out), 0);
	ck_assert_str_eq(out, "x\"y\\z\n\t\r");
	ck_assert_int_eq(recjson_unescape(&d.spans[1].name, out), 0);
	ck_assert_str_eq(out, "b/");
	ck_assert_int_eq(recjson_unescape(&d.spans[1].value, out), 0);
	ck_assert_str_eq(out, "\xc3\xa9");
	ck_assert_int_eq(recjson_scan(&d, "{}", 2), 0);
	ck_assert_uint_eq(d.nspans, 0);
	/* what recjson_parse() refuses, recjson_scan() refuses */
	ck_assert_int_eq(recjson_scan(&d, "{\"a\":\"x}", 8), -1);
	ck_assert_int_eq(recjson_scan(&d, "{\"a\":1}", 7), -1);
	ck_assert_int_eq(recjson_scan(&d, "{\"a\":\"1\"", 8), -1);
	ck_assert_int_eq(recjson_scan(&d, "{\"a\":\"1\\", 8), -1);
	recjson_release(&d);
}
END_TEST

/* json_reset() empties the document and keeps the writer usable. */
START_TEST(json_reset_reuses_the_buffer)
{
	struct json j;

	json_init(&j);
	json_arr(&j);
	json_str(&j, "a long enough string to grow the buffer");
	json_end(&j);
	json_reset(&j);
	json_str(&j, "k\"");
	ck_assert_str_eq(j.out.p, "\"k\\\"\"");
	json_reset(&j);
	json_obj(&j);
	json_key(&j, "a");
	json_int(&j, 1);
	json_end(&j);
	ck_assert_str_eq(j.out.p, "{\"a\":1}");
	json_release(&j);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("recjson");
	TCase *tc = tcase_create("recjson");

	tcase_add_test(tc, recjson_round_trips_record_to_json);
	tcase_add_test(tc, recjson_decodes_every_escape);
	tcase_add_test(tc, recjson_refuses_what_it_cannot_read);
	tcase_add_test(tc, recjson_record_diffs_like_a_record);
	tcase_add_test(tc, recjson_scan_gives_raw_spans);
	tcase_add_test(tc, recjson_diff_is_diff_fields_without_decoding);
	tcase_add_test(tc, json_reset_reuses_the_buffer);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(make_suite)
