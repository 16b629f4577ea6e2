/*
 * test_fixtures.c - malformed and hostile feed files, each through the real
 * ingest path (spool, archive, reader, SQLite) with its exact expected
 * outcome: a quarantine reason, a refused row, a warning or a stored value.
 *
 * The table is tests/fixtures/bad/CASES, one case a line:
 *   FILE | PROFILE | OPTIONS | EXPECTED
 * OPTIONS: comma-separated key=stock, dealer_id=X, charset=Y (or empty).
 * EXPECTED must appear in the case's outcome text, made of the lines
 *   quarantined: <reason>             (the .reason file's reason)
 *   held: <reason>                    (no vehicles: held by the vanish guard)
 *   warning: line N: <message>        (as `lotsync show` prints them)
 *   line N: field F: <reason>         (as `lotsync show --rejected` prints them)
 *   KEY<TAB>field=value ...           (stored vehicles, as `lotsync show`)
 * FILE "gen:NAME" is generated here (too big to commit). FIXTURES_PRINT=1
 * prints every outcome. Run under ASan+UBSan too: no crash, no leak.
 * Fault matrix: matrix row 11 (corrupt files: NUL, invalid UTF-8, UTF-16,
 * corrupt archives), matrix row 16 (the hand-written malformed inputs) and
 * matrix row 17 (DOCTYPE, XXE, billion laughs).
 */
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/app.h"
#include "lotsync/clock.h"
#include "lotsync/ingest.h"
#include "lotsync/util.h"

#include "unit.h"

struct fcase {
	char *file, *profile, *options, *expected;
	int lineno;
};

static struct fcase cases[256];
static int ncases;
UNIT_DIR_FIXTURE(dir)

static void
add_case(char *line, int lineno, void *ctx)
{
	char *p = line;

	(void)ctx;
	if (ncases == (int)ARRAY_SIZE(cases)) {
		fprintf(stderr, "too many cases\n");
		exit(1);
	}
	cases[ncases].file = unit_field(&p);
	cases[ncases].profile = unit_field(&p);
	cases[ncases].options = unit_field(&p);
	cases[ncases].expected = xstrdup(p);
	cases[ncases].lineno = lineno;
	ncases++;
}

static void
put(FILE *f, const char *s, size_t times)
{
	for (size_t i = 0; i < times; i++)
		fputs(s, f);
}

/* The generated fixtures: each is a cap or a limit of the reader. */
static void
generate(const char *name, const char *path)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	if (!strcmp(name, "big-field.csv")) {
		/* one 10 MB field */
		fputs("DealerID,VIN,Description\nD1,1HGCM82690A004352,\"", f);
		put(f, "0123456789", 1024 * 1024);
		fputs("\"\n", f);
	} else if (!strcmp(name, "many-columns.csv")) {
		/* 100 000 columns in the header */
		fputs("VIN", f);
		for (int i = 1; i < 100000; i++)
			fprintf(f, ",C%d", i);
		fputs("\n", f);
	} else if (!strcmp(name, "long-row.csv")) {
		/* 50 fields of 100 KB: each under the field cap, the row over its cap */
		fputs("VIN", f);
		for (int i = 1; i <= 50; i++)
			fprintf(f, ",C%d", i);
		fputs("\n1HGCM82690A004352", f);
		for (int i = 1; i <= 50; i++) {
			fputc(',', f);
			put(f, "x", 100 * 1024);
		}
		fputs("\n", f);
	} else if (!strcmp(name, "deep.xml")) {
		/* 10 000 nested elements inside a record */
		fputs("<inventory><vehicle><VIN>1HGCM82690A004352</VIN>", f);
		put(f, "<a>", 10000);
		put(f, "</a>", 10000);
		fputs("</vehicle></inventory>\n", f);
	} else if (!strcmp(name, "huge-value.xml")) {
		/* a 2 MB text node */
		fputs("<inventory><vehicle><VIN>1HGCM82690A004352</VIN><Description>", f);
		put(f, "0123456789", 200 * 1024);
		fputs("</Description></vehicle></inventory>\n", f);
	} else if (!strcmp(name, "many-records.csv")) {
		/* more rows than one parse chunk: line numbers stay right across chunks */
		fputs("DealerID,VIN,StockNo,Price\n", f);
		for (int i = 0; i < 30000; i++)
			fprintf(f, "D1,1HGCM82690A0%05d,S%d,%s\n", i, i,
			        i == 29999 ? "abc" : "100");
	} else {
		ck_abort_msg("no generator for %s", name);
	}
	fclose(f);
}

struct outcome {
	char *text;
	size_t len, cap;
	unsigned records;
};

static void
add(struct outcome *o, char *line)
{
	size_t n = strlen(line);

	o->text = xgrow(o->text, &o->cap, o->len + n + 2, 1);
	memcpy(o->text + o->len, line, n);
	o->len += n;
	o->text[o->len++] = '\n';
	o->text[o->len] = '\0';
	free(line);
}

static int
on_warning(void *ctx, const struct row_warning *w)
{
	add(ctx, xasprintf("warning: line %lu: %s", w->line, w->message));
	return 0;
}

static int
on_reject(void *ctx, const struct row_error *e)
{
	add(ctx, xasprintf("line %lu%s%s: %s", e->line, e->field ? ": field " : "",
	                   e->field ? e->field : "", e->reason));
	return 0;
}

static int
on_record(void *ctx, const struct record *r)
{
	struct outcome *o = ctx;
	char *s;

	if (o->records++ == 50)
		add(o, xstrdup("(more records)"));
	if (o->records > 50)
		return 0;
	s = xstrdup(r->key);

	for (size_t i = 0; i < r->nfields; i++) {
		char *t = xasprintf("%s%s%s=%s", s, i ? " " : "\t", r->fields[i].name,
		                    r->fields[i].value);

		free(s);
		s = t;
	}
	add(ctx, s);
	return 0;
}

static char *
read_reason(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], *reason = NULL;

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f))
		if (str_startswith(line, "reason: ")) {
			line[strcspn(line, "\n")] = '\0';
			reason = xstrdup(line + 8);
		}
	fclose(f);
	return reason;
}

/*
 * Whether one whole line of text is want: a longer or shorter message is a
 * different message. "~ REGEX" is an extended regular expression that must
 * match a whole line (anchored both ends), for outcomes with a varying part.
 */
static bool
has_line(const char *text, const char *want)
{
	bool re = str_startswith(want, "~ "), found = false;
	regex_t rx;

	if (re) {
		char *anchored = xasprintf("^(%s)$", want + 2);

		ck_assert_msg(regcomp(&rx, anchored, REG_EXTENDED | REG_NOSUB) == 0,
		              "bad pattern %s", want);
		free(anchored);
	}
	for (const char *l = text; *l && !found;) {
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);
		char *line = xstrndup(l, n);

		found = re ? regexec(&rx, line, 0, NULL, 0) == 0 : strcmp(line, want) == 0;
		free(line);
		l += n + (end ? 1 : 0);
	}
	if (re)
		regfree(&rx);
	return found;
}

START_TEST(fixture)
{
	struct fcase *c = &cases[_i];
	char *src = xstrdup(unit_srcdir()), *root = xasprintf("%s/spool", dir),
	     *db = xasprintf("%s/db", dir);
	const char *name = str_startswith(c->file, "gen:") ? c->file + 4 : c->file;
	char *in, *cmd, *opts = xstrdup(c->options), *rpath;
	struct feed_conf feed = {.name = "bad", .source = "drop", .profile = c->profile};
	struct app app = {0};
	struct srs_run *srs = srs_run_new();
	enum ls_exit status;
	struct ingest_summary sum;
	struct outcome o = {0};

	unit_feed_options(&feed, opts);
	app.cfg.dir = xasprintf("%s/conf", src);
	app.cfg.feeds = &feed;
	app.cfg.nfeeds = 1;
	spool_init(&app.spool, root);
	ck_assert_int_eq(spool_prepare_feed(&app.spool, "bad"), 0);
	ck_assert_int_eq(store_open(db, false, &app.store), 0);
	app.run = store_run_begin(app.store, "test", "2026-01-01T00:00:00Z");
	in = xasprintf("%s/incoming/bad/%s", root, name);
	if (name != c->file) {
		generate(name, in);
	} else {
		cmd = xasprintf("cp '%s/tests/fixtures/bad/%s' '%s'", src, c->file, in);
		ck_assert_msg(system(cmd) == 0, "CASES:%d: no fixture %s", c->lineno, c->file);
		free(cmd);
	}
	status = ingest_feed(&app, srs, &feed, &sum, NULL);
	rpath = xasprintf("%s/failed/bad/%s.reason", root, name);
	if (sum.quarantined) {
		char *reason = read_reason(rpath);

		ck_assert_msg(reason != NULL, "CASES:%d: quarantined without a reason", c->lineno);
		add(&o, xasprintf("quarantined: %s", reason));
		free(reason);
		ck_assert_int_eq(status, LS_EXIT_DATAERR);
	} else if (sum.held) {
		/* No vehicles at all: held by the vanish guard (SPEC §6), with its row errors. */
		struct snapshot_info si;

		ck_assert_int_eq(store_snapshot_get(app.store, sum.last_snapshot, &si), 0);
		add(&o, xasprintf("held: %s", si.hold_reason));
		snapshot_info_release(&si);
		ck_assert_int_eq(status, LS_EXIT_HELD);
		ck_assert_int_eq(store_each_warning(app.store, sum.last_snapshot, on_warning, &o),
		                 0);
		ck_assert_int_eq(store_each_reject(app.store, sum.last_snapshot, on_reject, &o), 0);
	} else {
		ck_assert_msg(sum.files == 1, "CASES:%d: %s was not ingested (status %d)",
		              c->lineno, c->file, status);
		ck_assert_int_eq(store_each_warning(app.store, sum.last_snapshot, on_warning, &o),
		                 0);
		ck_assert_int_eq(store_each_reject(app.store, sum.last_snapshot, on_reject, &o), 0);
		ck_assert_int_eq(store_each_record(app.store, "bad", 0, on_record, &o), 0);
	}
	if (getenv("FIXTURES_PRINT"))
		printf("== %s (%s)\n%s", c->file, c->profile, o.text ? o.text : "(nothing)\n");
	ck_assert_msg(o.text && has_line(o.text, c->expected),
	              "CASES:%d: %s: wanted the line\n  %s\ngot\n%s", c->lineno, c->file,
	              c->expected, o.text ? o.text : "(nothing)");
	free(o.text);
	free(rpath);
	free(in);
	srs_run_free(srs);
	store_close(app.store);
	spool_release(&app.spool);
	free(app.cfg.dir);
	free(feed.dealer_id);
	free(feed.charset);
	free(opts);
	free(root);
	free(db);
	free(src);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fixtures");
	TCase *tc = unit_tcase(s, "bad input", setup, teardown);
	int rc;

	unit_each_line("tests/fixtures/bad/CASES", add_case, NULL);
	clock_set(1000);
	/* Small chunks and two threads: every case also crosses chunk boundaries in parallel. */
	setenv("LOTSYNC_PARSE_CHUNK", "4096", 1);
	setenv("LOTSYNC_PARSE_THREADS", "2", 1);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, fixture, 0, ncases);
	rc = unit_run(s);
	for (int i = 0; i < ncases; i++) {
		free(cases[i].file);
		free(cases[i].profile);
		free(cases[i].options);
		free(cases[i].expected);
	}
	printf("%d fixture cases\n", ncases);
	return rc;
}
