/* reader.c - a feed file through its profile: bytes, charset, CSV or XML, mapped rows, in order. */
#include "lotsync/reader.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "lotsync/builtin.h"
#include "lotsync/input.h"
#include "lotsync/log.h"
#include "lotsync/parse_csv.h"
#include "lotsync/parse_xml.h"
#include "lotsync/rowmap.h"
#include "lotsync/util.h"

#define CHUNK_DEFAULT ((size_t)2 << 20) /* bytes per CSV chunk */
#define READ_PIECE    ((size_t)1 << 20)
#define MAX_THREADS   8

/* ---- one file's reading ---- */

struct reader {
	const struct profile *p;
	const struct feed_conf *feed;
	const char *name;
	const struct reader_cb *cb;
	struct input *in;
	enum charset cs;
	struct pcsv_opts csv;
	struct rowmap map;
	bool bound;
	struct rowmap_stats st;
	unsigned long records, rejects, same; /* same: records the fast path did not parse */
	enum charset bom_over; /* the 8-bit charset a UTF-8 BOM overrode, or CHARSET_UTF8 */
	char *why;
	/* The raw-record fast path (reader.h): set on the calling thread before workers start. */
	const struct rawset *raw; /* cb->raw when the file may take it, else NULL */
	bool fast;                /* the binding is fingerprinted: records are hashed */
	bool fields_sent;         /* cb->same_fields was called */
	uint64_t fp;              /* the fingerprint: every raw hash's seed */
};

/* The reason a file cannot be read: one line (it goes into .reason files and logs). */
static enum ls_scope
file_error(struct reader *r, unsigned long line, const char *msg)
{
	if (r->why)
		return LS_BAD_FILE;
	r->why = line ? xasprintf("%s:%lu: %s", r->name, line, msg)
	              : xasprintf("%s: %s", r->name, msg);
	for (char *p = r->why; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return LS_BAD_FILE;
}

/* Hand a batch's items to the callbacks in order; lines become absolute. */
static enum ls_scope
consume(struct reader *r, struct batch *b, unsigned long base)
{
	enum ls_scope sc = LS_OK;

	if (r->fast && !r->fields_sent) {
		r->fields_sent = true;
		sc = r->cb->same_fields(r->cb->ctx, r->map.fill_name, r->map.nfill);
	}
	for (size_t i = 0; i < b->n && sc <= LS_BAD_RECORD; i++) {
		struct batch_item *it = &b->items[i];

		if (it->kind == BATCH_RECORD) {
			it->rec.line += base;
			r->records++;
			sc = r->cb->record(r->cb->ctx, &it->rec);
		} else if (it->kind == BATCH_SAME) {
			r->records++;
			r->same++;
			sc = r->cb->same(r->cb->ctx, it->row, it->rec.line + base);
		} else {
			struct row_error e = {
			        .line = it->rec.line + base,
			        .field = it->field ? xstrdup(it->field) : NULL,
			        .reason = it->key ? xasprintf("%s (key %s)", it->reason, it->key)
			                          : xstrdup(it->reason),
			        .key = it->key ? xstrdup(it->key) : NULL};

			r->rejects++;
			sc = r->cb->reject(r->cb->ctx, &e);
		}
	}
	if (sc > LS_BAD_RECORD)
		return sc;
	if (b->st.dates_ambiguous)
		b->st.date_first_line += base;
	if (b->st.vin_bad_check)
		b->st.vin_first_line += base;
	if (b->st.ragged_extra)
		b->st.ragged_extra_line += base;
	if (b->st.ragged_padded)
		b->st.ragged_padded_line += base;
	if (b->st.c1_bytes)
		b->st.c1_first_line += base;
	rowmap_stats_add(&r->st, &b->st);
	if (b->error)
		return file_error(r, base + b->error_line, b->error);
	return LS_OK;
}

static enum ls_scope
warn(struct reader *r, const char *code, unsigned long line, const char *field, char *msg)
{
	struct row_warning w = {.code = code, .line = line, .field = field, .message = msg};
	enum ls_scope sc = LS_OK;

	log_info("%s:%lu: warning: %s", r->name, line, msg);
	if (r->cb->warn)
		sc = r->cb->warn(r->cb->ctx, &w);
	free(msg);
	return sc;
}

/* What the whole file showed: ambiguous dates, VIN check digits. */
static enum ls_scope
file_warnings(struct reader *r)
{
	const struct rowmap_stats *st = &r->st;
	enum ls_scope sc = LS_OK;

	if (st->dates_ambiguous && !st->dates_day_over_12) {
		const char *f = r->p->dates[st->date_format].text;

		sc = warn(r, "ambiguous_dates", st->date_first_line, NULL,
		          xasprintf("all %lu dates read as %s have a day of 12 or less, so they "
		                    "read day-first and month-first alike: check the profile's "
		                    "date_format",
		                    st->dates_ambiguous, f));
	}
	if (sc <= LS_BAD_RECORD && st->vin_bad_check)
		sc = warn(r, "vin_check_digit", st->vin_first_line, "vin",
		          xasprintf("%lu VIN%s the check digit (first: %s); European VINs "
		                    "often carry none (vin_check = off to accept them silently, "
		                    "strict to refuse them)",
		                    st->vin_bad_check, st->vin_bad_check > 1 ? "s fail" : " fails",
		                    st->vin_first));
	if (sc <= LS_BAD_RECORD && st->ragged_extra)
		sc = warn(r, "ragged_rows", st->ragged_extra_line, NULL,
		          xasprintf("%lu row%s extra trailing empty fields (as spreadsheets "
		                    "write them); accepted",
		                    st->ragged_extra, st->ragged_extra > 1 ? "s have" : " has"));
	if (sc <= LS_BAD_RECORD && st->ragged_padded)
		sc = warn(r, "ragged_rows", st->ragged_padded_line, NULL,
		          xasprintf("%lu row%s fewer fields than the header; the missing "
		                    "trailing fields read as empty (ragged = pad)",
		                    st->ragged_padded, st->ragged_padded > 1 ? "s have" : " has"));
	if (sc <= LS_BAD_RECORD && r->bom_over != CHARSET_UTF8)
		sc = warn(r, "charset_bom", 1, NULL,
		          xasprintf("the file starts with a UTF-8 byte order mark but the "
		                    "charset is %s: read as UTF-8 (the BOM wins); set charset "
		                    "= utf-8 to silence this",
		                    charset_name(r->bom_over)));
	if (sc <= LS_BAD_RECORD && st->c1_bytes)
		sc = warn(
		        r, "charset_c1", st->c1_first_line, NULL,
		        xasprintf("%lu byte%s 0x80-0x9F (control characters in %s): the file "
		                  "looks like windows-1252 (euro sign, curly quotes, dashes); set "
		                  "charset "
		                  "= windows-1252 or auto",
		                  st->c1_bytes, st->c1_bytes > 1 ? "s" : "", charset_name(r->cs)));
	if (st->vin_short)
		log_info("%s: %lu pre-1981 VINs shorter than 17 characters", r->name,
		         st->vin_short);
	return sc;
}

/* ---- charset: auto means the whole file is UTF-8, or it is windows-1252 ---- */

/* A truncated but so far valid UTF-8 sequence at the end of a buffer. */
static bool
incomplete_tail(const unsigned char *s, size_t n)
{
	size_t need = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;

	if (s[0] < 0xC2 || s[0] > 0xF4 || n >= need)
		return false;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return false;
	return true;
}

static enum ls_scope
resolve_auto(struct reader *r)
{
	char *buf = xmalloc(READ_PIECE + 4);
	size_t keep = 0;
	bool utf8 = true;
	ssize_t k;

	while ((k = input_read(r->in, buf + keep, READ_PIECE)) > 0) {
		size_t n = keep + (size_t)k, off = charset_utf8_check(buf, n);

		keep = 0;
		if (off == n)
			continue;
		if (n - off < 4 && incomplete_tail((unsigned char *)buf + off, n - off)) {
			keep = n - off;
			memmove(buf, buf + off, keep);
			continue;
		}
		utf8 = false;
		break;
	}
	free(buf);
	if (k < 0 || input_rewind(r->in) == -1)
		return LS_OK; /* the read error shows again when the file is parsed */
	r->cs = utf8 && keep == 0 ? CHARSET_UTF8 : CHARSET_WINDOWS_1252;
	log_debug("%s: charset auto: %s", r->name, charset_name(r->cs));
	return LS_OK;
}

/* ---- CSV: chunks at record boundaries, parsed on every core, consumed in order ---- */

enum chunk_state { C_FREE, C_READY, C_BUSY, C_DONE };

struct chunk {
	char *buf;
	size_t len, cap;
	bool final;
	enum chunk_state state;
	struct batch out;
	unsigned long nlines;
};

/* A record of the piece libcsv parses, with its raw hash (the fast path). */
struct pend {
	unsigned long line; /* where it begins, within the chunk */
	uint64_t lo, hi;
};

/* A parser thread's scratch. */
struct parse_work {
	struct rowmap_work map;
	struct pend *pend;
	size_t apend;
};

struct job {
	struct reader *r;
	struct rowmap_work *work;
	struct batch *out;
	const struct pcsv_result *res; /* of the chunk being parsed */
	/* The fast path parses a chunk in pieces: */
	unsigned long line0;     /* lines of the chunk before the piece */
	const struct pend *pend; /* the piece's hashed records, in order */
	size_t npend, at;
	unsigned long last_line; /* of the previous row, and its item when it got a raw hash */
	size_t last_item;
	bool last_raw;
};

/*
 * The last record of a file that stops without a line end, short of the
 * fields it must have: the classic partial transfer. Applying it would
 * drop or blank a vehicle, so the whole file is refused.
 */
static bool
cut_short(const struct job *j, size_t n)
{
	const struct rowmap *m = &j->r->map;

	if (!j->res->unterminated)
		return false;
	return m->positional ? n < (m->min_columns ? m->min_columns : m->ncols) : n < m->ncols;
}

/*
 * A record's findings packed into 64 bits (struct rawrec.flags): counts of
 * ambiguous dates (8 bits), of days over 12 (8), the first ambiguous date's
 * format + 1 (8), then one bit each: VIN check digit, short VIN, extra
 * trailing fields, padded; C1 bytes in the high 32. false when they do not
 * fit, or name what only a parse can tell (a failing VIN that is not the
 * key): such a record keeps no raw hash and is always parsed.
 */
static bool
stats_pack(const struct rowmap_stats *s, const char *key, bool key_is_vin, uint64_t *out)
{
	if (s->dates_ambiguous > 255 || s->dates_day_over_12 > 255 || s->date_format > 254 ||
	    (s->dates_ambiguous && s->date_format < 0) || s->vin_bad_check > 1 ||
	    s->vin_short > 1 || s->ragged_extra > 1 || s->ragged_padded > 1 ||
	    s->c1_bytes > UINT32_MAX)
		return false;
	if (s->vin_bad_check && (!key_is_vin || strncmp(key, s->vin_first, 18) != 0))
		return false;
	*out = (uint64_t)s->dates_ambiguous | (uint64_t)s->dates_day_over_12 << 8 |
	       (uint64_t)(s->dates_ambiguous ? s->date_format + 1 : 0) << 16 |
	       (uint64_t)s->vin_bad_check << 24 | (uint64_t)s->vin_short << 25 |
	       (uint64_t)s->ragged_extra << 26 | (uint64_t)s->ragged_padded << 27 |
	       (uint64_t)s->c1_bytes << 32;
	return true;
}

/* What stats_pack() packed, as the parse of that record at line would have counted it. */
static void
stats_unpack(uint64_t f, const char *key, unsigned long line, struct rowmap_stats *s)
{
	rowmap_stats_init(s);
	s->dates_ambiguous = f & 0xff;
	s->dates_day_over_12 = (f >> 8) & 0xff;
	if (s->dates_ambiguous) {
		s->date_format = (int)((f >> 16) & 0xff) - 1;
		s->date_first_line = line;
	}
	if ((s->vin_bad_check = (f >> 24) & 1) != 0) {
		s->vin_first_line = line;
		snprintf(s->vin_first, sizeof(s->vin_first), "%s", key);
	}
	s->vin_short = (f >> 25) & 1;
	if ((s->ragged_extra = (f >> 26) & 1) != 0)
		s->ragged_extra_line = line;
	if ((s->ragged_padded = (f >> 27) & 1) != 0)
		s->ragged_padded_line = line;
	if ((s->c1_bytes = f >> 32) != 0)
		s->c1_first_line = line;
}

/*
 * Map a row of the fast path: its findings counted apart so they can be
 * kept with it, and the raw hash of the record it came from attached. A
 * record libcsv read as two rows (never with a clean cut: belt and braces)
 * keeps none.
 */
static enum ls_scope
map_hashed(struct job *j, const struct rowmap_row *row)
{
	struct batch *out = j->out;
	struct rowmap_stats keep = out->st, mine;
	const struct pend *p = NULL;
	size_t first = out->n;
	enum ls_scope sc;

	rowmap_stats_init(&out->st);
	sc = rowmap_map(&j->r->map, j->work, row, out);
	mine = out->st;
	out->st = keep;
	rowmap_stats_add(&out->st, &mine);
	while (j->at < j->npend && j->pend[j->at].line < row->line)
		j->at++;
	if (j->at < j->npend && j->pend[j->at].line == row->line)
		p = &j->pend[j->at++];
	if (j->last_raw && j->last_line == row->line) {
		out->items[j->last_item].rec.has_raw = false;
		p = NULL;
	}
	j->last_line = row->line;
	j->last_raw = false;
	if (p && out->n == first + 1 && out->items[first].kind == BATCH_RECORD) {
		struct record *rec = &out->items[first].rec;

		if (stats_pack(&mine, rec->key, j->r->feed->key == FEED_KEY_VIN, &rec->raw.flags)) {
			rec->raw.lo = p->lo;
			rec->raw.hi = p->hi;
			rec->has_raw = true;
			j->last_item = first;
			j->last_raw = true;
		}
	}
	return sc;
}

static enum ls_scope
on_csv_row(void *ctx, unsigned long line, const struct span *f, const unsigned char *plain,
           size_t n)
{
	struct job *j = ctx;
	struct rowmap_row row = {.line = line + j->line0, .vals = f, .plain = plain, .nvals = n};
	char *why = NULL;

	line = row.line;
	if (!j->r->bound) {
		/* The header row: only ever met in the first chunk, by the calling thread. */
		if (rowmap_bind_header(&j->r->map, j->r->p, j->r->feed, j->r->cs, f, n, &why) ==
		    -1) {
			batch_fail(j->out, line, why);
			return LS_BAD_FILE;
		}
		j->r->bound = true;
		return LS_OK;
	}
	if (cut_short(j, n)) {
		batch_fail(j->out, line,
		           xasprintf("truncated: the last record has %zu of %zu fields and no line "
		                     "end (a cut transfer?)",
		                     n,
		                     j->r->map.positional && j->r->map.min_columns
		                             ? j->r->map.min_columns
		                             : j->r->map.ncols));
		return LS_BAD_FILE;
	}
	if (j->r->fast)
		return map_hashed(j, &row);
	return rowmap_map(&j->r->map, j->work, &row, j->out);
}

/* ---- the fingerprint: what gives a file's raw records their meaning ---- */

static void
fp_bytes(XXH3_state_t *st, const void *p, size_t n)
{
	uint64_t len = n;

	XXH3_64bits_update(st, &len, sizeof(len)); /* lengths first: no two lists hash alike */
	XXH3_64bits_update(st, p, n);
}

static void
fp_str(XXH3_state_t *st, const char *s)
{
	if (!s)
		fp_bytes(st, "\xff", 1); /* NULL differs from "" */
	else
		fp_bytes(st, s, strlen(s) + 1);
}

static void
fp_int(XXH3_state_t *st, long long v)
{
	XXH3_64bits_update(st, &v, sizeof(v));
}

/*
 * Everything of the compiled profile that reading a record uses, and what
 * only the XML reader does (cheap to include). A new member of these
 * structs must be added here: the size checks below make the build say so.
 */
#if defined(__x86_64__) && defined(__LP64__)
_Static_assert(sizeof(struct profile) == 176, "struct profile changed: add it to fp_profile()");
_Static_assert(sizeof(struct profile_map) == 64,
               "struct profile_map changed: add it to fp_profile()");
_Static_assert(sizeof(struct profile_value) == 24,
               "struct profile_value changed: add it to fp_profile()");
#endif

static void
fp_profile(XXH3_state_t *st, const struct profile *p)
{
	fp_str(st, p->name);
	fp_int(st, p->format);
	fp_int(st, p->delimiter);
	fp_int(st, p->quote);
	fp_int(st, p->header);
	fp_int(st, (long long)p->min_columns);
	fp_str(st, p->record_root);
	fp_int(st, (long long)p->nmid);
	for (size_t i = 0; i < p->nmid; i++)
		fp_str(st, p->record_mid[i]);
	fp_str(st, p->record_element);
	fp_int(st, p->record_anywhere);
	fp_int(st, p->charset);
	fp_int(st, p->decimal);
	fp_bytes(st, p->currency, sizeof(p->currency));
	fp_int(st, p->mileage_unit);
	fp_int(st, p->thousands);
	fp_int(st, p->ragged_pad);
	fp_int(st, (long long)p->ndates);
	for (size_t i = 0; i < p->ndates; i++)
		fp_str(st, p->dates[i].text); /* compiled from it by this build's code */
	fp_int(st, p->vin_check);
	fp_int(st, p->short_vin);
	fp_int(st, (long long)p->nmaps);
	for (size_t i = 0; i < p->nmaps; i++) {
		const struct profile_map *m = &p->maps[i];

		fp_str(st, m->field);
		fp_int(st, (long long)m->nsources);
		for (size_t k = 0; k < m->nsources; k++) {
			fp_str(st, m->sources[k]);
			fp_int(st, m->position ? m->position[k] : -2);
		}
		fp_int(st, m->list_sep);
		fp_int(st, m->kind);
		fp_int(st, (long long)m->nvalues);
		for (size_t k = 0; k < m->nvalues; k++) {
			fp_str(st, m->values[k].from);
			fp_str(st, m->values[k].to);
		}
	}
	fp_int(st, (long long)p->nmandatory);
	for (size_t i = 0; i < p->nmandatory; i++)
		fp_str(st, p->mandatory[i]);
	fp_int(st, (long long)p->npending);
}

/*
 * The binding is fixed (hdr: the header record's raw bytes, NULL without a
 * header): its fingerprint seeds every raw hash of the file, so a record
 * matches a stored one only when the same bytes were read the same way.
 */
static void
fingerprint(struct reader *r, const char *hdr, size_t n)
{
	XXH3_state_t *st;

	if (!r->raw || r->map.nfill > 64) /* the fill of more fields does not fit in raw.fill */
		return;
	st = XXH3_createState();
	if (!st)
		return;
	XXH3_64bits_reset(st);
	fp_str(st, "lotsync raw records 1");
	fp_str(st, builtin_code_id);
	fp_int(st, r->cs);
	fp_int(st, r->bom_over);
	fp_int(st, r->feed->key);
	fp_str(st, r->feed->dealer_id);
	fp_int(st, (long long)r->csv.max_field);
	fp_int(st, (long long)r->csv.max_fields);
	fp_int(st, (long long)r->csv.max_row);
	fp_int(st, hdr != NULL);
	if (hdr)
		fp_bytes(st, hdr, n);
	fp_profile(st, r->p);
	r->fp = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	r->fast = true;
}

bool
reader_raw_fastpath(const struct profile *p)
{
	const char *v = getenv("LOTSYNC_RAW_FASTPATH");

	return p->format == PROFILE_CSV && !(v && strcmp(v, "0") == 0);
}

static void
parse_chunk_whole(struct reader *r, struct chunk *c, struct rowmap_work *work)
{
	struct pcsv_result res;
	struct job j = {.r = r, .work = work, .out = &c->out, .res = &res};

	pcsv_parse_chunk(&r->csv, c->buf, c->len, c->final, on_csv_row, &j, &res);
	c->nlines = res.nlines;
	if (res.error)
		batch_fail(&c->out, res.error_line, res.error);
}

/* libcsv over c->buf[start..end), lines from line0 + 1 on: false when the chunk stops here. */
static bool
parse_piece(struct job *j, struct chunk *c, size_t start, size_t end, unsigned long line0,
            size_t npend)
{
	struct pcsv_result res;

	if (start == end)
		return true;
	j->res = &res;
	j->line0 = line0;
	j->npend = npend;
	j->at = 0;
	j->last_raw = false;
	j->last_line = 0;
	pcsv_parse_chunk(&j->r->csv, c->buf + start, end - start, c->final && end == c->len,
	                 on_csv_row, j, &res);
	if (res.error) {
		batch_fail(&c->out, res.error_line + line0, res.error);
		return false;
	}
	return res.scope <= LS_BAD_RECORD;
}

/*
 * The fast path: records cut by quote parity and hashed; one whose hash is
 * a current record's becomes a BATCH_SAME item (its findings counted at its
 * line), the runs between go through libcsv and the mapper as pieces. Only
 * a record with its line end and no bare CR is hashed (a last record without
 * one may be a cut transfer: libcsv judges it). Line numbers are counted
 * here, LF by LF, exactly as libcsv counts them.
 */
static void
parse_chunk_fast(struct reader *r, struct chunk *c, struct parse_work *w)
{
	struct job j = {.r = r, .work = &w->map, .out = &c->out};
	size_t pos = 0, start = 0, npend = 0;
	unsigned long line = 1, start_line = 1;

	while (pos < c->len) {
		struct pcsv_rec rec;
		long row = -1;
		bool hashed;
		XXH128_hash_t h = {0, 0};

		pcsv_record(c->buf + pos, c->len - pos, r->p->quote, &rec);
		if (!r->bound) {
			/* The header (or a blank line before it): bound by libcsv, then
			 * fingerprinted */
			if (!parse_piece(&j, c, start, pos + rec.len, start_line - 1, 0))
				return;
			if (r->bound)
				fingerprint(r, c->buf + pos, rec.len);
			pos += rec.len;
			line += rec.nlines;
			start = pos;
			start_line = line;
			continue;
		}
		hashed = r->fast && rec.terminated && rec.clean && !rec.blank;
		if (hashed) {
			h = XXH3_128bits_withSeed(c->buf + pos, rec.len, r->fp);
			row = rawset_find(r->raw, h.low64, h.high64);
		}
		if (row >= 0) {
			const struct rawset_row *rr = &r->raw->rows[row];

			j.pend = w->pend;
			if (!parse_piece(&j, c, start, pos, start_line - 1, npend))
				return;
			npend = 0;
			batch_same(&c->out, line, (size_t)row);
			if (rr->r.flags) {
				struct rowmap_stats st;

				stats_unpack(rr->r.flags, rr->key, line, &st);
				rowmap_stats_add(&c->out.st, &st);
			}
			pos += rec.len;
			line += rec.nlines;
			start = pos;
			start_line = line;
			continue;
		}
		if (hashed) {
			w->pend = xgrow(w->pend, &w->apend, npend + 1, sizeof(*w->pend));
			w->pend[npend++] = (struct pend){line, h.low64, h.high64};
		}
		pos += rec.len;
		line += rec.nlines;
	}
	j.pend = w->pend;
	if (parse_piece(&j, c, start, c->len, start_line - 1, npend))
		c->nlines = line - 1;
}

static void
parse_chunk(struct reader *r, struct chunk *c, struct parse_work *w)
{
	batch_reset(&c->out);
	c->nlines = 0;
	if (r->raw)
		parse_chunk_fast(r, c, w);
	else
		parse_chunk_whole(r, c, &w->map);
}

static void
parse_work_init(struct parse_work *w)
{
	memset(w, 0, sizeof(*w));
	rowmap_work_init(&w->map);
}

static void
parse_work_release(struct parse_work *w)
{
	rowmap_work_release(&w->map);
	free(w->pend);
}

struct pipe {
	struct reader *r;
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	struct chunk *slot;
	size_t nslots;
	unsigned long filled, taken; /* chunk sequence numbers */
	bool quit;
	pthread_t tid[MAX_THREADS];
	size_t nthreads;
	char *carry; /* bytes after the last cut: the start of the next chunk */
	size_t ncarry, carry_cap, chunk;
	bool eof, first;
};

static void *
worker(void *arg)
{
	struct pipe *pp = arg;
	struct parse_work work;

	parse_work_init(&work);
	pthread_mutex_lock(&pp->mu);
	for (;;) {
		struct chunk *c;

		while (!pp->quit && (pp->taken == pp->filled ||
		                     pp->slot[pp->taken % pp->nslots].state != C_READY))
			pthread_cond_wait(&pp->work_cv, &pp->mu);
		if (pp->quit)
			break;
		c = &pp->slot[pp->taken++ % pp->nslots];
		c->state = C_BUSY;
		pthread_mutex_unlock(&pp->mu);
		parse_chunk(pp->r, c, &work);
		pthread_mutex_lock(&pp->mu);
		c->state = C_DONE;
		pthread_cond_broadcast(&pp->done_cv);
	}
	pthread_mutex_unlock(&pp->mu);
	parse_work_release(&work);
	return NULL;
}

/* Read into c until it holds a chunk's worth ending at a record boundary, or the file ends. */
static enum ls_scope
fill(struct pipe *pp, struct chunk *c)
{
	struct reader *r = pp->r;
	size_t limit = pp->chunk + r->csv.max_row + READ_PIECE, cut = 0;

	c->len = 0;
	c->buf = xgrow(c->buf, &c->cap, pp->ncarry + pp->chunk + 1, 1);
	if (pp->ncarry)
		memcpy(c->buf, pp->carry, pp->ncarry);
	c->len = pp->ncarry;
	pp->ncarry = 0;
	for (;;) {
		size_t want = pp->chunk > c->len ? pp->chunk - c->len : READ_PIECE;
		ssize_t k;

		want = want > READ_PIECE ? READ_PIECE : want;
		if (!pp->eof && (c->len < pp->chunk || cut == 0)) {
			c->buf = xgrow(c->buf, &c->cap, c->len + want + 1, 1);
			if ((k = input_read(r->in, c->buf + c->len, want)) < 0) {
				file_error(r, 0, input_why(r->in));
				return input_scope(r->in);
			}
			pp->eof = k == 0;
			c->len += (size_t)k;
		}
		/* UTF-32LE's mark starts like UTF-16LE's: tell them apart first. */
		if (pp->first && c->len >= 4 &&
		    (memcmp(c->buf, "\xFF\xFE\0\0", 4) == 0 ||
		     memcmp(c->buf, "\0\0\xFE\xFF", 4) == 0))
			return file_error(r, 1,
			                  "file is UTF-32 (byte order mark): feeds must be "
			                  "UTF-8 or an 8-bit charset");
		if (pp->first && c->len >= 2 &&
		    (((unsigned char)c->buf[0] == 0xFF && (unsigned char)c->buf[1] == 0xFE) ||
		     ((unsigned char)c->buf[0] == 0xFE && (unsigned char)c->buf[1] == 0xFF)))
			return file_error(r, 1,
			                  "file is UTF-16 (byte order mark): feeds must be "
			                  "UTF-8 or an 8-bit charset");
		if (pp->first && c->len >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0) {
			memmove(c->buf, c->buf + 3, c->len - 3); /* the BOM is not data */
			c->len -= 3;
			pp->first = false;
			/* Nothing but a UTF-8 writer puts it there: it beats an 8-bit charset. */
			if (r->cs != CHARSET_UTF8) {
				r->bom_over = r->cs;
				r->cs = CHARSET_UTF8;
				r->map.cs = CHARSET_UTF8; /* positional: bound already */
			}
		}
		if (pp->first && (c->len >= 3 || pp->eof))
			pp->first = false;
		if (pp->eof)
			break;
		if (c->len < pp->chunk)
			continue;
		if ((cut = pcsv_cut(c->buf, c->len, r->csv.quote)) > 0 || c->len >= limit)
			break;
	}
	c->final = pp->eof && !cut;
	if (cut && cut < c->len) {
		pp->carry = xgrow(pp->carry, &pp->carry_cap, c->len - cut, 1);
		memcpy(pp->carry, c->buf + cut, c->len - cut);
		pp->ncarry = c->len - cut;
		c->len = cut;
	}
	/* With the carry moved out, the file ended here only if nothing is left over. */
	c->final = pp->eof && pp->ncarry == 0;
	return LS_OK;
}

static size_t
env_size(const char *name, size_t def, size_t max)
{
	const char *v = getenv(name);
	unsigned long long n;

	if (!v || parse_uint(v, max, &n) == -1 || n == 0)
		return def;
	return (size_t)n;
}

static size_t
thread_count(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	cores = cores < 1 ? 1 : cores > MAX_THREADS ? MAX_THREADS : cores;
	return env_size("LOTSYNC_PARSE_THREADS", (size_t)cores, MAX_THREADS);
}

static void
start_workers(struct pipe *pp, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (pthread_create(&pp->tid[pp->nthreads], NULL, worker, pp) != 0) {
			log_warn("cannot start a parser thread; going on with %zu", pp->nthreads);
			break;
		}
		pp->nthreads++;
	}
}

static void
stop_workers(struct pipe *pp)
{
	pthread_mutex_lock(&pp->mu);
	pp->quit = true;
	pthread_cond_broadcast(&pp->work_cv);
	pthread_mutex_unlock(&pp->mu);
	for (size_t i = 0; i < pp->nthreads; i++)
		pthread_join(pp->tid[i], NULL);
	pp->nthreads = 0;
}

/*
 * The calling thread reads and cuts chunks and consumes them in order;
 * workers parse and map them. The first chunk (with the header) is done
 * here before any worker starts, so the binding is fixed when they read it.
 */
static enum ls_scope
csv_pipeline(struct reader *r)
{
	struct pipe pp = {.r = r, .first = true};
	size_t threads = thread_count();
	unsigned long consumed = 0, base = 0;
	struct parse_work work;
	enum ls_scope sc = LS_OK;

	pp.chunk = env_size("LOTSYNC_PARSE_CHUNK", CHUNK_DEFAULT, (size_t)1 << 30);
	pp.nslots = threads > 1 ? 2 * threads + 2 : 1;
	pp.slot = xcalloc(pp.nslots, sizeof(*pp.slot));
	for (size_t i = 0; i < pp.nslots; i++)
		batch_init(&pp.slot[i].out);
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.work_cv, NULL);
	pthread_cond_init(&pp.done_cv, NULL);
	parse_work_init(&work);
	while (sc <= LS_BAD_RECORD) {
		struct chunk *c;

		/* Keep every free slot filled and queued for the workers. */
		while (!pp.eof && pp.filled - consumed < pp.nslots && sc <= LS_BAD_RECORD) {
			c = &pp.slot[pp.filled % pp.nslots];
			if ((sc = fill(&pp, c)) != LS_OK)
				break;
			if (pp.nthreads == 0) {
				parse_chunk(r, c, &work); /* no workers (yet): parse here */
				c->state = C_DONE;
				pp.filled++;
				pp.taken++;
				break; /* and consume it before reading on */
			}
			pthread_mutex_lock(&pp.mu);
			c->state = C_READY;
			pp.filled++;
			pthread_cond_signal(&pp.work_cv);
			pthread_mutex_unlock(&pp.mu);
		}
		if (sc > LS_BAD_RECORD || consumed == pp.filled)
			break;
		c = &pp.slot[consumed % pp.nslots];
		pthread_mutex_lock(&pp.mu);
		while (c->state != C_DONE)
			pthread_cond_wait(&pp.done_cv, &pp.mu);
		pthread_mutex_unlock(&pp.mu);
		sc = consume(r, &c->out, base);
		base += c->nlines;
		pthread_mutex_lock(&pp.mu);
		c->state = C_FREE;
		pthread_mutex_unlock(&pp.mu);
		consumed++;
		/* The header is bound: a file of more than one chunk is worth the threads. */
		if (consumed == 1 && !pp.eof && threads > 1 && r->bound)
			start_workers(&pp, threads);
	}
	stop_workers(&pp);
	parse_work_release(&work);
	for (size_t i = 0; i < pp.nslots; i++) {
		batch_release(&pp.slot[i].out);
		free(pp.slot[i].buf);
	}
	free(pp.slot);
	free(pp.carry);
	pthread_cond_destroy(&pp.work_cv);
	pthread_cond_destroy(&pp.done_cv);
	pthread_mutex_destroy(&pp.mu);
	return sc;
}

/* The header's columns and the fields they map, for the drift guard (reader_cb.columns). */
static enum ls_scope
report_columns(struct reader *r)
{
	const struct rowmap *m = &r->map;
	const char **names = xcalloc(m->ncols + 1, sizeof(*names));
	const char **fields = xcalloc(m->ncols + 1, sizeof(*fields));
	size_t n = 0;
	enum ls_scope sc;

	for (size_t c = 0; c < m->ncols; c++) {
		names[n] = m->cols[c].source;
		fields[n++] = m->cols[c].map ? m->cols[c].map->field : NULL;
	}
	sc = r->cb->columns(r->cb->ctx, names, fields, n);
	free(names);
	free(fields);
	return sc;
}

static enum ls_scope
read_csv(struct reader *r)
{
	char *why = NULL;
	enum ls_scope sc;

	r->csv = (struct pcsv_opts){.delimiter = r->p->delimiter, .quote = r->p->quote};
	r->csv.max_field = LS_MAX_CSV_FIELD;
	r->csv.max_fields = LS_MAX_CSV_FIELDS;
	r->csv.max_row = LS_MAX_CSV_ROW;
	if (!r->p->header) {
		if (rowmap_bind_positional(&r->map, r->p, r->feed, r->cs, &why) == -1) {
			file_error(r, 0, why);
			free(why);
			rowmap_release(&r->map);
			return LS_BAD_FILE;
		}
		r->bound = true;
		fingerprint(r, NULL, 0);
	}
	/* No header at all (blank lines only) is an empty file: held by the vanish guard (SPEC §6).
	 */
	sc = csv_pipeline(r);
	if (sc <= LS_BAD_RECORD && r->bound && !r->map.positional && r->cb->columns)
		sc = report_columns(r);
	rowmap_release(&r->map);
	return sc;
}

/* ---- XML: parsed on one thread, mapped and delivered on the caller's ---- */

#define XSLOTS      4
#define XSLOT_BYTES ((size_t)512 * 1024)

struct xml_read {
	struct reader *r;
	struct rowmap_work work;
	struct batch b;
};

/* Map one record and hand it on. */
static enum ls_scope
map_xml_record(struct xml_read *x, const struct xml_record *rec)
{
	const struct rowmap *m = &x->r->map;
	struct rowmap_row row = {.line = rec->line,
	                         .where = rec->where,
	                         .vals = rec->vals,
	                         .nvals = m->ncols,
	                         .extras = rec->extras,
	                         .nextras = rec->nextras};
	enum ls_scope sc;

	batch_reset(&x->b);
	if (rec->repeated) {
		const char *field = NULL;

		for (size_t c = 0; c < m->ncols && !field; c++)
			if (m->cols[c].source == rec->repeated)
				field = m->cols[c].map->field;
		char key[256];

		rowmap_reject(&x->b, rec->line, field, "element %s occurs more than once in %s",
		              rec->repeated, rec->where);
		if (rowmap_row_key(m, &row, key, sizeof(key)))
			x->b.items[x->b.n - 1].key =
			        memcpy(batch_alloc(&x->b, strlen(key) + 1), key, strlen(key) + 1);
	} else if ((sc = rowmap_map(m, &x->work, &row, &x->b)) > LS_BAD_RECORD) {
		return sc;
	}
	return consume(x->r, &x->b, 0);
}

static enum ls_scope
on_xml_record(void *ctx, const struct xml_record *rec)
{
	return map_xml_record(ctx, rec);
}

/* Records copied out of the parser, a slot at a time. */
struct xslot {
	struct batch mem; /* the copies live in its arena */
	struct xml_record *recs;
	size_t n, alloc, bytes;
	bool last;
};

struct xpipe {
	struct reader *r;
	const struct xml_opts *o;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct xslot slot[XSLOTS];
	struct xslot *cur;           /* being filled by the parser thread */
	unsigned long filled, taken; /* slots published, slots consumed */
	bool stop, done;             /* the consumer wants no more; the parser ended */
	enum ls_scope sc;            /* how the parse ended */
	char *why;
	unsigned long line;
};

static const char *
copy_bytes(struct batch *b, const char *p, size_t n)
{
	char *d = batch_alloc(b, n + 1);

	memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

/* Parser thread: wait for a free slot; false when the consumer stopped. */
static bool
xslot_take(struct xpipe *xp)
{
	pthread_mutex_lock(&xp->mu);
	while (!xp->stop && xp->filled - xp->taken >= XSLOTS)
		pthread_cond_wait(&xp->cv, &xp->mu);
	if (!xp->stop) {
		xp->cur = &xp->slot[xp->filled % XSLOTS];
		batch_reset(&xp->cur->mem);
		xp->cur->n = xp->cur->bytes = 0;
		xp->cur->last = false;
	}
	pthread_mutex_unlock(&xp->mu);
	return !xp->stop;
}

static void
xslot_publish(struct xpipe *xp, bool last)
{
	pthread_mutex_lock(&xp->mu);
	xp->cur->last = last;
	xp->filled++;
	xp->cur = NULL;
	pthread_cond_broadcast(&xp->cv);
	pthread_mutex_unlock(&xp->mu);
}

static enum ls_scope
on_xml_copy(void *ctx, const struct xml_record *rec)
{
	struct xpipe *xp = ctx;
	struct xml_record *c;
	struct span *vals;
	struct named_span *ex;
	struct batch *b;

	if (!xp->cur && !xslot_take(xp))
		return LS_BAD_RUN; /* stop parsing: nobody reads on */
	b = &xp->cur->mem;
	xp->cur->recs = xgrow(xp->cur->recs, &xp->cur->alloc, xp->cur->n + 1, sizeof(*c));
	c = &xp->cur->recs[xp->cur->n++];
	*c = *rec;
	c->where = copy_bytes(b, rec->where, strlen(rec->where));
	c->vals = vals = batch_alloc(b, (xp->o->npaths + 1) * sizeof(*vals));
	for (size_t i = 0; i < xp->o->npaths; i++) {
		vals[i].n = rec->vals[i].n;
		vals[i].p = vals[i].n ? copy_bytes(b, rec->vals[i].p, vals[i].n) : NULL;
		xp->cur->bytes += vals[i].n;
	}
	c->extras = ex = batch_alloc(b, (rec->nextras + 1) * sizeof(*ex));
	for (size_t i = 0; i < rec->nextras; i++) {
		ex[i] = rec->extras[i];
		ex[i].name = copy_bytes(b, rec->extras[i].name, rec->extras[i].nlen);
		ex[i].p = copy_bytes(b, rec->extras[i].p, rec->extras[i].n);
		xp->cur->bytes += ex[i].nlen + ex[i].n;
	}
	if (xp->cur->bytes >= XSLOT_BYTES)
		xslot_publish(xp, false);
	return LS_OK;
}

static void *
xml_parser_thread(void *arg)
{
	struct xpipe *xp = arg;

	xp->sc = parse_xml(xp->r->in, xp->o, on_xml_copy, xp, &xp->why, &xp->line);
	if (xp->cur || xslot_take(xp))
		xslot_publish(xp, true);
	pthread_mutex_lock(&xp->mu);
	xp->done = true;
	pthread_cond_broadcast(&xp->cv);
	pthread_mutex_unlock(&xp->mu);
	return NULL;
}

/*
 * libxml2's reader is one stream, so the parallelism is a pipeline: its
 * thread parses and copies records into slots, this one maps and hands
 * them on in order. At most XSLOTS slots are in flight.
 */
static enum ls_scope
xml_pipeline(struct xml_read *x, const struct xml_opts *o, char **why, unsigned long *line)
{
	struct xpipe xp = {.r = x->r, .o = o};
	enum ls_scope sc = LS_OK;
	pthread_t tid;

	pthread_mutex_init(&xp.mu, NULL);
	pthread_cond_init(&xp.cv, NULL);
	for (size_t i = 0; i < XSLOTS; i++)
		batch_init(&xp.slot[i].mem);
	if (pthread_create(&tid, NULL, xml_parser_thread, &xp) != 0) {
		log_warn("cannot start the XML parser thread; parsing here");
		sc = parse_xml(x->r->in, o, on_xml_record, x, why, line);
		goto out;
	}
	for (;;) {
		struct xslot *s;
		bool last;

		pthread_mutex_lock(&xp.mu);
		while (xp.taken == xp.filled && !xp.done)
			pthread_cond_wait(&xp.cv, &xp.mu);
		if (xp.taken == xp.filled) {
			pthread_mutex_unlock(&xp.mu);
			break;
		}
		s = &xp.slot[xp.taken % XSLOTS];
		pthread_mutex_unlock(&xp.mu);
		for (size_t i = 0; i < s->n && sc <= LS_BAD_RECORD; i++)
			sc = map_xml_record(x, &s->recs[i]);
		last = s->last;
		pthread_mutex_lock(&xp.mu);
		xp.taken++;
		xp.stop = sc > LS_BAD_RECORD;
		pthread_cond_broadcast(&xp.cv);
		pthread_mutex_unlock(&xp.mu);
		if (last || sc > LS_BAD_RECORD)
			break;
	}
	pthread_join(tid, NULL);
	if (sc <= LS_BAD_RECORD)
		sc = xp.sc;
	*why = xp.why;
	*line = xp.line;
	xp.why = NULL;
out:
	free(xp.why);
	for (size_t i = 0; i < XSLOTS; i++) {
		batch_release(&xp.slot[i].mem);
		free(xp.slot[i].recs);
	}
	pthread_cond_destroy(&xp.cv);
	pthread_mutex_destroy(&xp.mu);
	return sc;
}

static enum ls_scope
read_xml(struct reader *r)
{
	struct xml_read x = {.r = r};
	struct xml_opts o = {.root = r->p->record_root,
	                     .mid = (const char *const *)r->p->record_mid,
	                     .nmid = r->p->nmid,
	                     .record = r->p->record_element,
	                     .anywhere = r->p->record_anywhere};
	const char **paths;
	char *joins, *why = NULL;
	char *origin = xasprintf("%s:%d", r->p->path ? r->p->path : r->p->name, r->p->record_line);
	unsigned long line = 0;
	enum ls_scope sc;

	if (rowmap_bind_xml(&r->map, r->p, r->feed, &why) == -1) {
		file_error(r, 0, why);
		free(why);
		free(origin);
		rowmap_release(&r->map);
		return LS_BAD_FILE;
	}
	paths = xcalloc(r->map.ncols + 1, sizeof(*paths));
	joins = xcalloc(r->map.ncols + 1, 1);
	for (size_t c = 0; c < r->map.ncols; c++) {
		paths[c] = r->map.cols[c].source;
		joins[c] = r->map.cols[c].map->list_sep;
	}
	o.paths = paths;
	o.origin = origin;
	o.joins = joins;
	o.npaths = r->map.ncols;
	/* An explicit 8-bit charset overrides what the document declares. */
	if (r->cs == CHARSET_WINDOWS_1252 || r->cs == CHARSET_ISO_8859_15)
		o.encoding = r->cs == CHARSET_WINDOWS_1252 ? "WINDOWS-1252" : "ISO-8859-15";
	rowmap_work_init(&x.work);
	batch_init(&x.b);
	if (thread_count() > 1)
		sc = xml_pipeline(&x, &o, &why, &line);
	else
		sc = parse_xml(r->in, &o, on_xml_record, &x, &why, &line);
	if (sc == LS_BAD_FILE && !r->why)
		file_error(r, line, why);
	free(why);
	batch_release(&x.b);
	rowmap_work_release(&x.work);
	free(paths);
	free(joins);
	free(origin);
	rowmap_release(&r->map);
	return sc;
}

/* ---- the entry points ---- */

static enum ls_scope
read_input(struct reader *r)
{
	enum ls_scope sc;
	char probe[1];
	ssize_t k;

	/* A 0-byte file has no vehicles: an empty snapshot, held by the vanish guard (SPEC §6). */
	if ((k = input_read(r->in, probe, 1)) == 0)
		return LS_OK;
	if (k < 0 || input_rewind(r->in) == -1) {
		file_error(r, 0, input_why(r->in));
		return input_scope(r->in);
	}
	if (r->p->format == PROFILE_CSV && r->cs == CHARSET_AUTO)
		resolve_auto(r);
	if (r->cs == CHARSET_AUTO)
		r->cs = CHARSET_UTF8; /* XML: its declaration decides */
	sc = r->p->format == PROFILE_XML ? read_xml(r) : read_csv(r);
	if (sc <= LS_BAD_RECORD)
		sc = file_warnings(r);
	log_debug("%s: %lu records (%lu with the raw bytes of a current one), %lu rejected (%s)",
	          r->name, r->records, r->same, r->rejects, charset_name(r->cs));
	return sc;
}

static enum ls_scope
finish(struct reader *r, enum ls_scope sc, char **why)
{
	if (sc == LS_BAD_FILE || (sc == LS_BAD_FEED && r->why)) {
		const char *d = r->in ? input_describe(r->in) : NULL;
		char *msg = d ? xasprintf("%s (%s)", r->why, d) : xstrdup(r->why);

		log_error("%s", msg);
		*why = msg;
	}
	free(r->why);
	input_close(r->in);
	return sc;
}

static void
reader_init(struct reader *r, const struct profile *p, const struct feed_conf *feed,
            const char *name, const struct reader_cb *cb)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->feed = feed;
	r->name = name;
	r->cb = cb;
	r->cs = p->charset;
	r->bom_over = CHARSET_UTF8;
	/* Work orders have their own reader (wo_map.h); XML records are not cut here. */
	r->raw = cb->raw && cb->same && cb->same_fields && reader_raw_fastpath(p) ? cb->raw : NULL;
	if (feed->charset && charset_from_name(feed->charset, &r->cs) == -1)
		r->cs = p->charset; /* config.c checked the name already */
	rowmap_stats_init(&r->st);
}

enum ls_scope
reader_read(const struct profile *p, const struct feed_conf *feed, const char *path,
            const char *name, const struct reader_cb *cb, char **why)
{
	struct reader r;
	char *owhy = NULL;
	enum ls_scope sc;

	*why = NULL;
	reader_init(&r, p, feed, name, cb);
	sc = input_open(path, p->format == PROFILE_XML ? "xml" : "csv", &r.in, &owhy);
	if (sc == LS_BAD_FILE) {
		file_error(&r, 0, owhy);
		free(owhy);
		return finish(&r, sc, why);
	}
	if (sc != LS_OK)
		return finish(&r, sc, why);
	return finish(&r, read_input(&r), why);
}

enum ls_scope
reader_read_mem(const struct profile *p, const struct feed_conf *feed, const void *data, size_t len,
                const char *name, const struct reader_cb *cb, char **why)
{
	struct reader r;

	*why = NULL;
	reader_init(&r, p, feed, name, cb);
	r.in = input_open_mem(data, len);
	return finish(&r, read_input(&r), why);
}
