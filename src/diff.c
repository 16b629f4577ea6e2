/* diff.c - new / changed (field by field) / vanished between two sorted record sets. */
#include "lotsync/diff.h"

#include <stdlib.h>
#include <string.h>

#include "lotsync/util.h"

static void
add_change(struct diff_change *c, size_t *alloc, const char *name, const char *old,
           const char *new_)
{
	struct field_change *f;

	c->fields = xgrow(c->fields, alloc, c->nfields + 1, sizeof(*c->fields));
	f = &c->fields[c->nfields++];
	f->name = xstrdup(name);
	f->old = old ? xstrdup(old) : NULL;
	f->new_ = new_ ? xstrdup(new_) : NULL;
}

void
diff_fields(const struct record *a, const struct record *b, struct diff_change *out)
{
	size_t i = 0, j = 0, alloc = 0;

	memset(out, 0, sizeof(*out));
	out->key = xstrdup(b->key ? b->key : a->key);
	/* Merge the two name-sorted field lists. */
	while (i < a->nfields || j < b->nfields) {
		int c = i == a->nfields   ? 1
		        : j == b->nfields ? -1
		                          : strcmp(a->fields[i].name, b->fields[j].name);

		if (c < 0) {
			add_change(out, &alloc, a->fields[i].name, a->fields[i].value, NULL);
			i++;
		} else if (c > 0) {
			add_change(out, &alloc, b->fields[j].name, NULL, b->fields[j].value);
			j++;
		} else {
			if (strcmp(a->fields[i].value, b->fields[j].value) != 0)
				add_change(out, &alloc, a->fields[i].name, a->fields[i].value,
				           b->fields[j].value);
			i++;
			j++;
		}
	}
}

void
diff_compute(const struct record *a, size_t na, const struct record *b, size_t nb,
             struct diff_result *out)
{
	size_t i = 0, j = 0, aa = 0, av = 0, ac = 0;

	memset(out, 0, sizeof(*out));
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i].key, b[j].key);

		if (c < 0) {
			out->vanished =
			        xgrow(out->vanished, &av, out->nvanished + 1, sizeof(char *));
			out->vanished[out->nvanished++] = xstrdup(a[i++].key);
		} else if (c > 0) {
			out->added = xgrow(out->added, &aa, out->nadded + 1, sizeof(char *));
			out->added[out->nadded++] = xstrdup(b[j++].key);
		} else {
			if (a[i].hash != b[j].hash) {
				struct diff_change ch;

				diff_fields(&a[i], &b[j], &ch);
				if (ch.nfields == 0) {
					diff_change_release(&ch);
				} else {
					out->changed = xgrow(out->changed, &ac, out->nchanged + 1,
					                     sizeof(*out->changed));
					out->changed[out->nchanged++] = ch;
				}
			}
			i++;
			j++;
		}
	}
}

void
diff_change_release(struct diff_change *c)
{
	for (size_t i = 0; i < c->nfields; i++) {
		free(c->fields[i].name);
		free(c->fields[i].old);
		free(c->fields[i].new_);
	}
	free(c->fields);
	free(c->key);
	memset(c, 0, sizeof(*c));
}

void
diff_result_release(struct diff_result *d)
{
	for (size_t i = 0; i < d->nadded; i++)
		free(d->added[i]);
	for (size_t i = 0; i < d->nvanished; i++)
		free(d->vanished[i]);
	for (size_t i = 0; i < d->nchanged; i++)
		diff_change_release(&d->changed[i]);
	free(d->added);
	free(d->vanished);
	free(d->changed);
	memset(d, 0, sizeof(*d));
}
