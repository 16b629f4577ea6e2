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

#include <stddef.h>

#include "lotsync/record.h"

struct recjson_len {
	size_t name, value; /* strlen() of fields[i].name and .value, known for free */
};

struct recjson {
	struct field *fields; /* name/value views into scratch, in stored (name) order */
	struct recjson_len *lens;
	size_t nfields, falloc, lalloc;
	char *scratch;
	size_t salloc;
};

void recjson_init(struct recjson *d);
void recjson_release(struct recjson *d);
/* Decode len bytes of JSON; -1 when it is not a flat object of strings. */
int recjson_parse(struct recjson *d, const char *json, size_t len);
/*
 * A read-only record over the decoded fields (key as given, hash 0), for
 * the pure functions that take a record (diff_fields). Never release it.
 */
struct record recjson_record(const struct recjson *d, const char *key);

#endif
