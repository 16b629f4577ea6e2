/* cmd_status.c - what awaits an operator (status); whether the configuration holds. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/cmd.h"
#include "lotsync/format.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/profile.h"
#include "lotsync/store_rules.h"
#include "lotsync/transfer.h"
#include "lotsync/util.h"

/* Log in to one remote and out again; the transfer module reports what failed. */
static enum ls_exit
try_connect(const char *what, const char *name, const struct transfer_endpoint *ep)
{
	struct transfer_conn *c = NULL;
	enum ls_exit rc = transfer_open(ep, &c);

	if (rc == LS_EXIT_OK) {
		printf("%s %s: connected and logged in\n", what, name);
		transfer_close(c);
	} else {
		printf("%s %s: FAILED (exit %d)\n", what, name, rc);
	}
	return rc;
}

/* check-config --connect: every remote feed and target, the worst result as exit code. */
static int
connect_all(struct app *app)
{
	enum ls_exit worst = LS_EXIT_OK;

	for (size_t i = 0; i < app->cfg.nfeeds; i++) {
		const struct feed_conf *f = &app->cfg.feeds[i];
		struct transfer_endpoint ep = {.url = f->source,
		                               .password_file = f->password_file,
		                               .identity = f->identity,
		                               .known_hosts = f->known_hosts,
		                               .ca_file = f->ca_file};

		if (strcmp(f->source, "drop") != 0)
			worst = status_worse(worst, try_connect("feed", f->name, &ep));
	}
	for (size_t i = 0; i < app->cfg.ntargets; i++) {
		const struct target_conf *t = &app->cfg.targets[i];
		struct transfer_endpoint ep = {.url = t->url,
		                               .password_file = t->password_file,
		                               .identity = t->identity,
		                               .known_hosts = t->known_hosts,
		                               .ca_file = t->ca_file};

		worst = status_worse(worst, try_connect("target", t->name, &ep));
	}
	return worst;
}

int
cmd_check_config(struct app *app, int argc, char **argv)
{
	bool connect = argc == 2 && strcmp(argv[1], "--connect") == 0;
	int errors;

	if (argc > 1 && !connect) {
		fprintf(stderr, "usage: lotsync check-config [--connect]\n");
		return LS_EXIT_USAGE;
	}
	errors = config_load(app->config_path, &app->cfg);
	if (errors < 0)
		return LS_EXIT_CONFIG;
	for (size_t i = 0; i < app->cfg.nfeeds; i++) {
		struct profile p;

		if (profile_load(app->cfg.dir, app->cfg.feeds[i].profile, &p) != 0) {
			log_error("%s:%d: feed '%s': profile '%s' has errors (above)",
			          app->cfg.path, app->cfg.feeds[i].line, app->cfg.feeds[i].name,
			          app->cfg.feeds[i].profile);
			errors++;
		}
		profile_release(&p);
	}
	for (size_t i = 0; i < app->cfg.ntargets; i++) {
		struct format f;

		if (format_load(app->cfg.dir, app->cfg.targets[i].format, &f) != 0) {
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
		return connect_all(app);
	printf("%s: ok (%zu feeds, %zu targets, %zu type mappings, %zu client mappings)\n",
	       app->cfg.path, app->cfg.nfeeds, app->cfg.ntargets, app->cfg.ntypes,
	       app->cfg.nclients);
	return LS_EXIT_OK;
}

/* Regular entries in a spool folder that are not markers or hidden. */
static long long
count_files(struct app *app, enum spool_dir dir, const char *name, const char *skip_suffix)
{
	char *path = spool_path(&app->spool, dir, name);
	DIR *d = opendir(path);
	struct dirent *de;
	long long n = 0;

	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && !(skip_suffix && str_endswith(de->d_name, skip_suffix)))
			n++;
	if (d)
		closedir(d);
	free(path);
	return n;
}

static void
status_held(struct app *app, long long id)
{
	struct snapshot_info h;

	if (store_snapshot_get(app->store, id, &h) == -1)
		return;
	printf("  HELD snapshot %lld (%s, received %s): %s; 'lotsync accept %lld' or "
	       "'lotsync reject %lld'\n",
	       id, h.file, h.received_at, h.hold_reason ? h.hold_reason : "", id, id);
	snapshot_info_release(&h);
}

static void
status_feed(struct app *app, const struct feed_conf *f, struct json *j)
{
	long long seq = 0, id = 0, incoming, failed, *held = NULL;
	struct snapshot_info s = {0};
	struct spool_scan scan = {0};
	unsigned refused = 0;
	size_t nheld = 0;

	if (app->store && store_feed_head(app->store, f->name, &seq, &id) == 0 && id)
		store_snapshot_get(app->store, id, &s);
	if (app->store)
		store_feed_held(app->store, f->name, &held, &nheld);
	incoming = count_files(app, SPOOL_INCOMING, f->name, ".done");
	failed = count_files(app, SPOOL_FAILED, f->name, ".reason");
	/* Refused entries (symlinks, FIFOs, ...) are named on stderr by the scan */
	if (spool_scan_incoming(&app->spool, f->name, app->cfg.settle_seconds, &scan) == 0)
		refused = scan.refused;
	spool_scan_release(&scan);
	if (!app->json) {
		printf("feed %-12s last snapshot %-5lld vehicles %-7lld incoming %-4lld failed "
		       "%lld%s\n",
		       f->name, id, s.vehicles, incoming, failed,
		       refused ? " REFUSED entries (see above)" : "");
		for (size_t i = 0; i < nheld; i++)
			status_held(app, held[i]);
	} else {
		json_obj(j);
		json_key(j, "name");
		json_str(j, f->name);
		json_key(j, "last_snapshot");
		if (id)
			json_int(j, id);
		else
			json_null(j);
		json_key(j, "vehicles");
		json_int(j, s.vehicles);
		json_key(j, "held");
		json_arr(j);
		for (size_t i = 0; i < nheld; i++)
			json_int(j, held[i]);
		json_end(j);
		json_key(j, "incoming");
		json_int(j, incoming);
		json_key(j, "failed");
		json_int(j, failed);
		json_key(j, "refused");
		json_int(j, refused);
		json_end(j);
	}
	if (nheld)
		app_status(app, LS_EXIT_HELD);
	free(held);
	snapshot_info_release(&s);
}

/* What status says about a target; every pointer owned. */
struct target_view {
	struct target_status st;
	struct target_info ti;
	struct export_info last; /* newest export: vehicles, held */
	struct export_info *queue;
	size_t nqueue;
};

static void
target_view_load(struct app *app, const char *name, struct target_view *v)
{
	memset(v, 0, sizeof(*v));
	v->ti.baseline = -1;
	if (!app->store)
		return;
	store_target_status(app->store, name, &v->st);
	store_target_get(app->store, name, &v->ti);
	store_export_last(app->store, name, &v->last);
	store_export_pending(app->store, name, &v->queue, &v->nqueue);
}

static void
target_view_release(struct target_view *v)
{
	target_status_release(&v->st);
	target_info_release(&v->ti);
	export_info_release(&v->last);
	export_list_free(v->queue, v->nqueue);
}

static void
status_target_text(const struct target_conf *t, const struct target_view *v)
{
	printf("target %-10s pending %-4lld last delivery %s\n", t->name, v->st.pending,
	       v->st.last_delivery ? v->st.last_delivery : "never");
	if (v->ti.locked)
		printf("  LOCKED since %s: %s; 'lotsync unlock %s' sends\n", v->ti.locked_at,
		       v->ti.lock_reason, t->name);
	for (size_t i = 0; i < v->nqueue; i++)
		printf("  queued %s (%lld vehicles, %lld rows, %s, %lld cell warnings)\n",
		       v->queue[i].file, v->queue[i].vehicles, v->queue[i].rows, v->queue[i].kind,
		       v->queue[i].warnings);
	if (v->st.error_at)
		printf("  last error %s %s: %s\n", v->st.error_at,
		       v->st.error_file ? v->st.error_file : "", v->st.error_reply);
	if (v->last.held > 0)
		printf("  %lld new vehicle(s) await 'lotsync release %s'\n", v->last.held, t->name);
}

static void
status_target_json(const struct target_conf *t, const struct target_view *v, struct json *j)
{
	json_obj(j);
	json_key(j, "name");
	json_str(j, t->name);
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
	json_end(j);
}

static void
status_target(struct app *app, const struct target_conf *t, struct json *j)
{
	struct target_view v;

	target_view_load(app, t->name, &v);
	/* A locked target awaits an operator, like a held snapshot: exit 3. */
	if (v.ti.locked)
		app_status(app, LS_EXIT_HELD);
	if (app->json)
		status_target_json(t, &v, j);
	else
		status_target_text(t, &v);
	target_view_release(&v);
}

int
cmd_status(struct app *app, int argc, char **argv)
{
	struct json j;
	char head[65] = "0000000000000000000000000000000000000000000000000000000000000000";
	long long open_srs = app->store ? store_sr_count_open(app->store) : 0;

	(void)argv;
	if (argc != 1)
		return LS_EXIT_USAGE;
	if (app->store && store_chain_head(app->store, head) == -1)
		return LS_EXIT_SOFTWARE;
	json_init(&j);
	json_obj(&j);
	json_key(&j, "feeds");
	json_arr(&j);
	for (size_t i = 0; i < app->cfg.nfeeds; i++)
		status_feed(app, &app->cfg.feeds[i], &j);
	json_end(&j);
	json_key(&j, "targets");
	json_arr(&j);
	for (size_t i = 0; i < app->cfg.ntargets; i++)
		status_target(app, &app->cfg.targets[i], &j);
	json_end(&j);
	json_key(&j, "open_srs");
	json_int(&j, open_srs < 0 ? 0 : open_srs);
	json_key(&j, "chain_head");
	json_str(&j, head);
	json_end(&j);
	if (app->json)
		json_print(&j);
	else {
		printf("open service requests %lld\n", open_srs < 0 ? 0 : open_srs);
		printf("audit chain head %s\n", head);
	}
	json_release(&j);
	/* Exit 3 while something awaits an operator, so monitoring can alert on it. */
	return app->status;
}
