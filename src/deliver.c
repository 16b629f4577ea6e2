/* deliver.c - outbox -> remote server (temp name, then rename) -> sent/ (see deliver.h). */
#include "lotsync/deliver.h"

#include <stdlib.h>
#include <string.h>

#include "lotsync/clock.h"
#include "lotsync/crash.h"
#include "lotsync/log.h"
#include "lotsync/transfer.h"
#include "lotsync/util.h"

/*
 * One attempt, one record. A delivered file also becomes the target's
 * baseline for the deviation lock, in the same transaction. Returns
 * LS_EXIT_OK or the store's failure.
 */
static enum ls_exit
record_attempt(struct app *app, const struct target_conf *t, const struct export_info *e,
               const char *result, const char *reply, const char *state)
{
	char now[CLOCK_ISO_LEN];

	clock_format(clock_now(), now);
	if (store_begin(app->store) == -1)
		goto fail;
	if (store_delivery_add(app->store, e->id, app->run, now, result, reply) == -1 ||
	    (state && store_export_set_state(app->store, e->id, state, now) == -1) ||
	    (state && !strcmp(state, "delivered") &&
	     store_target_set_baseline(app->store, t->name, e->vehicles) == -1) ||
	    store_commit(app->store) == -1) {
		store_rollback(app->store);
		goto fail;
	}
	return LS_EXIT_OK;
fail:
	return store_failure(app->store);
}

/* Full files replace each other: only the newest pending one is worth sending. */
static size_t
supersede_old(struct app *app, const struct target_conf *t, struct export_info *pend, size_t n,
              struct deliver_summary *sum, enum ls_exit *status)
{
	if (t->mode != EXPORT_FULL || n < 2)
		return 0;
	for (size_t i = 0; i + 1 < n; i++) {
		enum ls_exit rc = record_attempt(app, t, &pend[i], "superseded", pend[n - 1].file,
		                                 "superseded");

		if (rc == LS_EXIT_OK && spool_to_sent(&app->spool, t->name, pend[i].file) == -1)
			rc = LS_EXIT_IOERR;
		*status = status_worse(*status, rc);
		sum->superseded++;
	}
	return n - 1;
}

static enum ls_exit
send_one(struct app *app, const struct target_conf *t, struct transfer_conn *c,
         const struct export_info *e)
{
	char *path = spool_file_path(&app->spool, SPOOL_OUTBOX, t->name, e->file);
	enum ls_exit rc = transfer_put(c, path, e->file, t->rename);

	if (rc != LS_EXIT_OK) {
		const char *reply = transfer_last_reply(c);

		/* FTP names the refused command; the operator's way out is rename = off */
		if (t->rename && (strstr(reply, "RNFR") || strstr(reply, "RNTO")))
			log_warn("the server refused to rename %s; if it cannot rename uploads, "
			         "set rename = off for target %s (files then appear under their "
			         "final name while uploading)",
			         e->file, t->name);
		rc = status_worse(rc, record_attempt(app, t, e, "failed", reply, NULL));
		goto out;
	}
	/* On the server under its final name; a crash from here on re-uploads it. */
	crash_point("deliver-renamed");
	rc = record_attempt(app, t, e, "delivered", transfer_last_reply(c), "delivered");
	if (rc != LS_EXIT_OK)
		goto out;
	crash_point("deliver-recorded");
	if (spool_to_sent(&app->spool, t->name, e->file) == -1)
		rc = LS_EXIT_IOERR;
	log_info("delivered %s (%lld vehicles, %lld rows)", e->file, e->vehicles, e->rows);
out:
	free(path);
	return rc;
}

/*
 * Records and sent/ files past retention_days (by the run's clock). The
 * file goes first: a crash in between leaves a record whose file is gone,
 * which the next run deletes, never a file no record names.
 */
static enum ls_exit
prune(struct app *app, const struct target_conf *t)
{
	char before[CLOCK_ISO_LEN];
	struct export_info *old = NULL;
	size_t n = 0;
	enum ls_exit rc = LS_EXIT_OK;

	clock_format(clock_now() - (time_t)t->retention_days * 86400, before);
	if (store_export_prunable(app->store, t->name, before, &old, &n) == -1) {
		rc = store_failure(app->store);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (old[i].file)
			spool_prune_sent(&app->spool, t->name, old[i].file);
		if (store_export_delete(app->store, old[i].id) == -1) {
			rc = store_failure(app->store);
			break;
		}
	}
	if (n)
		log_info("pruned %zu export record(s) older than %u day(s)", n, t->retention_days);
out:
	export_list_free(old, n);
	return rc;
}

/*
 * Locked: nothing leaves; say why once per run and exit 3 (*rc). A target
 * whose lock cannot be read counts as locked (*rc the store's failure).
 */
static bool
locked(struct app *app, const struct target_conf *t, size_t pending, enum ls_exit *rc)
{
	struct target_info ti;
	bool is = false;

	if (store_target_get(app->store, t->name, &ti) == -1) {
		*rc = store_failure(app->store);
		return true;
	}
	if (ti.locked) {
		log_warn("locked since %s: %s; %zu file(s) wait for 'lotsync unlock %s'",
		         ti.locked_at, ti.lock_reason, pending, t->name);
		*rc = LS_EXIT_HELD;
		is = true;
	}
	target_info_release(&ti);
	return is;
}

enum ls_exit
deliver_target(struct app *app, const struct target_conf *t, struct deliver_summary *sum)
{
	struct transfer_endpoint ep = config_target_endpoint(t);
	struct transfer_conn *c = NULL;
	struct export_info *pend = NULL;
	size_t n = 0, first;
	enum ls_exit rc, status = LS_EXIT_OK;

	memset(sum, 0, sizeof(*sum));
	log_scope(t->name);
	if (store_export_pending(app->store, t->name, &pend, &n) == -1) {
		status = store_failure(app->store);
		goto out;
	}
	if (locked(app, t, n, &status)) {
		sum->locked = true;
		goto prune;
	}
	first = supersede_old(app, t, pend, n, sum, &status);
	if (first == n)
		goto prune;
	if ((rc = transfer_open(&ep, &c)) != LS_EXIT_OK) {
		for (size_t i = first; i < n; i++)
			status = status_worse(status, record_attempt(app, t, &pend[i], "failed",
			                                             "cannot connect", NULL));
		sum->failed += (unsigned)(n - first);
		status = status_worse(status, rc);
		goto prune;
	}
	for (size_t i = first; i < n; i++) {
		if ((rc = send_one(app, t, c, &pend[i])) != LS_EXIT_OK) {
			sum->failed++;
			status = status_worse(status, rc);
			break; /* keep the order: later files wait for this one */
		}
		sum->delivered++;
	}
prune:
	status = status_worse(status, prune(app, t));
out:
	if (c)
		transfer_close(c);
	export_list_free(pend, n);
	log_scope(NULL);
	return status;
}
