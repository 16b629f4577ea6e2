/* cmd_audit.c - the auditor's read-only commands: snapshots, show, diff, history, verify. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/cmd.h"
#include "lotsync/diff.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/store_rules.h"
#include "lotsync/util.h"

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
		json_print(&j);
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
		json_print(&j);
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
	json_print(&j);
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
	vin = str_upper(str_trim(xstrdup(argv[1])));
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
		json_print(&j);
	else if (n == 0)
		printf("no history for VIN %s\n", vin);
	json_release(&j);
	history_free(h, n);
	free(vin);
	return LS_EXIT_OK;
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
		json_print(&j);
	} else {
		printf("%s: %lld chain entries, %lld snapshots, %lld archived files, %lld "
		       "problem(s); chain head %s\n",
		       r.problems ? "FAILED" : "ok", r.entries, r.snapshots, r.files, r.problems,
		       head);
	}
	return r.problems ? LS_EXIT_DATAERR : LS_EXIT_OK;
}
