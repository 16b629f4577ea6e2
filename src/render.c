/*
 * render.c - vehicles through a format into bytes (see render.h).
 *
 * This is the hot path of a full export (a million vehicles in one file),
 * so a row is never built as a struct record: the stored JSON is scanned
 * once, values that need no unescaping are used in place, and only the
 * fields the format reads are picked out, by a merge of the record's
 * sorted keys with the format's sorted field list. Cells go straight into
 * one output buffer; iconv runs only on cells holding non-ASCII bytes.
 */
#include "lotsync/render.h"

#include <errno.h>
#include <iconv.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/buf.h"
#include "lotsync/fsio.h"
#include "lotsync/handoff.h"
#include "lotsync/limits.h"
#include "lotsync/log.h"
#include "lotsync/normalize.h"
#include "lotsync/util.h"

#define OUT_CAP (1u << 20)

/* Characters that make a spreadsheet read a cell as a formula (CWE-1236). */
static const bool formula_start[256] = {
        ['='] = 1, ['+'] = 1, ['-'] = 1, ['@'] = 1, ['\t'] = 1, ['\r'] = 1};

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/*
 * Word-at-a-time byte search (the classic has-zero-byte trick): the lowest
 * set bit marks the first byte of w equal to the repeated byte in pat.
 */
static inline uint64_t
bytes_eq(uint64_t w, uint64_t pat)
{
	uint64_t x = w ^ pat;

	return (x - ONES) & ~x & HIGHS;
}

static inline uint64_t
load64(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/*
 * The file's bytes are written and hashed on a thread of their own (a
 * handoff of depth 1) while the next buffer fills: a full export spends a
 * fifth of its rendering in write(2) and SHA-256. One buffer is handed over
 * at a time, so the bytes reach the file and the digest in order.
 */
struct chunk {
	const char *p;
	size_t n;
};

struct render {
	const struct format *f;
	int fd;
	const char *label;
	bool delta;
	char *out, *spare; /* the buffer being filled; the one the writer may hold */
	size_t olen, ocap, spare_cap;
	struct handoff *w;  /* the writer thread; NULL once stopped */
	struct chunk chunk; /* what it holds */
	int err;            /* errno of the first failed write, once the writer stopped */
	const char **val;
	size_t *vlen;
	struct buf scratch; /* unescaped JSON strings of the current row */
	struct buf tmp;     /* a cell's value after its kind's formatting */
	struct buf conv;    /* ... after charset conversion or XML escaping */
	bool toobig;        /* a buffer refused bytes at LS_MAX_RENDER_CELL */
	iconv_t cd;         /* UTF-8 -> charset, or (iconv_t)-1 for UTF-8 output */
	iconv_t cd_tr;      /* the same //TRANSLIT, opened at the first need */
	const char *key;    /* vehicle being written, for messages */
	long long rows, bytes, warnings, skipped;
	EVP_MD_CTX *sha;       /* SHA-256 of the bytes written, so the file is not read again */
	bool special[256];     /* csv: bytes that force quoting */
	uint64_t special_w[4]; /* the same four, repeated in a word */
};

/*
 * Append to one of the row's buffers. Their cap is never reached by what
 * ingest stores; should it be, the row fails (render_json() says so)
 * rather than be written short.
 */
static void
sb_reserve(struct render *r, struct buf *b, size_t more)
{
	if (buf_grow(b, more) == -1)
		r->toobig = true;
}

static void
sb_put(struct render *r, struct buf *b, const char *s, size_t n)
{
	if (buf_append(b, s, n) == -1)
		r->toobig = true;
}

static void
sb_puts(struct render *r, struct buf *b, const char *s)
{
	sb_put(r, b, s, strlen(s));
}

/* --- output ------------------------------------------------------------- */

/* Write and hash a chunk (on the writer thread); errno when the write failed, else 0. */
static int
out_write(void *item, void *arg)
{
	const struct chunk *c = item;
	struct render *r = arg;

	if (fsio_write_all(r->fd, c->p, c->n) == -1)
		return errno ? errno : EIO;
	EVP_DigestUpdate(r->sha, c->p, c->n);
	r->bytes += (long long)c->n;
	return 0;
}

/* The writer's last buffer written, the thread ended, its error kept (idempotent). */
static void
writer_stop(struct render *r)
{
	int err;

	if (!r->w)
		return;
	if ((err = handoff_drain(r->w)) != 0 && !r->err)
		r->err = err;
	handoff_free(r->w);
	r->w = NULL;
}

static void
out_flush(struct render *r)
{
	char *p = r->out;
	size_t cap = r->ocap;

	if (!r->olen)
		return;
	/* hand the filled buffer over once the writer is done with the other; fill that one */
	if (handoff_drain(r->w) == 0) {
		r->chunk = (struct chunk){p, r->olen};
		handoff_put(r->w, &r->chunk);
		r->out = r->spare;
		r->ocap = r->spare_cap;
		r->spare = p;
		r->spare_cap = cap;
	}
	r->olen = 0;
}

/* Room for n more bytes at r->out + r->olen. */
static char *
out_reserve(struct render *r, size_t n)
{
	if (r->olen + n > r->ocap) {
		out_flush(r);
		if (n > r->ocap) {
			r->ocap = n;
			r->out = xrealloc(r->out, r->ocap);
		}
	}
	return r->out + r->olen;
}

static void
out_put(struct render *r, const char *s, size_t n)
{
	memcpy(out_reserve(r, n), s, n);
	r->olen += n;
}

static void
out_eol(struct render *r)
{
	if (r->f->crlf)
		out_put(r, "\r\n", 2);
	else
		out_put(r, "\n", 1);
}

/* --- messages ----------------------------------------------------------- */

static void cell_warn(struct render *r, const struct format_column *c, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void
cell_warn(struct render *r, const struct format_column *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (++r->warnings > RENDER_WARN_SHOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!c)
		log_warn("%s: header: %s", r->label, msg);
	else if (r->f->positional)
		log_warn("%s: vehicle %s, column %s (%s): %s", r->label, r->key, c->name,
		         c->field ? c->field : "constant", msg);
	else
		log_warn("%s: vehicle %s, column %s: %s", r->label, r->key, c->name, msg);
}

/* --- charset ------------------------------------------------------------ */

static bool
has_high_bit(const char *s, size_t n)
{
	size_t i = 0;

	/* A word at a time: exports are mostly ASCII. */
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ull)
			return true;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] & 0x80)
			return true;
	return false;
}

/* Length and code point of the UTF-8 sequence at s (n > 0); 0 when invalid. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = s[0] < 0x80             ? 1
	             : (s[0] & 0xe0) == 0xc0 ? 2
	             : (s[0] & 0xf0) == 0xe0 ? 3
	             : (s[0] & 0xf8) == 0xf0 ? 4
	                                     : 0;

	if (len == 0 || len > n)
		return 0;
	*cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return len;
}

/* What CSV output gets for a character the charset lacks: iconv's guess or '?'. */
static void
substitute(struct render *r, const char *seq, size_t n, struct buf *out, char *shown, size_t cap)
{
	char buf[16], *o = buf;
	char *in = (char *)seq;
	size_t inleft = n, outleft = sizeof(buf);

	if (r->cd_tr == (iconv_t)-1) {
		char *name = xasprintf("%s//TRANSLIT", r->f->charset);

		r->cd_tr = iconv_open(name, "UTF-8");
		free(name);
	}
	if (r->cd_tr != (iconv_t)-1) {
		iconv(r->cd_tr, NULL, NULL, NULL, NULL);
		if (iconv(r->cd_tr, &in, &inleft, &o, &outleft) == (size_t)-1 || o == buf)
			o = buf;
	}
	if (o == buf)
		*o++ = '?';
	sb_put(r, out, buf, (size_t)(o - buf));
	/* The substitute is in the output charset; ASCII is all a log line needs. */
	for (size_t i = 0; i + 1 < cap; i++) {
		shown[i] = i < (size_t)(o - buf) && (unsigned char)buf[i] < 0x80 ? buf[i] : '\0';
		if (!shown[i])
			break;
	}
	shown[cap - 1] = '\0';
}

/*
 * Convert v[0..n) from UTF-8 into r->conv in the output charset. CSV gets
 * a substitute and a warning for what the charset lacks; XML a character
 * reference, which loses nothing.
 */
static void
to_charset(struct render *r, const struct format_column *c, const char **v, size_t *n)
{
	struct buf *b = &r->conv;
	char *in = (char *)*v;
	size_t inleft = *n;

	buf_reset(b);
	iconv(r->cd, NULL, NULL, NULL, NULL);
	while (inleft > 0) {
		size_t outleft, rc;
		char *o;

		if (buf_grow(b, inleft + 16) == -1) {
			r->toobig = true;
			break;
		}
		o = b->p + b->len;
		outleft = b->alloc - b->len - 1;
		rc = iconv(r->cd, &in, &inleft, &o, &outleft);
		buf_setlen(b, (size_t)(o - b->p));
		if (rc != (size_t)-1 || errno == E2BIG)
			continue;
		{
			uint32_t cp = 0;
			size_t len = utf8_decode((unsigned char *)in, inleft, &cp);
			char shown[8], ref[16];

			if (len == 0) {
				sb_put(r, b, "?", 1);
				cell_warn(r, c, "byte 0x%02x is not UTF-8; wrote '?'",
				          (unsigned char)*in);
				len = 1;
			} else if (r->f->type == FORMAT_XML) {
				snprintf(ref, sizeof(ref), "&#x%X;", (unsigned)cp);
				sb_puts(r, b, ref);
			} else {
				substitute(r, in, len, b, shown, sizeof(shown));
				cell_warn(r, c, "U+%04X '%.*s' cannot be written in %s; wrote '%s'",
				          (unsigned)cp, (int)len, in, r->f->charset, shown);
			}
			in += len;
			inleft -= len;
			iconv(r->cd, NULL, NULL, NULL, NULL);
		}
	}
	*v = b->p;
	*n = b->len;
}

/* --- value formatting --------------------------------------------------- */

/* Minor units ("-123456") -> "-1234.56" with the column's decimals. */
static int
fmt_money(struct render *r, const struct format_column *c, const char *v, size_t n)
{
	unsigned long long units = 0, cents, minor = 0;
	bool neg = n > 0 && v[0] == '-';
	char buf[48], *p;
	int decimals = c->decimals;

	if (n - neg == 0 || n - neg > 18)
		return -1;
	for (size_t i = neg; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		minor = minor * 10 + (unsigned)(v[i] - '0');
	}
	units = minor / 100;
	cents = minor % 100;
	if (decimals == FORMAT_DECIMALS_AUTO)
		decimals = cents ? 2 : 0;
	if (decimals == 0) {
		units += cents >= 50; /* half away from zero */
		cents = 0;
	} else if (decimals == 1) {
		cents = (cents + 5) / 10;
		if (cents == 10) {
			units++;
			cents = 0;
		}
	}
	neg = neg && (units || cents);
	/* by hand, backwards: snprintf() showed in profiles of million-row exports */
	p = buf + sizeof(buf);
	if (decimals > 0) {
		if (decimals == 2)
			*--p = (char)('0' + cents % 10), cents /= 10;
		*--p = (char)('0' + cents % 10);
		*--p = r->f->decimal_sep;
	}
	do
		*--p = (char)('0' + units % 10);
	while ((units /= 10) != 0);
	if (neg)
		*--p = '-';
	sb_put(r, &r->tmp, p, (size_t)(buf + sizeof(buf) - p));
	return 0;
}

static bool
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "2019-06-30" through a pattern of YYYY, YY, MM, DD and literal text. */
static int
fmt_date(struct render *r, const struct format_column *c, const char *v, size_t n)
{
	const char *p = c->date;

	if (n != 10 || v[4] != '-' || v[7] != '-' || !digits(v, 4) || !digits(v + 5, 2) ||
	    !digits(v + 8, 2))
		return -1;
	while (*p) {
		if (!strncmp(p, "YYYY", 4)) {
			sb_put(r, &r->tmp, v, 4);
			p += 4;
		} else if (!strncmp(p, "YY", 2)) {
			sb_put(r, &r->tmp, v + 2, 2);
			p += 2;
		} else if (!strncmp(p, "MM", 2)) {
			sb_put(r, &r->tmp, v + 5, 2);
			p += 2;
		} else if (!strncmp(p, "DD", 2)) {
			sb_put(r, &r->tmp, v + 8, 2);
			p += 2;
		} else {
			sb_put(r, &r->tmp, p++, 1);
		}
	}
	return 0;
}

/* Canonical lists are joined with '|': pick items, join with the column's separator. */
static void
fmt_list(struct render *r, const struct format_column *c, const char *v, size_t n)
{
	const char *join = c->join ? c->join : r->f->list_sep;
	const char *bar = memchr(v, '|', n), *end = v + n;
	size_t jl = strlen(join);

	if (c->item > 0) {
		for (int k = 1; k < c->item; k++) {
			if (!bar)
				return;
			v = bar + 1;
			bar = memchr(v, '|', (size_t)(end - v));
		}
		end = bar ? bar : end;
	} else if (c->items == ITEMS_FIRST) {
		end = bar ? bar : end;
	} else if (c->items == ITEMS_REST) {
		if (!bar)
			return;
		v = bar + 1;
	}
	while (v < end) {
		const char *q = memchr(v, '|', (size_t)(end - v));

		if (!q) {
			sb_put(r, &r->tmp, v, (size_t)(end - v));
			break;
		}
		sb_put(r, &r->tmp, v, (size_t)(q - v));
		sb_put(r, &r->tmp, join, jl);
		v = q + 1;
	}
}

/* The decimal digits of v, backwards from the end of buf; returns where they start. */
static char *
put_ull(char *end, unsigned long long v)
{
	char *p = end;

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return p;
}

/*
 * A mileage in the unit the column asks for, with that unit's word when
 * with_unit: converted from the vehicle's own unit, never labelled with one
 * it does not have. -1 when the value or its unit cannot be read. Digits
 * are read and written in place (no copy, no printf): this runs for every
 * vehicle of a full export.
 */
static int
fmt_mileage(struct render *r, const struct format_column *c, const char *v, size_t n)
{
	static const char *const words[] = {"km", "miles", "mil"};
	size_t s = r->f->unit_slot;
	enum mileage_unit from;
	unsigned long long raw;
	long long val;
	char num[NORM_NUM_MAX], *p;

	if (s == (size_t)-1 || !r->val[s] ||
	    norm_mileage_unit(r->val[s], r->vlen[s], &from) != NULL)
		return -1;
	/* what parse_uint() took from the C string, read in place */
	if (parse_uint_n(v, n, (unsigned long long)1 << 50, &raw) == -1)
		return -1;
	val = (long long)raw;
	if (c->unit >= 0) {
		val = mileage_convert(val, from, (enum mileage_unit)c->unit);
		from = (enum mileage_unit)c->unit;
	}
	if (val < 0) {
		p = put_ull(num + sizeof(num), 0ull - (unsigned long long)val);
		*--p = '-';
	} else {
		p = put_ull(num + sizeof(num), (unsigned long long)val);
	}
	sb_put(r, &r->tmp, p, (size_t)(num + sizeof(num) - p));
	if (c->with_unit) {
		sb_put(r, &r->tmp, " ", 1);
		sb_puts(r, &r->tmp, words[from]);
	}
	return 0;
}

static void
apply_kind(struct render *r, const struct format_column *c, const char **v, size_t *n)
{
	size_t start = r->tmp.len;

	switch (c->kind) {
	case COL_NUMBER:
		if (c->unit < 0 && !c->with_unit)
			return;
		if (fmt_mileage(r, c, *v, *n) == -1) {
			cell_warn(r, c,
			          "mileage '%.*s' has no known unit (mileage_unit); left empty "
			          "rather than written in a unit it may not have",
			          (int)(*n > 40 ? 40 : *n), *v);
			r->tmp.len = start;
			*v = "";
			*n = 0;
			return;
		}
		break;
	case COL_MONEY:
		if (fmt_money(r, c, *v, *n) == -1) {
			cell_warn(r, c, "'%.*s' is not an amount in minor units; written as stored",
			          (int)(*n > 40 ? 40 : *n), *v);
			return;
		}
		break;
	case COL_DATE:
		if (!c->date)
			return;
		if (fmt_date(r, c, *v, *n) == -1) {
			cell_warn(r, c, "'%.*s' is not a YYYY-MM-DD date; written as stored",
			          (int)(*n > 40 ? 40 : *n), *v);
			return;
		}
		break;
	case COL_LIST:
		if (c->items == ITEMS_ALL && !c->item && !c->join && !strcmp(r->f->list_sep, "|"))
			return;
		fmt_list(r, c, *v, *n);
		break;
	default: return;
	}
	*n = r->tmp.len - start;
	*v = *n ? r->tmp.p + start : "";
}

/* Wrap a non-empty value in prefix, currency and suffix. */
static void
decorate(struct render *r, const struct format_column *c, const char **v, size_t *n)
{
	const char *cur = NULL;
	size_t curlen = 0, start = r->tmp.len, off = 0;
	bool in_tmp = r->tmp.len > 0; /* apply_kind() left the value in r->tmp */

	if (c->with_currency) {
		size_t s = r->f->currency_slot;

		cur = r->val[s] ? r->val[s] : r->f->currency;
		curlen = r->val[s] ? r->vlen[s] : cur ? strlen(cur) : 0;
	}
	if (*n == 0 || (!c->prefix && !c->suffix && !cur))
		return;
	if (in_tmp)
		off = (size_t)(*v - r->tmp.p); /* an offset survives the realloc below */
	if (c->prefix)
		sb_puts(r, &r->tmp, c->prefix);
	if (buf_grow(&r->tmp, *n) == -1) {
		r->toobig = true;
		return;
	}
	memcpy(r->tmp.p + r->tmp.len, in_tmp ? r->tmp.p + off : *v, *n);
	buf_setlen(&r->tmp, r->tmp.len + *n);
	if (cur) {
		sb_put(r, &r->tmp, " ", 1);
		sb_put(r, &r->tmp, cur, curlen);
	}
	if (c->suffix)
		sb_puts(r, &r->tmp, c->suffix);
	*v = r->tmp.p + start;
	*n = r->tmp.len - start;
}

/* The text of column c for the current row (before charset and quoting). */
static void
cell_value(struct render *r, const struct format_column *c, const char **v, size_t *n)
{
	buf_reset(&r->tmp);
	if (c->kind == COL_CONST) {
		*v = c->constant;
		*n = strlen(c->constant);
		return;
	}
	*v = r->val[c->slot];
	*n = r->vlen[c->slot];
	if (!*v || !*n) {
		*v = c->dflt ? c->dflt : "";
		*n = strlen(*v);
	}
	for (size_t i = 0; i < c->nmaps; i++)
		if (strlen(c->maps[i].from) == *n && !memcmp(c->maps[i].from, *v, *n)) {
			*v = c->maps[i].to;
			*n = strlen(*v);
			return; /* a mapped value is final */
		}
	if (!*n)
		return;
	apply_kind(r, c, v, n);
	decorate(r, c, v, n);
}

/* --- CSV ---------------------------------------------------------------- */

static bool
guarded(const struct format_column *c, const char *v, size_t n)
{
	return c && c->guard && n > 0 && formula_start[(unsigned char)v[0]];
}

static void
csv_quoted(struct render *r, const char *g, size_t glen, const char *v, size_t n)
{
	char q = r->f->quote;
	char *o = out_reserve(r, 2 * n + glen + 2), *start = o;

	*o++ = q;
	memcpy(o, g, glen);
	o += glen;
	while (n > 0) {
		const char *hit = memchr(v, q, n);
		size_t k = hit ? (size_t)(hit - v) + 1 : n;

		memcpy(o, v, k);
		o += k;
		if (hit)
			*o++ = q;
		v += k;
		n -= k;
	}
	*o++ = q;
	r->olen += (size_t)(o - start);
}

/* Index of the first byte of v that forces quoting (or conversion), or n. */
static size_t
csv_scan(const struct render *r, const char *v, size_t n)
{
	const uint64_t *pw = r->special_w;
	uint64_t high = r->f->utf8 ? 0 : HIGHS;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w = load64(v + i);
		uint64_t m = bytes_eq(w, pw[0]) | bytes_eq(w, pw[1]) | bytes_eq(w, pw[2]) |
		             bytes_eq(w, pw[3]) | (w & high);

		if (m)
			return i + (size_t)__builtin_ctzll(m) / 8;
	}
	for (; i < n; i++)
		if (r->special[(unsigned char)v[i]] || ((unsigned char)v[i] & 0x80 && high))
			return i;
	return n;
}

static void
csv_plain(struct render *r, const char *g, size_t glen, const char *v, size_t n, bool quote)
{
	char *o = out_reserve(r, n + glen + 2);
	size_t k = 0;

	if (quote)
		o[k++] = r->f->quote;
	memcpy(o + k, g, glen);
	memcpy(o + k + glen, v, n);
	k += glen + n;
	if (quote)
		o[k++] = r->f->quote;
	r->olen += k;
}

static void
csv_cell(struct render *r, const struct format_column *c, const char *v, size_t n)
{
	const char *g = guarded(c, v, n) ? r->f->guard : "";
	size_t glen = *g ? strlen(g) : 0, i = csv_scan(r, v, n);

	if (i < n && (unsigned char)v[i] >= 0x80) {
		to_charset(r, c, &v, &n);
		i = 0;
		while (i < n && !r->special[(unsigned char)v[i]])
			i++;
	}
	if (i == n) {
		csv_plain(r, g, glen, v, n, r->f->quoting == QUOTING_ALL);
		return;
	}
	if (r->f->quoting != QUOTING_NONE) {
		csv_quoted(r, g, glen, v, n);
		return;
	}
	{
		char *o = out_reserve(r, n + glen);

		memcpy(o, g, glen);
		memcpy(o + glen, v, n);
		r->olen += n + glen;
		/* quoting = none: a delimiter or line break would split the row */
		for (; i < n; i++)
			if (r->special[(unsigned char)v[i]] && v[i] != r->f->quote) {
				o[glen + i] = ' ';
				cell_warn(r, c,
				          "delimiter or line break in an unquoted cell; "
				          "written as a space");
			}
	}
}

static void
csv_row(struct render *r, enum render_action a, bool header)
{
	const struct format *f = r->f;
	size_t total = f->ncols + (r->delta && !f->action_gap ? 1 : 0);

	for (size_t o = 0, col = 0; o < total; o++) {
		const struct format_column *c;
		const char *v;
		size_t n;

		if (o)
			out_put(r, &f->delimiter, 1);
		if (r->delta && o == f->action_at) {
			v = header ? f->action : render_action_name(a);
			csv_cell(r, NULL, v, strlen(v));
			if (f->action_gap)
				col++;
			continue;
		}
		c = &f->cols[col++];
		if (header) {
			csv_cell(r, NULL, c->name, strlen(c->name));
			continue;
		}
		cell_value(r, c, &v, &n);
		csv_cell(r, c, v, n);
	}
	out_eol(r);
}

/* --- XML ---------------------------------------------------------------- */

/*
 * Escape v into r->conv so that any input gives well-formed XML 1.0: markup
 * characters as references (and '"' in attributes), control characters XML
 * cannot hold as spaces, and what is no XML character at all (bytes that
 * are not UTF-8, surrogates, U+FFFE, U+FFFF) as U+FFFD; each replacement
 * is reported.
 */
static void
xml_escape(struct render *r, const struct format_column *c, const char **v, size_t *n, bool attr)
{
	struct buf *b = &r->conv;
	const char *s = *v, *end = s + *n;

	buf_reset(b);
	sb_reserve(r, b, *n);
	while (s < end) {
		const char *p = s;
		uint32_t cp = 0;
		size_t len;

		while (p < end && *p != '&' && *p != '<' && *p != '>' && *p != '"' &&
		       (unsigned char)*p < 0x80 &&
		       ((unsigned char)*p >= 0x20 || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		sb_put(r, b, s, (size_t)(p - s));
		if (p == end)
			break;
		s = p + 1;
		switch (*p) {
		case '&': sb_puts(r, b, "&amp;"); continue;
		case '<': sb_puts(r, b, "&lt;"); continue;
		case '>': sb_puts(r, b, "&gt;"); continue;
		case '"':
			if (attr)
				sb_puts(r, b, "&quot;");
			else
				sb_put(r, b, "\"", 1);
			continue;
		default: break;
		}
		if ((unsigned char)*p < 0x80) {
			sb_put(r, b, " ", 1);
			cell_warn(r, c,
			          "control character 0x%02x cannot be written in XML; "
			          "wrote a space",
			          (unsigned char)*p);
			continue;
		}
		len = utf8_decode((const unsigned char *)p, (size_t)(end - p), &cp);
		if (len >= 2 && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		                 (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))))
			len = 0; /* overlong or beyond Unicode */
		if (len && !(cp >= 0xD800 && cp < 0xE000) && cp != 0xFFFE && cp != 0xFFFF) {
			sb_put(r, b, p, len);
			s = p + len;
			continue;
		}
		sb_puts(r, b, "\xEF\xBF\xBD");
		if (len)
			cell_warn(r, c, "U+%04X is not an XML character; wrote U+FFFD",
			          (unsigned)cp);
		else
			cell_warn(r, c, "byte 0x%02x is not UTF-8; wrote U+FFFD",
			          (unsigned char)*p);
		s = p + (len ? len : 1);
	}
	*v = b->p;
	*n = b->len;
}

/* Escape (and convert) v for XML output; the result in r->conv. */
static void
xml_text(struct render *r, const struct format_column *c, const char **v, size_t *n, bool attr)
{
	xml_escape(r, c, v, n, attr);
	if (!r->f->utf8 && has_high_bit(*v, *n)) {
		/* to_charset() writes into r->conv too: give it a private copy */
		buf_reset(&r->tmp);
		sb_put(r, &r->tmp, *v, *n);
		*v = r->tmp.p;
		to_charset(r, c, v, n);
	}
}

static void
xml_cell(struct render *r, const struct format_column *c, const char *v, size_t n)
{
	const char *g = guarded(c, v, n) ? r->f->guard : "";
	size_t nl = strlen(c->name);

	out_put(r, "    <", 5);
	out_put(r, c->name, nl);
	if (c->attrs)
		out_put(r, c->attrs, strlen(c->attrs));
	if (n == 0) {
		out_put(r, "/>", 2);
		out_eol(r);
		return;
	}
	out_put(r, ">", 1);
	if (*g) {
		const char *gv = g;
		size_t gn = strlen(g);

		xml_escape(r, c, &gv, &gn, false);
		out_put(r, gv, gn);
	}
	xml_text(r, c, &v, &n, false);
	out_put(r, v, n);
	out_put(r, "</", 2);
	out_put(r, c->name, nl);
	out_put(r, ">", 1);
	out_eol(r);
}

static void
xml_row(struct render *r, enum render_action a)
{
	const struct format *f = r->f;

	out_put(r, "  <", 3);
	out_put(r, f->record, strlen(f->record));
	for (size_t i = 0; i < f->ncols; i++) {
		const char *v;
		size_t n;

		if (!f->cols[i].on_record)
			continue;
		cell_value(r, &f->cols[i], &v, &n);
		if (!n)
			continue;
		xml_text(r, &f->cols[i], &v, &n, true);
		out_put(r, " ", 1);
		out_put(r, f->cols[i].name, strlen(f->cols[i].name));
		out_put(r, "=\"", 2);
		out_put(r, v, n);
		out_put(r, "\"", 1);
	}
	if (r->delta) {
		const char *an = render_action_name(a);

		out_put(r, " ", 1);
		out_put(r, f->action, strlen(f->action));
		out_put(r, "=\"", 2);
		out_put(r, an, strlen(an));
		out_put(r, "\"", 1);
	}
	out_put(r, ">", 1);
	out_eol(r);
	for (size_t i = 0; i < f->ncols; i++) {
		const char *v;
		size_t n;

		if (f->cols[i].on_record)
			continue;
		cell_value(r, &f->cols[i], &v, &n);
		xml_cell(r, &f->cols[i], v, n);
	}
	out_put(r, "  </", 4);
	out_put(r, f->record, strlen(f->record));
	out_put(r, ">", 1);
	out_eol(r);
}

/* --- stored JSON -------------------------------------------------------- */

static int
hex4(const char *s, uint32_t *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++) {
		char ch = s[i];
		int d = ch >= '0' && ch <= '9'   ? ch - '0'
		        : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
		        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
		                                 : -1;

		if (d < 0)
			return -1;
		*out = *out << 4 | (uint32_t)d;
	}
	return 0;
}

static void
put_utf8(struct render *r, struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sb_put(r, b, u, n);
}

/* Unescape the JSON string body s[0..n) onto the end of b. */
static int
unescape(struct render *r, struct buf *b, const char *s, size_t n)
{
	const char *end = s + n;

	while (s < end) {
		const char *bs = memchr(s, '\\', (size_t)(end - s));
		uint32_t cp, lo;

		if (!bs) {
			sb_put(r, b, s, (size_t)(end - s));
			break;
		}
		sb_put(r, b, s, (size_t)(bs - s));
		if (bs + 1 >= end)
			return -1;
		switch (bs[1]) {
		case '"': sb_put(r, b, "\"", 1); break;
		case '\\': sb_put(r, b, "\\", 1); break;
		case '/': sb_put(r, b, "/", 1); break;
		case 'b': sb_put(r, b, "\b", 1); break;
		case 'f': sb_put(r, b, "\f", 1); break;
		case 'n': sb_put(r, b, "\n", 1); break;
		case 'r': sb_put(r, b, "\r", 1); break;
		case 't': sb_put(r, b, "\t", 1); break;
		case 'u':
			if (end - bs < 6 || hex4(bs + 2, &cp) == -1)
				return -1;
			if (cp >= 0xd800 && cp < 0xdc00 && end - bs >= 12 && bs[6] == '\\' &&
			    bs[7] == 'u' && hex4(bs + 8, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				bs += 6;
			}
			put_utf8(r, b, cp);
			bs += 4;
			break;
		default: return -1;
		}
		s = bs + 2;
	}
	return 0;
}

/*
 * The JSON string starting at *p (at its opening quote): its text, in place
 * when it has no escapes, else unescaped into r->scratch (sized for the
 * whole row beforehand, so earlier views stay valid).
 */
/* First '"' or '\\' in [q, end), or end: 16 bytes a step where SSE2 exists (x86-64). */
static const char *
quote_or_backslash(const char *q, const char *end)
{
#ifdef __SSE2__
	const __m128i dq = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');

	for (; q + 16 <= end; q += 16) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)q);
		unsigned m = (unsigned)_mm_movemask_epi8(
		        _mm_or_si128(_mm_cmpeq_epi8(w, dq), _mm_cmpeq_epi8(w, bs)));

		if (m)
			return q + __builtin_ctz(m);
	}
#endif
	for (; q + 8 <= end; q += 8) {
		uint64_t w = load64(q);
		uint64_t m = bytes_eq(w, ONES * '"') | bytes_eq(w, ONES * '\\');

		if (m)
			return q + __builtin_ctzll(m) / 8;
	}
	while (q < end && *q != '"' && *q != '\\')
		q++;
	return q;
}

static int
json_string(struct render *r, const char **p, const char *end, const char **v, size_t *n)
{
	const char *s = *p + 1, *q = s;
	bool escaped = false;

	if (*p >= end || **p != '"')
		return -1;
	for (;;) {
		q = quote_or_backslash(q, end);
		if (q >= end)
			return -1;
		if (*q == '"')
			break;
		escaped = true;
		q += 2; /* past the escaped character, which may be a quote */
	}
	*p = q + 1;
	*n = (size_t)(q - s);
	*v = s;
	if (escaped) {
		size_t start = r->scratch.len;

		if (unescape(r, &r->scratch, s, *n) == -1)
			return -1;
		*v = r->scratch.p + start;
		*n = r->scratch.len - start;
	}
	return 0;
}

/* strcmp() order of a (not NUL-terminated) key against a field name. */
static inline int
name_cmp(const char *field, size_t flen, const char *k, size_t klen)
{
	int c;

	if (flen && klen && field[0] != k[0]) /* most keys differ at once */
		return (unsigned char)field[0] - (unsigned char)k[0];
	c = memcmp(field, k, flen < klen ? flen : klen);

	if (c)
		return c;
	return flen < klen ? -1 : flen > klen;
}

static int
parse_row(struct render *r, const char *json, size_t len)
{
	const struct format *f = r->f;
	const char *p = json, *end = json + len;
	size_t j = 0;

	memset(r->val, 0, f->nfields * sizeof(*r->val));
	buf_reset(&r->scratch);
	/* unescaped text is never longer than the JSON: no realloc mid-row */
	if (buf_grow(&r->scratch, len) == -1) {
		r->toobig = true;
		return -1;
	}
	if (p >= end || *p++ != '{')
		return -1;
	if (p < end && *p == '}')
		return 0;
	for (;;) {
		const char *k, *v;
		size_t kn, vn;

		if (json_string(r, &p, end, &k, &kn) == -1 || p >= end || *p++ != ':' ||
		    json_string(r, &p, end, &v, &vn) == -1)
			return -1;
		while (j < f->nfields && name_cmp(f->fields[j], f->flens[j], k, kn) < 0)
			j++;
		if (j < f->nfields && name_cmp(f->fields[j], f->flens[j], k, kn) == 0) {
			r->val[j] = v;
			r->vlen[j] = vn;
			j++;
		}
		if (p >= end)
			return -1;
		if (*p == '}')
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

/* --- API ---------------------------------------------------------------- */

const char *
render_action_name(enum render_action a)
{
	static const char *const names[] = {"", "new", "changed", "deleted", "unchanged"};

	return names[a];
}

struct render *
render_new(const struct format *f, int fd, const char *label, bool delta)
{
	struct render *r = xcalloc(1, sizeof(*r));

	r->f = f;
	r->fd = fd;
	r->label = label;
	r->delta = delta;
	r->ocap = r->spare_cap = OUT_CAP;
	r->out = xmalloc(r->ocap);
	r->spare = xmalloc(r->spare_cap);
	r->val = xcalloc(f->nfields + 1, sizeof(*r->val));
	r->vlen = xcalloc(f->nfields + 1, sizeof(*r->vlen));
	buf_init(&r->scratch, LS_MAX_RENDER_CELL);
	buf_init(&r->tmp, LS_MAX_RENDER_CELL);
	buf_init(&r->conv, LS_MAX_RENDER_CELL);
	r->cd = r->cd_tr = (iconv_t)-1;
	if (!f->utf8 && (r->cd = iconv_open(f->charset, "UTF-8")) == (iconv_t)-1)
		log_fatal("iconv_open(%s): checked when the format loaded", f->charset);
	r->special[(unsigned char)f->delimiter] = true;
	r->special[(unsigned char)f->quote] = true;
	r->special['\r'] = r->special['\n'] = true;
	r->special_w[0] = ONES * (unsigned char)f->delimiter;
	r->special_w[1] = ONES * (unsigned char)f->quote;
	r->special_w[2] = ONES * '\r';
	r->special_w[3] = ONES * '\n';
	r->key = "";
	if (!(r->sha = EVP_MD_CTX_new()) || EVP_DigestInit_ex(r->sha, EVP_sha256(), NULL) != 1)
		log_fatal("SHA-256 unavailable in libcrypto");
	r->w = handoff_new(out_write, r, 1);
	return r;
}

void
render_free(struct render *r)
{
	if (!r)
		return;
	render_stop(r);
	if (r->cd != (iconv_t)-1)
		iconv_close(r->cd);
	if (r->cd_tr != (iconv_t)-1)
		iconv_close(r->cd_tr);
	free(r->out);
	free(r->spare);
	free(r->val);
	free(r->vlen);
	buf_release(&r->scratch);
	buf_release(&r->tmp);
	buf_release(&r->conv);
	EVP_MD_CTX_free(r->sha);
	free(r);
}

void
render_begin(struct render *r)
{
	const struct format *f = r->f;

	if (f->type == FORMAT_XML) {
		out_put(r, "<?xml version=\"1.0\" encoding=\"", 30);
		out_put(r, f->charset, strlen(f->charset));
		out_put(r, "\"?>", 3);
		out_eol(r);
		out_put(r, "<", 1);
		out_put(r, f->root, strlen(f->root));
		out_put(r, ">", 1);
		out_eol(r);
	} else if (f->header) {
		csv_row(r, RENDER_FULL, true);
	}
}

static void
render_row(struct render *r, const char *key, enum render_action a)
{
	r->key = key;
	if (r->f->type == FORMAT_XML)
		xml_row(r, a);
	else
		csv_row(r, a, false);
	r->rows++;
}

/* The required items the current row lacks, ", "-joined into out; false when none. */
static bool
missing_required(const struct render *r, char *out, size_t n)
{
	const struct format *f = r->f;
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < f->nrequired; i++) {
		const struct format_required *rq = &f->required[i];
		bool have = false;

		for (size_t k = 0; k < rq->n && !have; k++)
			have = r->val[rq->slots[k]] && r->vlen[rq->slots[k]] > 0;
		if (!have && o < n) {
			int w = snprintf(out + o, n - o, "%s%s", o ? ", " : "", rq->text);

			o += w > 0 ? (size_t)w : 0;
		}
	}
	return o > 0;
}

int
render_json(struct render *r, const char *key, const char *json, size_t len, enum render_action a)
{
	char missing[256];

	r->toobig = false;
	if (parse_row(r, json, len) == -1 && !r->toobig)
		return log_error("%s: vehicle %s: stored data is not the JSON lotsync writes",
		                 r->label, key);
	if (!r->toobig && a != RENDER_DELETED && missing_required(r, missing, sizeof(missing))) {
		if (++r->skipped <= RENDER_WARN_SHOWN)
			log_warn("%s: vehicle %s left out: it has no %s (required by format %s)",
			         r->label, key, missing, r->f->name);
		return 1;
	}
	if (!r->toobig)
		render_row(r, key, a);
	if (r->toobig)
		return log_error("%s: vehicle %s: a cell is larger than %zu bytes", r->label, key,
		                 LS_MAX_RENDER_CELL);
	return 0;
}

int
render_end(struct render *r)
{
	if (r->f->type == FORMAT_XML) {
		out_put(r, "</", 2);
		out_put(r, r->f->root, strlen(r->f->root));
		out_put(r, ">", 1);
		out_eol(r);
	}
	out_flush(r);
	writer_stop(r);
	if (r->warnings > RENDER_WARN_SHOWN)
		log_warn("%s: %lld more cell warnings not shown", r->label,
		         r->warnings - RENDER_WARN_SHOWN);
	if (r->skipped > RENDER_WARN_SHOWN)
		log_warn("%s: %lld more vehicles left out for missing required fields", r->label,
		         r->skipped - RENDER_WARN_SHOWN);
	if (r->err) {
		errno = r->err;
		return log_syserr("cannot write %s", r->label);
	}
	return 0;
}

void
render_stop(struct render *r)
{
	writer_stop(r);
}

void
render_sha256(struct render *r, char hex[FSIO_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	EVP_DigestFinal_ex(r->sha, md, &len);
	hex_encode(md, len, hex);
}

void
render_get_stats(const struct render *r, struct render_stats *out)
{
	out->rows = r->rows;
	out->skipped = r->skipped;
	out->bytes = r->bytes + (long long)r->olen;
	out->warnings = r->warnings;
}
