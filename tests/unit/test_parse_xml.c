/*
 * test_parse_xml.c - records out of an XML stream (libxml2's xmlTextReader):
 * mapped paths and attributes, repeats joined or refused, unmapped leaves as
 * extras, record position, and the refusals of SPEC §9 (DOCTYPE, entity
 * references, depth, value and record caps, a wrong root). The documents
 * follow the shape of dealer inventory exports (root, repeated vehicle
 * element, nested price and image lists); XML 1.0 (W3C) for what is valid.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/input.h"
#include "lotsync/parse_xml.h"
#include "lotsync/util.h"

#include "unit.h"

/* Each record as one line: "index line where | path=value ... | extra=value ...". */
struct sink {
	char *text;
	int stop_at; /* return LS_BAD_FILE from this record index, 0 never */
};

static char *
cat(char *s, const char *add)
{
	char *t = xasprintf("%s%s", s ? s : "", add);

	free(s);
	return t;
}

static enum ls_scope
on_record(void *ctx, const struct xml_record *r)
{
	static const char *const names[] = {"vin", "price", "img", "id", "dealer"};
	struct sink *k = ctx;
	char *line = xasprintf("%lu %lu %s |", r->index, r->line, r->where), *t;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!r->vals[i].n)
			continue;
		t = xasprintf(" %s=%.*s", names[i], (int)r->vals[i].n, r->vals[i].p);
		line = cat(line, t);
		free(t);
	}
	line = cat(line, " |");
	for (size_t i = 0; i < r->nextras; i++) {
		t = xasprintf(" %.*s=%.*s", (int)r->extras[i].nlen, r->extras[i].name,
		              (int)r->extras[i].n, r->extras[i].p);
		line = cat(line, t);
		free(t);
	}
	if (r->repeated) {
		t = xasprintf(" repeated=%s", r->repeated);
		line = cat(line, t);
		free(t);
	}
	k->text = cat(k->text, line);
	k->text = cat(k->text, "\n");
	free(line);
	return k->stop_at && (int)r->index >= k->stop_at ? LS_BAD_FILE : LS_OK;
}

static const char *const paths[] = {"VIN", "Price/Amount", "Images/Image", "@id", "seller/@key"};

/* parse doc with the inventory/vehicle layout; *why and *line on failure. */
static enum ls_scope
parse(const char *doc, struct xml_opts *o, struct sink *k, char **why, unsigned long *line)
{
	struct input *in = input_open_mem(doc, strlen(doc));
	enum ls_scope sc;

	if (!o->record) {
		o->root = "inventory";
		o->record = "vehicle";
	}
	o->paths = paths;
	o->joins = o->joins ? o->joins : "\0\0|\0\0";
	o->npaths = ARRAY_SIZE(paths);
	*why = NULL;
	*line = 0;
	sc = parse_xml(in, o, on_record, k, why, line);
	input_close(in);
	return sc;
}

START_TEST(records_paths_attributes_and_extras)
{
	const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                  "<inventory>\n"
	                  "  <vehicle id=\"7\"><VIN>WVWZZZ1J30W000001</VIN>\n"
	                  "    <Price><Amount>12990</Amount><Currency>EUR</Currency></Price>\n"
	                  "    <Images><Image>a.jpg</Image><Image>b.jpg</Image></Images>\n"
	                  "    <seller key=\"D1\"/><Color>Red &amp; black</Color>\n"
	                  "  </vehicle>\n"
	                  "  <vehicle><VIN><![CDATA[WVWZZZ1J50W000002]]></VIN><Empty/></vehicle>\n"
	                  "</inventory>\n";
	struct xml_opts o = {0};
	struct sink k = {0};
	unsigned long line;
	char *why;

	ck_assert_int_eq(parse(doc, &o, &k, &why, &line), LS_OK);
	ck_assert_ptr_null(why);
	ck_assert_str_eq(k.text, "1 3 /inventory/vehicle[1] | vin=WVWZZZ1J30W000001 price=12990 "
	                         "img=a.jpg|b.jpg id=7 dealer=D1 | Price/Currency=EUR "
	                         "Color=Red & black\n"
	                         "2 8 /inventory/vehicle[2] | vin=WVWZZZ1J50W000002 |\n");
	free(k.text);
}
END_TEST

START_TEST(repeat_without_separator_is_reported)
{
	const char *doc = "<inventory><vehicle><VIN>A</VIN><VIN>B</VIN></vehicle></inventory>";
	struct xml_opts o = {0};
	struct sink k = {0};
	unsigned long line;
	char *why;

	ck_assert_int_eq(parse(doc, &o, &k, &why, &line), LS_OK);
	/* the caller refuses such a record; the joined value is not meant to be used */
	ck_assert_str_eq(k.text, "1 1 /inventory/vehicle[1] | vin=AB | repeated=VIN\n");
	free(k.text);
}
END_TEST

/* The refusals: each document fails as a file with exactly this reason and line. */
START_TEST(refusals_name_reason_and_line)
{
	static const struct {
		const char *doc, *why;
		unsigned long line;
		unsigned max_depth;
		size_t max_value, max_record;
	} t[] = {
	        {"<?xml version=\"1.0\"?><!DOCTYPE inventory [<!ENTITY x \"y\">]>\n"
	         "<inventory/>",
	         "document has a DOCTYPE: refused, since it could declare entities (feeds need "
	         "none)",
	         1, 0, 0, 0},
	        {"<catalog>\n<vehicle/></catalog>",
	         "root element is <catalog>, the profile expects "
	         "<inventory>",
	         1, 0, 0, 0},
	        {"<inventory><vehicle><VIN>&ext;</VIN></vehicle></inventory>", NULL, 1, 0, 0, 0},
	        {"<inventory><vehicle><a><b><c><d>x</d></c></b></a></vehicle></inventory>",
	         "elements nested deeper than 4", 1, 4, 0, 0},
	        {"<inventory>\n<vehicle><VIN>0123456789abcdef</VIN></vehicle></inventory>",
	         "a value in record 1 is longer than 8 bytes", 2, 0, 8, 0},
	        {"<inventory>\n<vehicle><VIN>0123456789</VIN><X>0123456789</X></vehicle>"
	         "</inventory>",
	         "record 1 is longer than 16 bytes", 2, 0, 0, 16},
	        {"<inventory><vehicle><VIN>A</VIN></vehicle>\n<vehicle><VIN>B", NULL, 2, 0, 0, 0},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct xml_opts o = {.max_depth = t[i].max_depth,
		                     .max_value = t[i].max_value,
		                     .max_record = t[i].max_record};
		struct sink k = {0};
		unsigned long line;
		char *why;

		ck_assert_msg(parse(t[i].doc, &o, &k, &why, &line) == LS_BAD_FILE, "case %zu", i);
		ck_assert_msg(why != NULL, "case %zu: no reason", i);
		if (t[i].why)
			ck_assert_msg(strcmp(why, t[i].why) == 0, "case %zu: '%s'", i, why);
		ck_assert_msg(line == t[i].line, "case %zu: line %lu", i, line);
		free(why);
		free(k.text);
	}
}
END_TEST

START_TEST(entity_references_are_never_expanded)
{
	struct xml_opts o = {0};
	struct sink k = {0};
	unsigned long line;
	char *why;

	ck_assert_int_eq(parse("<inventory><vehicle><VIN>&ext;</VIN></vehicle></inventory>", &o, &k,
	                       &why, &line),
	                 LS_BAD_FILE);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_null(k.text); /* no record reached the caller */
	free(why);
}
END_TEST

START_TEST(the_callback_can_stop_the_file)
{
	const char *doc = "<inventory><vehicle><VIN>A</VIN></vehicle><vehicle><VIN>B</VIN>"
	                  "</vehicle><vehicle><VIN>C</VIN></vehicle></inventory>";
	struct xml_opts o = {0};
	struct sink k = {.stop_at = 2};
	unsigned long line;
	char *why;

	ck_assert_int_eq(parse(doc, &o, &k, &why, &line), LS_BAD_FILE);
	ck_assert_str_eq(k.text, "1 1 /inventory/vehicle[1] | vin=A |\n"
	                         "2 1 /inventory/vehicle[2] | vin=B |\n");
	free(k.text);
	free(why);
}
END_TEST

START_TEST(declared_encoding_or_the_profiles)
{
	/* ISO-8859-1 bytes, declared; then the same bytes under an override */
	const char *latin = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
	                    "<inventory><vehicle><VIN>A</VIN><Make>\xa6koda</Make></vehicle>"
	                    "</inventory>";
	const char *bare =
	        "<inventory><vehicle><VIN>A</VIN><Make>\xe9</Make></vehicle></inventory>";
	struct xml_opts o = {0};
	struct sink k = {0};
	unsigned long line;
	char *why;

	ck_assert_int_eq(parse(latin, &o, &k, &why, &line), LS_OK);
	ck_assert_str_eq(k.text, "1 1 /inventory/vehicle[1] | vin=A | Make=\xc2\xa6koda\n");
	free(k.text);
	k.text = NULL;
	o = (struct xml_opts){.encoding = "ISO-8859-1"};
	ck_assert_int_eq(parse(bare, &o, &k, &why, &line), LS_OK);
	ck_assert_str_eq(k.text, "1 1 /inventory/vehicle[1] | vin=A | Make=\xc3\xa9\n");
	free(k.text);
}
END_TEST

START_TEST(path_syntax)
{
	static const struct {
		const char *path;
		int ok;
	} t[] = {
	        {"VIN", 0},      {"Price/Amount", 0}, {"@id", 0},     {"seller/@key", 0},
	        {"s:dealer", 0}, {"a-b.c_d", 0},      {"", -1},       {"/VIN", -1},
	        {"VIN/", -1},    {"a//b", -1},        {"@id/x", -1},  {"@", -1},
	        {"1bad", -1},    {"a b", -1},         {"a/@b/c", -1},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		ck_assert_msg(parse_xml_path_ok(t[i].path) == t[i].ok, "'%s'", t[i].path);
}
END_TEST

static Suite *
make_suite(void)
{
	Suite *s = suite_create("parse_xml");
	TCase *tc = tcase_create("stream");

	tcase_add_test(tc, records_paths_attributes_and_extras);
	tcase_add_test(tc, repeat_without_separator_is_reported);
	tcase_add_test(tc, refusals_name_reason_and_line);
	tcase_add_test(tc, entity_references_are_never_expanded);
	tcase_add_test(tc, the_callback_can_stop_the_file);
	tcase_add_test(tc, declared_encoding_or_the_profiles);
	tcase_add_test(tc, path_syntax);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(make_suite)
