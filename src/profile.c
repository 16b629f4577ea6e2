/* profile.c - feed profiles: load and check the .ini (binding and mapping: rowmap.c). */
#include "lotsync/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lotsync/conffile.h"
#include "lotsync/fields.h"
#include "lotsync/log.h"
#include "lotsync/parse_xml.h"
#include "lotsync/util.h"

/* State of one profile file being parsed, so errors can name file and line. */
struct loader {
	struct profile *p;
	struct conffile_errors err;
	int line;
};

/* An error at the line being read (0 once the whole file is). */
#define lerr(ld, ...) conffile_error(&(ld)->err, (ld)->line, __VA_ARGS__)

const struct profile_map *
profile_find(const struct profile *p, const char *field)
{
	for (size_t i = 0; i < p->nmaps; i++)
		if (strcmp(p->maps[i].field, field) == 0)
			return &p->maps[i];
	return NULL;
}

bool
profile_is_mandatory(const struct profile *p, const char *field)
{
	for (size_t i = 0; i < p->nmandatory; i++)
		if (strcmp(p->mandatory[i], field) == 0)
			return true;
	return false;
}

/* Split a comma list into trimmed, non-empty items; calls fn for each. */
static void
each_item(struct loader *ld, const char *v, void (*fn)(struct loader *, const char *, void *),
          void *arg)
{
	char *copy = xstrdup(v), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		str_trim(t);
		if (*t)
			fn(ld, t, arg);
	}
	free(copy);
}

static void
add_mandatory(struct loader *ld, const char *t, void *arg)
{
	struct profile *p = ld->p;

	(void)arg;
	if (!fields_is_canonical(t) || fields_is_extra(t)) {
		lerr(ld, "mandatory: unknown field '%s'", t);
		return;
	}
	if (profile_is_mandatory(p, t))
		return;
	p->mandatory = xrealloc(p->mandatory, (p->nmandatory + 1) * sizeof(char *));
	p->mandatory[p->nmandatory++] = xstrdup(t);
}

static void
add_date_format(struct loader *ld, const char *t, void *arg)
{
	struct profile *p = ld->p;
	struct date_format f;

	(void)arg;
	if (date_format_compile(t, &f) == -1) {
		lerr(ld,
		     "date_format: '%s' is not a date format (YYYY, MM, DD, hh, mm, ss, AM, Z, T "
		     "and separators, or iso8601; year and month required, a time needs the day)",
		     t);
		return;
	}
	p->dates = xrealloc(p->dates, (p->ndates + 1) * sizeof(*p->dates));
	p->dates[p->ndates++] = f;
}

static void
clear_record_element(struct profile *p)
{
	for (size_t i = 0; i < p->nmid; i++)
		free(p->record_mid[i]);
	free(p->record_mid);
	free(p->record_root);
	free(p->record_element);
	p->record_mid = NULL;
	p->nmid = 0;
	p->record_root = NULL;
	p->record_element = NULL;
	p->record_anywhere = false;
}

/*
 * "item" (a child of any root), "rss/channel/item" (the path from the
 * root), "//item" (at any depth): names as the file writes them, prefixes
 * included.
 */
static void
set_record_element(struct loader *ld, const char *v)
{
	struct profile *p = ld->p;
	char **parts = NULL;
	size_t n = 0, alloc = 0;
	const char *s = v;
	bool bad = !*v;

	clear_record_element(p);
	p->record_line = ld->line;
	if (str_startswith(v, "//")) {
		s = v + 2;
		p->record_anywhere = true;
	}
	while (!bad) {
		const char *slash = strchr(s, '/');
		size_t len = slash ? (size_t)(slash - s) : strlen(s);

		if (!parse_xml_name_ok(s, len)) {
			bad = true;
			break;
		}
		parts = xgrow(parts, &alloc, n + 1, sizeof(*parts));
		parts[n++] = xstrndup(s, len);
		if (!slash)
			break;
		s = slash + 1;
	}
	if (bad || (p->record_anywhere && n != 1)) {
		lerr(ld,
		     "record_element must be 'element', a path from the root such as "
		     "'rss/channel/item', or '//element' (any depth), not '%s'",
		     v);
		for (size_t i = 0; i < n; i++)
			free(parts[i]);
		free(parts);
		p->record_anywhere = false;
		return;
	}
	p->record_element = parts[n - 1];
	if (n >= 2) {
		p->record_root = parts[0];
		p->nmid = n - 2;
		p->record_mid = xcalloc(n, sizeof(*p->record_mid));
		for (size_t i = 0; i < p->nmid; i++)
			p->record_mid[i] = parts[i + 1];
	}
	free(parts);
}

/* Keys whose value is a word from a fixed list. */
static void
profile_word_key(struct loader *ld, const char *key, const char *v)
{
	static const char *const formats[] = {"csv", "xml", NULL};
	static const char *const units[] = {"km", "mi", "mil", NULL};
	static const enum mileage_unit unit_v[] = {MILEAGE_KM, MILEAGE_MI, MILEAGE_MIL};
	static const char *const ragged[] = {"refuse", "pad", NULL};
	static const char *const checks[] = {"warn", "strict", "off", NULL};
	static const enum vin_check check_v[] = {VIN_CHECK_WARN, VIN_CHECK_STRICT, VIN_CHECK_OFF};
	struct profile *p = ld->p;
	int i;

	if (!strcmp(key, "format")) {
		if ((i = conffile_word(v, formats)) >= 0)
			p->format = i ? PROFILE_XML : PROFILE_CSV;
		else
			lerr(ld, "format must be csv or xml, not '%s'", v);
	} else if (!strcmp(key, "charset")) {
		if (charset_from_name(v, &p->charset) == -1)
			lerr(ld,
			     "charset must be utf-8, windows-1252, iso-8859-15 or auto, not '%s'",
			     v);
	} else if (!strcmp(key, "decimal")) {
		if (strcmp(v, ".") != 0 && strcmp(v, ",") != 0)
			lerr(ld, "decimal must be . or , not '%s'", v);
		else
			p->decimal = v[0];
	} else if (!strcmp(key, "mileage_unit")) {
		if ((i = conffile_word(v, units)) >= 0)
			p->mileage_unit = unit_v[i];
		else
			lerr(ld, "mileage_unit must be km, mi or mil, not '%s'", v);
	} else if (!strcmp(key, "thousands")) {
		if (!strcmp(v, "none"))
			p->thousands = 0;
		else if (conffile_char(v, &p->thousands) ||
		         (p->thousands != '.' && p->thousands != ',' && p->thousands != ' ' &&
		          p->thousands != '\''))
			lerr(ld, "thousands must be . , space, ' or none, not '%s'", v);
	} else if (!strcmp(key, "ragged")) {
		if ((i = conffile_word(v, ragged)) >= 0)
			p->ragged_pad = i == 1;
		else
			lerr(ld, "ragged must be refuse or pad, not '%s'", v);
	} else if (!strcmp(key, "vin_check")) {
		if ((i = conffile_word(v, checks)) >= 0)
			p->vin_check = check_v[i];
		else
			lerr(ld, "vin_check must be warn, strict or off, not '%s'", v);
	} else {
		lerr(ld, "unknown key '%s' in [profile]", key);
	}
}

static void fields_key(struct loader *ld, const char *key, const char *v);

static void
profile_key(struct loader *ld, const char *key, const char *v)
{
	struct profile *p = ld->p;
	unsigned long long n;

	if (!strcmp(key, "delimiter")) {
		if (conffile_char(v, &p->delimiter))
			lerr(ld, "delimiter must be one character or its name (%s), not '%s'",
			     CONFFILE_CHAR_NAMES, v);
	} else if (!strcmp(key, "quote")) {
		if (!strcmp(v, "none"))
			p->quote = '\0'; /* no byte quotes: a NUL is a file error anyway */
		else if (conffile_char(v, &p->quote))
			lerr(ld, "quote must be one character or none, not '%s'", v);
	} else if (!strcmp(key, "header")) {
		if (conffile_bool(v, &p->header))
			lerr(ld, "header must be yes or no, not '%s'", v);
	} else if (!strcmp(key, "short_vin")) {
		if (conffile_bool(v, &p->short_vin))
			lerr(ld, "short_vin must be yes or no, not '%s'", v);
	} else if (!strcmp(key, "min_columns")) {
		if (parse_uint(v, 4096, &n))
			lerr(ld, "min_columns must be a number up to 4096, not '%s'", v);
		else
			p->min_columns = (size_t)n;
	} else if (!strcmp(key, "currency")) {
		if (strlen(v) != 3 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' ||
		    v[2] < 'A' || v[2] > 'Z')
			lerr(ld, "currency must be an ISO 4217 code such as EUR, not '%s'", v);
		else
			memcpy(p->currency, v, 4);
	} else if (!strcmp(key, "record_element")) {
		set_record_element(ld, v);
	} else if (!strcmp(key, "date_format") || !strcmp(key, "date_formats")) {
		free(p->dates);
		p->dates = NULL;
		p->ndates = 0;
		each_item(ld, v, add_date_format, NULL);
	} else if (!strcmp(key, "mandatory")) {
		each_item(ld, v, add_mandatory, NULL);
	} else if (!strcmp(key, "mileage_unit_from")) {
		fields_key(ld, "mileage_unit", v);
	} else {
		profile_word_key(ld, key, v);
	}
}

static void
add_source(struct loader *ld, const char *t, void *arg)
{
	struct profile_map *m = arg;
	unsigned long long pos = 0;

	char why[160];

	if (ld->p->format == PROFILE_XML && parse_xml_path_check(t, why, sizeof(why)) == -1) {
		lerr(ld,
		     "field '%s': '%s' is not an element path (Name, Parent/Name, g:name, "
		     "Name[@attr='value'], @attr, Name/@attr): %s",
		     m->field, t, why);
		return;
	}
	if (!ld->p->header && ld->p->format == PROFILE_CSV && parse_uint(t, 4095, &pos)) {
		lerr(ld, "field '%s': a position (0-4095) is needed without a header, not '%s'",
		     m->field, t);
		return;
	}
	m->sources = xrealloc(m->sources, (m->nsources + 1) * sizeof(*m->sources));
	m->position = xrealloc(m->position, (m->nsources + 1) * sizeof(*m->position));
	m->sources[m->nsources] = xstrdup(t);
	m->position[m->nsources] = !ld->p->header && ld->p->format == PROFILE_CSV ? (long)pos : -1;
	m->nsources++;
}

static void
fields_key(struct loader *ld, const char *key, const char *v)
{
	struct profile *p = ld->p;
	struct profile_map *m;

	if (!fields_is_canonical(key) || fields_is_extra(key)) {
		lerr(ld, "unknown canonical field '%s'", key);
		return;
	}
	if (profile_find(p, key)) {
		lerr(ld, "field '%s' mapped twice%s", key,
		     strcmp(key, "mileage_unit") == 0 ? " (mileage_unit_from maps it too)" : "");
		return;
	}
	p->maps = xrealloc(p->maps, (p->nmaps + 1) * sizeof(*p->maps));
	m = &p->maps[p->nmaps++];
	memset(m, 0, sizeof(*m));
	m->field = xstrdup(key);
	m->def = fields_find(key);
	m->kind = fields_kind(key);
	m->list_sep = m->kind == FIELD_LIST ? '|' : '\0';
	each_item(ld, v, add_source, m);
	if (m->nsources == 0)
		lerr(ld, "field '%s' names no source", key);
	else if (m->nsources > 1 && m->kind != FIELD_LIST)
		lerr(ld, "field '%s' is not a list: it takes one source, not %zu", key,
		     m->nsources);
}

static void
lists_key(struct loader *ld, const char *key, const char *v)
{
	struct profile_map *m = (struct profile_map *)profile_find(ld->p, key);
	char sep;

	if (!m) {
		lerr(ld, "list separator for '%s', which [fields] does not map (above)", key);
		return;
	}
	if (m->kind != FIELD_LIST) {
		lerr(ld, "'%s' is not a list field", key);
		return;
	}
	if (conffile_char(v, &sep))
		lerr(ld,
		     "list separator must be one character or its name (semicolon...), not "
		     "'%s'",
		     v);
	else
		m->list_sep = sep;
}

/* A [values:FIELD] line, kept until the whole file (and so [fields]) is read. */
static void
values_key(struct loader *ld, const char *field, const char *key, const char *v)
{
	struct profile *p = ld->p;
	const struct field_def *def = fields_find(field);
	char canon[32];

	if (!def) {
		lerr(ld, "[values:%s]: unknown canonical field '%s'", field, field);
		return;
	}
	if (def->kind == FIELD_LIST) {
		lerr(ld, "[values:%s]: list fields take no value map", field);
		return;
	}
	if (*v && def->kind == FIELD_ENUM && fields_enum_value(def, v, strlen(v), canon) == -1) {
		lerr(ld, "[values:%s]: '%s' is not a %s value (%s; empty = absent)", field, v,
		     field, def->extra);
		return;
	}
	for (size_t i = 0; i < p->npending; i++)
		if (!strcmp(p->pending_field[i], field) && !strcasecmp(p->pending[i].from, key)) {
			lerr(ld, "[values:%s]: '%s' is mapped twice (also line %d)", field, key,
			     p->pending[i].line);
			return;
		}
	p->pending = xrealloc(p->pending, (p->npending + 1) * sizeof(*p->pending));
	p->pending_field = xrealloc(p->pending_field, (p->npending + 1) * sizeof(char *));
	p->pending[p->npending] = (struct profile_value){xstrdup(key), xstrdup(v), ld->line};
	p->pending_field[p->npending++] = xstrdup(field);
}

static int
on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct loader *ld = user;
	char *v = str_trim(xstrdup(value));

	if (str_startswith(section, "values:"))
		values_key(ld, section + 7, key, v);
	else if (!strcmp(section, "profile"))
		profile_key(ld, key, v);
	else if (!strcmp(section, "fields"))
		fields_key(ld, key, v);
	else if (!strcmp(section, "lists"))
		lists_key(ld, key, v);
	else
		lerr(ld, "unknown section [%s]", section);
	free(v);
	return 1;
}

/* [values:] lines to their field's map; a field the profile does not read is an error. */
static void
attach_values(struct loader *ld)
{
	struct profile *p = ld->p;

	for (size_t i = 0; i < p->npending; i++) {
		struct profile_map *m = (struct profile_map *)profile_find(p, p->pending_field[i]);

		if (!m) {
			conffile_error(&ld->err, p->pending[i].line,
			               "[values:%s]: the profile does not map '%s' in [fields]",
			               p->pending_field[i], p->pending_field[i]);
			free(p->pending[i].from);
			free(p->pending[i].to);
		} else {
			m->values = xrealloc(m->values, (m->nvalues + 1) * sizeof(*m->values));
			m->values[m->nvalues++] = p->pending[i];
		}
		free(p->pending_field[i]);
	}
	free(p->pending);
	free(p->pending_field);
	p->pending = NULL;
	p->pending_field = NULL;
	p->npending = 0;
}

/* Checks that need the whole file: reported at line 0 (the file as a whole). */
static void
check_complete(void *arg)
{
	struct loader *ld = arg;
	struct profile *p = ld->p;

	attach_values(ld);
	if (p->nmaps == 0)
		lerr(ld, "profile '%s' maps no fields", p->name);
	for (size_t i = 0; i < p->nmandatory; i++)
		if (!profile_find(p, p->mandatory[i]))
			lerr(ld, "mandatory field '%s' is not mapped in [fields]", p->mandatory[i]);
	if (p->format == PROFILE_XML && !p->record_element)
		lerr(ld, "format xml needs record_element (e.g. inventory/vehicle)");
	if (p->format == PROFILE_CSV && p->record_element)
		lerr(ld, "record_element is for format xml");
	if (p->format == PROFILE_CSV && p->delimiter == p->quote)
		lerr(ld, "delimiter and quote are the same character");
	if (p->format == PROFILE_CSV && p->header && p->min_columns)
		lerr(ld, "min_columns is for profiles without a header");
	if (p->ndates == 0)
		add_date_format(ld, "YYYY-MM-DD", NULL);
	if (p->thousands && p->thousands == p->decimal)
		lerr(ld, "thousands and decimal are the same character");
}

int
profile_load(const char *confdir, const char *name, struct profile *p)
{
	struct loader ld = {.p = p};

	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->delimiter = ',';
	p->quote = '"';
	p->header = true;
	p->charset = CHARSET_UTF8;
	p->decimal = '.';
	p->mileage_unit = MILEAGE_KM;
	p->vin_check = VIN_CHECK_WARN;
	return conffile_read(confdir, "profiles", "profile", name, on_entry, check_complete, &ld,
	                     &ld.line, &ld.err, &p->path);
}

void
profile_release(struct profile *p)
{
	for (size_t i = 0; i < p->npending; i++) {
		free(p->pending[i].from);
		free(p->pending[i].to);
		free(p->pending_field[i]);
	}
	free(p->pending);
	free(p->pending_field);
	for (size_t i = 0; i < p->nmaps; i++) {
		for (size_t k = 0; k < p->maps[i].nvalues; k++) {
			free(p->maps[i].values[k].from);
			free(p->maps[i].values[k].to);
		}
		free(p->maps[i].values);
		for (size_t k = 0; k < p->maps[i].nsources; k++)
			free(p->maps[i].sources[k]);
		free(p->maps[i].sources);
		free(p->maps[i].position);
		free(p->maps[i].field);
	}
	for (size_t i = 0; i < p->nmandatory; i++)
		free(p->mandatory[i]);
	free(p->maps);
	free(p->mandatory);
	free(p->dates);
	free(p->name);
	free(p->path);
	clear_record_element(p);
	memset(p, 0, sizeof(*p));
}
