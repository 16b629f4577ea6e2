/* test_reader.c - normalisation, charsets, CSV cuts, and what the reader promises. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/buf.h"
#include "lotsync/charset.h"
#include "lotsync/normalize.h"
#include "lotsync/parse_csv.h"
#include "lotsync/profile.h"
#include "lotsync/reader.h"
#include "lotsync/record.h"
#include "lotsync/util.h"

#include "unit.h"

START_TEST(money_notations)
{
	static const struct {
		const char *in;
		char decimal;
		const char *pc;
		long long minor;
		const char *cur;
	} ok[] = {
	        {"21995", '.', "", 2199500, ""},
	        {"$21,995.00", '.', "", 2199500, "USD"},
	        {"$21,995.00", '.', "CAD", 2199500, "CAD"},
	        {"13998 USD", '.', "", 1399800, "USD"},
	        {"USD 13998", '.', "", 1399800, "USD"},
	        {"21.995,00 \xE2\x82\xAC", ',', "", 2199500, "EUR"},
	        {"\xC2\xA3"
	         "9,990.5",
	         '.', "", 999050, "GBP"},
	        {"249 900 kr", ',', "SEK", 24990000, "SEK"},
	        {"249\xC2\xA0"
	         "900,00",
	         ',', "SEK", 24990000, ""},
	        {"21.995,-", ',', "", 2199500, ""},
	        {"21'995.00", '.', "", 2199500, ""},
	        {"0", '.', "", 0, ""},
	        {"  4990.5  ", '.', "", 499050, ""},
	};
	static const struct {
		const char *in;
		char decimal;
		const char *why;
	} bad[] = {
	        {"abc", '.', "is not an amount"},
	        {"-610", '.', "is negative"},
	        {"-24.900,00 €", ',', "is negative"},
	        {"", '.', "is not an amount"},
	        {"21,995.000", '.', "has more than two decimals"},
	        {"1,23,456", '.', "has misplaced thousands separators"},
	        {"21995,50", '.', "has misplaced thousands separators"},
	        {"USD 100 EUR", '.', "names two currencies"},
	        {"13998 usd", '.', "is not an amount"},
	        {"12.5.3", ',', "has misplaced thousands separators"},
	        {"99999999999999", '.', "is too large"},
	};
	struct norm_money m;
	char text[NORM_NUM_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		const char *why =
		        norm_money(ok[i].in, strlen(ok[i].in), ok[i].decimal, ok[i].pc, &m);

		ck_assert_msg(why == NULL, "%s: %s", ok[i].in, why);
		ck_assert_msg(m.minor == ok[i].minor, "%s: %lld", ok[i].in, m.minor);
		ck_assert_str_eq(m.currency, ok[i].cur);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *why = norm_money(bad[i].in, strlen(bad[i].in), bad[i].decimal, "", &m);

		ck_assert_msg(why && strcmp(why, bad[i].why) == 0, "%s: %s", bad[i].in,
		              why ? why : "(accepted)");
	}
	norm_money_text(2199500, text);
	ck_assert_str_eq(text, "21995");
	norm_money_text(2199550, text);
	ck_assert_str_eq(text, "21995.50");
	norm_money_text(-61005, text);
	ck_assert_str_eq(text, "-610.05");
}
END_TEST

START_TEST(mileage_and_years)
{
	long long km;
	int y;

	enum mileage_unit u = MILEAGE_KM;
	bool named;

	/* A dot or comma groups thousands only when the profile declares it. */
	ck_assert_ptr_null(norm_mileage("41,200", 6, ',', &km, &u, &named));
	ck_assert_int_eq(km, 41200);
	ck_assert(!named && u == MILEAGE_KM);
	ck_assert_str_eq(norm_mileage("41,200", 6, 0, &km, &u, &named),
	                 "is ambiguous: ',' and three digits may group thousands or start "
	                 "decimals (declare thousands in the profile)");
	ck_assert_str_eq(norm_mileage("45.000", 6, 0, &km, &u, &named),
	                 "is ambiguous: '.' and three digits may group thousands or start "
	                 "decimals (declare thousands in the profile)");
	ck_assert_ptr_null(norm_mileage("45.000", 6, '.', &km, &u, &named));
	ck_assert_int_eq(km, 45000);
	ck_assert_str_eq(norm_mileage("45000.5", 7, 0, &km, &u, &named),
	                 "has a fractional part (mileage is whole units)");
	ck_assert_str_eq(norm_mileage("45000.5", 7, ',', &km, &u, &named),
	                 "has a fractional part (mileage is whole units)");
	ck_assert_str_eq(norm_mileage("4.5000", 6, '.', &km, &u, &named),
	                 "has misplaced thousands separators");
	/* Spaces always group; a unit word carries the unit. */
	ck_assert_ptr_null(norm_mileage("41 200 miles", 12, 0, &km, &u, &named));
	ck_assert(km == 41200 && named && u == MILEAGE_MI);
	u = MILEAGE_MI;
	ck_assert_ptr_null(norm_mileage("12000 km", 8, 0, &km, &u, &named));
	ck_assert(km == 12000 && named && u == MILEAGE_KM);
	ck_assert_ptr_null(norm_mileage("1200 mil", 8, 0, &km, &u, &named));
	ck_assert(km == 1200 && u == MILEAGE_MIL);
	ck_assert_str_eq(norm_mileage("-1", 2, 0, &km, &u, &named), "is negative");
	ck_assert_ptr_null(norm_mileage_unit(" Miles ", 7, &u));
	ck_assert(u == MILEAGE_MI);
	ck_assert_ptr_nonnull(norm_mileage_unit("furlongs", 8, &u));
	ck_assert_int_eq(mileage_convert(10000, MILEAGE_MI, MILEAGE_KM), 16093);
	ck_assert_int_eq(mileage_convert(16093, MILEAGE_KM, MILEAGE_MI), 10000);
	ck_assert_int_eq(mileage_convert(1200, MILEAGE_MIL, MILEAGE_KM), 12000);
	ck_assert_ptr_null(norm_year("2019", 4, &y));
	ck_assert_int_eq(y, 2019);
	ck_assert_ptr_nonnull(norm_year("19", 2, &y));
	ck_assert_ptr_nonnull(norm_year("2200", 4, &y));
}
END_TEST

START_TEST(dates_by_format)
{
	struct date_format f[3];
	struct date_seen seen;
	char out[NORM_DATE_MAX];

	ck_assert_int_eq(date_format_compile("MM/DD/YYYY", &f[0]), 0);
	ck_assert_int_eq(date_format_compile("MM.YYYY", &f[1]), 0);
	ck_assert_int_eq(date_format_compile("YYYYMMDD", &f[2]), 0);
	ck_assert(f[0].order_ambiguous && !f[1].order_ambiguous && !f[2].order_ambiguous);
	ck_assert_ptr_null(norm_date(f, 3, "10/6/2024", 9, out, &seen));
	ck_assert_str_eq(out, "2024-10-06");
	ck_assert_int_eq(seen.day, 6);
	ck_assert_ptr_null(norm_date(f, 3, "06.2019", 7, out, &seen));
	ck_assert_str_eq(out, "2019-06");
	ck_assert_int_eq(seen.format, 1);
	ck_assert_ptr_null(norm_date(f, 3, "20240229", 8, out, &seen));
	ck_assert_str_eq(out, "2024-02-29");
	ck_assert_str_eq(norm_date(f, 3, "13/01/2025", 10, out, &seen), "has a month outside 1-12");
	ck_assert_str_eq(norm_date(f, 3, "20230229", 8, out, &seen),
	                 "has a day that month does not have");
	ck_assert_str_eq(norm_date(f, 3, "2024-01-01", 10, out, &seen),
	                 "does not match the profile's date format");
	ck_assert_int_eq(date_format_compile("DD.MM", &f[0]), -1);    /* no year */
	ck_assert_int_eq(date_format_compile("YYYY-Mon", &f[0]), -1); /* letters */
}
END_TEST

START_TEST(vins)
{
	char v1[] = "1hgcm82690a004352", v2[] = "1HGCM82600A004352", v3[] = "124379N123456";
	char v4[] = "1HGCM8269OA004352";
	enum vin_status st;

	ck_assert_ptr_null(norm_vin(v1, 17, false, &st));
	ck_assert_str_eq(v1, "1HGCM82690A004352");
	ck_assert_int_eq(st, VIN_OK);
	ck_assert_ptr_null(norm_vin(v2, 17, false, &st));
	ck_assert_int_eq(st, VIN_BAD_CHECK_DIGIT);
	ck_assert_ptr_nonnull(norm_vin(v3, 13, false, &st));
	ck_assert_ptr_null(norm_vin(v3, 13, true, &st));
	ck_assert_int_eq(st, VIN_SHORT);
	ck_assert_str_eq(norm_vin(v4, 17, false, &st), "contains I, O or Q, which VINs never use");
	ck_assert(vin_check_digit_ok("WVWZZZ1J30W000001"));
}
END_TEST

START_TEST(charsets)
{
	struct charset_conv c;
	char out[64];
	size_t bad = 0;
	long k;

	ck_assert(charset_is_plain("plain ascii, long enough for words", 34));
	ck_assert(!charset_is_plain("nul\0byte", 8));
	ck_assert(!charset_is_plain("caf\xC3\xA9", 5));
	ck_assert_uint_eq(charset_utf8_check("caf\xC3\xA9", 5), 5);
	ck_assert_uint_eq(charset_utf8_check("\xC0\xAF", 2), 0);         /* overlong */
	ck_assert_uint_eq(charset_utf8_check("a\xED\xA0\x80", 4), 1);    /* surrogate */
	ck_assert_uint_eq(charset_utf8_check("\xF4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	ck_assert_uint_eq(charset_utf8_check("ab\xE2\x82", 4), 2);       /* cut short */
	ck_assert_int_eq(charset_conv_open(&c, CHARSET_WINDOWS_1252), 0);
	k = charset_conv_run(&c, "500 \x80", 5, out, &bad);
	ck_assert_int_eq(k, 7);
	ck_assert_int_eq(memcmp(out, "500 \xE2\x82\xAC", 7), 0);
	ck_assert_int_eq(charset_conv_run(&c, "ab\x81", 3, out, &bad), -1);
	ck_assert_uint_eq(bad, 2);
	charset_conv_close(&c);
	ck_assert_int_eq(charset_conv_open(&c, CHARSET_ISO_8859_15), 0);
	k = charset_conv_run(&c, "\xA4", 1, out, &bad);
	ck_assert_int_eq(k, 3);
	ck_assert_int_eq(memcmp(out, "\xE2\x82\xAC", 3), 0); /* 0xA4 is the euro in 8859-15 */
	charset_conv_close(&c);
}
END_TEST

START_TEST(csv_cuts_respect_quotes)
{
	const char *s = "a,b\n\"x\ny\",2\n\"q\"\"\n\",3\nlast,\"open\n";

	/* The last newline is inside the open quote; the one before ends a record. */
	ck_assert_uint_eq(pcsv_cut(s, strlen(s), '"'), strlen("a,b\n\"x\ny\",2\n\"q\"\"\n\",3\n"));
	ck_assert_uint_eq(pcsv_cut("no newline", 10, '"'), 0);
	ck_assert_uint_eq(pcsv_cut("\"all\nquoted\n", 12, '"'), 0);

	/*
	 * Long runs of quotes (each lane of the 16-byte count sees thousands,
	 * past the 255 a byte lane holds), rows of every alignment, and an
	 * open quote at the end: the cut is after the last whole record.
	 */
	struct buf b;
	size_t whole;

	buf_init(&b, (size_t)1 << 24);
	for (int i = 0; i < 40; i++) {
		ck_assert_int_eq(buf_putc(&b, '"'), 0);
		for (int q = 0; q < 4096 + 2 * i; q++)
			ck_assert_int_eq(buf_putc(&b, '"'),
			                 0); /* doubled: 2048 + i escaped quotes */
		ck_assert_int_eq(buf_puts(&b, "\",x\n"), 0);
		for (int k = 0; k < i % 7; k++)
			ck_assert_int_eq(buf_puts(&b, "\"a\nb\",c\n"), 0);
	}
	whole = b.len;
	ck_assert_int_eq(buf_puts(&b, "last,\"open\n\"\"\n"), 0);
	ck_assert_uint_eq(pcsv_cut(b.p, b.len, '"'), whole);
	/* from every offset of the first rows, against a byte-by-byte parity walk */
	for (size_t off = 0; off < 9000; off += 7) {
		size_t want = 0, q = 0;

		for (size_t i = off; i < b.len; i++) {
			q += b.p[i] == '"';
			if (b.p[i] == '\n' && q % 2 == 0)
				want = i + 1 - off;
		}
		ck_assert_uint_eq(pcsv_cut(b.p + off, b.len - off, '"'), want);
	}
	buf_release(&b);
}
END_TEST

/* One record as pcsv_record() cuts it: length, lines, and the three flags. */
static void
cut_is(const char *s, size_t len, unsigned long nlines, bool terminated, bool blank, bool clean)
{
	struct pcsv_rec r;

	pcsv_record(s, strlen(s), '"', &r);
	ck_assert_msg(r.len == len && r.nlines == nlines && r.terminated == terminated &&
	                      r.blank == blank && r.clean == clean,
	              "'%s': len %zu lines %lu terminated %d blank %d clean %d", s, r.len, r.nlines,
	              r.terminated, r.blank, r.clean);
}

START_TEST(csv_records_cut_one_by_one)
{
	cut_is("a,b\nc,d\n", 4, 1, true, false, true);
	cut_is("a,b\r\nc,d\r\n", 5, 1, true, false, true);     /* CRLF: one record */
	cut_is("\"x\ny\",2\nnext\n", 8, 2, true, false, true); /* a newline inside quotes */
	cut_is("\"q\"\"\n\",3\nz\n", 9, 2, true, false, true); /* a doubled quote, then a newline */
	cut_is("\"a\r\nb\",1\r\n", 10, 2, true, false, true);  /* CRLF inside quotes is data */
	cut_is("last,row", 8, 0, false, false, true); /* the file ends without a line end */
	cut_is("last,\"open\nquote", 16, 1, false, false, true); /* an open quote runs to the end */
	cut_is("\n", 1, 1, true, true, true);
	cut_is("\r\nx\n", 2, 1, true, true, true);
	cut_is("a\rb,c\n", 6, 1, true, false, false); /* a bare CR ends a record for libcsv */
	cut_is("a\r", 2, 0, false, false, false);
	cut_is("\"x\"\r,y\n", 7, 1, true, false, false); /* a bare CR after a quoted field */

	/* 5000 line breaks in one quoted field, counted exactly (thousands per byte lane) */
	char *big = xmalloc(5000 + 6);

	big[0] = '"';
	memset(big + 1, '\n', 5000);
	memcpy(big + 5001, "\",x\n", 5);
	struct pcsv_rec r;

	pcsv_record(big, strlen(big), '"', &r);
	ck_assert_uint_eq(r.len, 5005);
	ck_assert_uint_eq(r.nlines, 5001);
	ck_assert(r.terminated && !r.blank && r.clean);
	free(big);
}
END_TEST

/* ---- the reader over memory: records out, compared across chunkings ---- */

struct sink {
	char *text;
	size_t len, cap;
	unsigned long records, rejects, warnings;
};

static void
sink_add(struct sink *k, const char *s)
{
	size_t n = strlen(s);

	k->text = xgrow(k->text, &k->cap, k->len + n + 2, 1);
	memcpy(k->text + k->len, s, n);
	k->len += n;
	k->text[k->len++] = '\n';
	k->text[k->len] = '\0';
}

static enum ls_scope
sink_record(void *ctx, const struct record *r)
{
	struct sink *k = ctx;
	struct record copy;
	char *json = record_to_json(r), *line;

	/* The fast path's hash is record_finish()'s over the same fields. */
	record_init(&copy);
	for (size_t i = 0; i < r->nfields; i++)
		record_set(&copy, r->fields[i].name, r->fields[i].value,
		           strlen(r->fields[i].value));
	record_finish(&copy);
	ck_assert_msg(copy.hash == r->hash, "hash differs for %s", r->key);
	record_release(&copy);
	/* The JSON the mapper made on its thread is record_to_json()'s, byte for byte. */
	ck_assert_msg(r->json != NULL, "no JSON made for %s", r->key);
	ck_assert_uint_eq(r->json_len, strlen(json));
	ck_assert_str_eq(r->json, json);
	line = xasprintf("%lu %s %s", r->line, r->key, json);
	sink_add(k, line);
	free(line);
	free(json);
	k->records++;
	return LS_OK;
}

static enum ls_scope
sink_reject(void *ctx, struct row_error *e)
{
	struct sink *k = ctx;
	char *line = xasprintf("%lu reject %s: %s", e->line, e->field ? e->field : "-", e->reason);

	sink_add(k, line);
	free(line);
	row_error_release(e);
	k->rejects++;
	return LS_BAD_RECORD;
}

static enum ls_scope
sink_warn(void *ctx, const struct row_warning *w)
{
	struct sink *k = ctx;

	sink_add(k, w->message);
	k->warnings++;
	return LS_OK;
}

static char *
read_with(const char *profile, const char *data, size_t len, const char *chunk, const char *threads,
          struct sink *k)
{
	const char *src = getenv("LOTSYNC_SRCDIR");
	char *conf = xasprintf("%s/conf", src ? src : "."), *why = NULL;
	struct feed_conf feed = {.name = "t", .key = FEED_KEY_VIN};
	struct reader_cb cb = {
	        .record = sink_record, .reject = sink_reject, .warn = sink_warn, .ctx = k};
	struct profile p;

	memset(k, 0, sizeof(*k));
	setenv("LOTSYNC_PARSE_CHUNK", chunk, 1);
	setenv("LOTSYNC_PARSE_THREADS", threads, 1);
	ck_assert_int_eq(profile_load(conf, profile, &p), 0);
	ck_assert_int_eq(reader_read_mem(&p, &feed, data, len, "mem", &cb, &why), LS_OK);
	profile_release(&p);
	free(conf);
	unsetenv("LOTSYNC_PARSE_CHUNK");
	unsetenv("LOTSYNC_PARSE_THREADS");
	return k->text;
}

/* A CSV with the awkward parts: quotes, newlines in fields, CRLF, blank lines, bad rows. */
static char *
awkward_csv(size_t rows)
{
	char *s = xstrdup("DealerID,VIN,StockNo,Price,Description,ImageURLs\r\n");

	for (size_t i = 0; i < rows; i++) {
		char *n;

		if (i % 7 == 3)
			n = xasprintf("%sD%zu,1HGCM82690A%06zu,S%zu,\"%zu,00\",\"say "
			              "\"\"hi\"\"\r\nline %zu\","
			              "a.jpg| b.jpg\r\n\r\n",
			              s, i % 5, i, i, i, i);
		else if (i % 11 == 5)
			n = xasprintf("%sD%zu,,S%zu,1,no vin,\n", s, i % 5, i);
		else
			n = xasprintf("%sD%zu,1HGCM82690A%06zu,S%zu,%zu,\"plain, %zu\",\n", s,
			              i % 5, i, i, 100 + i, i);
		free(s);
		s = n;
	}
	return s;
}

START_TEST(same_records_whatever_the_chunks_and_threads)
{
	static const char *const chunks[] = {"1", "17", "61", "4096", "1048576"};
	static const char *const threads[] = {"1", "2", "3"};
	char *csv = awkward_csv(1500);
	struct sink ref, k;

	read_with("generic-csv", csv, strlen(csv), "1048576", "1", &ref);
	ck_assert_uint_eq(ref.records + ref.rejects, 1500);
	ck_assert_uint_gt(ref.rejects, 100);
	{
		/* Row 1235 (a two-line row with a price in the wrong notation): its own line. */
		unsigned long line = 2;
		char *want;

		for (size_t i = 0; i < 1235; i++)
			line += i % 7 == 3 ? 3 : 1;
		want = xasprintf("\n%lu reject price: '1235,00' has misplaced thousands", line);
		ck_assert_msg(strstr(ref.text, want), "no '%s'", want);
		free(want);
	}
	for (size_t c = 0; c < ARRAY_SIZE(chunks); c++)
		for (size_t t = 0; t < ARRAY_SIZE(threads); t++) {
			read_with("generic-csv", csv, strlen(csv), chunks[c], threads[t], &k);
			ck_assert_msg(k.len == ref.len && memcmp(k.text, ref.text, k.len) == 0,
			              "chunk %s, %s threads: output differs", chunks[c],
			              threads[t]);
			free(k.text);
		}
	free(ref.text);
	free(csv);
}
END_TEST

/* The raw-record fast path: a first read keeps each record's raw hash, a second skips them. */
struct fastsink {
	struct sink out;
	struct keymap keys;
	struct rawset raw;        /* what the records read keep */
	const struct rawset *set; /* what the read matches against */
	unsigned long same, hashed;
	size_t nfields;
};

static enum ls_scope
fast_record(void *ctx, const struct record *r)
{
	struct fastsink *k = ctx;
	char *line = xasprintf("%lu %s", r->line, r->key);

	sink_add(&k->out, line);
	free(line);
	if (r->has_raw) {
		struct keymap_entry *e = keymap_put(&k->keys, r->key);

		e->version = (long long)++k->hashed;
		e->current = true;
		rawset_add(&k->raw, e, &r->raw);
	}
	return LS_OK;
}

static enum ls_scope
fast_same(void *ctx, size_t row, unsigned long line)
{
	struct fastsink *k = ctx;
	char *text = xasprintf("%lu %s", line, k->set->rows[row].key);

	sink_add(&k->out, text);
	free(text);
	k->same++;
	return LS_OK;
}

static enum ls_scope
fast_fields(void *ctx, const char *const *names, size_t n)
{
	struct fastsink *k = ctx;

	(void)names;
	k->nfields = n;
	return LS_OK;
}

static void
read_fast(const char *data, const char *chunk, const char *threads, struct fastsink *k,
          const struct rawset *raw)
{
	const char *src = getenv("LOTSYNC_SRCDIR");
	char *conf = xasprintf("%s/conf", src ? src : "."), *why = NULL;
	struct feed_conf feed = {.name = "t", .key = FEED_KEY_VIN};
	struct reader_cb cb = {.record = fast_record,
	                       .reject = sink_reject,
	                       .warn = sink_warn,
	                       .raw = raw,
	                       .same_fields = fast_fields,
	                       .same = fast_same,
	                       .ctx = k};
	struct profile p;

	memset(&k->out, 0, sizeof(k->out));
	k->same = 0;
	k->set = raw;
	setenv("LOTSYNC_PARSE_CHUNK", chunk, 1);
	setenv("LOTSYNC_PARSE_THREADS", threads, 1);
	ck_assert_int_eq(profile_load(conf, "generic-csv", &p), 0);
	ck_assert_int_eq(reader_read_mem(&p, &feed, data, strlen(data), "mem", &cb, &why), LS_OK);
	profile_release(&p);
	free(conf);
	unsetenv("LOTSYNC_PARSE_CHUNK");
	unsetenv("LOTSYNC_PARSE_THREADS");
}

START_TEST(raw_fast_path_skips_what_it_matched)
{
	static const char *const chunks[] = {"61", "4096", "1048576"};
	static const char *const threads[] = {"1", "2"};
	char *csv = awkward_csv(1500), *other;
	struct fastsink first = {0}, k = {0};
	struct rawset none;

	keymap_init(&first.keys);
	rawset_init(&first.raw);
	rawset_init(&none);
	/* An empty set: every record parsed, and hashed for next time. */
	read_fast(csv, "1048576", "1", &first, &none);
	ck_assert_uint_eq(first.same, 0);
	ck_assert_uint_gt(first.hashed, 1000);
	rawset_build(&first.raw);
	for (size_t c = 0; c < ARRAY_SIZE(chunks); c++)
		for (size_t t = 0; t < ARRAY_SIZE(threads); t++) {
			read_fast(csv, chunks[c], threads[t], &k, &first.raw);
			ck_assert_msg(k.out.len == first.out.len &&
			                      memcmp(k.out.text, first.out.text, k.out.len) == 0,
			              "chunk %s, %s threads: output differs", chunks[c],
			              threads[t]);
			ck_assert_uint_eq(k.same, first.hashed);
			ck_assert_uint_gt(k.nfields, 3);
			free(k.out.text);
		}
	/* Another header line (the same columns, another case): nothing matches. */
	other = xstrdup(csv);
	memcpy(other, "dealerid", 8);
	read_fast(other, "4096", "2", &k, &first.raw);
	ck_assert_uint_eq(k.same, 0);
	free(k.out.text);
	/* Switched off: parsed, the same records. */
	setenv("LOTSYNC_RAW_FASTPATH", "0", 1);
	read_fast(csv, "4096", "2", &k, &first.raw);
	unsetenv("LOTSYNC_RAW_FASTPATH");
	ck_assert_uint_eq(k.same, 0);
	ck_assert_msg(k.out.len == first.out.len &&
	                      memcmp(k.out.text, first.out.text, k.out.len) == 0,
	              "switched off: output differs");
	free(k.out.text);
	free(other);
	free(first.out.text);
	rawset_release(&first.raw);
	keymap_release(&first.keys);
	rawset_release(&k.raw);
	keymap_release(&k.keys);
	free(csv);
}
END_TEST

START_TEST(csv_and_xml_of_the_same_vehicles_agree)
{
	const char *csv =
	        "DealerID,VIN,StockNo,Price,Mileage,ImageURLs,Equipment,Description\n"
	        "D1,1HGCM82690A004352,S1,\"21,995.50\",41200,a.jpg|b.jpg,Tow bar,\"A & B\"\n";
	const char *xml =
	        "<?xml version=\"1.0\"?>\n<inventory><vehicle><DealerID>D1</DealerID>"
	        "<VIN>1HGCM82690A004352</VIN><StockNo>S1</StockNo><Price>21,995.50</Price>"
	        "<Mileage>41200</Mileage><ImageURLs><URL>a.jpg</URL><URL>b.jpg</URL>"
	        "</ImageURLs><Equipment><Item>Tow bar</Item></Equipment>"
	        "<Description>A &amp; B</Description></vehicle></inventory>\n";
	struct sink a, b;

	read_with("generic-csv", csv, strlen(csv), "4096", "1", &a);
	read_with("generic-xml", xml, strlen(xml), "4096", "1", &b);
	ck_assert_uint_eq(a.records, 1);
	/* Same fields and hash; only the line ("2 " for both here) could differ. */
	ck_assert_str_eq(a.text, b.text);
	free(a.text);
	free(b.text);
}
END_TEST

/* A profile of one's own: attributes, nested paths, a namespace prefix, unmapped leaves. */
START_TEST(xml_attributes_paths_and_extras)
{
	char dir[64], *path, *why = NULL;
	const char *xml =
	        "<?xml version=\"1.0\"?>\n<feed xmlns:s=\"urn:seller\"><meta><n>1</n></meta>\n"
	        "<car vin=\"1hgcm82690a004352\"><ids stock=\"K-1\"/><s:dealer>D9</s:dealer>"
	        "<Price><Amount>12.990,00</Amount></Price><Photos><Photo>a.jpg</Photo>"
	        "<Photo/><Photo> b.jpg </Photo></Photos><Options><Item>x</Item><Item>y</Item>"
	        "</Options><Color>Red</Color></car>\n<car/></feed>\n";
	struct feed_conf feed = {.name = "t", .key = FEED_KEY_STOCK};
	struct reader_cb cb = {.record = sink_record, .reject = sink_reject, .warn = sink_warn};
	struct profile p;
	struct sink k = {0};

	unit_tmpdir(dir, sizeof(dir));
	path = xasprintf("%s/profiles/cars.ini", dir);
	unit_write_str(path,
	               "[profile]\nformat = xml\nrecord_element = feed/car\ndecimal = ,\n"
	               "currency = EUR\n[fields]\nvin = @vin\nstock_no = ids/@stock\n"
	               "dealer_id = dealer\nprice = Price/Amount\nimages = Photos/Photo\n",
	               0600);
	cb.ctx = &k;
	ck_assert_int_eq(profile_load(dir, "cars", &p), 0);
	ck_assert_int_eq(reader_read_mem(&p, &feed, xml, strlen(xml), "cars.xml", &cb, &why),
	                 LS_OK);
	ck_assert_str_eq(k.text,
	                 "3 D9/K-1 {\"currency\":\"EUR\",\"dealer_id\":\"D9\",\"extra.Color\":"
	                 "\"Red\",\"extra.Options/Item\":\"x|y\",\"images\":\"a.jpg|b.jpg\","
	                 "\"price\":\"1299000\",\"stock_no\":\"K-1\",\"vin\":"
	                 "\"1HGCM82690A004352\"}\n"
	                 "4 reject stock_no: missing stock number (the key)\n");
	free(k.text);
	profile_release(&p);
	unit_rmtree(dir);
	free(path);
}
END_TEST

/* ragged = pad, a mileage_unit column, thousands = ., and a unit the value contradicts. */
START_TEST(ragged_pad_and_unit_column)
{
	char dir[] = "/tmp/lotsync-pad.XXXXXX", *pdir, *path, *why = NULL;
	const char *csv = "VIN,Km,Unit,Price\n"
	                  "1HGCM82690A004352,45.000,km,100\n" /* thousands declared */
	                  "WBA8E9C55GK645321,12000,Miles\n"   /* short: padded */
	                  "WVWZZZAU5KW123456,12000 km,mi,5\n" /* value and column disagree */
	                  "TMBJJ7NE8J0123456,800 mil,,1\n";   /* the value names it */
	struct feed_conf feed = {.name = "t", .key = FEED_KEY_VIN};
	struct reader_cb cb = {.record = sink_record, .reject = sink_reject, .warn = sink_warn};
	struct profile p;
	struct sink k = {0};
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	pdir = xasprintf("%s/profiles", dir);
	path = xasprintf("%s/pad.ini", pdir);
	ck_assert_int_eq(mkdir(pdir, 0700), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[profile]\nformat = csv\nragged = pad\nthousands = .\ndecimal = ,\nvin_check = off\n"
	      "currency = EUR\n[fields]\nvin = VIN\nmileage = Km\nmileage_unit = Unit\n"
	      "price = Price\n",
	      f);
	fclose(f);
	cb.ctx = &k;
	ck_assert_int_eq(profile_load(dir, "pad", &p), 0);
	ck_assert_int_eq(reader_read_mem(&p, &feed, csv, strlen(csv), "pad.csv", &cb, &why), LS_OK);
	ck_assert_str_eq(k.text,
	                 "2 1HGCM82690A004352 {\"currency\":\"EUR\",\"mileage\":\"45000\","
	                 "\"mileage_unit\":\"km\",\"price\":\"10000\",\"vin\":"
	                 "\"1HGCM82690A004352\"}\n"
	                 "3 WBA8E9C55GK645321 {\"mileage\":\"12000\",\"mileage_unit\":\"mi\","
	                 "\"vin\":\"WBA8E9C55GK645321\"}\n"
	                 "4 reject mileage_unit: the mileage is in km but the unit column says mi "
	                 "(key WVWZZZAU5KW123456)\n"
	                 "5 TMBJJ7NE8J0123456 {\"currency\":\"EUR\",\"mileage\":\"800\","
	                 "\"mileage_unit\":\"mil\",\"price\":\"100\",\"vin\":"
	                 "\"TMBJJ7NE8J0123456\"}\n"
	                 "1 row has fewer fields than the header; the missing trailing fields "
	                 "read as empty (ragged = pad)\n");
	free(k.text);
	profile_release(&p);
	unlink(path);
	rmdir(pdir);
	rmdir(dir);
	free(path);
	free(pdir);
}
END_TEST

/* Read csv with a profile written to a temp dir; the sink's text (caller frees). */
static char *
read_own(const char *ini, const char *csv)
{
	char dir[64], *path, *why = NULL;
	struct feed_conf feed = {.name = "t", .key = FEED_KEY_VIN};
	struct reader_cb cb = {.record = sink_record, .reject = sink_reject, .warn = sink_warn};
	struct profile p;
	struct sink k = {0};

	unit_tmpdir(dir, sizeof(dir));
	path = xasprintf("%s/profiles/own.ini", dir);
	unit_write_str(path, ini, 0600);
	cb.ctx = &k;
	ck_assert_int_eq(profile_load(dir, "own", &p), 0);
	ck_assert_int_eq(reader_read_mem(&p, &feed, csv, strlen(csv), "own.csv", &cb, &why), LS_OK);
	profile_release(&p);
	unit_rmtree(dir);
	free(path);
	return k.text;
}

/*
 * Value maps, enumerated fields, whole numbers with their unit, coordinates,
 * a unit per row (mileage_unit_from) with an unknown unit refused, and
 * date-time stamps: 12-hour clock, seconds, ISO 8601 offsets moved to UTC.
 */
START_TEST(values_units_and_times)
{
	const char *ini = "[profile]\nformat = csv\nvin_check = off\ncurrency = USD\n"
	                  "mileage_unit_from = Unit\n"
	                  "date_format = MM/DD/YYYY hh:mm:ss AM, iso8601, YYYY-MM-DD\n"
	                  "[fields]\nvin = VIN\nprice = Price\ncondition = Cond\n"
	                  "availability = Avail\nmileage = Miles\npower_kw = kW\nco2 = CO2\n"
	                  "latitude = Lat\nin_stock_date = Since\n"
	                  "[values:price]\n0 =\n[values:condition]\nCPO = certified\n"
	                  "Pre-Owned = used\n[values:availability]\nAVAILABLE = in_stock\n";
	const char *csv = "VIN,Price,Cond,Avail,Miles,Unit,kW,CO2,Lat,Since\n"
	                  "1HGCM82690A004352,0,cpo,available,100,KM,110 kW,139 g/km,59.3293,"
	                  "10/15/2026 12:19:40 PM\n"
	                  "WBA8E9C55GK645321,5,New,In Stock,100,mil,85,0,\"-33,86\","
	                  "2026-12-31T23:30:00-05:00\n"
	                  "WVWZZZAU5KW123456,5,Pre-Owned,sold,7,leagues,1,1,1,2026-01-01\n"
	                  "TMBJJ7NE8J0123456,5,broken,,7,mi,1,1,1,2026-01-01\n"
	                  "1FTFW1E51NFA00001,5,new,,7,mi,150 hp,1,91,2026-01-01\n"
	                  "1G1ZD5STXLF000002,5,new,,7,mi,1,1,1,12/01/2026 13:00:00 PM\n"
	                  "5YJ3E1EB5NF000003,5,demo,pending,7,mi,1,1,1,12/01/2026 12:00:00 AM\n";
	char *got = read_own(ini, csv);

	ck_assert_str_eq(
	        got,
	        "2 1HGCM82690A004352 {\"availability\":\"in_stock\",\"co2\":\"139\",\"condition\":"
	        "\"certified\",\"in_stock_date\":\"2026-10-15T12:19:40\",\"latitude\":\"59.3293\","
	        "\"mileage\":\"100\",\"mileage_unit\":\"km\",\"power_kw\":\"110\",\"vin\":"
	        "\"1HGCM82690A004352\"}\n"
	        "3 WBA8E9C55GK645321 {\"availability\":\"in_stock\",\"co2\":\"0\",\"condition\":"
	        "\"new\",\"currency\":\"USD\",\"in_stock_date\":\"2027-01-01T04:30:00Z\","
	        "\"latitude\":\"-33.86\",\"mileage\":\"100\",\"mileage_unit\":\"mil\","
	        "\"power_kw\":\"85\",\"price\":\"500\",\"vin\":\"WBA8E9C55GK645321\"}\n"
	        "4 reject mileage_unit: 'leagues' is not a mileage unit (km, mi or mil) (column "
	        "Unit) (key WVWZZZAU5KW123456)\n"
	        "5 reject condition: 'broken' is not a condition (new|used|certified|demo; a "
	        "[values:condition] section maps others) (column Cond) (key TMBJJ7NE8J0123456)\n"
	        "6 reject power_kw: '150 hp' is not a whole number (with or without its unit) "
	        "(column kW) (key 1FTFW1E51NFA00001)\n"
	        "7 reject in_stock_date: '12/01/2026 13:00:00 PM' has an hour outside 1-12 with "
	        "AM/PM (date formats MM/DD/YYYY hh:mm:ss AM, ...) (column Since) (key "
	        "1G1ZD5STXLF000002)\n"
	        "8 5YJ3E1EB5NF000003 {\"availability\":\"pending\",\"co2\":\"1\",\"condition\":"
	        "\"demo\",\"currency\":\"USD\",\"in_stock_date\":\"2026-12-01T00:00:00\","
	        "\"latitude\":\"1\",\"mileage\":\"7\",\"mileage_unit\":\"mi\",\"power_kw\":\"1\","
	        "\"price\":\"500\",\"vin\":\"5YJ3E1EB5NF000003\"}\n");
	free(got);
}
END_TEST

/*
 * charset = auto reads the file in 1 MiB pieces: a UTF-8 sequence cut by a
 * piece boundary is carried over (still UTF-8), one cut by the end of the
 * file is not UTF-8, so the file is read as windows-1252.
 */
static char *
read_auto(const char *data, size_t len)
{
	const char *src = getenv("LOTSYNC_SRCDIR");
	char *conf = xasprintf("%s/conf", src ? src : "."), *why = NULL;
	struct feed_conf feed = {.name = "t", .key = FEED_KEY_VIN, .charset = "auto"};
	struct sink k = {0};
	struct reader_cb cb = {
	        .record = sink_record, .reject = sink_reject, .warn = sink_warn, .ctx = &k};
	struct profile p;

	ck_assert_int_eq(profile_load(conf, "generic-csv", &p), 0);
	ck_assert_int_eq(reader_read_mem(&p, &feed, data, len, "mem", &cb, &why), LS_OK);
	profile_release(&p);
	free(conf);
	return k.text;
}

START_TEST(charset_auto_across_the_piece_boundary)
{
	static const char head[] = "DealerID,VIN,StockNo,Description\nD1,1HGCM82690A004352,S1,";
	size_t piece = (size_t)1 << 20, len = piece + 40, at;
	char *doc = xmalloc(len + 1), *got;

	/* the description ends in "é" whose two bytes straddle the boundary */
	memcpy(doc, head, sizeof(head) - 1);
	at = piece - 1;
	memset(doc + sizeof(head) - 1, 'x', at - (sizeof(head) - 1));
	doc[at] = '\xc3';
	doc[at + 1] = '\xa9';
	memcpy(doc + at + 2, "\n", 1);
	len = at + 3;
	got = read_auto(doc, len);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strstr(got, "xx\xc3\xa9\"") != NULL, "not read as UTF-8: ...%s",
	              got + strlen(got) - 80);
	free(got);
	/* the same file cut after the first byte of "é": windows-1252, "Ã" */
	got = read_auto(doc, at + 1);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strstr(got, "xx\xc3\x83\"") != NULL, "not read as windows-1252: ...%s",
	              got + strlen(got) - 80);
	free(got);
	free(doc);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *tc = tcase_create("reader");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, money_notations);
	tcase_add_test(tc, mileage_and_years);
	tcase_add_test(tc, dates_by_format);
	tcase_add_test(tc, vins);
	tcase_add_test(tc, charsets);
	tcase_add_test(tc, csv_cuts_respect_quotes);
	tcase_add_test(tc, csv_records_cut_one_by_one);
	tcase_add_test(tc, raw_fast_path_skips_what_it_matched);
	tcase_add_test(tc, same_records_whatever_the_chunks_and_threads);
	tcase_add_test(tc, csv_and_xml_of_the_same_vehicles_agree);
	tcase_add_test(tc, xml_attributes_paths_and_extras);
	tcase_add_test(tc, ragged_pad_and_unit_column);
	tcase_add_test(tc, charset_auto_across_the_piece_boundary);
	tcase_add_test(tc, values_units_and_times);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(make_suite)
