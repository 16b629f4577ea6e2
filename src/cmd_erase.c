/*
 * cmd_erase.c - lotsync erase-person FEED PERSON_ID: a person's data out
 * of everything lotsync keeps (docs/workorders.md, "Erasing a person").
 *
 * Three durable steps, each safe to be killed after:
 *   1. plan: one transaction records a pending erasure with every file to
 *      rewrite (archive/, failed/ of the feed; outbox/ and sent/ of its
 *      work-order targets) and its old and new SHA-256 (the rewrite is
 *      computed, not yet written);
 *   2. rewrite: each file replaced through spool_rewrite() (temp, fsync,
 *      rename, folder fsync); one already holding its new SHA-256 is done;
 *   3. commit: the person's versions and the free text of the work orders
 *      naming the person rewritten, their snapshots re-sealed, the "erase"
 *      entry appended to the audit chain, the erasure marked done; then the
 *      write-ahead log is emptied (secure_delete zeroes what was freed).
 * A rerun finds a pending erasure and finishes it (the person's values are
 * still in the database until step 3, so the rewrite is the same again).
 * Log lines name the person by id only, never by a value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/buf.h"
#include "lotsync/clock.h"
#include "lotsync/cmd.h"
#include "lotsync/crash.h"
#include "lotsync/fsio.h"
#include "lotsync/input.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/spool.h"
#include "lotsync/util.h"
#include "lotsync/wo.h"
#include "lotsync/wo_erase.h"

struct erase {
	struct app *app;
	const struct feed_conf *feed;
	const char *person;
	struct wo_profile prof;
	struct wo_erase_values vals;
	long long id; /* the erasure */
	struct erasure_file *plan;
	size_t nplan, alloc;
	unsigned damaged; /* files not rewritten because they are not what was recorded */
	/* versions to rewrite (step 3) */
	struct redo {
		long long version;
		char *json;
		uint64_t hash;
	} * redo;
	size_t nredo, aredo;
};

static enum spool_dir
place_dir(const char *place)
{
	return !strcmp(place, "archive")  ? SPOOL_ARCHIVE
	       : !strcmp(place, "failed") ? SPOOL_FAILED
	       : !strcmp(place, "outbox") ? SPOOL_OUTBOX
	                                  : SPOOL_SENT;
}

/* A work-order target's format, when it takes the feed; false otherwise. */
static bool
target_format(const struct target_conf *t, const char *feed, enum wo_format *f)
{
	bool takes = false;

	for (size_t i = 0; i < t->nfeeds; i++)
		takes = takes || !strcmp(t->feeds[i], feed);
	return takes && t->kind == FEED_KIND_WORKORDER && wo_format_from_name(t->format, f) == 0;
}

/* The file's bytes as a feed reads them (a .gz or .zip decompressed); -1 logged. */
static int
read_decoded(struct erase *e, const char *path, const char *ext, struct buf *b)
{
	struct input *in = NULL;
	char chunk[65536], *why = NULL;
	ssize_t got;

	if (input_open(path, ext, &in, &why) != LS_OK) {
		if (why)
			log_error("%s: %s", path, why);
		free(why);
		return -1;
	}
	(void)e;
	while ((got = input_read(in, chunk, sizeof(chunk))) > 0)
		if (buf_append(b, chunk, (size_t)got) == -1) {
			log_error("%s: larger than %zu MiB, the cap of a work-order file", path,
			          LS_MAX_WO_FILE >> 20);
			got = -2;
			break;
		}
	if (got == -1)
		log_error("%s: %s", path, input_why(in) ? input_why(in) : "read error");
	input_close(in);
	return got == 0 ? 0 : -1;
}

/*
 * The rewrite of one file: *hits 0 when it holds nothing of the person.
 * -1 when it cannot be read (logged, without any of its content).
 */
static int
rewrite_of(struct erase *e, const char *place, const char *owner, const char *path, struct buf *out,
           unsigned *hits, bool quiet)
{
	bool feedfile = !strcmp(place, "archive") || !strcmp(place, "failed");
	struct buf in;
	enum wo_format f = WO_FORMAT_JSONL;
	char *why = NULL;
	int rc = -1;

	*hits = 0;
	if (!feedfile) {
		const struct target_conf *t = config_target(&e->app->cfg, owner);

		if (!t || !target_format(t, e->feed->name, &f))
			return 0;
	}
	buf_init(&in, LS_MAX_WO_FILE);
	if (read_decoded(e, path, feedfile ? (e->prof.xml ? "xml" : "csv") : "csv", &in) == -1)
		goto out;
	rc = feedfile ? wo_erase_file(&e->prof, e->person, &e->vals, in.p, in.len, out, hits, &why)
	              : wo_erase_export(f, e->person, &e->vals, in.p, in.len, out, hits, &why);
	if (rc == -1 && feedfile) {
		/* Unreadable (it was quarantined, say): the known values go wherever they are. */
		buf_reset(out);
		rc = wo_erase_raw(&e->vals, in.p, in.len, out, hits);
		if (*hits && !quiet)
			log_warn("%s: %s; the person's known values were replaced wherever they "
			         "occur",
			         path, why ? why : "unreadable by its profile");
	} else if (rc == -1) {
		log_error("%s: cannot be read to erase person %s: %s", path, e->person,
		          why ? why : "unreadable");
	}
out:
	free(why);
	buf_release(&in);
	return rc;
}

static void
plan_add(struct erase *e, const char *place, const char *owner, const char *name, const char *old,
         const char *nw)
{
	if (e->nplan == e->alloc) {
		e->alloc = e->alloc ? e->alloc * 2 : 16;
		e->plan = xrealloc(e->plan, e->alloc * sizeof(*e->plan));
	}
	e->plan[e->nplan++] = (struct erasure_file){xstrdup(place), xstrdup(owner), xstrdup(name),
	                                            xstrdup(old), xstrdup(nw)};
}

/* Plan one file: what it must hash to now, and what its rewrite hashes to. */
static int
plan_file(struct erase *e, const char *place, const char *owner, const char *name)
{
	enum spool_dir dir = place_dir(place);
	char *path = spool_file_path(&e->app->spool, dir, owner, name), *want = NULL;
	char got[FSIO_SHA256_HEX], nw[FSIO_SHA256_HEX];
	struct buf out;
	unsigned hits = 0;
	int rc = -1;

	buf_init(&out, LS_MAX_WO_FILE * 2);
	if (fsio_sha256_file(path, got, NULL) == -1) {
		log_syserr("%s: cannot read it", path);
		goto out;
	}
	if (store_erased_sha(e->app->store, place, owner, name, &want) == -1)
		goto out;
	if (!want && dir == SPOOL_ARCHIVE)
		want = xstrdup(name); /* archived files are named by their content */
	if (want && strcmp(got, want)) {
		bool ok = false;

		/* The original content archived again after an earlier erasure is fine. */
		if (dir == SPOOL_ARCHIVE &&
		    store_archive_expect(e->app->store, owner, name, got, &ok) == -1)
			goto out;
		if (!ok) {
			log_error("%s: its SHA-256 is %s, not %s as recorded: damaged, so not "
			          "rewritten ('lotsync verify' reports it)",
			          path, got, want);
			e->damaged++;
			rc = 0;
			goto out;
		}
	}
	if (rewrite_of(e, place, owner, path, &out, &hits, false) == -1) {
		e->damaged++;
		rc = 0;
		goto out;
	}
	if (hits) {
		fsio_sha256_buf(out.p, out.len, nw);
		plan_add(e, place, owner, name, got, nw);
	}
	rc = 0;
out:
	buf_release(&out);
	free(want);
	free(path);
	return rc;
}

static int
plan_dir(struct erase *e, const char *place, const char *owner)
{
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (spool_list(&e->app->spool, place_dir(place), owner, &names, &n) == -1)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (!str_endswith(names[i], ".reason"))
			rc = plan_file(e, place, owner, names[i]);
	spool_names_free(names, n);
	return rc;
}

/* Collect the person's values (from every version of the person). */
static int
on_version(void *ctx, long long version, const char *key, const char *json, size_t len)
{
	struct erase *e = ctx;

	(void)version;
	(void)len;
	if (wo_key_is_person(key))
		wo_erase_values_add_json(&e->vals, json);
	return 0;
}

/* The versions whose data the erasure changes, with their new data. */
static int
on_redo(void *ctx, long long version, const char *key, const char *json, size_t len)
{
	struct erase *e = ctx;
	char *out = NULL;
	uint64_t hash = 0;

	(void)len;
	if (wo_erase_record(key, json, e->person, &e->vals, &out, &hash) != 1)
		return 0;
	if (e->nredo == e->aredo) {
		e->aredo = e->aredo ? e->aredo * 2 : 16;
		e->redo = xrealloc(e->redo, e->aredo * sizeof(*e->redo));
	}
	e->redo[e->nredo++] = (struct redo){version, out, hash};
	return 0;
}

static int
plan(struct erase *e, const char *now, const char *by)
{
	struct store *st = e->app->store;

	if (store_begin(st) == -1)
		return -1;
	if ((e->id = store_erasure_begin(st, e->feed->name, e->person, now, by)) < 0 ||
	    plan_dir(e, "archive", e->feed->name) == -1 ||
	    plan_dir(e, "failed", e->feed->name) == -1)
		goto fail;
	for (size_t i = 0; i < e->app->cfg.ntargets; i++) {
		const struct target_conf *t = &e->app->cfg.targets[i];
		enum wo_format f;

		if (target_format(t, e->feed->name, &f) &&
		    (plan_dir(e, "outbox", t->name) == -1 || plan_dir(e, "sent", t->name) == -1))
			goto fail;
	}
	if (e->nplan == 0 && e->nredo == 0) {
		store_rollback(st);
		e->id = 0;
		return 0;
	}
	for (size_t i = 0; i < e->nplan; i++)
		if (store_erasure_add_file(st, e->id, &e->plan[i]) == -1)
			goto fail;
	if (store_commit(st) == -1)
		goto fail;
	crash_point("erase:planned");
	return 0;
fail:
	store_rollback(st);
	return -1;
}

/* Step 2 for one planned file. 0 done, -1 failed (logged). */
static int
rewrite_file(struct erase *e, const struct erasure_file *f)
{
	enum spool_dir dir = place_dir(f->place);
	const char *owner = f->owner;
	char *path = spool_file_path(&e->app->spool, dir, owner, f->name);
	char got[FSIO_SHA256_HEX], nw[FSIO_SHA256_HEX];
	struct buf out;
	unsigned hits = 0;
	int rc = -1;

	buf_init(&out, LS_MAX_WO_FILE * 2);
	/* An export delivered since a crash has moved on to sent/ under the same name. */
	if (dir == SPOOL_OUTBOX && !spool_has(&e->app->spool, dir, owner, f->name) &&
	    spool_has(&e->app->spool, SPOOL_SENT, owner, f->name)) {
		free(path);
		dir = SPOOL_SENT;
		path = spool_file_path(&e->app->spool, dir, owner, f->name);
	}
	if (fsio_sha256_file(path, got, NULL) == -1) {
		log_syserr("%s: cannot read it", path);
		goto out;
	}
	if (!strcmp(got, f->new_sha)) {
		rc = 0; /* rewritten before a crash */
		goto out;
	}
	if (strcmp(got, f->old_sha)) {
		log_error("%s: changed since the erasure was planned (SHA-256 %s, planned from "
		          "%s): not rewritten",
		          path, got, f->old_sha);
		goto out;
	}
	if (rewrite_of(e, f->place, owner, path, &out, &hits, true) == -1)
		goto out;
	fsio_sha256_buf(out.p, out.len, nw);
	if (!hits || strcmp(nw, f->new_sha)) {
		log_error("%s: its rewrite is not the planned one (SHA-256 %s, planned %s)", path,
		          hits ? nw : got, f->new_sha);
		goto out;
	}
	if (spool_rewrite(&e->app->spool, dir, owner, f->name, out.p, out.len) == -1)
		goto out;
	crash_point("erase:rewritten");
	rc = 0;
out:
	buf_release(&out);
	free(path);
	return rc;
}

/* Step 3: the versions, the re-seal, the chain entry; then the WAL emptied. */
static long long
commit_erasure(struct erase *e)
{
	struct store *st = e->app->store;
	long long chain;

	if (store_secure_delete(st) == -1 || store_begin(st) == -1)
		return -1;
	for (size_t i = 0; i < e->nredo; i++)
		if (store_erase_version(st, e->id, e->redo[i].version, e->redo[i].json,
		                        e->redo[i].hash) == -1)
			goto fail;
	if ((chain = store_erasure_finish(st, e->id)) < 0 || store_commit(st) == -1)
		goto fail;
	crash_point("erase:committed");
	return chain;
fail:
	store_rollback(st);
	return -1;
}

/* Files of the feed not yet ingested may hold the person too: say so. */
static unsigned
waiting_files(struct erase *e)
{
	static const enum spool_dir dirs[] = {SPOOL_INCOMING, SPOOL_WORK};
	unsigned waiting = 0;

	for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
		char **names = NULL;
		size_t n = 0;

		if (spool_list(&e->app->spool, dirs[d], e->feed->name, &names, &n) == 0)
			waiting += (unsigned)n;
		spool_names_free(names, n);
	}
	return waiting;
}

static void
print_result(struct erase *e, long long chain, bool json)
{
	size_t files[4] = {0};

	for (size_t i = 0; i < e->nplan; i++)
		files[place_dir(e->plan[i].place) == SPOOL_ARCHIVE  ? 0
		      : place_dir(e->plan[i].place) == SPOOL_FAILED ? 1
		      : place_dir(e->plan[i].place) == SPOOL_OUTBOX ? 2
		                                                    : 3]++;
	if (json) {
		struct json j;

		json_init(&j);
		json_obj(&j);
		json_key(&j, "feed");
		json_str(&j, e->feed->name);
		json_key(&j, "person");
		json_str(&j, e->person);
		json_key(&j, "erasure");
		json_int(&j, e->id);
		json_key(&j, "chain_entry");
		json_int(&j, chain);
		json_key(&j, "versions");
		json_int(&j, (long long)e->nredo);
		json_key(&j, "files");
		json_arr(&j);
		for (size_t i = 0; i < e->nplan; i++) {
			json_obj(&j);
			json_key(&j, "place");
			json_str(&j, e->plan[i].place);
			json_key(&j, "owner");
			json_str(&j, e->plan[i].owner);
			json_key(&j, "name");
			json_str(&j, e->plan[i].name);
			json_key(&j, "old_sha256");
			json_str(&j, e->plan[i].old_sha);
			json_key(&j, "new_sha256");
			json_str(&j, e->plan[i].new_sha);
			json_end(&j);
		}
		json_end(&j);
		json_end(&j);
		json_print(&j);
		return;
	}
	if (!e->id) {
		printf("person %s of feed %s: nothing left to erase\n", e->person, e->feed->name);
		return;
	}
	printf("person %s of feed %s erased: %zu version(s), %zu archived file(s), %zu "
	       "quarantined cop%s, %zu queued and %zu sent export file(s) rewritten; audit chain "
	       "entry %lld (erasure %lld)\n",
	       e->person, e->feed->name, e->nredo, files[0], files[1], files[1] == 1 ? "y" : "ies",
	       files[2], files[3], chain, e->id);
	for (size_t i = 0; i < e->nplan && e->app->verbose; i++)
		printf("  %s/%s/%s %s -> %s\n", e->plan[i].place, e->plan[i].owner, e->plan[i].name,
		       e->plan[i].old_sha, e->plan[i].new_sha);
}

/* Which erasure to run: a pending one of this person resumes; another one blocks. */
static enum ls_exit
pending(struct erase *e, bool *resume)
{
	char *feed = NULL, *person = NULL;
	long long id = 0;
	enum ls_exit rc = LS_EXIT_OK;

	*resume = false;
	if (store_erasure_pending(e->app->store, &id, &feed, &person) == -1)
		return store_failure(e->app->store);
	if (id && (strcmp(feed, e->feed->name) || strcmp(person, e->person))) {
		log_error("erasure %lld (person %s of feed %s) is not finished: run 'lotsync "
		          "erase-person %s %s' first",
		          id, person, feed, feed, person);
		rc = LS_EXIT_HELD;
	} else if (id) {
		log_info("erasure %lld of person %s was interrupted: finishing it", id, e->person);
		e->id = id;
		*resume = true;
	}
	free(feed);
	free(person);
	return rc;
}

static enum ls_exit
run(struct erase *e)
{
	struct store *st = e->app->store;
	char now[CLOCK_ISO_LEN], *by = util_operator_name();
	enum ls_exit rc = LS_EXIT_OK;
	long long chain = 0;
	bool known = false, resume = false;
	unsigned failed = 0, waiting;

	clock_format(clock_now(), now);
	if ((rc = pending(e, &resume)) != LS_EXIT_OK)
		goto out;
	if (store_person_known(st, e->feed->name, e->person, &known) == -1) {
		rc = store_failure(st);
		goto out;
	}
	if (!known) {
		log_error("no person '%s' in feed %s (a person is named by the id its work orders "
		          "give as driver_id, owner_id or contractor_id)",
		          e->person, e->feed->name);
		rc = LS_EXIT_USAGE;
		goto out;
	}
	if (store_each_person_version(st, e->feed->name, e->person, on_version, e) != 0 ||
	    store_each_person_version(st, e->feed->name, e->person, on_redo, e) != 0) {
		rc = store_failure(st);
		goto out;
	}
	if (resume ? store_erasure_files(st, e->id, &e->plan, &e->nplan) == -1
	           : plan(e, now, by) == -1) {
		rc = store_failure(st);
		goto out;
	}
	if (e->id) {
		for (size_t i = 0; i < e->nplan; i++)
			failed += rewrite_file(e, &e->plan[i]) == -1;
		if (failed) {
			log_error(
			        "erasure %lld of person %s: %u file(s) not rewritten; the erasure "
			        "stays pending ('lotsync verify' names it)",
			        e->id, e->person, failed);
			rc = LS_EXIT_IOERR;
			goto out;
		}
		if ((chain = commit_erasure(e)) < 0) {
			rc = store_failure(st);
			goto out;
		}
	}
	/* Pages the old values were on: into the database (zeroed), the log emptied. */
	if (store_checkpoint(st) == -1)
		rc = LS_EXIT_IOERR;
	print_result(e, chain, e->app->json);
	if (e->damaged) {
		log_error("%u file(s) of feed %s could not be checked or read and were not "
		          "rewritten: see above",
		          e->damaged, e->feed->name);
		rc = status_worse(rc, LS_EXIT_DATAERR);
	}
	if ((waiting = waiting_files(e)) > 0) {
		log_warn("%u file(s) of feed %s wait in incoming/ or work/ and may hold person %s: "
		         "run 'lotsync ingest %s', then erase-person again",
		         waiting, e->feed->name, e->person, e->feed->name);
		rc = status_worse(rc, LS_EXIT_HELD);
	}
out:
	free(by);
	return rc;
}

int
cmd_erase_person(struct app *app, int argc, char **argv)
{
	struct erase e = {.app = app};
	enum ls_exit rc;

	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-' || !argv[2][0]) {
		fprintf(stderr, "usage: lotsync erase-person FEED PERSON_ID\n");
		return LS_EXIT_USAGE;
	}
	if (!(e.feed = config_feed(&app->cfg, argv[1]))) {
		log_error("no feed named '%s' in %s", argv[1], app->cfg.path);
		return LS_EXIT_USAGE;
	}
	if (e.feed->kind != FEED_KIND_WORKORDER) {
		log_error("feed %s holds vehicles, not work orders: it stores no persons", argv[1]);
		return LS_EXIT_USAGE;
	}
	e.person = argv[2];
	if (wo_profile_load(app->cfg.dir, e.feed->profile, &e.prof) != 0) {
		log_error("feed %s: its profile '%s' cannot be loaded", e.feed->name,
		          e.feed->profile);
		return LS_EXIT_CONFIG;
	}
	wo_erase_values_init(&e.vals);
	rc = run(&e);
	wo_erase_values_release(&e.vals);
	wo_profile_release(&e.prof);
	erasure_files_release(e.plan, e.nplan);
	for (size_t i = 0; i < e.nredo; i++)
		free(e.redo[i].json);
	free(e.redo);
	return rc;
}
