/*
 * profile.h - feed profiles (SPEC §4): how to read one DMS's files.
 *
 * A profile is conf/profiles/<name>.ini next to the config, or one compiled
 * into the binary (builtin.h). profile_load() reads and checks
 * it; binding a file's columns and mapping its rows is rowmap.h's work.
 *
 *   [profile]
 *   format = csv              ; csv | xml
 *   delimiter = ,             ; CSV: one character, or tab, comma, semicolon,
 *                             ; pipe, space (" ;" starts an .ini comment)
 *   quote = "                 ; CSV: one character
 *   header = yes              ; CSV: no = columns by 0-based position
 *   min_columns = 14          ; CSV without header: shorter rows are refused
 *   record_element = rss/channel/item ; XML: the path from the root to the
 *                             ; element of one record, or //item (at any depth),
 *                             ; or item (a child of any root)
 *   charset = utf-8           ; utf-8 | windows-1252 | iso-8859-15 | auto
 *   decimal = .               ; decimal separator of amounts: . or ,
 *   currency = EUR            ; currency of amounts that name none
 *   mileage_unit = km         ; km | mi | mil: the unit of values that name none
 *   mileage_unit_from = mileage.unit ; the column, path or attribute
 *                             ; (odometer/@units) giving each row's unit; the
 *                             ; same as [fields] mileage_unit = ...
 *   thousands = .             ; mileage grouping: . , space ' | none (default):
 *                             ; then "45.000" and "45,000" are refused as ambiguous
 *   ragged = refuse           ; header rows short of fields: refuse | pad (missing
 *                             ; trailing fields read as empty)
 *   date_format = DD.MM.YYYY, MM.YYYY ; tried in order (default YYYY-MM-DD)
 *   vin_check = warn          ; check digit: warn | strict (row error) | off
 *   short_vin = no            ; yes: pre-1981 VINs of 5-16 characters pass
 *   mandatory = price, mileage ; fields every row must have (and the key)
 *   [fields]                  ; canonical field = source
 *   vin = VIN                 ; header name, position, or XML path
 *   images = image_link, additional_image_link ; list fields: several sources
 *   [lists]
 *   images = comma            ; split the source value on this separator
 *   [values:condition]        ; exact source values (any case) -> what is stored
 *   CPO = certified           ; an empty right side means absent:
 *   [values:price]
 *   0 =                       ; "0" (call for price) is no price
 *
 * XML paths are relative to the record element: "VIN", "Price/Amount",
 * "@id" (an attribute of the record), "seller/@key", "g:price" (prefixes
 * as the file writes them), "price[@type='asking']" (an element whose
 * attribute has that value), "address/component[@name='city']",
 * "odometer/@units". A list field mapped to a repeated element
 * ("ImageURLs/URL") takes every occurrence.
 *
 * Every source column (or leaf element) no field names is kept as
 * "extra.<column>" ("extra.<position>", "extra.<path>"). The canonical
 * fields and how each is normalised are fields.h's table.
 *
 * Ownership: struct profile owns its strings; profile_release() frees them.
 */
#ifndef LOTSYNC_PROFILE_H
#define LOTSYNC_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/charset.h"
#include "lotsync/config.h"
#include "lotsync/fields.h"
#include "lotsync/normalize.h"
#include "lotsync/record.h"
#include "lotsync/status.h"

enum profile_format { PROFILE_CSV, PROFILE_XML };

enum vin_check { VIN_CHECK_WARN, VIN_CHECK_STRICT, VIN_CHECK_OFF };

/* One [values:FIELD] line: a source value and what it becomes ("" = absent). */
struct profile_value {
	char *from, *to;
	int line;
};

struct profile_map {
	char *field;                 /* canonical field name */
	const struct field_def *def; /* its table entry */
	char **sources;              /* header names, XML paths, or positions as text */
	long *position;              /* header = no: 0-based column of each source; else -1 */
	size_t nsources;
	char list_sep; /* list fields: separator in the source, default '|' */
	enum field_kind kind;
	struct profile_value *values; /* [values:FIELD], in file order */
	size_t nvalues;
};

struct profile {
	char *name;
	char *path;
	enum profile_format format;
	char delimiter, quote;
	bool header;
	size_t min_columns;
	char *record_root; /* XML: required root element name, or NULL for any */
	char **record_mid; /* XML: elements between the root and the record */
	size_t nmid;
	char *record_element; /* XML: the element of one record */
	bool record_anywhere; /* XML: "//element": at any depth */
	int record_line;      /* line of record_element in the file, for messages */
	enum charset charset;
	char decimal;
	char currency[4]; /* "" when none */
	enum mileage_unit mileage_unit;
	char thousands;  /* declared mileage grouping character, or 0 */
	bool ragged_pad; /* ragged = pad */
	struct date_format *dates;
	size_t ndates;
	enum vin_check vin_check;
	bool short_vin;
	struct profile_map *maps;
	size_t nmaps;
	char **mandatory;
	size_t nmandatory;
	struct profile_value *pending; /* [values:] lines until their map is known */
	char **pending_field;
	size_t npending;
};

/*
 * Load profile name: <confdir>/profiles/<name>.ini, else the shipped one.
 * Errors are logged as "FILE:LINE: message"; returns their count, or -1
 * when no such profile exists (logged). Release even after errors.
 */
int profile_load(const char *confdir, const char *name, struct profile *p);
void profile_release(struct profile *p);

/* The map of a canonical field, or NULL when the profile does not map it. */
const struct profile_map *profile_find(const struct profile *p, const char *field);
bool profile_is_mandatory(const struct profile *p, const char *field);

#endif
