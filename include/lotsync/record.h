/*
 * record.h - one vehicle (or, later, any keyed record) as canonical fields.
 *
 * A record is a key plus (name, value) pairs with names from SPEC §2
 * (dealer_id, vin, …, and "extra.<column>"). Empty values are not stored:
 * empty means absent. List fields (images, equipment, documents) hold their
 * items joined with '|'. After record_finish() the fields are sorted by
 * name and record->hash is the XXH3 of the canonical encoding, so two
 * records are equal exactly when their hashes and encodings are.
 *
 * Ownership: the record owns its strings; record_release() frees them and
 * leaves an empty, reusable record.
 */
#ifndef LOTSYNC_RECORD_H
#define LOTSYNC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct field {
	char *name;
	char *value;
};

/*
 * What a current record's raw bytes stand for, so that the same bytes in the
 * next file need not be parsed (the raw-record fast path, reader.h): the
 * XXH3-128 of the record's bytes seeded with the file's fingerprint, which
 * fields it fills, and its per-record findings (packed by the reader).
 */
struct rawrec {
	uint64_t lo, hi; /* XXH3-128 of the raw record, seeded with the fingerprint */
	uint64_t fill;   /* bit i: the binding's i-th counted field has a value */
	uint64_t flags;  /* the record's rowmap_stats, packed (reader.c) */
};

struct record {
	char *key;
	unsigned long line; /* line (or element number) where it began */
	struct field *fields;
	size_t nfields, alloc;
	uint64_t hash;
	/* Set by the CSV reader's fast path only (reader.h); has_raw false elsewhere. */
	struct rawrec raw;
	bool has_raw;
	/*
	 * record_to_json() of the fields, when the mapper already made it on
	 * the parser's thread (rowmap.h), else NULL. Not owned: it lives as long
	 * as the fields do, and record_set() forgets it.
	 */
	const char *json;
	size_t json_len;
};

/* A refused row: where and why. */
struct row_error {
	unsigned long line;
	char *field; /* canonical or source field, or NULL */
	char *reason;
	char *key; /* the row's key when it can be read, else NULL */
};

/* Something about a whole file an operator should know (stored with the snapshot). */
struct row_warning {
	const char *code;    /* "ambiguous_dates", "vin_check_digit" */
	unsigned long line;  /* first line concerned, 0 = the file */
	const char *field;   /* or NULL */
	const char *message; /* one line */
};

void row_error_release(struct row_error *e);

void record_init(struct record *r);
void record_release(struct record *r);

/* Add or replace a field; len bytes of value are copied. Empty values are dropped. */
void record_set(struct record *r, const char *name, const char *value, size_t len);
/* The value of a field, or NULL when absent. Works before and after record_finish(). */
const char *record_get(const struct record *r, const char *name);
/* Sort the fields and compute the hash. */
void record_finish(struct record *r);

/* Canonical JSON object of the fields, keys sorted; caller frees. */
char *record_to_json(const struct record *r);
struct json;
/* The same object written into j (reset first), for a caller that reuses one writer. */
void record_json_write(const struct record *r, struct json *j);

#endif
