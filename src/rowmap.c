/* rowmap.c - bind a file's columns to canonical fields; map rows into batched records. */
#include "lotsync/rowmap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "lotsync/log.h"
#include "lotsync/normalize.h"
#include "lotsync/util.h"

/* ---- the batch: items plus an arena whose blocks are kept across resets ---- */

#define BLOCK_MIN ((size_t)256 * 1024)

struct batch_block {
	struct batch_block *next;
	size_t cap, used;
};

void
batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	rowmap_stats_init(&b->st);
}

void
batch_reset(struct batch *b)
{
	b->n = 0;
	b->cur = b->head;
	if (b->cur)
		b->cur->used = 0;
	free(b->error);
	b->error = NULL;
	b->error_line = 0;
	rowmap_stats_init(&b->st);
}

void
batch_release(struct batch *b)
{
	while (b->head) {
		struct batch_block *next = b->head->next;

		free(b->head);
		b->head = next;
	}
	free(b->items);
	free(b->error);
	memset(b, 0, sizeof(*b));
}

void *
batch_alloc(struct batch *b, size_t n)
{
	struct batch_block *next;
	char *p;

	n = (n + 7) & ~(size_t)7; /* keeps struct field arrays aligned */
	if (!b->cur || b->cur->cap - b->cur->used < n) {
		next = b->cur ? b->cur->next : b->head;
		if (next && next->cap >= n) {
			next->used = 0;
		} else {
			size_t cap = n > BLOCK_MIN ? n : BLOCK_MIN;

			next = xmalloc(sizeof(*next) + cap);
			next->cap = cap;
			next->used = 0;
			next->next = b->cur ? b->cur->next : b->head;
			if (b->cur)
				b->cur->next = next;
			else
				b->head = next;
		}
		b->cur = next;
	}
	p = (char *)(b->cur + 1) + b->cur->used;
	b->cur->used += n;
	return p;
}

void
batch_fail(struct batch *b, unsigned long line, char *msg)
{
	if (b->error) {
		free(msg);
		return;
	}
	b->error = msg;
	b->error_line = line;
}

static struct batch_item *
batch_item(struct batch *b, enum batch_kind kind, unsigned long line)
{
	struct batch_item *it;

	b->items = xgrow(b->items, &b->alloc, b->n + 1, sizeof(*b->items));
	it = &b->items[b->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->rec.line = line;
	return it;
}

void
batch_same(struct batch *b, unsigned long line, size_t row)
{
	batch_item(b, BATCH_SAME, line)->row = row;
}

static char *
batch_strdup(struct batch *b, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(batch_alloc(b, n), s, n);
}

void
rowmap_reject(struct batch *out, unsigned long line, const char *field, const char *fmt, ...)
{
	struct batch_item *it = batch_item(out, BATCH_REJECT, line);
	char msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	it->field = field ? batch_strdup(out, field) : NULL;
	it->reason = batch_strdup(out, msg);
}

void
rowmap_stats_init(struct rowmap_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->date_format = -1;
}

void
rowmap_stats_add(struct rowmap_stats *into, const struct rowmap_stats *from)
{
	if (from->dates_ambiguous && into->date_format < 0) {
		into->date_format = from->date_format;
		into->date_first_line = from->date_first_line;
	}
	into->dates_ambiguous += from->dates_ambiguous;
	into->dates_day_over_12 += from->dates_day_over_12;
	if (from->vin_bad_check && !into->vin_bad_check) {
		into->vin_first_line = from->vin_first_line;
		memcpy(into->vin_first, from->vin_first, sizeof(into->vin_first));
	}
	into->vin_bad_check += from->vin_bad_check;
	into->vin_short += from->vin_short;
	if (from->ragged_extra && !into->ragged_extra)
		into->ragged_extra_line = from->ragged_extra_line;
	into->ragged_extra += from->ragged_extra;
	if (from->ragged_padded && !into->ragged_padded)
		into->ragged_padded_line = from->ragged_padded_line;
	into->ragged_padded += from->ragged_padded;
	if (from->c1_bytes && !into->c1_bytes)
		into->c1_first_line = from->c1_first_line;
	into->c1_bytes += from->c1_bytes;
}

/* ---- binding ---- */

struct slotset {
	char **names;
	size_t n, alloc;
};

static int
slot_add(struct slotset *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return (int)i;
	s->names = xgrow(s->names, &s->alloc, s->n + 1, sizeof(*s->names));
	s->names[s->n] = xstrdup(name);
	return (int)s->n++;
}

static void
slotset_free(struct slotset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
}

/* Column c's slot: its mapped field, else "extra.<name>" (unnamed: "extra.<c>"). */
static void
slot_of_column(struct rowmap *m, struct slotset *s, size_t c, const char *name)
{
	char *extra;

	if (m->cols[c].map) {
		m->cols[c].slot = slot_add(s, m->cols[c].map->field);
		return;
	}
	extra = name && *name ? xasprintf("extra.%s", name) : xasprintf("extra.%zu", c);
	m->cols[c].slot = slot_add(s, extra);
	free(extra);
}

static int
slot_find(const struct rowmap *m, const char *name)
{
	for (size_t i = 0; i < m->nslots; i++)
		if (strcmp(m->slot_name[i], name) == 0)
			return (int)i;
	return -1;
}

struct ranked {
	const char *name;
	int index; /* in the slotset */
};

static int
cmp_ranked(const void *a, const void *b)
{
	return strcmp(((const struct ranked *)a)->name, ((const struct ranked *)b)->name);
}

static bool
any_money(const struct profile *p)
{
	for (size_t i = 0; i < p->nmaps; i++)
		if (p->maps[i].kind == FIELD_MONEY)
			return true;
	return false;
}

/* Computed slots, sorted order, the key and mandatory fields. */
static int
bind_finish(struct rowmap *m, struct slotset *s, char **why)
{
	const struct profile *p = m->prof;
	struct ranked *order;
	int *rank;

	if (m->feed->dealer_id)
		slot_add(s, "dealer_id");
	if (any_money(p))
		slot_add(s, "currency");
	if (profile_find(p, "mileage"))
		slot_add(s, "mileage_unit"); /* the unit travels with the value */
	order = xcalloc(s->n + 1, sizeof(*order));
	rank = xcalloc(s->n + 1, sizeof(*rank));
	for (size_t i = 0; i < s->n; i++)
		order[i] = (struct ranked){s->names[i], (int)i};
	qsort(order, s->n, sizeof(*order), cmp_ranked);
	m->nslots = s->n;
	m->slot_name = xcalloc(s->n + 1, sizeof(*m->slot_name));
	m->slot_len = xcalloc(s->n + 1, sizeof(*m->slot_len));
	for (size_t i = 0; i < s->n; i++) {
		rank[order[i].index] = (int)i;
		m->slot_name[i] = s->names[order[i].index];
		m->slot_len[i] = strlen(m->slot_name[i]);
	}
	for (size_t c = 0; c < m->ncols; c++)
		m->cols[c].slot = rank[m->cols[c].slot];
	free(order);
	free(rank);
	free(s->names); /* the strings now belong to m->slot_name */
	s->names = NULL;
	s->n = s->alloc = 0;
	m->slot_vin = slot_find(m, "vin");
	m->slot_stock = slot_find(m, "stock_no");
	m->slot_dealer = slot_find(m, "dealer_id");
	m->slot_currency = slot_find(m, "currency");
	m->slot_mileage = slot_find(m, "mileage");
	m->slot_unit = slot_find(m, "mileage_unit");
	for (size_t c = 0; c < m->ncols; c++) {
		const char *f = m->cols[c].map ? m->cols[c].map->field : "";

		if (!strcmp(f, "vin") && m->col_vin < 0)
			m->col_vin = (int)c;
		else if (!strcmp(f, "stock_no") && m->col_stock < 0)
			m->col_stock = (int)c;
		else if (!strcmp(f, "dealer_id") && m->col_dealer < 0)
			m->col_dealer = (int)c;
	}
	m->fill_bit = xcalloc(m->nslots + 1, sizeof(*m->fill_bit));
	m->fill_name = xcalloc(m->nslots + 1, sizeof(*m->fill_name));
	for (size_t i = 0; i < m->nslots; i++) {
		m->fill_bit[i] = -1;
		if (str_startswith(m->slot_name[i], "extra."))
			continue;
		if (m->nfill < 64)
			m->fill_bit[i] = (int)m->nfill;
		m->fill_name[m->nfill < 64 ? m->nfill : 64] = m->slot_name[i];
		m->nfill++;
	}
	m->mandatory = xcalloc(p->nmandatory + 1, sizeof(*m->mandatory));
	for (size_t i = 0; i < p->nmandatory; i++)
		m->mandatory[m->nmandatory++] = slot_find(m, p->mandatory[i]);
	if (m->feed->key == FEED_KEY_VIN && m->slot_vin < 0) {
		*why = xasprintf("profile '%s' maps no field 'vin', the feed's key", p->name);
		return -1;
	}
	if (m->feed->key == FEED_KEY_STOCK && (m->slot_stock < 0 || m->slot_dealer < 0)) {
		*why = xasprintf("profile '%s' maps no field '%s', part of the feed's key (stock)",
		                 p->name, m->slot_stock < 0 ? "stock_no" : "dealer_id");
		return -1;
	}
	return 0;
}

static void
bind_init(struct rowmap *m, const struct profile *p, const struct feed_conf *feed, enum charset cs,
          size_t ncols)
{
	memset(m, 0, sizeof(*m));
	m->prof = p;
	m->feed = feed;
	m->cs = cs;
	m->ncols = ncols;
	m->cols = xcalloc(ncols ? ncols : 1, sizeof(*m->cols));
	m->slot_vin = m->slot_stock = m->slot_dealer = m->slot_currency = -1;
	m->slot_mileage = m->slot_unit = -1;
	m->col_vin = m->col_stock = m->col_dealer = -1;
}

/* A header name as UTF-8, trimmed; NULL with *why when it does not decode. */
static char *
header_name(enum charset cs, const struct span *v, size_t c, char **why)
{
	char *name;

	if (memchr(v->p, '\0', v->n)) {
		*why = xasprintf("NUL byte in header column %zu", c + 1);
		return NULL;
	}
	if (cs == CHARSET_UTF8 || charset_is_plain(v->p, v->n)) {
		size_t off = charset_utf8_check(v->p, v->n);

		if (off < v->n) {
			*why = xasprintf(
			        "header column %zu is not valid UTF-8 (byte 0x%02X at byte "
			        "%zu)",
			        c + 1, (unsigned char)v->p[off], off + 1);
			return NULL;
		}
		name = xstrndup(v->p, v->n);
	} else {
		struct charset_conv conv;
		size_t bad = 0;
		long k;

		if (charset_conv_open(&conv, cs) == -1) {
			*why = xasprintf("cannot convert from %s", charset_name(cs));
			return NULL;
		}
		name = xmalloc(3 * v->n + 1);
		k = charset_conv_run(&conv, v->p, v->n, name, &bad);
		charset_conv_close(&conv);
		if (k < 0) {
			*why = xasprintf(
			        "header column %zu: byte 0x%02X at byte %zu does not decode "
			        "as %s",
			        c + 1, (unsigned char)v->p[bad], bad + 1, charset_name(cs));
			free(name);
			return NULL;
		}
		name[k] = '\0';
	}
	return str_trim(name);
}

static const struct profile_map *
map_of_source(const struct profile *p, const char *name)
{
	for (size_t i = 0; i < p->nmaps; i++)
		for (size_t k = 0; k < p->maps[i].nsources; k++)
			if (strcasecmp(p->maps[i].sources[k], name) == 0)
				return &p->maps[i];
	return NULL;
}

static bool
is_key_field(const struct rowmap *m, const char *field)
{
	if (m->feed->key == FEED_KEY_VIN)
		return strcmp(field, "vin") == 0;
	return strcmp(field, "stock_no") == 0 ||
	       (strcmp(field, "dealer_id") == 0 && !m->feed->dealer_id);
}

/* Mandatory and key fields whose columns the header lacks: one message listing them all. */
static int
check_header_complete(struct rowmap *m, char **why)
{
	const struct profile *p = m->prof;
	char *missing = NULL;
	size_t nmissing = 0;

	for (size_t i = 0; i < p->nmaps; i++) {
		const struct profile_map *pm = &p->maps[i];
		bool found = false;
		char *nm;

		if (!profile_is_mandatory(p, pm->field) && !is_key_field(m, pm->field))
			continue;
		for (size_t c = 0; c < m->ncols && !found; c++)
			found = m->cols[c].map == pm;
		if (found)
			continue;
		nm = xasprintf("%s%s'%s' (%s%s)", missing ? missing : "", missing ? ", " : "",
		               pm->sources[0], is_key_field(m, pm->field) ? "the key, " : "",
		               pm->field);
		free(missing);
		missing = nm;
		nmissing++;
	}
	if (!missing)
		return 0;
	*why = xasprintf("header lacks the column%s %s", nmissing > 1 ? "s" : "", missing);
	free(missing);
	return -1;
}

int
rowmap_bind_header(struct rowmap *m, const struct profile *p, const struct feed_conf *feed,
                   enum charset cs, const struct span *hdr, size_t n, char **why)
{
	struct slotset s = {0};
	int rc = -1;

	*why = NULL;
	bind_init(m, p, feed, cs, n);
	for (size_t c = 0; c < n; c++) {
		char *name = header_name(cs, &hdr[c], c, why);

		if (!name)
			goto out;
		for (size_t k = 0; k < c; k++)
			if (strcasecmp(m->cols[k].source, name) == 0 && *name) {
				*why = xasprintf("header names column '%s' twice (columns %zu and "
				                 "%zu)",
				                 name, k + 1, c + 1);
				free(name);
				goto out;
			}
		m->cols[c].source = name;
		m->cols[c].map = *name ? map_of_source(p, name) : NULL;
		slot_of_column(m, &s, c, name);
	}
	if (check_header_complete(m, why) == 0)
		rc = bind_finish(m, &s, why);
out:
	slotset_free(&s);
	return rc;
}

int
rowmap_bind_positional(struct rowmap *m, const struct profile *p, const struct feed_conf *feed,
                       enum charset cs, char **why)
{
	struct slotset s = {0};
	size_t ncols = p->min_columns;
	int rc = -1;

	*why = NULL;
	for (size_t i = 0; i < p->nmaps; i++)
		for (size_t k = 0; k < p->maps[i].nsources; k++)
			if ((size_t)p->maps[i].position[k] + 1 > ncols)
				ncols = (size_t)p->maps[i].position[k] + 1;
	bind_init(m, p, feed, cs, ncols);
	m->positional = true;
	m->min_columns = p->min_columns;
	for (size_t c = 0; c < ncols; c++) {
		for (size_t i = 0; i < p->nmaps; i++)
			for (size_t k = 0; k < p->maps[i].nsources; k++) {
				if (p->maps[i].position[k] != (long)c)
					continue;
				if (m->cols[c].map) {
					*why = xasprintf(
					        "profile '%s' maps position %zu to both '%s' "
					        "and '%s'",
					        p->name, c, m->cols[c].map->field,
					        p->maps[i].field);
					goto out;
				}
				m->cols[c].map = &p->maps[i];
			}
		m->cols[c].source = xasprintf("position %zu", c);
		slot_of_column(m, &s, c, NULL);
	}
	rc = bind_finish(m, &s, why);
out:
	slotset_free(&s);
	return rc;
}

int
rowmap_bind_xml(struct rowmap *m, const struct profile *p, const struct feed_conf *feed, char **why)
{
	struct slotset s = {0};
	size_t ncols = 0, c = 0;
	int rc;

	*why = NULL;
	for (size_t i = 0; i < p->nmaps; i++)
		ncols += p->maps[i].nsources;
	bind_init(m, p, feed, CHARSET_UTF8, ncols);
	m->xml = true;
	for (size_t i = 0; i < p->nmaps; i++)
		for (size_t k = 0; k < p->maps[i].nsources; k++, c++) {
			m->cols[c].map = &p->maps[i];
			m->cols[c].source = xstrdup(p->maps[i].sources[k]);
			m->cols[c].slot = slot_add(&s, p->maps[i].field);
		}
	rc = bind_finish(m, &s, why);
	slotset_free(&s);
	return rc;
}

void
rowmap_release(struct rowmap *m)
{
	for (size_t c = 0; c < m->ncols; c++)
		free(m->cols[c].source);
	for (size_t i = 0; i < m->nslots; i++)
		free(m->slot_name[i]);
	free(m->cols);
	free(m->slot_name);
	free(m->slot_len);
	free(m->mandatory);
	free(m->fill_bit);
	free(m->fill_name);
	memset(m, 0, sizeof(*m));
}

/* ---- mapping one row ---- */

void
rowmap_work_init(struct rowmap_work *w)
{
	memset(w, 0, sizeof(*w));
	w->conv.cd = (iconv_t)-1;
	json_init(&w->json);
}

void
rowmap_work_release(struct rowmap_work *w)
{
	if (w->conv_open)
		charset_conv_close(&w->conv);
	free(w->buf);
	free(w->slot);
	free(w->dyn);
	json_release(&w->json);
	memset(w, 0, sizeof(*w));
}

/* Everything one row's mapping needs. */
struct rowctx {
	const struct rowmap *m;
	struct rowmap_work *w;
	const struct rowmap_row *row;
	struct batch *out;
	char currency[4];       /* named by the row's amounts */
	enum mileage_unit unit; /* the mileage's, when unit_named */
	bool unit_named;        /* the mileage value named its unit ("41200 miles") */
	bool unit_col;          /* a mileage_unit column gave col_unit */
	enum mileage_unit col_unit;
	bool rejected;
};

/* A value fit for a message: at most 40 bytes, control characters as '?'. */
static void
shown(const char *p, size_t n, char out[64])
{
	size_t k = n > 40 ? 40 : n, o = 0;

	/* Do not cut a UTF-8 sequence: back up to its first byte. */
	while (k < n && k > 0 && ((unsigned char)p[k] & 0xC0) == 0x80)
		k--;
	for (size_t i = 0; i < k; i++)
		out[o++] = (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? '?' : p[i];
	if (k < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static const char *
field_of(const struct rowmap *m, const struct rowmap_col *col)
{
	if (col->map)
		return col->map->field;
	return col->slot >= 0 ? m->slot_name[col->slot] : NULL;
}

/* Where a column is, for messages: "column Price" or "element Price in /inventory/vehicle[3]". */
static void
where_of(const struct rowctx *x, const struct rowmap_col *col, char *buf, size_t n)
{
	if (x->m->xml)
		snprintf(buf, n, "element %s in %s", col->source,
		         x->row->where ? x->row->where : "");
	else
		snprintf(buf, n, "column %s", col->source);
}

static void
reject_value(struct rowctx *x, const struct rowmap_col *col, const char *p, size_t n,
             const char *why)
{
	char v[64], where[256];

	shown(p, n, v);
	where_of(x, col, where, sizeof(where));
	rowmap_reject(x->out, x->row->line, field_of(x->m, col), "'%s' %s (%s)", v, why, where);
	x->rejected = true;
}

static char *
work_take(struct rowmap_work *w, size_t n)
{
	char *p = w->buf + w->len;

	w->len += n;
	if (w->len > w->cap)
		log_fatal("rowmap: scratch overrun (%zu > %zu)", w->len, w->cap);
	return p;
}

/* Bytes that are not plain ASCII: NUL is a file error; the rest is decoded or refused. */
static enum ls_scope
decode(struct rowctx *x, size_t c, const struct rowmap_col *col, struct span *v)
{
	const struct rowmap *m = x->m;
	size_t bad = 0;
	long k;

	if (memchr(v->p, '\0', v->n)) {
		batch_fail(x->out, x->row->line,
		           xasprintf("NUL byte in column %zu (%s)", c + 1, col->source));
		return LS_BAD_FILE;
	}
	if (m->cs == CHARSET_UTF8) {
		bad = charset_utf8_check(v->p, v->n);
		if (bad == v->n)
			return LS_OK;
		rowmap_reject(x->out, x->row->line, field_of(m, col),
		              "invalid UTF-8: byte 0x%02X at byte %zu of column %zu (%s)",
		              (unsigned char)v->p[bad], bad + 1, c + 1, col->source);
		x->rejected = true;
		return LS_BAD_RECORD;
	}
	if (m->cs == CHARSET_ISO_8859_15) {
		unsigned long c1 = 0;

		for (size_t i = 0; i < v->n; i++)
			c1 += (unsigned char)v->p[i] >= 0x80 && (unsigned char)v->p[i] <= 0x9F;
		if (c1 && !x->out->st.c1_bytes)
			x->out->st.c1_first_line = x->row->line;
		x->out->st.c1_bytes += c1;
	}
	if (!x->w->conv_open) {
		if (charset_conv_open(&x->w->conv, m->cs) == -1) {
			batch_fail(x->out, x->row->line,
			           xasprintf("cannot convert from %s", charset_name(m->cs)));
			return LS_BAD_FILE;
		}
		x->w->conv_open = true;
	}
	k = charset_conv_run(&x->w->conv, v->p, v->n, x->w->buf + x->w->len, &bad);
	if (k < 0) {
		rowmap_reject(x->out, x->row->line, field_of(m, col),
		              "byte 0x%02X at byte %zu of column %zu (%s) does not decode as %s",
		              (unsigned char)v->p[bad], bad + 1, c + 1, col->source,
		              charset_name(m->cs));
		x->rejected = true;
		return LS_BAD_RECORD;
	}
	v->p = work_take(x->w, (size_t)k);
	v->n = (size_t)k;
	return LS_OK;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static inline void
trim(struct span *v)
{
	while (v->n > 0 && is_space(v->p[0])) {
		v->p++;
		v->n--;
	}
	while (v->n > 0 && is_space(v->p[v->n - 1]))
		v->n--;
}

/* Decimal text of v: the hot path formats numbers on every row, without printf. */
static void
set_number(struct rowctx *x, int slot, long long v)
{
	char tmp[NORM_NUM_MAX], *e = tmp + sizeof(tmp), *p = e;
	unsigned long long a = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t n;

	do
		*--p = (char)('0' + a % 10);
	while ((a /= 10) != 0);
	if (v < 0)
		*--p = '-';
	n = (size_t)(e - p);
	x->w->slot[slot].p = memcpy(work_take(x->w, n), p, n);
	x->w->slot[slot].n = n;
}

static void
set_text(struct rowctx *x, int slot, const char *text)
{
	size_t n = strlen(text);

	x->w->slot[slot].p = memcpy(work_take(x->w, n), text, n);
	x->w->slot[slot].n = n;
}

static void
map_money(struct rowctx *x, const struct rowmap_col *col, struct span v)
{
	const struct profile *p = x->m->prof;
	struct norm_money mo;
	const char *why = norm_money(v.p, v.n, p->decimal, p->currency, &mo);

	if (why) {
		reject_value(x, col, v.p, v.n, why);
		return;
	}
	if (mo.currency[0]) {
		if (x->currency[0] && strcmp(x->currency, mo.currency) != 0) {
			reject_value(x, col, v.p, v.n,
			             "is in another currency than the row's other amounts");
			return;
		}
		memcpy(x->currency, mo.currency, 4);
	}
	set_number(x, col->slot, mo.minor);
}

static void
map_date(struct rowctx *x, const struct rowmap_col *col, struct span v)
{
	const struct profile *p = x->m->prof;
	struct rowmap_stats *st = &x->out->st;
	struct date_seen seen;
	char text[NORM_DATE_MAX];
	const char *why = norm_date(p->dates, p->ndates, v.p, v.n, text, &seen);

	if (why) {
		char msg[160];

		snprintf(msg, sizeof(msg), "%s (date format%s %s%s)", why, p->ndates > 1 ? "s" : "",
		         p->dates[0].text, p->ndates > 1 ? ", ..." : "");
		reject_value(x, col, v.p, v.n, msg);
		return;
	}
	if (p->dates[seen.format].order_ambiguous) {
		if (st->date_format < 0) {
			st->date_format = seen.format;
			st->date_first_line = x->row->line;
		}
		st->dates_ambiguous++;
		st->dates_day_over_12 += seen.day > 12;
	}
	set_text(x, col->slot, text);
}

static void
map_vin(struct rowctx *x, const struct rowmap_col *col, struct span v)
{
	const struct profile *p = x->m->prof;
	struct rowmap_stats *st = &x->out->st;
	char *copy = memcpy(work_take(x->w, v.n), v.p, v.n);
	enum vin_status vs = VIN_OK;
	const char *why = norm_vin(copy, v.n, p->short_vin, &vs);

	if (why) {
		reject_value(x, col, v.p, v.n, why);
		return;
	}
	if (vs == VIN_BAD_CHECK_DIGIT && p->vin_check == VIN_CHECK_STRICT) {
		reject_value(x, col, copy, v.n,
		             "fails the check digit (position 9; vin_check = strict)");
		return;
	}
	if (vs == VIN_BAD_CHECK_DIGIT && p->vin_check == VIN_CHECK_WARN) {
		if (!st->vin_bad_check++) {
			st->vin_first_line = x->row->line;
			memcpy(st->vin_first, copy, 17);
			st->vin_first[17] = '\0';
		}
	}
	st->vin_short += vs == VIN_SHORT;
	x->w->slot[col->slot].p = copy;
	x->w->slot[col->slot].n = v.n;
}

/* Items split on the source separator, trimmed, empty ones dropped, joined with '|'. */
static void
map_list(struct rowctx *x, const struct rowmap_col *col, struct span v)
{
	struct span *sv = &x->w->slot[col->slot];
	char sep = col->map->list_sep;
	size_t cap = v.n + sv->n + 1, o = 0;
	char *out = work_take(x->w, cap);
	const char *p = v.p, *e = v.p + v.n;

	if (sv->n) { /* a second source of the same list: append */
		memcpy(out, sv->p, sv->n);
		o = sv->n;
	}
	while (p <= e) {
		const char *q = memchr(p, sep, (size_t)(e - p));
		struct span item = {p, (size_t)((q ? q : e) - p)};

		trim(&item);
		if (item.n) {
			if (o)
				out[o++] = '|';
			memcpy(out + o, item.p, item.n);
			o += item.n;
		}
		if (!q)
			break;
		p = q + 1;
	}
	sv->p = out;
	sv->n = o;
}

/* A [values:FIELD] map: an exact source value (any case) becomes its replacement. */
static void
map_values(const struct profile_map *pm, struct span *v)
{
	for (size_t i = 0; i < pm->nvalues; i++)
		if (strlen(pm->values[i].from) == v->n &&
		    strncasecmp(pm->values[i].from, v->p, v->n) == 0) {
			v->p = pm->values[i].to;
			v->n = strlen(pm->values[i].to);
			return;
		}
}

static void
map_enum(struct rowctx *x, const struct rowmap_col *col, struct span v)
{
	const struct field_def *def = col->map->def;
	char canon[32], why[160];

	if (fields_enum_value(def, v.p, v.n, canon) == -1) {
		snprintf(why, sizeof(why), "is not a %s (%s; a [values:%s] section maps others)",
		         def->name, def->extra, def->name);
		reject_value(x, col, v.p, v.n, why);
		return;
	}
	set_text(x, col->slot, canon);
}

static void
map_value(struct rowctx *x, const struct rowmap_col *col, struct span v)
{
	const struct profile *p = x->m->prof;
	long long km;
	int year;
	const char *why;
	char num[NORM_NUM_MAX];

	trim(&v);
	if (col->map->nvalues && v.n)
		map_values(col->map, &v);
	if (v.n == 0)
		return;
	switch (col->map->kind) {
	case FIELD_ENUM: map_enum(x, col, v); break;
	case FIELD_INT:
		if ((why = norm_int(v.p, v.n, col->map->def ? col->map->def->extra : NULL, &km)) !=
		    NULL)
			reject_value(x, col, v.p, v.n, why);
		else
			set_number(x, col->slot, km);
		break;
	case FIELD_COORD:
		if ((why = norm_coord(v.p, v.n, col->map->def->extra[0] == '9' ? 90 : 180, num)) !=
		    NULL)
			reject_value(x, col, v.p, v.n, why);
		else
			set_text(x, col->slot, num);
		break;
	case FIELD_TEXT: x->w->slot[col->slot] = v; break;
	case FIELD_MONEY: map_money(x, col, v); break;
	case FIELD_MILEAGE:
		if ((why = norm_mileage(v.p, v.n, p->thousands, &km, &x->unit, &x->unit_named)) !=
		    NULL) {
			reject_value(x, col, v.p, v.n, why);
			break;
		}
		set_number(x, col->slot, km);
		break;
	case FIELD_UNIT:
		if ((why = norm_mileage_unit(v.p, v.n, &x->col_unit)) != NULL)
			reject_value(x, col, v.p, v.n, why);
		else
			x->unit_col = true;
		break;
	case FIELD_YEAR:
		if ((why = norm_year(v.p, v.n, &year)) != NULL)
			reject_value(x, col, v.p, v.n, why);
		else
			x->w->slot[col->slot] = v;
		break;
	case FIELD_DATE: map_date(x, col, v); break;
	case FIELD_VIN: map_vin(x, col, v); break;
	case FIELD_LIST: map_list(x, col, v); break;
	}
}

/* Scratch for one row: every transformation fits without moving earlier values. */
static void
work_prepare(struct rowmap_work *w, const struct rowmap *m, const struct rowmap_row *row)
{
	size_t bytes = 0, need;

	for (size_t c = 0; c < row->nvals; c++)
		bytes += row->vals[c].n;
	for (size_t i = 0; i < row->nextras; i++)
		bytes += row->extras[i].n + row->extras[i].nlen + 16;
	/* decoding may triple a value, a transformation (or a list append) repeats it */
	need = (m->cs == CHARSET_UTF8 ? 2 : 7) * bytes + 64 * (row->nvals + 4) + 1024;
	if (need > w->cap) {
		free(w->buf);
		w->cap = need + need / 2;
		w->buf = xmalloc(w->cap);
	}
	w->len = 0;
	w->slot = xgrow(w->slot, &w->slot_alloc, m->nslots + 1, sizeof(*w->slot));
	memset(w->slot, 0, m->nslots * sizeof(*w->slot));
	w->ndyn = 0;
}

static void
add_dyn(struct rowctx *x, const char *name, size_t nlen, struct span v)
{
	struct rowmap_work *w = x->w;
	char *full = work_take(w, nlen + 7);

	memcpy(full, "extra.", 6);
	memcpy(full + 6, name, nlen);
	full[6 + nlen] = '\0';
	w->dyn = xgrow(w->dyn, &w->dyn_alloc, w->ndyn + 1, sizeof(*w->dyn));
	w->dyn[w->ndyn++] = (struct named_span){full, nlen + 6, v.p, v.n};
}

static int
cmp_dyn(const void *a, const void *b)
{
	return strcmp(((const struct named_span *)a)->name, ((const struct named_span *)b)->name);
}

/* The row's currency: named by its amounts, by a currency column, or the profile's. */
static void
settle_currency(struct rowctx *x)
{
	const struct rowmap *m = x->m;
	struct span *cur;
	bool amounts = false;

	if (m->slot_currency < 0)
		return;
	cur = &x->w->slot[m->slot_currency];
	for (size_t c = 0; c < m->ncols && !amounts; c++)
		amounts = m->cols[c].map && m->cols[c].map->kind == FIELD_MONEY &&
		          x->w->slot[m->cols[c].slot].n > 0;
	if (cur->n && x->currency[0] && (cur->n != 3 || memcmp(cur->p, x->currency, 3) != 0)) {
		rowmap_reject(x->out, x->row->line, "currency",
		              "amounts are in %s but the currency column says '%.*s'", x->currency,
		              (int)(cur->n > 3 ? 3 : cur->n), cur->p);
		x->rejected = true;
		return;
	}
	if (!cur->n && amounts && x->currency[0])
		set_text(x, m->slot_currency, x->currency);
	else if (!cur->n && amounts && m->prof->currency[0])
		set_text(x, m->slot_currency, m->prof->currency);
}

/*
 * The mileage's unit: what the value names, else a unit column, else the
 * profile's. A value and a column that disagree are refused: which one is
 * wrong cannot be told, and a wrong unit is a wrong mileage.
 */
static void
settle_unit(struct rowctx *x)
{
	const struct rowmap *m = x->m;
	enum mileage_unit u = m->prof->mileage_unit;

	if (m->slot_unit < 0)
		return;
	if (m->slot_mileage < 0 || x->w->slot[m->slot_mileage].n == 0) {
		x->w->slot[m->slot_unit].n = 0; /* no mileage: no unit either */
		return;
	}
	if (x->unit_named && x->unit_col && x->unit != x->col_unit) {
		rowmap_reject(x->out, x->row->line, "mileage_unit",
		              "the mileage is in %s but the unit column says %s",
		              mileage_unit_name(x->unit), mileage_unit_name(x->col_unit));
		x->rejected = true;
		return;
	}
	if (x->unit_named)
		u = x->unit;
	else if (x->unit_col)
		u = x->col_unit;
	set_text(x, m->slot_unit, mileage_unit_name(u));
}

static bool
check_required(struct rowctx *x)
{
	const struct rowmap *m = x->m;
	struct span *s = x->w->slot;

	for (size_t i = 0; i < m->nmandatory; i++)
		if (m->mandatory[i] >= 0 && s[m->mandatory[i]].n == 0) {
			rowmap_reject(x->out, x->row->line, m->slot_name[m->mandatory[i]],
			              "missing mandatory field '%s'",
			              m->slot_name[m->mandatory[i]]);
			return false;
		}
	if (m->feed->key == FEED_KEY_VIN && s[m->slot_vin].n == 0) {
		rowmap_reject(x->out, x->row->line, "vin", "missing VIN (the key)");
		return false;
	}
	if (m->feed->key == FEED_KEY_STOCK && s[m->slot_stock].n == 0) {
		rowmap_reject(x->out, x->row->line, "stock_no", "missing stock number (the key)");
		return false;
	}
	if (m->feed->key == FEED_KEY_STOCK && s[m->slot_dealer].n == 0) {
		rowmap_reject(x->out, x->row->line, "dealer_id",
		              "missing dealer ID (part of the key)");
		return false;
	}
	return true;
}

static void
put_field(char **enc, struct field *f, const char *name, size_t nlen, struct span v)
{
	char *p = *enc;

	span_copy(p, name, nlen + 1); /* with its NUL */
	f->name = p;
	p += nlen + 1;
	span_copy(p, v.p, v.n);
	p[v.n] = '\0';
	f->value = p;
	*enc = p + v.n + 1;
}

/*
 * The stored JSON of a new or changed record, made here: on the parser
 * threads of a CSV file rather than the one that writes the versions (a
 * first load of 1M vehicles spent a tenth of that thread there), with the
 * thread's own writer (the fields are in name order already).
 */
static void
record_json(struct record *r, struct rowmap_work *w, struct batch *out)
{
	char *p;

	record_json_write(r, &w->json);
	p = batch_alloc(out, w->json.out.len + 1);
	memcpy(p, w->json.out.p, w->json.out.len + 1);
	r->json = p;
	r->json_len = w->json.out.len;
}

/*
 * The record: "name NUL value NUL" for each field in name order, one
 * contiguous block, so the hash is one XXH3 call and equals what
 * record_finish() computes over the same fields.
 */
static void
emit(struct rowctx *x)
{
	const struct rowmap *m = x->m;
	struct rowmap_work *w = x->w;
	struct batch_item *it;
	size_t total = 0, nf = 0, d = 0;
	char *enc, *p;
	struct field *f;

	if (w->ndyn > 1)
		qsort(w->dyn, w->ndyn, sizeof(*w->dyn), cmp_dyn);
	for (size_t i = 0; i < m->nslots; i++)
		if (w->slot[i].n) {
			total += m->slot_len[i] + w->slot[i].n + 2;
			nf++;
		}
	for (size_t i = 0; i < w->ndyn; i++)
		if (w->dyn[i].n) {
			total += w->dyn[i].nlen + w->dyn[i].n + 2;
			nf++;
		}
	it = batch_item(x->out, BATCH_RECORD, x->row->line);
	enc = p = batch_alloc(x->out, total ? total : 1);
	f = batch_alloc(x->out, (nf ? nf : 1) * sizeof(*f));
	it->rec.fields = f;
	it->rec.nfields = nf;
	for (size_t i = 0; i <= m->nslots; i++) {
		/* Merge the few dynamic extras (already sorted) in name order. */
		while (d < w->ndyn &&
		       (i == m->nslots || strcmp(w->dyn[d].name, m->slot_name[i]) < 0)) {
			if (w->dyn[d].n)
				put_field(&p, f++, w->dyn[d].name, w->dyn[d].nlen,
				          (struct span){w->dyn[d].p, w->dyn[d].n});
			d++;
		}
		if (i == m->nslots)
			break;
		if (w->slot[i].n) {
			if (m->fill_bit[i] >= 0)
				it->rec.raw.fill |= (uint64_t)1 << m->fill_bit[i];
			if ((int)i == m->slot_vin && m->feed->key == FEED_KEY_VIN)
				it->rec.key = p + m->slot_len[i] + 1;
			put_field(&p, f++, m->slot_name[i], m->slot_len[i], w->slot[i]);
		}
	}
	it->rec.hash = XXH3_64bits(enc, total);
	record_json(&it->rec, w, x->out);
	if (m->feed->key == FEED_KEY_STOCK) {
		struct span dl = w->slot[m->slot_dealer], st = w->slot[m->slot_stock];

		it->rec.key = batch_alloc(x->out, dl.n + st.n + 2);
		memcpy(it->rec.key, dl.p, dl.n);
		it->rec.key[dl.n] = '/';
		memcpy(it->rec.key + dl.n + 1, st.p, st.n);
		it->rec.key[dl.n + st.n + 1] = '\0';
	}
}

/* One key part: trimmed, ASCII, non-empty; its span or false. */
static bool
key_part(const struct rowmap_row *row, int c, struct span *v)
{
	if (c < 0 || (size_t)c >= row->nvals)
		return false;
	*v = row->vals[c];
	trim(v);
	return v->n > 0 && charset_is_plain(v->p, v->n);
}

bool
rowmap_row_key(const struct rowmap *m, const struct rowmap_row *row, char *out, size_t n)
{
	struct span d = {0}, st;

	if (m->feed->key == FEED_KEY_VIN) {
		enum vin_status vs;

		if (!key_part(row, m->col_vin, &st) || st.n + 1 > n)
			return false;
		memcpy(out, st.p, st.n);
		out[st.n] = '\0';
		return norm_vin(out, st.n, m->prof->short_vin, &vs) == NULL;
	}
	if (!key_part(row, m->col_stock, &st))
		return false;
	if (!key_part(row, m->col_dealer, &d)) {
		if (!m->feed->dealer_id)
			return false;
		d = (struct span){m->feed->dealer_id, strlen(m->feed->dealer_id)};
	}
	if (d.n + st.n + 2 > n)
		return false;
	memcpy(out, d.p, d.n);
	out[d.n] = '/';
	memcpy(out + d.n + 1, st.p, st.n);
	out[d.n + st.n + 1] = '\0';
	return true;
}

/* The refusals this row added name its key, when it can be read. */
static void
name_key(const struct rowmap *m, const struct rowmap_row *row, struct batch *out, size_t first)
{
	char key[256];
	const char *k = NULL;

	for (size_t i = first; i < out->n; i++) {
		if (out->items[i].kind != BATCH_REJECT)
			continue;
		if (!k && !rowmap_row_key(m, row, key, sizeof(key)))
			return;
		if (!k)
			k = batch_strdup(out, key);
		out->items[i].key = k;
	}
}

/*
 * Header rows must have the header's fields. Spreadsheets pad rows with
 * empty trailing fields (",,,"): accepted, counted for one warning per
 * file. Rows short of trailing fields are refused unless the profile says
 * ragged = pad. Returns false when the row is refused.
 */
static bool
check_width(const struct rowmap *m, const struct rowmap_row *row, struct batch *out)
{
	if (m->positional || m->xml || row->nvals == m->ncols)
		return true;
	if (row->nvals > m->ncols) {
		for (size_t c = m->ncols; c < row->nvals; c++) {
			struct span v = row->vals[c];

			trim(&v);
			if (v.n) {
				rowmap_reject(
				        out, row->line, NULL,
				        "row has %zu fields, the header has %zu (field %zu is "
				        "not empty)",
				        row->nvals, m->ncols, c + 1);
				return false;
			}
		}
		if (!out->st.ragged_extra++)
			out->st.ragged_extra_line = row->line;
		return true;
	}
	if (m->prof->ragged_pad) {
		if (!out->st.ragged_padded++)
			out->st.ragged_padded_line = row->line;
		return true;
	}
	rowmap_reject(out, row->line, NULL,
	              "row has %zu fields, the header has %zu (missing trailing fields; "
	              "ragged = pad reads them as empty)",
	              row->nvals, m->ncols);
	return false;
}

static enum ls_scope map_row(const struct rowmap *m, struct rowmap_work *w,
                             const struct rowmap_row *row, struct batch *out);

enum ls_scope
rowmap_map(const struct rowmap *m, struct rowmap_work *w, const struct rowmap_row *row,
           struct batch *out)
{
	size_t first = out->n;
	enum ls_scope sc = map_row(m, w, row, out);

	if (out->n > first)
		name_key(m, row, out, first);
	return sc;
}

static enum ls_scope
map_row(const struct rowmap *m, struct rowmap_work *w, const struct rowmap_row *row,
        struct batch *out)
{
	struct rowctx x = {.m = m, .w = w, .row = row, .out = out};
	size_t ncols = row->nvals < m->ncols ? row->nvals : m->ncols;
	enum ls_scope sc;

	if (!check_width(m, row, out))
		return LS_OK;
	if (m->positional && row->nvals < m->min_columns) {
		rowmap_reject(out, row->line, NULL, "row has %zu fields, the profile needs %zu",
		              row->nvals, m->min_columns);
		return LS_OK;
	}
	work_prepare(w, m, row);
	for (size_t c = 0; c < ncols && !x.rejected; c++) {
		const struct rowmap_col *col = &m->cols[c];
		struct span v = row->vals[c];

		if (v.n == 0)
			continue;
		if (!m->xml && !(row->plain && row->plain[c]) && !charset_is_plain(v.p, v.n) &&
		    (sc = decode(&x, c, col, &v)) != LS_OK)
			return sc == LS_BAD_FILE ? LS_BAD_FILE : LS_OK;
		if (col->map)
			map_value(&x, col, v);
		else
			w->slot[col->slot] = v;
	}
	for (size_t c = m->ncols; m->positional && c < row->nvals && !x.rejected; c++) {
		struct rowmap_col col = {.slot = -1, .source = NULL};
		struct span v = row->vals[c];
		char name[24];

		if (v.n == 0)
			continue;
		char source[32];

		snprintf(name, sizeof(name), "%zu", c);
		snprintf(source, sizeof(source), "position %zu", c);
		col.source = source;
		if (!charset_is_plain(v.p, v.n) && (sc = decode(&x, c, &col, &v)) != LS_OK)
			return sc == LS_BAD_FILE ? LS_BAD_FILE : LS_OK;
		add_dyn(&x, name, strlen(name), v);
	}
	for (size_t i = 0; i < row->nextras && !x.rejected; i++)
		add_dyn(&x, row->extras[i].name, row->extras[i].nlen,
		        (struct span){row->extras[i].p, row->extras[i].n});
	if (x.rejected)
		return LS_OK;
	if (m->slot_dealer >= 0 && !w->slot[m->slot_dealer].n && m->feed->dealer_id)
		set_text(&x, m->slot_dealer, m->feed->dealer_id);
	settle_currency(&x);
	if (!x.rejected)
		settle_unit(&x);
	if (!x.rejected && check_required(&x))
		emit(&x);
	return LS_OK;
}
