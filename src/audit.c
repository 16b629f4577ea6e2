/* audit.c - read-only commands for operators and auditors (SPEC §5). */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/cli.h"
#include "lotsync/diff.h"
#include "lotsync/format.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/profile.h"
#include "lotsync/store_rules.h"
#include "lotsync/transfer.h"
#include "lotsync/util.h"

static void
print_json(struct json *j)
{
	char *s = json_detach(j);

	puts(s);
	free(s);
}

static int
parse_id(const char *s, long long *id)
{
	unsigned long long v;

	if (parse_uint(s, (unsigned long long)1 << 62, &v) == -1 || v == 0) {
		fprintf(stderr, "lotsync: '%s' is not a snapshot id\n", s);
		return -1;
	}
	*id = (long long)v;
	return 0;
}

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

static void
snapshot_json(struct json *j, const struct snapshot_info *s)
{
	json_obj(j);
	json_key(j, "id");
	json_int(j, s->id);
	json_key(j, "feed");
	json_str(j, s->feed);
	json_key(j, "state");
	json_str(j, snapshot_state_name(s->state));
	json_key(j, "sha256");
	json_str(j, s->sha256);
	json_key(j, "file");
	json_str(j, s->file);
	json_key(j, "received_at");
	json_str(j, s->received_at);
	json_key(j, "vehicles");
	json_int(j, s->vehicles);
	json_key(j, "new");
	json_int(j, s->new_);
	json_key(j, "changed");
	json_int(j, s->changed);
	json_key(j, "vanished");
	json_int(j, s->vanished);
	json_key(j, "rejected_rows");
	json_int(j, s->rejected_rows);
	json_key(j, "size");
	json_int(j, s->size);
	json_key(j, "source");
	json_str(j, s->source);
	json_key(j, "profile");
	json_str(j, s->profile);
	json_key(j, "hold_reason");
	json_str(j, s->hold_reason);
	json_key(j, "decided");
	json_str(j, s->decided);
	json_end(j);
}

int
cmd_snapshots(struct app *app, int argc, char **argv)
{
	struct snapshot_info *list = NULL;
	size_t n = 0;
	const char *feed = argc > 1 ? argv[1] : NULL;

	if (argc > 2 || (feed && feed[0] == '-'))
		return LS_EXIT_USAGE;
	if (feed && !config_feed(&app->cfg, feed)) {
		log_error("no feed named '%s' in %s", feed, app->cfg.path);
		return LS_EXIT_USAGE;
	}
	if (app->store && store_snapshot_list(app->store, feed, &list, &n) == -1)
		return LS_EXIT_SOFTWARE;
	if (app->json) {
		struct json j;

		json_init(&j);
		json_arr(&j);
		for (size_t i = 0; i < n; i++)
			snapshot_json(&j, &list[i]);
		json_end(&j);
		print_json(&j);
	} else {
		printf("%-5s %-12s %-9s %-20s %8s %6s %7s %8s %8s  %s\n", "ID", "FEED", "STATE",
		       "RECEIVED", "VEHICLES", "NEW", "CHANGED", "VANISHED", "REJECTED", "FILE");
		for (size_t i = 0; i < n; i++)
			printf("%-5lld %-12s %-9s %-20s %8lld %6lld %7lld %8lld %8lld  %s\n",
			       list[i].id, list[i].feed, snapshot_state_name(list[i].state),
			       list[i].received_at, list[i].vehicles, list[i].new_, list[i].changed,
			       list[i].vanished, list[i].rejected_rows, list[i].file);
	}
	snapshot_list_free(list, n);
	return LS_EXIT_OK;
}

/* Load a snapshot; unless any_state, it must have stored content (applied). */
static int
load_snapshot(struct app *app, const char *arg, struct snapshot_info *s, bool any_state)
{
	long long id;

	memset(s, 0, sizeof(*s));
	if (parse_id(arg, &id) == -1)
		return LS_EXIT_USAGE;
	if (!app->store || store_snapshot_get(app->store, id, s) == -1) {
		if (!app->store)
			log_error("no snapshot with id %lld (no database yet)", id);
		return LS_EXIT_USAGE;
	}
	if (!any_state && s->state != SNAP_APPLIED) {
		log_error("snapshot %lld is %s%s%s: it has no vehicles of its own", id,
		          snapshot_state_name(s->state), s->hold_reason ? ": " : "",
		          s->hold_reason ? s->hold_reason : "");
		snapshot_info_release(s);
		return LS_EXIT_USAGE;
	}
	return LS_EXIT_OK;
}

struct show_ctx {
	struct json *j;
};

static int
show_vehicle(void *ctx, const struct record *r)
{
	struct show_ctx *c = ctx;

	if (!c->j) {
		printf("%s", r->key);
		for (size_t i = 0; i < r->nfields; i++)
			printf("%s%s=%s", i ? " " : "\t", r->fields[i].name, r->fields[i].value);
		putchar('\n');
		return 0;
	}
	json_obj(c->j);
	json_key(c->j, "key");
	json_str(c->j, r->key);
	json_key(c->j, "fields");
	json_obj(c->j);
	for (size_t i = 0; i < r->nfields; i++) {
		json_key(c->j, r->fields[i].name);
		json_str(c->j, r->fields[i].value);
	}
	json_end(c->j);
	json_end(c->j);
	return 0;
}

static int
show_reject(void *ctx, const struct row_error *e)
{
	struct show_ctx *c = ctx;

	if (!c->j) {
		printf("line %lu%s%s: %s\n", e->line, e->field ? ": field " : "",
		       e->field ? e->field : "", e->reason);
		return 0;
	}
	json_obj(c->j);
	json_key(c->j, "line");
	json_int(c->j, (long long)e->line);
	json_key(c->j, "field");
	json_str(c->j, e->field);
	json_key(c->j, "reason");
	json_str(c->j, e->reason);
	json_end(c->j);
	return 0;
}

static int
show_warning(void *ctx, const struct row_warning *w)
{
	struct show_ctx *c = ctx;

	if (!c->j) {
		printf("warning: line %lu: %s\n", w->line, w->message);
		return 0;
	}
	json_obj(c->j);
	json_key(c->j, "code");
	json_str(c->j, w->code);
	json_key(c->j, "line");
	json_int(c->j, (long long)w->line);
	json_key(c->j, "field");
	json_str(c->j, w->field);
	json_key(c->j, "message");
	json_str(c->j, w->message);
	json_end(c->j);
	return 0;
}

int
cmd_show(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {{"rejected", no_argument, NULL, 'r'},
	                                         {NULL, 0, NULL, 0}};
	struct snapshot_info s;
	struct json j;
	struct show_ctx c = {.j = app->json ? &j : NULL};
	bool rejected = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt != 'r')
			return LS_EXIT_USAGE;
		rejected = true;
	}
	if (argc - optind != 1)
		return LS_EXIT_USAGE;
	if ((rc = load_snapshot(app, argv[optind], &s, rejected)) != LS_EXIT_OK)
		return rc;
	json_init(&j);
	if (app->json) {
		json_obj(&j);
		json_key(&j, "snapshot");
		snapshot_json(&j, &s);
		json_key(&j, "warnings");
		json_arr(&j);
	} else {
		printf("snapshot %lld of feed %s: %s, %lld vehicles, %lld rows rejected\n", s.id,
		       s.feed, s.file, s.vehicles, s.rejected_rows);
	}
	if (store_each_warning(app->store, s.id, show_warning, &c) != 0) {
		json_release(&j);
		snapshot_info_release(&s);
		return LS_EXIT_SOFTWARE;
	}
	if (app->json) {
		json_end(&j);
		json_key(&j, rejected ? "rejected" : "vehicles");
		json_arr(&j);
	}
	rc = rejected ? store_each_reject(app->store, s.id, show_reject, &c)
	              : store_each_record(app->store, s.feed, s.seq, show_vehicle, &c);
	if (app->json) {
		json_end(&j);
		json_end(&j);
		print_json(&j);
	}
	json_release(&j);
	snapshot_info_release(&s);
	return rc == 0 ? LS_EXIT_OK : LS_EXIT_SOFTWARE;
}

struct record_set {
	struct record *r;
	size_t n, alloc;
};

static int
collect(void *ctx, const struct record *r)
{
	struct record_set *set = ctx;
	struct record *d;

	set->r = xgrow(set->r, &set->alloc, set->n + 1, sizeof(*set->r));
	d = &set->r[set->n++];
	record_init(d);
	d->key = xstrdup(r->key);
	for (size_t i = 0; i < r->nfields; i++)
		record_set(d, r->fields[i].name, r->fields[i].value, strlen(r->fields[i].value));
	record_finish(d);
	return 0;
}

static void
set_release(struct record_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		record_release(&set->r[i]);
	free(set->r);
}

static void
diff_print(const struct diff_result *d, bool json)
{
	struct json j;

	if (!json) {
		for (size_t i = 0; i < d->nadded; i++)
			printf("+ %s\n", d->added[i]);
		for (size_t i = 0; i < d->nchanged; i++)
			for (size_t k = 0; k < d->changed[i].nfields; k++)
				printf("~ %s: %s: %s -> %s\n", d->changed[i].key,
				       d->changed[i].fields[k].name,
				       d->changed[i].fields[k].old ? d->changed[i].fields[k].old
				                                   : "(absent)",
				       d->changed[i].fields[k].new_ ? d->changed[i].fields[k].new_
				                                    : "(absent)");
		for (size_t i = 0; i < d->nvanished; i++)
			printf("- %s\n", d->vanished[i]);
		printf("%zu new, %zu changed, %zu vanished\n", d->nadded, d->nchanged,
		       d->nvanished);
		return;
	}
	json_init(&j);
	json_obj(&j);
	json_key(&j, "new");
	json_arr(&j);
	for (size_t i = 0; i < d->nadded; i++)
		json_str(&j, d->added[i]);
	json_end(&j);
	json_key(&j, "vanished");
	json_arr(&j);
	for (size_t i = 0; i < d->nvanished; i++)
		json_str(&j, d->vanished[i]);
	json_end(&j);
	json_key(&j, "changed");
	json_arr(&j);
	for (size_t i = 0; i < d->nchanged; i++) {
		json_obj(&j);
		json_key(&j, "key");
		json_str(&j, d->changed[i].key);
		json_key(&j, "fields");
		json_obj(&j);
		for (size_t k = 0; k < d->changed[i].nfields; k++) {
			json_key(&j, d->changed[i].fields[k].name);
			json_arr(&j);
			json_str(&j, d->changed[i].fields[k].old);
			json_str(&j, d->changed[i].fields[k].new_);
			json_end(&j);
		}
		json_end(&j);
		json_end(&j);
	}
	json_end(&j);
	json_end(&j);
	print_json(&j);
}

int
cmd_diff(struct app *app, int argc, char **argv)
{
	struct snapshot_info a, b;
	struct record_set sa = {0}, sb = {0};
	struct diff_result d;
	int rc;

	if (argc != 3)
		return LS_EXIT_USAGE;
	if ((rc = load_snapshot(app, argv[1], &a, false)) != LS_EXIT_OK)
		return rc;
	if ((rc = load_snapshot(app, argv[2], &b, false)) != LS_EXIT_OK) {
		snapshot_info_release(&a);
		return rc;
	}
	if (strcmp(a.feed, b.feed) != 0) {
		log_error("snapshots %lld (%s) and %lld (%s) belong to different feeds", a.id,
		          a.feed, b.id, b.feed);
		rc = LS_EXIT_USAGE;
		goto out;
	}
	if (store_each_record(app->store, a.feed, a.seq, collect, &sa) != 0 ||
	    store_each_record(app->store, b.feed, b.seq, collect, &sb) != 0) {
		rc = LS_EXIT_SOFTWARE;
		goto out;
	}
	diff_compute(sa.r, sa.n, sb.r, sb.n, &d);
	diff_print(&d, app->json);
	diff_result_release(&d);
out:
	set_release(&sa);
	set_release(&sb);
	snapshot_info_release(&a);
	snapshot_info_release(&b);
	return rc;
}

int
cmd_history(struct app *app, int argc, char **argv)
{
	struct history_event *h = NULL;
	size_t n = 0;
	struct json j;
	char *vin;

	if (argc != 2)
		return LS_EXIT_USAGE;
	vin = str_trim(xstrdup(argv[1]));
	for (char *p = vin; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	if (app->store && store_history(app->store, vin, &h, &n) == -1) {
		free(vin);
		return LS_EXIT_SOFTWARE;
	}
	json_init(&j);
	json_arr(&j);
	for (size_t i = 0; i < n; i++) {
		if (!app->json) {
			printf("%s  snapshot %-5lld %-15s %s\n", h[i].at, h[i].snapshot, h[i].event,
			       h[i].detail);
			continue;
		}
		json_obj(&j);
		json_key(&j, "at");
		json_str(&j, h[i].at);
		json_key(&j, "snapshot");
		json_int(&j, h[i].snapshot);
		json_key(&j, "event");
		json_str(&j, h[i].event);
		json_key(&j, "detail");
		json_str(&j, h[i].detail);
		json_end(&j);
	}
	json_end(&j);
	if (app->json)
		print_json(&j);
	else if (n == 0)
		printf("no history for VIN %s\n", vin);
	json_release(&j);
	history_free(h, n);
	free(vin);
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
		print_json(&j);
	else {
		printf("open service requests %lld\n", open_srs < 0 ? 0 : open_srs);
		printf("audit chain head %s\n", head);
	}
	json_release(&j);
	/* Exit 3 while something awaits an operator, so monitoring can alert on it. */
	return app->status;
}

int
cmd_verify(struct app *app, int argc, char **argv)
{
	struct verify_report r;
	char head[65];
	char *archive;
	int rc;

	(void)argv;
	if (argc != 1)
		return LS_EXIT_USAGE;
	if (!app->store) {
		log_error("no database at %s: nothing to verify", app->cfg.database);
		return LS_EXIT_DATAERR;
	}
	archive = spool_path(&app->spool, SPOOL_ARCHIVE, NULL);
	rc = store_verify(app->store, archive, &r);
	free(archive);
	if (rc == -1 || store_chain_head(app->store, head) == -1)
		return LS_EXIT_SOFTWARE;
	if (app->json) {
		struct json j;

		json_init(&j);
		json_obj(&j);
		json_key(&j, "ok");
		json_bool(&j, r.problems == 0);
		json_key(&j, "chain_entries");
		json_int(&j, r.entries);
		json_key(&j, "snapshots");
		json_int(&j, r.snapshots);
		json_key(&j, "archived_files");
		json_int(&j, r.files);
		json_key(&j, "problems");
		json_int(&j, r.problems);
		json_key(&j, "chain_head");
		json_str(&j, head);
		json_end(&j);
		print_json(&j);
	} else {
		printf("%s: %lld chain entries, %lld snapshots, %lld archived files, %lld "
		       "problem(s); chain head %s\n",
		       r.problems ? "FAILED" : "ok", r.entries, r.snapshots, r.files, r.problems,
		       head);
	}
	return r.problems ? LS_EXIT_DATAERR : LS_EXIT_OK;
}
