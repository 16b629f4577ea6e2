/* reader.c - a feed file through its profile: bind the header, map rows, report bad ones. */
#include "lotsync/reader.h"

#include <stdlib.h>
#include <string.h>

#include "lotsync/log.h"
#include "lotsync/parse_csv.h"
#include "lotsync/util.h"

struct csv_read {
	const struct profile *prof;
	const struct feed_conf *feed;
	const char *name;
	const struct reader_cb *cb;
	struct profile_binding bind;
	bool bound;
	char *why;
};

static enum ls_scope
on_row(void *ctx, unsigned long line, char **vals, const size_t *lens, size_t n)
{
	struct csv_read *c = ctx;
	struct record r;
	struct row_error err = {0};
	enum ls_scope sc;

	if (!c->bound) {
		c->bound = true;
		if (profile_bind(c->prof, c->name, vals, lens, n, &c->bind) == -1) {
			c->why = xasprintf("%s:1: header lacks a mandatory column of profile '%s'",
			                   c->name, c->prof->name);
			return LS_BAD_FILE;
		}
		if (c->prof->header)
			return LS_OK;
	}
	if (profile_map_row(c->prof, &c->bind, c->feed, vals, lens, n, line, &r, &err) != LS_OK) {
		record_release(&r);
		return c->cb->reject(c->cb->ctx, &err);
	}
	sc = c->cb->record(c->cb->ctx, &r);
	record_release(&r);
	return sc;
}

enum ls_scope
reader_read(const struct profile *p, const struct feed_conf *feed, const char *path,
            const char *name, const struct reader_cb *cb, char **why)
{
	struct csv_read c = {.prof = p, .feed = feed, .name = name, .cb = cb};
	struct csv_opts o = {.delimiter = p->delimiter, .quote = p->quote};
	enum ls_scope sc;
	char *perr = NULL;

	*why = NULL;
	sc = parse_csv_file(path, &o, on_row, &c, &perr);
	if (sc == LS_BAD_FILE) {
		*why = c.why ? c.why : perr;
		if (c.why) {
			log_error("%s", c.why);
			free(perr);
		}
		c.why = NULL;
	} else {
		/* A 0-byte file has no header and no rows: an empty snapshot, held by the guard. */
		free(perr);
	}
	free(c.why);
	if (c.bound)
		profile_binding_release(&c.bind);
	return sc;
}
