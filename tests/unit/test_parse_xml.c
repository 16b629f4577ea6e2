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
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lotsync/input.h"
#include "lotsync/parse_xml.h"
#include "lotsync/util.h"

#include "unit.h"

/* Each record as one line: "index line where | path=value ... | extra=value ...". */
struct sink {
	char *text;
	int stop_at;    /* return LS_BAD_FILE from this record index, 0 never */
	bool last_only; /* keep only the newest record's line (10^5 records) */
};

static char *
cat(char *s, const char *add)
{
	char *t = xasprintf("%s%s", s ? s : "", add);

	free(s);
	return t;
}

/*
 * head, then " | " with each value present (" name=value", names[i], or its
 * index when names is NULL), then " |" with each extra. Frees head.
 */
static char *
record_line(char *head, const struct xml_record *r, const char *const *names, size_t n)
{
	char *line = head, *t;

	for (size_t i = 0; i < n; i++) {
		if (!r->vals[i].n)
			continue;
		t = names ? xasprintf(" %s=%.*s", names[i], (int)r->vals[i].n, r->vals[i].p)
		          : xasprintf(" %zu=%.*s", i, (int)r->vals[i].n, r->vals[i].p);
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
	return line;
}

/* Append line (freed) and a newline to the sink's text. */
static void
sink_add(struct sink *k, char *line)
{
	k->text = cat(k->text, line);
	k->text = cat(k->text, "\n");
	free(line);
}

static enum ls_scope
on_record(void *ctx, const struct xml_record *r)
{
	static const char *const names[] = {"vin", "price", "img", "id", "dealer"};
	struct sink *k = ctx;
	char *line = record_line(xasprintf("%lu %lu %s |", r->index, r->line, r->where), r, names,
	                         ARRAY_SIZE(names)),
	     *t;

	if (r->repeated) {
		t = xasprintf(" repeated=%s", r->repeated);
		line = cat(line, t);
		free(t);
	}
	sink_add(k, line);
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

/*
 * The second wall behind the DOCTYPE refusal: parse_xml() installs an
 * external entity loader that answers no for the whole process. A document
 * that got to libxml2 with a DOCTYPE, parsed with entity substitution and
 * DTD loading on, still cannot pull in a local file.
 */
START_TEST(the_entity_loader_refuses_every_external_entity)
{
	char dir[64], *secret, *doc, *text;
	struct xml_opts o = {0};
	struct sink k = {0};
	char *why = NULL;
	unsigned long line = 0;
	xmlDocPtr d;

	unit_tmpdir(dir, sizeof(dir));
	secret = xasprintf("%s/secret.txt", dir);
	unit_write_str(secret, "TOPSECRET", 0644);
	/* any parse installs the loader (once per process) */
	ck_assert_int_eq(parse("<inventory><vehicle><VIN>A</VIN></vehicle></inventory>", &o, &k,
	                       &why, &line),
	                 LS_OK);
	free(k.text);
	doc = xasprintf("<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM \"file://%s\">]>\n"
	                "<r>&x;</r>\n",
	                secret);
	d = xmlReadMemory(doc, (int)strlen(doc), "t.xml", NULL,
	                  XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_NOERROR |
	                          XML_PARSE_NOWARNING);
	text = d ? (char *)xmlNodeGetContent(xmlDocGetRootElement(d)) : NULL;
	ck_assert_msg(!text || !strstr(text, "TOPSECRET"), "the entity was loaded: '%s'", text);
	xmlFree(text);
	xmlFreeDoc(d);
	free(doc);
	free(secret);
	unit_rmtree(dir);
}
END_TEST

START_TEST(path_syntax)
{
	static const struct {
		const char *path;
		int ok;
	} t[] = {
	        {"VIN", 0},
	        {"Price/Amount", 0},
	        {"@id", 0},
	        {"seller/@key", 0},
	        {"s:dealer", 0},
	        {"a-b.c_d", 0},
	        {"", -1},
	        {"/VIN", -1},
	        {"VIN/", -1},
	        {"a//b", -1},
	        {"@id/x", -1},
	        {"@", -1},
	        {"1bad", -1},
	        {"a b", -1},
	        {"a/@b/c", -1},
	        {"g:price", 0},
	        {"price[@type='asking']", 0},
	        {"address/component[@name=\"city\"]", 0},
	        {"price[@type='a/b']/@currency", 0},
	        {"price[@type='asking'", -1},
	        {"price[type='x']", -1},
	        {"price[@type=x]", -1},
	        {"price[@type='x'", -1},
	        {"price[@='x']", -1},
	        {"price[@type='x']z", -1},
	        {":x", -1},
	        {"x:", -1},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		ck_assert_msg(parse_xml_path_ok(t[i].path) == t[i].ok, "'%s'", t[i].path);
}
END_TEST

static double
unit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A sink for any paths: "index where | 0=value 1=value ... | extras". */
static size_t sink_np;

static enum ls_scope
on_record_n(void *ctx, const struct xml_record *r)
{
	struct sink *k = ctx;
	char *line = record_line(xasprintf("%lu %s |", r->index, r->where), r, NULL, sink_np);

	if (k->last_only) {
		free(k->text);
		k->text = NULL;
	}
	sink_add(k, line);
	return LS_OK;
}

/* Parse doc with o's record settings and up to 8 paths (no joins: repeats are reported). */
static enum ls_scope
parse_n(const char *doc, size_t len, struct xml_opts *o, const char *const *p, size_t np,
        struct sink *k, char **why, unsigned long *line)
{
	struct input *in = input_open_mem(doc, len);
	enum ls_scope sc;

	o->paths = p;
	o->joins = "||||||||";
	o->npaths = np;
	sink_np = np;
	sc = parse_xml(in, o, on_record_n, k, why, line);
	input_close(in);
	return sc;
}

/* Google Merchant RSS: records two levels down, g: names, predicates, attributes as values. */
START_TEST(record_paths_prefixes_and_predicates)
{
	const char *doc =
	        "<?xml version=\"1.0\"?>\n"
	        "<rss version=\"2.0\" xmlns:g=\"http://base.google.com/ns/1.0\"><channel>"
	        "<title>shop</title><item><title>plain</title><g:title>G</g:title>"
	        "<g:price>5 USD</g:price>"
	        "<price type=\"msrp\" currency=\"USD\">9</price>"
	        "<price type=\"asking\" currency=\"EUR\">7</price><price>8</price>"
	        "<odometer units=\"miles\">12</odometer>"
	        "<address><component name=\"city\">Umea</component><component>x</component>"
	        "<component name=\"zip\">1</component></address></item>\n"
	        "<item><price type=\"ASKING\">1</price><address><component/></address></item>"
	        "</channel><channel><item><g:title>second channel</g:title></item></channel>"
	        "</rss>\n";
	static const char *const p[] = {"g:title",
	                                "price[@type='asking']",
	                                "price[@type='asking']/@currency",
	                                "price[@type=\"msrp\"]",
	                                "odometer/@units",
	                                "address/component[@name='city']",
	                                "title",
	                                "price"};
	struct xml_opts o = {.root = "rss",
	                     .mid = (const char *const[]){"channel"},
	                     .nmid = 1,
	                     .record = "item"};
	struct sink k = {0};
	unsigned long line;
	char *why = NULL;

	ck_assert_int_eq(parse_n(doc, strlen(doc), &o, p, ARRAY_SIZE(p), &k, &why, &line), LS_OK);
	ck_assert_ptr_null(why);
	/* An element takes the first path that names it: <g:title> is g:title's,
	 * <title> title's; price (no prefix) matches by local name, so it takes
	 * <g:price> and the untyped <price>. A predicate whose attribute is
	 * missing or different ("ASKING") falls back to the path without one,
	 * or to the extras. */
	ck_assert_str_eq(k.text,
	                 "1 /rss/channel/item[1] | 0=G 1=7 2=EUR 3=9 4=miles 5=Umea 6=plain "
	                 "7=5 USD|8 | address/component=x|1\n"
	                 "2 /rss/channel/item[2] | 7=1 |\n"
	                 "3 /rss/channel/item[3] | 0=second channel |\n");
	free(k.text);
}
END_TEST

START_TEST(records_at_any_depth)
{
	const char *doc = "<adf><vehicle status=\"new\"><vin>A</vin></vehicle>"
	                  "<prospect><vehicle status=\"used\"><vin>B</vin></vehicle></prospect>"
	                  "<x><y><z><vehicle><vin>C</vin><vehicle><vin>D</vin></vehicle>"
	                  "</vehicle></z></y></x></adf>";
	static const char *const p[] = {"vin", "@status"};
	struct xml_opts o = {.record = "vehicle", .anywhere = true};
	struct sink k = {0};
	unsigned long line;
	char *why = NULL;

	ck_assert_int_eq(parse_n(doc, strlen(doc), &o, p, 2, &k, &why, &line), LS_OK);
	/* a record inside a record is part of it, not a second record */
	ck_assert_str_eq(k.text, "1 /adf/vehicle[1] | 0=A 1=new |\n"
	                         "2 /adf/prospect/vehicle[2] | 0=B 1=used |\n"
	                         "3 /adf/x/y/z/vehicle[3] | 0=C | vehicle/vin=D\n");
	free(k.text);
}
END_TEST

/* No record element matches: the error says what is there instead, and where the profile says so.
 */
START_TEST(no_record_says_what_the_root_holds)
{
	static const char *const p[] = {"vin"};
	const char *rss = "<rss><channel><title>t</title><item><vin>A</vin></item></channel></rss>";
	const char *empty = "<rss><channel><title>t</title><link>l</link></channel></rss>";
	struct xml_opts o = {.root = "rss", .record = "item", .origin = "p.ini:3"};
	struct xml_opts deep = {
	        .root = "rss", .mid = (const char *const[]){"chanel"}, .nmid = 1, .record = "item"};
	struct xml_opts any = {.record = "vehicle", .anywhere = true};
	struct sink k = {0};
	unsigned long line;
	char *why = NULL;

	ck_assert_int_eq(parse_n(rss, strlen(rss), &o, p, 1, &k, &why, &line), LS_BAD_FILE);
	ck_assert_str_eq(why, "0 <item> under <rss>; found <channel> (record_element at p.ini:3)");
	free(why);
	ck_assert_int_eq(parse_n(rss, strlen(rss), &deep, p, 1, &k, &why, &line), LS_BAD_FILE);
	ck_assert_str_eq(why, "0 <item> under <rss>; found <channel>");
	free(why);
	ck_assert_int_eq(parse_n(rss, strlen(rss), &any, p, 1, &k, &why, &line), LS_BAD_FILE);
	ck_assert_str_eq(why, "0 <vehicle> under <rss (at any depth)>; found <channel>");
	free(why);
	/* An RSS channel with no items holds only leaves: an empty inventory, not an error. */
	o.mid = (const char *const[]){"channel"};
	o.nmid = 1;
	ck_assert_int_eq(parse_n(empty, strlen(empty), &o, p, 1, &k, &why, &line), LS_OK);
	ck_assert_ptr_null(why);
	ck_assert_ptr_null(k.text);
}
END_TEST

/* "<r><v><a" HEAD, then n attributes x0="1" ... and TAIL: its length in doc[cap]. */
static size_t
attrs_doc(char *doc, size_t cap, const char *head, int n, const char *tail)
{
	size_t len = (size_t)snprintf(doc, cap, "<r><v><a%s", head);

	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(doc + len, cap - len, " x%d=\"1\"", i);
	return len + (size_t)snprintf(doc + len, cap - len, "%s", tail);
}

/* Hostile shapes: deep nesting, 10^5 siblings, 200,000 attributes on one element. */
START_TEST(hostile_shapes_are_bounded)
{
	static const char *const p[] = {"a", "b[@k='v']", "c/@x"};
	struct xml_opts o = {.root = "r", .record = "v"};
	struct sink k = {.last_only = true};
	unsigned long line;
	char *why = NULL, *doc;
	size_t n = 0, cap = (size_t)8 << 20;
	double t0;

	/* 10,000 levels inside a record: refused at the depth cap, not a stack overflow. */
	doc = xmalloc(cap);
	n = (size_t)snprintf(doc, cap, "<r><v>");
	for (int i = 0; i < 10000; i++)
		n += (size_t)snprintf(doc + n, cap - n, "<d>");
	ck_assert_int_eq(parse_n(doc, n, &o, p, 3, &k, &why, &line), LS_BAD_FILE);
	ck_assert_msg(strstr(why, "nested deeper than"), "%s", why);
	free(why);
	/* 100,000 sibling records, and 100,000 siblings inside one record, with predicates. */
	t0 = unit_now();
	n = (size_t)snprintf(doc, cap, "<r>");
	for (int i = 0; i < 100000; i++)
		n += (size_t)snprintf(doc + n, cap - n, "<v><b k=\"%s\">%d</b></v>",
		                      i % 2 ? "v" : "w", i);
	n += (size_t)snprintf(doc + n, cap - n, "<v>");
	for (int i = 0; i < 100000; i++)
		n += (size_t)snprintf(doc + n, cap - n, "<b>%d</b><c/>", i);
	n += (size_t)snprintf(doc + n, cap - n, "</v></r>");
	ck_assert_int_eq(parse_n(doc, n, &o, p, 3, &k, &why, &line), LS_OK);
	ck_assert_msg(strstr(k.text, "100001 /r/v[100001] | | b=0|1|2|"), "siblings in one record");
	ck_assert_msg(strstr(k.text, "|99998|99999\n"), "every sibling kept");
	ck_assert_msg(unit_now() - t0 < 20.0, "10^5 siblings took %.1f s", unit_now() - t0);
	free(k.text);
	k.text = NULL;
	/* One element with 200,000 attributes: refused before libxml2 parses the tag. */
	t0 = unit_now();
	n = attrs_doc(doc, cap, "", 200000, "/></v></r>");
	ck_assert_int_eq(parse_n(doc, n, &o, p, 3, &k, &why, &line), LS_BAD_FILE);
	ck_assert_msg(strstr(why, "more than 1000 attributes"), "%s", why);
	ck_assert_msg(unit_now() - t0 < 2.0, "200,000 attributes took %.1f s", unit_now() - t0);
	free(why);
	/*
	 * ... also when a quoted '>' comes first, which must not end the count:
	 * the scan before libxml2 refuses it ("an element"), not the check
	 * after libxml2 has parsed the tag ("element <a>").
	 */
	n = attrs_doc(doc, cap, " q='>' z=\">>\"", 3000, "/></v></r>");
	ck_assert_int_eq(parse_n(doc, n, &o, p, 3, &k, &why, &line), LS_BAD_FILE);
	ck_assert_msg(strstr(why, "an element has more than 1000 attributes"), "%s", why);
	free(why);
	/* ... while 1,000 (with '=' and '>' inside quoted values) still parse. */
	n = attrs_doc(doc, cap, " x=\"a=b>c\" y='>'", 998, ">1</a></v></r>");
	ck_assert_int_eq(parse_n(doc, n, &o, p, 3, &k, &why, &line), LS_OK);
	free(k.text);
	free(doc);
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
	tcase_add_test(tc, record_paths_prefixes_and_predicates);
	tcase_add_test(tc, records_at_any_depth);
	tcase_add_test(tc, no_record_says_what_the_root_holds);
	tcase_add_test(tc, hostile_shapes_are_bounded);
	tcase_add_test(tc, the_entity_loader_refuses_every_external_entity);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(make_suite)
