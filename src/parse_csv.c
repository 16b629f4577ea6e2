/* parse_csv.c - libcsv in strict mode over chunks that start at record boundaries. */
#include "lotsync/parse_csv.h"

#include <csv.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/log.h"
#include "lotsync/util.h"

/* libcsv.c keeps its parser states private; 0 is ROW_NOT_BEGUN in every release. */
#define CSV_ROW_NOT_BEGUN 0
/* Longest piece fed to libcsv at once: its field buffer is checked between pieces. */
#define PIECE ((size_t)64 * 1024)

struct chunkstate {
	const struct pcsv_opts *o;
	pcsv_row_fn fn;
	void *ctx;
	char *row; /* the current record's field bytes, back to back (8 bytes of slack) */
	size_t rowlen, rowcap;
	size_t *off, *len; /* the current record's fields within row */
	unsigned char *plain;
	size_t n, alloc; /* the three arrays have alloc elements */
	struct span *spans;
	size_t spans_alloc;
	unsigned long line;      /* lines begun so far, 1-based within the chunk */
	unsigned long next_line; /* where the next record begins (after its newline) */
	unsigned long rec_line;  /* line where the current record began */
	bool stop;
	struct pcsv_result *res;
};

static void
fail(struct chunkstate *s, unsigned long line, char *msg)
{
	if (s->res->error) {
		free(msg);
	} else {
		s->res->error = msg;
		s->res->error_line = line;
		s->res->scope = LS_BAD_FILE;
	}
	s->stop = true;
}

/*
 * One pass over a field: is it plain ASCII without NUL (so the mapper
 * need not look at it again), and how many newlines does it hold (a
 * quoted field may span lines)? Eight bytes at a time, the last word
 * overlapping the one before instead of reading past the field; only a
 * word with something in it is looked at byte by byte. It reads libcsv's
 * buffer, not the copy just written (a load straight after smaller
 * stores to the same bytes stalls).
 */
static bool
scan_field(const char *p, size_t n, unsigned long *newlines)
{
	const uint64_t hi = 0x8080808080808080ULL, lo = 0x0101010101010101ULL;
	const uint64_t nl = 0x0A0A0A0A0A0A0A0AULL;
	bool plain = true;
	size_t i = 0;

	if (n < 8) {
		for (; i < n; i++) {
			unsigned char c = (unsigned char)p[i];

			*newlines += c == '\n';
			plain = plain && c != 0 && c < 0x80;
		}
		return plain;
	}
	while (i < n) {
		size_t at = i + 8 <= n ? i : n - 8; /* the last word overlaps */
		uint64_t v, x;

		memcpy(&v, p + at, 8);
		x = v ^ nl;
		if ((v & hi) | ((v - lo) & ~v & hi) | ((x - lo) & ~x & hi))
			for (size_t k = i; k < at + 8; k++) {
				unsigned char c = (unsigned char)p[k];

				*newlines += c == '\n';
				plain = plain && c != 0 && c < 0x80;
			}
		i = at + 8;
	}
	return plain;
}

static void
on_field(void *data, size_t len, void *user)
{
	struct chunkstate *s = user;
	const struct pcsv_opts *o = s->o;

	if (s->stop)
		return;
	if (s->n == 0)
		s->rec_line = s->next_line;
	if (s->n >= o->max_fields) {
		fail(s, s->rec_line, xasprintf("record has more than %zu fields", o->max_fields));
		return;
	}
	if (len > o->max_field) {
		fail(s, s->rec_line,
		     xasprintf("field %zu is longer than %zu bytes", s->n + 1, o->max_field));
		return;
	}
	if (s->rowlen + len > o->max_row) {
		fail(s, s->rec_line, xasprintf("record is longer than %zu bytes", o->max_row));
		return;
	}
	if (s->n == s->alloc) {
		size_t a = s->alloc, b = s->alloc;

		s->off = xgrow(s->off, &s->alloc, s->n + 1, sizeof(*s->off));
		s->len = xgrow(s->len, &a, s->n + 1, sizeof(*s->len));
		s->plain = xgrow(s->plain, &b, s->n + 1, 1);
	}
	if (s->rowlen + len + 8 > s->rowcap)
		s->row = xgrow(s->row, &s->rowcap, s->rowlen + len + 8, 1);
	/* libcsv reuses its buffer for the next field: keep a copy. */
	s->plain[s->n] = len ? scan_field(data, len, &s->line) : 1;
	span_copy(s->row + s->rowlen, data, len);
	s->off[s->n] = s->rowlen;
	s->len[s->n] = len;
	s->rowlen += len;
	s->n++;
}

/*
 * CSV_REPALL_NL: libcsv calls this for every newline outside quotes (and
 * at the end of the file with -1), records or not, so lines are counted
 * here; the newlines inside quoted fields are counted by scan_field().
 */
static void
on_record(int term, void *user)
{
	struct chunkstate *s = user;
	enum ls_scope sc;

	if (term == '\n')
		s->line++;
	/* csv_fini() ends a last record that has no line end with -1: a cut transfer? */
	s->res->unterminated = term == -1 && s->n > 0;
	if (s->stop || s->n == 0) { /* a blank line, or the LF of a CRLF */
		s->n = s->rowlen = 0;
		s->next_line = s->line;
		return;
	}
	s->spans = xgrow(s->spans, &s->spans_alloc, s->n, sizeof(*s->spans));
	for (size_t i = 0; i < s->n; i++)
		s->spans[i] = (struct span){s->row + s->off[i], s->len[i]};
	sc = s->fn(s->ctx, s->rec_line, s->spans, s->plain, s->n);
	s->next_line = s->line;
	if (sc > LS_BAD_RECORD) {
		s->res->scope = sc;
		s->stop = true;
	}
	s->n = s->rowlen = 0;
}

static void
set_defaults(struct pcsv_opts *o)
{
	o->max_field = o->max_field ? o->max_field : LS_MAX_CSV_FIELD;
	o->max_fields = o->max_fields ? o->max_fields : LS_MAX_CSV_FIELDS;
	o->max_row = o->max_row ? o->max_row : LS_MAX_CSV_ROW;
}

/* The line the record being read began on. */
static unsigned long
current_line(const struct chunkstate *s)
{
	return s->n ? s->rec_line : s->next_line;
}

/*
 * Fed 64 KiB at a time: a field still open stays in libcsv's buffer, which
 * is checked between pieces so an endless field is refused before it grows
 * far past the cap.
 */
static void
feed(struct csv_parser *p, struct chunkstate *s, const char *buf, size_t n)
{
	size_t off = 0;

	while (off < n && !s->stop) {
		size_t seg = n - off > PIECE ? PIECE : n - off;

		if (csv_parse(p, buf + off, seg, on_field, on_record, s) != seg) {
			fail(s, current_line(s),
			     xasprintf("malformed quoting: a quote inside an unquoted field, or "
			               "text after a closing quote"));
			return;
		}
		if (!s->stop && csv_get_buffer_size(p) > s->o->max_field + PIECE)
			fail(s, current_line(s),
			     xasprintf("field %zu is longer than %zu bytes", s->n + 1,
			               s->o->max_field));
		off += seg;
	}
}

void
pcsv_parse_chunk(const struct pcsv_opts *opts, const char *buf, size_t n, bool final,
                 pcsv_row_fn fn, void *ctx, struct pcsv_result *res)
{
	struct pcsv_opts o = *opts;
	struct chunkstate s = {.o = &o,
	                       .fn = fn,
	                       .ctx = ctx,
	                       .line = 1,
	                       .next_line = 1,
	                       .rec_line = 1,
	                       .res = res};
	struct csv_parser p;

	memset(res, 0, sizeof(*res));
	set_defaults(&o);
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
		log_fatal("csv_init failed");
	csv_set_delim(&p, (unsigned char)o.delimiter);
	csv_set_quote(&p, (unsigned char)o.quote);
	csv_set_blk_size(&p, 4096);
	feed(&p, &s, buf, n);
	if (!s.stop && final) {
		if (csv_fini(&p, on_field, on_record, &s) != 0)
			fail(&s, current_line(&s),
			     xasprintf("truncated: file ends inside a quoted field (unterminated "
			               "quote)"));
	} else if (!s.stop && (p.pstate != CSV_ROW_NOT_BEGUN || (n && buf[n - 1] != '\n'))) {
		/* Only an oversized record or bare-CR line ends leave a chunk without a boundary.
		 */
		fail(&s, current_line(&s),
		     xasprintf("no line end within %zu bytes (lines ending in a bare CR?)",
		               o.max_row));
	}
	res->nlines = s.line - 1;
	csv_free(&p);
	free(s.row);
	free(s.off);
	free(s.len);
	free(s.plain);
	free(s.spans);
}

/*
 * How many bytes of p[0..n) are c, exactly. pcsv_cut() counts a whole
 * chunk's quotes on the thread that reads and applies, every byte of the
 * file once: SSE2 counts 16 bytes per step in byte lanes, summed every 255
 * steps before a lane could wrap (28 GB/s against 7 GB/s for the eight-byte
 * SWAR below, on a 2 MiB chunk of genfeed's rows).
 */
static size_t
count_byte(const char *p, size_t n, char c)
{
	size_t i = 0, k = 0;
#ifdef __SSE2__
	const __m128i pat = _mm_set1_epi8(c), zero = _mm_setzero_si128();

	while (n - i >= 16) {
		__m128i acc = zero, sum;
		size_t lim = n - i > 16 * 255 ? i + 16 * 255 : n;

		for (; lim - i >= 16; i += 16) /* a match is -1: subtracting counts it */
			acc = _mm_sub_epi8(
			        acc, _mm_cmpeq_epi8(_mm_loadu_si128((const void *)(p + i)), pat));
		sum = _mm_sad_epu8(acc, zero); /* the lanes' sums, in two 64-bit halves */
		k += (size_t)_mm_cvtsi128_si64(sum) +
		     (size_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sum, sum));
	}
#else
	const uint64_t lo7 = 0x7F7F7F7F7F7F7F7FULL, ones = 0x0101010101010101ULL;
	const uint64_t pat = ones * (unsigned char)c;

	for (; i + 8 <= n; i += 8) {
		uint64_t v, t;

		memcpy(&v, p + i, 8);
		v ^= pat; /* bytes equal to c are now zero */
		t = ~(((v & lo7) + lo7) | v | lo7) >>
		    7;                           /* one bit per matching byte, at its bottom */
		k += (size_t)((t * ones) >> 56); /* the sum of the eight bytes */
	}
#endif
	for (; i < n; i++)
		k += p[i] == c;
	return k;
}

/*
 * In strict CSV the quotes before a newline are even exactly when it ends
 * a record: start from the last newline and step back line by line until
 * the count is even.
 */
size_t
pcsv_cut(const char *buf, size_t n, char quote)
{
	const char *nl = memrchr(buf, '\n', n);
	size_t pos, q;

	if (!nl)
		return 0;
	pos = (size_t)(nl - buf);
	q = count_byte(buf, pos, quote);
	while (q & 1) {
		const char *prev = memrchr(buf, '\n', pos);

		if (!prev)
			return 0;
		q -= count_byte(prev, pos - (size_t)(prev - buf), quote);
		pos = (size_t)(prev - buf);
	}
	return pos + 1;
}

void
pcsv_record(const char *buf, size_t n, char quote, struct pcsv_rec *out)
{
	size_t i = 0;

	*out = (struct pcsv_rec){.clean = true};
	for (;;) {
		/* Outside quotes: the next LF, and whether a quote or a CR comes first. */
		const char *lf = memchr(buf + i, '\n', n - i);
		size_t end = lf ? (size_t)(lf - buf) : n;
		const char *q = memchr(buf + i, quote, end - i);
		size_t upto = q ? (size_t)(q - buf) : end;
		const char *cr = memchr(buf + i, '\r', upto - i);

		if (cr && !(!q && lf && cr == lf - 1))
			out->clean = false;
		if (!q) {
			out->terminated = lf != NULL;
			out->len = lf ? end + 1 : n;
			out->nlines += lf != NULL;
			break;
		}
		/* Inside quotes to the closing one (a doubled quote closes and opens again). */
		i = upto + 1;
		q = memchr(buf + i, quote, n - i);
		end = q ? (size_t)(q - buf) : n;
		out->nlines += (unsigned long)count_byte(buf + i, end - i, '\n');
		if (!q) {
			out->len = n; /* an open quote at the end: libcsv says what it is */
			break;
		}
		i = end + 1;
	}
	out->blank = out->terminated && (out->len == 1 || (out->len == 2 && buf[0] == '\r'));
}
