/*
 * recjson.h - read back the canonical JSON of a stored record (the output of
 * record_to_json(): one flat object of string values, keys sorted) as field
 * views, without an allocation per record.
 *
 * A struct recjson is a reusable decoder: recjson_parse() unescapes every
 * name and value into the decoder's own scratch buffer, NUL-terminated, and
 * fills fields[] with pointers into it. The views stay valid until the next
 * recjson_parse() or recjson_release(); the buffers only grow, so reading a
 * million records costs a handful of allocations. The decoder owns its
 * buffers; the caller owns the JSON text.
 */
#ifndef LOTSYNC_RECJSON_H
#define LOTSYNC_RECJSON_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/diff.h"
#include "lotsync/record.h"

struct recjson_len {
	size_t name, value; /* strlen() of fields[i].name and .value, known for free */
};

/*
 * A string of the JSON as it stands between its quotes (not unescaped):
 * show copies most values straight from the stored text. esc says whether
 * it holds a backslash; plain, whether every escape in it is one of \" \\
 * \n \r \t (so the raw bytes already read as show's quoting of the value).
 */
struct recjson_raw {
	const char *p;
	size_t len;
	bool esc, plain;
};

struct recjson_span {
	struct recjson_raw name, value;
};

struct recjson {
	struct field *fields; /* name/value views into scratch, in stored (name) order */
	struct recjson_len *lens;
	size_t nfields, falloc, lalloc;
	char *scratch;
	size_t salloc;
	struct recjson_span *spans; /* recjson_scan(): views into the caller's JSON */
	size_t nspans, spalloc;
};

void recjson_init(struct recjson *d);
void recjson_release(struct recjson *d);
/* Decode len bytes of JSON; -1 when it is not a flat object of strings. */
int recjson_parse(struct recjson *d, const char *json, size_t len);
/*
 * The fields of len bytes of JSON as raw spans (spans[], nspans), nothing
 * unescaped or copied; the spans point into json, valid while it is. -1
 * when it is not a flat object of strings.
 */
int recjson_scan(struct recjson *d, const char *json, size_t len);
/* A raw span unescaped into out (at least r->len + 1 bytes), NUL-terminated; -1 when malformed. */
int recjson_unescape(const struct recjson_raw *r, char *out);
/*
 * The fields that differ between two scanned records (recjson_scan() of
 * each), decoded: diff_fields() of the two records, without decoding the
 * fields that did not change. Values are compared as stored and those
 * that differ again decoded, so two spellings of one value are no change.
 * fields[] (name, old, new_; old or new_ NULL when absent on that side)
 * point into buf, valid until the next call; the struct owns both.
 */
struct recjson_cand;

struct recjson_diff {
	struct field_change *fields;
	size_t n, alloc;
	char *buf;
	size_t balloc;
	struct recjson_cand *cands; /* scratch: the fields that may differ */
	size_t cand_alloc;
};

void recjson_diff_init(struct recjson_diff *d);
void recjson_diff_release(struct recjson_diff *d);
/*
 * 0, or 1 when a field name holds an escape (raw names may then not sort
 * as decoded ones do: compare decoded records instead), -1 when a value is
 * malformed.
 */
int recjson_diff(struct recjson_diff *d, const struct recjson *a, const struct recjson *b);

/*
 * A read-only record over the decoded fields (key as given, hash 0), for
 * the pure functions that take a record (diff_fields). Never release it.
 */
struct record recjson_record(const struct recjson *d, const char *key);

#endif
