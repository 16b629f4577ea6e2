/* deliver.c - outbox -> remote server (temp name, then rename) -> sent/. */
#include "lotsync/deliver.h"

#include <stdlib.h>
#include <string.h>

#include "lotsync/clock.h"
#include "lotsync/fsio.h"
#include "lotsync/log.h"
#include "lotsync/transfer.h"
#include "lotsync/util.h"

static void
record_attempt(struct app *app, const struct export_info *e, const char *result, const char *reply,
               const char *state)
{
	char now[CLOCK_ISO_LEN];

	clock_format(clock_now(), now);
	if (store_begin(app->store) == -1)
		goto fail;
	if (store_delivery_add(app->store, e->id, app->run, now, result, reply) == -1 ||
	    (state && store_export_set_state(app->store, e->id, state, now) == -1) ||
	    store_commit(app->store) == -1) {
		store_rollback(app->store);
		goto fail;
	}
	return;
fail:
	app_status(app, store_disk_full(app->store) ? LS_EXIT_IOERR : LS_EXIT_SOFTWARE);
}

/* Full files replace each other: only the newest pending one is worth sending. */
static size_t
supersede_old(struct app *app, const struct target_conf *t, struct export_info *pend, size_t n,
              struct deliver_summary *sum)
{
	if (t->mode != EXPORT_FULL || n < 2)
		return 0;
	for (size_t i = 0; i + 1 < n; i++) {
		char *src = spool_path(&app->spool, SPOOL_OUTBOX, t->name);
		char *path = xasprintf("%s/%s", src, pend[i].file);
		char *sent = spool_path(&app->spool, SPOOL_SENT, t->name);

		record_attempt(app, &pend[i], "superseded", pend[n - 1].file, "superseded");
		if (fsio_move(path, sent, pend[i].file) == -1)
			app_status(app, LS_EXIT_IOERR);
		sum->superseded++;
		free(src);
		free(path);
		free(sent);
	}
	return n - 1;
}

static enum ls_exit
send_one(struct app *app, const struct target_conf *t, struct transfer_conn *c,
         const struct export_info *e)
{
	char *outbox = spool_path(&app->spool, SPOOL_OUTBOX, t->name);
	char *sent = spool_path(&app->spool, SPOOL_SENT, t->name);
	char *path = xasprintf("%s/%s", outbox, e->file);
	enum ls_exit rc = transfer_put(c, path, e->file, t->rename);

	if (rc != LS_EXIT_OK) {
		record_attempt(app, e, "failed", transfer_last_reply(c), NULL);
		goto out;
	}
	record_attempt(app, e, "delivered", transfer_last_reply(c), "delivered");
	if (fsio_move(path, sent, e->file) == -1)
		rc = LS_EXIT_IOERR;
	log_info("delivered %s (%lld vehicles)", e->file, e->vehicles);
out:
	free(path);
	free(sent);
	free(outbox);
	return rc;
}

void
deliver_target(struct app *app, const struct target_conf *t, struct deliver_summary *sum)
{
	struct transfer_endpoint ep = {.url = t->url,
	                               .password_file = t->password_file,
	                               .identity = t->identity,
	                               .known_hosts = t->known_hosts,
	                               .ca_file = t->ca_file};
	struct transfer_conn *c = NULL;
	struct export_info *pend = NULL;
	size_t n = 0, first;
	enum ls_exit rc;

	memset(sum, 0, sizeof(*sum));
	log_scope(t->name);
	if (store_export_pending(app->store, t->name, &pend, &n) == -1) {
		app_status(app, LS_EXIT_SOFTWARE);
		goto out;
	}
	first = supersede_old(app, t, pend, n, sum);
	if (first == n)
		goto out;
	if ((rc = transfer_open(&ep, &c)) != LS_EXIT_OK) {
		for (size_t i = first; i < n; i++)
			record_attempt(app, &pend[i], "failed", "cannot connect", NULL);
		sum->failed += (unsigned)(n - first);
		app_status(app, rc);
		goto out;
	}
	for (size_t i = first; i < n; i++) {
		if ((rc = send_one(app, t, c, &pend[i])) != LS_EXIT_OK) {
			sum->failed++;
			app_status(app, rc);
			break; /* keep the order: later files wait for this one */
		}
		sum->delivered++;
	}
out:
	if (c)
		transfer_close(c);
	export_list_free(pend, n);
	log_scope(NULL);
}
