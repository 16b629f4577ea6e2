/* rules.c - SPEC §6 dealer rules: state + snapshot + config + time -> decisions (pure). */
#include "lotsync/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/clock.h"
#include "lotsync/util.h"

#define DAY 86400

static const char *const event_names[] = {
        "created",         "ignored",         "updated",   "not updated",
        "clock restarted", "close postponed", "left open", "closed",
};

const char *
rules_event_name(enum rules_event e)
{
	return event_names[e];
}

static char *
dup_opt(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static bool
same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const char *
or_none(const char *s)
{
	return s ? s : "(none)";
}

/* "4 days", "1 day", "2.5 days": whole days plainly, otherwise one decimal. */
static char *
days_text(time_t secs)
{
	if (secs % DAY == 0)
		return xasprintf("%lld day%s", (long long)(secs / DAY), secs == DAY ? "" : "s");
	return xasprintf("%.1f days", (double)secs / DAY);
}

void
rules_state_init(struct rules_state *s)
{
	memset(s, 0, sizeof(*s));
}

static void
sr_release(struct rules_sr *sr)
{
	free(sr->feed);
	free(sr->vin);
	free(sr->key);
	free(sr->dealer_id);
	free(sr->client);
	free(sr->stock_no);
	free(sr->vehicle_type);
	free(sr->sr_type);
	free(sr->close_reason);
}

void
rules_state_release(struct rules_state *s)
{
	for (size_t i = 0; i < s->nsrs; i++)
		sr_release(&s->srs[i]);
	for (size_t i = 0; i < s->nlast; i++) {
		free(s->last[i].key);
		free(s->last[i].rule);
	}
	free(s->srs);
	free(s->last);
	rules_state_init(s);
}

size_t
rules_state_add_sr(struct rules_state *s, const struct rules_sr *sr)
{
	struct rules_sr *d;

	s->srs = xgrow(s->srs, &s->alloc, s->nsrs + 1, sizeof(*s->srs));
	d = &s->srs[s->nsrs];
	*d = *sr;
	d->feed = dup_opt(sr->feed);
	d->vin = dup_opt(sr->vin);
	d->key = dup_opt(sr->key);
	d->dealer_id = dup_opt(sr->dealer_id);
	d->client = dup_opt(sr->client);
	d->stock_no = dup_opt(sr->stock_no);
	d->vehicle_type = dup_opt(sr->vehicle_type);
	d->sr_type = dup_opt(sr->sr_type);
	d->close_reason = dup_opt(sr->close_reason);
	return s->nsrs++;
}

static int
cmp_last_key(const void *a, const void *b)
{
	return strcmp(((const struct rules_last *)a)->key, ((const struct rules_last *)b)->key);
}

static int
cmp_last(const void *a, const void *b)
{
	const struct rules_last *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Sort by key and keep the newest entry of each key: one pass, O(n log n). */
static void
sort_last(struct rules_state *s)
{
	size_t out = 0;

	if (s->last_sorted)
		return;
	if (s->nlast)
		qsort(s->last, s->nlast, sizeof(*s->last), cmp_last);
	for (size_t i = 0; i < s->nlast; i++) {
		if (i + 1 < s->nlast && strcmp(s->last[i].key, s->last[i + 1].key) == 0) {
			free(s->last[i].key);
			free(s->last[i].rule);
			continue;
		}
		s->last[out++] = s->last[i];
	}
	s->nlast = out;
	s->last_sorted = true;
}

static struct rules_last *
find_last(struct rules_state *s, const char *key)
{
	struct rules_last probe = {.key = (char *)key};

	sort_last(s);
	return s->nlast ? bsearch(&probe, s->last, s->nlast, sizeof(*s->last), cmp_last_key) : NULL;
}

void
rules_state_set_last(struct rules_state *s, const char *key, const char *rule)
{
	s->last = xgrow(s->last, &s->last_alloc, s->nlast + 1, sizeof(*s->last));
	s->last[s->nlast] = (struct rules_last){xstrdup(key), xstrdup(rule), s->last_seq++};
	s->nlast++;
	s->last_sorted = false;
}

void
rules_result_init(struct rules_result *r)
{
	memset(r, 0, sizeof(*r));
}

void
rules_result_release(struct rules_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->d[i].key);
		free(r->d[i].vin);
		free(r->d[i].rule);
		free(r->d[i].detail);
	}
	for (size_t i = 0; i < r->nunmapped; i++)
		free(r->unmapped[i].dealer_id);
	free(r->d);
	free(r->unmapped);
	rules_result_init(r);
}

/* Append a decision; rule and detail are taken over. */
static void
decide(struct rules_result *r, enum rules_event ev, const char *key, const char *vin, size_t sr,
       char *rule, char *detail)
{
	r->d = xgrow(r->d, &r->alloc, r->n + 1, sizeof(*r->d));
	r->d[r->n++] = (struct rules_decision){.event = ev,
	                                       .key = dup_opt(key),
	                                       .vin = dup_opt(vin),
	                                       .sr = sr,
	                                       .rule = rule,
	                                       .detail = detail};
}

/* The decisions of one evaluation become the last decision of their keys. */
static void
remember(struct rules_state *s, const struct rules_result *r, size_t from)
{
	for (size_t i = from; i < r->n; i++)
		if (r->d[i].key)
			rules_state_set_last(s, r->d[i].key, r->d[i].rule);
}

/* ---- mappings (SPEC §6 step 1) ---- */

static bool
for_feed(const char *map_feed, const struct feed_conf *feed)
{
	return !map_feed || strcmp(map_feed, feed->name) == 0;
}

/* The dealer's [client:] mapping; one for this feed wins over one for all feeds. */
static const struct client_map *
client_for(const struct config *cfg, const struct feed_conf *feed, const char *dealer)
{
	const struct client_map *best = NULL;

	for (size_t i = 0; dealer && i < cfg->nclients; i++) {
		const struct client_map *c = &cfg->clients[i];

		if (for_feed(c->feed, feed) && strcmp(c->dealer_id, dealer) == 0 &&
		    (!best || (c->feed && !best->feed)))
			best = c;
	}
	return best;
}

/* Dealer-specific beats general; then feed-specific beats all feeds. */
static int
type_rank(const struct type_map *t)
{
	return (t->dealer_id ? 2 : 0) + (t->feed ? 1 : 0);
}

static bool
type_for_dealer(const struct type_map *t, const char *dealer)
{
	return !t->dealer_id || (dealer && strcmp(t->dealer_id, dealer) == 0);
}

static const struct type_map *
type_for(const struct config *cfg, const struct feed_conf *feed, const char *code,
         const char *dealer)
{
	const struct type_map *best = NULL;

	for (size_t i = 0; code && i < cfg->ntypes; i++) {
		const struct type_map *t = &cfg->types[i];

		if (for_feed(t->feed, feed) && strcmp(t->code, code) == 0 &&
		    type_for_dealer(t, dealer) && (!best || type_rank(t) > type_rank(best)))
			best = t;
	}
	return best;
}

static const struct type_map *
include_only_for(const struct config *cfg, const struct feed_conf *feed, const char *dealer)
{
	const struct type_map *best = NULL;

	for (size_t i = 0; i < cfg->ntypes; i++) {
		const struct type_map *t = &cfg->types[i];

		if (t->include_only && for_feed(t->feed, feed) && type_for_dealer(t, dealer) &&
		    (!best || type_rank(t) > type_rank(best)))
			best = t;
	}
	return best;
}

bool
rules_active(const struct config *cfg, const struct feed_conf *feed)
{
	for (size_t i = 0; i < cfg->nclients; i++)
		if (for_feed(cfg->clients[i].feed, feed))
			return true;
	return false;
}

bool
rules_needs_history(const struct config *cfg, const struct feed_conf *feed)
{
	for (size_t i = 0; i < cfg->nclients; i++)
		if (for_feed(cfg->clients[i].feed, feed) && cfg->clients[i].ignore_if_vin_exists)
			return true;
	return false;
}

/* What step 1 gives a vehicle; rule and why are set when it is ignored. */
struct mapping {
	const struct client_map *client;
	const struct type_map *type;
	const char *sr_type;
	char *rule, *why;
};

static void
count_unmapped(struct rules_result *r, const char *dealer)
{
	for (size_t i = 0; i < r->nunmapped; i++)
		if (same(r->unmapped[i].dealer_id, dealer)) {
			r->unmapped[i].vehicles++;
			return;
		}
	r->unmapped =
	        xgrow(r->unmapped, &r->unmapped_alloc, r->nunmapped + 1, sizeof(*r->unmapped));
	r->unmapped[r->nunmapped++] = (struct rules_unmapped){dup_opt(dealer), 1};
}

static bool
map_vehicle(const struct config *cfg, const struct feed_conf *feed, const struct rules_vehicle *v,
            struct rules_result *r, struct mapping *m)
{
	const struct type_map *only;

	memset(m, 0, sizeof(*m));
	m->client = client_for(cfg, feed, v->dealer_id);
	if (!m->client) {
		count_unmapped(r, v->dealer_id);
		m->rule = xasprintf("no-client:%s", or_none(v->dealer_id));
		m->why = v->dealer_id ? xasprintf("dealer %s has no [client:] mapping for feed %s",
		                                  v->dealer_id, feed->name)
		                      : xasprintf("no dealer_id, so no [client:] mapping applies");
		return false;
	}
	m->type = type_for(cfg, feed, v->system_code, v->dealer_id);
	if (!m->type && (only = include_only_for(cfg, feed, v->dealer_id)) != NULL) {
		m->rule = xasprintf("include-only:%s:%s", only->label, or_none(v->system_code));
		m->why = xasprintf("system code %s matches no [type:] mapping and [type:%s] is "
		                   "include-only for %s%s",
		                   or_none(v->system_code), only->label,
		                   only->dealer_id ? "dealer " : "all dealers",
		                   only->dealer_id ? only->dealer_id : "");
		return false;
	}
	m->sr_type = m->type && m->type->sr_type ? m->type->sr_type : m->client->sr_type;
	return true;
}

/* ---- one snapshot ---- */

/* Vehicles in key order, and those with a VIN in VIN order (then key). */
struct order {
	const struct rules_vehicle **by_key, **by_vin;
	size_t n, nvin;
};

static int
cmp_key(const void *a, const void *b)
{
	return strcmp((*(const struct rules_vehicle *const *)a)->key,
	              (*(const struct rules_vehicle *const *)b)->key);
}

static int
cmp_vin(const void *a, const void *b)
{
	const struct rules_vehicle *x = *(const struct rules_vehicle *const *)a;
	const struct rules_vehicle *y = *(const struct rules_vehicle *const *)b;
	int c = strcmp(x->vin, y->vin);

	return c ? c : strcmp(x->key, y->key);
}

static void
order_build(struct order *o, const struct rules_vehicle *v, size_t n)
{
	o->by_key = xcalloc(n + 1, sizeof(*o->by_key));
	o->by_vin = xcalloc(n + 1, sizeof(*o->by_vin));
	o->n = n;
	o->nvin = 0;
	for (size_t i = 0; i < n; i++) {
		o->by_key[i] = &v[i];
		if (v[i].vin)
			o->by_vin[o->nvin++] = &v[i];
	}
	qsort(o->by_key, n, sizeof(*o->by_key), cmp_key);
	qsort(o->by_vin, o->nvin, sizeof(*o->by_vin), cmp_vin);
}

/* The vehicle that decides for vin (smallest key), or NULL when absent. */
static const struct rules_vehicle *
order_vin(const struct order *o, const char *vin)
{
	size_t lo = 0, hi = o->nvin;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(o->by_vin[mid]->vin, vin) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->nvin && strcmp(o->by_vin[lo]->vin, vin) == 0 ? o->by_vin[lo] : NULL;
}

/* Indices of the SRs loaded before this evaluation, by VIN. */
struct sr_index {
	const struct rules_state *s;
	size_t *ix, n;
};

static int
cmp_sr_vin(const void *a, const void *b, void *ctx)
{
	const struct rules_state *s = ctx;
	const struct rules_sr *x = &s->srs[*(const size_t *)a], *y = &s->srs[*(const size_t *)b];
	int c = strcmp(x->vin, y->vin);

	if (c)
		return c;
	if (x->created_at != y->created_at)
		return x->created_at < y->created_at ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void
index_build(struct sr_index *x, const struct rules_state *s)
{
	x->s = s;
	x->ix = xcalloc(s->nsrs + 1, sizeof(*x->ix));
	x->n = 0;
	for (size_t i = 0; i < s->nsrs; i++)
		if (s->srs[i].vin)
			x->ix[x->n++] = i;
	qsort_r(x->ix, x->n, sizeof(*x->ix), cmp_sr_vin, (void *)s);
}

/* First position of vin in the index (x->n when absent). */
static size_t
index_first(const struct sr_index *x, const char *vin)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(x->s->srs[x->ix[mid]].vin, vin) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The feed's open SR of vin, or RULES_NO_SR. */
static size_t
open_sr(const struct sr_index *x, const char *feed, const char *vin)
{
	for (size_t i = index_first(x, vin); i < x->n && strcmp(x->s->srs[x->ix[i]].vin, vin) == 0;
	     i++) {
		const struct rules_sr *sr = &x->s->srs[x->ix[i]];

		if (sr->open && strcmp(sr->feed, feed) == 0)
			return x->ix[i];
	}
	return RULES_NO_SR;
}

/* The newest SR of vin in any feed (the index is in creation order), or RULES_NO_SR. */
static size_t
newest_sr(const struct sr_index *x, const char *vin)
{
	size_t found = RULES_NO_SR;

	for (size_t i = index_first(x, vin); i < x->n && strcmp(x->s->srs[x->ix[i]].vin, vin) == 0;
	     i++)
		found = x->ix[i];
	return found;
}

/* Everything one evaluation works with. */
struct eval {
	const struct config *cfg;
	const struct feed_conf *feed;
	struct rules_state *s;
	struct rules_result *r;
	time_t now;
	struct sr_index ix;
	struct order o;
};

/* A standing decision is recorded when it first holds, not again for every file. */
static void
standing(struct eval *e, enum rules_event ev, const struct rules_vehicle *v, size_t sr, char *rule,
         char *detail)
{
	struct rules_last *l = find_last(e->s, v->key);

	if (!v->appeared && l && strcmp(l->rule, rule) == 0) {
		free(rule);
		free(detail);
		return;
	}
	decide(e->r, ev, v->key, v->vin, sr, rule, detail);
}

static void
restart_clock(struct eval *e, size_t i, const struct rules_vehicle *v)
{
	struct rules_sr *sr = &e->s->srs[i];
	char since[CLOCK_ISO_LEN];

	clock_format(sr->absent_since, since);
	sr->absent = false;
	sr->absent_since = 0;
	sr->clock_from = e->now;
	sr->dirty = true;
	decide(e->r, RULES_CLOCK_RESTARTED, v->key, v->vin, i, xstrdup("clock-restarted"),
	       xasprintf("back after being absent since %s: no new SR; the auto-close clock "
	                 "restarts now",
	                 since));
}

/* "stock_no S1 -> S2, client A -> B (dealer D1 -> D2)" for the fields that differ. */
static char *
differences(const struct rules_sr *sr, const struct rules_vehicle *v, const char *client)
{
	char *stock = same(sr->stock_no, v->stock_no)
	                      ? xstrdup("")
	                      : xasprintf("stock_no %s -> %s", or_none(sr->stock_no),
	                                  or_none(v->stock_no));
	char *cl =
	        same(sr->client, client) && same(sr->dealer_id, v->dealer_id)
	                ? xstrdup("")
	                : xasprintf("client %s -> %s (dealer %s -> %s)", or_none(sr->client),
	                            or_none(client), or_none(sr->dealer_id), or_none(v->dealer_id));
	char *out = xasprintf("%s%s%s", stock, *stock && *cl ? ", " : "", cl);

	free(stock);
	free(cl);
	return out;
}

/* SPEC §6 step 2: the vehicle has an open SR; follow stock_no / client changes or not. */
static void
track(struct eval *e, size_t i, const struct rules_vehicle *v, const struct mapping *m)
{
	struct rules_sr *sr = &e->s->srs[i];
	int n = e->feed->track_stock_client;
	time_t age = e->now - sr->created_at;
	char *diff, *agetext;

	if (same(sr->stock_no, v->stock_no) && same(sr->client, m->client->name) &&
	    same(sr->dealer_id, v->dealer_id))
		return;
	diff = differences(sr, v, m->client->name);
	agetext = days_text(age);
	if (n != CONFIG_NEVER && age < (time_t)n * DAY) {
		free(sr->stock_no);
		free(sr->client);
		free(sr->dealer_id);
		sr->stock_no = dup_opt(v->stock_no);
		sr->client = xstrdup(m->client->name);
		sr->dealer_id = dup_opt(v->dealer_id);
		sr->dirty = true;
		decide(e->r, RULES_UPDATED, v->key, v->vin, i, xstrdup("updated"),
		       xasprintf("%s: track_stock_client = %dd and the SR was created %s ago", diff,
		                 n, agetext));
	} else {
		char *rule = xasprintf("not-updated:%s|%s|%s", or_none(v->stock_no),
		                       m->client->name, or_none(v->dealer_id));

		standing(e, RULES_NOT_UPDATED, v, i, rule,
		         n == CONFIG_NEVER
		                 ? xasprintf("%s in the file; the SR keeps its values: "
		                             "track_stock_client = never",
		                             diff)
		                 : xasprintf("%s in the file; the SR keeps its values: it was "
		                             "created %s ago, track_stock_client = %dd",
		                             diff, agetext, n));
	}
	free(agetext);
	free(diff);
}

/* SPEC §6 step 3: no open SR. ignore_if_vin_exists may defer to an earlier SR. */
static void
create(struct eval *e, const struct rules_vehicle *v, const struct mapping *m)
{
	const struct client_map *c = m->client;
	struct rules_sr sr = {0};
	char *source;
	size_t prev = c->ignore_if_vin_exists ? newest_sr(&e->ix, v->vin) : RULES_NO_SR, i;

	if (prev != RULES_NO_SR && (c->ignore_days == 0 || e->now - e->s->srs[prev].created_at <
	                                                           (time_t)c->ignore_days * DAY)) {
		const struct rules_sr *p = &e->s->srs[prev];
		char at[CLOCK_ISO_LEN], *ago = days_text(e->now - p->created_at), *limit;

		limit = c->ignore_days ? xasprintf("ignore_days = %u", c->ignore_days)
		                       : xstrdup("no ignore_days limit");
		standing(e, RULES_IGNORED, v, prev, xasprintf("vin-exists:%lld", p->id),
		         xasprintf("ignore_if_vin_exists of [client:%s]: SR %lld (feed %s, %s) was "
		                   "created %s, %s ago (%s)",
		                   c->label, p->id, p->feed, p->open ? "open" : "closed",
		                   clock_format(p->created_at, at), ago, limit));
		free(limit);
		free(ago);
		return;
	}
	if (m->type && m->type->sr_type)
		source = xasprintf("sr_type %s from [type:%s]", m->sr_type, m->type->label);
	else if (m->sr_type)
		source = xasprintf("sr_type %s from [client:%s]", m->sr_type, c->label);
	else
		source = xasprintf(
		        "no sr_type (neither a [type:] mapping nor [client:%s] gives one)",
		        c->label);
	sr.feed = e->feed->name;
	sr.vin = v->vin;
	sr.key = v->key;
	sr.dealer_id = v->dealer_id;
	sr.client = c->name;
	sr.stock_no = v->stock_no;
	sr.vehicle_type = m->type ? m->type->vehicle_type : NULL;
	sr.sr_type = (char *)m->sr_type;
	sr.open = true;
	sr.created_at = sr.clock_from = e->now;
	sr.dirty = true;
	i = rules_state_add_sr(e->s, &sr);
	decide(e->r, RULES_CREATED, v->key, v->vin, i, xstrdup("created"),
	       xasprintf("client %s ([client:%s] for dealer %s), %s, vehicle_type %s, stock_no %s",
	                 c->name, c->label, c->dealer_id, source, or_none(sr.vehicle_type),
	                 or_none(v->stock_no)));
	free(source);
}

static void
vehicle(struct eval *e, const struct rules_vehicle *v, bool active)
{
	const struct rules_vehicle *first;
	struct mapping m;
	size_t open;

	if (!v->vin) {
		if (active)
			standing(e, RULES_IGNORED, v, RULES_NO_SR, xstrdup("no-vin"),
			         xstrdup("no VIN: service requests are kept per VIN"));
		return;
	}
	first = order_vin(&e->o, v->vin);
	if (first != v) {
		if (active)
			standing(e, RULES_IGNORED, v, RULES_NO_SR,
			         xasprintf("duplicate-vin:%s", first->key),
			         xasprintf(
			                 "VIN %s is also on key %s in this snapshot, which decides",
			                 v->vin, first->key));
		return;
	}
	open = open_sr(&e->ix, e->feed->name, v->vin);
	if (open != RULES_NO_SR && e->s->srs[open].absent)
		restart_clock(e, open, v);
	if (!active)
		return;
	if (!map_vehicle(e->cfg, e->feed, v, e->r, &m)) {
		standing(e, RULES_IGNORED, v, open, m.rule, m.why);
		return;
	}
	if (open != RULES_NO_SR)
		track(e, open, v, &m);
	else
		create(e, v, &m);
}

static void
close_sr(struct eval *e, size_t i, char *reason)
{
	struct rules_sr *sr = &e->s->srs[i];

	sr->open = false;
	sr->closed_at = e->now;
	sr->close_reason = reason;
	sr->dirty = true;
	decide(e->r, RULES_CLOSED, sr->key, sr->vin, i, xstrdup("closed"), xstrdup(reason));
}

/* auto_close for an open SR whose vehicle is absent; newly: it just went missing. */
static void
close_check(struct eval *e, size_t i, bool newly)
{
	struct rules_sr *sr = &e->s->srs[i];
	int n = e->feed->auto_close;
	char since[CLOCK_ISO_LEN], from[CLOCK_ISO_LEN], due[CLOCK_ISO_LEN];

	clock_format(sr->absent_since, since);
	clock_format(sr->clock_from, from);
	if (n == CONFIG_NEVER) {
		if (newly)
			decide(e->r, RULES_LEFT_OPEN, sr->key, sr->vin, i, xstrdup("left-open"),
			       xasprintf("absent since %s; auto_close = never: the SR stays open",
			                 since));
	} else if (n == CONFIG_IMMEDIATELY) {
		close_sr(e, i, xasprintf("auto_close = immediately: absent since %s", since));
	} else if (e->now - sr->clock_from >= (time_t)n * DAY && e->s->hold_timed_closes) {
		e->r->held_closes++; /* the clock jumped: an operator decides (guard.h) */
	} else if (e->now - sr->clock_from >= (time_t)n * DAY) {
		char *ago = days_text(e->now - sr->clock_from);

		close_sr(e, i,
		         xasprintf("auto_close = %dd: absent since %s, clock started %s (%s ago)",
		                   n, since, from, ago));
		free(ago);
	} else if (newly) {
		clock_format(sr->clock_from + (time_t)n * DAY, due);
		decide(e->r, RULES_CLOSE_POSTPONED, sr->key, sr->vin, i, xstrdup("close-postponed"),
		       xasprintf(
		               "absent since %s; auto_close = %dd: closes no earlier than %s (the "
		               "clock started %s)",
		               since, n, due, from));
	}
}

void
rules_apply_snapshot(const struct config *cfg, const struct feed_conf *feed,
                     struct rules_state *state, const struct rules_vehicle *v, size_t n, time_t now,
                     struct rules_result *out)
{
	struct eval e = {.cfg = cfg, .feed = feed, .s = state, .r = out, .now = now};
	bool active = rules_active(cfg, feed);
	size_t before = state->nsrs, from = out->n;

	sort_last(state); /* what the store loaded, for lookups */
	order_build(&e.o, v, n);
	index_build(&e.ix, state);
	for (size_t i = 0; i < n; i++)
		vehicle(&e, e.o.by_key[i], active);
	/* SRs of this feed whose VIN the snapshot does not have (state order). */
	for (size_t i = 0; i < before; i++) {
		struct rules_sr *sr = &state->srs[i];
		bool newly;

		if (!sr->open || strcmp(sr->feed, feed->name) != 0 || order_vin(&e.o, sr->vin))
			continue;
		newly = !sr->absent;
		if (newly) {
			sr->absent = true;
			sr->absent_since = now;
			sr->dirty = true;
		}
		close_check(&e, i, newly);
	}
	remember(state, out, from);
	free(e.ix.ix);
	free(e.o.by_key);
	free(e.o.by_vin);
}

void
rules_auto_close(const struct feed_conf *feed, struct rules_state *state, time_t now,
                 struct rules_result *out)
{
	struct eval e = {.feed = feed, .s = state, .r = out, .now = now};
	size_t from = out->n;

	for (size_t i = 0; i < state->nsrs; i++)
		if (state->srs[i].open && state->srs[i].absent &&
		    strcmp(state->srs[i].feed, feed->name) == 0)
			close_check(&e, i, false);
	remember(state, out, from);
}
