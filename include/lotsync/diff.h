/*
 * diff.h - pure comparison of two record sets (no I/O, no SQL).
 *
 * Both inputs are sorted by key with unique keys and finished records
 * (record_finish), so equal content is an equal hash and an equal field
 * list. The result owns copies of every string it holds.
 */
#ifndef LOTSYNC_DIFF_H
#define LOTSYNC_DIFF_H

#include <stddef.h>

#include "lotsync/record.h"

struct field_change {
	char *name;
	char *old; /* NULL when the field was absent */
	char *new_;
};

struct diff_change {
	char *key;
	struct field_change *fields;
	size_t nfields;
};

struct diff_result {
	char **added;
	size_t nadded;
	char **vanished;
	size_t nvanished;
	struct diff_change *changed;
	size_t nchanged;
};

void diff_compute(const struct record *a, size_t na, const struct record *b, size_t nb,
                  struct diff_result *out);
/* Field-level changes from a to b (both finished, same key). */
void diff_fields(const struct record *a, const struct record *b, struct diff_change *out);
void diff_change_release(struct diff_change *c);
void diff_result_release(struct diff_result *d);

#endif
