/* wo_render.c - work orders into workorder-csv, -xml, -jsonl files (see wo_render.h). */
#include "lotsync/wo_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/buf.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/recjson.h"
#include "lotsync/util.h"
#include "lotsync/wo.h"
#include "lotsync/wo_map.h"

struct wo_render {
	enum wo_format f;
	int fd;
	bool delta;
	wo_person_fn person;
	void *ctx;
	struct buf out;
	struct recjson rec, pers;
	struct render_stats st;
	char sha[FSIO_SHA256_HEX];
	bool full; /* the cap was reached */
};

/* The work order's own fields, in output order (interventions and persons apart). */
static const char *const columns[] = {
        "dms_number",
        "wo_number",
        "appointment_at",
        "created_at",
        "scheduled_in_at",
        "scheduled_out_at",
        "customer_waiting",
        "billed",
        "notes",
        "in_shop",
        "internal",
        "mileage",
        "canceled",
        "date_typo",
        "appointment_swapped_at",
        "make",
        "model",
        "registration_number",
        "vin",
        "fuel",
        "first_registration",
        "apk_date",
        "engine_number",
        "car_notes",
        "driver_id",
        "owner_id",
        "contractor_id",
};

static const char *const roles[][2] = {
        {"driver", "driver_id"}, {"owner", "owner_id"}, {"contractor", "contractor_id"}};

int
wo_format_from_name(const char *name, enum wo_format *out)
{
	static const char *const names[] = {"workorder-csv", "workorder-xml", "workorder-jsonl"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return *out = (enum wo_format)i, 0;
	return -1;
}

const char *
wo_format_extension(enum wo_format f)
{
	return f == WO_FORMAT_CSV ? "csv" : f == WO_FORMAT_XML ? "xml" : "jsonl";
}

struct wo_render *
wo_render_new(enum wo_format f, int fd, bool delta, wo_person_fn person, void *ctx)
{
	struct wo_render *r = xcalloc(1, sizeof(*r));

	r->f = f;
	r->fd = fd;
	r->delta = delta;
	r->person = person;
	r->ctx = ctx;
	buf_init(&r->out, LS_MAX_WO_FILE);
	recjson_init(&r->rec);
	recjson_init(&r->pers);
	return r;
}

void
wo_render_free(struct wo_render *r)
{
	if (!r)
		return;
	buf_release(&r->out);
	recjson_release(&r->rec);
	recjson_release(&r->pers);
	free(r);
}

static void
put(struct wo_render *r, const char *s)
{
	if (!r->full && buf_append(&r->out, s, strlen(s)) == -1)
		r->full = true;
}

/* Amounts are stored in cents: "4500" -> "45.00". */
static void
amount(const char *minor, char out[32])
{
	long long v = strtoll(minor, NULL, 10);

	snprintf(out, 32, "%lld.%02lld", v / 100, v % 100);
}

static bool
is_amount(const char *name)
{
	size_t n = strlen(name);

	return n > 6 && !strcmp(name + n - 6, ".price");
}

/* ---- CSV ---- */

static void
csv_cell(struct wo_render *r, const char *v, bool first)
{
	bool quote = false;

	if (!first)
		put(r, ",");
	if (!v)
		return;
	for (const char *p = v; *p; p++)
		quote = quote || *p == ',' || *p == '"' || *p == '\n' || *p == '\r';
	/* A spreadsheet must not run a cell as a formula. */
	if (strchr("=+-@\t\r", v[0]) && v[0])
		quote = true;
	if (quote)
		put(r, "\"");
	if (v[0] && strchr("=+-@\t\r", v[0]))
		put(r, "'");
	for (const char *p = v; *p; p++) {
		char c[3] = {*p, *p == '"' ? '"' : '\0', '\0'};

		put(r, c);
	}
	if (quote)
		put(r, "\"");
}

static void
csv_header(struct wo_render *r)
{
	bool first = true;

	if (r->delta) {
		csv_cell(r, "action", true);
		first = false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++, first = false)
		csv_cell(r, columns[i], first);
	csv_cell(r, "interventions", false);
	csv_cell(r, "interventions_total", false);
	put(r, "\r\n");
}

/* An intervention's parts, in the order of the XML and JSON objects. */
static const char *const parts[] = {"title", "description", "price"};
enum { PART_TITLE, PART_DESCRIPTION, PART_PRICE, NPARTS };

/* Intervention k (1-based) of w into v by part: false when it has none, the end of the list. */
static bool
intervention_get(const struct record *w, unsigned k, const char *v[NPARTS])
{
	char name[48];

	for (size_t p = 0; p < NPARTS; p++) {
		wo_intervention_field(name, sizeof(name), k, parts[p]);
		v[p] = record_get(w, name);
	}
	return v[PART_TITLE] || v[PART_DESCRIPTION] || v[PART_PRICE];
}

static void
csv_row(struct wo_render *r, const struct record *w, enum render_action a)
{
	struct buf iv;
	long long total = 0;
	unsigned n = 0;
	char num[32];
	bool first = true;

	if (r->delta) {
		csv_cell(r, render_action_name(a), true);
		first = false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++, first = false)
		csv_cell(r, record_get(w, columns[i]), first);
	buf_init(&iv, LS_MAX_WO_FILE);
	for (unsigned k = 1; k <= WO_MAX_INTERVENTIONS; k++) {
		const char *v[NPARTS], *title, *desc, *price;

		if (!intervention_get(w, k, v))
			break;
		title = v[PART_TITLE];
		desc = v[PART_DESCRIPTION];
		price = v[PART_PRICE];
		if (n++)
			buf_append(&iv, " | ", 3);
		if (title)
			buf_append(&iv, title, strlen(title));
		if (desc) {
			buf_append(&iv, ": ", 2);
			buf_append(&iv, desc, strlen(desc));
		}
		if (price) {
			amount(price, num);
			buf_append(&iv, " (", 2);
			buf_append(&iv, num, strlen(num));
			buf_append(&iv, ")", 1);
			total += strtoll(price, NULL, 10);
		}
	}
	csv_cell(r, iv.p, false);
	buf_release(&iv);
	snprintf(num, sizeof(num), "%lld.%02lld", total / 100, total % 100);
	csv_cell(r, num, false);
	put(r, "\r\n");
}

/* ---- XML ---- */

/* Text as XML character data: escaped, characters XML 1.0 cannot hold dropped. */
static void
xml_text(struct wo_render *r, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '<': put(r, "&lt;"); break;
		case '>': put(r, "&gt;"); break;
		case '&': put(r, "&amp;"); break;
		case '"': put(r, "&quot;"); break;
		default:
			if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
				break;
			{
				char c[2] = {(char)*p, '\0'};

				put(r, c);
			}
		}
	}
}

static void
xml_elem(struct wo_render *r, const char *indent, const char *name, const char *v)
{
	char num[32];

	if (!v)
		return;
	if (is_amount(name) || !strcmp(name, "price")) {
		amount(v, num);
		v = num;
	}
	put(r, indent);
	put(r, "<");
	put(r, name);
	put(r, ">");
	xml_text(r, v);
	put(r, "</");
	put(r, name);
	put(r, ">\n");
}

/* The person of a role, decoded into r->pers, or false. */
static bool
load_person(struct wo_render *r, const char *id)
{
	char *key, *json;
	bool ok;

	if (!id || !r->person)
		return false;
	key = xasprintf(WO_PERSON_PREFIX "%s", id);
	json = r->person(r->ctx, key);
	free(key);
	ok = json && recjson_parse(&r->pers, json, strlen(json)) == 0;
	free(json);
	return ok;
}

static void
xml_workorder(struct wo_render *r, const struct record *w, enum render_action a)
{
	put(r, "  <workorder");
	if (r->delta) {
		put(r, " action=\"");
		put(r, render_action_name(a));
		put(r, "\"");
	}
	put(r, ">\n");
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++)
		xml_elem(r, "    ", columns[i], record_get(w, columns[i]));
	put(r, "    <interventions>\n");
	for (unsigned k = 1; k <= WO_MAX_INTERVENTIONS; k++) {
		const char *v[NPARTS];

		if (!intervention_get(w, k, v))
			break;
		put(r, "      <intervention>\n");
		for (size_t p = 0; p < NPARTS; p++)
			xml_elem(r, "        ", parts[p], v[p]);
		put(r, "      </intervention>\n");
	}
	put(r, "    </interventions>\n    <persons>\n");
	for (size_t k = 0; k < ARRAY_SIZE(roles); k++) {
		const char *id = record_get(w, roles[k][1]);

		if (!load_person(r, id))
			continue;
		put(r, "      <person role=\"");
		put(r, roles[k][0]);
		put(r, "\" id=\"");
		xml_text(r, id);
		put(r, "\">\n");
		for (size_t f = 0; f < r->pers.nfields; f++)
			if (strcmp(r->pers.fields[f].name, "person_id"))
				xml_elem(r, "        ", r->pers.fields[f].name,
				         r->pers.fields[f].value);
		put(r, "      </person>\n");
	}
	put(r, "    </persons>\n  </workorder>\n");
}

/* ---- JSON lines ---- */

static void
jsonl_workorder(struct wo_render *r, const struct record *w, enum render_action a)
{
	struct json j;
	char num[32];

	json_init(&j);
	json_obj(&j);
	if (r->delta) {
		json_key(&j, "action");
		json_str(&j, render_action_name(a));
	}
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++) {
		const char *v = record_get(w, columns[i]);

		if (!v)
			continue;
		json_key(&j, columns[i]);
		if (!strcmp(v, "true") || !strcmp(v, "false"))
			json_bool(&j, v[0] == 't');
		else if (!strcmp(columns[i], "mileage"))
			json_int(&j, strtoll(v, NULL, 10));
		else
			json_str(&j, v);
	}
	json_key(&j, "interventions");
	json_arr(&j);
	for (unsigned k = 1; k <= WO_MAX_INTERVENTIONS; k++) {
		const char *v[NPARTS];

		if (!intervention_get(w, k, v))
			break;
		json_obj(&j);
		for (size_t p = 0; p < NPARTS; p++) {
			if (!v[p])
				continue;
			json_key(&j, parts[p]);
			if (p == PART_PRICE) {
				amount(v[p], num);
				json_str(&j, num);
			} else {
				json_str(&j, v[p]);
			}
		}
		json_end(&j);
	}
	json_end(&j);
	json_key(&j, "persons");
	json_obj(&j);
	for (size_t k = 0; k < ARRAY_SIZE(roles); k++) {
		if (!load_person(r, record_get(w, roles[k][1])))
			continue;
		json_key(&j, roles[k][0]);
		json_obj(&j);
		for (size_t f = 0; f < r->pers.nfields; f++) {
			json_key(&j, !strcmp(r->pers.fields[f].name, "person_id")
			                     ? "id"
			                     : r->pers.fields[f].name);
			json_str(&j, r->pers.fields[f].value);
		}
		json_end(&j);
	}
	json_end(&j);
	json_end(&j);
	put(r, j.out.p);
	put(r, "\n");
	json_release(&j);
}

void
wo_render_begin(struct wo_render *r)
{
	if (r->f == WO_FORMAT_CSV)
		csv_header(r);
	else if (r->f == WO_FORMAT_XML)
		put(r, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<workorders>\n");
}

int
wo_render_json(struct wo_render *r, const char *key, const char *json, size_t len,
               enum render_action a)
{
	struct record w;

	if (wo_key_is_person(key))
		return 0; /* persons go with the work orders that name them */
	if (recjson_parse(&r->rec, json, len) == -1)
		return log_error("work order %s: stored record is not readable", key);
	w = recjson_record(&r->rec, key);
	if (r->f == WO_FORMAT_CSV)
		csv_row(r, &w, a);
	else if (r->f == WO_FORMAT_XML)
		xml_workorder(r, &w, a);
	else
		jsonl_workorder(r, &w, a);
	r->st.rows++;
	if (r->full)
		return log_error("the export passes %zu MiB, the cap of a work-order file",
		                 LS_MAX_WO_FILE >> 20);
	return 0;
}

int
wo_render_end(struct wo_render *r)
{
	if (r->f == WO_FORMAT_XML)
		put(r, "</workorders>\n");
	if (r->full)
		return log_error("the export passes %zu MiB, the cap of a work-order file",
		                 LS_MAX_WO_FILE >> 20);
	fsio_sha256_buf(r->out.p, r->out.len, r->sha);
	r->st.bytes = (long long)r->out.len;
	if (fsio_write_all(r->fd, r->out.p, r->out.len) == -1)
		return log_syserr("cannot write the export");
	return 0;
}

void
wo_render_get_stats(const struct wo_render *r, struct render_stats *out)
{
	*out = r->st;
}

void
wo_render_sha256(const struct wo_render *r, char hex[FSIO_SHA256_HEX])
{
	memcpy(hex, r->sha, FSIO_SHA256_HEX);
}
