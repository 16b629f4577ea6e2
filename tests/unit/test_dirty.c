/*
 * test_dirty.c - the dirty real-world corpus: sequences of feed files as
 * DMS exports and transfers damage them, each step through the real ingest
 * path (spool, archive, reader, SQLite, guards) into one store, with the
 * exact outcome of the last step.
 *
 * The table is tests/fixtures/dirty/CASES, one case a line:
 *   NAME | PROFILE | OPTIONS | STEPS | EXPECTED [| MUST-CONTAIN]
 * OPTIONS: comma-separated key=stock, dealer_id=X, charset=Y,
 *   vanish_guard_min=N (or empty).
 * STEPS: files of tests/fixtures/dirty/ ingested in order, one run each a
 *   day apart; "accept" accepts the feed's held snapshot; "copy:FILE"
 *   drops FILE's bytes under a new name.
 * EXPECTED is compared whole with the last step's outcome:
 *   applied vehicles=V new=N changed=C vanished=X[:keys] refused=R[:keys] exit=E
 *   held: <reason> exit=3
 *   quarantined: <reason> exit=65
 *   duplicate exit=E
 * (keys comma-separated in order; "?" for a refused row whose key cannot be
 * read). MUST-CONTAIN, when given, must appear in the snapshot's warnings
 * (as "code: message" lines). DIRTY_PRINT=1 prints every outcome.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/app.h"
#include "lotsync/clock.h"
#include "lotsync/ingest.h"
#include "lotsync/srs.h"
#include "lotsync/util.h"
#include "unit.h"

struct dcase {
	char *name, *profile, *options, *steps, *expected, *contains;
	int lineno;
};

static struct dcase cases[128];
static int ncases;

static void
add_case(char *line, int lineno, void *ctx)
{
	char *p = line;
	struct dcase *c;

	(void)ctx;
	if (ncases == (int)ARRAY_SIZE(cases)) {
		fprintf(stderr, "too many cases\n");
		exit(1);
	}
	c = &cases[ncases++];
	c->name = unit_field(&p);
	c->profile = unit_field(&p);
	c->options = unit_field(&p);
	c->steps = unit_field(&p);
	c->expected = unit_field(&p);
	c->contains = *p ? unit_field(&p) : NULL;
	c->lineno = lineno;
}

/* A growing list of keys, in the order found. */
struct keys {
	char *text;
	size_t n;
};

static void
keys_add(struct keys *k, const char *key)
{
	char *t = xasprintf("%s%s%s", k->text ? k->text : "", k->text ? "," : "", key);

	free(k->text);
	k->text = t;
	k->n++;
}

/* The feed's current keys, as one sorted, NUL-separated list. */
struct keyset {
	char **k;
	size_t n, alloc;
};

static int
on_current(void *ctx, const struct record *r)
{
	struct keyset *s = ctx;

	s->k = xgrow(s->k, &s->alloc, s->n + 1, sizeof(*s->k));
	s->k[s->n++] = xstrdup(r->key);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
current(struct store *st, struct keyset *s)
{
	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(store_each_record(st, "dirty", 0, on_current, s), 0);
	if (s->n > 1)
		qsort(s->k, s->n, sizeof(*s->k), cmp_str);
}

static bool
in_set(const struct keyset *s, const char *k)
{
	return s->n && bsearch(&k, s->k, s->n, sizeof(*s->k), cmp_str) != NULL;
}

static void
keyset_free(struct keyset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->k[i]);
	free(s->k);
}

static int
on_reject(void *ctx, const struct row_error *e)
{
	keys_add(ctx, e->key ? e->key : "?");
	return 0;
}

static int
on_warning(void *ctx, const struct row_warning *w)
{
	struct keys *k = ctx;
	char *t = xasprintf("%s%s: %s\n", k->text ? k->text : "", w->code, w->message);

	free(k->text);
	k->text = t;
	return 0;
}

static char *
read_reason(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s.reason", dir, name), line[4096], *reason = NULL;
	FILE *f = fopen(path, "r");

	free(path);
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f))
		if (str_startswith(line, "reason: ")) {
			line[strcspn(line, "\n")] = '\0';
			free(reason);
			reason = xstrdup(line + 8);
		}
	fclose(f);
	return reason;
}

struct env {
	struct app app;
	struct srs_run *srs;
	enum ls_exit status;
	struct feed_conf feed;
	char *root, *src;
	int day;
};

/* One step: drop the file (or accept), ingest as one run; returns the outcome text. */
static char *
step(struct env *e, const char *what, char **warnings)
{
	struct app *app = &e->app;
	struct ingest_summary sum = {0};
	struct keyset before, after;
	struct keys van = {0}, ref = {0}, warn = {0};
	char iso[CLOCK_ISO_LEN], *out = NULL, *name, *cmd;
	const char *file = str_startswith(what, "copy:") ? what + 5 : what;
	long long snap;

	clock_set(1767225600 + 86400LL * e->day); /* 2026-01-01 + day */
	clock_format(clock_now(), iso);
	e->status = LS_EXIT_OK;
	app->run = store_run_begin(app->store, "test", iso);
	current(app->store, &before);
	if (!strcmp(what, "accept")) {
		long long *held = NULL;
		size_t n = 0;

		ck_assert_int_eq(store_feed_held(app->store, "dirty", &held, &n), 0);
		ck_assert_msg(n > 0, "accept: nothing held");
		snap = held[0];
		free(held);
		e->status = ingest_decide(app, e->srs, snap, true);
		sum.files = 1;
	} else {
		/* Each step's file has its own name, as a DMS writes a new one daily. */
		name = xasprintf("d%02d-%s", e->day, file);
		cmd = xasprintf("cp '%s/tests/fixtures/dirty/%s' '%s/incoming/dirty/%s'", e->src,
		                file, e->root, name);
		ck_assert_msg(system(cmd) == 0, "no fixture %s", file);
		free(cmd);
		e->status = ingest_feed(app, e->srs, &e->feed, &sum, NULL);
		snap = sum.last_snapshot;
		if (sum.quarantined) {
			char *dir = xasprintf("%s/failed/dirty", e->root);
			char *reason = read_reason(dir, name);

			out = xasprintf("quarantined: %s exit=%d", reason ? reason : "(no reason)",
			                e->status);
			free(reason);
			free(dir);
		}
		free(name);
	}
	current(app->store, &after);
	for (size_t i = 0; i < before.n; i++)
		if (!in_set(&after, before.k[i]))
			keys_add(&van, before.k[i]);
	if (!out && sum.duplicates) {
		out = xasprintf("duplicate exit=%d", e->status);
	} else if (!out && sum.held) {
		struct snapshot_info si;

		ck_assert_int_eq(store_snapshot_get(app->store, snap, &si), 0);
		out = xasprintf("held: %s exit=%d", si.hold_reason, e->status);
		snapshot_info_release(&si);
	} else if (!out) {
		struct snapshot_info si;

		ck_assert_int_gt(snap, 0);
		ck_assert_int_eq(store_snapshot_get(app->store, snap, &si), 0);
		ck_assert_int_eq(store_each_reject(app->store, snap, on_reject, &ref), 0);
		out = xasprintf("applied vehicles=%lld new=%lld changed=%lld vanished=%zu%s%s "
		                "refused=%zu%s%s exit=%d",
		                si.vehicles, si.new_, si.changed, van.n, van.n ? ":" : "",
		                van.text ? van.text : "", ref.n, ref.n ? ":" : "",
		                ref.text ? ref.text : "", e->status);
		/* The vanished keys are the snapshot's own count: nothing else disappears. */
		ck_assert_int_eq(si.vanished, (long long)van.n);
		snapshot_info_release(&si);
	}
	if (snap > 0)
		ck_assert_int_eq(store_each_warning(app->store, snap, on_warning, &warn), 0);
	*warnings = warn.text;
	store_run_end(app->store, app->run, e->status);
	keyset_free(&before);
	keyset_free(&after);
	free(van.text);
	free(ref.text);
	e->day++;
	return out;
}

START_TEST(dirty_case)
{
	struct dcase *c = &cases[_i];
	char dir[64], *opts = xstrdup(c->options), *steps = xstrdup(c->steps), *save = NULL;
	char *out = NULL, *warnings = NULL, *db;
	struct env e = {0};

	unit_tmpdir(dir, sizeof(dir));
	e.src = xstrdup(unit_srcdir());
	e.root = xasprintf("%s/spool", dir);
	db = xasprintf("%s/db", dir);
	e.feed = (struct feed_conf){.name = "dirty",
	                            .source = "drop",
	                            .profile = c->profile,
	                            .vanish_guard = 0.20,
	                            .vanish_guard_min = 10};
	unit_feed_options(&e.feed, opts);
	e.app.cfg.dir = xasprintf("%s/conf", e.src);
	e.app.cfg.feeds = &e.feed;
	e.app.cfg.nfeeds = 1;
	spool_init(&e.app.spool, e.root);
	ck_assert_int_eq(spool_prepare_feed(&e.app.spool, "dirty"), 0);
	ck_assert_int_eq(store_open(db, false, &e.app.store), 0);
	e.srs = srs_run_new();
	for (char *t = strtok_r(steps, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		free(out);
		free(warnings);
		out = step(&e, t, &warnings);
	}
	if (getenv("DIRTY_PRINT")) {
		printf("== %s\n%s\n%s", c->name, out ? out : "(none)", warnings ? warnings : "");
		fflush(stdout);
	}
	ck_assert_msg(out && !strcmp(out, c->expected), "CASES:%d: %s: wanted\n  %s\ngot\n  %s",
	              c->lineno, c->name, c->expected, out ? out : "(nothing)");
	if (c->contains)
		ck_assert_msg(warnings && strstr(warnings, c->contains),
		              "CASES:%d: %s: warnings lack '%s':\n%s", c->lineno, c->name,
		              c->contains, warnings ? warnings : "(none)");
	free(out);
	free(warnings);
	srs_run_free(e.srs);
	store_close(e.app.store);
	spool_release(&e.app.spool);
	free(e.app.cfg.dir);
	free(e.feed.dealer_id);
	free(e.feed.charset);
	free(e.root);
	free(e.src);
	free(db);
	free(opts);
	free(steps);
	unit_rmtree(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dirty");
	TCase *tc = unit_tcase(s, "dirty corpus", NULL, NULL);
	int rc;

	unit_each_line("tests/fixtures/dirty/CASES", add_case, NULL);
	setenv("LOTSYNC_PARSE_CHUNK", "4096", 1);
	setenv("LOTSYNC_PARSE_THREADS", "2", 1);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, dirty_case, 0, ncases);
	rc = unit_run(s);
	for (int i = 0; i < ncases; i++) {
		free(cases[i].name);
		free(cases[i].profile);
		free(cases[i].options);
		free(cases[i].steps);
		free(cases[i].expected);
		free(cases[i].contains);
	}
	printf("%d dirty cases\n", ncases);
	return rc;
}
