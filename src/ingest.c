/* ingest.c - one claimed file -> archive, parse, diff, guard, store: one transaction. */
#include "lotsync/ingest.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lotsync/clock.h"
#include "lotsync/crash.h"
#include "lotsync/fsio.h"
#include "lotsync/keymap.h"
#include "lotsync/limits.h"
#include "lotsync/log.h"
#include "lotsync/present.h"
#include "lotsync/profile.h"
#include "lotsync/reader.h"
#include "lotsync/srs.h"
#include "lotsync/util.h"
#include "lotsync/wo.h"
#include "lotsync/wo_map.h"

/* Row errors are kept in memory until the guard has decided: a hold rolls back the versions. */

/* A reader warning, copied: the reader's strings live only during the callback. */
struct kept_warning {
	char *code, *field, *message;
	unsigned long line;
};

/* One field of the record counted last: its name and fill entry (NULL: an extra). */
struct fill_memo {
	const char *name; /* the fill map's copy */
	struct keymap_entry *e;
};

/* Everything one file's ingest needs; lives for that file only. */
struct ingest_file {
	struct app *app;
	struct srs_run *srs; /* the batch's rules state (srs.h) */
	const struct feed_conf *feed;
	const struct profile *prof;
	const struct wo_profile *wop; /* kind = workorder: read by wo_map instead */
	bool upsert;                  /* mode = upsert: absent is not vanished */
	long long removed;            /* work orders ended by a delete entry */
	const char *name;             /* file name, for messages */
	struct keymap map;            /* key -> current version, and keys seen in this file */
	struct rawset raw;            /* current records by raw hash (the fast path, reader.h) */
	bool want_raw;                /* the file may take it: load raw hashes with the set */
	bool fast;                    /* it does: pass them to the reader */
	uint64_t same_fill[64];       /* per raw.fill bit: records matched by raw hash */
	unsigned long *same_seen;     /* per rawset row: the line its key was first seen on */
	char **same_names;            /* what each bit stands for (reader_cb.same_fields) */
	size_t nsame_names;
	bool preloaded;            /* map was loaded before the transaction, at... */
	long long preload_version; /* ...this data version (store_preload_current) */
	long long before;          /* vehicles of the feed before this file */
	struct snapshot_info info;
	struct row_error *rejects;
	size_t nrejects, arejects;
	struct kept_warning *warns;
	size_t nwarns, awarns;
	bool keep_rejects;        /* false when re-applying: they were recorded at first ingest */
	char *why;                /* file-level failure, for the .reason file */
	struct srs_batch present; /* rules hook: the snapshot's vehicles (srs.h) */
	bool rules;               /* the feed wants them (srs_feed_wants_vehicles) */
	/* Refused is not vanished (SPEC §9): */
	long long kept;        /* refused rows whose vehicle keeps its last good version */
	long long not_created; /* refused first rows of new vehicles: not created */
	char *first_not_created;
	long long unreadable; /* refused rows whose key cannot be read */
	char *first_vanished; /* a key the file vanishes, for the hold reason */
	/* The drift guard: this file's columns and fill, and the previous applied snapshot's. */
	struct store_drift now, prev;
	long long prev_id;
	struct keymap fill;     /* field -> vehicles with a value (in keymap_entry.version) */
	struct fill_memo *memo; /* fill's entry for the nth field of the last record */
	size_t nmemo, amemo;
	size_t memo_cap;   /* fill.cap when memo was taken: a grown map moved its entries */
	long long records; /* records read (refused rows not counted) */
	long long same_as; /* an older applied snapshot with the same content, or 0 */
	char **header;     /* every column of this file's header (CSV) */
	size_t nheader;
	/*
	 * New versions are written PENDING_MAX at a time: one batch is
	 * compressed on the store's thread (store_vbatch) while apply_record
	 * fills the other. Their keymap entries get their ids when written.
	 */
	struct pending *pend[2];
	int filling; /* pend[filling] takes new rows; the other may be submitted */
};

#define PENDING_MAX 256

struct pending {
	struct version_row rows[PENDING_MAX]; /* key, vin and json owned */
	struct rawrec raw[PENDING_MAX];       /* rows[i].raw points here when it has one */
	long long ids[PENDING_MAX];
	size_t n;
	struct store_vbatch b; /* submitted when b.pack is set */
};

static void
pending_clear(struct pending *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free((char *)p->rows[i].key);
		free((char *)p->rows[i].vin);
		free((char *)p->rows[i].json);
	}
	p->n = 0;
}

/* The submitted batch, if any, into the store; its ids into the keymap. */
static int
write_pending(struct ingest_file *f, struct pending *p)
{
	int rc = 0;

	if (!p || !p->b.pack)
		return 0;
	if (store_vbatch_write(f->app->store, &p->b) == -1)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < p->n; i++)
		keymap_get(&f->map, p->rows[i].key)->version = p->ids[i];
	pending_clear(p);
	return rc;
}

static void
submit_pending(struct ingest_file *f, struct pending *p)
{
	p->b = (struct store_vbatch){.feed = f->feed->name,
	                             .seq = f->info.seq,
	                             .snapshot = f->info.id,
	                             .rows = p->rows,
	                             .n = p->n,
	                             .ids = p->ids};
	store_vbatch_submit(f->app->store, &p->b);
}

/*
 * The filling batch is full: it is submitted, then the one before is
 * written, row by row as packed, while the packer starts on this one.
 * (Submit waits until the packer is through with the one before.)
 */
static int
rotate_pending(struct ingest_file *f)
{
	struct pending *p = f->pend[f->filling];

	submit_pending(f, p);
	f->filling = !f->filling; /* apply_record allocates it on first use */
	return write_pending(f, f->pend[f->filling]);
}

/* Every waiting version into the store (before the file's end is judged). */
static int
flush_versions(struct ingest_file *f)
{
	struct pending *p = f->pend[f->filling];

	if (write_pending(f, f->pend[!f->filling]) == -1)
		return -1;
	if (!p || p->n == 0)
		return 0;
	submit_pending(f, p);
	return write_pending(f, p);
}

static void
pending_release(struct ingest_file *f)
{
	for (int i = 0; i < 2; i++) {
		if (!f->pend[i])
			continue;
		store_vbatch_drop(f->app->store, &f->pend[i]->b);
		pending_clear(f->pend[i]);
		free(f->pend[i]);
		f->pend[i] = NULL;
	}
}

static void
file_release(struct ingest_file *f)
{
	pending_release(f);
	srs_batch_release(&f->present);
	store_drift_release(&f->now);
	store_drift_release(&f->prev);
	keymap_release(&f->fill);
	free(f->memo);
	for (size_t i = 0; i < f->nheader; i++)
		free(f->header[i]);
	free(f->header);
	free(f->first_not_created);
	free(f->first_vanished);
	for (size_t i = 0; i < f->nrejects; i++)
		row_error_release(&f->rejects[i]);
	free(f->rejects);
	for (size_t i = 0; i < f->nwarns; i++) {
		free(f->warns[i].code);
		free(f->warns[i].field);
		free(f->warns[i].message);
	}
	free(f->warns);
	keymap_release(&f->map);
	rawset_release(&f->raw);
	free(f->same_seen);
	for (size_t i = 0; i < f->nsame_names; i++)
		free(f->same_names[i]);
	free(f->same_names);
	free(f->why);
}

/* --dry-run (text): the keys the file would add, change, refuse and vanish. */
static bool
previewing(const struct ingest_file *f)
{
	return f->app->dry_run && !f->app->json;
}

static void
preview(const struct ingest_file *f, const char *mark, const char *key, const struct record *r)
{
	char name[PRESENT_MAX] = "";

	if (!previewing(f))
		return;
	if (r)
		present_vehicle(r, name);
	printf("  %s %s%s%s%s\n", mark, key, name[0] ? " (" : "", name, name[0] ? ")" : "");
}

/*
 * Where the file had e's key first (0: not yet). A parsed row marks the
 * entry and its rawset row, a row matched by its raw bytes only the rawset
 * row: the main thread then needs no key lookup for the 91% of a steady
 * state file, whose rows come in nearly the order the set was loaded in.
 */
static unsigned long
seen_at(const struct ingest_file *f, const struct keymap_entry *e)
{
	if (e->seen_line || !e->raw || !f->same_seen)
		return e->seen_line;
	return f->same_seen[e->raw - 1];
}

static void
mark_seen(struct ingest_file *f, struct keymap_entry *e, unsigned long line)
{
	e->seen_line = line;
	if (e->raw && f->same_seen)
		f->same_seen[e->raw - 1] = line;
}

/*
 * A row that is present but refused says nothing about whether its
 * vehicle is still for sale: with a readable key the vehicle keeps its
 * last good version (seen, unchanged); a new one is not created.
 */
static void
refused_key(struct ingest_file *f, const struct row_error *e)
{
	struct keymap_entry *k;

	if (!e->key) {
		f->unreadable++;
		return;
	}
	k = keymap_get(&f->map, e->key);
	if (k && seen_at(f, k))
		return; /* a duplicate row of a key already seen */
	if (k && k->current) {
		mark_seen(f, k, e->line);
		f->kept++;
		f->info.vehicles++;
		return;
	}
	if (!k) {
		k = keymap_put(&f->map, e->key);
		k->seen_line = e->line; /* a later good row of the same key is a duplicate */
	}
	if (!f->not_created++)
		f->first_not_created = xstrdup(e->key);
}

static enum ls_scope
on_reject(void *ctx, struct row_error *e)
{
	struct ingest_file *f = ctx;

	log_progress_step();
	if (previewing(f))
		printf("  ! line %lu%s%s: %s\n", e->line, e->field ? ": field " : "",
		       e->field ? e->field : "", e->reason);

	log_info("%s:%lu: row rejected%s%s: %s", f->name, e->line, e->field ? ": field " : "",
	         e->field ? e->field : "", e->reason);
	f->info.rejected_rows++;
	refused_key(f, e);
	if (!f->keep_rejects || f->nrejects >= LS_MAX_KEPT_REJECTS) {
		row_error_release(e);
		return LS_BAD_RECORD;
	}
	f->rejects = xgrow(f->rejects, &f->arejects, f->nrejects + 1, sizeof(*f->rejects));
	f->rejects[f->nrejects++] = *e;
	return LS_BAD_RECORD;
}

/*
 * One more vehicle with a value in field name, the nth of its record. Most
 * records have the fields of the one before in the same places, so a
 * comparison with the field counted there spares hashing a million times
 * twenty names.
 */
static void
count_fill(struct ingest_file *f, size_t nth, const char *name)
{
	struct fill_memo *m;

	if (f->memo_cap != f->fill.cap) { /* none yet, or the map grew: entries moved */
		f->nmemo = 0;
		f->memo_cap = f->fill.cap;
	}
	if (nth < f->nmemo && strcmp(f->memo[nth].name, name) == 0) {
		if (f->memo[nth].e)
			f->memo[nth].e->version++;
		return;
	}
	if (nth >= f->nmemo) {
		f->memo = xgrow(f->memo, &f->amemo, nth + 1, sizeof(*f->memo));
		for (size_t i = f->nmemo; i <= nth; i++)
			f->memo[i] = (struct fill_memo){"", NULL};
		f->nmemo = nth + 1;
	}
	m = &f->memo[nth];
	if (str_startswith(name, "extra.")) {
		*m = (struct fill_memo){"", NULL}; /* not counted: no memo, it may differ */
		return;
	}
	m->e = keymap_put(&f->fill, name);
	m->e->version++;
	m->name = m->e->key;
	if (f->memo_cap != f->fill.cap) { /* the put grew the map */
		f->nmemo = 0;
		f->memo_cap = f->fill.cap;
	}
}

/* A second record of a key already seen in the file: refused. */
static enum ls_scope
duplicate(struct ingest_file *f, const char *key, unsigned long line, unsigned long first)
{
	struct row_error err = {
	        .line = line,
	        .field = xstrdup(f->wop                         ? "wo_number"
	                         : f->feed->key == FEED_KEY_VIN ? "vin"
	                                                        : "stock_no"),
	        .reason = xasprintf("duplicate key '%s' (first on line %lu)", key, first),
	        .key = xstrdup(key)};

	return on_reject(f, &err);
}

/* The raw record a parsed one came from is what cur keeps, for the next file (fast path). */
static int
keep_raw(struct ingest_file *f, const struct keymap_entry *e, const struct record *r)
{
	const struct rawrec *was;

	if (!r->has_raw) /* the reader hashes only when it was given the set */
		return 0;
	was = e->raw ? &f->raw.rows[e->raw - 1].r : NULL;
	if (was && !memcmp(was, &r->raw, sizeof(*was)))
		return 0;
	return store_cur_set_raw(f->app->store, f->feed->name, e->version, &r->raw);
}

/* Compare one parsed record with the feed's current version of its key. */
static enum ls_scope
apply_record(void *ctx, const struct record *r)
{
	struct ingest_file *f = ctx;
	struct keymap_entry *e = keymap_get(&f->map, r->key);
	struct pending *p;
	const char *vin;
	/* A person is a record of its own, but not one of the feed's work orders. */
	bool person = f->wop && wo_key_is_person(r->key);

	if (e && seen_at(f, e))
		return duplicate(f, r->key, r->line, seen_at(f, e));
	log_progress_step(); /* a duplicate stepped in on_reject */
	if (!e)
		e = keymap_put(&f->map, r->key);
	mark_seen(f, e, r->line);
	if (!person) {
		f->info.vehicles++;
		f->records++;
		for (size_t i = 0; i < r->nfields; i++)
			count_fill(f, i, r->fields[i].name);
	}
	if (f->rules)
		srs_batch_add(&f->present, r, !e->current); /* rules hook */
	if (e->current && e->hash == r->hash)
		return keep_raw(f, e, r) == -1 ? LS_BAD_RUN : LS_OK;
	preview(f, e->current ? "~" : "+", r->key, person ? NULL : r);
	if (e->current) {
		f->info.changed += !person;
		if (store_version_end(f->app->store, f->feed->name, e->version, f->info.seq) == -1)
			return LS_BAD_RUN;
	} else {
		f->info.new_ += !person;
	}
	e->hash = r->hash;
	e->version = 0; /* until write_pending() writes it */
	vin = record_get(r, "vin");
	if (!f->pend[f->filling])
		f->pend[f->filling] = xcalloc(1, sizeof(struct pending));
	p = f->pend[f->filling];
	p->raw[p->n] = r->raw;
	p->rows[p->n] = (struct version_row){.key = xstrdup(r->key),
	                                     .vin = vin ? xstrdup(vin) : NULL,
	                                     .hash = r->hash,
	                                     .json = r->json ? xstrndup(r->json, r->json_len)
	                                                     : record_to_json(r),
	                                     .kind = !f->wop  ? NULL
	                                             : person ? "person"
	                                                      : "workorder",
	                                     .raw = r->has_raw ? &p->raw[p->n] : NULL};
	if (++p->n == PENDING_MAX && rotate_pending(f) == -1)
		return LS_BAD_RUN;
	return LS_OK;
}

/*
 * A record whose raw bytes are those of a current version (the fast path):
 * what apply_record() does with an unchanged record, without the record.
 * Its version is current unless the key was seen (every change of an entry
 * marks it seen first), then it is a duplicate.
 */
static enum ls_scope
on_same(void *ctx, size_t row, unsigned long line)
{
	struct ingest_file *f = ctx;
	const struct rawset_row *rr = &f->raw.rows[row];

	if (f->same_seen[row])
		return duplicate(f, rr->key, line, f->same_seen[row]);
	log_progress_step();
	f->same_seen[row] = line;
	f->info.vehicles++;
	f->records++;
	for (uint64_t fill = rr->r.fill; fill; fill &= fill - 1)
		f->same_fill[__builtin_ctzll(fill)]++;
	return LS_OK;
}

/* The fields the fill bits of on_same() stand for: kept until the fill is collected. */
static enum ls_scope
on_same_fields(void *ctx, const char *const *names, size_t n)
{
	struct ingest_file *f = ctx;

	f->same_names = xcalloc(n + 1, sizeof(*f->same_names));
	for (size_t i = 0; i < n && i < 64; i++)
		f->same_names[f->nsame_names++] = xstrdup(names[i]);
	return LS_OK;
}

/* A work order's delete entry (upsert feeds): its version ends here; not an absence. */
static enum ls_scope
on_remove(void *ctx, const char *key, unsigned long line)
{
	struct ingest_file *f = ctx;
	struct keymap_entry *e = keymap_get(&f->map, key);

	if (!e || !e->current || seen_at(f, e)) {
		log_info("%s:%lu: delete entry for work order %s, which is not current", f->name,
		         line, key);
		return LS_OK;
	}
	mark_seen(f, e, line);
	e->current = false;
	f->removed++;
	f->info.vanished++;
	preview(f, "-", key, NULL);
	return store_version_end(f->app->store, f->feed->name, e->version, f->info.seq) == -1
	               ? LS_BAD_RUN
	               : LS_OK;
}

/* Warnings too wait for the guard: copied, written with the rejected rows. */
static enum ls_scope
on_warn(void *ctx, const struct row_warning *w)
{
	struct ingest_file *f = ctx;
	struct kept_warning *k;

	if (!f->keep_rejects || f->nwarns >= LS_MAX_KEPT_REJECTS)
		return LS_OK;
	f->warns = xgrow(f->warns, &f->awarns, f->nwarns + 1, sizeof(*f->warns));
	k = &f->warns[f->nwarns++];
	k->code = xstrdup(w->code);
	k->line = w->line;
	k->field = w->field ? xstrdup(w->field) : NULL;
	k->message = xstrdup(w->message);
	return LS_OK;
}

static int
by_version(const void *a, const void *b)
{
	long long x = (*(struct keymap_entry *const *)a)->version;
	long long y = (*(struct keymap_entry *const *)b)->version;

	return (x > y) - (x < y);
}

/*
 * Versions of keys the file no longer has end at this snapshot, in version
 * order: cur is keyed by (feed, version_id), and 20k ends of a 1M-vehicle
 * feed in the keymap's hash order touched a random page each.
 */
static int
end_vanished(struct ingest_file *f)
{
	struct keymap_entry **gone;
	size_t n = 0;
	int rc = -1;

	if (f->upsert) /* a file of changes: the others are still there */
		return 0;
	gone = xcalloc(f->map.n + 1, sizeof(*gone));
	for (size_t i = 0; i < f->map.cap; i++) {
		struct keymap_entry *e = &f->map.slots[i];

		if (e->key && e->current && !seen_at(f, e))
			gone[n++] = e;
	}
	qsort(gone, n, sizeof(*gone), by_version);
	for (size_t i = 0; i < n; i++) {
		struct keymap_entry *e = gone[i];

		if (!(f->wop && wo_key_is_person(e->key))) {
			if (!f->info.vanished++)
				f->first_vanished = xstrdup(e->key);
			preview(f, "-", e->key, NULL);
		}
		if (store_version_end(f->app->store, f->feed->name, e->version, f->info.seq) == -1)
			goto out;
	}
	rc = 0;
out:
	free(gone);
	return rc;
}

/* The header's mapped columns (CSV), kept for the drift guard and the snapshot. */
static enum ls_scope
on_columns(void *ctx, const char *const *names, const char *const *fields, size_t n)
{
	struct ingest_file *f = ctx;

	/* Every column counts as present; the mapped ones are recorded for the next file. */
	f->header = xcalloc(n + 1, sizeof(*f->header));
	f->now.cols = xcalloc(n + 1, sizeof(*f->now.cols));
	for (size_t i = 0; i < n; i++) {
		f->header[f->nheader++] = xstrdup(names[i]);
		if (fields[i])
			f->now.cols[f->now.ncols++] =
			        (struct store_drift_col){xstrdup(names[i]), xstrdup(fields[i])};
	}
	return LS_OK;
}

/* The fill counts in the form the store keeps them. */
static void
collect_fill(struct ingest_file *f)
{
	for (size_t i = 0; i < 64; i++)
		if (f->same_fill[i] && i < f->nsame_names)
			keymap_put(&f->fill, f->same_names[i])->version +=
			        (long long)f->same_fill[i];
	f->now.fill = xcalloc(f->fill.n + 1, sizeof(*f->now.fill));
	for (size_t i = 0; i < f->fill.cap; i++)
		if (f->fill.slots[i].key)
			f->now.fill[f->now.nfill++] = (struct store_drift_fill){
			        xstrdup(f->fill.slots[i].key), f->fill.slots[i].version};
}

/*
 * The current set loaded while the file was archived is this transaction's
 * when no other connection committed since; else it is loaded again.
 */
static int
preload_valid(struct ingest_file *f)
{
	long long v;

	if (!f->preloaded)
		return 0;
	if (store_data_version(f->app->store, &v) == -1)
		return -1;
	if (v != f->preload_version) {
		log_info(
		        "%s: the database changed since the current set was read; reading it again",
		        f->name);
		keymap_release(&f->map);
		keymap_init(&f->map);
		rawset_release(&f->raw);
		f->preloaded = false;
	}
	return 0;
}

/*
 * Diff the file at path against the feed's current vehicles and write the
 * new and ended versions into the open transaction, under f->info's id and
 * seq. Row errors are collected, not written.
 */
static enum ls_scope
apply_file(struct ingest_file *f, const char *path)
{
	struct reader_cb cb = {.record = apply_record,
	                       .reject = on_reject,
	                       .warn = on_warn,
	                       .columns = on_columns,
	                       .remove = on_remove,
	                       .same_fields = on_same_fields,
	                       .same = on_same,
	                       .ctx = f};
	enum ls_scope sc;
	char sha[65];
	char what[128];

	if (preload_valid(f) == -1 ||
	    (!f->preloaded && store_load_current(f->app->store, f->feed->name, &f->map,
	                                         f->want_raw ? &f->raw : NULL) == -1) ||
	    store_feed_last_applied(f->app->store, f->feed->name, f->info.seq, &f->prev_id, sha) ==
	            -1 ||
	    (f->prev_id > 0 && store_drift_load(f->app->store, f->prev_id, &f->prev) == -1))
		return LS_BAD_RUN;
	if (!f->preloaded && f->want_raw)
		rawset_build(&f->raw);
	/*
	 * The fast path stands for a parse only where a skipped record needs
	 * nothing but its key, fill and findings. Not with rules: they take
	 * every vehicle's fields (srs_batch_add). Not for work orders (wo_read
	 * groups rows into records) or XML (reader_raw_fastpath()).
	 */
	f->fast = f->want_raw && !f->rules;
	if (f->fast) {
		cb.raw = &f->raw;
		f->same_seen = xcalloc_written(f->raw.n + 1, sizeof(*f->same_seen));
	} else {
		rawset_release(&f->raw); /* loaded before the rules were known: not needed */
	}
	f->before = (long long)f->map.n;
	if (f->wop) {
		f->upsert = wo_feed_mode(f->feed, f->wop) == FEED_MODE_UPSERT;
		for (size_t i = 0; i < f->map.cap; i++)
			f->before -= f->map.slots[i].key && wo_key_is_person(f->map.slots[i].key);
	}
	if (previewing(f))
		printf("dry run: %s (feed %s): + new, ~ changed, ! refused, - vanished\n", f->name,
		       f->feed->name);
	snprintf(what, sizeof(what), "ingest %s/%s", f->feed->name, f->name);
	log_progress_begin(what, "rows");
	sc = f->wop ? wo_read(f->wop, f->feed, path, f->name, &cb, &f->why)
	            : reader_read(f->prof, f->feed, path, f->name, &cb, &f->why);
	log_progress_end();
	if (sc >= LS_BAD_FILE)
		return sc;
	if (flush_versions(f) == -1)
		return LS_BAD_RUN;
	collect_fill(f);
	return end_vanished(f) == -1 ? LS_BAD_RUN : LS_OK;
}

/*
 * The vanish guard (SPEC §2, §6): an empty file, or one that would vanish
 * more than vanish_guard of the feed's vehicles and at least
 * vanish_guard_min, is held for an operator instead of applied. Returns the
 * reason (caller frees) or NULL to apply.
 */
static long long
filled(const struct store_drift *d, const char *field)
{
	for (size_t i = 0; i < d->nfill; i++)
		if (!strcmp(d->fill[i].field, field))
			return d->fill[i].filled;
	return 0;
}

static bool
has_column(const struct ingest_file *f, const char *name)
{
	for (size_t i = 0; i < f->nheader; i++)
		if (!strcasecmp(f->header[i], name))
			return true;
	return false;
}

/*
 * The drift guard (SPEC §9): a mapped column the previous applied snapshot
 * had is missing (a renamed Price blanks every price), or a field filled
 * for at least half of its vehicles is empty for 95% or more of this
 * file's. Returns the reason (caller frees) or NULL.
 */
static char *
drift_reason(const struct ingest_file *f)
{
	const struct store_drift *p = &f->prev;
	long long prev_n;

	/* An upsert file holds what changed: its fields say nothing about the others'. */
	if (!f->prev_id || !p->known || f->upsert)
		return NULL;
	/* Every record has its key: the key's fill is the previous file's record count. */
	prev_n = filled(p, f->wop                         ? "wo_number"
	                   : f->feed->key == FEED_KEY_VIN ? "vin"
	                                                  : "stock_no");
	/* A previous file without vehicles (a header only, accepted) is no baseline. */
	if (prev_n <= 0)
		return NULL;
	/* Only CSV files with a header report columns; compare like with like. */
	if (f->nheader)
		for (size_t i = 0; i < p->ncols; i++)
			if (!has_column(f, p->cols[i].name))
				return xasprintf(
				        "drift: column '%s' (field %s) that snapshot %lld had is "
				        "missing from this file",
				        p->cols[i].name, p->cols[i].field, f->prev_id);
	if (f->records <= 0)
		return NULL;
	for (size_t i = 0; i < p->nfill; i++) {
		long long was = p->fill[i].filled, is = filled(&f->now, p->fill[i].field);

		if (2 * was >= prev_n && 20 * (f->records - is) >= 19 * f->records)
			return xasprintf("drift: field %s was filled for %lld of %lld vehicles in "
			                 "snapshot %lld and is empty for %lld of %lld now",
			                 p->fill[i].field, was, prev_n, f->prev_id, f->records - is,
			                 f->records);
	}
	return NULL;
}

static char *
guard_reason(const struct ingest_file *f)
{
	const struct snapshot_info *i = &f->info;
	char *why;

	if (i->vehicles == 0 && !f->removed)
		return xasprintf("the file has no %s (the feed had %lld)",
		                 f->wop ? "work orders" : "vehicles", f->before);
	if (f->unreadable && i->vanished)
		return xasprintf(
		        "unreadable keys: %lld refused row%s without a readable key, and "
		        "the file would vanish %lld vehicle%s (first: %s); which are really "
		        "gone cannot be told",
		        f->unreadable, f->unreadable > 1 ? "s" : "", i->vanished,
		        i->vanished > 1 ? "s" : "", f->first_vanished);
	if ((why = drift_reason(f)) != NULL)
		return why;
	if (!f->upsert && f->before > 0 &&
	    (double)i->vanished > f->feed->vanish_guard * (double)f->before &&
	    i->vanished >= (long long)f->feed->vanish_guard_min)
		return xasprintf("%lld of %lld vehicles (%.0f%%) would vanish; vanish_guard is "
		                 "%.0f%% and at least %u",
		                 i->vanished, f->before,
		                 100.0 * (double)i->vanished / (double)f->before,
		                 100.0 * f->feed->vanish_guard, f->feed->vanish_guard_min);
	return NULL;
}

/* Why a new file must wait: an older snapshot of the feed is held. NULL if none. */
static char *
held_before(struct app *app, const struct feed_conf *feed, int *err)
{
	long long *ids = NULL;
	size_t n = 0;
	char *why = NULL;

	*err = store_feed_held(app->store, feed->name, &ids, &n);
	if (*err == 0 && n > 0)
		why = xasprintf("an older snapshot of the feed (%lld) is held", ids[0]);
	free(ids);
	return why;
}

static void
add_note(struct ingest_file *f, const char *code, char *msg)
{
	struct row_warning w = {.code = code, .message = msg};

	log_info("%s: %s", f->name, msg);
	on_warn(f, &w);
	free(msg);
}

/* What an operator should know about refused rows and resent content, with the snapshot. */
static void
add_notes(struct ingest_file *f)
{
	if (f->same_as)
		add_note(f, "same_content", xasprintf("same content as snapshot %lld", f->same_as));
	if (f->kept)
		add_note(f, "refused_kept",
		         xasprintf("%lld refused row%s kept %s vehicle%s last good version: still "
		                   "current, exported and present for the rules",
		                   f->kept, f->kept > 1 ? "s" : "", f->kept > 1 ? "their" : "its",
		                   f->kept > 1 ? "s'" : "'s"));
	if (f->not_created)
		add_note(f, "refused_new",
		         xasprintf("%lld new vehicle%s not created: the first row was refused "
		                   "(first: %s)",
		                   f->not_created, f->not_created > 1 ? "s" : "",
		                   f->first_not_created));
}

static int
write_rejects(struct ingest_file *f)
{
	for (size_t i = 0; i < f->nrejects; i++)
		if (store_reject_add(f->app->store, f->info.id, &f->rejects[i]) == -1)
			return -1;
	for (size_t i = 0; i < f->nwarns; i++) {
		const struct kept_warning *k = &f->warns[i];
		struct row_warning w = {
		        .code = k->code, .line = k->line, .field = k->field, .message = k->message};

		if (store_warning_add(f->app->store, f->info.id, &w) == -1)
			return -1;
	}
	return 0;
}

/*
 * A feed's first steps, done ahead on a thread of its own (ingest.h): each
 * has_* says the step ran there, with its result beside it; ingest_feed()
 * takes those results instead of doing the step again, in the same order,
 * so the feed's outcome is what doing them in place would have given.
 */
struct ingest_stage {
	pthread_t tid;
	struct app *app;
	const struct feed_conf *feed;
	struct profile prof;
	struct wo_profile wop;
	bool has_prof, has_prep, purged, has_work, has_incoming, has_claim, has_arc;
	int prof_rc, prep_rc, work_rc, incoming_rc, arc;
	struct spool_scan work, incoming;
	enum spool_claim claim; /* of incoming.files[0] */
	char *claimed;          /* its work path */
	char sha[FSIO_SHA256_HEX], *parse;
	uint64_t size;
};

/* One feed's ingest: what its files share, and the worst condition met. */
struct feed_ingest {
	struct app *app;
	struct srs_run *srs;
	const struct feed_conf *feed;
	const struct profile *prof;
	const struct wo_profile *wop; /* kind = workorder */
	struct ingest_summary *sum;
	enum ls_exit status;
	struct ingest_stage *stage; /* or NULL */
	bool staged_file;           /* the file ingest_file() gets is the stage's archived one */
};

static void
note(struct feed_ingest *fi, enum ls_exit e)
{
	fi->status = status_worse(fi->status, e);
}

/*
 * Quarantine a work file: record it (once, even when a crash makes a rerun
 * quarantine it again), then copy it to failed/<feed>/ with a .reason file
 * next to it and remove it from work/. Its bytes are already archived by
 * SHA-256. LS_BAD_FILE when done (the feed goes on), LS_BAD_FEED when the
 * spool failed, LS_BAD_RUN when the database did.
 */
static enum ls_scope
quarantine(struct feed_ingest *fi, const char *path, const char *name, const char *sha,
           const char *why)
{
	struct app *app = fi->app;
	char now[CLOCK_ISO_LEN], *qname = NULL, *dir;

	note(fi, LS_EXIT_DATAERR);
	if (app->dry_run) {
		log_error("%s: would be quarantined: %s", name, why);
		return LS_BAD_FILE;
	}
	clock_format(clock_now(), now);
	if (store_begin(app->store) == -1)
		goto fail;
	if (store_quarantine_add(app->store, app->run, fi->feed->name, name, sha, why, now) == -1 ||
	    store_commit(app->store) == -1) {
		store_rollback(app->store);
		goto fail;
	}
	crash_point("ingest:quarantine-recorded");
	if (spool_quarantine(&app->spool, fi->feed->name, path, name, sha, now, why, &qname) ==
	    -1) {
		note(fi, LS_EXIT_IOERR);
		return LS_BAD_FEED;
	}
	dir = spool_path(&app->spool, SPOOL_FAILED, fi->feed->name);
	log_error("%s: quarantined in %s as %s (reason in %s.reason)", name, dir, qname, qname);
	free(dir);
	free(qname);
	return LS_BAD_FILE;
fail:
	note(fi, store_failure(app->store));
	return LS_BAD_RUN;
}

/*
 * The feed's current set is read on a second thread while the file is
 * copied into the archive and hashed: at a million vehicles both take about
 * half a second, and neither needs the other.
 */
struct preload {
	pthread_t tid;
	bool running;
	bool ran; /* here, on the caller's thread */
	struct store *st;
	const char *feed;
	struct keymap *map;
	struct rawset *raw; /* or NULL */
	long long version;
	int rc;
};

static void *
preload_main(void *arg)
{
	struct preload *p = arg;

	p->rc = store_preload_current(p->st, p->feed, p->map, p->raw, &p->version);
	if (p->rc == 0 && p->raw)
		rawset_build(p->raw);
	return NULL;
}

/*
 * Start it (not in a dry run: its transaction encloses everything). On a
 * thread of its own while the file is archived; when the stage archived it
 * ahead there is nothing to overlap, and a thread per feed only added its
 * start and join to each of 2000 small feeds.
 */
static void
preload_start(struct preload *p, struct ingest_file *f, bool overlap)
{
	*p = (struct preload){.st = f->app->store,
	                      .feed = f->feed->name,
	                      .map = &f->map,
	                      .raw = f->want_raw ? &f->raw : NULL};
	if (f->app->dry_run)
		return;
	if (overlap)
		p->running = pthread_create(&p->tid, NULL, preload_main, p) == 0;
	else {
		preload_main(p);
		p->ran = true;
	}
}

/* Wait for it: -1 when its load failed (logged: the database failed, as any statement). */
static int
preload_join(struct preload *p, struct ingest_file *f)
{
	if (!p->running && !p->ran)
		return 0;
	if (p->running)
		pthread_join(p->tid, NULL);
	p->running = p->ran = false;
	f->preloaded = p->rc == 0;
	f->preload_version = p->version;
	return p->rc == -1 ? -1 : 0;
}

/*
 * The bytes to apply: archived first (lotsync's own read-only copy, hashed
 * while copying), and *parse is that copy, so what is applied is exactly
 * the evidence whatever happens to the work file. --dry-run archives,
 * moves and removes nothing: it hashes and parses the file where it is.
 * 0, 1 (still being written: nothing archived), -1 (logged).
 */
static int
archive(struct app *app, const struct feed_conf *feed, const char *path, char *sha, uint64_t *size,
        char **parse)
{
	int rc;

	if (app->dry_run) {
		*parse = xstrdup(path);
		return fsio_sha256_file(path, sha, size);
	}
	if ((rc = spool_archive(&app->spool, feed->name, path, sha, size)) == 0)
		*parse = spool_file_path(&app->spool, SPOOL_ARCHIVE, feed->name, sha);
	return rc;
}

/* The file is committed: out of work/. A failure stops the feed (a rerun finds it recorded). */
static enum ls_scope
finish_work_file(struct feed_ingest *fi, const char *path)
{
	if (fi->app->dry_run)
		return LS_OK;
	if (spool_remove_work(path) == -1) {
		note(fi, LS_EXIT_IOERR);
		return LS_BAD_FEED;
	}
	crash_point("ingest:work-removed");
	return LS_OK;
}

static char *
now_iso(char buf[CLOCK_ISO_LEN])
{
	return clock_format(clock_now(), buf);
}

/* Record a re-delivered file as a duplicate snapshot of the earlier one. */
static int
record_duplicate(struct app *app, struct snapshot_info *info, long long first)
{
	char now[CLOCK_ISO_LEN];

	info->state = SNAP_DUPLICATE;
	info->hold_reason = NULL;
	log_info("%s: same content as snapshot %lld; recorded as duplicate, not applied",
	         info->file, first);
	if (store_begin(app->store) == -1)
		return -1;
	if ((info->id = store_snapshot_add(app->store, app->run, info)) < 0 ||
	    store_snapshot_seal(app->store, info) == -1 ||
	    store_chain_snapshot(app->store, "snapshot", info->id, now_iso(now), NULL) == -1 ||
	    store_commit(app->store) == -1) {
		store_rollback(app->store);
		return -1;
	}
	return 0;
}

/*
 * Parse, diff and guard a new file into a snapshot inside the open
 * transaction. When the guard holds the file, everything written is rolled
 * back and a new transaction records only the held snapshot: its counts,
 * rejected rows and warnings (kept in memory until now). A savepoint would
 * say the same, but SQLite then journals every page the versions touch a
 * second time: 2 GB of writes for a 1M-vehicle feed.
 */
static enum ls_scope
snapshot_file(struct ingest_file *f, const char *path)
{
	struct store *st = f->app->store;
	char *why_held = NULL, now[CLOCK_ISO_LEN];
	enum ls_scope sc;
	int err;

	if ((f->info.seq = store_feed_next_seq(st, f->feed->name)) < 0 ||
	    (f->info.id = store_snapshot_add(st, f->app->run, &f->info)) < 0)
		return LS_BAD_RUN;
	why_held = held_before(f->app, f->feed, &err);
	if (err) {
		free(why_held);
		return LS_BAD_RUN;
	}
	sc = apply_file(f, path);
	if (sc != LS_OK) {
		free(why_held);
		return sc;
	}
	if (!why_held)
		why_held = guard_reason(f);
	if (why_held) {
		f->info.state = SNAP_HELD;
		f->info.seq = 0;
		f->info.hold_reason = why_held;
		store_rollback(st);
		if (store_begin(st) == -1 ||
		    (f->info.id = store_snapshot_add(st, f->app->run, &f->info)) < 0)
			return LS_BAD_RUN;
	}
	add_notes(f);
	if (write_rejects(f) == -1 ||
	    (f->info.state == SNAP_APPLIED && store_drift_add(st, f->info.id, &f->now) == -1) ||
	    store_snapshot_seal(st, &f->info) == -1 ||
	    store_chain_snapshot(st, "snapshot", f->info.id, now_iso(now), NULL) == -1)
		sc = LS_BAD_RUN;
	return sc;
}

static void
summarize(struct feed_ingest *fi, const struct ingest_file *f)
{
	struct ingest_summary *sum = fi->sum;

	/* A dry run's snapshot is rolled back: name no id that will not exist. */
	if (fi->app->dry_run) {
		if (previewing(f) && f->info.state == SNAP_HELD)
			printf("  would be held, nothing applied: %s\n", f->info.hold_reason);
		else if (previewing(f))
			printf("  would apply: %lld vehicles, %lld new, %lld changed, %lld "
			       "vanished, "
			       "%lld refused\n",
			       f->info.vehicles, f->info.new_, f->info.changed, f->info.vanished,
			       f->info.rejected_rows);
		if (f->info.state == SNAP_HELD)
			note(fi, LS_EXIT_HELD);
		return;
	}
	if (f->info.rejected_rows)
		log_warn("%s: %lld rows rejected; see 'lotsync show %lld --rejected'", f->name,
		         f->info.rejected_rows, f->info.id);
	if (f->info.state == SNAP_HELD) {
		log_warn("%s: snapshot %lld held, nothing applied: %s; 'lotsync accept %lld' "
		         "applies it, 'lotsync reject %lld' discards it",
		         f->name, f->info.id, f->info.hold_reason, f->info.id, f->info.id);
		note(fi, LS_EXIT_HELD);
		sum->held++;
		sum->last_snapshot = f->info.id;
		return;
	}
	sum->files++;
	sum->vehicles = f->info.vehicles;
	sum->new_ += f->info.new_;
	sum->changed += f->info.changed;
	sum->vanished += f->info.vanished;
	sum->rejected += f->info.rejected_rows;
	sum->last_snapshot = f->info.id;
}

#define LEFTOVER_DONE LLONG_MAX

/*
 * Is this content a duplicate (SPEC §9)? Only a file identical to the
 * feed's newest applied snapshot (or to one still held) is: a file
 * identical to an older snapshot is the inventory now (a reverted price, a
 * good file resent after a bad one) and is applied; *same_as names the
 * older snapshot. A leftover in work/ that is the newest snapshot under
 * its own name was committed before a crash: LEFTOVER_DONE. Returns the
 * snapshot it duplicates, 0 to apply, -1 on error.
 */
static long long
duplicate_of(struct app *app, const struct feed_conf *feed, const char *sha, bool leftover,
             const char *name, long long *same_as)
{
	char last[65];
	long long id, held;
	int done;

	*same_as = 0;
	if (leftover) {
		if ((done = store_snapshot_newest_is(app->store, feed->name, sha, name)) < 0)
			return -1;
		if (done)
			return LEFTOVER_DONE;
	}
	if (store_feed_last_applied(app->store, feed->name, 0, &id, last) == -1 ||
	    (held = store_snapshot_held_sha(app->store, feed->name, sha)) < 0)
		return -1;
	if (id > 0 && !strcmp(last, sha))
		return id;
	if (held > 0)
		return held;
	*same_as = store_snapshot_applied_sha(app->store, feed->name, sha);
	return *same_as < 0 ? -1 : 0;
}

/*
 * One work file into a snapshot (or a duplicate, or failed/). Returns what
 * it spoiled: LS_OK or LS_BAD_FILE (quarantined) let the feed go on,
 * LS_BAD_FEED stops the feed (its spool or file cannot be read or moved),
 * LS_BAD_RUN stops the run (the database failed). The exit condition goes
 * to fi->status.
 */
static enum ls_scope
ingest_file(struct feed_ingest *fi, const struct spool_file *wf, bool leftover)
{
	struct app *app = fi->app;
	const struct feed_conf *feed = fi->feed;
	struct ingest_file f = {.app = app,
	                        .srs = fi->srs,
	                        .feed = feed,
	                        .prof = fi->prof,
	                        .wop = fi->wop,
	                        .name = wf->name,
	                        .keep_rejects = true};
	char sha[FSIO_SHA256_HEX], now[CLOCK_ISO_LEN], *fetched_from = NULL, *parse = NULL;
	uint64_t size = 0;
	long long first;
	enum ls_scope sc = LS_BAD_RUN, ret;
	struct preload pl;
	int rules, arc;

	keymap_init(&f.map);
	keymap_init(&f.fill);
	rawset_init(&f.raw);
	f.want_raw = !f.wop && reader_raw_fastpath(f.prof);
	srs_batch_init(&f.present);
	preload_start(&pl, &f, !fi->staged_file);
	if (fi->staged_file) {
		/* Archived ahead (ingest_stage_start): its result, as if just now */
		fi->staged_file = false;
		arc = fi->stage->arc;
		memcpy(sha, fi->stage->sha, sizeof(sha));
		size = fi->stage->size;
		parse = fi->stage->parse;
		fi->stage->parse = NULL;
	} else {
		arc = archive(app, feed, wf->path, sha, &size, &parse);
	}
	if (preload_join(&pl, &f) == -1)
		goto db_fail;
	if (arc != 0) {
		/* Still being written: it and the feed's later files wait for the next run */
		if (arc == 1)
			fi->sum->waiting++;
		else
			note(fi, LS_EXIT_IOERR);
		ret = LS_BAD_FEED;
		goto out;
	}
	crash_point("ingest:archived");
	/* A file the fetch step placed says where it came from; anything else was dropped */
	if (store_fetch_source(app->store, feed->name, wf->name, sha, &fetched_from) == -1)
		goto db_fail;
	f.info = (struct snapshot_info){.feed = feed->name,
	                                .state = SNAP_APPLIED,
	                                .sha256 = sha,
	                                .size = (long long)size,
	                                .file = wf->name,
	                                .source = fetched_from ? fetched_from : "drop",
	                                .profile = fi->wop ? fi->wop->name : fi->prof->name,
	                                .received_at = now_iso(now)};
	if ((first = duplicate_of(app, feed, sha, leftover, wf->name, &f.same_as)) < 0)
		goto db_fail;
	if (first > 0) {
		if (first != LEFTOVER_DONE && record_duplicate(app, &f.info, first) == -1)
			goto db_fail;
		fi->sum->duplicates += first != LEFTOVER_DONE;
		ret = finish_work_file(fi, wf->path);
		goto out;
	}
	if (store_begin(app->store) == -1)
		goto db_fail;
	if ((rules = srs_feed_wants_vehicles(app, feed)) < 0)
		goto rollback;
	f.rules = rules;
	sc = snapshot_file(&f, parse);
	if (sc == LS_BAD_FILE) {
		store_rollback(app->store);
		ret = quarantine(fi, wf->path, wf->name, sha,
		                 f.why ? f.why : "cannot be read as its profile says");
		fi->sum->quarantined++;
		goto out;
	}
	/* Rules act on applied snapshots only: a held one decides nothing yet. */
	/* Kept vehicles are present too: then the rules read the snapshot back by seq. */
	if (sc == LS_OK && f.info.state == SNAP_APPLIED && f.rules &&
	    srs_apply_snapshot(app, fi->srs, feed, f.info.id, f.kept ? NULL : &f.present) == -1)
		sc = LS_BAD_RUN;
	crash_point("ingest:before-commit");
	if (sc != LS_OK || store_commit(app->store) == -1)
		goto rollback;
	crash_point("ingest:committed");
	ret = finish_work_file(fi, wf->path);
	summarize(fi, &f);
	goto out;
rollback:
	store_rollback(app->store);
db_fail:
	/* The reader's own I/O failure (LS_BAD_FEED) spoils the feed; anything else the run */
	note(fi, sc == LS_BAD_FEED ? LS_EXIT_IOERR : store_failure(app->store));
	ret = sc == LS_BAD_FEED ? LS_BAD_FEED : LS_BAD_RUN;
out:
	free(parse);
	free(fetched_from);
	free(f.info.hold_reason);
	file_release(&f);
	return ret;
}

/* The scanned files in order, until one spoils the feed or the run (returned). */
static enum ls_scope
ingest_list(struct feed_ingest *fi, struct spool_scan *scan, bool leftover)
{
	struct app *app = fi->app;

	for (size_t i = 0; i < scan->nfiles; i++) {
		char *claimed = NULL;
		struct spool_file wf = scan->files[i];
		enum ls_scope sc;

		if (leftover && !app->dry_run &&
		    spool_adopt_marker(&app->spool, fi->feed->name, wf.name) == -1) {
			note(fi, LS_EXIT_IOERR);
			return LS_BAD_FEED;
		}
		if (!leftover && !app->dry_run) {
			struct ingest_stage *st = fi->stage;
			enum spool_claim cl;

			if (i == 0 && st && st->has_claim) {
				cl = st->claim;
				claimed = st->claimed;
				st->claimed = NULL;
				fi->staged_file = st->has_arc;
			} else {
				cl = spool_claim(&app->spool, fi->feed->name, &scan->files[i],
				                 &claimed);
			}
			switch (cl) {
			case SPOOL_CLAIMED: break;
			case SPOOL_CLAIM_GONE: continue;
			case SPOOL_CLAIM_BUSY:
				/* Applied out of order is worse than applied an hour later */
				fi->sum->waiting += (unsigned)(scan->nfiles - i);
				return LS_BAD_FEED;
			case SPOOL_CLAIM_FAILED:
				/* When it reached work/, the next run takes it up before the rest
				 */
				free(claimed);
				log_error("the feed stops here: %s could not be claimed; its later "
				          "files wait for the next run",
				          wf.name);
				note(fi, LS_EXIT_IOERR);
				return LS_BAD_FEED;
			}
			crash_point("ingest:claimed");
			wf.path = claimed;
		}
		sc = ingest_file(fi, &wf, leftover);
		free(claimed);
		if (sc >= LS_BAD_FEED) {
			if (sc == LS_BAD_FEED && i + 1 < scan->nfiles)
				log_error(
				        "the feed stops here after %s; its %zu later file(s) wait "
				        "for the next run",
				        wf.name, scan->nfiles - i - 1);
			return sc;
		}
	}
	return LS_OK;
}

static void
count_held(struct feed_ingest *fi)
{
	long long *ids = NULL;
	size_t n = 0;

	if (store_feed_held(fi->app->store, fi->feed->name, &ids, &n) == -1) {
		note(fi, store_failure(fi->app->store)); /* the run must not look clean */
	} else if (n > 0) {
		/* Still waiting for an operator: every run says so until someone decides. */
		note(fi, LS_EXIT_HELD);
		fi->sum->held_total = (unsigned)n;
	}
	free(ids);
}

/* Leftovers of an interrupted run first (they arrived first), then incoming/. */
static enum ls_scope
ingest_spool(struct feed_ingest *fi)
{
	struct app *app = fi->app;
	struct ingest_stage *st = fi->stage;
	struct spool_scan scan;
	enum ls_scope sc = LS_OK;
	int rc;

	if (!app->dry_run && !(st && st->purged))
		spool_purge_feed_tmp(&app->spool, fi->feed->name);
	/* An unreadable work/ must not let newer files of incoming/ overtake its leftovers */
	if (st && st->has_work) {
		rc = st->work_rc;
		scan = st->work;
		memset(&st->work, 0, sizeof(st->work));
	} else {
		rc = spool_scan_work(&app->spool, fi->feed->name, &scan);
	}
	if (rc == -1) {
		note(fi, LS_EXIT_IOERR);
		return LS_BAD_FEED;
	}
	sc = ingest_list(fi, &scan, true);
	spool_scan_release(&scan);
	if (sc >= LS_BAD_FEED)
		return sc;
	if (st && st->has_incoming) {
		rc = st->incoming_rc;
		scan = st->incoming;
		memset(&st->incoming, 0, sizeof(st->incoming));
	} else {
		rc = spool_scan_incoming(&app->spool, fi->feed->name, app->cfg.settle_seconds,
		                         &scan);
	}
	if (rc == -1) {
		note(fi, LS_EXIT_IOERR);
		return LS_BAD_FEED;
	}
	fi->sum->refused = scan.refused;
	fi->sum->waiting += scan.waiting;
	if (scan.refused)
		note(fi, LS_EXIT_DATAERR);
	sc = ingest_list(fi, &scan, false);
	spool_scan_release(&scan);
	return sc;
}

/* The profile (or work-order profile) of a feed: 0, or nonzero (logged). */
static int
load_profile(struct app *app, const struct feed_conf *feed, struct profile *prof,
             struct wo_profile *wop)
{
	return feed->kind == FEED_KIND_WORKORDER ? wo_profile_load(app->cfg.dir, feed->profile, wop)
	                                         : profile_load(app->cfg.dir, feed->profile, prof);
}

/*
 * The stage's thread: ingest_feed()'s first steps, in its order, up to the
 * archive of the first incoming file, stopping after the first that fails
 * or when work/ holds leftovers (they go first, and ingest_feed() takes
 * them up). Only the spool and the configuration: never the store.
 */
static void *
stage_main(void *arg)
{
	struct ingest_stage *st = arg;
	struct spool *sp = &st->app->spool;
	const char *name = st->feed->name;

	log_thread_scope(name);
	st->prof_rc = load_profile(st->app, st->feed, &st->prof, &st->wop);
	st->has_prof = true;
	if (st->prof_rc != 0)
		goto out;
	st->prep_rc = spool_prepare_feed(sp, name);
	st->has_prep = true;
	if (st->prep_rc == -1)
		goto out;
	spool_purge_feed_tmp(sp, name);
	st->purged = true;
	st->work_rc = spool_scan_work(sp, name, &st->work);
	st->has_work = true;
	if (st->work_rc == -1 || st->work.nfiles > 0)
		goto out;
	st->incoming_rc = spool_scan_incoming(sp, name, st->app->cfg.settle_seconds, &st->incoming);
	st->has_incoming = true;
	if (st->incoming_rc == -1 || st->incoming.nfiles == 0)
		goto out;
	st->claim = spool_claim(sp, name, &st->incoming.files[0], &st->claimed);
	st->has_claim = true;
	if (st->claim != SPOOL_CLAIMED)
		goto out;
	st->arc = archive(st->app, st->feed, st->claimed, st->sha, &st->size, &st->parse);
	st->has_arc = true;
out:
	log_thread_scope(NULL);
	return NULL;
}

struct ingest_stage *
ingest_stage_start(struct app *app, const struct feed_conf *feed)
{
	struct ingest_stage *st;

	/* A dry run moves nothing; armed crash points must stay one sequence */
	if (app->dry_run || crash_armed())
		return NULL;
	st = xcalloc(1, sizeof(*st));
	st->app = app;
	st->feed = feed;
	if (pthread_create(&st->tid, NULL, stage_main, st) != 0) {
		free(st);
		return NULL;
	}
	return st;
}

static void
stage_free(struct ingest_stage *st)
{
	profile_release(&st->prof);
	wo_profile_release(&st->wop);
	spool_scan_release(&st->work);
	spool_scan_release(&st->incoming);
	free(st->claimed);
	free(st->parse);
	free(st);
}

void
ingest_stage_drop(struct ingest_stage *st)
{
	if (!st)
		return;
	/* What it claimed or archived stays there: the next run takes it up from work/ */
	pthread_join(st->tid, NULL);
	stage_free(st);
}

enum ls_exit
ingest_feed(struct app *app, struct srs_run *srs, const struct feed_conf *feed,
            struct ingest_summary *sum, struct ingest_stage *stage)
{
	struct profile prof;
	struct wo_profile wop;
	struct feed_ingest fi = {.app = app,
	                         .srs = srs,
	                         .feed = feed,
	                         .prof = &prof,
	                         .wop = feed->kind == FEED_KIND_WORKORDER ? &wop : NULL,
	                         .sum = sum,
	                         .status = LS_EXIT_OK,
	                         .stage = stage};
	int rc;

	memset(sum, 0, sizeof(*sum));
	memset(&prof, 0, sizeof(prof));
	memset(&wop, 0, sizeof(wop));
	log_scope(feed->name);
	if (stage)
		pthread_join(stage->tid, NULL);
	if (stage && stage->has_prof) {
		rc = stage->prof_rc;
		prof = stage->prof;
		wop = stage->wop;
		memset(&stage->prof, 0, sizeof(stage->prof));
		memset(&stage->wop, 0, sizeof(stage->wop));
	} else {
		rc = load_profile(app, feed, &prof, &wop);
	}
	if (rc != 0) {
		note(&fi, LS_EXIT_CONFIG);
		sum->scope = LS_BAD_FEED;
		goto out;
	}
	if (stage && stage->has_prep ? stage->prep_rc == -1
	                             : spool_prepare_feed(&app->spool, feed->name) == -1) {
		note(&fi, LS_EXIT_IOERR);
		sum->scope = LS_BAD_FEED;
		goto out;
	}
	if (store_cache_mib(app->store, STORE_CACHE_WRITE_MIB) == -1) {
		note(&fi, store_failure(app->store));
		sum->scope = LS_BAD_RUN;
		goto out;
	}
	sum->scope = ingest_spool(&fi);
	if (store_cache_mib(app->store, STORE_CACHE_MIB) == -1) {
		note(&fi, store_failure(app->store));
		sum->scope = LS_BAD_RUN;
	}
	if (sum->scope < LS_BAD_RUN)
		count_held(&fi);
out:
	profile_release(&prof);
	wo_profile_release(&wop);
	if (stage)
		stage_free(stage);
	log_scope(NULL);
	return fi.status;
}

/*
 * Apply a held snapshot now, as an ingest would: re-read its archived file,
 * diff it against the feed's current vehicles, store the versions. With
 * guard, the vanish guard judges it again and a hold leaves it held.
 * Returns 1 applied, 0 still held, -1 error.
 */
static int
apply_held(struct app *app, struct srs_run *srs, const struct feed_conf *feed,
           const struct profile *prof, const struct wo_profile *wop, long long id, const char *by,
           const char *decided, bool guard)
{
	struct ingest_file f = {.app = app, .srs = srs, .feed = feed, .prof = prof, .wop = wop};
	char *path = NULL, now[CLOCK_ISO_LEN], *why = NULL;
	int rc = -1, rules;

	keymap_init(&f.map);
	keymap_init(&f.fill);
	rawset_init(&f.raw);
	f.want_raw = !wop && reader_raw_fastpath(prof);
	srs_batch_init(&f.present);
	if (store_snapshot_get(app->store, id, &f.info) == -1)
		goto out;
	f.name = f.info.file;
	path = spool_file_path(&app->spool, SPOOL_ARCHIVE, feed->name, f.info.sha256);
	f.info.vehicles = f.info.new_ = f.info.changed = f.info.vanished = 0;
	if (store_begin(app->store) == -1)
		goto out;
	if ((f.info.seq = store_feed_next_seq(app->store, feed->name)) < 0 ||
	    apply_file(&f, path) != LS_OK)
		goto rollback;
	if (guard && (why = guard_reason(&f)) != NULL) {
		log_warn("snapshot %lld stays held: %s", id, why);
		store_rollback(app->store);
		rc = 0;
		goto out;
	}
	f.info.state = SNAP_APPLIED;
	/* The rules read the vehicles back by seq once the snapshot is applied. */
	if (store_snapshot_decide(app->store, &f.info, decided) == -1 ||
	    store_drift_add(app->store, id, &f.now) == -1 ||
	    store_chain_snapshot(app->store, "accept", id, now_iso(now), by) == -1 ||
	    ((rules = srs_feed_wants_vehicles(app, feed)) != 0 &&
	     (rules < 0 || srs_apply_snapshot(app, srs, feed, id, NULL) == -1)))
		goto rollback;
	crash_point("accept:before-commit");
	if (store_commit(app->store) == -1)
		goto rollback;
	log_info("snapshot %lld applied: %lld vehicles, %lld new, %lld changed, %lld vanished", id,
	         f.info.vehicles, f.info.new_, f.info.changed, f.info.vanished);
	rc = 1;
	goto out;
rollback:
	store_rollback(app->store);
out:
	free(why);
	free(path);
	snapshot_info_release(&f.info);
	file_release(&f);
	return rc;
}

static int
reject_held(struct app *app, long long id, const char *by, const char *decided)
{
	struct snapshot_info s;
	char now[CLOCK_ISO_LEN];
	int rc = -1;

	if (store_snapshot_get(app->store, id, &s) == -1)
		return -1;
	s.state = SNAP_REJECTED;
	s.seq = 0;
	if (store_begin(app->store) == 0) {
		if (store_snapshot_decide(app->store, &s, decided) == -1 ||
		    store_chain_snapshot(app->store, "reject", id, now_iso(now), by) == -1 ||
		    store_commit(app->store) == -1)
			store_rollback(app->store);
		else
			rc = 0;
	}
	snapshot_info_release(&s);
	return rc;
}

/* After a decision, newer held snapshots of the feed are judged again, in order. */
static int
rejudge_newer(struct app *app, struct srs_run *srs, const struct feed_conf *feed,
              const struct profile *prof, const struct wo_profile *wop, long long after,
              const char *by)
{
	long long *ids = NULL;
	size_t n = 0;
	int rc = 0;

	if (store_feed_held(app->store, feed->name, &ids, &n) == -1)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *decided = xasprintf("applied by the vanish guard after snapshot %lld was "
		                          "decided by %s",
		                          after, by);
		int r = apply_held(app, srs, feed, prof, wop, ids[i], by, decided, true);

		free(decided);
		rc = r < 0 ? -1 : r == 0 ? 1 : 0;
	}
	free(ids);
	return rc < 0 ? -1 : 0;
}

enum ls_exit
ingest_decide(struct app *app, struct srs_run *srs, long long id, bool accept)
{
	struct snapshot_info s;
	const struct feed_conf *feed;
	struct profile prof;
	struct wo_profile wop;
	long long *held = NULL;
	size_t nheld = 0;
	char *by = util_operator_name(), *decided = NULL, now[CLOCK_ISO_LEN];
	enum ls_exit rc = LS_EXIT_USAGE;
	int r;

	memset(&prof, 0, sizeof(prof));
	memset(&wop, 0, sizeof(wop));
	if (store_snapshot_get(app->store, id, &s) == -1)
		goto out;
	if (s.state != SNAP_HELD) {
		log_error("snapshot %lld is %s, not held: nothing to %s", id,
		          snapshot_state_name(s.state), accept ? "accept" : "reject");
		goto out;
	}
	if (!(feed = config_feed(&app->cfg, s.feed))) {
		log_error("snapshot %lld belongs to feed '%s', which is no longer configured", id,
		          s.feed);
		rc = LS_EXIT_CONFIG;
		goto out;
	}
	if (store_feed_held(app->store, s.feed, &held, &nheld) == -1 || nheld == 0) {
		rc = LS_EXIT_SOFTWARE;
		goto out;
	}
	if (held[0] != id) {
		log_error("snapshot %lld of feed %s is held behind snapshot %lld: decide that one "
		          "first",
		          id, s.feed, held[0]);
		goto out;
	}
	rc = LS_EXIT_CONFIG;
	if (feed->kind == FEED_KIND_WORKORDER
	            ? wo_profile_load(app->cfg.dir, feed->profile, &wop) != 0
	            : profile_load(app->cfg.dir, feed->profile, &prof) != 0)
		goto out;
	decided = xasprintf("%s by %s at %s", accept ? "accepted" : "rejected", by, now_iso(now));
	const struct wo_profile *w = feed->kind == FEED_KIND_WORKORDER ? &wop : NULL;

	r = accept ? apply_held(app, srs, feed, &prof, w, id, by, decided, false)
	           : reject_held(app, id, by, decided);
	if (r < 0 || rejudge_newer(app, srs, feed, &prof, w, id, by) == -1) {
		rc = store_failure(app->store);
		goto out;
	}
	log_info("snapshot %lld %s", id, decided);
	rc = LS_EXIT_OK;
out:
	profile_release(&prof);
	wo_profile_release(&wop);
	snapshot_info_release(&s);
	free(held);
	free(decided);
	free(by);
	return rc;
}
