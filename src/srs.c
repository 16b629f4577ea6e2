/* srs.c - dealer rules against the store: load state, decide (rules.c), write back, report. */
#include "lotsync/srs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/clock.h"
#include "lotsync/json.h"
#include "lotsync/keymap.h"
#include "lotsync/log.h"
#include "lotsync/store_rules.h"
#include "lotsync/util.h"

/* Per batch: dealers already reported, and the --dry-run --json decisions. */
struct srs_run {
	struct keymap warned; /* "feed\ndealer" */
	struct json json;
	size_t shown;
};

struct srs_run *
srs_run_new(void)
{
	struct srs_run *r = xcalloc(1, sizeof(*r));

	keymap_init(&r->warned);
	json_init(&r->json);
	json_arr(&r->json);
	return r;
}

void
srs_run_free(struct srs_run *r)
{
	if (!r)
		return;
	keymap_release(&r->warned);
	json_release(&r->json);
	free(r);
}

void
srs_batch_init(struct srs_batch *b)
{
	memset(b, 0, sizeof(*b));
}

static char *
field(const struct record *r, const char *name)
{
	const char *v = record_get(r, name);

	return v ? xstrdup(v) : NULL;
}

int
srs_feed_wants_vehicles(struct app *app, const struct feed_conf *feed)
{
	long long open;

	if (feed->kind == FEED_KIND_WORKORDER) /* dealer rules are about vehicles */
		return 0;
	if (rules_active(&app->cfg, feed))
		return 1;
	open = store_sr_count_open_feed(app->store, feed->name);
	return open < 0 ? -1 : open > 0;
}

void
srs_batch_add(struct srs_batch *b, const struct record *r, bool appeared)
{
	b->v = xgrow(b->v, &b->alloc, b->n + 1, sizeof(*b->v));
	b->v[b->n++] = (struct rules_vehicle){.key = xstrdup(r->key),
	                                      .vin = field(r, "vin"),
	                                      .dealer_id = field(r, "dealer_id"),
	                                      .stock_no = field(r, "stock_no"),
	                                      .system_code = field(r, "system_code"),
	                                      .client = field(r, "client"),
	                                      .appeared = appeared};
}

void
srs_batch_release(struct srs_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].key);
		free(b->v[i].vin);
		free(b->v[i].dealer_id);
		free(b->v[i].stock_no);
		free(b->v[i].system_code);
		free(b->v[i].client);
	}
	free(b->v);
	srs_batch_init(b);
}

/* ---- reading a stored snapshot (accept of a held one) ---- */

static int
collect_key(void *ctx, const struct record *r)
{
	keymap_put(ctx, r->key);
	return 0;
}

struct collect_ctx {
	struct srs_batch *b;
	const struct keymap *before;
};

static int
collect_vehicle(void *ctx, const struct record *r)
{
	struct collect_ctx *c = ctx;

	srs_batch_add(c->b, r, !keymap_get(c->before, r->key));
	return 0;
}

/* The snapshot's vehicles, appeared = not in the feed's applied snapshot before it. */
static int
load_vehicles(struct app *app, const struct feed_conf *feed, long long snapshot,
              struct srs_batch *b)
{
	struct snapshot_info s;
	struct keymap before;
	struct collect_ctx c = {.b = b, .before = &before};
	int rc = -1;

	keymap_init(&before);
	if (store_snapshot_get(app->store, snapshot, &s) == -1)
		return -1;
	if (s.state != SNAP_APPLIED || s.seq <= 0 || strcmp(s.feed, feed->name) != 0) {
		log_error("snapshot %lld is not an applied snapshot of feed %s", snapshot,
		          feed->name);
		goto out;
	}
	/* store_each_record() reads seq 0 as "current": the first snapshot has no before. */
	if (s.seq > 1 &&
	    store_each_record(app->store, feed->name, s.seq - 1, collect_key, &before) != 0)
		goto out;
	if (store_each_record(app->store, feed->name, s.seq, collect_vehicle, &c) != 0)
		goto out;
	rc = 0;
out:
	keymap_release(&before);
	snapshot_info_release(&s);
	return rc;
}

/* ---- reporting ---- */

static void
show(const struct app *app, struct srs_run *run, const struct feed_conf *feed, long long snapshot,
     const struct rules_state *state, const struct rules_decision *d, const char *at)
{
	long long sr = d->sr == RULES_NO_SR ? 0 : state->srs[d->sr].id;
	char srtext[32] = "";
	struct json *j;

	if (sr)
		snprintf(srtext, sizeof(srtext), ", SR %lld", sr);
	log_debug("%s %s%s: %s", d->vin ? d->vin : d->key, rules_event_name(d->event), srtext,
	          d->detail);
	if (!app->dry_run)
		return;
	run->shown++;
	if (!app->json) {
		printf("%s  %s  snapshot %lld  VIN %s  %s%s: %s\n", at, feed->name, snapshot,
		       d->vin ? d->vin : "(none)", rules_event_name(d->event), srtext, d->detail);
		return;
	}
	j = &run->json;
	json_obj(j);
	json_key(j, "at");
	json_str(j, at);
	json_key(j, "feed");
	json_str(j, feed->name);
	json_key(j, "snapshot");
	json_int(j, snapshot);
	json_key(j, "vin");
	json_str(j, d->vin);
	json_key(j, "key");
	json_str(j, d->key);
	json_key(j, "sr");
	if (sr)
		json_int(j, sr);
	else
		json_null(j);
	json_key(j, "event");
	json_str(j, rules_event_name(d->event));
	json_key(j, "detail");
	json_str(j, d->detail);
	json_end(j);
}

/* Each dealer without a [client:] mapping is reported once per run, not per file. */
static void
warn_unmapped(struct srs_run *r, const struct feed_conf *feed, const struct rules_unmapped *u)
{
	char *k = xasprintf("%s\n%s", feed->name, u->dealer_id ? u->dealer_id : "");

	if (!keymap_get(&r->warned, k)) {
		keymap_put(&r->warned, k);
		if (u->dealer_id)
			log_warn("dealer %s has no [client:] mapping for feed %s: its %zu "
			         "vehicle(s) are ignored",
			         u->dealer_id, feed->name, u->vehicles);
		else
			log_warn("%zu vehicle(s) of feed %s have no dealer_id: they are ignored",
			         u->vehicles, feed->name);
	}
	free(k);
}

static void
report(const struct app *app, struct srs_run *run, const struct feed_conf *feed, long long snapshot,
       const struct rules_state *state, const struct rules_result *res, const char *at)
{
	size_t count[RULES_CLOSED + 1] = {0};

	for (size_t i = 0; i < res->n; i++) {
		count[res->d[i].event]++;
		show(app, run, feed, snapshot, state, &res->d[i], at);
	}
	for (size_t i = 0; i < res->nunmapped; i++)
		warn_unmapped(run, feed, &res->unmapped[i]);
	if (res->held_closes)
		log_warn("feed %s: %zu SR(s) due to auto-close held: the clock jumped (see "
		         "'lotsync status'; 'lotsync accept-clock-jump' lets the next run close "
		         "them)",
		         feed->name, res->held_closes);
	if (res->n)
		log_info("snapshot %lld: rules: %zu created, %zu updated, %zu closed, %zu ignored, "
		         "%zu not updated, %zu clock restart(s), %zu close(s) postponed, %zu left "
		         "open",
		         snapshot, count[RULES_CREATED], count[RULES_UPDATED], count[RULES_CLOSED],
		         count[RULES_IGNORED], count[RULES_NOT_UPDATED],
		         count[RULES_CLOCK_RESTARTED], count[RULES_CLOSE_POSTPONED],
		         count[RULES_LEFT_OPEN]);
}

/* ---- the two entry points ---- */

int
srs_apply_snapshot(struct app *app, struct srs_run *run, const struct feed_conf *feed,
                   long long snapshot, const struct srs_batch *present)
{
	struct srs_batch loaded;
	struct rules_state state;
	struct rules_result res;
	unsigned what = SR_LOAD_OPEN;
	char at[CLOCK_ISO_LEN];
	time_t now = clock_now();
	int rc = -1;

	srs_batch_init(&loaded);
	rules_state_init(&state);
	state.hold_timed_closes = app->hold_timed_closes;
	rules_result_init(&res);
	clock_format(now, at);
	if (rules_active(&app->cfg, feed))
		what |= SR_LOAD_LAST |
		        (rules_needs_history(&app->cfg, feed) ? SR_LOAD_VIN_HISTORY : 0);
	if (!present) {
		if (load_vehicles(app, feed, snapshot, &loaded) == -1)
			goto out;
		present = &loaded;
	}
	if (store_sr_load(app->store, feed->name, what, &state) == -1)
		goto out;
	rules_apply_snapshot(&app->cfg, feed, &state, present->v, present->n, now, &res);
	if (store_sr_save(app->store, feed->name, &state, &res, snapshot, app->run, at) == -1)
		goto out;
	report(app, run, feed, snapshot, &state, &res, at);
	rc = 0;
out:
	rules_result_release(&res);
	rules_state_release(&state);
	srs_batch_release(&loaded);
	return rc;
}

enum ls_exit
srs_auto_close(struct app *app, struct srs_run *run, const struct feed_conf *feed)
{
	struct rules_state state;
	struct rules_result res;
	long long seq, head;
	char at[CLOCK_ISO_LEN];
	time_t now = clock_now();
	enum ls_exit rc = LS_EXIT_OK;

	/* Nothing can close: spare every run a transaction per feed. */
	if (feed->auto_close == CONFIG_NEVER)
		return LS_EXIT_OK;
	rules_state_init(&state);
	state.hold_timed_closes = app->hold_timed_closes;
	rules_result_init(&res);
	clock_format(now, at);
	log_scope(feed->name);
	if (store_begin(app->store) == -1)
		goto fail;
	if (store_feed_head(app->store, feed->name, &seq, &head) == -1 ||
	    store_sr_load(app->store, feed->name, SR_LOAD_OPEN, &state) == -1)
		goto rollback;
	rules_auto_close(feed, &state, now, &res);
	if (store_sr_save(app->store, feed->name, &state, &res, head, app->run, at) == -1 ||
	    store_commit(app->store) == -1)
		goto rollback;
	report(app, run, feed, head, &state, &res, at);
	goto out;
rollback:
	store_rollback(app->store);
fail:
	rc = store_failure(app->store);
out:
	rules_result_release(&res);
	rules_state_release(&state);
	log_scope(NULL);
	return rc;
}

void
srs_dry_run_print(const struct app *app, struct srs_run *r)
{
	char *s;

	if (!app->json) {
		printf("dry run: %zu rule decision(s) shown; nothing was changed\n", r->shown);
		return;
	}
	json_end(&r->json);
	s = json_detach(&r->json);
	puts(s);
	free(s);
	json_init(&r->json);
	json_arr(&r->json);
}
