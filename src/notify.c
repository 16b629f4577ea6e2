/*
 * notify.c - [notify:NAME] hooks. After a run, the events its history
 * recorded are queued in the database (one transaction with the cursors, so
 * each is queued once) and every hook's queue is sent oldest first: a POST
 * of the JSON to url, or the JSON on the stdin of command. A hook that
 * fails keeps its queue for the next run; its later events wait, so they
 * arrive in order. Nothing here changes the run's exit code.
 */
#include "lotsync/notify.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lotsync/clock.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/store_ops.h"
#include "lotsync/transfer_http.h"
#include "lotsync/util.h"

#define ERR_MAX 256

static bool
wants(const struct notify_conf *n, enum notify_kind k)
{
	return (n->events & (1u << k)) != 0;
}

/* Queue what happened since the last collection for every hook that wants it. */
static int
enqueue(struct app *app)
{
	const struct config *cfg = &app->cfg;
	struct notify_event *ev = NULL;
	bool vehicles = false;
	size_t n = 0;

	for (size_t i = 0; i < cfg->nnotifies; i++)
		vehicles = vehicles || wants(&cfg->notifies[i], NOTIFY_VEHICLE);
	if (store_begin(app->store) == -1)
		return -1;
	if (store_notify_collect(app->store, vehicles, &ev, &n) == -1)
		goto fail;
	for (size_t e = 0; e < n; e++)
		for (size_t i = 0; i < cfg->nnotifies; i++)
			if (wants(&cfg->notifies[i], ev[e].kind) &&
			    store_notify_enqueue(app->store, cfg->notifies[i].name, &ev[e]) == -1)
				goto fail;
	notify_events_free(ev, n);
	return store_commit(app->store);
fail:
	notify_events_free(ev, n);
	store_rollback(app->store);
	return -1;
}

/* Run command with /bin/sh, the JSON on its stdin; 0 when it exits 0. */
static int
run_command(const struct notify_conf *n, const char *json, char *err, size_t errsz)
{
	int fds[2], status;
	void (*old)(int);
	pid_t pid;
	size_t len = strlen(json), off = 0;

	if (pipe(fds) == -1) {
		snprintf(err, errsz, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errsz, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", n->command, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	/* A command that does not read its stdin must not kill us with SIGPIPE. */
	old = signal(SIGPIPE, SIG_IGN);
	while (off < len) {
		ssize_t w = write(fds[1], json + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fds[1]);
	signal(SIGPIPE, old);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			snprintf(err, errsz, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(err, errsz, "command exited %d", WEXITSTATUS(status));
	else
		snprintf(err, errsz, "command killed by signal %d", WTERMSIG(status));
	return -1;
}

static int
send_one(const struct notify_conf *n, const char *json, char *err, size_t errsz)
{
	if (n->url)
		return transfer_http_post_json(n->url, json, (long)n->timeout, err, errsz);
	return run_command(n, json, err, errsz);
}

/* Drop what is older than retention_days, then send the queue in order. */
static void
deliver(struct app *app, const struct notify_conf *n)
{
	char now[CLOCK_ISO_LEN], before[CLOCK_ISO_LEN], err[ERR_MAX];
	time_t t = clock_now();
	struct notify_item *q = NULL;
	long long dropped = 0;
	size_t nq = 0, sent = 0;

	clock_format(t, now);
	clock_format(t - (time_t)n->retention_days * 86400, before);
	if (store_notify_prune(app->store, n->name, before, &dropped) == -1)
		return;
	if (dropped > 0)
		log_warn("notify %s: dropped %lld undelivered notification(s) older than %u days",
		         n->name, dropped, n->retention_days);
	if (store_notify_pending(app->store, n->name, &q, &nq) == -1)
		goto out;
	for (; sent < nq; sent++) {
		if (send_one(n, q[sent].payload, err, sizeof(err)) == -1) {
			log_warn("notify %s: %s event not delivered (%s); %zu notification(s) stay "
			         "queued for the next run",
			         n->name, q[sent].event, err, nq - sent);
			store_notify_failed(app->store, q[sent].id, err);
			break;
		}
		if (store_notify_delivered(app->store, q[sent].id, now) == -1)
			break;
	}
	if (sent > 0)
		log_info("notify %s: %zu notification(s) delivered", n->name, sent);
out:
	notify_items_free(q, nq);
}

void
notify_run(struct app *app)
{
	if (!app->store || app->dry_run)
		return;
	/* Events are queued even without hooks, so adding one later starts from now. */
	if (enqueue(app) == -1) {
		log_warn("notify: events of this run could not be queued");
		return;
	}
	for (size_t i = 0; i < app->cfg.nnotifies; i++)
		deliver(app, &app->cfg.notifies[i]);
}

/* The verify_failed payload: the counts and the first problem. Caller frees. */
static char *
verify_payload(const struct verify_report *r, const char *at)
{
	struct json j;

	json_init(&j);
	json_obj(&j);
	json_key(&j, "event");
	json_str(&j, notify_kind_name(NOTIFY_VERIFY_FAILED));
	json_key(&j, "at");
	json_str(&j, at);
	json_key(&j, "problems");
	json_int(&j, r->problems);
	json_key(&j, "first_problem");
	json_str(&j, r->first);
	json_key(&j, "chain_entries");
	json_int(&j, r->entries);
	json_key(&j, "snapshots");
	json_int(&j, r->snapshots);
	json_key(&j, "archived_files");
	json_int(&j, r->files);
	json_end(&j);
	return json_detach(&j);
}

void
notify_verify_failed(struct app *app, const struct verify_report *r)
{
	char at[CLOCK_ISO_LEN];
	struct notify_event ev = {.kind = NOTIFY_VERIFY_FAILED, .at = at};
	struct store *ro = app->store, *w = NULL;
	bool any = false;

	for (size_t i = 0; i < app->cfg.nnotifies; i++)
		any = any || wants(&app->cfg.notifies[i], NOTIFY_VERIFY_FAILED);
	if (!any)
		return; /* nothing to queue for: verify stays read-only */
	clock_format(clock_now(), at);
	ev.payload = verify_payload(r, at);
	if (store_open(app->cfg.database, false, &w) == -1 || store_begin(w) == -1)
		goto fail;
	for (size_t i = 0; i < app->cfg.nnotifies; i++)
		if (wants(&app->cfg.notifies[i], NOTIFY_VERIFY_FAILED) &&
		    store_notify_enqueue(w, app->cfg.notifies[i].name, &ev) == -1) {
			store_rollback(w);
			goto fail;
		}
	if (store_commit(w) == -1)
		goto fail;
	/* Queued once (committed); now send it behind whatever each hook still has queued. */
	app->store = w;
	for (size_t i = 0; i < app->cfg.nnotifies; i++)
		if (wants(&app->cfg.notifies[i], NOTIFY_VERIFY_FAILED))
			deliver(app, &app->cfg.notifies[i]);
	app->store = ro;
	goto out;
fail:
	log_warn("notify: the verify_failed event could not be queued");
out:
	if (w)
		store_close(w);
	free(ev.payload);
}
