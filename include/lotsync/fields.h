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
	FIELD_LIST,    /* items joined with '|' */
	FIELD_ENUM,    /* one word of the field's values (condition, availability) */
	FIELD_INT,     /* a whole number, optionally followed by the field's unit */
	FIELD_COORD    /* decimal degrees (latitude -90..90, longitude -180..180) */
};

struct field_def {
	const char *name;
	enum field_kind kind;
	const char *doc; /* one line: what the value is */
	/* FIELD_ENUM: the values, '|'-separated; FIELD_INT: the unit word a value
	 * may carry ("kW"), or NULL; FIELD_COORD: "90" or "180", the bound. */
	const char *extra;
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
/* "text", "money", "mileage", "unit", "year", "date", "vin", "list", "enum", "integer",
 * "coordinate". */
const char *fields_kind_name(enum field_kind k);
/*
 * FIELD_ENUM: the canonical value of s[0..n) into out (32 bytes):
 * lower case, spaces and hyphens as '_' ("In Stock" is in_stock); -1 when
 * it is not one of the field's values.
 */
int fields_enum_value(const struct field_def *f, const char *s, size_t n, char out[32]);

#endif
