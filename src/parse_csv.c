/* parse_csv.c - libcsv in strict mode, fed line by line so records know their line. */
#include "lotsync/parse_csv.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/log.h"
#include "lotsync/util.h"

/* libcsv.c keeps its parser states private; 0 is ROW_NOT_BEGUN in every release. */
#define CSV_ROW_NOT_BEGUN 0

struct csvstate {
	const char *path;
	const struct csv_opts *o;
	csv_record_fn fn;
	void *ctx;
	char **fields;
	size_t *lens;
	size_t n, alloc; /* fields of the current record */
	size_t lens_alloc;
	unsigned long line;     /* current input line, 1-based */
	unsigned long rec_line; /* line where the current record began */
	enum ls_scope worst;
	bool stop;
	bool in_record; /* the failure happened inside a record */
	char *error;    /* first file-level error, or NULL */
};

static void
fail_file(struct csvstate *s, char *msg)
{
	if (!s->error && s->n > 0)
		s->in_record = true;
	if (!s->error)
		s->error = msg;
	else
		free(msg);
	s->stop = true;
}

static void
on_field(void *data, size_t len, void *user)
{
	struct csvstate *s = user;

	if (s->stop)
		return;
	if (s->n >= s->o->max_fields) {
		fail_file(s, xasprintf("record has more than %zu fields", s->o->max_fields));
		return;
	}
	s->fields = xgrow(s->fields, &s->alloc, s->n + 1, sizeof(*s->fields));
	s->lens = xgrow(s->lens, &s->lens_alloc, s->n + 1, sizeof(*s->lens));
	/* Own a NUL-terminated copy: libcsv reuses its buffer and NUL bytes are refused. */
	if (memchr(data, '\0', len)) {
		fail_file(s, xasprintf("NUL byte in field %zu", s->n + 1));
		return;
	}
	s->fields[s->n] = xstrndup(data ? data : "", len);
	s->lens[s->n] = len;
	s->n++;
}

static void
clear_record(struct csvstate *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->fields[i]);
	s->n = 0;
}

static void
on_record(int term, void *user)
{
	struct csvstate *s = user;
	enum ls_scope sc;

	(void)term;
	if (s->stop) {
		clear_record(s);
		return;
	}
	if (s->n == 0)
		return; /* libcsv reports blank lines as empty records: skip them */
	sc = s->fn(s->ctx, s->rec_line, s->fields, s->lens, s->n);
	if (sc > s->worst)
		s->worst = sc;
	if (sc > LS_BAD_RECORD)
		s->stop = true;
	clear_record(s);
}

static int
feed_chunk(struct csv_parser *p, struct csvstate *s, const char *buf, size_t n)
{
	size_t off = 0;

	while (off < n && !s->stop) {
		const char *nl = memchr(buf + off, '\n', n - off);
		size_t seg = nl ? (size_t)(nl - (buf + off)) + 1 : n - off;

		/*
		 * libcsv reports a field only when it ends, which for a quoted
		 * field may be lines later; its state says whether a record has
		 * begun, so the record's first line is known here.
		 */
		if (p->pstate == CSV_ROW_NOT_BEGUN)
			s->rec_line = s->line;
		if (csv_parse(p, buf + off, seg, on_field, on_record, s) != seg) {
			s->in_record = true;
			fail_file(s, xasprintf("%s", csv_strerror(csv_error(p))));
			return -1;
		}
		off += seg;
		if (nl)
			s->line++;
	}
	return 0;
}

enum ls_scope
parse_csv_file(const char *path, const struct csv_opts *opts, csv_record_fn fn, void *ctx,
               char **why)
{
	struct csv_opts o = *opts;
	struct csvstate s = {.path = path, .o = &o, .fn = fn, .ctx = ctx, .line = 1};
	struct csv_parser p;
	char *buf = NULL;
	uint64_t total = 0;
	ssize_t n;
	int fd = -1;

	o.max_field = o.max_field ? o.max_field : 1 << 20;
	o.max_fields = o.max_fields ? o.max_fields : 4096;
	o.max_file = o.max_file ? o.max_file : (uint64_t)4 << 30;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		log_fatal("csv_init failed");
	csv_set_delim(&p, (unsigned char)o.delimiter);
	csv_set_quote(&p, (unsigned char)o.quote);
	/* libcsv's own cap: one field may not grow past max_field bytes. */
	csv_set_blk_size(&p, 4096);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_syserr("cannot open %s", path);
		s.worst = LS_BAD_FEED;
		goto out;
	}
	buf = xmalloc(1 << 16);
	while (!s.stop && (n = read(fd, buf, 1 << 16)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_syserr("cannot read %s", path);
			s.worst = LS_BAD_FEED;
			goto out;
		}
		total += (uint64_t)n;
		if (total > o.max_file) {
			fail_file(&s, xasprintf("file is larger than %llu bytes",
			                        (unsigned long long)o.max_file));
			break;
		}
		if (csv_get_buffer_size(&p) > o.max_field) {
			fail_file(&s, xasprintf("a field is longer than %zu bytes", o.max_field));
			break;
		}
		feed_chunk(&p, &s, buf, (size_t)n);
	}
	if (!s.stop)
		s.in_record = p.pstate != CSV_ROW_NOT_BEGUN;
	if (!s.stop && csv_fini(&p, on_field, on_record, &s) != 0)
		fail_file(&s, xasprintf("file ends inside a quoted field (unterminated quote)"));
out:
	if (s.error) {
		char *msg = xasprintf("%s:%lu: %s", path, s.in_record || s.n ? s.rec_line : s.line,
		                      s.error);

		log_error("%s", msg);
		if (why)
			*why = msg;
		else
			free(msg);
		free(s.error);
		s.worst = s.worst > LS_BAD_FILE ? s.worst : LS_BAD_FILE;
	}
	clear_record(&s);
	free(s.fields);
	free(s.lens);
	free(buf);
	csv_free(&p);
	if (fd >= 0)
		close(fd);
	return s.worst;
}
