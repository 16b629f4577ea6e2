/* recjson.c - canonical record JSON back to (name, value) views, no per-record allocation. */
#include "lotsync/recjson.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/util.h"

void
recjson_init(struct recjson *d)
{
	memset(d, 0, sizeof(*d));
}

void
recjson_release(struct recjson *d)
{
	free(d->fields);
	free(d->lens);
	free(d->scratch);
	free(d->spans);
	memset(d, 0, sizeof(*d));
}

static int
hex4(const char *s, uint32_t *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;

		if (v < 0)
			return -1;
		*out = *out << 4 | (uint32_t)v;
	}
	return 0;
}

/* UTF-8 of cp at o; never longer than the six-byte \uXXXX it replaces. */
static char *
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* One escape at p (after the backslash) onto o; the new p and o, or NULL p when bad. */
static const char *
unescape_one(const char *p, const char *end, char **o)
{
	uint32_t cp, lo;

	switch (*p) {
	case '"': *(*o)++ = '"'; return p + 1;
	case '\\': *(*o)++ = '\\'; return p + 1;
	case '/': *(*o)++ = '/'; return p + 1;
	case 'b': *(*o)++ = '\b'; return p + 1;
	case 'f': *(*o)++ = '\f'; return p + 1;
	case 'n': *(*o)++ = '\n'; return p + 1;
	case 'r': *(*o)++ = '\r'; return p + 1;
	case 't': *(*o)++ = '\t'; return p + 1;
	case 'u': break;
	default: return NULL;
	}
	if (end - p < 5 || hex4(p + 1, &cp) == -1)
		return NULL;
	p += 5;
	if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
	    hex4(p + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		p += 6;
	}
	*o = put_utf8(*o, cp);
	return p;
}

/*
 * The first '"' or '\\' in [s, end), or end, eight bytes at a time: show
 * and diff scan ~50 short strings per vehicle, where two memchr calls per string
 * cost more than the bytes. (A byte equal to c makes the lane of v ^ c
 * zero; the lowest flagged lane of the zero-byte test is exact.)
 */
static const char *
quote_or_backslash(const char *s, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;

	while (end - s >= 8) {
		uint64_t v, q, b, t;

		memcpy(&v, s, 8);
		q = v ^ (ones * '"');
		b = v ^ (ones * '\\');
		t = (((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
		if (t)
			return s + (__builtin_ctzll(t) >> 3);
		s += 8;
	}
#endif
	while (s < end && *s != '"' && *s != '\\')
		s++;
	return s;
}

/* The string at *p (its opening quote) unescaped to *o with a NUL; -1 when malformed. */
static int
string_at(const char **p, const char *end, char **o)
{
	const char *s = *p, *q;

	if (s >= end || *s++ != '"')
		return -1;
	for (;;) {
		q = quote_or_backslash(s, end);
		memcpy(*o, s, (size_t)(q - s));
		*o += q - s;
		if (q >= end)
			return -1;
		if (*q == '"')
			break;
		if (++q >= end || !(s = unescape_one(q, end, o)))
			return -1;
	}
	*(*o)++ = '\0';
	*p = q + 1;
	return 0;
}

int
recjson_parse(struct recjson *d, const char *json, size_t len)
{
	const char *p = json, *end = json + len;
	char *o;

	d->nfields = 0;
	/* Each string loses two quotes and gains one NUL: len + 1 bytes always suffice. */
	d->scratch = xgrow(d->scratch, &d->salloc, len + 1, 1);
	o = d->scratch;
	if (p >= end || *p++ != '{')
		return -1;
	if (p < end && *p == '}')
		return 0;
	for (;;) {
		struct field *f;
		char *name = o, *value;

		if (string_at(&p, end, &o) == -1 || p >= end || *p++ != ':')
			return -1;
		value = o;
		if (string_at(&p, end, &o) == -1 || p >= end)
			return -1;
		d->fields = xgrow(d->fields, &d->falloc, d->nfields + 1, sizeof(*d->fields));
		d->lens = xgrow(d->lens, &d->lalloc, d->nfields + 1, sizeof(*d->lens));
		d->lens[d->nfields] =
		        (struct recjson_len){(size_t)(value - name - 1), (size_t)(o - value - 1)};
		f = &d->fields[d->nfields++];
		f->name = name;
		f->value = value;
		if (*p == '}')
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

/* The raw string at *p (its opening quote): its span, *p past the closing quote; -1 if unclosed. */
static int
raw_at(const char **p, const char *end, struct recjson_raw *r)
{
	const char *s = *p, *q;

	if (s >= end || *s++ != '"')
		return -1;
	*r = (struct recjson_raw){.p = s, .plain = true};
	for (;;) {
		q = quote_or_backslash(s, end);
		if (q >= end)
			return -1;
		if (*q == '"')
			break;
		if (++q >= end)
			return -1;
		r->esc = true;
		/* \" \\ \n \r \t read the same in show's quoting; the others do not */
		switch (*q) {
		case '"':
		case '\\':
		case 'n':
		case 'r':
		case 't': break;
		default: r->plain = false;
		}
		s = q + 1;
	}
	r->len = (size_t)(q - r->p);
	*p = q + 1;
	return 0;
}

int
recjson_scan(struct recjson *d, const char *json, size_t len)
{
	const char *p = json, *end = json + len;

	d->nspans = 0;
	if (p >= end || *p++ != '{')
		return -1;
	if (p < end && *p == '}')
		return 0;
	for (;;) {
		struct recjson_span sp;

		if (raw_at(&p, end, &sp.name) == -1 || p >= end || *p++ != ':' ||
		    raw_at(&p, end, &sp.value) == -1 || p >= end)
			return -1;
		d->spans = xgrow(d->spans, &d->spalloc, d->nspans + 1, sizeof(*d->spans));
		d->spans[d->nspans++] = sp;
		if (*p == '}')
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

int
recjson_unescape(const struct recjson_raw *r, char *out)
{
	const char *p = r->p - 1; /* its opening quote */

	return string_at(&p, r->p + r->len + 1, &out);
}

void
recjson_diff_init(struct recjson_diff *d)
{
	memset(d, 0, sizeof(*d));
}

void
recjson_diff_release(struct recjson_diff *d)
{
	free(d->fields);
	free(d->buf);
	free(d->cands);
	recjson_diff_init(d);
}

/* Raw names compared as strcmp() compares the decoded ones (neither holds an escape). */
static int
name_cmp(const struct recjson_raw *x, const struct recjson_raw *y)
{
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static bool
raw_eq(const struct recjson_raw *x, const struct recjson_raw *y)
{
	return x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

/* A field on one side only (old or new_ NULL), or whose stored spellings differ. */
struct recjson_cand {
	const struct recjson_raw *name, *old, *new_;
};

/* The candidates, in name order, and the bytes their decoding needs. */
static int
diff_candidates(struct recjson_diff *d, const struct recjson *a, const struct recjson *b, size_t *n,
                size_t *bytes)
{
	size_t i = 0, j = 0;

	*n = *bytes = 0;
	while (i < a->nspans || j < b->nspans) {
		const struct recjson_span *x = i < a->nspans ? &a->spans[i] : NULL;
		const struct recjson_span *y = j < b->nspans ? &b->spans[j] : NULL;
		int c;

		if ((x && x->name.esc) || (y && y->name.esc))
			return 1;
		c = !x ? 1 : !y ? -1 : name_cmp(&x->name, &y->name);
		if (c == 0 && raw_eq(&x->value, &y->value)) {
			i++;
			j++;
			continue;
		}
		d->cands = xgrow(d->cands, &d->cand_alloc, *n + 1, sizeof(*d->cands));
		d->cands[*n] =
		        (struct recjson_cand){c <= 0 ? &x->name : &y->name,
		                              c <= 0 ? &x->value : NULL, c >= 0 ? &y->value : NULL};
		*bytes += d->cands[*n].name->len + 1 + (c <= 0 ? x->value.len + 1 : 0) +
		          (c >= 0 ? y->value.len + 1 : 0);
		(*n)++;
		i += c <= 0;
		j += c >= 0;
	}
	return 0;
}

int
recjson_diff(struct recjson_diff *d, const struct recjson *a, const struct recjson *b)
{
	size_t n, bytes;
	char *o;
	int rc;

	d->n = 0;
	if ((rc = diff_candidates(d, a, b, &n, &bytes)) != 0)
		return rc;
	/* One allocation for all, made before any pointer into it is taken */
	d->buf = xgrow(d->buf, &d->balloc, bytes + 1, 1);
	o = d->buf;
	for (size_t k = 0; k < n; k++) {
		const struct recjson_raw *name = d->cands[k].name, *ov = d->cands[k].old,
		                         *nv = d->cands[k].new_;
		struct field_change fc = {.name = o};

		memcpy(o, name->p, name->len);
		o[name->len] = '\0';
		o += name->len + 1;
		if (ov) {
			fc.old = o;
			if (recjson_unescape(ov, o) == -1)
				return -1;
			o += strlen(o) + 1;
		}
		if (nv) {
			fc.new_ = o;
			if (recjson_unescape(nv, o) == -1)
				return -1;
			o += strlen(o) + 1;
		}
		if (fc.old && fc.new_ && strcmp(fc.old, fc.new_) == 0)
			continue; /* one value, spelt two ways */
		d->fields = xgrow(d->fields, &d->alloc, d->n + 1, sizeof(*d->fields));
		d->fields[d->n++] = fc;
	}
	return 0;
}

struct record
recjson_record(const struct recjson *d, const char *key)
{
	return (struct record){.key = (char *)key, .fields = d->fields, .nfields = d->nfields};
}
