/*
 * cmd_history.c - lotsync history KEY [--feed F]: one vehicle's life, for
 * auditors. KEY is a VIN, a stock number, dealer/stock or the feed's key.
 * Per version it prints what changed (amounts as amounts), not the whole
 * record; the dealer rules' decisions about the VIN are merged in by time.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/cmd.h"
#include "lotsync/diff.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/present.h"
#include "lotsync/store_ops.h"
#include "lotsync/util.h"
#include "lotsync/wo.h"

/* One line of the history; version events carry their field changes. */
struct entry {
	char *at;
	long long snapshot;
	char *event;  /* appeared | changed | vanished, or a rule decision */
	char *detail; /* for people */
	char *feed, *key, *file;
	struct diff_change changes; /* changed: old -> new; appeared: every field (old NULL) */
	char *cur_a, *cur_b;        /* currency of the old and new version, or NULL */
	bool rule;
	size_t order;
};

struct history {
	struct entry *v;
	size_t n, alloc;
	char **vins; /* distinct VINs seen, for the rule events */
	size_t nvins, vins_alloc;
	const char *feed;   /* --feed, or NULL */
	bool prev_vanished; /* the version before this one ended without a successor */
	bool show_personal; /* --show-personal: persons' values as stored */
};

/* A person's personal data is masked unless --show-personal (wo.h). */
static const char *
shown(bool show_personal, const char *key, const char *name, const char *v, char *masked)
{
	return v && !show_personal && wo_key_is_person(key) ? wo_mask(name, v, masked) : v;
}

static struct entry *
add(struct history *h, const char *at, long long snapshot, const char *event)
{
	struct entry *e;

	h->v = xgrow(h->v, &h->alloc, h->n + 1, sizeof(*h->v));
	e = &h->v[h->n];
	memset(e, 0, sizeof(*e));
	e->at = xstrdup(at ? at : "");
	e->snapshot = snapshot;
	e->event = xstrdup(event);
	e->order = h->n++;
	return e;
}

static void
add_vin(struct history *h, const char *vin)
{
	if (!vin)
		return;
	for (size_t i = 0; i < h->nvins; i++)
		if (strcmp(h->vins[i], vin) == 0)
			return;
	h->vins = xgrow(h->vins, &h->vins_alloc, h->nvins + 1, sizeof(*h->vins));
	h->vins[h->nvins++] = xstrdup(vin);
}

/* "price: 31,998.00 -> 30,998.00, mileage: 100 -> 250" */
static char *
describe(const struct diff_change *c, const struct record *old, const struct record *cur,
         bool show_personal)
{
	const char *ca = old ? record_get(old, "currency") : NULL;
	const char *cb = record_get(cur, "currency");
	char *out = xstrdup(""), *next;

	for (size_t i = 0; i < c->nfields; i++) {
		char va[PRESENT_MAX], vb[PRESENT_MAX], m1[WO_MASK_MAX], m2[WO_MASK_MAX];
		const char *n = c->fields[i].name;

		next = xasprintf(
		        "%s%s%s: %s -> %s", out, i ? ", " : "", n,
		        present_value(n, shown(show_personal, cur->key, n, c->fields[i].old, m1),
		                      ca, va),
		        present_value(n, shown(show_personal, cur->key, n, c->fields[i].new_, m2),
		                      cb, vb));
		free(out);
		out = next;
	}
	return out;
}

static int
on_version(void *ctx, const struct version_view *v)
{
	struct history *h = ctx;
	char name[PRESENT_MAX];
	struct entry *e;

	add_vin(h, v->vin);
	present_vehicle(v->r, name);
	/* A vehicle that comes back after vanishing appears again. */
	if (!v->prev || h->prev_vanished) {
		const char *price = record_get(v->r, "price");
		char amount[PRESENT_MAX] = "";
		struct record none;

		if (price)
			present_money(price, record_get(v->r, "currency"), amount);
		e = add(h, v->at, v->snapshot, "appeared");
		e->detail = xasprintf("%s%s%s (file %s)%s", name, price ? ", price " : "", amount,
		                      v->file, v->prev ? ", back after vanishing" : "");
		record_init(&none);
		diff_fields(v->prev ? v->prev : &none, v->r, &e->changes);
	} else {
		const char *ca = record_get(v->prev, "currency"),
		           *cb = record_get(v->r, "currency");

		e = add(h, v->at, v->snapshot, "changed");
		diff_fields(v->prev, v->r, &e->changes);
		e->cur_a = ca ? xstrdup(ca) : NULL;
		e->cur_b = cb ? xstrdup(cb) : NULL;
		e->detail = describe(&e->changes, v->prev, v->r, h->show_personal);
	}
	e->feed = xstrdup(v->feed);
	e->key = xstrdup(v->key);
	e->file = xstrdup(v->file);
	h->prev_vanished = v->end_snapshot && !v->succeeded;
	if (h->prev_vanished) {
		e = add(h, v->end_at, v->end_snapshot, "vanished");
		e->detail = xasprintf("%s%sabsent from file %s", name, name[0] ? ": " : "",
		                      v->end_file ? v->end_file : "?");
		e->feed = xstrdup(v->feed);
		e->key = xstrdup(v->key);
		e->file = xstrdup(v->end_file ? v->end_file : "");
	}
	return 0;
}

/* The rule decisions about the VINs seen (store_history() without its versions). */
static int
add_rule_events(struct app *app, struct history *h)
{
	for (size_t i = 0; i < h->nvins; i++) {
		struct history_event *ev = NULL;
		size_t n = 0;

		if (store_history(app->store, h->vins[i], &ev, &n) == -1)
			return -1;
		for (size_t k = 0; k < n; k++) {
			struct entry *e;

			if (!strcmp(ev[k].event, "appeared") || !strcmp(ev[k].event, "changed") ||
			    !strcmp(ev[k].event, "vanished"))
				continue;
			if (h->feed) { /* "feed NAME, key ...": keep those of --feed */
				size_t len = strlen(h->feed);

				if (!str_startswith(ev[k].detail, "feed ") ||
				    strncmp(ev[k].detail + 5, h->feed, len) != 0 ||
				    ev[k].detail[5 + len] != ',')
					continue;
			}
			e = add(h, ev[k].at, ev[k].snapshot, ev[k].event);
			e->detail = xstrdup(ev[k].detail);
			e->rule = true;
		}
		history_free(ev, n);
	}
	return 0;
}

/* By time, then snapshot; a version before the decisions it caused. */
static int
by_time(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->at, y->at);

	if (c)
		return c;
	if (x->snapshot != y->snapshot)
		return x->snapshot < y->snapshot ? -1 : 1;
	if (x->rule != y->rule)
		return x->rule - y->rule;
	return (x->order > y->order) - (x->order < y->order);
}

static void
print_json(const struct history *h)
{
	struct json j;
	char *s;

	json_init(&j);
	json_arr(&j);
	for (size_t i = 0; i < h->n; i++) {
		const struct entry *e = &h->v[i];

		json_obj(&j);
		json_key(&j, "at");
		json_str(&j, e->at);
		json_key(&j, "snapshot");
		json_int(&j, e->snapshot);
		json_key(&j, "event");
		json_str(&j, e->event);
		json_key(&j, "detail");
		json_str(&j, e->detail);
		if (!e->rule) {
			json_key(&j, "feed");
			json_str(&j, e->feed);
			json_key(&j, "key");
			json_str(&j, e->key);
			json_key(&j, "file");
			json_str(&j, e->file);
			json_key(&j, "changes");
			json_obj(&j);
			for (size_t k = 0; k < e->changes.nfields; k++) {
				json_key(&j, e->changes.fields[k].name);
				json_arr(&j);
				const struct field_change *f = &e->changes.fields[k];
				char m1[WO_MASK_MAX], m2[WO_MASK_MAX];

				json_str(&j, shown(h->show_personal, e->key, f->name, f->old, m1));
				json_str(&j, shown(h->show_personal, e->key, f->name, f->new_, m2));
				json_end(&j);
			}
			json_end(&j);
		}
		json_end(&j);
	}
	json_end(&j);
	s = json_detach(&j);
	puts(s);
	free(s);
}

static void
print_text(const struct history *h)
{
	const char *feed = NULL, *key = NULL;

	for (size_t i = 0; i < h->n; i++) {
		const struct entry *e = &h->v[i];

		/* Name the vehicle when the history moves to another one. */
		if (!e->rule && (!feed || strcmp(feed, e->feed) || strcmp(key, e->key))) {
			printf("%sfeed %s, key %s\n", feed ? "\n" : "", e->feed, e->key);
			feed = e->feed;
			key = e->key;
		}
		if (strcmp(e->event, "changed") != 0 || e->changes.nfields == 0) {
			printf("  %s  snapshot %-5lld %-12s %s\n", e->at, e->snapshot, e->event,
			       e->detail);
			continue;
		}
		/* One changed field per line, amounts as amounts. */
		for (size_t k = 0; k < e->changes.nfields; k++) {
			const struct field_change *f = &e->changes.fields[k];
			char va[PRESENT_MAX], vb[PRESENT_MAX], m1[WO_MASK_MAX], m2[WO_MASK_MAX];

			if (k == 0)
				printf("  %s  snapshot %-5lld %-12s ", e->at, e->snapshot,
				       e->event);
			else
				printf("  %*s", 20 + 2 + 9 + 5 + 1 + 12 + 1, "");
			printf("%s: %s -> %s\n", f->name,
			       present_value(f->name,
			                     shown(h->show_personal, e->key, f->name, f->old, m1),
			                     e->cur_a, va),
			       present_value(f->name,
			                     shown(h->show_personal, e->key, f->name, f->new_, m2),
			                     e->cur_b, vb));
		}
	}
}

static void
history_release(struct history *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].at);
		free(h->v[i].event);
		free(h->v[i].detail);
		free(h->v[i].feed);
		free(h->v[i].key);
		free(h->v[i].file);
		diff_change_release(&h->v[i].changes);
		free(h->v[i].cur_a);
		free(h->v[i].cur_b);
	}
	free(h->v);
	for (size_t i = 0; i < h->nvins; i++)
		free(h->vins[i]);
	free(h->vins);
}

int
cmd_history(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {{"feed", required_argument, NULL, 'f'},
	                                         {"show-personal", no_argument, NULL, 'p'},
	                                         {NULL, 0, NULL, 0}};
	struct history h = {0};
	char *match;
	int opt, rc = LS_EXIT_OK;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == 'p') {
			h.show_personal = true;
			continue;
		}
		if (opt != 'f')
			return LS_EXIT_USAGE;
		h.feed = optarg;
	}
	if (argc - optind != 1)
		return LS_EXIT_USAGE;
	if (h.feed && !config_feed(&app->cfg, h.feed)) {
		log_error("no feed '%s' in %s", h.feed, app->cfg.path);
		return LS_EXIT_USAGE;
	}
	match = str_trim(xstrdup(argv[optind]));
	if (app->store && (store_each_version(app->store, match, h.feed, on_version, &h) != 0 ||
	                   add_rule_events(app, &h) == -1))
		rc = LS_EXIT_SOFTWARE;
	if (rc == LS_EXIT_OK) {
		qsort(h.v, h.n, sizeof(*h.v), by_time);
		if (app->json)
			print_json(&h);
		else if (h.n == 0)
			printf("no vehicle matches '%s' (a VIN, stock number or "
			       "dealer/stock; for work orders a WO number or registration)%s%s\n",
			       match, h.feed ? " in feed " : "", h.feed ? h.feed : "");
		else
			print_text(&h);
	}
	history_release(&h);
	free(match);
	return rc;
}
