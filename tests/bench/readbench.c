/*
 * readbench.c - the full read path of one feed file (input, charset, parse,
 * map, normalise, hash, and the key table ingest keeps) without the
 * database: what scripts/bench-parse.sh times against bare libcsv and
 * xmlTextReader walks of the same file.
 *
 *   readbench [--keys] CONFDIR PROFILE FILE [vin|stock]
 *
 * --keys also keeps ingest's key table (duplicate keys in the file).
 *
 * Prints "records rejects warnings hashsum"; exit 1 when the file is refused.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/keymap.h"
#include "lotsync/log.h"
#include "lotsync/profile.h"
#include "lotsync/reader.h"

struct counts {
	bool use_keys;
	unsigned long records, rejects, warnings;
	unsigned long long hashsum;
	struct keymap keys;
};

static enum ls_scope
on_record(void *ctx, const struct record *r)
{
	struct counts *c = ctx;
	struct keymap_entry *e;

	c->records++;
	c->hashsum += r->hash;
	if (!c->use_keys)
		return LS_OK;
	e = keymap_put(&c->keys, r->key);
	if (e->seen_line)
		c->rejects++; /* ingest would refuse a repeated key */
	e->seen_line = r->line;
	return LS_OK;
}

static enum ls_scope
on_reject(void *ctx, struct row_error *e)
{
	struct counts *c = ctx;

	c->rejects++;
	row_error_release(e);
	return LS_BAD_RECORD;
}

static enum ls_scope
on_warn(void *ctx, const struct row_warning *w)
{
	struct counts *c = ctx;

	(void)w;
	c->warnings++;
	return LS_OK;
}

int
main(int argc, char **argv)
{
	struct feed_conf feed = {.name = "bench", .key = FEED_KEY_VIN};
	struct counts c = {0};
	struct reader_cb cb = {
	        .record = on_record, .reject = on_reject, .warn = on_warn, .ctx = &c};
	struct profile p;
	char *why = NULL;
	enum ls_scope sc;

	if (argc > 1 && strcmp(argv[1], "--keys") == 0) {
		c.use_keys = true;
		argv++;
		argc--;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: readbench CONFDIR PROFILE FILE [vin|stock]\n");
		return 2;
	}
	if (argc > 4 && strcmp(argv[4], "stock") == 0)
		feed.key = FEED_KEY_STOCK;
	if (profile_load(argv[1], argv[2], &p) != 0)
		return 2;
	keymap_init(&c.keys);
	sc = reader_read(&p, &feed, argv[3], argv[3], &cb, &why);
	printf("%lu %lu %lu %llu\n", c.records, c.rejects, c.warnings, c.hashsum);
	free(why);
	keymap_release(&c.keys);
	profile_release(&p);
	return sc <= LS_BAD_RECORD ? 0 : 1;
}
