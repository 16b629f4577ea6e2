/*
 * unit.h - what every unit test shares: a private temporary directory per
 * test (Check forks per test, so each gets its own), whole-file write and
 * read, a query on a real SQLite file, the case tables of tests/fixtures
 * (unit_each_line, unit_field, unit_feed_options), and the runner
 * (UNIT_MAIN, unit_tcase).
 * Header-only: each test is one translation unit linked against liblotsync.
 */
#ifndef LOTSYNC_UNIT_H
#define LOTSYNC_UNIT_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/config.h"
#include "lotsync/util.h"

/* Make a fresh /tmp/lotsync-unit.XXXXXX into dir (at least 32 bytes). */
static inline void
unit_tmpdir(char *dir, size_t size)
{
	ck_assert_uint_ge(size, 32);
	snprintf(dir, size, "/tmp/lotsync-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Remove dir and everything below it (also read-only subdirectories). */
static inline void
unit_rmtree(const char *dir)
{
	char *cmd = xasprintf("chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", dir, dir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* mkdir -p path (0700 for what it creates: private, as a spool or conf dir). */
static inline void
unit_mkdirs(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		ck_assert_msg(mkdir(p, 0700) == 0 || errno == EEXIST, "mkdir %s", p);
		*s = '/';
	}
	ck_assert_msg(mkdir(p, 0700) == 0 || errno == EEXIST, "mkdir %s", p);
	free(p);
}

/* Write n bytes to path (parents created), replacing it, with exactly mode. */
static inline void
unit_write(const char *path, const void *data, size_t n, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash && slash != path) {
		char *parent = xstrndup(path, (size_t)(slash - path));

		unit_mkdirs(parent);
		free(parent);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "open %s", path);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
}

/* unit_write of a string. */
static inline void
unit_write_str(const char *path, const char *text, mode_t mode)
{
	unit_write(path, text, strlen(text), mode);
}

/* The whole file, NUL-terminated, its length in *len (may be NULL); NULL if
 * it cannot be opened. Caller frees. */
static inline char *
unit_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap + 1);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	ck_assert_int_eq(ferror(f), 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* The rows of sql on the database at db, columns joined by '|', rows by
 * '\n' (no trailing newline; NULL as ""): what `sqlite3 db sql` prints.
 * For asserting which rows a test expects, not how many. Caller frees. */
static inline char *
unit_sql(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	char *out = xstrdup(""), *t;
	int rc;

	ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	              sqlite3_errmsg(h));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *v = sqlite3_column_text(st, i);

			t = xasprintf("%s%s%s", out, i ? "|" : (*out ? "\n" : ""),
			              v ? (const char *)v : "");
			free(out);
			out = t;
		}
	}
	ck_assert_int_eq(rc, SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

/* Assert that sql on db prints exactly want (see unit_sql). */
#define unit_assert_sql(db, sql, want)                                                             \
	do {                                                                                       \
		char *unit_got_ = unit_sql((db), (sql));                                           \
		ck_assert_msg(strcmp(unit_got_, (want)) == 0, "%s:\n got: %s\nwant: %s", (sql),    \
		              unit_got_, (want));                                                  \
		free(unit_got_);                                                                   \
	} while (0)

/* Capture what the code under test writes to stderr (log lines, errors). */
struct unit_capture {
	int saved;
	char path[64];
};

static inline void
unit_capture_begin(struct unit_capture *c)
{
	int fd;

	snprintf(c->path, sizeof(c->path), "/tmp/lotsync-unit-err.XXXXXX");
	fd = mkostemp(c->path, O_CLOEXEC);
	ck_assert_int_ne(fd, -1);
	fflush(stderr);
	c->saved = dup(2);
	ck_assert_int_ne(c->saved, -1);
	ck_assert_int_ne(dup2(fd, 2), -1);
	close(fd);
}

/* End the capture; returns what was written (also echoed). Caller frees. */
static inline char *
unit_capture_end(struct unit_capture *c)
{
	char *text;

	fflush(stderr);
	ck_assert_int_ne(dup2(c->saved, 2), -1);
	close(c->saved);
	text = unit_slurp(c->path, NULL);
	ck_assert_ptr_nonnull(text);
	unlink(c->path);
	fputs(text, stderr);
	return text;
}

/* The lines of text that contain from, each cut to start there, joined by
 * '\n': "X.ini:3: message" out of timestamped log lines. Caller frees. */
static inline char *
unit_lines_from(const char *text, const char *from)
{
	char *out = xstrdup(""), *t;

	for (const char *l = text; *l;) {
		const char *end = strchr(l, '\n'), *hit;
		size_t n = end ? (size_t)(end - l) : strlen(l);
		char *line = xstrndup(l, n);

		if ((hit = strstr(line, from))) {
			t = xasprintf("%s%s%s", out, *out ? "\n" : "", hit);
			free(out);
			out = t;
		}
		free(line);
		l += n + (end ? 1 : 0);
	}
	return out;
}

/* The source tree (fixtures, shipped profiles): $LOTSYNC_SRCDIR or ".". */
static inline const char *
unit_srcdir(void)
{
	const char *s = getenv("LOTSYNC_SRCDIR");

	return s && *s ? s : ".";
}

/*
 * The usual checked fixture: static char dir[64], a fresh temporary
 * directory per test (setup(), then the optional statements given, e.g.
 * UNIT_DIR_FIXTURE(dir, log_set_level(LOG_ERROR))) removed by teardown().
 */
#define UNIT_DIR_FIXTURE(dir, ...)                                                                 \
	static char dir[64];                                                                       \
	static void setup(void)                                                                    \
	{                                                                                          \
		unit_tmpdir(dir, sizeof(dir));                                                     \
		__VA_ARGS__;                                                                       \
	}                                                                                          \
	static void teardown(void)                                                                 \
	{                                                                                          \
		unit_rmtree(dir);                                                                  \
	}

/* A test case named name in s, with the checked fixture setup/teardown (either may be NULL). */
static inline TCase *
unit_tcase(Suite *s, const char *name, void (*setup)(void), void (*teardown)(void))
{
	TCase *tc = tcase_create(name);

	if (setup || teardown)
		tcase_add_checked_fixture(tc, setup, teardown);
	suite_add_tcase(s, tc);
	return tc;
}

/* The next " | "-separated field of a table line at *p, trimmed; *p moves past it. Caller frees. */
static inline char *
unit_field(char **p)
{
	char *sep = strstr(*p, " | "), *f = *p;

	if (sep) {
		*sep = '\0';
		*p = sep + 3;
	} else {
		*p += strlen(*p);
	}
	return xstrdup(str_trim(f));
}

/*
 * Call fn(line, lineno, ctx) for each line of the table at rel (below the
 * source tree) that is neither empty nor a comment (#); the line is
 * writable and has no newline. Exits the test program when the file is
 * missing: no table, no test.
 */
static inline void
unit_each_line(const char *rel, void (*fn)(char *line, int lineno, void *ctx), void *ctx)
{
	char *path = xasprintf("%s/%s", unit_srcdir(), rel), *line = NULL;
	FILE *f = fopen(path, "r");
	size_t size = 0;
	int lineno = 0;

	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	while (getline(&line, &size, f) != -1) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] && line[0] != '#')
			fn(line, lineno, ctx);
	}
	free(line);
	fclose(f);
	free(path);
}

/*
 * A feed's options from a table's options column: comma-separated
 * key=stock|vin, dealer_id=X, charset=Y, vanish_guard_min=N (opts is
 * cut up). An unknown option fails the test.
 */
static inline void
unit_feed_options(struct feed_conf *feed, char *opts)
{
	char *save = NULL;

	for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(str_trim(t), '=');

		ck_assert_msg(eq != NULL, "bad option '%s'", t);
		*eq++ = '\0';
		if (!strcmp(t, "key"))
			feed->key = !strcmp(eq, "stock") ? FEED_KEY_STOCK : FEED_KEY_VIN;
		else if (!strcmp(t, "dealer_id"))
			feed->dealer_id = xstrdup(eq);
		else if (!strcmp(t, "charset"))
			feed->charset = xstrdup(eq);
		else if (!strcmp(t, "vanish_guard_min"))
			feed->vanish_guard_min = (unsigned)atoi(eq);
		else
			ck_abort_msg("unknown option '%s'", t);
	}
}

/* Run every test of s; the process exit status says whether all passed. */
static inline int
unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* main() of a test file whose suite is built by make_suite(). */
#define UNIT_MAIN(make_suite)                                                                      \
	int main(void)                                                                             \
	{                                                                                          \
		return unit_run(make_suite());                                                     \
	}

#endif
