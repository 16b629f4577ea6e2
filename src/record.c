/* record.c - canonical vehicle records: sorted fields, XXH3 content hash. */
#include "lotsync/record.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lotsync/json.h"
#include "lotsync/util.h"

void
record_init(struct record *r)
{
	memset(r, 0, sizeof(*r));
}

void
record_release(struct record *r)
{
	for (size_t i = 0; i < r->nfields; i++) {
		free(r->fields[i].name);
		free(r->fields[i].value);
	}
	free(r->fields);
	free(r->key);
	record_init(r);
}

void
record_set(struct record *r, const char *name, const char *value, size_t len)
{
	r->json = NULL; /* the fields change: what was made of them no longer holds */
	for (size_t i = 0; i < r->nfields; i++) {
		if (strcmp(r->fields[i].name, name) != 0)
			continue;
		free(r->fields[i].value);
		if (len == 0) {
			free(r->fields[i].name);
			r->fields[i] = r->fields[--r->nfields];
		} else {
			r->fields[i].value = xstrndup(value, len);
		}
		return;
	}
	if (len == 0)
		return;
	r->fields = xgrow(r->fields, &r->alloc, r->nfields + 1, sizeof(*r->fields));
	r->fields[r->nfields].name = xstrdup(name);
	r->fields[r->nfields].value = xstrndup(value, len);
	r->nfields++;
}

const char *
record_get(const struct record *r, const char *name)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].name, name) == 0)
			return r->fields[i].value;
	return NULL;
}

static int
cmp_field(const void *a, const void *b)
{
	return strcmp(((const struct field *)a)->name, ((const struct field *)b)->name);
}

void
record_finish(struct record *r)
{
	XXH3_state_t *st = XXH3_createState();

	if (!st)
		abort();
	qsort(r->fields, r->nfields, sizeof(*r->fields), cmp_field);
	XXH3_64bits_reset(st);
	/* name NUL value NUL: unambiguous because neither may contain NUL. */
	for (size_t i = 0; i < r->nfields; i++) {
		XXH3_64bits_update(st, r->fields[i].name, strlen(r->fields[i].name) + 1);
		XXH3_64bits_update(st, r->fields[i].value, strlen(r->fields[i].value) + 1);
	}
	r->hash = XXH3_64bits_digest(st);
	XXH3_freeState(st);
}

void
record_json_write(const struct record *r, struct json *j)
{
	json_reset(j);
	json_obj(j);
	for (size_t i = 0; i < r->nfields; i++) {
		json_key(j, r->fields[i].name);
		json_str(j, r->fields[i].value);
	}
	json_end(j);
}

char *
record_to_json(const struct record *r)
{
	struct json j;

	json_init(&j);
	record_json_write(r, &j);
	return json_detach(&j);
}

void
row_error_release(struct row_error *e)
{
	free(e->field);
	free(e->reason);
	free(e->key);
	memset(e, 0, sizeof(*e));
}
