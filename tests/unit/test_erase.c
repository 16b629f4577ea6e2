/*
 * test_erase.c - erase-person's rewrites (wo_erase.h): Carsys XML and
 * Autoflex CSV archive files through their shipped profiles (fixtures of
 * tests/fixtures/workorders, shapes from docs/workorders.md), export files,
 * stored records, and spool_rewrite().
 */
#include "lotsync/record.h"
#include "lotsync/spool.h"
#include "lotsync/wo_erase.h"
#include "unit.h"

/* What a file reads as: each record's key and canonical JSON, in order. */
struct readback {
	char *keys[32], *json[32];
	size_t n;
};

static enum ls_scope
keep(void *ctx, const struct record *r)
{
	struct readback *b = ctx;
	struct record c;

	ck_assert_uint_lt(b->n, ARRAY_SIZE(b->keys));
	record_init(&c);
	for (size_t i = 0; i < r->nfields; i++)
		record_set(&c, r->fields[i].name, r->fields[i].value, strlen(r->fields[i].value));
	record_finish(&c);
	b->keys[b->n] = xstrdup(r->key);
	b->json[b->n++] = record_to_json(&c);
	record_release(&c);
	return LS_OK;
}

static enum ls_scope
refuse(void *ctx, struct row_error *e)
{
	(void)ctx;
	ck_abort_msg("row refused: %s", e->reason);
	return LS_BAD_RECORD;
}

static enum ls_scope
ignore_warning(void *ctx, const struct row_warning *w)
{
	(void)ctx;
	(void)w;
	return LS_OK;
}

static enum ls_scope
ignore_remove(void *ctx, const char *key, unsigned long line)
{
	(void)ctx;
	(void)key;
	(void)line;
	return LS_OK;
}

static void
read_back(const char *profile, const char *data, size_t n, struct readback *b)
{
	struct wo_profile p;
	struct feed_conf feed = {.name = "t", .date_horizon = 180, .kind = FEED_KIND_WORKORDER};
	struct reader_cb cb = {.record = keep,
	                       .reject = refuse,
	                       .warn = ignore_warning,
	                       .remove = ignore_remove,
	                       .ctx = b};
	char *why = NULL;

	memset(b, 0, sizeof(*b));
	ck_assert_int_eq(wo_profile_load("/nonexistent", profile, &p), 0);
	ck_assert_int_eq(wo_read_mem(&p, &feed, data, n, "f", &cb, &why), LS_OK);
	ck_assert_ptr_null(why);
	wo_profile_release(&p);
}

static void
readback_release(struct readback *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->keys[i]);
		free(b->json[i]);
	}
}

static const char *
json_of(const struct readback *b, const char *key)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->keys[i], key))
			return b->json[i];
	ck_abort_msg("no record %s", key);
	return NULL;
}

/*
 * Read data and out through profile into before/after: the same records in
 * the same order, each one but person_key (the erased person) unchanged.
 */
static void
only_person_changed(const char *profile, const char *data, size_t n, const char *out, size_t m,
                    const char *person_key, struct readback *before, struct readback *after)
{
	read_back(profile, data, n, before);
	read_back(profile, out, m, after);
	ck_assert_uint_eq(before->n, after->n);
	for (size_t i = 0; i < before->n; i++) {
		ck_assert_str_eq(before->keys[i], after->keys[i]);
		if (strcmp(before->keys[i], person_key))
			ck_assert_str_eq(before->json[i], after->json[i]);
	}
}

/* Erase person from a fixture through its profile: the new bytes (hits > 0 asserted). */
static char *
erase_fixture(const char *profile, const char *data, size_t n, const char *person,
              const struct wo_erase_values *vals, size_t *outlen, unsigned *hits)
{
	struct wo_profile p;
	struct buf out;
	char *why = NULL;

	ck_assert_int_eq(wo_profile_load("/nonexistent", profile, &p), 0);
	buf_init(&out, 1 << 24);
	ck_assert_int_eq(wo_erase_file(&p, person, vals, data, n, &out, hits, &why), 0);
	ck_assert_ptr_null(why);
	wo_profile_release(&p);
	return buf_detach(&out, outlen);
}

static char *
fixture(const char *rel, size_t *n)
{
	char *path = xasprintf("%s/tests/fixtures/workorders/%s", unit_srcdir(), rel);
	char *data = unit_slurp(path, n);

	ck_assert_ptr_nonnull(data);
	free(path);
	return data;
}

START_TEST(carsys_person_erased)
{
	size_t n, m, m2;
	unsigned hits = 0, again = 0;
	char *data = fixture("carsys/1-morning.xml", &n), *out, *out2;
	struct readback before, after;
	static const char *const gone[] = {"jan@example.nl", "Dorpsstraat", "0612345678",
	                                   "1234 AB",        ">Jan<",       "12a"};

	out = erase_fixture("carsys-xml", data, n, "P1", NULL, &m, &hits);
	/* P1 is in two work orders: 9 filled fields each (company and 4 others empty). */
	ck_assert_uint_eq(hits, 18);
	for (size_t i = 0; i < ARRAY_SIZE(gone); i++)
		ck_assert_msg(!strstr(out, gone[i]), "%s is still there", gone[i]);
	/* Other persons keep everything, also values P1 shares (Utrecht, Jansen). */
	ck_assert_ptr_nonnull(strstr(out, "<company>Jansen Transport B.V.</company>"));
	ck_assert_ptr_nonnull(strstr(out, "sara.devries@example.nl"));
	ck_assert_ptr_nonnull(strstr(out, "<person id=\"P1\"><company/><title>(erased)</title>"));

	/* It still reads as the same work orders; only P1's record changed. */
	only_person_changed("carsys-xml", data, n, out, m, "person:P1", &before, &after);
	ck_assert_str_eq(
	        json_of(&after, "person:P1"),
	        "{\"email_private\":\"(erased)\",\"first_name\":\"(erased)\","
	        "\"house_number\":\"(erased)\",\"last_name\":\"(erased)\","
	        "\"mobile_private\":\"(erased)\",\"person_id\":\"P1\",\"place\":\"(erased)\","
	        "\"postcode\":\"(erased)\",\"street\":\"(erased)\",\"title\":\"(erased)\"}");

	/* Idempotent: the rewritten file holds nothing more to erase. */
	out2 = erase_fixture("carsys-xml", out, m, "P1", NULL, &m2, &again);
	ck_assert_uint_eq(again, 0);
	ck_assert_uint_eq(m2, 0);
	readback_release(&before);
	readback_release(&after);
	free(out2);
	free(out);
	free(data);
}
END_TEST

START_TEST(carsys_notes_scrubbed)
{
	size_t n, m;
	unsigned hits = 0;
	char *data = fixture("carsys/1-morning.xml", &n), *out, *at;
	struct readback after;
	struct wo_erase_values vals;
	char *edited;

	/* A DMS user typed the driver's name and number into the notes of WO-2026-0042
	 * and an intervention's description; WO-2026-0043 (not P1's) mentions "Jan" too. */
	at = strstr(data, "<customer_waiting>1</customer_waiting>");
	ck_assert_ptr_nonnull(at);
	edited = xasprintf("%.*s<notes>Bel Jan Jansen &amp; co: 0612345678</notes>%s",
	                   (int)(at - data), data, at);
	free(data);
	data = edited;
	at = strstr(data, "<description>Vervangen</description>");
	ck_assert_ptr_nonnull(at);
	edited = xasprintf("%.*s<description>Vervangen, Jan belt</description>%s", (int)(at - data),
	                   data, at + strlen("<description>Vervangen</description>"));
	free(data);
	data = edited;
	n = strlen(data);
	wo_erase_values_init(&vals);
	/* A value the database knows from an older version (not in this file). */
	ck_assert_int_eq(wo_erase_values_add_json(&vals, "{\"email_private\":\"j.jansen@old."
	                                                 "example\",\"person_id\":\"P1\"}"),
	                 0);
	out = erase_fixture("carsys-xml", data, n, "P1", &vals, &m, &hits);
	ck_assert_uint_eq(hits, 18 + 3);
	read_back("carsys-xml", out, m, &after);
	ck_assert_ptr_nonnull(strstr(json_of(&after, "12345/WO-2026-0042"),
	                             "\"notes\":\"Bel (erased) (erased) & co: (erased)\""));
	ck_assert_ptr_nonnull(
	        strstr(json_of(&after, "12345/WO-2026-0043"), "\"Vervangen, Jan belt\""));
	readback_release(&after);
	wo_erase_values_release(&vals);
	free(out);
	free(data);
}
END_TEST

START_TEST(autoflex_person_erased)
{
	size_t n, m, m2;
	unsigned hits = 0, again = 0;
	char *data = fixture("autoflex/day1.csv", &n), *out, *out2, *line;
	struct readback before, after;

	out = erase_fixture("autoflex-csv", data, n, "B17", NULL, &m, &hits);
	/* Two rows (two interventions) of B17, 6 filled person columns each. */
	ck_assert_uint_eq(hits, 12);
	ck_assert_msg(!strstr(out, "Molenweg") && !strstr(out, "Bakker") &&
	                      !strstr(out, "3811 KT") && !strstr(out, "Amersfoort"),
	              "B17's values are still there");
	/* The header and the other persons' rows are byte for byte what they were. */
	line = strstr(data, "700;A-1002");
	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_nonnull(strstr(out, line));
	ck_assert_int_eq(strncmp(out, data, (size_t)(strchr(data, '\n') - data + 1)), 0);
	ck_assert_ptr_nonnull(strstr(out, ";B17;;(erased);(erased);(erased);(erased);(erased);"
	                                  "(erased)"));

	only_person_changed("autoflex-csv", data, n, out, m, "person:B17", &before, &after);
	ck_assert_str_eq(json_of(&after, "person:B17"),
	                 "{\"house_number\":\"(erased)\",\"last_name\":\"(erased)\","
	                 "\"person_id\":\"B17\",\"place\":\"(erased)\",\"postcode\":\"(erased)\","
	                 "\"street\":\"(erased)\",\"title\":\"(erased)\"}");
	out2 = erase_fixture("autoflex-csv", out, m, "B17", NULL, &m2, &again);
	ck_assert_uint_eq(again, 0);
	readback_release(&before);
	readback_release(&after);
	free(out2);
	free(out);
	free(data);
}
END_TEST

START_TEST(autoflex_quoted_crlf)
{
	/* Quoted cells (a ';' and a quote in the notes), CRLF and a BOM stay readable. */
	static const char head[] =
	        "\xEF\xBB\xBF"
	        "DmsNummer;WoNummer;Afspraakdatum;Aanmaakdatum;GeplandIn;GeplandUit;Gefactureerd;"
	        "DmsNotities;InWerkplaats;Intern;KmStand;Geannuleerd;InterventieTitel;"
	        "InterventiePrijs;Merk;Model;Kenteken;Chassisnummer;Motornummer;AutoNotities;"
	        "BestuurderId;Bedrijfsnaam;Titel;Achternaam;Straat;Huisnummer;Postcode;Plaats\r\n";
	char *data = xasprintf(
	        "%s700;A-9;02-12-2026 08:00;25-11-2026 10:15;;;N;\"Bakker belt; zegt "
	        "\"\"morgen\"\"\";"
	        "N;N;;N;APK;40,00;Kia;Rio;AA-11-BB;;;;B17;;dhr.;Bakker;Molenweg;5;3811 KT;"
	        "Amersfoort\r\n700;A-8;02-12-2026 08:00;25-11-2026 10:15;;;N;Bakker is een "
	        "andere klant;N;N;;N;APK;40,00;Kia;Rio;AA-11-BC;;;;B18;;;Bakker;Laan;1;1000 AA;"
	        "Ede\r\n",
	        head);
	size_t m;
	unsigned hits = 0;
	char *out = erase_fixture("autoflex-csv", data, strlen(data), "B17", NULL, &m, &hits);
	struct readback after;

	ck_assert_uint_eq(hits, 6 + 1);
	ck_assert_int_eq(memcmp(out, "\xEF\xBB\xBF", 3), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"(erased) belt; zegt \"\"morgen\"\"\""));
	ck_assert_ptr_nonnull(strstr(out, "Ede\r\n"));
	/* B18 is another person with the same surname: untouched, notes too. */
	ck_assert_ptr_nonnull(strstr(out, "Bakker is een andere klant;"));
	ck_assert_ptr_nonnull(strstr(out, ";B18;;;Bakker;Laan;"));
	read_back("autoflex-csv", out, m, &after);
	ck_assert_uint_eq(after.n, 4);
	ck_assert_ptr_nonnull(strstr(json_of(&after, "700/A-9"),
	                             "\"notes\":\"(erased) belt; zegt \\\"morgen\\\"\""));
	readback_release(&after);
	free(out);
	free(data);
}
END_TEST

START_TEST(export_files)
{
	static const char jsonl[] =
	        "{\"action\":\"new\",\"dms_number\":\"1\",\"wo_number\":\"W1\",\"notes\":\"Jan "
	        "Jansen belt\",\"driver_id\":\"P1\",\"owner_id\":\"P2\",\"interventions\":[{"
	        "\"title\":\"APK voor Jansen\",\"price\":\"45.00\"}],\"persons\":{\"driver\":{"
	        "\"first_name\":\"Jan\",\"id\":\"P1\",\"last_name\":\"Jansen\",\"place\":"
	        "\"Utrecht\"},"
	        "\"owner\":{\"company\":\"Jansen B.V.\",\"id\":\"P2\",\"place\":\"Utrecht\"}}}\n"
	        "{\"action\":\"new\",\"dms_number\":\"1\",\"wo_number\":\"W2\",\"notes\":\"Jansen "
	        "B.V. belt\",\"driver_id\":\"P2\",\"interventions\":[],\"persons\":{\"driver\":{"
	        "\"company\":\"Jansen B.V.\",\"id\":\"P2\",\"place\":\"Utrecht\"}}}\n";
	static const char xml[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<workorders>\n  <workorder>\n"
	        "    <wo_number>W1</wo_number>\n    <notes>Jan Jansen belt</notes>\n"
	        "    <driver_id>P1</driver_id>\n    <interventions>\n      <intervention>\n"
	        "        <title>APK</title>\n      </intervention>\n    </interventions>\n"
	        "    <persons>\n      <person role=\"driver\" id=\"P1\">\n"
	        "        <first_name>Jan</first_name>\n        <last_name>Jansen</last_name>\n"
	        "      </person>\n      <person role=\"owner\" id=\"P2\">\n"
	        "        <company>Jansen B.V.</company>\n      </person>\n    </persons>\n"
	        "  </workorder>\n</workorders>\n";
	struct buf out;
	unsigned hits = 0;
	char *why = NULL;

	buf_init(&out, 1 << 20);
	ck_assert_int_eq(wo_erase_export(WO_FORMAT_JSONL, "P1", NULL, jsonl, strlen(jsonl), &out,
	                                 &hits, &why),
	                 0);
	/* 3 person fields (not the id), "Jan" and "Jansen" in the notes, "Jansen" in the title. */
	ck_assert_uint_eq(hits, 3 + 2 + 1);
	ck_assert_ptr_nonnull(strstr(out.p, "\"notes\":\"(erased) (erased) belt\""));
	ck_assert_ptr_nonnull(strstr(out.p, "\"title\":\"APK voor (erased)\""));
	ck_assert_ptr_nonnull(strstr(out.p, "\"driver\":{\"first_name\":\"(erased)\",\"id\":\"P1\","
	                                    "\"last_name\":\"(erased)\",\"place\":\"(erased)\"}"));
	/* P2 shares the surname and the place: its object and its own work order are kept. */
	ck_assert_ptr_nonnull(strstr(out.p, "\"owner\":{\"company\":\"Jansen B.V.\",\"id\":\"P2\","
	                                    "\"place\":\"Utrecht\"}"));
	ck_assert_ptr_nonnull(strstr(out.p, "\"notes\":\"Jansen B.V. belt\""));
	buf_release(&out);

	buf_init(&out, 1 << 20);
	ck_assert_int_eq(
	        wo_erase_export(WO_FORMAT_XML, "P1", NULL, xml, strlen(xml), &out, &hits, &why), 0);
	ck_assert_uint_eq(hits, 2 + 2);
	ck_assert_ptr_nonnull(strstr(out.p, "<notes>(erased) (erased) belt</notes>"));
	ck_assert_ptr_nonnull(strstr(out.p, "<first_name>(erased)</first_name>"));
	ck_assert_ptr_nonnull(strstr(out.p, "<company>Jansen B.V.</company>"));
	buf_release(&out);

	/* Nothing of P9 anywhere: no hits, nothing to write. */
	buf_init(&out, 1 << 20);
	ck_assert_int_eq(wo_erase_export(WO_FORMAT_JSONL, "P9", NULL, jsonl, strlen(jsonl), &out,
	                                 &hits, &why),
	                 0);
	ck_assert_uint_eq(hits, 0);
	ck_assert_uint_eq(out.len, 0);
	buf_release(&out);
}
END_TEST

START_TEST(stored_records)
{
	struct wo_erase_values vals;
	char *out = NULL;
	uint64_t hash = 0;
	struct record r;
	const char *person =
	        "{\"first_name\":\"Jan\",\"last_name\":\"Jansen\",\"person_id\":\"P1\"}";

	wo_erase_values_init(&vals);
	ck_assert_int_eq(wo_erase_values_add_json(&vals, person), 0);
	ck_assert_int_eq(wo_erase_values_add_json(&vals, "not json"), -1);
	ck_assert_int_eq(wo_erase_record("person:P1", person, "P1", &vals, &out, &hash), 1);
	ck_assert_str_eq(out, "{\"first_name\":\"(erased)\",\"last_name\":\"(erased)\","
	                      "\"person_id\":\"P1\"}");
	/* The stored hash is the record hash of the new data, as ingest computes it. */
	record_init(&r);
	record_set(&r, "first_name", WO_ERASED, strlen(WO_ERASED));
	record_set(&r, "last_name", WO_ERASED, strlen(WO_ERASED));
	record_set(&r, "person_id", "P1", 2);
	record_finish(&r);
	ck_assert_uint_eq(hash, r.hash);
	record_release(&r);
	ck_assert_int_eq(wo_erase_record("person:P1", out, "P1", &vals, &out, &hash), 0);
	free(out);
	out = NULL;
	/* A work order naming P1 loses the values from its free text only. */
	ck_assert_int_eq(wo_erase_record("1/W1",
	                                 "{\"driver_id\":\"P1\",\"intervention.001.title\":\"Jan "
	                                 "belt\",\"make\":\"Jansen\",\"notes\":\"Jansen\"}",
	                                 "P1", &vals, &out, &hash),
	                 1);
	ck_assert_str_eq(out, "{\"driver_id\":\"P1\",\"intervention.001.title\":\"(erased) belt\","
	                      "\"make\":\"Jansen\",\"notes\":\"(erased)\"}");
	free(out);
	/* Another person's record, or a work order not naming P1: unchanged. */
	ck_assert_int_eq(wo_erase_record("person:P2",
	                                 "{\"last_name\":\"Jansen\",\"person_id\":"
	                                 "\"P2\"}",
	                                 "P1", &vals, &out, &hash),
	                 0);
	ck_assert_int_eq(wo_erase_record("1/W2", "{\"driver_id\":\"P2\",\"notes\":\"Jansen\"}",
	                                 "P1", &vals, &out, &hash),
	                 0);
	/* An unreadable file: the known values go wherever they are. */
	{
		struct buf b;
		unsigned hits = 0;
		static const char cut[] = "<person id=\"P1\"><first_name>Jan</first_name><last_na";

		buf_init(&b, 1024);
		ck_assert_int_eq(wo_erase_raw(&vals, cut, strlen(cut), &b, &hits), 0);
		ck_assert_uint_eq(hits, 1);
		ck_assert_str_eq(b.p,
		                 "<person id=\"P1\"><first_name>(erased)</first_name><last_na");
		buf_reset(&b);
		ck_assert_int_eq(wo_erase_raw(&vals, b.p, 0, &b, &hits), 0);
		ck_assert_uint_eq(hits, 0);
		buf_release(&b);
	}
	wo_erase_values_release(&vals);
}
END_TEST

START_TEST(rewrite_in_place)
{
	char dir[64], *path, *got;
	struct spool sp;
	struct stat st;
	char **names = NULL;
	size_t n = 0;

	unit_tmpdir(dir, sizeof(dir));
	spool_init(&sp, dir);
	ck_assert_int_eq(spool_prepare_feed(&sp, "f"), 0);
	path = spool_file_path(&sp, SPOOL_ARCHIVE, "f", "abc");
	unit_write_str(path, "old bytes", 0444);
	ck_assert_int_eq(spool_rewrite(&sp, SPOOL_ARCHIVE, "f", "abc", "new", 3), 0);
	got = unit_slurp(path, NULL);
	ck_assert_str_eq(got, "new");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0444);
	/* No temporary file left beside it; a missing file is an error, not a creation. */
	ck_assert_int_eq(spool_list(&sp, SPOOL_ARCHIVE, "f", &names, &n), 0);
	ck_assert_uint_eq(n, 1);
	spool_names_free(names, n);
	ck_assert_int_eq(spool_rewrite(&sp, SPOOL_ARCHIVE, "f", "missing", "x", 1), -1);
	ck_assert(!spool_has(&sp, SPOOL_ARCHIVE, "f", "missing"));
	free(got);
	free(path);
	spool_release(&sp);
	unit_rmtree(dir);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("erase");
	TCase *tc = tcase_create("erase");

	tcase_add_test(tc, carsys_person_erased);
	tcase_add_test(tc, carsys_notes_scrubbed);
	tcase_add_test(tc, autoflex_person_erased);
	tcase_add_test(tc, autoflex_quoted_crlf);
	tcase_add_test(tc, export_files);
	tcase_add_test(tc, stored_records);
	tcase_add_test(tc, rewrite_in_place);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(make_suite)
