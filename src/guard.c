/*
 * guard.c - a damaged database or a wrong clock stops a run before it
 * writes (guard.h). The state record is a few "key value" lines:
 *
 *   lotsync-state 1
 *   chain_entry 42
 *   chain_link 3f2a...
 *   snapshot 17
 *
 * written by spool_state_write() after each commit that moved the chain or
 * the snapshots. A database that is at least as far as the record, with
 * the same link at the recorded entry, is the one the record was written
 * for (or a newer state of it: a crash between commit and record).
 */
#include "lotsync/guard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lotsync/clock.h"
#include "lotsync/log.h"
#include "lotsync/util.h"

#define DAY 86400

struct state_rec {
	long long chain_id, snapshot_id;
	char chain_link[65];
};

/* 0 parsed, 1 none, -1 unreadable or malformed (logged). */
static int
read_record(struct app *app, struct state_rec *r)
{
	char *text, *line, *save = NULL;
	int rc = spool_state_read(&app->spool, app->cfg.database, &text);
	bool magic = false;

	memset(r, 0, sizeof(*r));
	if (rc != 0)
		return rc;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "lotsync-state 1") == 0)
			magic = true;
		else if (sscanf(line, "chain_entry %lld", &r->chain_id) == 1 ||
		         sscanf(line, "snapshot %lld", &r->snapshot_id) == 1)
			continue;
		else if (str_startswith(line, "chain_link "))
			snprintf(r->chain_link, sizeof(r->chain_link), "%s", line + 11);
	}
	free(text);
	if (!magic) {
		char *path = spool_state_path(&app->spool, app->cfg.database);

		log_error("%s: not a lotsync state record; move it away if it is not lotsync's",
		          path);
		free(path);
		return -1;
	}
	return 0;
}

static int
write_record(struct app *app, const struct store_mark *m)
{
	char *text = xasprintf("lotsync-state 1\n"
	                       "database %s\n"
	                       "chain_entry %lld\n"
	                       "chain_link %s\n"
	                       "snapshot %lld\n",
	                       app->cfg.database, m->chain_id, m->chain_link, m->snapshot_id);
	int rc = spool_state_write(&app->spool, app->cfg.database, text);

	free(text);
	if (rc == 0) {
		app->mark = *m;
		app->state_unsynced = true;
	}
	return rc;
}

void
guard_record(void *arg)
{
	struct app *app = arg;
	struct store_mark m;

	if (app->state_failed || store_mark_get(app->store, &m) == -1)
		return;
	if (m.chain_id == app->mark.chain_id && m.snapshot_id == app->mark.snapshot_id &&
	    strcmp(m.chain_link, app->mark.chain_link) == 0)
		return;
	if (write_record(app, &m) == -1) {
		log_error("the state record could not be written: the run stops with exit 74");
		app->state_failed = true;
	}
}

/* Why the database does not match the record, or NULL when it does (why: cap bytes). */
static const char *
mismatch(struct store *st, const struct state_rec *r, const struct store_mark *m, char *why,
         size_t cap)
{
	char link[65];
	int rc;

	if (m->chain_id < r->chain_id || m->snapshot_id < r->snapshot_id) {
		snprintf(why, cap,
		         "the database ends at chain entry %lld and snapshot %lld, but the state "
		         "record says chain entry %lld and snapshot %lld were committed: it lost "
		         "committed history (a truncated file, a deleted -wal, an old copy put "
		         "back)",
		         m->chain_id, m->snapshot_id, r->chain_id, r->snapshot_id);
		return why;
	}
	if (r->chain_id == 0)
		return NULL;
	rc = store_chain_link_at(st, r->chain_id, link);
	if (rc == -1) {
		snprintf(why, cap, "its audit chain cannot be read");
		return why;
	}
	if (rc == 1 || strcmp(link, r->chain_link) != 0) {
		snprintf(why, cap,
		         "its audit chain entry %lld is not the one the state record holds "
		         "(%.16s...): "
		         "this is another database, or its history was rewritten",
		         r->chain_id, r->chain_link);
		return why;
	}
	return NULL;
}

static enum ls_exit
refuse(struct app *app, const char *why)
{
	char *path = spool_state_path(&app->spool, app->cfg.database);

	log_error("%s: refusing to run: %s. Restore the database from a backup (or the newest "
	          "one and re-ingest the archive); if this is deliberate (a fresh start), move "
	          "%s and archive/ away",
	          app->cfg.database, why, path);
	free(path);
	return LS_EXIT_IOERR;
}

enum ls_exit
guard_before_open(struct app *app)
{
	struct state_rec r;
	struct stat st;
	long long archived;
	int rc;
	char why[512];

	const char *what;

	if (stat(app->cfg.database, &st) == 0) {
		if (st.st_size > 0)
			return LS_EXIT_OK;
		what = "empty (0 bytes)";
	} else if (errno == ENOENT) {
		what = "missing";
	} else {
		return LS_EXIT_OK; /* store_open() reports what is wrong with it */
	}
	rc = read_record(app, &r);
	if (rc == -1)
		return LS_EXIT_IOERR;
	if (rc == 0 && (r.chain_id > 0 || r.snapshot_id > 0)) {
		snprintf(why, sizeof(why),
		         "it is %s, but the state record says chain entry %lld and snapshot %lld "
		         "were committed",
		         what, r.chain_id, r.snapshot_id);
		return refuse(app, why);
	}
	/* The feeds of this process: under --shard other shards' feeds share archive/ */
	archived = 0;
	for (size_t i = 0; i < app->cfg.nfeeds; i++) {
		long long n = spool_archive_count(&app->spool, app->cfg.feeds[i].name);

		if (n < 0)
			return LS_EXIT_IOERR;
		archived += n;
	}
	if (archived > 0) {
		snprintf(why, sizeof(why),
		         "it is %s while archive/ holds %lld file(s) of its feeds: a new database "
		         "would lose their history",
		         what, archived);
		return refuse(app, why);
	}
	return LS_EXIT_OK;
}

static enum ls_exit
check_record(struct app *app)
{
	struct store_mark m;
	struct state_rec r;
	char why[512];
	int rc = read_record(app, &r);

	if (rc == -1)
		return LS_EXIT_IOERR;
	if (store_mark_get(app->store, &m) == -1)
		return store_failure(app->store);
	if (rc == 1) /* the first run, or one from before the record existed */
		return write_record(app, &m) == 0 ? LS_EXIT_OK : LS_EXIT_IOERR;
	if (mismatch(app->store, &r, &m, why, sizeof(why)))
		return refuse(app, why);
	app->mark = (struct store_mark){.chain_id = r.chain_id, .snapshot_id = r.snapshot_id};
	snprintf(app->mark.chain_link, sizeof(app->mark.chain_link), "%s", r.chain_link);
	return LS_EXIT_OK;
}

static void
say_damaged(const struct app *app, const char *first)
{
	log_error("%s: the database is damaged (quick_check: %s); refusing to write into "
	          "it. Restore it from a backup; 'lotsync verify' runs the full check",
	          app->cfg.database, first);
}

/* The verdict of the check beside the command, said once (store_check_start). */
static void
on_verdict(void *ctx, int verdict, const char *first)
{
	const struct app *app = ctx;

	if (verdict == 1)
		say_damaged(app, first);
	else
		log_error("%s: quick_check could not run: %s", app->cfg.database, first);
}

static enum ls_exit
check_integrity(struct app *app, bool late)
{
	char first[256];
	int rc;

	if (late && store_check_start(app->store, on_verdict, app) == 0)
		return LS_EXIT_OK;
	rc = store_check(app->store, false, first, sizeof(first));
	if (rc == -1)
		return store_failure(app->store);
	if (rc == 1) {
		say_damaged(app, first);
		return LS_EXIT_IOERR;
	}
	return LS_EXIT_OK;
}

/* Some feed closes SRs after days (auto_close = <N>d): a jump can make them due. */
static bool
counts_days(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nfeeds; i++)
		if (cfg->feeds[i].auto_close > 0)
			return true;
	return false;
}

static enum ls_exit
check_clock(struct app *app)
{
	char newest[32], now_iso[CLOCK_ISO_LEN];
	struct clock_jump j;
	time_t now = clock_now(), last;
	int rc = store_newest_run_clock(app->store, 0, newest);

	if (rc == -1)
		return store_failure(app->store);
	clock_format(now, now_iso);
	if (rc == 0 && clock_parse(newest, &last) == 0) {
		if (now < last && !app->allow_clock_rewind) {
			log_error(
			        "the clock says %s, earlier than the newest recorded run (%s): "
			        "refusing to run, its records and rules would go back in time. Fix "
			        "the system clock (or --now); for a deliberate replay into a "
			        "scratch "
			        "copy of the spool pass --allow-clock-rewind",
			        now_iso, newest);
			return LS_EXIT_CONFIG;
		}
		if (app->cfg.max_clock_jump != CONFIG_NEVER && !app->dry_run &&
		    now - last > (time_t)app->cfg.max_clock_jump * DAY) {
			bool timed = counts_days(&app->cfg);

			log_warn("the clock jumped from %s (the newest recorded run) to %s, more "
			         "than max_clock_jump = %dd%s",
			         newest, now_iso, app->cfg.max_clock_jump,
			         timed ? ": auto-close decisions that count days are held until an "
			                 "operator runs 'lotsync accept-clock-jump' ('lotsync "
			                 "status' "
			                 "lists them)"
			               : "");
			if (timed && store_clock_jump_add(app->store, 0, newest, now_iso) == -1)
				return store_failure(app->store);
		}
	}
	rc = store_clock_jump_pending(app->store, &j);
	if (rc == -1)
		return store_failure(app->store);
	app->hold_timed_closes = rc == 0;
	return LS_EXIT_OK;
}

enum ls_exit
guard_after_open(struct app *app, bool late)
{
	enum ls_exit rc;

	/* A dry run never commits, so no commit would wait for a late verdict */
	if ((rc = check_integrity(app, late && !app->dry_run)) != LS_EXIT_OK ||
	    (rc = check_record(app)) != LS_EXIT_OK || (rc = check_clock(app)) != LS_EXIT_OK)
		return rc;
	if (!app->dry_run) {
		spool_state_purge_tmp(&app->spool, app->cfg.database);
		store_on_commit(app->store, guard_record, app);
	}
	return LS_EXIT_OK;
}

enum ls_exit
guard_wait(struct app *app)
{
	return store_check_wait(app->store) == 0 ? LS_EXIT_OK : store_failure(app->store);
}

/*
 * The spool directory's fsync for every record rewrite of the command: a
 * run of 2,000 small feeds commits 2,000 times, and the name of the newest
 * record need only be durable before the command reports success. A power
 * loss before it leaves an older record, behind the database, which is
 * what a crash between a commit and its record leaves too (accepted).
 */
enum ls_exit
guard_finish(struct app *app)
{
	/* A command that wrote nothing still learns that its database is damaged */
	enum ls_exit rc = guard_wait(app);

	if (rc != LS_EXIT_OK)
		return rc;
	if (!app->state_unsynced)
		return LS_EXIT_OK;
	app->state_unsynced = false;
	if (spool_state_sync(&app->spool) == -1) {
		log_error("the state record could not be made durable: exit 74");
		return LS_EXIT_IOERR;
	}
	return LS_EXIT_OK;
}

static void
count(long long *problems, char *first, size_t cap, const char *msg)
{
	log_error("%s", msg);
	if ((*problems)++ == 0 || !first[0])
		snprintf(first, cap, "%s", msg);
}

int
guard_verify(struct app *app, long long *problems, char *first, size_t cap)
{
	struct store_mark m;
	struct state_rec r;
	char why[512], msg[700];
	int rc = store_check(app->store, true, why, sizeof(why));

	if (rc == -1)
		return -1;
	if (rc == 1) {
		snprintf(msg, sizeof(msg), "%s: integrity_check failed: %s", app->cfg.database,
		         why);
		count(problems, first, cap, msg);
		return 0; /* the rest reads a damaged file */
	}
	/* cur is derived from the versions: ingest trusts it as the feed's current set */
	if ((rc = store_cur_check(app->store, why, sizeof(why))) == -1)
		return -1;
	if (rc == 1) {
		snprintf(msg, sizeof(msg), "%s: %s", app->cfg.database, why);
		count(problems, first, cap, msg);
	}
	rc = read_record(app, &r);
	if (rc == -1) {
		count(problems, first, cap, "the state record is unreadable");
		return 0;
	}
	if (rc == 1)
		return 0;
	if (store_mark_get(app->store, &m) == -1)
		return -1;
	if (mismatch(app->store, &r, &m, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "%s: %s", app->cfg.database, why);
		count(problems, first, cap, msg);
	}
	return 0;
}
