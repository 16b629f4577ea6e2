/* cmd_status.c - what awaits an operator (status); whether the configuration holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/cmd.h"
#include "lotsync/format.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/profile.h"
#include "lotsync/spool.h"
#include "lotsync/transfer.h"
#include "lotsync/util.h"
#include "lotsync/view.h"
#include "lotsync/wo_map.h"
#include "lotsync/wo_render.h"

/* A feed: log in, list the source, say how many files match its glob. */
static enum ls_exit
try_feed(const struct feed_conf *f)
{
	struct transfer_endpoint ep = config_feed_endpoint(f);
	struct transfer_conn *c = NULL;
	struct remote_file *files = NULL;
	size_t n = 0, no_mtime = 0;
	enum ls_exit rc = transfer_open(&ep, &c);

	if (rc == LS_EXIT_OK)
		rc = transfer_list(c, &files, &n);
	if (rc != LS_EXIT_OK) {
		printf("feed %s: FAILED (exit %d)\n", f->name, rc);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		no_mtime += files[i].mtime == 0;
	printf("feed %s: connected and logged in; %zu file(s) in %s match\n", f->name, n,
	       transfer_where(c));
	if (no_mtime)
		log_warn("feed %s: the server gives no modification times for %zu of them (no "
		         "MDTM or MLSD modify): they settle by size alone, are downloaded again "
		         "each time they settle%s",
		         f->name, no_mtime,
		         f->after_fetch == AFTER_FETCH_DELETE ? ", and after_fetch = delete "
		                                                "cannot remove them"
		                                              : "");
out:
	transfer_files_free(files, n);
	transfer_close(c);
	return rc;
}

/*
 * Upload a small probe file the way deliveries go (temporary name and
 * rename, unless rename = off) and delete it: proves the directory is
 * writable, renames work and deletes are allowed. The name ends in .tmp so
 * receivers' globs skip it.
 */
static enum ls_exit
write_probe(struct transfer_conn *c, const struct target_conf *t)
{
	char local[] = "/tmp/lotsync-probe-XXXXXX";
	char *name = xasprintf("lotsync-probe-%ld.tmp", (long)getpid());
	static const char text[] = "lotsync check-config --connect probe; safe to delete\n";
	int fd = mkstemp(local);
	enum ls_exit rc = LS_EXIT_IOERR;

	if (fd == -1 || write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1)) {
		log_syserr("cannot write the probe file %s", local);
		goto out;
	}
	rc = transfer_put(c, local, name, t->rename);
	if (rc == LS_EXIT_OK && (rc = transfer_delete(c, name)) != LS_EXIT_OK)
		log_error("target %s: the probe file %s was uploaded but cannot be deleted; "
		          "remove it by hand",
		          t->name, name);
out:
	if (fd != -1) {
		close(fd);
		unlink(local);
	}
	free(name);
	return rc;
}

/* A target: log in and (unless no_write) write and remove a probe file. */
static enum ls_exit
try_target(const struct target_conf *t, bool no_write)
{
	struct transfer_endpoint ep = config_target_endpoint(t);
	struct transfer_conn *c = NULL;
	enum ls_exit rc = transfer_open(&ep, &c);

	if (rc == LS_EXIT_OK && !no_write)
		rc = write_probe(c, t);
	if (rc != LS_EXIT_OK)
		printf("target %s: FAILED (exit %d)\n", t->name, rc);
	else if (no_write)
		printf("target %s: connected and logged in (nothing written: --no-write)\n",
		       t->name);
	else
		printf("target %s: connected and logged in; a probe file was %s and deleted\n",
		       t->name, t->rename ? "uploaded, renamed" : "uploaded");
	transfer_close(c);
	return rc;
}

/* check-config --connect: every remote feed and target, the worst result as exit code. */
static int
connect_all(struct app *app, bool no_write)
{
	enum ls_exit worst = LS_EXIT_OK;

	for (size_t i = 0; i < app->cfg.nfeeds; i++)
		if (strcmp(app->cfg.feeds[i].source, "drop") != 0)
			worst = status_worse(worst, try_feed(&app->cfg.feeds[i]));
	for (size_t i = 0; i < app->cfg.ntargets; i++)
		worst = status_worse(worst, try_target(&app->cfg.targets[i], no_write));
	return worst;
}

/*
 * What each feed's guards will do with a file, in the words of the reasons
 * a held or quarantined file gets, and what an operator does then.
 */
static void
explain_guards(const struct app *app)
{
	for (size_t i = 0; i < app->cfg.nfeeds; i++) {
		const struct feed_conf *f = &app->cfg.feeds[i];

		printf("feed %s: a file is held (exit 3) when it has no vehicles, would vanish "
		       "more than %.0f%% and at least %u vehicles, has refused rows without a "
		       "readable key while vehicles would vanish, or drifts (a mapped column the "
		       "previous file had is missing, or a field filled for half its vehicles is "
		       "empty for 95%%)\n",
		       f->name, 100.0 * f->vanish_guard, f->vanish_guard_min);
	}
	if (app->cfg.nfeeds)
		printf("a refused row with a readable key keeps its vehicle's last good version; a "
		       "truncated or unreadable file is quarantined in failed/ (exit 65); a file "
		       "identical to an older one is applied, identical to the newest is a "
		       "duplicate\n"
		       "a held file waits: 'lotsync status' shows why, 'lotsync accept ID' applies "
		       "it as it is, 'lotsync reject ID' discards it\n");
}

/* A drop folder on another file system than work/ is claimed by copy: say so. */
static void
report_other_fs(struct app *app)
{
	struct spool sp;

	spool_init(&sp, app->cfg.spool);
	for (size_t i = 0; i < app->cfg.nfeeds; i++) {
		const char *name = app->cfg.feeds[i].name;
		char *in;

		if (spool_feed_other_fs(&sp, name) != 1)
			continue;
		in = spool_path(&sp, SPOOL_INCOMING, name);
		printf("feed %s: %s is on another file system than the spool's work/: its files "
		       "are claimed by copy, fsync and unlink instead of a rename\n",
		       name, in);
		free(in);
	}
	spool_release(&sp);
}

int
cmd_check_config(struct app *app, int argc, char **argv)
{
	bool connect = argc >= 2 && strcmp(argv[1], "--connect") == 0;
	bool no_write = argc == 3 && strcmp(argv[2], "--no-write") == 0;
	int errors;

	if ((argc > 1 && !connect) || argc > 3 || (argc == 3 && !no_write)) {
		fprintf(stderr, "usage: lotsync check-config [--connect [--no-write]]\n");
		return LS_EXIT_USAGE;
	}
	errors = config_load(app->config_path, &app->cfg);
	if (errors < 0)
		return LS_EXIT_CONFIG;
	/* Under --shard: that shard's feeds and targets, and whether it can be built. */
	if (errors == 0 && app->shard_n)
		errors += config_shard(&app->cfg, app->shard_i, app->shard_n);
	for (size_t i = 0; i < app->cfg.nfeeds; i++) {
		const struct feed_conf *fc = &app->cfg.feeds[i];
		struct profile p;
		struct wo_profile w;
		int wo = wo_profile_is_workorder(app->cfg.dir, fc->profile), bad;

		memset(&p, 0, sizeof(p));
		memset(&w, 0, sizeof(w));
		if (wo >= 0 && wo != (fc->kind == FEED_KIND_WORKORDER)) {
			log_error("%s:%d: feed '%s': profile '%s' is %s profile; the feed says "
			          "kind = %s",
			          app->cfg.path, fc->line, fc->name, fc->profile,
			          wo ? "a work-order" : "a vehicle",
			          fc->kind == FEED_KIND_WORKORDER ? "workorder" : "vehicle");
			errors++;
			continue;
		}
		bad = fc->kind == FEED_KIND_WORKORDER
		              ? wo_profile_load(app->cfg.dir, fc->profile, &w)
		              : profile_load(app->cfg.dir, fc->profile, &p);
		if (bad != 0) {
			log_error("%s:%d: feed '%s': profile '%s' has errors (above)",
			          app->cfg.path, fc->line, fc->name, fc->profile);
			errors++;
		}
		profile_release(&p);
		wo_profile_release(&w);
	}
	report_other_fs(app);
	for (size_t i = 0; i < app->cfg.ntargets; i++) {
		struct format f;
		enum wo_format wf;

		memset(&f, 0, sizeof(f));
		if (app->cfg.targets[i].kind == FEED_KIND_WORKORDER) {
			if (wo_format_from_name(app->cfg.targets[i].format, &wf) == -1) {
				log_error("%s:%d: target '%s': format '%s' is not a work-order "
				          "format "
				          "(workorder-csv, workorder-xml, workorder-jsonl)",
				          app->cfg.path, app->cfg.targets[i].line,
				          app->cfg.targets[i].name, app->cfg.targets[i].format);
				errors++;
			}
		} else if (format_load(app->cfg.dir, app->cfg.targets[i].format, &f) != 0) {
			log_error("%s:%d: target '%s': format '%s' has errors (above)",
			          app->cfg.path, app->cfg.targets[i].line, app->cfg.targets[i].name,
			          app->cfg.targets[i].format);
			errors++;
		}
		format_release(&f);
	}
	if (errors) {
		fprintf(stderr, "%s: %d error(s)\n", app->config_path, errors);
		return LS_EXIT_CONFIG;
	}
	if (connect)
		return connect_all(app, no_write);
	printf("%s: ok (%zu feeds, %zu targets, %zu type mappings, %zu client mappings)\n",
	       app->cfg.path, app->cfg.nfeeds, app->cfg.ntargets, app->cfg.ntypes,
	       app->cfg.nclients);
	explain_guards(app);
	return LS_EXIT_OK;
}

static void
status_feed_text(const struct view_feed *f)
{
	bool wo = f->conf->kind == FEED_KIND_WORKORDER;

	printf("feed %-12s last snapshot %-5lld %s %-7lld incoming %-4lld failed "
	       "%lld%s\n",
	       f->conf->name, f->last_snapshot, wo ? "work orders" : "vehicles", f->vehicles,
	       f->incoming, f->failed, f->refused ? " REFUSED entries (see above)" : "");
	if (wo)
		printf("  %lld canceled, %lld persons, %lld probable date typo%s\n", f->wo.canceled,
		       f->wo.persons, f->wo.typos_total, f->wo.typos_total == 1 ? "" : "s");
	for (size_t i = 0; i < f->wo.ntypos; i++)
		printf("  PROBABLE DATE TYPO work order %s: appointment %s as read, %s with day "
		       "and month swapped; fix it in the DMS\n",
		       f->wo.typos[i].wo_number ? f->wo.typos[i].wo_number : f->wo.typos[i].key,
		       f->wo.typos[i].appointment_at ? f->wo.typos[i].appointment_at : "?",
		       f->wo.typos[i].swapped_at ? f->wo.typos[i].swapped_at : "?");
	if (f->work)
		printf("  CLAIMED %lld file(s) in work/ that a stopped run left: the next run "
		       "applies them first, in order\n",
		       f->work);
	printf("  last file %s, last applied %s\n",
	       f->times.last_file_at ? f->times.last_file_at : "never",
	       f->times.last_applied_at ? f->times.last_applied_at : "never");
	if (f->held_closes)
		printf("  HELD auto-close: %lld SR(s) due by auto_close = %dd, held since the "
		       "clock "
		       "jumped\n",
		       f->held_closes, f->conf->auto_close);
	for (size_t i = 0; i < f->nheld; i++) {
		const struct snapshot_info *h = &f->held[i];

		if (h->id == 0) /* could not be read back (logged) */
			continue;
		printf("  HELD snapshot %lld (%s, received %s): %s; 'lotsync accept %lld' or "
		       "'lotsync reject %lld'\n",
		       h->id, h->file, h->received_at, h->hold_reason ? h->hold_reason : "", h->id,
		       h->id);
	}
	for (size_t i = 0; i < f->nfailed_files; i++)
		printf("  QUARANTINED %s: %s; after a fix, 'lotsync retry %s/%s'\n",
		       f->failed_files[i].file, f->failed_files[i].reason, f->conf->name,
		       f->failed_files[i].file);
}

static void
status_feed_json(const struct view_feed *f, struct json *j)
{
	json_obj(j);
	json_key(j, "name");
	json_str(j, f->conf->name);
	if (f->held_closes) {
		json_key(j, "held_closes");
		json_int(j, f->held_closes);
	}
	json_key(j, "last_snapshot");
	if (f->last_snapshot)
		json_int(j, f->last_snapshot);
	else
		json_null(j);
	json_key(j, f->conf->kind == FEED_KIND_WORKORDER ? "work_orders" : "vehicles");
	json_int(j, f->vehicles);
	json_key(j, "records");
	json_int(j, f->vehicles);
	json_key(j, "kind");
	json_str(j, f->conf->kind == FEED_KIND_WORKORDER ? "workorder" : "vehicle");
	if (f->conf->kind == FEED_KIND_WORKORDER) {
		json_key(j, "canceled");
		json_int(j, f->wo.canceled);
		json_key(j, "persons");
		json_int(j, f->wo.persons);
		json_key(j, "date_typos");
		json_arr(j);
		for (size_t i = 0; i < f->wo.ntypos; i++) {
			json_obj(j);
			json_key(j, "wo_number");
			json_str(j, f->wo.typos[i].wo_number);
			json_key(j, "key");
			json_str(j, f->wo.typos[i].key);
			json_key(j, "appointment_at");
			json_str(j, f->wo.typos[i].appointment_at);
			json_key(j, "swapped_at");
			json_str(j, f->wo.typos[i].swapped_at);
			json_end(j);
		}
		json_end(j);
	}
	json_key(j, "held");
	json_arr(j);
	for (size_t i = 0; i < f->nheld; i++)
		json_int(j, f->held_ids[i]);
	json_end(j);
	json_key(j, "incoming");
	json_int(j, f->incoming);
	json_key(j, "failed");
	json_int(j, f->failed);
	json_key(j, "refused");
	json_int(j, f->refused);
	json_key(j, "work");
	json_int(j, f->work);
	json_key(j, "failed_files");
	json_arr(j);
	for (size_t i = 0; i < f->nfailed_files; i++) {
		json_obj(j);
		json_key(j, "file");
		json_str(j, f->failed_files[i].file);
		json_key(j, "reason");
		json_str(j, f->failed_files[i].reason);
		json_end(j);
	}
	json_end(j);
	json_key(j, "last_file_at");
	json_str(j, f->times.last_file_at);
	json_key(j, "last_applied_at");
	json_str(j, f->times.last_applied_at);
	json_end(j);
}

static void
status_target_text(const struct view_target *v)
{
	printf("target %-10s pending %-4lld last delivery %s\n", v->conf->name, v->st.pending,
	       v->st.last_delivery ? v->st.last_delivery : "never");
	printf("  last export %s\n", v->times.last_export_at ? v->times.last_export_at : "never");
	if (v->ti.locked)
		printf("  LOCKED since %s: %s; 'lotsync unlock %s' sends\n", v->ti.locked_at,
		       v->ti.lock_reason, v->conf->name);
	for (size_t i = 0; i < v->nqueue; i++)
		printf("  queued %s (%lld vehicles, %lld rows, %s, %lld cell warnings)\n",
		       v->queue[i].file, v->queue[i].vehicles, v->queue[i].rows, v->queue[i].kind,
		       v->queue[i].warnings);
	if (v->st.error_at)
		printf("  last error %s %s: %s\n", v->st.error_at,
		       v->st.error_file ? v->st.error_file : "", v->st.error_reply);
	if (v->last.held > 0)
		printf("  %lld new vehicle(s) await 'lotsync release %s'\n", v->last.held,
		       v->conf->name);
}

static void
status_target_json(const struct view_target *v, struct json *j)
{
	json_obj(j);
	json_key(j, "name");
	json_str(j, v->conf->name);
	json_key(j, "locked");
	json_bool(j, v->ti.locked);
	json_key(j, "lock_reason");
	json_str(j, v->ti.locked ? v->ti.lock_reason : NULL);
	json_key(j, "lock_counts");
	if (v->ti.locked) {
		json_obj(j);
		json_key(j, "last_delivery");
		json_int(j, v->ti.lock_baseline);
		json_key(j, "export");
		json_int(j, v->ti.lock_vehicles);
		json_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "pending");
	json_int(j, v->st.pending);
	json_key(j, "queue");
	json_arr(j);
	for (size_t i = 0; i < v->nqueue; i++) {
		json_obj(j);
		json_key(j, "file");
		json_str(j, v->queue[i].file);
		json_key(j, "vehicles");
		json_int(j, v->queue[i].vehicles);
		json_key(j, "rows");
		json_int(j, v->queue[i].rows);
		json_key(j, "warnings");
		json_int(j, v->queue[i].warnings);
		json_key(j, "created_at");
		json_str(j, v->queue[i].created_at);
		json_end(j);
	}
	json_end(j);
	json_key(j, "last_delivery");
	json_str(j, v->st.last_delivery);
	json_key(j, "last_error");
	if (v->st.error_at) {
		json_obj(j);
		json_key(j, "at");
		json_str(j, v->st.error_at);
		json_key(j, "file");
		json_str(j, v->st.error_file);
		json_key(j, "reply");
		json_str(j, v->st.error_reply);
		json_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "delivered_vehicles");
	if (v->ti.baseline >= 0)
		json_int(j, v->ti.baseline);
	else
		json_null(j);
	json_key(j, "awaiting_release");
	json_int(j, v->last.held);
	json_key(j, "last_export_at");
	json_str(j, v->times.last_export_at);
	json_end(j);
}

static void
status_text(const struct view *v)
{
	const struct ops_times *r = &v->last_run;

	printf("last run %s%s%s, exit %d\n", r->last_run_at ? r->last_run_at : "never",
	       r->last_run_at ? ": " : "", r->last_run_command ? r->last_run_command : "",
	       r->last_run_exit);
	for (size_t i = 0; i < v->nfeeds; i++)
		status_feed_text(&v->feeds[i]);
	for (size_t i = 0; i < v->ntargets; i++)
		status_target_text(&v->targets[i]);
	if (v->jump_pending)
		printf("CLOCK JUMP from %s to %s (more than max_clock_jump): auto-closes that "
		       "count "
		       "days are held; check the clock, then 'lotsync accept-clock-jump' lets the "
		       "next run apply them\n",
		       v->jump.from, v->jump.to);
	if (v->erasure)
		printf("ERASURE %lld of person %s in feed %s not finished: run 'lotsync "
		       "erase-person "
		       "%s %s' again\n",
		       v->erasure, v->erasure_person, v->erasure_feed, v->erasure_feed,
		       v->erasure_person);
	printf("open service requests %lld\n", v->open_srs);
	printf("audit chain head %s\n", v->chain_head);
}

static void
status_json(const struct view *v)
{
	struct json j;

	json_init(&j);
	json_obj(&j);
	json_key(&j, "last_run");
	if (v->last_run.last_run_at) {
		json_obj(&j);
		json_key(&j, "at");
		json_str(&j, v->last_run.last_run_at);
		json_key(&j, "command");
		json_str(&j, v->last_run.last_run_command);
		json_key(&j, "exit_code");
		json_int(&j, v->last_run.last_run_exit);
		json_end(&j);
	} else {
		json_null(&j);
	}
	json_key(&j, "feeds");
	json_arr(&j);
	for (size_t i = 0; i < v->nfeeds; i++)
		status_feed_json(&v->feeds[i], &j);
	json_end(&j);
	json_key(&j, "targets");
	json_arr(&j);
	for (size_t i = 0; i < v->ntargets; i++)
		status_target_json(&v->targets[i], &j);
	json_end(&j);
	if (v->erasure) { /* only then, as clock_jump */
		json_key(&j, "erasure_pending");
		json_obj(&j);
		json_key(&j, "id");
		json_int(&j, v->erasure);
		json_key(&j, "feed");
		json_str(&j, v->erasure_feed);
		json_key(&j, "person");
		json_str(&j, v->erasure_person);
		json_end(&j);
	}
	if (v->jump_pending) { /* only then: tooling that knows every key keeps working */
		json_key(&j, "clock_jump");
		json_obj(&j);
		json_key(&j, "from");
		json_str(&j, v->jump.from);
		json_key(&j, "to");
		json_str(&j, v->jump.to);
		json_end(&j);
	}
	json_key(&j, "open_srs");
	json_int(&j, v->open_srs);
	json_key(&j, "chain_head");
	json_str(&j, v->chain_head);
	json_end(&j);
	json_print(&j);
}

int
cmd_status(struct app *app, int argc, char **argv)
{
	struct view v;
	int rc = LS_EXIT_SOFTWARE;

	(void)argv;
	if (argc != 1)
		return LS_EXIT_USAGE;
	if (view_load(&v, &app->cfg, &app->spool, app->store, VIEW_SPOOL, NULL) == 0) {
		if (app->json)
			status_json(&v);
		else
			status_text(&v);
		/* Exit 3 while something awaits an operator, so monitoring can alert on it. */
		rc = view_awaits_operator(&v) ? LS_EXIT_HELD : LS_EXIT_OK;
		/* A run stopped by local I/O (a feed's files wait) says so until one succeeds */
		if (v.last_run.last_run_at && v.last_run.last_run_exit == LS_EXIT_IOERR)
			rc = status_worse(rc, LS_EXIT_IOERR);
	}
	view_release(&v);
	return rc;
}
