/* format.c - export format definitions from .ini files (see format.h). */
#include "lotsync/format.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lotsync/conffile.h"
#include "lotsync/fields.h"
#include "lotsync/log.h"
#include "lotsync/normalize.h"
#include "lotsync/util.h"

/* Positions beyond this are a typo, not a marketplace layout. */
#define MAX_POSITION 999

/* A [columns] line as read; compiled once the [format] keys are all known. */
struct raw_col {
	char *key, *spec;
	int line;
};

struct floader {
	struct format *f;
	struct conffile_errors err;
	int line;
	struct raw_col *raw;
	size_t nraw, raw_alloc;
	char *action_key;
	int action_line;
	bool ext_set;
};

/* An error at a line of the file (logged in line order once it is read). */
#define ferr(ld, line, ...) conffile_error(&(ld)->err, (line), __VA_ARGS__)

static bool
in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

enum column_kind
format_field_kind(const char *field)
{
	switch (fields_kind(field)) {
	case FIELD_MONEY: return COL_MONEY;
	case FIELD_MILEAGE:
	case FIELD_YEAR:
	case FIELD_INT:
	case FIELD_COORD: return COL_NUMBER;
	case FIELD_DATE: return COL_DATE;
	case FIELD_LIST: return COL_LIST;
	default: return COL_TEXT;
	}
}

/* XML 1.0 names, ASCII subset: a letter or '_', then letters, digits, '_', '-', '.'. */
static bool
xml_name_ok(const char *s)
{
	if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	if (strncasecmp(s, "xml", 3) == 0)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

static void
format_type_key(struct floader *ld, const char *v)
{
	static const char *const types[] = {"csv", "xml", NULL};
	int i = conffile_word(v, types);

	if (i >= 0)
		ld->f->type = i ? FORMAT_XML : FORMAT_CSV;
	else
		ferr(ld, ld->line, "type must be csv or xml, not '%s'", v);
}

static void
format_csv_key(struct floader *ld, const char *key, const char *v)
{
	struct format *f = ld->f;

	if (!strcmp(key, "delimiter")) {
		if (conffile_char(v, &f->delimiter) == -1)
			ferr(ld, ld->line,
			     "delimiter must be one character or its name (%s), not '%s'",
			     CONFFILE_CHAR_NAMES, v);
	} else if (!strcmp(key, "quote")) {
		if (conffile_char(v, &f->quote) == -1)
			ferr(ld, ld->line, "quote must be one character, not '%s'", v);
	} else if (!strcmp(key, "quoting")) {
		static const char *const words[] = {"minimal", "all", "none", NULL};
		static const enum format_quoting value[] = {QUOTING_MINIMAL, QUOTING_ALL,
		                                            QUOTING_NONE};
		int i = conffile_word(v, words);

		if (i >= 0)
			f->quoting = value[i];
		else
			ferr(ld, ld->line, "quoting must be minimal, all or none, not '%s'", v);
	} else if (!strcmp(key, "header")) {
		if (conffile_bool(v, &f->header) == -1)
			ferr(ld, ld->line, "header must be yes or no, not '%s'", v);
	}
}

static void
format_charset_key(struct floader *ld, const char *v)
{
	iconv_t cd;

	if (!strcasecmp(v, "utf-8") || !strcasecmp(v, "utf8")) {
		conffile_set_copy(&ld->f->charset, "UTF-8");
		ld->f->utf8 = true;
		return;
	}
	cd = iconv_open(v, "UTF-8");
	if (cd == (iconv_t)-1) {
		ferr(ld, ld->line, "charset '%s' is not known to iconv", v);
		return;
	}
	iconv_close(cd);
	conffile_set_copy(&ld->f->charset, v);
	ld->f->utf8 = false;
}

/* "vin, price, vdp_url|dealer_id": items separated by commas, alternatives by '|'. */
static void
format_required_key(struct floader *ld, const char *v)
{
	struct format *f = ld->f;
	char *copy = xstrdup(v), *save = NULL;

	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		struct format_required rq = {0};
		char *alt, *asave = NULL;
		bool bad = false;

		str_trim(item);
		if (!*item)
			continue;
		rq.text = xstrdup(item);
		for (alt = strtok_r(item, "|", &asave); alt; alt = strtok_r(NULL, "|", &asave)) {
			str_trim(alt);
			if (!fields_is_canonical(alt)) {
				ferr(ld, ld->line, "required: unknown canonical field '%s'", alt);
				bad = true;
				continue;
			}
			rq.fields = xrealloc(rq.fields, (rq.n + 1) * sizeof(*rq.fields));
			rq.fields[rq.n++] = xstrdup(alt);
		}
		if (bad || rq.n == 0) {
			for (size_t i = 0; i < rq.n; i++)
				free(rq.fields[i]);
			free(rq.fields);
			free(rq.text);
			continue;
		}
		f->required = xrealloc(f->required, (f->nrequired + 1) * sizeof(*f->required));
		f->required[f->nrequired++] = rq;
	}
	free(copy);
}

static void
format_key(struct floader *ld, const char *key, const char *v)
{
	static const char *const csv_keys[] = {"delimiter", "quote", "quoting", "header"};
	struct format *f = ld->f;

	if (!strcmp(key, "type")) {
		format_type_key(ld, v);
	} else if (in_list(key, csv_keys, ARRAY_SIZE(csv_keys))) {
		format_csv_key(ld, key, v);
	} else if (!strcmp(key, "line_ending")) {
		static const char *const endings[] = {"lf", "crlf", NULL};
		int i = conffile_word(v, endings);

		if (i >= 0)
			f->crlf = i == 1;
		else
			ferr(ld, ld->line, "line_ending must be lf or crlf, not '%s'", v);
	} else if (!strcmp(key, "charset")) {
		format_charset_key(ld, v);
	} else if (!strcmp(key, "list_separator")) {
		if (!*v || strpbrk(v, "\r\n"))
			ferr(ld, ld->line, "list_separator must be one or more characters");
		else
			conffile_set_copy(&f->list_sep, v);
	} else if (!strcmp(key, "decimal_separator")) {
		if (strcmp(v, ".") != 0 && strcmp(v, ",") != 0 && strcmp(v, "comma") != 0)
			ferr(ld, ld->line, "decimal_separator must be . or , not '%s'", v);
		else
			f->decimal_sep = v[0] == '.' ? '.' : ',';
	} else if (!strcmp(key, "currency")) {
		conffile_set_copy(&f->currency, v);
	} else if (!strcmp(key, "formula_guard")) {
		free(f->guard);
		f->guard = strcmp(v, "none") == 0 ? NULL : xstrdup(v);
	} else if (!strcmp(key, "action_column")) {
		conffile_set_copy(&ld->action_key, v);
		ld->action_line = ld->line;
	} else if (!strcmp(key, "extension")) {
		if (!*v || strpbrk(v, "/.") || strlen(v) > 16)
			ferr(ld, ld->line, "extension '%s': up to 16 characters, no '.' or '/'", v);
		else
			conffile_set_copy(&f->extension, v);
		ld->ext_set = true;
	} else if (!strcmp(key, "required")) {
		format_required_key(ld, v);
	} else if (!strcmp(key, "root") || !strcmp(key, "record")) {
		if (!xml_name_ok(v))
			ferr(ld, ld->line, "%s '%s' is not an XML element name", key, v);
		else
			conffile_set_copy(!strcmp(key, "root") ? &f->root : &f->record, v);
	} else {
		ferr(ld, ld->line, "unknown key '%s' in [format]", key);
	}
}

static int
on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct floader *ld = user;
	char *v = str_trim(xstrdup(value));

	if (!strcmp(section, "format")) {
		format_key(ld, key, v);
	} else if (!strcmp(section, "columns")) {
		ld->raw = xgrow(ld->raw, &ld->raw_alloc, ld->nraw + 1, sizeof(*ld->raw));
		ld->raw[ld->nraw++] = (struct raw_col){xstrdup(key), xstrdup(v), ld->line};
	} else {
		ferr(ld, ld->line, "unknown section [%s] (expected [format] or [columns])",
		     section);
	}
	free(v);
	return 1;
}

/*
 * Next whitespace-separated token of *s into a new string; a double-quoted
 * run may hold spaces ("" is a quote). *quoted says the token began with a
 * quote. NULL at the end; *bad when a quote is not closed.
 */
static char *
next_token(const char **s, bool *quoted, bool *bad)
{
	const char *p = *s;
	char *out, *o;
	bool inq = false;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return NULL;
	*quoted = *p == '"';
	o = out = xmalloc(strlen(p) + 1);
	for (; *p && (inq || (*p != ' ' && *p != '\t')); p++) {
		if (*p != '"')
			*o++ = *p;
		else if (inq && p[1] == '"')
			*o++ = *p++;
		else
			inq = !inq;
	}
	*o = '\0';
	*bad = inq;
	*s = p;
	return out;
}

static void
add_maps(struct floader *ld, struct format_column *c, const char *v)
{
	char *copy = xstrdup(v);
	size_t alloc = 0;

	for (char *item = copy, *comma;; item = comma + 1) {
		char *colon;

		comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		colon = strchr(item, ':');
		if (!colon || colon == item) {
			ferr(ld, c->line, "column '%s': map wants FROM:TO items, not '%s'",
			     c->name ? c->name : "?", item);
		} else {
			*colon = '\0';
			c->maps = xgrow(c->maps, &alloc, c->nmaps + 1, sizeof(*c->maps));
			c->maps[c->nmaps++] =
			        (struct format_map){xstrdup(item), xstrdup(colon + 1)};
		}
		if (!comma)
			break;
	}
	free(copy);
}

static bool
kind_is(struct floader *ld, const struct format_column *c, enum column_kind k, const char *opt)
{
	static const char *const names[] = {"text", "number", "money", "date", "list", "constant"};

	if (c->kind == k)
		return true;
	ferr(ld, c->line, "column '%s': %s applies to %s fields, and %s is %s", c->name, opt,
	     names[k], c->field ? c->field : "a constant", names[c->kind]);
	return false;
}

static void
column_decimals(struct floader *ld, struct format_column *c, const char *v)
{
	if (!strcasecmp(v, "auto"))
		c->decimals = FORMAT_DECIMALS_AUTO;
	else if (strlen(v) == 1 && v[0] >= '0' && v[0] <= '2')
		c->decimals = v[0] - '0';
	else
		ferr(ld, c->line, "column '%s': decimals must be 0, 1, 2 or auto, not '%s'",
		     c->name, v);
}

static void
column_items(struct floader *ld, struct format_column *c, const char *v)
{
	static const char *const words[] = {"all", "first", "rest", NULL};
	static const enum list_items value[] = {ITEMS_ALL, ITEMS_FIRST, ITEMS_REST};
	int i = conffile_word(v, words);
	unsigned long long n;

	if (i >= 0)
		c->items = value[i];
	else if (parse_uint(v, 999, &n) == 0 && n >= 1)
		c->item = (int)n;
	else
		ferr(ld, c->line,
		     "column '%s': items must be all, first, rest or a position from 1, not '%s'",
		     c->name, v);
}

static bool
column_is_mileage(struct floader *ld, struct format_column *c, const char *opt)
{
	if (c->field && !strcmp(c->field, "mileage"))
		return true;
	ferr(ld, c->line, "column '%s': %s is for the mileage field", c->name, opt);
	return false;
}

/* attr.NAME=VALUE: a constant attribute of an XML column's element, escaped once here. */
static void
column_attr(struct floader *ld, struct format_column *c, const char *name, const char *v)
{
	size_t n = strlen(c->attrs ? c->attrs : ""), cap;
	char *out;

	if (ld->f->type != FORMAT_XML || c->on_record) {
		ferr(ld, c->line, "column '%s': attr.%s is for the elements of xml formats",
		     c->name, name);
		return;
	}
	if (!xml_name_ok(name)) {
		ferr(ld, c->line, "column '%s': attr.%s is not an XML attribute name", c->name,
		     name);
		return;
	}
	cap = n + strlen(name) + 6 * strlen(v) + 5;
	out = xmalloc(cap);
	memcpy(out, c->attrs ? c->attrs : "", n);
	n += (size_t)snprintf(out + n, cap - n, " %s=\"", name);
	for (const char *p = v; *p; p++) {
		const char *e = *p == '&'   ? "&amp;"
		                : *p == '<' ? "&lt;"
		                : *p == '"' ? "&quot;"
		                            : NULL;

		if (e)
			n += (size_t)snprintf(out + n, cap - n, "%s", e);
		else if ((unsigned char)*p >= 0x20)
			out[n++] = *p;
	}
	memcpy(out + n, "\"", 2);
	free(c->attrs);
	c->attrs = out;
}

static void
column_option(struct floader *ld, struct format_column *c, const char *opt)
{
	const char *eq = strchr(opt, '=');
	char *name = eq ? xstrndup(opt, (size_t)(eq - opt)) : xstrdup(opt);
	const char *v = eq ? eq + 1 : NULL;

	if (!strcmp(name, "text") && !v) {
		c->guard = true;
	} else if (!strcmp(name, "raw") && !v) {
		c->guard = false;
	} else if (!strcmp(name, "with_currency") && !v) {
		if (kind_is(ld, c, COL_MONEY, name))
			c->with_currency = true;
	} else if (!strcmp(name, "with_unit") && !v) {
		if (column_is_mileage(ld, c, name))
			c->with_unit = true;
	} else if (!v) {
		ferr(ld, c->line, "column '%s': unknown option '%s'", c->name, opt);
	} else if (!strcmp(name, "join")) {
		if (kind_is(ld, c, COL_LIST, name))
			conffile_set_copy(&c->join, v);
	} else if (!strcmp(name, "items")) {
		if (kind_is(ld, c, COL_LIST, name))
			column_items(ld, c, v);
	} else if (!strcmp(name, "date")) {
		if (kind_is(ld, c, COL_DATE, name))
			conffile_set_copy(&c->date, v);
	} else if (!strcmp(name, "decimals")) {
		if (kind_is(ld, c, COL_MONEY, name))
			column_decimals(ld, c, v);
	} else if (!strcmp(name, "unit")) {
		if (column_is_mileage(ld, c, name)) {
			if (!strcmp(v, "km") || !strcmp(v, "mi") || !strcmp(v, "mil"))
				c->unit = !strcmp(v, "km")   ? MILEAGE_KM
				          : !strcmp(v, "mi") ? MILEAGE_MI
				                             : MILEAGE_MIL;
			else
				ferr(ld, c->line,
				     "column '%s': unit must be km, mi or mil, not '%s'", c->name,
				     v);
		}
	} else if (!strcmp(name, "map")) {
		add_maps(ld, c, v);
	} else if (str_startswith(name, "attr.")) {
		column_attr(ld, c, name + 5, v);
	} else if (!strcmp(name, "default")) {
		conffile_set_copy(&c->dflt, v);
	} else if (!strcmp(name, "prefix")) {
		conffile_set_copy(&c->prefix, v);
	} else if (!strcmp(name, "suffix")) {
		conffile_set_copy(&c->suffix, v);
	} else {
		ferr(ld, c->line, "column '%s': unknown option '%s'", c->name, name);
	}
	free(name);
}

/* Parse "FIELD [OPTION...]" into c (name and line already set). */
static void
column_spec(struct floader *ld, struct format_column *c, const char *spec)
{
	bool quoted = false, bad = false;
	char *tok = next_token(&spec, &quoted, &bad);

	c->decimals = 2;
	c->unit = -1;
	if (!tok || bad) {
		ferr(ld, c->line, "column '%s': %s", c->name,
		     bad ? "unterminated quote" : "no field given");
		free(tok);
		return;
	}
	if (quoted) {
		c->kind = COL_CONST;
		c->constant = tok;
	} else if (!fields_is_canonical(tok)) {
		ferr(ld, c->line, "column '%s': unknown canonical field '%s'", c->name, tok);
		free(tok);
		return;
	} else {
		c->field = tok;
		c->kind = format_field_kind(tok);
		c->guard = c->kind == COL_TEXT || c->kind == COL_LIST;
	}
	while ((tok = next_token(&spec, &quoted, &bad)) != NULL) {
		if (bad)
			ferr(ld, c->line, "column '%s': unterminated quote", c->name);
		else
			column_option(ld, c, tok);
		free(tok);
	}
}

static bool
position_of(const char *key, long *pos)
{
	unsigned long long v;

	if (parse_uint(key, MAX_POSITION, &v) == -1)
		return false;
	*pos = (long)v;
	return true;
}

static void
gap_column(struct format_column *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = COL_CONST;
	c->constant = xstrdup("");
}

/* header = no: keys are positions; fill the gaps with empty cells. */
static void
compile_positional(struct floader *ld)
{
	struct format *f = ld->f;
	long max = -1, *pos = xcalloc(ld->nraw + 1, sizeof(*pos));

	for (size_t i = 0; i < ld->nraw; i++) {
		if (!position_of(ld->raw[i].key, &pos[i])) {
			ferr(ld, ld->raw[i].line,
			     "column '%s': with header = no, columns are 0-based positions "
			     "(0..%d)",
			     ld->raw[i].key, MAX_POSITION);
			pos[i] = -1;
		}
		max = pos[i] > max ? pos[i] : max;
	}
	f->ncols = (size_t)(max + 1);
	f->cols = xcalloc(f->ncols + 1, sizeof(*f->cols));
	for (size_t i = 0; i < f->ncols; i++)
		f->cols[i].line = -1; /* not yet defined */
	for (size_t i = 0; i < ld->nraw; i++) {
		struct format_column *c;

		if (pos[i] < 0)
			continue;
		c = &f->cols[pos[i]];
		if (c->line != -1) {
			ferr(ld, ld->raw[i].line, "position %ld is given twice (also line %d)",
			     pos[i], c->line);
			continue;
		}
		c->name = xstrdup(ld->raw[i].key);
		c->line = ld->raw[i].line;
		column_spec(ld, c, ld->raw[i].spec);
	}
	for (size_t i = 0; i < f->ncols; i++)
		if (f->cols[i].line == -1)
			gap_column(&f->cols[i]);
	free(pos);
}

/* "price", "@status" (an attribute of the record), "price#msrp" (a second <price>). */
static bool
xml_column_name(const char *key, struct format_column *c)
{
	const char *hash = strchr(key, '#');
	char *name;

	if (key[0] == '@') {
		if (!xml_name_ok(key + 1))
			return false;
		c->name = xstrdup(key + 1);
		c->on_record = true;
		return true;
	}
	name = hash ? xstrndup(key, (size_t)(hash - key)) : xstrdup(key);
	if (!xml_name_ok(name) || (hash && !hash[1])) {
		free(name);
		return false;
	}
	c->name = name;
	return true;
}

static void
compile_named(struct floader *ld)
{
	struct format *f = ld->f;

	f->cols = xcalloc(ld->nraw + 1, sizeof(*f->cols));
	for (size_t i = 0; i < ld->nraw; i++) {
		struct format_column *c = &f->cols[f->ncols];
		bool dup = false;

		for (size_t k = 0; k < i; k++)
			dup = dup || strcmp(ld->raw[k].key, ld->raw[i].key) == 0;
		if (dup) {
			ferr(ld, ld->raw[i].line, "column '%s' is given twice", ld->raw[i].key);
			continue;
		}
		if (f->type == FORMAT_XML && !xml_column_name(ld->raw[i].key, c)) {
			ferr(ld, ld->raw[i].line,
			     "column '%s' is not an XML element name, @attribute or element#tag",
			     ld->raw[i].key);
			continue;
		}
		if (f->type != FORMAT_XML)
			c->name = xstrdup(ld->raw[i].key);
		c->line = ld->raw[i].line;
		column_spec(ld, c, ld->raw[i].spec);
		f->ncols++;
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t
slot_of(const struct format *f, const char *field)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i], field) == 0)
			return i;
	return (size_t)-1;
}

/* The distinct fields the columns read, sorted like a record's fields. */
static void
compile_fields(struct format *f)
{
	size_t alloc = 0;
	bool currency = false, unit = false;

	for (size_t i = 0; i < f->ncols; i++) {
		currency |= f->cols[i].with_currency;
		unit |= f->cols[i].field && (f->cols[i].with_unit || f->cols[i].unit >= 0);
		if (f->cols[i].field && slot_of(f, f->cols[i].field) == (size_t)-1) {
			f->fields = xgrow(f->fields, &alloc, f->nfields + 1, sizeof(*f->fields));
			f->fields[f->nfields++] = xstrdup(f->cols[i].field);
		}
	}
	if (currency && slot_of(f, "currency") == (size_t)-1) {
		f->fields = xgrow(f->fields, &alloc, f->nfields + 1, sizeof(*f->fields));
		f->fields[f->nfields++] = xstrdup("currency");
	}
	if (unit && slot_of(f, "mileage_unit") == (size_t)-1) {
		f->fields = xgrow(f->fields, &alloc, f->nfields + 1, sizeof(*f->fields));
		f->fields[f->nfields++] = xstrdup("mileage_unit");
	}
	for (size_t i = 0; i < f->nrequired; i++)
		for (size_t k = 0; k < f->required[i].n; k++)
			if (slot_of(f, f->required[i].fields[k]) == (size_t)-1) {
				f->fields = xgrow(f->fields, &alloc, f->nfields + 1,
				                  sizeof(*f->fields));
				f->fields[f->nfields++] = xstrdup(f->required[i].fields[k]);
			}
	if (f->nfields > 1)
		qsort(f->fields, f->nfields, sizeof(*f->fields), cmp_str);
	f->flens = xcalloc(f->nfields + 1, sizeof(*f->flens));
	for (size_t i = 0; i < f->nfields; i++)
		f->flens[i] = strlen(f->fields[i]);
	for (size_t i = 0; i < f->ncols; i++)
		if (f->cols[i].field)
			f->cols[i].slot = slot_of(f, f->cols[i].field);
	f->currency_slot = slot_of(f, "currency");
	f->unit_slot = slot_of(f, "mileage_unit");
	for (size_t i = 0; i < f->nrequired; i++) {
		f->required[i].slots = xcalloc(f->required[i].n, sizeof(size_t));
		for (size_t k = 0; k < f->required[i].n; k++)
			f->required[i].slots[k] = slot_of(f, f->required[i].fields[k]);
	}
}

/* Where a delta target's action cell goes (format.h: action_column). */
static void
compile_action(struct floader *ld)
{
	struct format *f = ld->f;
	const char *v = ld->action_key ? ld->action_key : "action";
	long pos;

	conffile_set_copy(&f->action, v);
	if (f->type == FORMAT_XML) {
		if (!xml_name_ok(v))
			ferr(ld, ld->action_line, "action_column '%s' is not an XML attribute name",
			     v);
		return;
	}
	if (!f->positional) {
		f->action_at = 0; /* inserted before the first column */
		return;
	}
	if (!ld->action_key) {
		f->action_at = f->ncols; /* appended after the last */
		return;
	}
	if (!position_of(v, &pos) || (size_t)pos > f->ncols ||
	    ((size_t)pos < f->ncols && f->cols[pos].field)) {
		ferr(ld, ld->action_line,
		     "action_column '%s': with header = no, a free position up to %zu", v,
		     f->ncols);
		return;
	}
	f->action_at = (size_t)pos;
	f->action_gap = (size_t)pos < f->ncols;
}

static void
compile(struct floader *ld)
{
	struct format *f = ld->f;

	if (f->type == FORMAT_XML) {
		f->header = false;
		if (!f->root || !f->record)
			ferr(ld, 1, "an xml format needs root and record in [format]");
		if (!ld->ext_set)
			conffile_set_copy(&f->extension, "xml");
	}
	f->positional = f->type == FORMAT_CSV && !f->header;
	if (f->positional)
		compile_positional(ld);
	else
		compile_named(ld);
	if (f->ncols == 0)
		ferr(ld, 1, "no [columns] in format %s", f->name);
	if (f->type == FORMAT_CSV && f->delimiter == f->quote)
		ferr(ld, 1, "delimiter and quote are the same character");
	for (size_t i = 0; i < f->ncols; i++)
		f->cols[i].guard = f->cols[i].guard && f->guard != NULL;
	compile_fields(f);
	compile_action(ld);
}

/* The whole file read: compile it, then drop what only the loader needed. */
static void
finish(void *arg)
{
	struct floader *ld = arg;

	compile(ld);
	for (size_t i = 0; i < ld->nraw; i++) {
		free(ld->raw[i].key);
		free(ld->raw[i].spec);
	}
	free(ld->raw);
	free(ld->action_key);
}

int
format_load(const char *confdir, const char *name, struct format *f)
{
	struct floader ld = {.f = f};

	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	f->delimiter = ',';
	f->quote = '"';
	f->header = true;
	f->charset = xstrdup("UTF-8");
	f->utf8 = true;
	f->list_sep = xstrdup("|");
	f->decimal_sep = '.';
	f->extension = xstrdup("csv");
	f->currency_slot = (size_t)-1;
	f->unit_slot = (size_t)-1;
	return conffile_read(confdir, "formats", "format", name, on_entry, finish, &ld, &ld.line,
	                     &ld.err, &f->path);
}

static void
column_release(struct format_column *c)
{
	free(c->name);
	free(c->attrs);
	free(c->field);
	free(c->constant);
	free(c->join);
	free(c->date);
	free(c->dflt);
	free(c->prefix);
	free(c->suffix);
	for (size_t i = 0; i < c->nmaps; i++) {
		free(c->maps[i].from);
		free(c->maps[i].to);
	}
	free(c->maps);
}

void
format_release(struct format *f)
{
	for (size_t i = 0; i < f->nrequired; i++) {
		for (size_t k = 0; k < f->required[i].n; k++)
			free(f->required[i].fields[k]);
		free(f->required[i].fields);
		free(f->required[i].slots);
		free(f->required[i].text);
	}
	free(f->required);
	for (size_t i = 0; i < f->ncols; i++)
		column_release(&f->cols[i]);
	free(f->cols);
	for (size_t i = 0; i < f->nfields; i++)
		free(f->fields[i]);
	free(f->fields);
	free(f->flens);
	free(f->name);
	free(f->path);
	free(f->charset);
	free(f->list_sep);
	free(f->currency);
	free(f->guard);
	free(f->action);
	free(f->extension);
	free(f->root);
	free(f->record);
	memset(f, 0, sizeof(*f));
}
