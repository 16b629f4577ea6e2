/* wo_erase.c - one person's data out of stored records, feed files and export files. */
#include "lotsync/wo_erase.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/json.h"
#include "lotsync/parse_csv.h"
#include "lotsync/recjson.h"
#include "lotsync/record.h"
#include "lotsync/util.h"
#include "lotsync/wo.h"
#include "lotsync/xmlpath.h"

/* ---- the person's values ---- */

void
wo_erase_values_init(struct wo_erase_values *vals)
{
	memset(vals, 0, sizeof(*vals));
}

void
wo_erase_values_release(struct wo_erase_values *vals)
{
	for (size_t i = 0; i < vals->n; i++)
		free(vals->v[i]);
	free(vals->v);
	memset(vals, 0, sizeof(*vals));
}

/* Longest first, so that "Jan Jansen" goes before "Jan" would split it. */
static int
by_length_desc(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

	return la < lb ? 1 : la > lb ? -1 : strcmp(*(char *const *)a, *(char *const *)b);
}

static void
values_add(struct wo_erase_values *vals, const char *v, size_t n)
{
	if (n < WO_ERASE_MIN_VALUE || (n == strlen(WO_ERASED) && !memcmp(v, WO_ERASED, n)))
		return;
	for (size_t i = 0; i < vals->n; i++)
		if (strlen(vals->v[i]) == n && !memcmp(vals->v[i], v, n))
			return;
	if (vals->n == vals->alloc) {
		vals->alloc = vals->alloc ? vals->alloc * 2 : 16;
		vals->v = xrealloc(vals->v, vals->alloc * sizeof(*vals->v));
	}
	vals->v[vals->n++] = xstrndup(v, n);
	qsort(vals->v, vals->n, sizeof(*vals->v), by_length_desc);
}

bool
wo_erase_person_field(const char *name)
{
	return strcmp(name, "person_id") != 0;
}

int
wo_erase_values_add_json(struct wo_erase_values *vals, const char *json)
{
	struct recjson d;
	int rc = -1;

	recjson_init(&d);
	if (recjson_parse(&d, json, strlen(json)) == 0) {
		for (size_t i = 0; i < d.nfields; i++)
			if (wo_erase_person_field(d.fields[i].name))
				values_add(vals, d.fields[i].value, d.lens[i].value);
		rc = 0;
	}
	recjson_release(&d);
	return rc;
}

/* Two value lists as one, for a file that holds values of its own. */
static void
values_merge(struct wo_erase_values *dst, const struct wo_erase_values *src)
{
	for (size_t i = 0; src && i < src->n; i++)
		values_add(dst, src->v[i], strlen(src->v[i]));
}

/*
 * text[0..n) with every occurrence of a value replaced by WO_ERASED, or
 * NULL when none occurs. The marker itself is skipped over, so a value
 * that is part of it ("era") never makes a second pass change anything.
 */
static char *
scrub(const char *text, size_t n, const struct wo_erase_values *vals, unsigned *hits)
{
	const size_t ml = strlen(WO_ERASED);
	struct buf b;
	unsigned found = 0;

	buf_init(&b, n * 8 + 64);
	for (size_t i = 0; i < n;) {
		size_t k = 0;

		if (n - i >= ml && !memcmp(text + i, WO_ERASED, ml)) {
			buf_append(&b, text + i, ml);
			i += ml;
			continue;
		}
		for (; k < vals->n; k++) {
			size_t vl = strlen(vals->v[k]);

			if (vl <= n - i && !memcmp(text + i, vals->v[k], vl))
				break;
		}
		if (k < vals->n) {
			buf_puts(&b, WO_ERASED);
			i += strlen(vals->v[k]);
			found++;
		} else {
			buf_putc(&b, text[i++]);
		}
	}
	if (!found) {
		buf_release(&b);
		return NULL;
	}
	*hits += found;
	return buf_detach(&b, NULL);
}

/* ---- stored records ---- */

/* A work order's free-text fields: where a person may be written out by hand. */
static bool
free_text_field(const char *name)
{
	if (!strcmp(name, "notes") || !strcmp(name, "car_notes"))
		return true;
	if (strncmp(name, WO_INTERVENTION_PREFIX, strlen(WO_INTERVENTION_PREFIX)))
		return false;
	return str_endswith(name, ".title") || str_endswith(name, ".description");
}

static const char *const person_refs[] = {"driver_id", "owner_id", "contractor_id"};

int
wo_erase_record(const char *key, const char *json, const char *person_id,
                const struct wo_erase_values *vals, char **out, uint64_t *hash)
{
	struct recjson d;
	struct record r;
	bool own = wo_key_is_person(key) && !strcmp(key + strlen(WO_PERSON_PREFIX), person_id);
	bool named = false;
	unsigned hits = 0;
	int rc = -1;

	recjson_init(&d);
	record_init(&r);
	if (recjson_parse(&d, json, strlen(json)) != 0)
		goto out;
	for (size_t i = 0; i < d.nfields && !own; i++)
		for (size_t k = 0; k < ARRAY_SIZE(person_refs); k++)
			named = named || (!strcmp(d.fields[i].name, person_refs[k]) &&
			                  !strcmp(d.fields[i].value, person_id));
	for (size_t i = 0; i < d.nfields; i++) {
		const struct field *f = &d.fields[i];
		char *s = NULL;

		if (own && wo_erase_person_field(f->name) && strcmp(f->value, WO_ERASED)) {
			record_set(&r, f->name, WO_ERASED, strlen(WO_ERASED));
			hits++;
			continue;
		}
		if (named && free_text_field(f->name))
			s = scrub(f->value, d.lens[i].value, vals, &hits);
		record_set(&r, f->name, s ? s : f->value, s ? strlen(s) : d.lens[i].value);
		free(s);
	}
	rc = 0;
	if (hits) {
		record_finish(&r);
		*out = record_to_json(&r);
		*hash = r.hash;
		rc = 1;
	}
out:
	record_release(&r);
	recjson_release(&d);
	return rc;
}

/* ---- XML files ---- */

/* Where a person and its work order's free text live in one XML shape. */
struct xml_spec {
	const char *root;         /* the document element, or NULL for any */
	const char *record;       /* a work order: the root's child element */
	const char *persons, *id; /* below the record; the id below the person ("@id") */
	const char *person[24];   /* the person's fields below it; none: every child but the id */
	const char *refs[3];      /* below the record: ids of the persons it names */
	const char *text[4];      /* below the record: free text */
	const char *interventions, *itext[2];
};

static void
set_text(xmlNodePtr n, const char *attr, const char *v)
{
	if (attr) {
		xmlSetProp(n, BAD_CAST attr, BAD_CAST v);
		return;
	}
	xmlNodeSetContent(n, NULL); /* drop the children, then add v as literal text */
	xmlNodeAddContent(n, BAD_CAST v);
}

static bool
is_person(const struct xml_spec *s, xmlNodePtr person, const char *id)
{
	char *v = xmlpath_text(person, s->id);
	bool yes = v && !strcmp(str_trim(v), id);

	free(v);
	return yes;
}

/* Calls fn on every field node (or attribute) of a person, the id excluded. */
static void
each_person_field(const struct xml_spec *s, xmlNodePtr person,
                  void (*fn)(xmlNodePtr, const char *, void *), void *ctx)
{
	const char *attr;
	xmlNodePtr idn = xmlpath_at(person, s->id, &attr);

	if (!s->person[0]) {
		for (xmlNodePtr c = person->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE && (attr || c != idn))
				fn(c, NULL, ctx);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(s->person) && s->person[i]; i++) {
		xmlNodePtr n = xmlpath_at(person, s->person[i], &attr);

		if (n)
			fn(n, attr, ctx);
	}
}

static void
collect_field(xmlNodePtr n, const char *attr, void *ctx)
{
	xmlChar *t = attr ? xmlGetProp(n, BAD_CAST attr) : xmlNodeGetContent(n);

	if (t)
		values_add(ctx, (const char *)t, strlen((const char *)t));
	xmlFree(t);
}

static void
erase_field(xmlNodePtr n, const char *attr, void *ctx)
{
	xmlChar *t = attr ? xmlGetProp(n, BAD_CAST attr) : xmlNodeGetContent(n);

	if (t && *t && strcmp((const char *)t, WO_ERASED)) {
		set_text(n, attr, WO_ERASED);
		(*(unsigned *)ctx)++;
	}
	xmlFree(t);
}

static void
scrub_at(xmlNodePtr node, const char *path, const struct wo_erase_values *vals, unsigned *hits)
{
	const char *attr;
	xmlNodePtr n = path ? xmlpath_at(node, path, &attr) : NULL;
	xmlChar *t;
	char *s;

	if (!n)
		return;
	t = attr ? xmlGetProp(n, BAD_CAST attr) : xmlNodeGetContent(n);
	if (t && (s = scrub((const char *)t, strlen((const char *)t), vals, hits)) != NULL) {
		set_text(n, attr, s);
		free(s);
	}
	xmlFree(t);
}

#define XML_MAX_PERSONS 256

/* The persons of one record that are id; 1 when there is one. */
static bool
record_persons(const struct xml_spec *s, xmlNodePtr rec, const char *id, xmlNodePtr *out, size_t *n)
{
	xmlNodePtr all[XML_MAX_PERSONS];
	size_t k = s->persons ? xmlpath_each(rec, s->persons, all, ARRAY_SIZE(all)) : 0;

	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (is_person(s, all[i], id))
			out[(*n)++] = all[i];
	return *n > 0;
}

static bool
record_names(const struct xml_spec *s, xmlNodePtr rec, const char *id)
{
	for (size_t i = 0; i < ARRAY_SIZE(s->refs) && s->refs[i]; i++) {
		char *v = xmlpath_text(rec, s->refs[i]);
		bool yes = v && !strcmp(str_trim(v), id);

		free(v);
		if (yes)
			return true;
	}
	return false;
}

static void
erase_record(const struct xml_spec *s, xmlNodePtr rec, const char *id,
             const struct wo_erase_values *vals, unsigned *hits)
{
	xmlNodePtr persons[XML_MAX_PERSONS], iv[WO_MAX_INTERVENTIONS];
	size_t np, niv;

	if (!record_persons(s, rec, id, persons, &np) && !record_names(s, rec, id))
		return;
	for (size_t i = 0; i < np; i++)
		each_person_field(s, persons[i], erase_field, hits);
	for (size_t i = 0; i < ARRAY_SIZE(s->text) && s->text[i]; i++)
		scrub_at(rec, s->text[i], vals, hits);
	niv = s->interventions ? xmlpath_each(rec, s->interventions, iv, ARRAY_SIZE(iv)) : 0;
	for (size_t i = 0; i < niv; i++)
		for (size_t k = 0; k < ARRAY_SIZE(s->itext) && s->itext[k]; k++)
			scrub_at(iv[i], s->itext[k], vals, hits);
}

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static int
erase_xml(const struct xml_spec *s, const char *id, const struct wo_erase_values *known,
          const char *data, size_t len, struct buf *out, unsigned *hits, char **why)
{
	struct wo_erase_values vals;
	xmlDocPtr doc;
	xmlNodePtr root;
	xmlChar *mem = NULL;
	int size = 0, rc = -1;

	*hits = 0;
	if (memmem(data, len, "<!DOCTYPE", 9)) {
		*why = xstrdup("document has a DOCTYPE: refused");
		return -1;
	}
	if (len > (size_t)INT32_MAX) {
		*why = xstrdup("too large for the XML parser");
		return -1;
	}
	xmlSetGenericErrorFunc(NULL, quiet);
	/* Blanks and CDATA kept, no network, no entity substitution: the file as it was. */
	doc = xmlReadMemory(data, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	if (!doc || !(root = xmlDocGetRootElement(doc))) {
		*why = xstrdup("not well-formed XML");
		goto out;
	}
	if (s->root && strcmp((const char *)root->name, s->root)) {
		*why = xasprintf("root element <%s>, expected <%s>", root->name, s->root);
		goto out;
	}
	wo_erase_values_init(&vals);
	values_merge(&vals, known);
	for (xmlNodePtr c = root->children; c; c = c->next) {
		xmlNodePtr persons[XML_MAX_PERSONS];
		size_t np;

		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, s->record) ||
		    !record_persons(s, c, id, persons, &np))
			continue;
		for (size_t i = 0; i < np; i++)
			each_person_field(s, persons[i], collect_field, &vals);
	}
	for (xmlNodePtr c = root->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, s->record))
			erase_record(s, c, id, &vals, hits);
	wo_erase_values_release(&vals);
	rc = 0;
	if (*hits) {
		xmlDocDumpMemoryEnc(doc, &mem, &size,
		                    doc->encoding ? (const char *)doc->encoding : "UTF-8");
		if (!mem || buf_append(out, mem, (size_t)size) == -1) {
			*why = xstrdup("the rewritten file is too large");
			rc = -1;
		}
	}
out:
	xmlFree(mem);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- CSV files ---- */

struct csv_spec {
	char delimiter, quote;
	const char *id;         /* the person id column of a person row, or NULL */
	const char *person[24]; /* its person columns */
	const char *refs[3];    /* columns naming persons by id */
	const char *text[8];    /* free-text columns */
	bool guard;             /* quote cells a spreadsheet would run (export files) */
};

struct csv_rows {
	char ***rows;
	size_t *ncols;
	size_t n, alloc;
};

static enum ls_scope
csv_take(void *ctx, unsigned long line, const struct span *f, const unsigned char *plain, size_t n)
{
	struct csv_rows *t = ctx;
	char **row = xcalloc(n ? n : 1, sizeof(*row));

	(void)line;
	(void)plain;
	for (size_t i = 0; i < n; i++)
		row[i] = xstrndup(f[i].p, f[i].n);
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 64;
		t->rows = xrealloc(t->rows, t->alloc * sizeof(*t->rows));
		t->ncols = xrealloc(t->ncols, t->alloc * sizeof(*t->ncols));
	}
	t->rows[t->n] = row;
	t->ncols[t->n++] = n;
	return LS_OK;
}

static void
csv_rows_release(struct csv_rows *t)
{
	for (size_t r = 0; r < t->n; r++) {
		for (size_t c = 0; c < t->ncols[r]; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
	}
	free(t->rows);
	free(t->ncols);
}

/* Column index of name in the header, or -1. */
static long
column(const struct csv_rows *t, const char *name)
{
	for (size_t c = 0; name && t->n && c < t->ncols[0]; c++)
		if (!strcmp(t->rows[0][c], name))
			return (long)c;
	return -1;
}

static const char *
cell(const struct csv_rows *t, size_t r, long c)
{
	return c >= 0 && (size_t)c < t->ncols[r] ? t->rows[r][c] : NULL;
}

static void
put_cell(struct buf *b, const struct csv_spec *s, const char *v)
{
	bool q = s->guard && v[0] && strchr("=+-@\t\r'", v[0]);

	for (const char *p = v; *p && !q; p++)
		q = *p == s->delimiter || *p == s->quote || *p == '\n' || *p == '\r';
	if (!q) {
		buf_puts(b, v);
		return;
	}
	buf_putc(b, s->quote);
	for (const char *p = v; *p; p++) {
		if (*p == s->quote)
			buf_putc(b, s->quote);
		buf_putc(b, *p);
	}
	buf_putc(b, s->quote);
}

static bool
row_has(const struct csv_rows *t, size_t r, const long *cols, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = cell(t, r, cols[i]);

		if (v && !strcmp(v, id))
			return true;
	}
	return false;
}

static void
csv_emit(const struct csv_rows *t, const struct csv_spec *s, const char *bom, const char *eol,
         bool final_eol, struct buf *out)
{
	buf_puts(out, bom);
	for (size_t r = 0; r < t->n; r++) {
		for (size_t c = 0; c < t->ncols[r]; c++) {
			if (c)
				buf_putc(out, s->delimiter);
			put_cell(out, s, t->rows[r][c]);
		}
		if (r + 1 < t->n || final_eol)
			buf_puts(out, eol);
	}
}

static int
erase_csv(const struct csv_spec *s, const char *id, const struct wo_erase_values *known,
          const char *data, size_t len, struct buf *out, unsigned *hits, char **why)
{
	struct pcsv_opts o = {.delimiter = s->delimiter, .quote = s->quote};
	struct pcsv_result res = {0};
	struct csv_rows t = {0};
	struct wo_erase_values vals;
	long idc, pc[ARRAY_SIZE(s->person)], rc_[ARRAY_SIZE(s->refs)], tc[ARRAY_SIZE(s->text)];
	size_t np = 0, nr = 0, nt = 0;
	const char *bom = "";
	const char *nl = memchr(data, '\n', len);

	*hits = 0;
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
		bom = "\xEF\xBB\xBF";
		data += 3;
		len -= 3;
	}
	pcsv_parse_chunk(&o, data, len, true, csv_take, &t, &res);
	if (res.scope != LS_OK) {
		*why = xasprintf("line %lu: %s", res.error_line, res.error ? res.error : "bad CSV");
		free(res.error);
		csv_rows_release(&t);
		return -1;
	}
	free(res.error);
	idc = column(&t, s->id);
	for (size_t i = 0; i < ARRAY_SIZE(s->person) && s->person[i]; i++)
		pc[np++] = column(&t, s->person[i]);
	for (size_t i = 0; i < ARRAY_SIZE(s->refs) && s->refs[i]; i++)
		rc_[nr++] = column(&t, s->refs[i]);
	for (size_t i = 0; i < ARRAY_SIZE(s->text) && s->text[i]; i++)
		tc[nt++] = column(&t, s->text[i]);
	wo_erase_values_init(&vals);
	values_merge(&vals, known);
	for (size_t r = 1; r < t.n; r++)
		if (row_has(&t, r, &idc, 1, id))
			for (size_t i = 0; i < np; i++)
				if (cell(&t, r, pc[i]))
					values_add(&vals, cell(&t, r, pc[i]),
					           strlen(cell(&t, r, pc[i])));
	for (size_t r = 1; r < t.n; r++) {
		bool own = row_has(&t, r, &idc, 1, id);

		if (!own && !row_has(&t, r, rc_, nr, id))
			continue;
		for (size_t i = 0; own && i < np; i++) {
			char **v =
			        pc[i] >= 0 && (size_t)pc[i] < t.ncols[r] ? &t.rows[r][pc[i]] : NULL;

			if (v && **v && strcmp(*v, WO_ERASED)) {
				free(*v);
				*v = xstrdup(WO_ERASED);
				(*hits)++;
			}
		}
		for (size_t i = 0; i < nt; i++) {
			char **v =
			        tc[i] >= 0 && (size_t)tc[i] < t.ncols[r] ? &t.rows[r][tc[i]] : NULL;
			char *sc = v ? scrub(*v, strlen(*v), &vals, hits) : NULL;

			if (sc) {
				free(*v);
				*v = sc;
			}
		}
	}
	if (*hits)
		csv_emit(&t, s, bom, nl && nl > data && nl[-1] == '\r' ? "\r\n" : "\n",
		         len && data[len - 1] == '\n', out);
	wo_erase_values_release(&vals);
	csv_rows_release(&t);
	return 0;
}

/* ---- through a profile ---- */

static const char *
source_of(const struct wo_profile *p, bool person, const char *name)
{
	for (size_t i = 0; i < p->nmaps; i++)
		if ((p->maps[i].field->group == WO_PERSON) == person &&
		    !strcmp(p->maps[i].field->name, name))
			return p->maps[i].source;
	return NULL;
}

static void
profile_common(const struct wo_profile *p, const char **person, size_t nperson, const char **refs,
               const char **text)
{
	size_t k = 0;

	for (size_t i = 0; i < p->nmaps && k < nperson; i++)
		if (p->maps[i].field->group == WO_PERSON && strcmp(p->maps[i].field->name, "id"))
			person[k++] = p->maps[i].source;
	for (size_t i = 0; i < ARRAY_SIZE(person_refs); i++)
		refs[i] = source_of(p, false, person_refs[i]);
	text[0] = source_of(p, false, "notes");
	text[1] = source_of(p, false, "car_notes");
}

int
wo_erase_file(const struct wo_profile *p, const char *person_id, const struct wo_erase_values *vals,
              const char *data, size_t len, struct buf *out, unsigned *hits, char **why)
{
	*why = NULL;
	if (p->xml) {
		struct xml_spec s = {.root = p->record_root,
		                     .record = p->record_element,
		                     .persons = p->persons,
		                     .id = source_of(p, true, "id"),
		                     .interventions = p->interventions};

		profile_common(p, s.person, ARRAY_SIZE(s.person) - 1, s.refs, s.text);
		s.itext[0] = source_of(p, false, "title");
		s.itext[1] = source_of(p, false, "description");
		/* A profile without persons holds no person: only named work orders' text. */
		if (!s.id)
			s.persons = NULL;
		return erase_xml(&s, person_id, vals, data, len, out, hits, why);
	}
	struct csv_spec s = {.delimiter = p->delimiter,
	                     .quote = p->quote ? p->quote : '"',
	                     .id = source_of(p, true, "id")};

	profile_common(p, s.person, ARRAY_SIZE(s.person) - 1, s.refs, s.text);
	/* Intervention columns are the row's own (CSV: one row per intervention). */
	s.text[2] = source_of(p, false, "title");
	s.text[3] = source_of(p, false, "description");
	for (size_t i = 0; i < p->nmaps; i++)
		if (p->maps[i].field->group == WO_INTERVENTION) {
			if (!strcmp(p->maps[i].field->name, "title"))
				s.text[2] = p->maps[i].source;
			else if (!strcmp(p->maps[i].field->name, "description"))
				s.text[3] = p->maps[i].source;
		}
	return erase_csv(&s, person_id, vals, data, len, out, hits, why);
}

int
wo_erase_raw(const struct wo_erase_values *vals, const char *data, size_t len, struct buf *out,
             unsigned *hits)
{
	char *s;

	*hits = 0;
	if (!vals || !(s = scrub(data, len, vals, hits)))
		return 0;
	if (buf_puts(out, s) == -1)
		*hits = 0;
	free(s);
	return 0;
}

/* ---- export files ---- */

/* The end of the flat JSON object starting at s[0] == '{', or NULL. */
static const char *
object_end(const char *s, const char *end)
{
	bool str = false;

	for (const char *p = s + 1; p < end; p++) {
		if (str && *p == '\\')
			p++;
		else if (*p == '"')
			str = !str;
		else if (!str && *p == '{')
			return NULL; /* not flat */
		else if (!str && *p == '}')
			return p;
	}
	return NULL;
}

/* A JSON string's text without its quotes (escaped as the writer escapes it); caller frees. */
static char *
json_escaped(const char *v)
{
	struct json j;
	char *s;
	size_t n;

	json_init(&j);
	json_str(&j, v);
	s = json_detach(&j);
	n = strlen(s);
	memmove(s, s + 1, n - 2);
	s[n - 2] = '\0';
	return s;
}

static bool
has_id(const struct recjson *d, const char *id)
{
	for (size_t i = 0; i < d->nfields; i++)
		if (!strcmp(d->fields[i].name, "id"))
			return !strcmp(d->fields[i].value, id);
	return false;
}

static bool
key_is(const char *k, size_t n, const char *name)
{
	return n == strlen(name) && !memcmp(k, name, n);
}

/*
 * Copy one JSON work order onto out with the person's values scrubbed out
 * of its free text only: "notes" and "car_notes" of the work order, and
 * "title" and "description" of its interventions (other persons' fields,
 * which may share a place or a name, are left alone).
 */
static void
scrub_json_text(const char *p, size_t n, const struct wo_erase_values *esc, struct buf *out,
                unsigned *hits)
{
	const char *key = NULL;
	size_t klen = 0, i = 0;
	int depth = 0, iv = -1; /* depth inside the interventions array, or -1 */
	bool want_iv = false;

	while (i < n) {
		char c = p[i];

		if (c == '"') {
			size_t s = i + 1, e = s, k;
			char *sc;
			bool free_text;

			while (e < n && p[e] != '"')
				e += p[e] == '\\' ? 2 : 1;
			if (e > n)
				e = n;
			for (k = e + 1; k < n && p[k] == ' '; k++)
				;
			if (k < n && p[k] == ':') { /* a key */
				key = p + s;
				klen = e - s;
				buf_append(out, p + i, e + 1 - i);
				i = e + 1;
				continue;
			}
			free_text = key && ((depth == 1 && (key_is(key, klen, "notes") ||
			                                    key_is(key, klen, "car_notes"))) ||
			                    (iv >= 0 && depth == iv + 1 &&
			                     (key_is(key, klen, "title") ||
			                      key_is(key, klen, "description"))));
			buf_putc(out, '"');
			if (free_text && (sc = scrub(p + s, e - s, esc, hits)) != NULL) {
				buf_puts(out, sc);
				free(sc);
			} else {
				buf_append(out, p + s, e - s);
			}
			if (e < n)
				buf_putc(out, '"');
			i = e + 1;
			continue;
		}
		if (c == '[' && depth == 1 && key && key_is(key, klen, "interventions"))
			want_iv = true;
		if (c == '{' || c == '[')
			depth++;
		if (want_iv) {
			iv = depth;
			want_iv = false;
		}
		if (c == '}' || c == ']') {
			if (iv >= 0 && depth == iv)
				iv = -1;
			depth--;
		}
		buf_putc(out, c);
		i++;
	}
}

/* One work order's line: its person objects for id erased, the rest scrubbed. */
static void
erase_jsonl_line(const char *line, size_t n, const char *id, const struct wo_erase_values *known,
                 struct buf *out, unsigned *hits)
{
	static const char persons_key[] = "\"persons\":{";
	const char *end = line + n, *p = memmem(line, n, persons_key, strlen(persons_key));
	struct wo_erase_values vals, esc;
	struct buf b;
	struct recjson d;
	bool named = false;

	buf_init(&b, n * 8 + 64);
	recjson_init(&d);
	wo_erase_values_init(&vals);
	values_merge(&vals, known);
	if (p) {
		p += strlen(persons_key);
		buf_append(&b, line, (size_t)(p - line));
		while (p < end && *p != '}') {
			const char *o = memchr(p, '{', (size_t)(end - p)), *e;

			if (!o || !(e = object_end(o, end)))
				break;
			buf_append(&b, p, (size_t)(o - p));
			if (recjson_parse(&d, o, (size_t)(e - o + 1)) == 0 && has_id(&d, id)) {
				struct json j;

				named = true;
				json_init(&j);
				json_obj(&j);
				for (size_t i = 0; i < d.nfields; i++) {
					bool keep = !strcmp(d.fields[i].name, "id") ||
					            !strcmp(d.fields[i].value, WO_ERASED);

					values_add(&vals, d.fields[i].value,
					           keep ? 0 : d.lens[i].value);
					json_key(&j, d.fields[i].name);
					json_str(&j, keep ? d.fields[i].value : WO_ERASED);
					*hits += !keep;
				}
				json_end(&j);
				buf_puts(&b, j.out.p);
				json_release(&j);
			} else {
				buf_append(&b, o, (size_t)(e - o + 1));
			}
			p = e + 1;
		}
		buf_append(&b, p, (size_t)(end - p));
	} else {
		buf_append(&b, line, n);
	}
	for (size_t k = 0; k < ARRAY_SIZE(person_refs) && !named; k++) {
		char *ref = json_escaped(id),
		     *pat = xasprintf("\"%s\":\"%s\"", person_refs[k], ref);

		named = memmem(b.p, b.len, pat, strlen(pat)) != NULL;
		free(pat);
		free(ref);
	}
	/* The work order's free text, as the writer escaped it. */
	wo_erase_values_init(&esc);
	for (size_t i = 0; i < vals.n; i++) {
		char *e = json_escaped(vals.v[i]);

		values_add(&esc, e, strlen(e));
		free(e);
	}
	if (named)
		scrub_json_text(b.p, b.len, &esc, out, hits);
	else
		buf_append(out, b.p, b.len);
	wo_erase_values_release(&esc);
	wo_erase_values_release(&vals);
	recjson_release(&d);
	buf_release(&b);
}

static int
erase_jsonl(const char *id, const struct wo_erase_values *vals, const char *data, size_t len,
            struct buf *out, unsigned *hits)
{
	*hits = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : len - i;

		erase_jsonl_line(data + i, n, id, vals, out, hits);
		if (nl)
			buf_putc(out, '\n');
		i += n + (nl ? 1 : 0);
	}
	if (!*hits)
		buf_reset(out);
	return 0;
}

int
wo_erase_export(enum wo_format f, const char *person_id, const struct wo_erase_values *vals,
                const char *data, size_t len, struct buf *out, unsigned *hits, char **why)
{
	*why = NULL;
	if (f == WO_FORMAT_XML) {
		struct xml_spec s = {.root = "workorders",
		                     .record = "workorder",
		                     .persons = "persons/person",
		                     .id = "@id",
		                     .refs = {"driver_id", "owner_id", "contractor_id"},
		                     .text = {"notes", "car_notes"},
		                     .interventions = "interventions/intervention",
		                     .itext = {"title", "description"}};

		return erase_xml(&s, person_id, vals, data, len, out, hits, why);
	}
	if (f == WO_FORMAT_CSV) {
		struct csv_spec s = {.delimiter = ',',
		                     .quote = '"',
		                     .refs = {"driver_id", "owner_id", "contractor_id"},
		                     .text = {"notes", "car_notes", "interventions"},
		                     .guard = true};

		return erase_csv(&s, person_id, vals, data, len, out, hits, why);
	}
	return erase_jsonl(person_id, vals, data, len, out, hits);
}
