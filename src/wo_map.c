/* wo_map.c - work-order profiles and files into work-order and person records (see wo_map.h). */
#include "lotsync/wo_map.h"

#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lotsync/buf.h"
#include "lotsync/conffile.h"
#include "lotsync/input.h"
#include "lotsync/keymap.h"
#include "lotsync/log.h"
#include "lotsync/normalize.h"
#include "lotsync/parse_csv.h"
#include "lotsync/util.h"
#include "lotsync/xmlpath.h"

/* ---- profiles ---- */

struct loader {
	struct wo_profile *p;
	struct conffile_errors err;
	int line;
	bool kind_seen;
};

static void
profile_key(struct loader *ld, const char *key, const char *v)
{
	static const char *const formats[] = {"csv", "xml", NULL};
	static const char *const modes[] = {"full", "upsert", NULL};
	struct wo_profile *p = ld->p;
	int i;

	if (!strcmp(key, "kind")) {
		ld->kind_seen = !strcasecmp(v, "workorder");
		if (!ld->kind_seen)
			conffile_error(&ld->err, ld->line, "kind '%s' is not workorder", v);
	} else if (!strcmp(key, "format")) {
		if ((i = conffile_word(v, formats)) < 0)
			conffile_error(&ld->err, ld->line, "format must be csv or xml, not '%s'",
			               v);
		else
			p->xml = i == 1;
	} else if (!strcmp(key, "record_element")) {
		const char *slash = strchr(v, '/');

		conffile_set_copy(&p->record_element, slash ? slash + 1 : v);
		conffile_set_str(&p->record_root, slash ? xstrndup(v, (size_t)(slash - v)) : NULL);
	} else if (!strcmp(key, "delete_element")) {
		conffile_set_copy(&p->delete_element, v);
	} else if (!strcmp(key, "interventions")) {
		conffile_set_copy(&p->interventions, v);
	} else if (!strcmp(key, "persons")) {
		conffile_set_copy(&p->persons, v);
	} else if (!strcmp(key, "delimiter") || !strcmp(key, "quote") || !strcmp(key, "decimal")) {
		char c;

		if (conffile_char(v, &c) == -1)
			conffile_error(&ld->err, ld->line,
			               "%s must be one character or one of " CONFFILE_CHAR_NAMES,
			               key);
		else
			*(key[0] == 'd'
			          ? (key[1] == 'e' && key[2] == 'l' ? &p->delimiter : &p->decimal)
			          : &p->quote) = c;
	} else if (!strcmp(key, "charset")) {
		if (charset_from_name(v, &p->charset) == -1)
			conffile_error(&ld->err, ld->line, "unknown charset '%s'", v);
	} else if (!strcmp(key, "date_format")) {
		if (wo_date_format_compile(v, &p->date) == -1)
			conffile_error(
			        &ld->err, ld->line,
			        "date_format '%s': use DD, MM, YYYY, then HH and MM (minutes)", v);
	} else if (!strcmp(key, "mode")) {
		if ((i = conffile_word(v, modes)) < 0)
			conffile_error(&ld->err, ld->line, "mode must be full or upsert, not '%s'",
			               v);
		else
			p->mode = i ? FEED_MODE_UPSERT : FEED_MODE_FULL;
	} else {
		conffile_error(&ld->err, ld->line, "unknown key '%s' in [profile]", key);
	}
}

static void
fields_key(struct loader *ld, const char *key, const char *v)
{
	struct wo_profile *p = ld->p;
	enum wo_field_group g = WO_APPOINTMENT;
	const char *name = key;
	const struct wo_field *f;

	if (!strncmp(key, "intervention.", 13))
		g = WO_INTERVENTION, name = key + 13;
	else if (!strncmp(key, "person.", 7))
		g = WO_PERSON, name = key + 7;
	f = wo_field_find(g, name);
	if (!f && g == WO_APPOINTMENT)
		f = wo_field_find(WO_CAR, name);
	if (!f) {
		conffile_error(&ld->err, ld->line, "unknown work-order field '%s'", key);
		return;
	}
	if (!*v) {
		conffile_error(&ld->err, ld->line, "field '%s' names no source", key);
		return;
	}
	p->maps = xrealloc(p->maps, (p->nmaps + 1) * sizeof(*p->maps));
	p->maps[p->nmaps++] = (struct wo_source){.field = f, .source = xstrdup(v)};
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
	else
		conffile_error(&ld->err, ld->line, "unknown section [%s]", section);
	free(v);
	return 1;
}

static const struct wo_source *
find_map(const struct wo_profile *p, enum wo_field_group g, const char *name)
{
	for (size_t i = 0; i < p->nmaps; i++)
		if (p->maps[i].field->group == g && !strcmp(p->maps[i].field->name, name))
			return &p->maps[i];
	return NULL;
}

static void
check_complete(void *arg)
{
	struct loader *ld = arg;
	struct wo_profile *p = ld->p;

	if (!ld->kind_seen)
		conffile_error(&ld->err, 0, "not a work-order profile (no kind = workorder)");
	if (!find_map(p, WO_APPOINTMENT, "dms_number") || !find_map(p, WO_APPOINTMENT, "wo_number"))
		conffile_error(&ld->err, 0,
		               "the key fields dms_number and wo_number must be mapped");
	if (p->xml && !p->record_element)
		conffile_error(&ld->err, 0, "format xml needs record_element");
	if (!p->xml && (p->record_element || p->delete_element || p->interventions || p->persons))
		conffile_error(&ld->err, 0,
		               "record_element, delete_element, interventions and persons are for "
		               "format xml");
	if (!p->date.nparts)
		wo_date_format_compile("YYYY-MM-DD HH:MM", &p->date);
}

/* The [profile] kind of a profile file, read without loading it. */
static int
on_kind(void *user, const char *section, const char *key, const char *value)
{
	int *is = user;

	if (!strcmp(section, "profile") && !strcmp(key, "kind"))
		*is = !strcasecmp(value, "workorder");
	return 1;
}

int
wo_profile_is_workorder(const char *confdir, const char *name)
{
	char *path = conffile_locate(confdir, "profiles", name);
	int is = 0, line = 0;

	if (!path)
		return -1;
	if (conffile_parse(path, on_kind, &is, &line) == -1)
		is = -1;
	free(path);
	return is;
}

int
wo_profile_load(const char *confdir, const char *name, struct wo_profile *p)
{
	struct loader ld = {.p = p};

	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->delimiter = ';';
	p->quote = '"';
	p->decimal = ',';
	p->charset = CHARSET_UTF8;
	p->mode = FEED_MODE_FULL;
	return conffile_read(confdir, "profiles", "profile", name, on_entry, check_complete, &ld,
	                     &ld.line, &ld.err, &p->path);
}

void
wo_profile_release(struct wo_profile *p)
{
	for (size_t i = 0; i < p->nmaps; i++)
		free(p->maps[i].source);
	free(p->maps);
	free(p->name);
	free(p->path);
	free(p->record_root);
	free(p->record_element);
	free(p->delete_element);
	free(p->interventions);
	free(p->persons);
	memset(p, 0, sizeof(*p));
}

enum feed_mode
wo_feed_mode(const struct feed_conf *feed, const struct wo_profile *p)
{
	return feed->mode != FEED_MODE_DEFAULT ? feed->mode : p->mode;
}

/* ---- one file's work orders ---- */

struct item {
	struct record rec;
	struct wo_when appt, created;
	bool has_appt, has_created;
	bool bad; /* refused: reported, not delivered */
	unsigned ninterventions;
};

struct wo_file {
	const struct wo_profile *p;
	const struct feed_conf *feed;
	const char *name;
	const struct reader_cb *cb;
	struct item *wos, *persons;
	size_t nwos, awos, npersons, apersons;
	struct keymap wokeys, personkeys; /* key -> index + 1 (in version) */
	long long ambiguous;
	unsigned long first_ambiguous;
	enum ls_scope stop; /* a callback asked to stop */
};

static struct item *
item_get(struct wo_file *w, bool person, const char *key, unsigned long line, bool *fresh)
{
	struct keymap *m = person ? &w->personkeys : &w->wokeys;
	struct keymap_entry *e = keymap_get(m, key);
	struct item **v = person ? &w->persons : &w->wos;
	size_t *n = person ? &w->npersons : &w->nwos, *a = person ? &w->apersons : &w->awos;
	struct item *it;

	*fresh = false;
	if (e)
		return &(*v)[e->version - 1];
	*v = xgrow(*v, a, *n + 1, sizeof(**v));
	it = &(*v)[(*n)++];
	memset(it, 0, sizeof(*it));
	record_init(&it->rec);
	it->rec.key = xstrdup(key);
	it->rec.line = line;
	keymap_put(m, key)->version = (long long)*n;
	*fresh = true;
	return it;
}

static void
wo_file_release(struct wo_file *w)
{
	for (size_t i = 0; i < w->nwos; i++)
		record_release(&w->wos[i].rec);
	for (size_t i = 0; i < w->npersons; i++)
		record_release(&w->persons[i].rec);
	free(w->wos);
	free(w->persons);
	keymap_release(&w->wokeys);
	keymap_release(&w->personkeys);
}

/* Refuse a work order: one row error (with its key), its record is not delivered. */
static void
refuse(struct wo_file *w, struct item *it, unsigned long line, const char *field, char *reason)
{
	struct row_error e = {.line = line,
	                      .field = field ? xstrdup(field) : NULL,
	                      .reason = reason,
	                      .key = it && it->rec.key ? xstrdup(it->rec.key) : NULL};
	enum ls_scope sc;

	if (it && it->bad) {
		row_error_release(&e);
		return;
	}
	if (it)
		it->bad = true;
	sc = w->cb->reject(w->cb->ctx, &e);
	if (sc > LS_BAD_RECORD && sc > w->stop)
		w->stop = sc;
}

static int
read_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "j", "ja", "y", "yes", "true", "waar"};
	static const char *const no[] = {"0", "n", "nee", "no", "false", "onwaar"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (!strcasecmp(s, yes[i]))
			return *out = true, 0;
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (!strcasecmp(s, no[i]))
			return *out = false, 0;
	return -1;
}

/* Local wall time in the process's TZ (set for the file) to "…Z". */
static int
when_utc(const struct wo_when *w, char out[21])
{
	struct tm tm = {.tm_year = w->y - 1900,
	                .tm_mon = w->mo - 1,
	                .tm_mday = w->d,
	                .tm_hour = w->h,
	                .tm_min = w->mi,
	                .tm_isdst = -1};
	time_t t = mktime(&tm);
	struct tm u;

	if (t == (time_t)-1 || !gmtime_r(&t, &u))
		return -1;
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &u);
	return 0;
}

/*
 * One value into its canonical form, set on rec as name. Returns NULL or
 * the reason (caller frees). *when gets a date-time's local reading.
 */
static char *
set_value(struct wo_file *w, struct record *rec, const struct wo_field *f, const char *name,
          const char *s, struct wo_when *when, bool *has_when)
{
	size_t n = strlen(s);
	char out[NORM_NUM_MAX + 24];
	const char *why;
	struct wo_when t;
	bool b;

	switch (f->kind) {
	case WO_TEXT: record_set(rec, name, s, n); return NULL;
	case WO_BOOL:
		if (read_bool(s, &b) == -1)
			return xasprintf("'%s' is not a yes/no value", s);
		record_set(rec, name, b ? "true" : "false", b ? 4 : 5);
		return NULL;
	case WO_WHEN:
	case WO_DATE:
		if ((why = wo_when_parse(&w->p->date, s, n, &t)) != NULL)
			return xasprintf("'%s' %s (%s)", s, why, w->p->date.text);
		if (f->kind == WO_DATE) {
			snprintf(out, sizeof(out), "%04d-%02d-%02d", t.y, t.mo, t.d);
		} else {
			if (when_utc(&t, out) == -1)
				return xasprintf("'%s' is not a time in %s", s,
				                 w->feed && w->feed->timezone ? w->feed->timezone
				                                              : "Europe/Amsterdam");
			if (when)
				*when = t, *has_when = true;
		}
		record_set(rec, name, out, strlen(out));
		return NULL;
	case WO_MONEY: {
		struct norm_money m;

		if ((why = norm_money(s, n, w->p->decimal, "EUR", &m)) != NULL)
			return xasprintf("'%s' %s", s, why);
		snprintf(out, sizeof(out), "%lld", m.minor);
		record_set(rec, name, out, strlen(out));
		return NULL;
	}
	case WO_INTEGER: {
		long long v;
		enum mileage_unit u = MILEAGE_KM;
		bool named;

		if ((why = norm_mileage(s, n, w->p->decimal == ',' ? '.' : ',', &v, &u, &named)) !=
		    NULL)
			return xasprintf("'%s' %s", s, why);
		snprintf(out, sizeof(out), "%lld", v);
		record_set(rec, name, out, strlen(out));
		return NULL;
	}
	case WO_VIN: {
		char *v = xstrdup(s);

		for (char *c = v; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		record_set(rec, name, v, n);
		free(v);
		return NULL;
	}
	}
	return NULL;
}

/* One mapped source value (trimmed; empty = absent) of group g into item it. */
static void
put(struct wo_file *w, struct item *it, const struct wo_source *m, const char *value,
    unsigned long line, unsigned intervention)
{
	char name[48], *why, *v = str_trim(xstrdup(value));
	struct wo_when *when = NULL;
	bool *has = NULL;

	if (!*v || it->bad)
		goto out;
	if (m->field->group == WO_INTERVENTION)
		wo_intervention_field(name, sizeof(name), intervention, m->field->name);
	else
		snprintf(name, sizeof(name), "%s", m->field->name);
	if (!strcmp(name, "appointment_at"))
		when = &it->appt, has = &it->has_appt;
	else if (!strcmp(name, "created_at"))
		when = &it->created, has = &it->has_created;
	if ((why = set_value(w, &it->rec, m->field, name, v, when, has)) != NULL) {
		/* A person's values are personal data: the reason names the field only. */
		if (m->field->group == WO_PERSON && wo_field_personal(m->field->name)) {
			free(why);
			why = xstrdup("cannot be read");
		}
		refuse(w, it, line, name, why);
	}
out:
	free(v);
}

/* The typo guard and the ambiguity count for one work order before it is delivered. */
static void
judge_dates(struct wo_file *w, struct item *it)
{
	struct wo_when sw;
	bool has_swap, ambiguous;
	char read[17], other[17], utc[21], *msg;
	struct row_warning warn = {.code = "date_typo", .field = "appointment_at"};
	int horizon = w->feed ? w->feed->date_horizon : 180;

	if (!it->has_appt || !it->has_created)
		return;
	switch (wo_typo_check(&it->appt, &it->created, horizon, &sw, &has_swap, &ambiguous)) {
	case WO_DATE_OK:
		if (ambiguous && !w->ambiguous++)
			w->first_ambiguous = it->rec.line;
		return;
	case WO_DATE_IMPLAUSIBLE: return;
	case WO_DATE_TYPO: break;
	}
	wo_when_local_text(&it->appt, read);
	wo_when_local_text(&sw, other);
	record_set(&it->rec, "date_typo", "probable date typo", 18);
	if (when_utc(&sw, utc) == 0)
		record_set(&it->rec, "appointment_swapped_at", utc, strlen(utc));
	msg = xasprintf("work order %s: probable date typo: appointment read as %s (local), "
	                "implausible against its creation; day and month swapped it reads %s",
	                record_get(&it->rec, "wo_number") ? record_get(&it->rec, "wo_number")
	                                                  : it->rec.key,
	                read, other);
	log_warn("%s:%lu: %s", w->name, it->rec.line, msg);
	warn.line = it->rec.line;
	warn.message = msg;
	if (w->cb->warn)
		w->cb->warn(w->cb->ctx, &warn);
	free(msg);
}

static enum ls_scope
deliver(struct wo_file *w)
{
	enum ls_scope sc;

	for (size_t i = 0; i < w->nwos && w->stop <= LS_BAD_RECORD; i++) {
		struct item *it = &w->wos[i];

		if (it->bad)
			continue;
		judge_dates(w, it);
		record_finish(&it->rec);
		if ((sc = w->cb->record(w->cb->ctx, &it->rec)) > LS_BAD_RECORD)
			return sc;
	}
	for (size_t i = 0; i < w->npersons && w->stop <= LS_BAD_RECORD; i++) {
		struct item *it = &w->persons[i];

		if (it->bad)
			continue;
		record_finish(&it->rec);
		if ((sc = w->cb->record(w->cb->ctx, &it->rec)) > LS_BAD_RECORD)
			return sc;
	}
	if (w->ambiguous && w->cb->warn) {
		char *msg = xasprintf("%lld work order%s with an appointment whose day and month "
		                      "read both ways plausibly (first on line %lu); read as %s",
		                      w->ambiguous, w->ambiguous > 1 ? "s" : "", w->first_ambiguous,
		                      w->p->date.text);
		struct row_warning warn = {.code = "ambiguous_dates",
		                           .line = w->first_ambiguous,
		                           .field = "appointment_at",
		                           .message = msg};

		w->cb->warn(w->cb->ctx, &warn);
		free(msg);
	}
	return w->stop;
}

static char *
make_key(const char *dms, const char *wo)
{
	return xasprintf("%s/%s", dms, wo);
}

/*
 * The work order dms/wo of the row at line (*fresh: its first row), or NULL
 * after refusing a row whose key field is empty.
 */
static struct item *
workorder_item(struct wo_file *w, const char *dms, const char *wo, unsigned long line, bool *fresh)
{
	struct item *it;
	char *key;

	if (!dms || !*dms || !wo || !*wo) {
		refuse(w, NULL, line, !dms || !*dms ? "dms_number" : "wo_number",
		       xstrdup("the key field is empty"));
		return NULL;
	}
	key = make_key(dms, wo);
	it = item_get(w, false, key, line, fresh);
	free(key);
	return it;
}

/* ---- XML ---- */

static void
map_group(struct wo_file *w, struct item *it, xmlNodePtr node, enum wo_field_group g,
          unsigned long line, unsigned intervention)
{
	for (size_t i = 0; i < w->p->nmaps; i++) {
		const struct wo_source *m = &w->p->maps[i];
		char *v;

		if ((m->field->group == WO_INTERVENTION || m->field->group == WO_PERSON) !=
		            (g == WO_INTERVENTION || g == WO_PERSON) ||
		    ((g == WO_INTERVENTION || g == WO_PERSON) && m->field->group != g))
			continue;
		if (g == WO_PERSON && !strcmp(m->field->name, "id"))
			continue;
		if ((v = xmlpath_text(node, m->source)) != NULL)
			put(w, it, m, v, line, intervention);
		free(v);
	}
}

static void
xml_persons(struct wo_file *w, xmlNodePtr wo)
{
	const struct wo_source *idm = find_map(w->p, WO_PERSON, "id");
	xmlNodePtr nodes[256];
	size_t n;

	if (!w->p->persons || !idm)
		return;
	n = xmlpath_each(wo, w->p->persons, nodes, ARRAY_SIZE(nodes));
	for (size_t i = 0; i < n; i++) {
		char *id = xmlpath_text(nodes[i], idm->source), *key;
		unsigned long line = (unsigned long)xmlGetLineNo(nodes[i]);
		struct item *it;
		bool fresh;

		if (id)
			str_trim(id);
		if (!id || !*id) {
			free(id);
			continue; /* a person without an id cannot be named by a work order */
		}
		key = xasprintf(WO_PERSON_PREFIX "%s", id);
		it = item_get(w, true, key, line, &fresh);
		if (fresh) {
			record_set(&it->rec, "person_id", id, strlen(id));
			map_group(w, it, nodes[i], WO_PERSON, line, 0);
		}
		free(key);
		free(id);
	}
}

static void
xml_workorder(struct wo_file *w, xmlNodePtr node)
{
	const struct wo_source *dm = find_map(w->p, WO_APPOINTMENT, "dms_number"),
	                       *wm = find_map(w->p, WO_APPOINTMENT, "wo_number");
	unsigned long line = (unsigned long)xmlGetLineNo(node);
	char *dms = xmlpath_text(node, dm->source), *wo = xmlpath_text(node, wm->source);
	struct item *it;
	bool fresh;

	if (dms)
		str_trim(dms);
	if (wo)
		str_trim(wo);
	if (!(it = workorder_item(w, dms, wo, line, &fresh)))
		goto out;
	if (!fresh) {
		refuse(w, NULL, line, "wo_number",
		       xasprintf("duplicate work order '%s/%s' (first on line %lu)", dms, wo,
		                 it->rec.line));
		goto out;
	}
	map_group(w, it, node, WO_APPOINTMENT, line, 0);
	if (w->p->interventions) {
		xmlNodePtr nodes[WO_MAX_INTERVENTIONS];
		size_t n = xmlpath_each(node, w->p->interventions, nodes, ARRAY_SIZE(nodes));

		for (size_t i = 0; i < n; i++)
			map_group(w, it, nodes[i], WO_INTERVENTION,
			          (unsigned long)xmlGetLineNo(nodes[i]), ++it->ninterventions);
	}
	xml_persons(w, node);
out:
	free(dms);
	free(wo);
}

static void
xml_deleted(struct wo_file *w, xmlNodePtr node)
{
	const struct wo_source *dm = find_map(w->p, WO_APPOINTMENT, "dms_number"),
	                       *wm = find_map(w->p, WO_APPOINTMENT, "wo_number");
	char *dms = xmlpath_text(node, dm->source), *wo = xmlpath_text(node, wm->source);
	unsigned long line = (unsigned long)xmlGetLineNo(node);

	if (dms)
		str_trim(dms);
	if (wo)
		str_trim(wo);
	if (!dms || !*dms || !wo || !*wo) {
		refuse(w, NULL, line, "wo_number", xstrdup("a delete entry without its key"));
	} else if (w->cb->remove) {
		char *key = make_key(dms, wo);
		enum ls_scope sc = w->cb->remove(w->cb->ctx, key, line);

		if (sc > LS_BAD_RECORD && sc > w->stop)
			w->stop = sc;
		free(key);
	}
	free(dms);
	free(wo);
}

static void
quiet_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static enum ls_scope
read_xml(struct wo_file *w, const char *data, size_t len, char **why)
{
	xmlTextReaderPtr r;
	int rc;
	bool root_seen = false;

	/* No DTD at all: no entity can be declared, none is ever loaded. */
	if (memmem(data, len, "<!DOCTYPE", 9)) {
		*why = xstrdup("document has a DOCTYPE: refused");
		return LS_BAD_FILE;
	}
	xmlSetGenericErrorFunc(NULL, quiet_error);
	r = xmlReaderForMemory(data, (int)len, NULL, "UTF-8",
	                       XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOCDATA |
	                               XML_PARSE_BIG_LINES);
	if (!r) {
		*why = xstrdup("cannot start the XML reader");
		return LS_BAD_FILE;
	}
	rc = xmlTextReaderRead(r);
	while (rc == 1 && w->stop <= LS_BAD_RECORD) {
		const char *name = (const char *)xmlTextReaderConstLocalName(r);
		int depth = xmlTextReaderDepth(r);
		bool element = xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT;
		xmlNodePtr node;

		if (element && depth == 0) {
			if (w->p->record_root && strcmp(name, w->p->record_root)) {
				*why = xasprintf("root element <%s>, expected <%s>", name,
				                 w->p->record_root);
				xmlFreeTextReader(r);
				return LS_BAD_FILE;
			}
			root_seen = true;
		} else if (element && depth == 1 &&
		           (!strcmp(name, w->p->record_element) ||
		            (w->p->delete_element && !strcmp(name, w->p->delete_element)))) {
			/* One work order's subtree at a time: memory is one record. */
			if (!(node = xmlTextReaderExpand(r))) {
				rc = -1; /* it does not end: truncated or broken */
				break;
			}
			if (!strcmp(name, w->p->record_element))
				xml_workorder(w, node);
			else
				xml_deleted(w, node);
			rc = xmlTextReaderNext(r); /* past the subtree, onto what follows */
			continue;
		}
		rc = xmlTextReaderRead(r);
	}
	if (rc == -1 || !root_seen) {
		const xmlError *e = xmlGetLastError();
		char *close = root_seen && w->p->record_root ? xasprintf("</%s>", w->p->record_root)
		                                             : NULL;
		/* A document that stops before its root element closes was cut short. */
		bool cut = root_seen && (!close || !memmem(data, len, close, strlen(close)));

		*why = xasprintf("%s%s",
		                 cut         ? "truncated: "
		                 : root_seen ? ""
		                             : "no root element: ",
		                 e && e->message ? e->message : "not well-formed XML");
		str_trim(*why);
		free(close);
		xmlFreeTextReader(r);
		return LS_BAD_FILE;
	}
	xmlFreeTextReader(r);
	return w->stop > LS_BAD_RECORD ? w->stop : LS_OK;
}

/* ---- CSV ---- */

struct csv_state {
	struct wo_file *w;
	long *col; /* per map: column index, -1 when the header lacks it */
	bool header_done;
	size_t ncols; /* of the header */
	const struct pcsv_result *res;
	char *error;
};

static char *
span_text(const struct span *s)
{
	return xstrndup(s->p, s->n);
}

static enum ls_scope
csv_header(struct csv_state *cs, const struct span *f, size_t n)
{
	const struct wo_profile *p = cs->w->p;

	cs->col = xcalloc(p->nmaps + 1, sizeof(*cs->col));
	for (size_t i = 0; i < p->nmaps; i++) {
		cs->col[i] = -1;
		for (size_t k = 0; k < n; k++) {
			char *h = str_trim(span_text(&f[k]));

			if (!strcasecmp(h, p->maps[i].source))
				cs->col[i] = (long)k;
			free(h);
			if (cs->col[i] >= 0)
				break;
		}
		if (cs->col[i] < 0 && (!strcmp(p->maps[i].field->name, "dms_number") ||
		                       !strcmp(p->maps[i].field->name, "wo_number"))) {
			cs->error = xasprintf("the header has no column '%s' (field %s)",
			                      p->maps[i].source, p->maps[i].field->name);
			return LS_BAD_FILE;
		}
	}
	cs->header_done = true;
	cs->ncols = n;
	return LS_OK;
}

static char *
csv_cell(const struct csv_state *cs, size_t map, const struct span *f, size_t n)
{
	long c = cs->col[map];

	if (c < 0 || (size_t)c >= n)
		return NULL;
	return str_trim(span_text(&f[c]));
}

static enum ls_scope
csv_row(void *ctx, unsigned long line, const struct span *f, const unsigned char *plain, size_t n)
{
	struct csv_state *cs = ctx;
	struct wo_file *w = cs->w;
	const struct wo_profile *p = w->p;
	char *dms = NULL, *wo = NULL, *pid = NULL;
	struct item *it;
	bool fresh, any = false;
	unsigned index;

	(void)plain;
	if (!cs->header_done)
		return csv_header(cs, f, n);
	if (n == 1 && f[0].n == 0)
		return LS_OK; /* an empty line */
	/* A short last row without its line end: the transfer was cut. */
	if (cs->res->unterminated && n < cs->ncols) {
		cs->error =
		        xasprintf("truncated: the last row (line %lu) has %zu of %zu fields and "
		                  "no line end",
		                  line, n, cs->ncols);
		return LS_BAD_FILE;
	}
	for (size_t i = 0; i < p->nmaps; i++) {
		if (!strcmp(p->maps[i].field->name, "dms_number") &&
		    p->maps[i].field->group == WO_APPOINTMENT)
			dms = csv_cell(cs, i, f, n);
		else if (!strcmp(p->maps[i].field->name, "wo_number"))
			wo = csv_cell(cs, i, f, n);
	}
	if (!(it = workorder_item(w, dms, wo, line, &fresh)))
		goto out;
	/* The work-order columns repeat on every row: the first row gives them. */
	for (size_t i = 0; fresh && i < p->nmaps; i++) {
		char *v;

		if (p->maps[i].field->group != WO_APPOINTMENT && p->maps[i].field->group != WO_CAR)
			continue;
		if ((v = csv_cell(cs, i, f, n)) != NULL)
			put(w, it, &p->maps[i], v, line, 0);
		free(v);
	}
	for (size_t i = 0; i < p->nmaps; i++) {
		char *v;

		if (p->maps[i].field->group == WO_INTERVENTION && (v = csv_cell(cs, i, f, n))) {
			any = any || *v;
			free(v);
		}
	}
	if (any && it->ninterventions < WO_MAX_INTERVENTIONS) {
		index = ++it->ninterventions;
		for (size_t i = 0; i < p->nmaps; i++) {
			char *v;

			if (p->maps[i].field->group != WO_INTERVENTION)
				continue;
			if ((v = csv_cell(cs, i, f, n)) != NULL)
				put(w, it, &p->maps[i], v, line, index);
			free(v);
		}
	}
	for (size_t i = 0; i < p->nmaps; i++)
		if (p->maps[i].field->group == WO_PERSON && !strcmp(p->maps[i].field->name, "id"))
			pid = csv_cell(cs, i, f, n);
	if (pid && *pid) {
		char *pkey = xasprintf(WO_PERSON_PREFIX "%s", pid);
		struct item *person = item_get(w, true, pkey, line, &fresh);

		free(pkey);
		if (fresh) {
			record_set(&person->rec, "person_id", pid, strlen(pid));
			for (size_t i = 0; i < p->nmaps; i++) {
				char *v;

				if (p->maps[i].field->group != WO_PERSON ||
				    !strcmp(p->maps[i].field->name, "id"))
					continue;
				if ((v = csv_cell(cs, i, f, n)) != NULL)
					put(w, person, &p->maps[i], v, line, 0);
				free(v);
			}
		}
	}
out:
	free(pid);
	free(dms);
	free(wo);
	return w->stop > LS_BAD_RECORD ? w->stop : LS_OK;
}

static enum ls_scope
read_csv(struct wo_file *w, const char *data, size_t len, char **why)
{
	struct pcsv_opts o = {.delimiter = w->p->delimiter, .quote = w->p->quote};
	struct pcsv_result res = {0};
	struct csv_state cs = {.w = w, .res = &res};

	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		data += 3, len -= 3;
	pcsv_parse_chunk(&o, data, len, true, csv_row, &cs, &res);
	free(cs.col);
	if (cs.error) {
		*why = cs.error;
		free(res.error);
		return LS_BAD_FILE;
	}
	if (res.scope == LS_BAD_FILE) {
		*why = xasprintf("%lu: %s", res.error_line, res.error ? res.error : "bad CSV");
		free(res.error);
		return LS_BAD_FILE;
	}
	free(res.error);
	if (!cs.header_done && len > 0) {
		*why = xstrdup("no header");
		return LS_BAD_FILE;
	}
	return res.scope > LS_BAD_RECORD ? res.scope : LS_OK;
}

/* ---- both ---- */

/* UTF-8, converted from the profile's (or the feed's) 8-bit charset. Caller frees *out. */
static enum ls_scope
to_utf8(const struct wo_profile *p, const struct feed_conf *feed, const char *data, size_t len,
        char **out, size_t *outlen, char **why)
{
	enum charset cs = p->charset;
	struct charset_conv conv;
	size_t bad;
	long n;

	if (feed && feed->charset)
		charset_from_name(feed->charset, &cs);
	if (cs == CHARSET_UTF8 || cs == CHARSET_AUTO) {
		size_t at = charset_utf8_check(data, len);

		if (at == len) {
			*out = xstrndup(data, len);
			*outlen = len;
			return LS_OK;
		}
		if (cs == CHARSET_UTF8) {
			*why = xasprintf("byte %zu is not UTF-8", at);
			return LS_BAD_FILE;
		}
		cs = CHARSET_WINDOWS_1252;
	}
	if (charset_conv_open(&conv, cs) == -1)
		return LS_BAD_FEED;
	*out = xmalloc(3 * len + 1);
	n = charset_conv_run(&conv, data, len, *out, &bad);
	charset_conv_close(&conv);
	if (n < 0) {
		free(*out);
		*out = NULL;
		*why = xasprintf("byte %zu does not decode as %s", bad, charset_name(cs));
		return LS_BAD_FILE;
	}
	(*out)[n] = '\0';
	*outlen = (size_t)n;
	return LS_OK;
}

/* Local times are the feed's zone: TZ is set for the file and put back after. */
static char *
tz_begin(const struct feed_conf *feed)
{
	const char *old = getenv("TZ");
	char *saved = old ? xasprintf("=%s", old) : NULL;

	setenv("TZ", feed && feed->timezone ? feed->timezone : "Europe/Amsterdam", 1);
	tzset();
	return saved;
}

static void
tz_end(char *saved)
{
	if (saved)
		setenv("TZ", saved + 1, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

enum ls_scope
wo_read_mem(const struct wo_profile *p, const struct feed_conf *feed, const void *data, size_t len,
            const char *name, const struct reader_cb *cb, char **why)
{
	struct wo_file w = {.p = p, .feed = feed, .name = name, .cb = cb};
	char *text = NULL, *tz;
	size_t n = 0;
	enum ls_scope sc;

	*why = NULL;
	if ((sc = to_utf8(p, feed, data, len, &text, &n, why)) != LS_OK) {
		if (*why)
			log_error("%s: %s", name, *why);
		return sc;
	}
	keymap_init(&w.wokeys);
	keymap_init(&w.personkeys);
	tz = tz_begin(feed);
	sc = p->xml ? read_xml(&w, text, n, why) : read_csv(&w, text, n, why);
	if (sc <= LS_BAD_RECORD)
		sc = deliver(&w);
	tz_end(tz);
	if (sc == LS_BAD_FILE && *why)
		log_error("%s: %s", name, *why);
	wo_file_release(&w);
	free(text);
	return sc;
}

enum ls_scope
wo_read(const struct wo_profile *p, const struct feed_conf *feed, const char *path,
        const char *name, const struct reader_cb *cb, char **why)
{
	struct input *in = NULL;
	struct buf b;
	char chunk[65536];
	ssize_t got;
	enum ls_scope sc;

	*why = NULL;
	if ((sc = input_open(path, p->xml ? "xml" : "csv", &in, why)) != LS_OK) {
		if (*why)
			log_error("%s: %s", name, *why);
		return sc;
	}
	buf_init(&b, LS_MAX_WO_FILE);
	while ((got = input_read(in, chunk, sizeof(chunk))) > 0)
		if (buf_append(&b, chunk, (size_t)got) == -1) {
			*why = xasprintf("larger than %zu MiB, the cap of a work-order file",
			                 LS_MAX_WO_FILE >> 20);
			got = -2;
			break;
		}
	if (got == -1) {
		sc = input_scope(in);
		*why = xstrdup(input_why(in) ? input_why(in) : "read error");
		log_error("%s: %s", name, *why);
	} else if (got == -2) {
		sc = LS_BAD_FILE;
		log_error("%s: %s", name, *why);
	} else {
		sc = wo_read_mem(p, feed, b.p, b.len, name, cb, why);
	}
	buf_release(&b);
	input_close(in);
	return sc;
}
