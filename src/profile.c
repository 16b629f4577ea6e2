/* profile.c - feed profiles: load the .ini, bind columns, map rows to records. */
#include "lotsync/profile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/conffile.h"
#include "lotsync/log.h"
#include "lotsync/util.h"

static const char *const canonical[] = {
        "dealer_id",
        "vin",
        "stock_no",
        "system_code",
        "vehicle_type",
        "year",
        "make",
        "model",
        "trim",
        "body",
        "exterior_color",
        "interior_color",
        "mileage",
        "price",
        "campaign_price",
        "old_price",
        "leasing_price",
        "currency",
        "fuel",
        "transmission",
        "registration_number",
        "first_registration",
        "model_year",
        "short_description",
        "description",
        "images",
        "equipment",
        "documents",
        "vat_deductible",
        "warranty",
        "service_plan",
        "exchange_right",
        "in_stock_date",
        "client",
};

bool
profile_is_canonical(const char *field)
{
	if (str_startswith(field, "extra.") && field[6] != '\0')
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(canonical); i++)
		if (strcmp(canonical[i], field) == 0)
			return true;
	return false;
}

bool
profile_is_list(const char *field)
{
	return strcmp(field, "images") == 0 || strcmp(field, "equipment") == 0 ||
	       strcmp(field, "documents") == 0;
}

/* State of one profile file being parsed, so errors can name file and line. */
struct loader {
	struct profile *p;
	const char *file;
	int errors;
	int line;
};

static void
lerr(struct loader *ld, const char *fmt, const char *a, const char *b)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, a, b);
	log_error("%s:%d: %s", ld->file, ld->line, msg);
	ld->errors++;
}

static struct profile_map *
find_map(struct profile *p, const char *field)
{
	for (size_t i = 0; i < p->nmaps; i++)
		if (strcmp(p->maps[i].field, field) == 0)
			return &p->maps[i];
	return NULL;
}

static struct profile_map *
add_map(struct profile *p, const char *field)
{
	struct profile_map *m = find_map(p, field);

	if (m)
		return m;
	p->maps = xrealloc(p->maps, (p->nmaps + 1) * sizeof(*p->maps));
	m = &p->maps[p->nmaps++];
	memset(m, 0, sizeof(*m));
	m->field = xstrdup(field);
	m->position = -1;
	return m;
}

static int
parse_char(const char *v, char *out)
{
	if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0) {
		*out = '\t';
		return 0;
	}
	if (strlen(v) != 1)
		return -1;
	*out = v[0];
	return 0;
}

static int
parse_yesno(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

static void
set_mandatory(struct loader *ld, const char *v)
{
	char *copy = xstrdup(v), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		str_trim(t);
		if (!profile_is_canonical(t)) {
			lerr(ld, "mandatory: unknown field '%s'%s", t, "");
			continue;
		}
		ld->p->mandatory =
		        xrealloc(ld->p->mandatory, (ld->p->nmandatory + 1) * sizeof(char *));
		ld->p->mandatory[ld->p->nmandatory++] = xstrdup(t);
	}
	free(copy);
}

static void
profile_key(struct loader *ld, const char *key, const char *v)
{
	struct profile *p = ld->p;

	if (!strcmp(key, "format")) {
		if (!strcmp(v, "csv"))
			p->format = PROFILE_CSV;
		else if (!strcmp(v, "xml"))
			p->format = PROFILE_XML;
		else
			lerr(ld, "format must be csv or xml, not '%s'%s", v, "");
	} else if (!strcmp(key, "delimiter")) {
		if (parse_char(v, &p->delimiter))
			lerr(ld, "delimiter must be one character or 'tab', not '%s'%s", v, "");
	} else if (!strcmp(key, "quote")) {
		if (parse_char(v, &p->quote))
			lerr(ld, "quote must be one character, not '%s'%s", v, "");
	} else if (!strcmp(key, "header")) {
		if (parse_yesno(v, &p->header))
			lerr(ld, "header must be yes or no, not '%s'%s", v, "");
	} else if (!strcmp(key, "charset")) {
		if (strcmp(v, "utf-8") != 0)
			lerr(ld, "charset '%s' is not supported yet (only utf-8)%s", v, "");
		free(p->charset);
		p->charset = xstrdup(v);
	} else if (!strcmp(key, "mandatory")) {
		set_mandatory(ld, v);
	} else {
		lerr(ld, "unknown key '%s' in [profile]%s", key, "");
	}
}

static void
fields_key(struct loader *ld, const char *key, const char *v)
{
	struct profile_map *m;
	unsigned long long pos;

	if (!profile_is_canonical(key) || str_startswith(key, "extra.")) {
		lerr(ld, "unknown canonical field '%s'%s", key, "");
		return;
	}
	if (find_map(ld->p, key) && find_map(ld->p, key)->column) {
		lerr(ld, "field '%s' mapped twice%s", key, "");
		return;
	}
	m = add_map(ld->p, key);
	if (!ld->p->header) {
		if (parse_uint(v, 100000, &pos)) {
			lerr(ld, "field '%s': position must be a number, not '%s'", key, v);
			return;
		}
		m->position = (long)pos;
	}
	free(m->column);
	m->column = xstrdup(v);
}

static void
lists_key(struct loader *ld, const char *key, const char *v)
{
	struct profile_map *m = find_map(ld->p, key);
	char sep;

	if (!m) {
		lerr(ld, "list separator for '%s', which [fields] does not map%s", key, "");
		return;
	}
	if (!profile_is_list(key)) {
		lerr(ld, "'%s' is not a list field%s", key, "");
		return;
	}
	if (parse_char(v, &sep))
		lerr(ld, "list separator must be one character, not '%s'%s", v, "");
	else
		m->list_sep = sep;
}

static int
on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct loader *ld = user;
	char *v = str_trim(xstrdup(value));

	if (!strcmp(section, "profile"))
		profile_key(ld, key, v);
	else if (!strcmp(section, "fields"))
		fields_key(ld, key, v);
	else if (!strcmp(section, "lists"))
		lists_key(ld, key, v);
	else
		lerr(ld, "unknown section [%s]%s", section, "");
	free(v);
	return 1;
}

static void
check_complete(struct loader *ld)
{
	struct profile *p = ld->p;

	if (p->format == PROFILE_XML)
		lerr(ld, "profile '%s': format xml is not built yet%s", p->name, "");
	if (p->nmaps == 0)
		lerr(ld, "profile '%s' maps no fields%s", p->name, "");
	for (size_t i = 0; i < p->nmandatory; i++)
		if (!find_map(p, p->mandatory[i]))
			lerr(ld, "mandatory field '%s' is not mapped in [fields]%s",
			     p->mandatory[i], "");
}

int
profile_load(const char *confdir, const char *name, struct profile *p)
{
	struct loader ld = {.p = p};
	int rc;

	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->delimiter = ',';
	p->quote = '"';
	p->header = true;
	p->charset = xstrdup("utf-8");
	p->path = conffile_locate(confdir, "profiles", name);
	if (!p->path)
		return log_error("profile '%s' not found in %s/profiles/ or %s/profiles/", name,
		                 confdir, conffile_sharedir());
	ld.file = p->path;
	if ((rc = conffile_parse(p->path, on_entry, &ld, &ld.line)) == -1)
		return -1;
	if (rc > 0) {
		ld.line = rc;
		lerr(&ld, "syntax error%s%s", "", "");
	}
	ld.line = 0;
	check_complete(&ld);
	return ld.errors;
}

void
profile_release(struct profile *p)
{
	for (size_t i = 0; i < p->nmaps; i++) {
		free(p->maps[i].field);
		free(p->maps[i].column);
	}
	for (size_t i = 0; i < p->nmandatory; i++)
		free(p->mandatory[i]);
	free(p->maps);
	free(p->mandatory);
	free(p->name);
	free(p->path);
	free(p->charset);
	memset(p, 0, sizeof(*p));
}

static bool
is_mandatory(const struct profile *p, const char *field)
{
	for (size_t i = 0; i < p->nmandatory; i++)
		if (strcmp(p->mandatory[i], field) == 0)
			return true;
	return false;
}

static long
column_of(const struct profile *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->nmaps; i++)
		if (p->maps[i].column && strlen(p->maps[i].column) == len &&
		    memcmp(p->maps[i].column, name, len) == 0)
			return (long)i;
	return -1;
}

int
profile_bind(const struct profile *p, const char *file, char **cols, const size_t *lens,
             size_t ncols, struct profile_binding *b)
{
	int missing = 0;

	b->ncols = ncols;
	b->map = xcalloc(ncols, sizeof(*b->map));
	b->extra_names = xcalloc(ncols, sizeof(*b->extra_names));
	for (size_t c = 0; c < ncols; c++) {
		b->map[c] = -1;
		for (size_t i = 0; !p->header && i < p->nmaps; i++)
			if (p->maps[i].position == (long)c)
				b->map[c] = (long)i;
		if (p->header)
			b->map[c] = column_of(p, cols[c], lens[c]);
		if (b->map[c] == -1)
			b->extra_names[c] = p->header
			                            ? xasprintf("extra.%.*s", (int)lens[c], cols[c])
			                            : xasprintf("extra.%zu", c);
	}
	for (size_t i = 0; p->header && i < p->nmaps; i++) {
		bool found = false;

		for (size_t c = 0; c < ncols && !found; c++)
			found = b->map[c] == (long)i;
		if (!found && is_mandatory(p, p->maps[i].field)) {
			log_error("%s:1: header has no column '%s' for mandatory field '%s'", file,
			          p->maps[i].column, p->maps[i].field);
			missing++;
		}
	}
	return missing ? -1 : 0;
}

void
profile_binding_release(struct profile_binding *b)
{
	for (size_t c = 0; c < b->ncols; c++)
		free(b->extra_names[c]);
	free(b->extra_names);
	free(b->map);
	memset(b, 0, sizeof(*b));
}

void
row_error_release(struct row_error *e)
{
	free(e->field);
	free(e->reason);
	memset(e, 0, sizeof(*e));
}

static enum ls_scope
reject(struct row_error *err, unsigned long line, const char *field, char *reason)
{
	err->line = line;
	err->field = field ? xstrdup(field) : NULL;
	err->reason = reason;
	return LS_BAD_RECORD;
}

/* Trimmed copy of a list value with the source separator turned into '|'. */
static void
set_value(struct record *r, const struct profile_map *m, const char *v, size_t len)
{
	char *s = str_trim(xstrndup(v, len));

	if (m->list_sep && m->list_sep != '|')
		for (char *q = s; *q; q++)
			if (*q == m->list_sep)
				*q = '|';
	if (!strcmp(m->field, "vin"))
		for (char *q = s; *q; q++)
			*q = (char)toupper((unsigned char)*q);
	record_set(r, m->field, s, strlen(s));
	free(s);
}

static enum ls_scope
make_key(const struct feed_conf *feed, unsigned long line, struct record *out,
         struct row_error *err)
{
	const char *vin = record_get(out, "vin"), *dealer = record_get(out, "dealer_id");
	const char *stock = record_get(out, "stock_no");

	if (feed->key == FEED_KEY_VIN) {
		if (!vin)
			return reject(err, line, "vin", xstrdup("missing VIN (the key)"));
		out->key = xstrdup(vin);
		return LS_OK;
	}
	if (!stock)
		return reject(err, line, "stock_no", xstrdup("missing stock number (the key)"));
	if (!dealer)
		return reject(err, line, "dealer_id",
		              xstrdup("missing dealer ID (part of the key)"));
	out->key = xasprintf("%s/%s", dealer, stock);
	return LS_OK;
}

enum ls_scope
profile_map_row(const struct profile *p, const struct profile_binding *b,
                const struct feed_conf *feed, char **vals, const size_t *lens, size_t nvals,
                unsigned long line, struct record *out, struct row_error *err)
{
	record_init(out);
	out->line = line;
	if (p->header && nvals != b->ncols) {
		return reject(err, line, NULL,
		              xasprintf("row has %zu fields, the header has %zu", nvals, b->ncols));
	}
	for (size_t c = 0; c < nvals; c++) {
		const struct profile_map *m =
		        c < b->ncols && b->map[c] >= 0 ? &p->maps[b->map[c]] : NULL;
		char *extra = NULL;

		if (!m) {
			extra = c < b->ncols ? NULL : xasprintf("extra.%zu", c);
			record_set(out, extra ? extra : b->extra_names[c], vals[c], lens[c]);
			free(extra);
			continue;
		}
		set_value(out, m, vals[c], lens[c]);
	}
	if (feed->dealer_id && !record_get(out, "dealer_id"))
		record_set(out, "dealer_id", feed->dealer_id, strlen(feed->dealer_id));
	for (size_t i = 0; i < p->nmandatory; i++)
		if (!record_get(out, p->mandatory[i]))
			return reject(err, line, p->mandatory[i],
			              xasprintf("missing mandatory field '%s'", p->mandatory[i]));
	if (make_key(feed, line, out, err) != LS_OK)
		return LS_BAD_RECORD;
	record_finish(out);
	return LS_OK;
}
