/* test_wo.c - work orders: the date-typo guard's table, date formats, and the mapper on the shipped
 * profiles' fixtures. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/wo.h"
#include "lotsync/wo_map.h"
#include "lotsync/wo_render.h"
#include "unit.h"

static struct wo_when
W(int y, int mo, int d, int h, int mi) {
	return (struct wo_when){y, mo, d, h, mi};
}

/* One row of the guard's table: appointment as read, creation, expectation. */
struct typo_case {
	const char *what;
	struct wo_when appt, created;
	int horizon;
	enum wo_typo want;
	bool ambiguous;
	int swapped_d, swapped_mo; /* the other reading when want == WO_DATE_TYPO */
};

START_TEST(typo_table)
{
	const struct typo_case cases[] = {
	        /* Typed 10/6 (10 June) for 6/10 (6 October), created in September. */
	        {"10/6 for 6/10", W(2026, 6, 10, 9, 0), W(2026, 9, 20, 12, 0), 180, WO_DATE_TYPO,
	         false, 6, 10},
	        /* The right reading 6/10 is plausible; its swap 10/6 is before creation. */
	        {"6/10 as meant", W(2026, 10, 6, 9, 0), W(2026, 9, 20, 12, 0), 180, WO_DATE_OK,
	         false, 0, 0},
	        /* 31/12 has no swapped reading (no month 31): implausible either way. */
	        {"31/12 before creation", W(2026, 12, 31, 8, 0), W(2027, 1, 15, 8, 0), 180,
	         WO_DATE_IMPLAUSIBLE, false, 0, 0},
	        {"31/12 plausible", W(2026, 12, 31, 8, 0), W(2026, 12, 1, 8, 0), 180, WO_DATE_OK,
	         false, 0, 0},
	        /* 1/2 and 2/1 both shortly after a creation on 31 December: ambiguous, kept. */
	        {"1/2 vs 2/1 both plausible", W(2027, 2, 1, 8, 0), W(2026, 12, 31, 8, 0), 180,
	         WO_DATE_OK, true, 0, 0},
	        {"2/1 vs 1/2 both plausible", W(2027, 1, 2, 8, 0), W(2026, 12, 31, 8, 0), 180,
	         WO_DATE_OK, true, 0, 0},
	        /* Same day and month: no other reading. */
	        {"5/5 has no swap", W(2026, 5, 5, 8, 0), W(2026, 12, 1, 8, 0), 180,
	         WO_DATE_IMPLAUSIBLE, false, 0, 0},
	        /* Leap days: 29/02 swapped is month 29, no reading; plausible as read. */
	        {"leap day 2028", W(2028, 2, 29, 8, 0), W(2028, 2, 1, 8, 0), 180, WO_DATE_OK, false,
	         0, 0},
	        /* In a leap year: 9/2 (9 February 2028) typed for 2/9 (2 September). */
	        {"9/2 for 2/9 in a leap year", W(2028, 2, 9, 8, 0), W(2028, 8, 20, 8, 0), 180,
	         WO_DATE_TYPO, false, 2, 9},
	        /* One day's grace before creation: booked afterwards, not a typo. */
	        {"a day before creation", W(2026, 11, 30, 9, 0), W(2026, 12, 1, 8, 0), 180,
	         WO_DATE_OK, false, 0, 0},
	        {"two days before creation, no swap plausible", W(2026, 11, 29, 9, 0),
	         W(2026, 12, 1, 8, 0), 180, WO_DATE_IMPLAUSIBLE, false, 0, 0},
	        /* Exactly the horizon after creation is still plausible; a minute past is not. */
	        {"exactly 180 days", W(2027, 5, 30, 8, 0), W(2026, 12, 1, 8, 0), 180, WO_DATE_OK,
	         false, 0, 0},
	        {"180 days and a minute, 30/5 has no swap", W(2027, 5, 30, 8, 1),
	         W(2026, 12, 1, 8, 0), 180, WO_DATE_IMPLAUSIBLE, false, 0, 0},
	        /* The horizon is the feed's: with 30 days, 3/6 (94 days on) for 6/3 is a typo. */
	        {"short horizon", W(2026, 6, 3, 8, 0), W(2026, 3, 1, 8, 0), 30, WO_DATE_TYPO, false,
	         6, 3},
	        {"default horizon", W(2026, 6, 3, 8, 0), W(2026, 3, 1, 8, 0), 180, WO_DATE_OK, true,
	         0, 0},
	        {"no horizon", W(2026, 6, 3, 8, 0), W(2026, 3, 1, 8, 0), -1, WO_DATE_OK, true, 0,
	         0},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct typo_case *c = &cases[i];
		struct wo_when sw;
		bool has_swap, ambiguous;
		enum wo_typo got = wo_typo_check(&c->appt, &c->created, c->horizon, &sw, &has_swap,
		                                 &ambiguous);

		ck_assert_msg(got == c->want, "%s: got %d, want %d", c->what, got, c->want);
		ck_assert_msg(ambiguous == c->ambiguous, "%s: ambiguous %d", c->what, ambiguous);
		if (c->want == WO_DATE_TYPO) {
			ck_assert_msg(has_swap, "%s: no swapped reading", c->what);
			ck_assert_int_eq(sw.d, c->swapped_d);
			ck_assert_int_eq(sw.mo, c->swapped_mo);
			ck_assert_int_eq(sw.y, c->appt.y);
		}
	}
}
END_TEST

START_TEST(date_formats)
{
	struct wo_date_format f;
	struct wo_when w;

	ck_assert_int_eq(wo_date_format_compile("DD-MM-YYYY HH:MM", &f), 0);
	ck_assert_ptr_null(wo_when_parse(&f, "01-12-2026 08:30", 16, &w));
	ck_assert_int_eq(w.y, 2026);
	ck_assert_int_eq(w.mo, 12);
	ck_assert_int_eq(w.d, 1);
	ck_assert_int_eq(w.h, 8);
	ck_assert_int_eq(w.mi, 30);
	/* A date without its time part is midnight. */
	ck_assert_ptr_null(wo_when_parse(&f, "15-03-2019", 10, &w));
	ck_assert_int_eq(w.h, 0);
	ck_assert_ptr_null(wo_when_parse(&f, "29-02-2028 10:00", 16, &w));
	ck_assert_ptr_nonnull(wo_when_parse(&f, "29-02-2027 10:00", 16, &w)); /* not a leap year */
	ck_assert_ptr_nonnull(wo_when_parse(&f, "31-04-2027 10:00", 16, &w));
	ck_assert_ptr_nonnull(wo_when_parse(&f, "01-12-2026 24:00", 16, &w));
	ck_assert_ptr_nonnull(wo_when_parse(&f, "2026-12-01", 10, &w));
	ck_assert_ptr_nonnull(wo_when_parse(&f, "01-12-2026 08:30x", 17, &w));
	ck_assert_int_eq(wo_date_format_compile("YYYY-MM", &f), -1); /* no day */
	ck_assert_int_eq(wo_date_format_compile("DD.MM.YYYY Q", &f), -1);
}
END_TEST

/* What a read delivered: records by key, removals, errors, warnings. */
struct seen {
	struct record recs[32];
	size_t nrecs;
	char *removed[8];
	size_t nremoved;
	size_t nerrors;
	char *error_key, *error_field;
	char *warn_codes[8];
	size_t nwarns;
};

static enum ls_scope
on_record(void *ctx, const struct record *r)
{
	struct seen *s = ctx;
	struct record *c = &s->recs[s->nrecs++];

	ck_assert_uint_lt(s->nrecs, ARRAY_SIZE(s->recs));
	record_init(c);
	c->key = xstrdup(r->key);
	c->line = r->line;
	for (size_t i = 0; i < r->nfields; i++)
		record_set(c, r->fields[i].name, r->fields[i].value, strlen(r->fields[i].value));
	return LS_OK;
}

static enum ls_scope
on_reject(void *ctx, struct row_error *e)
{
	struct seen *s = ctx;

	if (!s->nerrors++) {
		s->error_key = e->key ? xstrdup(e->key) : NULL;
		s->error_field = e->field ? xstrdup(e->field) : NULL;
	}
	row_error_release(e);
	return LS_BAD_RECORD;
}

static enum ls_scope
on_warn(void *ctx, const struct row_warning *w)
{
	struct seen *s = ctx;

	s->warn_codes[s->nwarns++] = xstrdup(w->code);
	return LS_OK;
}

static enum ls_scope
on_remove(void *ctx, const char *key, unsigned long line)
{
	struct seen *s = ctx;

	(void)line;
	s->removed[s->nremoved++] = xstrdup(key);
	return LS_OK;
}

static void
seen_release(struct seen *s)
{
	for (size_t i = 0; i < s->nrecs; i++)
		record_release(&s->recs[i]);
	for (size_t i = 0; i < s->nremoved; i++)
		free(s->removed[i]);
	for (size_t i = 0; i < s->nwarns; i++)
		free(s->warn_codes[i]);
	free(s->error_key);
	free(s->error_field);
}

static const struct record *
find(const struct seen *s, const char *key)
{
	for (size_t i = 0; i < s->nrecs; i++)
		if (!strcmp(s->recs[i].key, key))
			return &s->recs[i];
	return NULL;
}

static void
read_fixture(const char *profile, const char *rel, const char *override, struct seen *s)
{
	char *path = xasprintf("%s/tests/fixtures/workorders/%s", unit_srcdir(), rel), *why = NULL;
	struct wo_profile p;
	struct feed_conf feed = {.name = "t", .date_horizon = 180, .kind = FEED_KIND_WORKORDER};
	struct reader_cb cb = {.record = on_record,
	                       .reject = on_reject,
	                       .warn = on_warn,
	                       .remove = on_remove,
	                       .ctx = s};
	size_t n = 0;
	char *data = unit_slurp(path, &n);

	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(wo_profile_load("/nonexistent", profile, &p), 0);
	if (override) { /* a broken value in place of a good one */
		char *at = strstr(data, override);

		ck_assert_ptr_nonnull(at);
		memcpy(at, "XX", 2);
	}
	ck_assert_int_eq(wo_read_mem(&p, &feed, data, n, rel, &cb, &why), LS_OK);
	ck_assert_ptr_null(why);
	wo_profile_release(&p);
	free(data);
	free(path);
}

#define FIELD_IS(r, name, want)                                                                    \
	ck_assert_str_eq(record_get((r), (name)) ? record_get((r), (name)) : "(absent)", (want))

START_TEST(carsys_morning)
{
	struct seen s;
	const struct record *r;

	read_fixture("carsys-xml", "carsys/1-morning.xml", NULL, &s);
	/* Three work orders, then the three persons: P1 named by two, stored once. */
	ck_assert_uint_eq(s.nrecs, 6);
	ck_assert_str_eq(s.recs[0].key, "12345/WO-2026-0042");
	ck_assert_str_eq(s.recs[3].key, "person:P1");
	ck_assert_str_eq(s.recs[4].key, "person:P2");
	ck_assert_str_eq(s.recs[5].key, "person:P3");
	r = find(&s, "12345/WO-2026-0042");
	/* 08:30 in Amsterdam on 1 December (CET, UTC+1) is 07:30 UTC. */
	FIELD_IS(r, "appointment_at", "2026-12-01T07:30:00Z");
	FIELD_IS(r, "created_at", "2026-11-28T13:02:00Z");
	FIELD_IS(r, "customer_waiting", "true");
	FIELD_IS(r, "first_registration", "2019-03-15");
	FIELD_IS(r, "registration_number", "AB-123-C");
	FIELD_IS(r, "owner_id", "P2");
	/* Interventions in the DMS's order, amounts in cents. */
	FIELD_IS(r, "intervention.001.title", "APK");
	FIELD_IS(r, "intervention.001.price", "4500");
	FIELD_IS(r, "intervention.002.title", "Olie verversen");
	FIELD_IS(r, "intervention.002.price", "8995");
	FIELD_IS(r, "intervention.003.title", "(absent)");
	FIELD_IS(r, "date_typo", "(absent)");
	/* Typed 12-01 for 01-12: flagged, kept as read, with the other reading. */
	r = find(&s, "12345/WO-2026-0043");
	FIELD_IS(r, "appointment_at", "2026-01-12T09:00:00Z");
	FIELD_IS(r, "date_typo", "probable date typo");
	FIELD_IS(r, "appointment_swapped_at", "2026-12-01T09:00:00Z");
	ck_assert_uint_eq(s.nwarns, 1);
	ck_assert_str_eq(s.warn_codes[0], "date_typo");
	r = find(&s, "person:P1");
	FIELD_IS(r, "first_name", "Jan");
	FIELD_IS(r, "email_private", "jan@example.nl");
	FIELD_IS(r, "person_id", "P1");
	ck_assert_uint_eq(s.nerrors, 0);
	ck_assert_uint_eq(s.nremoved, 0);
	seen_release(&s);
}
END_TEST

START_TEST(carsys_evening)
{
	struct seen s;

	read_fixture("carsys-xml", "carsys/3-evening.xml", NULL, &s);
	ck_assert_uint_eq(s.nrecs, 1);
	FIELD_IS(&s.recs[0], "canceled", "true");
	ck_assert_uint_eq(s.nremoved, 1);
	ck_assert_str_eq(s.removed[0], "12345/WO-2026-0044");
	seen_release(&s);
}
END_TEST

START_TEST(carsys_bad_value)
{
	struct seen s;

	/* "XX" for the brake job's price: that work order is refused with its key. */
	read_fixture("carsys-xml", "carsys/1-morning.xml", "145,00", &s);
	ck_assert_uint_eq(s.nerrors, 1);
	ck_assert_str_eq(s.error_key, "12345/WO-2026-0043");
	ck_assert_str_eq(s.error_field, "intervention.001.price");
	ck_assert_ptr_null(find(&s, "12345/WO-2026-0043"));
	ck_assert_ptr_nonnull(find(&s, "12345/WO-2026-0042"));
	seen_release(&s);
}
END_TEST

START_TEST(autoflex_grouped)
{
	struct seen s;
	const struct record *r;

	read_fixture("autoflex-csv", "autoflex/day1.csv", NULL, &s);
	/* Three work orders from four rows, then persons B17, B22, B30. */
	ck_assert_uint_eq(s.nrecs, 6);
	r = find(&s, "700/A-1001");
	FIELD_IS(r, "intervention.001.title", "Grote beurt");
	FIELD_IS(r, "intervention.001.price", "28900");
	FIELD_IS(r, "intervention.002.title", "Distributieriem");
	FIELD_IS(r, "intervention.002.price", "61250");
	FIELD_IS(r, "mileage", "84512");
	FIELD_IS(r, "billed", "false");
	FIELD_IS(r, "vin", "VF3LBHZRABS000004");
	FIELD_IS(r, "driver_id", "B17");
	r = find(&s, "700/A-1003");
	FIELD_IS(r, "date_typo", "probable date typo");
	FIELD_IS(r, "appointment_at", "2026-06-12T12:00:00Z"); /* CEST, UTC+2 */
	FIELD_IS(r, "appointment_swapped_at", "2026-12-06T13:00:00Z");
	r = find(&s, "person:B22");
	FIELD_IS(r, "company", "Lease Noord B.V.");
	FIELD_IS(r, "place", "Zwolle");
	ck_assert_uint_eq(s.nerrors, 0);
	seen_release(&s);
}
END_TEST

START_TEST(profiles_refuse_mistakes)
{
	char dir[64], *path;
	struct wo_profile p;

	unit_tmpdir(dir, sizeof(dir));
	path = xasprintf("%s/profiles/mine.ini", dir);
	unit_write_str(path,
	               "[profile]\nkind = workorder\nformat = xml\n[fields]\nwo_number = w\n"
	               "nonsense = x\n",
	               0600);
	/* No record_element, no dms_number, an unknown field: three errors. */
	ck_assert_int_eq(wo_profile_load(dir, "mine", &p), 3);
	wo_profile_release(&p);
	ck_assert_int_eq(wo_profile_is_workorder(dir, "mine"), 1);
	ck_assert_int_eq(wo_profile_is_workorder(dir, "generic-csv"), 0);
	ck_assert_int_eq(wo_profile_is_workorder(dir, "no-such"), -1);
	free(path);
	unit_rmtree(dir);
}
END_TEST

START_TEST(doctype_refused)
{
	static const char doc[] = "<?xml version=\"1.0\"?><!DOCTYPE carsys [<!ENTITY x \"y\">]>"
	                          "<carsys><workorder><dms_number>1</dms_number>"
	                          "<wo_number>&x;</wo_number></workorder></carsys>";
	struct seen s = {0};
	struct reader_cb cb = {.record = on_record, .reject = on_reject, .ctx = &s};
	struct wo_profile p;
	char *why = NULL;

	ck_assert_int_eq(wo_profile_load("/nonexistent", "carsys-xml", &p), 0);
	ck_assert_int_eq(wo_read_mem(&p, NULL, doc, sizeof(doc) - 1, "x.xml", &cb, &why),
	                 LS_BAD_FILE);
	ck_assert_ptr_nonnull(strstr(why, "DOCTYPE"));
	ck_assert_uint_eq(s.nrecs, 0);
	free(why);
	wo_profile_release(&p);
}
END_TEST

/* A document cut short is quarantined as truncated, and none of its work orders is delivered. */
START_TEST(truncated_refused)
{
	char *path = xasprintf("%s/tests/fixtures/workorders/carsys/1-morning.xml", unit_srcdir());
	size_t n = 0;
	char *data = unit_slurp(path, &n), *why = NULL;
	struct seen s = {0};
	struct reader_cb cb = {
	        .record = on_record, .reject = on_reject, .warn = on_warn, .ctx = &s};
	struct wo_profile p;
	size_t cuts[] = {n / 2, n - 12, 2600};

	ck_assert_int_eq(wo_profile_load("/nonexistent", "carsys-xml", &p), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
		ck_assert_int_eq(wo_read_mem(&p, NULL, data, cuts[i], "cut.xml", &cb, &why),
		                 LS_BAD_FILE);
		ck_assert_msg(!strncmp(why, "truncated", 9), "cut at %zu: %s", cuts[i], why);
		ck_assert_uint_eq(s.nrecs, 0);
		free(why);
		why = NULL;
	}
	wo_profile_release(&p);
	free(data);
	free(path);
	/* Autoflex: a short last row without its line end. */
	path = xasprintf("%s/tests/fixtures/workorders/autoflex/day1.csv", unit_srcdir());
	data = unit_slurp(path, &n);
	ck_assert_int_eq(wo_profile_load("/nonexistent", "autoflex-csv", &p), 0);
	ck_assert_int_eq(wo_read_mem(&p, NULL, data, 700, "cut.csv", &cb, &why), LS_BAD_FILE);
	ck_assert_msg(!strncmp(why, "truncated", 9), "%s", why);
	ck_assert_uint_eq(s.nrecs, 0);
	free(why);
	/* The whole file but its last CRLF is complete: every field is there. */
	why = NULL;
	ck_assert_int_eq(wo_read_mem(&p, NULL, data, n - 2, "last.csv", &cb, &why), LS_OK);
	ck_assert_uint_eq(s.nrecs, 6);
	wo_profile_release(&p);
	seen_release(&s);
	free(data);
	free(path);
}
END_TEST

static char *
render_one(enum wo_format f, bool delta, const char *json)
{
	char dir[64], *path, *text;
	struct wo_render *r;
	size_t n;
	int fd;

	unit_tmpdir(dir, sizeof(dir));
	path = xasprintf("%s/out", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	r = wo_render_new(f, fd, delta, NULL, NULL);
	wo_render_begin(r);
	ck_assert_int_eq(wo_render_json(r, "1/W<1>", json, strlen(json), RENDER_CHANGED), 0);
	/* A person is never a row of its own. */
	ck_assert_int_eq(wo_render_json(r, "person:P1", "{\"first_name\":\"Jan\"}", 20, RENDER_NEW),
	                 0);
	ck_assert_int_eq(wo_render_end(r), 0);
	wo_render_free(r);
	close(fd);
	text = unit_slurp(path, &n);
	free(path);
	unit_rmtree(dir);
	return text;
}

START_TEST(render_formats)
{
	static const char json[] =
	        "{\"dms_number\":\"1\",\"intervention.001.price\":\"4550\","
	        "\"intervention.001.title\":\"A&B <x>\",\"notes\":\"=HYPERLINK()\","
	        "\"wo_number\":\"W<1>\"}";
	char *t;

	t = render_one(WO_FORMAT_CSV, true, json);
	ck_assert_ptr_nonnull(strstr(t, "action,dms_number,wo_number,"));
	/* The formula guard: a spreadsheet shows the text, never runs it. */
	ck_assert_ptr_nonnull(strstr(t, ",\"'=HYPERLINK()\","));
	ck_assert_ptr_nonnull(strstr(t, ",A&B <x> (45.50),45.50\r\n"));
	ck_assert_ptr_null(strstr(t, "Jan"));
	free(t);
	t = render_one(WO_FORMAT_XML, false, json);
	ck_assert_ptr_nonnull(strstr(t, "<wo_number>W&lt;1&gt;</wo_number>"));
	ck_assert_ptr_nonnull(strstr(t, "<title>A&amp;B &lt;x&gt;</title>"));
	ck_assert_ptr_nonnull(strstr(t, "<price>45.50</price>"));
	ck_assert_ptr_null(strstr(t, "action="));
	free(t);
	t = render_one(WO_FORMAT_JSONL, true, json);
	ck_assert_ptr_nonnull(strstr(t, "{\"action\":\"changed\",\"dms_number\":\"1\""));
	ck_assert_ptr_nonnull(
	        strstr(t, "\"interventions\":[{\"title\":\"A&B <x>\",\"price\":\"45.50\"}]"));
	ck_assert_ptr_null(strstr(t, "Jan"));
	ck_assert_int_eq(t[strlen(t) - 1], '\n');
	free(t);
}
END_TEST

START_TEST(mask_personal)
{
	char out[WO_MASK_MAX];

	ck_assert_str_eq(wo_mask("first_name", "Jan", out), "J.");
	ck_assert_str_eq(wo_mask("last_name", "de Vries", out), "d.V.");
	ck_assert_str_eq(wo_mask("last_name", "Ölçer-Yılmaz", out), "Ö.Y.");
	ck_assert_str_eq(wo_mask("email_private", "jan@example.nl", out), "(personal data)");
	ck_assert_str_eq(wo_mask("mobile_business", "06", out), "(personal data)");
	ck_assert_str_eq(wo_mask("postcode", "1234 AB", out), "(personal data)");
	ck_assert_str_eq(wo_mask("company", "Jansen B.V.", out), "Jansen B.V.");
}
END_TEST

/* Appointments that read both ways plausibly are counted once per file. */
START_TEST(ambiguous_counted)
{
	static const char csv[] =
	        "DmsNummer;WoNummer;Afspraakdatum;Aanmaakdatum;InterventieTitel\r\n"
	        "1;W1;02-01-2027 08:00;30-12-2026 10:00;A\r\n"  /* 2 Jan or 1 Feb */
	        "1;W2;01-02-2027 08:00;30-12-2026 10:00;B\r\n"  /* 1 Feb or 2 Jan */
	        "1;W3;15-01-2027 08:00;30-12-2026 10:00;C\r\n"; /* only one reading */
	struct seen s = {0};
	struct reader_cb cb = {
	        .record = on_record, .reject = on_reject, .warn = on_warn, .ctx = &s};
	struct feed_conf feed = {.name = "t", .date_horizon = 180, .kind = FEED_KIND_WORKORDER};
	struct wo_profile p;
	char *why = NULL;

	ck_assert_int_eq(wo_profile_load("/nonexistent", "autoflex-csv", &p), 0);
	ck_assert_int_eq(wo_read_mem(&p, &feed, csv, sizeof(csv) - 1, "a.csv", &cb, &why), LS_OK);
	ck_assert_uint_eq(s.nrecs, 3);
	ck_assert_uint_eq(s.nwarns, 1);
	ck_assert_str_eq(s.warn_codes[0], "ambiguous_dates");
	ck_assert_ptr_null(record_get(&s.recs[0], "date_typo"));
	wo_profile_release(&p);
	seen_release(&s);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("wo");
	TCase *tc = tcase_create("wo");

	tcase_add_test(tc, typo_table);
	tcase_add_test(tc, date_formats);
	tcase_add_test(tc, carsys_morning);
	tcase_add_test(tc, carsys_evening);
	tcase_add_test(tc, carsys_bad_value);
	tcase_add_test(tc, autoflex_grouped);
	tcase_add_test(tc, profiles_refuse_mistakes);
	tcase_add_test(tc, doctype_refused);
	tcase_add_test(tc, render_formats);
	tcase_add_test(tc, mask_personal);
	tcase_add_test(tc, ambiguous_counted);
	tcase_add_test(tc, truncated_refused);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(make_suite)
