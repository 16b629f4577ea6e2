/*
 * fields.h - the canonical vehicle fields: the one table profiles map
 * sources to, formats write columns from, and README's field list shows.
 *
 * Each field has a name (what [fields] and [columns] say), a kind (how a
 * profile normalises its value when reading, and so how a format prints
 * it) and a one-line description of the normalised value. Besides these,
 * "extra.<name>" holds any source column no field takes (kind text).
 */
#ifndef LOTSYNC_FIELDS_H
#define LOTSYNC_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

/* How a canonical field's value is normalised. */
enum field_kind {
	FIELD_TEXT,    /* as read (trimmed, valid UTF-8) */
	FIELD_MONEY,   /* integer in minor units, with currency */
	FIELD_MILEAGE, /* integer in its mileage_unit */
	FIELD_UNIT,    /* mileage_unit: km | mi | mil */
	FIELD_YEAR,    /* four digits */
	FIELD_DATE,    /* ISO 8601: YYYY-MM-DD or YYYY-MM */
	FIELD_VIN,     /* upper case, 17 characters, check digit verified */
	FIELD_LIST     /* items joined with '|' */
};

struct field_def {
	const char *name;
	enum field_kind kind;
	const char *doc; /* one line: what the value is */
};

/* The canonical fields, in the order the documentation lists them. */
extern const struct field_def fields_table[];
extern const size_t fields_count;

/* The canonical field called name, or NULL ("extra.*" is not in the table). */
const struct field_def *fields_find(const char *name);
/* True for a field of the table, and for "extra.<name>". */
bool fields_is_canonical(const char *name);
/* True for "extra.<name>" (a non-empty name). */
bool fields_is_extra(const char *name);
/* The kind of a field; FIELD_TEXT for extras and unknown names. */
enum field_kind fields_kind(const char *name);
/* True for the list fields (images, equipment, documents). */
bool fields_is_list(const char *name);
/* "text", "money", "mileage", "unit", "year", "date", "vin", "list". */
const char *fields_kind_name(enum field_kind k);

#endif
