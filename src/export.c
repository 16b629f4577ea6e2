/* export.c - a target's vehicles -> one file in the outbox (see export.h). */
#include "lotsync/export.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/clock.h"
#include "lotsync/crash.h"
#include "lotsync/format.h"
#include "lotsync/fsio.h"
#include "lotsync/handoff.h"
#include "lotsync/keymap.h"
#include "lotsync/log.h"
#include "lotsync/render.h"
#include "lotsync/store_wo.h"
#include "lotsync/util.h"
#include "lotsync/wo.h"
#include "lotsync/wo_render.h"

#define DEFAULT_FILE_NAME "{target}-%Y%m%dT%H%M%SZ-{id}.{ext}"

/*
 * A full export of a million vehicles is two kinds of work of about the
 * same size: stepping SQLite through the current versions, and turning
 * their JSON into the format's bytes (parse, format, iconv, write,
 * SHA-256). They overlap on two threads: the calling thread keeps the
 * store (the only one that speaks to its connection) and copies the rows
 * it reads into batches; a render thread owns the renderer and renders the
 * batches in order. So the file's bytes, its warnings and their order are
 * those of one thread. Work-order targets render on the calling thread:
 * their renderer reads persons from the store.
 */
#define BATCH_BYTES (1u << 20) /* JSON a batch holds before it is handed over */
#define BATCH_SLOTS 4          /* batches in flight: memory is bounded by these */

struct batch_row {
	long long version;
	size_t feed, key, json, len; /* key and json: offsets into the batch's bytes */
	enum render_action a;
	bool packed; /* json is the stored frame: the render thread decompresses it */
};

struct batch {
	struct batch_row *rows;
	size_t nrows, rows_alloc;
	char *bytes;
	size_t len, alloc;
};

/* The batches between the two threads: BATCH_SLOTS of them, handed over in turn. */
struct pipeline {
	struct handoff *h; /* the render thread (render_batch); its result: a vehicle failed */
	struct batch slots[BATCH_SLOTS];
	uint64_t nput;      /* batches handed over: the next to fill is slots[nput % BATCH_SLOTS] */
	struct batch *fill; /* the batch the store thread fills, not handed over yet */
	/*
	 * Each thread decompresses every other stored row (2.2 us of the scan's
	 * ~3.5 us a row): the store thread with here, the render thread with there.
	 */
	struct store_unpacker *here, *there;
	unsigned long nth;
};

/* A change to what a delta target's receiver holds, applied after the scan. */
struct state_change {
	size_t feed;
	char *key;
	long long version; /* 0 = deleted */
};

/* One export being rendered. */
struct exp {
	struct app *app;
	const struct target_conf *t;
	struct render *r;
	struct wo_render *wr; /* kind = workorder targets render through wo_render */
	bool wo;
	enum wo_format wof;
	bool delta, force;
	size_t feed;             /* index of the feed being scanned */
	struct keymap *released; /* per feed: released keys, or NULL (auto_release = yes) */
	struct keymap *state;    /* per feed: the receiver's key -> version (delta) */
	struct target_info ti;   /* baseline and lock before this export */
	struct pipeline *pipe;   /* the render thread, or NULL: render on this one */
	/* Written by whichever thread renders (the render thread while it runs): */
	struct state_change *changes;
	size_t nchanges, changes_alloc;
	long long vehicles;
	/* Written by the thread that reads the store: */
	long long unchanged, held_count;
};

static void
add_change(struct exp *x, size_t feed, const char *key, long long version)
{
	x->changes = xgrow(x->changes, &x->changes_alloc, x->nchanges + 1, sizeof(*x->changes));
	x->changes[x->nchanges++] = (struct state_change){feed, xstrdup(key), version};
}

/* Render one vehicle (either thread, never both); 0 also when it is left out. */
static int
render_one(struct exp *x, size_t feed, long long version, const char *key, const char *json,
           size_t len, enum render_action a)
{
	int rc = x->wr ? wo_render_json(x->wr, key, json, len, a)
	               : render_json(x->r, key, json, len, a);

	if (rc != 0)
		return rc == 1 ? 0 : rc; /* 1: left out (a required field is missing) */
	x->vehicles++;
	if (x->delta && a != RENDER_UNCHANGED)
		add_change(x, feed, key, version);
	return 0;
}

/* On the render thread: one batch's vehicles in order; -1 stops the scan. */
static int
render_batch(void *item, void *arg)
{
	const struct batch *b = item;
	struct exp *x = arg;

	for (size_t i = 0; i < b->nrows; i++) {
		const struct batch_row *w = &b->rows[i];
		const char *json = b->bytes + w->json;
		size_t len = w->len;
		char why[160];

		if (w->packed &&
		    !(json = store_unpack(x->pipe->there, json, len, true, &len, why, sizeof(why))))
			return log_error("version %lld (%s): %s", w->version, b->bytes + w->key,
			                 why);
		if (render_one(x, w->feed, w->version, b->bytes + w->key, json, len, w->a) != 0)
			return -1;
	}
	return 0;
}

/* The next free batch for the store thread to fill (waits for one); NULL after a failure. */
static struct batch *
pipe_acquire(struct pipeline *p)
{
	struct batch *b;

	/* handed over in order, done in order: with room, the oldest slot is free */
	if (handoff_room(p->h) != 0)
		return NULL;
	b = &p->slots[p->nput % BATCH_SLOTS];
	b->nrows = b->len = 0;
	return b;
}

/* Hand the filled batch to the render thread. */
static void
pipe_submit(struct pipeline *p)
{
	if (p->fill && p->fill->nrows) {
		handoff_put(p->h, p->fill);
		p->nput++;
	}
	p->fill = NULL;
}

static void
pipe_start(struct exp *x)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));

	p->here = store_unpacker_new();
	p->there = store_unpacker_new();
	if (!p->here || !p->there) { /* render on this thread, as work-order targets do */
		store_unpacker_free(p->here);
		store_unpacker_free(p->there);
		free(p);
		return;
	}
	x->pipe = p;
	p->h = handoff_new(render_batch, x, BATCH_SLOTS);
}

/* Hand over what is left, let the render thread finish; -1 when a vehicle failed to render. */
static int
pipe_finish(struct exp *x)
{
	struct pipeline *p = x->pipe;
	int rc;

	if (!p)
		return 0;
	pipe_submit(p);
	rc = handoff_drain(p->h);
	handoff_free(p->h);
	store_unpacker_free(p->here);
	store_unpacker_free(p->there);
	for (size_t i = 0; i < BATCH_SLOTS; i++) {
		free(p->slots[i].rows);
		free(p->slots[i].bytes);
	}
	free(p);
	x->pipe = NULL;
	return rc != 0 ? -1 : 0;
}

/* Copy one vehicle into the batch being filled; -1 once the render thread failed. */
static int
pipe_put(struct exp *x, long long version, const char *key, const char *json, size_t len,
         enum render_action a, bool packed)
{
	struct pipeline *p = x->pipe;
	size_t klen = strlen(key) + 1;
	struct batch *b;

	if (!p->fill && !(p->fill = pipe_acquire(p)))
		return -1;
	b = p->fill;
	b->rows = xgrow(b->rows, &b->rows_alloc, b->nrows + 1, sizeof(*b->rows));
	b->bytes = xgrow(b->bytes, &b->alloc, b->len + klen + len + 1, 1);
	b->rows[b->nrows++] = (struct batch_row){.version = version,
	                                         .feed = x->feed,
	                                         .key = b->len,
	                                         .json = b->len + klen,
	                                         .len = len,
	                                         .a = a,
	                                         .packed = packed};
	memcpy(b->bytes + b->len, key, klen);
	memcpy(b->bytes + b->len + klen, json, len);
	b->bytes[b->len + klen + len] = '\0';
	b->len += klen + len + 1;
	if (b->len >= BATCH_BYTES)
		pipe_submit(p);
	return 0;
}

/* What a current vehicle becomes in this export (*a), or true when it is left out. */
static bool
left_out(struct exp *x, long long version, const char *key, enum render_action *a)
{
	*a = RENDER_FULL;
	if (x->wo && wo_key_is_person(key))
		return true; /* written with the work orders that name them */
	log_progress_step();
	if (x->released && !keymap_get(&x->released[x->feed], key)) {
		x->held_count++;
		return true;
	}
	if (x->delta) {
		struct keymap_entry *e = keymap_get(&x->state[x->feed], key);

		if (!e) {
			*a = RENDER_NEW;
		} else {
			e->seen_line = 1;
			if (e->version != version)
				*a = RENDER_CHANGED;
			else if (x->force)
				*a = RENDER_UNCHANGED;
			else {
				x->unchanged++;
				return true;
			}
		}
	}
	return false;
}

/* Rendered here (no render thread: work-order targets, or none could start). */
static int
on_vehicle(void *ctx, long long version, const char *key, const char *json, size_t len)
{
	struct exp *x = ctx;
	enum render_action a;

	if (left_out(x, version, key, &a))
		return 0;
	return render_one(x, x->feed, version, key, json, len, a);
}

/* For the render thread: every other stored frame is decompressed there. */
static int
on_stored(void *ctx, long long version, const char *key, const void *data, size_t len, bool packed)
{
	struct exp *x = ctx;
	struct pipeline *p = x->pipe;
	enum render_action a;
	const char *json;
	char why[160];

	if (left_out(x, version, key, &a))
		return 0;
	if (packed && p->nth++ % 2)
		return pipe_put(x, version, key, data, len, a, true);
	if (!(json = store_unpack(p->here, data, len, packed, &len, why, sizeof(why))))
		return log_error("version %lld (%s): %s", version, key, why);
	return pipe_put(x, version, key, json, len, a, false);
}

static int
on_deleted(void *ctx, long long version, const char *key, const char *json, size_t len)
{
	struct exp *x = ctx;

	(void)version;
	add_change(x, x->feed, key, 0);
	return x->wr ? wo_render_json(x->wr, key, json, len, RENDER_DELETED)
	             : render_json(x->r, key, json, len, RENDER_DELETED);
}

/* Delta: what the receiver holds and the feeds no longer have. */
static int
write_deleted(struct exp *x)
{
	for (x->feed = 0; x->feed < x->t->nfeeds; x->feed++) {
		const struct keymap *m = &x->state[x->feed];

		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].key && !m->slots[i].seen_line &&
			    store_version_raw(x->app->store, m->slots[i].version, on_deleted, x) !=
			            0)
				return -1;
	}
	return 0;
}

static int
load_maps(struct exp *x)
{
	const struct target_conf *t = x->t;

	if (!t->auto_release)
		x->released = xcalloc(t->nfeeds, sizeof(*x->released));
	if (x->delta)
		x->state = xcalloc(t->nfeeds, sizeof(*x->state));
	for (size_t i = 0; i < t->nfeeds; i++) {
		if (x->released) {
			keymap_init(&x->released[i]);
			if (store_release_load(x->app->store, t->name, t->feeds[i],
			                       &x->released[i]) == -1)
				return -1;
		}
		if (x->state) {
			keymap_init(&x->state[i]);
			if (store_target_state_load(x->app->store, t->name, t->feeds[i],
			                            &x->state[i]) == -1)
				return -1;
		}
	}
	return 0;
}

static void
exp_release(struct exp *x)
{
	for (size_t i = 0; i < x->t->nfeeds; i++) {
		if (x->released)
			keymap_release(&x->released[i]);
		if (x->state)
			keymap_release(&x->state[i]);
	}
	free(x->released);
	free(x->state);
	for (size_t i = 0; i < x->nchanges; i++)
		free(x->changes[i].key);
	free(x->changes);
	render_free(x->r);
	wo_render_free(x->wr);
	target_info_release(&x->ti);
}

static int
save_state(struct exp *x)
{
	for (size_t i = 0; i < x->nchanges; i++) {
		const struct state_change *c = &x->changes[i];
		const char *feed = x->t->feeds[c->feed];
		int rc = c->version
		                 ? store_target_state_put(x->app->store, x->t->name, feed, c->key,
		                                          c->version)
		                 : store_target_state_del(x->app->store, x->t->name, feed, c->key);

		if (rc == -1)
			return -1;
	}
	return 0;
}

/*
 * "acme:12,beta:3" (+ ";r<releases>" with auto_release = no): what an
 * export reflects; an unchanged basis means nothing new to send.
 */
static char *
basis_of(struct app *app, const struct target_conf *t, bool *any)
{
	char *b = xstrdup("");
	struct target_info ti;

	for (size_t i = 0; i < t->nfeeds; i++) {
		long long seq = 0, id = 0;
		char *nb;

		if (store_feed_head(app->store, t->feeds[i], &seq, &id) == -1) {
			free(b);
			return NULL;
		}
		*any |= seq > 0;
		nb = xasprintf("%s%s%s:%lld", b, i ? "," : "", t->feeds[i], seq);
		free(b);
		b = nb;
	}
	if (!t->auto_release) {
		char *nb;

		if (store_target_get(app->store, t->name, &ti) == -1) {
			free(b);
			return NULL;
		}
		nb = xasprintf("%s;r%lld", b, ti.release_gen);
		free(b);
		b = nb;
		target_info_release(&ti);
	}
	return b;
}

/* The target's file_name pattern for export id at the run's clock. */
static char *
file_name(const struct target_conf *t, const struct format *fmt, long long id)
{
	const char *pat = t->file_name ? t->file_name : DEFAULT_FILE_NAME;
	char expanded[256], out[256], num[24];
	size_t len = 0, n;
	time_t now = clock_now();
	struct tm tm;

	snprintf(num, sizeof(num), "%lld", id);
	for (const char *p = pat; *p && len < sizeof(expanded);) {
		const char *val = NULL;
		size_t skip = 1;

		if (str_startswith(p, "{id}"))
			val = num, skip = 4;
		else if (str_startswith(p, "{target}"))
			val = t->name, skip = 8;
		else if (str_startswith(p, "{ext}"))
			val = fmt->extension, skip = 5;
		n = val ? strlen(val) : 1;
		if (len + n >= sizeof(expanded)) {
			len = sizeof(expanded);
			break;
		}
		memcpy(expanded + len, val ? val : p, n);
		len += n;
		p += skip;
	}
	n = 0;
	if (len < sizeof(expanded)) {
		expanded[len] = '\0';
		gmtime_r(&now, &tm);
		n = strftime(out, sizeof(out), expanded, &tm);
	}
	if (n == 0 || !spool_name_is_safe(out)) {
		log_error("target %s: file_name gives no usable file name (at most 255 bytes, "
		          "no '/', no leading '.' or '-')",
		          t->name);
		return NULL;
	}
	return xstrdup(out);
}

/* Why the target must lock with this export, or NULL (export.h). */
static char *
lock_reason(const struct target_conf *t, long long baseline, long long vehicles)
{
	long long diff = vehicles > baseline ? vehicles - baseline : baseline - vehicles;
	long long ppm = (long long)(t->deviation_lock * 1e6 + 0.5);

	if (baseline <= 0)
		return NULL;
	if (vehicles == 0)
		return xasprintf("the export is empty; the last delivery had %lld vehicles",
		                 baseline);
	/* integers: 20% of 100 must not lock at exactly 80 through rounding */
	if (diff * 1000000 <= ppm * baseline)
		return NULL;
	return xasprintf("vehicle count would move from %lld to %lld (%+.1f%%) against the last "
	                 "delivery, more than deviation_lock %g%%",
	                 baseline, vehicles, (double)(vehicles - baseline) * 100.0 / baseline,
	                 t->deviation_lock * 100.0);
}

/* Lock the target in the export's transaction when this export deviates. */
static int
check_lock(struct exp *x, bool *locked)
{
	char now[CLOCK_ISO_LEN], *why = lock_reason(x->t, x->ti.baseline, x->vehicles);
	int rc = 0;

	*locked = x->ti.locked;
	if (!why)
		return 0;
	clock_format(clock_now(), now);
	rc = store_target_set_lock(x->app->store, x->t->name, now, why, x->ti.baseline,
	                           x->vehicles);
	if (rc == 0 && !x->ti.locked) {
		rc = store_target_event(x->app->store, x->t->name, x->app->run, now, "locked", why);
		log_info("locked: %s", why);
	}
	*locked = true;
	free(why);
	return rc;
}

/* Work-order targets: the current version of a person of the feed being written. */
static char *
person_json(void *ctx, const char *key)
{
	struct exp *x = ctx;

	return store_wo_person_json(x->app->store, x->t->feeds[x->feed], key);
}

/*
 * Render the file; 1 when it has nothing to send (removed), 0 written, -1 a
 * store error, -2 the outbox cannot be written (local I/O: disk full).
 */
static int
render_file(struct exp *x, const struct format *fmt, const char *name, struct export_info *e)
{
	char *tmp = NULL;
	int fd, rc = -1;
	char sha[FSIO_SHA256_HEX];
	struct render_stats rs;
	long long pending;
	struct target_status ts;
	char what[160];

	if ((fd = spool_create(&x->app->spool, SPOOL_OUTBOX, x->t->name, name, &tmp)) == -1)
		return -2;
	if (x->wo) {
		x->wr = wo_render_new(x->wof, fd, x->delta, person_json, x);
		wo_render_begin(x->wr);
	} else {
		x->r = render_new(fmt, fd, name, x->delta);
		render_begin(x->r);
	}
	snprintf(what, sizeof(what), "export %s/%s", x->t->name, name);
	if (!x->wo)
		pipe_start(x);
	log_progress_begin(what, "vehicles");
	for (x->feed = 0; x->feed < x->t->nfeeds; x->feed++)
		if ((x->pipe ? store_each_current_stored(x->app->store, x->t->feeds[x->feed],
		                                         on_stored, x)
		             : store_each_current(x->app->store, x->t->feeds[x->feed], on_vehicle,
		                                  x)) != 0)
			break;
	log_progress_end();
	/* the render thread is done with the renderer before anything below uses it */
	if (pipe_finish(x) == -1 || x->feed < x->t->nfeeds)
		goto discard;
	x->vehicles += x->unchanged;
	x->unchanged = 0;
	if (x->delta && write_deleted(x) == -1)
		goto discard;
	if ((x->wr ? wo_render_end(x->wr) : render_end(x->r)) == -1) {
		rc = -2;
		goto discard;
	}
	if (x->wr)
		wo_render_get_stats(x->wr, &rs);
	else
		render_get_stats(x->r, &rs);
	if (store_target_status(x->app->store, x->t->name, &ts) == -1)
		goto discard;
	pending = ts.pending;
	target_status_release(&ts);
	/* Every vehicle lacks a required field: a file the receiver would refuse. */
	if (rs.rows == 0 && rs.skipped > 0) {
		log_warn("target %s: all %lld vehicles lack a field format %s requires; nothing "
		         "is sent",
		         x->t->name, rs.skipped, fmt->name);
		rc = 1;
		goto discard;
	}
	/* Nothing for the receiver: no change (delta), or no vehicle yet (full). */
	if (rs.rows == 0 && (x->delta || (x->ti.baseline <= 0 && pending == 0))) {
		rc = 1;
		goto discard;
	}
	/*
	 * The quick_check runs beside the export (CMD_LATE_CHECK): its verdict
	 * comes before the file reaches the outbox, not only at the COMMIT, so a
	 * damaged database never leaves a file there for deliver to find.
	 */
	if (store_check_wait(x->app->store) == -1)
		goto discard;
	if (spool_commit(&x->app->spool, fd, tmp, SPOOL_OUTBOX, x->t->name, name) == -1) {
		free(tmp);
		return -2;
	}
	crash_point("export-written");
	if (x->wr)
		wo_render_sha256(x->wr, sha);
	else
		render_sha256(x->r, sha);
	e->sha256 = xstrdup(sha);
	e->rows = rs.rows;
	e->bytes = rs.bytes;
	e->warnings = rs.warnings;
	free(tmp);
	return 0;
discard:
	if (x->r)
		render_stop(x->r); /* its writer is done with fd */
	spool_discard(fd, tmp);
	free(tmp);
	return rc;
}

/*
 * One export in one transaction: the record, the file, the receiver's
 * state (delta) and the lock go together or not at all.
 */
static enum ls_exit
export_one(struct app *app, const struct target_conf *t, const struct format *fmt,
           const char *basis, bool force, struct export_summary *sum)
{
	char now[CLOCK_ISO_LEN];
	struct export_info e = {0};
	struct exp x = {.app = app,
	                .t = t,
	                .delta = t->mode == EXPORT_DELTA,
	                .force = force,
	                .wo = t->kind == FEED_KIND_WORKORDER};
	enum ls_exit status = LS_EXIT_OK;
	int rc;

	clock_format(clock_now(), now);
	if (store_begin(app->store) == -1) {
		status = store_failure(app->store);
		goto out;
	}
	if (x.wo)
		wo_format_from_name(fmt->name, &x.wof);
	if ((e.id = store_export_add(app->store, app->run, t->name, basis, now)) < 0 ||
	    store_target_get(app->store, t->name, &x.ti) == -1 || load_maps(&x) == -1)
		goto rollback;
	if (!(e.file = file_name(t, fmt, e.id))) {
		status = LS_EXIT_CONFIG;
		store_rollback(app->store);
		goto out;
	}
	if ((rc = render_file(&x, fmt, e.file, &e)) == -2) {
		store_rollback(app->store);
		status = LS_EXIT_IOERR;
		goto out;
	}
	if (rc == -1)
		goto rollback;
	e.kind = xstrdup(x.delta ? "delta" : "full");
	e.vehicles = x.vehicles;
	e.held = x.held_count;
	if (rc == 1) {
		/* Recorded without a file: the basis was seen, nothing to send. */
		free(e.file);
		e.file = NULL;
	}
	if (store_export_finish(app->store, &e) == -1 || (e.file && save_state(&x) == -1) ||
	    (e.file && check_lock(&x, &sum->locked) == -1)) {
		if (e.file) /* unrecorded: would be reconciled away anyway */
			spool_remove(&app->spool, SPOOL_OUTBOX, t->name, e.file);
		goto rollback;
	}
	/*
	 * A failed COMMIT may have reached the database all the same (a WAL
	 * whose fsync failed after its frames were written is read by the next
	 * run): the file stays, and the next run's export_reconcile() removes
	 * it only if no export records it.
	 */
	if (store_commit(app->store) == -1)
		goto rollback;
	crash_point("export-recorded");
	sum->vehicles = x.vehicles;
	sum->held = x.held_count;
	if (e.file) {
		log_info("exported %lld vehicles (%lld rows, %s) to %s", x.vehicles, e.rows, e.kind,
		         e.file);
		sum->files++;
		sum->rows = e.rows;
	}
	goto out;
rollback:
	store_rollback(app->store);
	status = store_failure(app->store);
out:
	exp_release(&x);
	export_info_release(&e);
	return status;
}

/* Vehicles awaiting release and a lock await an operator: say so, exit 3. */
static enum ls_exit
report_waiting(struct app *app, const struct target_conf *t, struct export_summary *sum)
{
	struct export_info last;
	struct target_info ti;
	enum ls_exit status = LS_EXIT_OK;

	/* a run that cannot tell whether an operator is awaited must not look clean */
	if (store_export_last(app->store, t->name, &last) == -1)
		return store_failure(app->store);
	if (!sum->files)
		sum->held = last.held;
	export_info_release(&last);
	if (sum->held > 0) {
		log_warn("%lld new vehicle(s) await 'lotsync release %s' (auto_release = no)",
		         sum->held, t->name);
		status = LS_EXIT_HELD;
	}
	if (store_target_get(app->store, t->name, &ti) == -1)
		return status_worse(status, store_failure(app->store));
	sum->locked = ti.locked;
	if (ti.locked)
		status = LS_EXIT_HELD;
	target_info_release(&ti);
	return status;
}

enum ls_exit
export_target(struct app *app, const struct target_conf *t, bool force, struct export_summary *sum)
{
	struct format fmt;
	struct export_info last;
	char *basis = NULL;
	bool any = false;
	enum ls_exit status = LS_EXIT_OK;

	memset(sum, 0, sizeof(*sum));
	memset(&last, 0, sizeof(last));
	log_scope(t->name);
	memset(&fmt, 0, sizeof(fmt));
	if (t->kind == FEED_KIND_WORKORDER) {
		enum wo_format wf;

		/* Work-order formats are built in: their shape is the work order's. */
		if (wo_format_from_name(t->format, &wf) == -1) {
			log_error("target %s: format '%s' is not a work-order format "
			          "(workorder-csv, workorder-xml, workorder-jsonl)",
			          t->name, t->format);
			status = LS_EXIT_CONFIG;
			goto out;
		}
		fmt.name = xstrdup(t->format);
		fmt.extension = xstrdup(wo_format_extension(wf));
	} else if (format_load(app->cfg.dir, t->format, &fmt) != 0) {
		status = LS_EXIT_CONFIG;
		goto out;
	}
	if (spool_prepare_target(&app->spool, t->name) == -1) {
		status = LS_EXIT_IOERR;
		goto out;
	}
	if (!(basis = basis_of(app, t, &any)) ||
	    store_export_last(app->store, t->name, &last) == -1) {
		status = store_failure(app->store);
		goto out;
	}
	/* Nothing applied yet for any feed: there is no inventory to send. */
	if (any && (force || !last.id || strcmp(last.basis, basis) != 0))
		status = export_one(app, t, &fmt, basis, force, sum);
	status = status_worse(status, report_waiting(app, t, sum));
out:
	export_info_release(&last);
	free(basis);
	format_release(&fmt);
	log_scope(NULL);
	return status;
}

/* A recorded file still in outbox/: pending stays; delivered or superseded moves on. */
static enum ls_exit
reconcile_recorded(struct app *app, const struct target_conf *t, const struct export_info *e)
{
	if (!e->state || strcmp(e->state, "pending") == 0)
		return LS_EXIT_OK;
	log_info("moving %s to sent/: recorded as %s by an interrupted run", e->file, e->state);
	return spool_to_sent(&app->spool, t->name, e->file) == -1 ? LS_EXIT_IOERR : LS_EXIT_OK;
}

enum ls_exit
export_reconcile(struct app *app, const struct target_conf *t)
{
	char **names = NULL;
	size_t n = 0;
	enum ls_exit status = LS_EXIT_OK;

	spool_purge_tmp(&app->spool, SPOOL_OUTBOX, t->name);
	if (spool_list(&app->spool, SPOOL_OUTBOX, t->name, &names, &n) == -1)
		return LS_EXIT_IOERR;
	for (size_t i = 0; i < n; i++) {
		struct export_info e;
		long long id;

		if (store_export_by_file(app->store, t->name, names[i], &e) == -1) {
			status = store_failure(app->store);
			break;
		}
		if ((id = e.id) != 0)
			status = status_worse(status, reconcile_recorded(app, t, &e));
		export_info_release(&e);
		if (id)
			continue;
		log_info("removing outbox/%s/%s: left by an interrupted export", t->name, names[i]);
		spool_remove(&app->spool, SPOOL_OUTBOX, t->name, names[i]);
	}
	spool_names_free(names, n);
	return status;
}
