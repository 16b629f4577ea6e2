/* keymap.c - linear-probing hash table keyed by strings (XXH3). */
#include "lotsync/keymap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lotsync/util.h"

void
keymap_init(struct keymap *m)
{
	memset(m, 0, sizeof(*m));
}

_Static_assert(sizeof(void *) != 8 || sizeof(struct keymap_entry) == 40,
               "struct keymap_entry grew past 40 bytes (keymap.h)");

#define BLOCK_SIZE (1 << 20)

struct keymap_block {
	struct keymap_block *next;
	size_t used, size;
	char data[];
};

void
keymap_release(struct keymap *m)
{
	while (m->blocks) {
		struct keymap_block *b = m->blocks;

		m->blocks = b->next;
		free(b);
	}
	free(m->slots);
	keymap_init(m);
}

/* Copy a key into the current block, starting a new one when it is full. */
static char *
store_key(struct keymap *m, const char *key)
{
	size_t len = strlen(key) + 1;
	struct keymap_block *b = m->blocks;
	char *p;

	if (!b || b->size - b->used < len) {
		size_t size = len > BLOCK_SIZE ? len : BLOCK_SIZE;

		b = xmalloc(sizeof(*b) + size);
		b->next = m->blocks;
		b->used = 0;
		b->size = size;
		m->blocks = b;
	}
	p = b->data + b->used;
	memcpy(p, key, len);
	b->used += len;
	return p;
}

static size_t
slot_of(const struct keymap *m, const char *key, uint32_t kh)
{
	size_t i = (size_t)kh & (m->cap - 1);

	while (m->slots[i].key && (m->slots[i].khash != kh || strcmp(m->slots[i].key, key) != 0))
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* The low half of XXH3: the slot's bits come from it (tables stay below 2^32 slots). */
static uint32_t
key_hash(const char *key)
{
	return (uint32_t)XXH3_64bits(key, strlen(key));
}

/* The table at cap slots (a power of two above twice the entries), entries moved in. */
static void
resize(struct keymap *m, size_t cap)
{
	struct keymap old = *m;

	m->cap = cap;
	m->slots = xcalloc_written(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			m->slots[slot_of(m, old.slots[i].key, old.slots[i].khash)] = old.slots[i];
	free(old.slots);
}

static void
grow(struct keymap *m)
{
	resize(m, m->cap ? m->cap * 2 : 1024);
}

void
keymap_reserve(struct keymap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 1024;

	while ((n + 1) * 2 > cap)
		cap *= 2;
	if (cap > m->cap)
		resize(m, cap);
}

struct keymap_entry *
keymap_get(const struct keymap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = slot_of(m, key, key_hash(key));
	return m->slots[i].key ? &m->slots[i] : NULL;
}

struct keymap_entry *
keymap_put(struct keymap *m, const char *key)
{
	uint32_t kh = key_hash(key);
	size_t i;

	/* Keep the load under 1/2 so probes stay short. */
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	i = slot_of(m, key, kh);
	if (!m->slots[i].key) {
		m->slots[i].key = store_key(m, key);
		m->slots[i].khash = kh;
		m->n++;
	}
	return &m->slots[i];
}

/* ---- raw hashes of the current records ---- */

/* An index entry: row + 1, with this bit when two rows share the hash (then neither counts). */
#define RAW_LEFT_OUT 0x80000000u

void
rawset_init(struct rawset *s)
{
	memset(s, 0, sizeof(*s));
}

void
rawset_release(struct rawset *s)
{
	free(s->rows);
	free(s->index);
	rawset_init(s);
}

void
rawset_add(struct rawset *s, struct keymap_entry *e, const struct rawrec *r)
{
	if (s->n >= RAW_LEFT_OUT - 1)
		return; /* beyond any feed: such a record is simply parsed */
	s->rows = xgrow(s->rows, &s->alloc, s->n + 1, sizeof(*s->rows));
	s->rows[s->n] = (struct rawset_row){*r, e->key, e->version};
	e->raw = (uint32_t)++s->n;
}

void
rawset_reserve(struct rawset *s, size_t n)
{
	if (n <= s->alloc)
		return;
	if (!s->rows) { /* probed at random by the parsers: a large one on huge pages */
		s->rows = xcalloc_written(n, sizeof(*s->rows));
		s->alloc = n;
		return;
	}
	s->rows = xgrow(s->rows, &s->alloc, n, sizeof(*s->rows));
}

static bool
same_raw(const struct rawrec *x, uint64_t lo, uint64_t hi)
{
	return x->lo == lo && x->hi == hi;
}

void
rawset_build(struct rawset *s)
{
	size_t cap = 1024;

	while (cap < 2 * s->n)
		cap *= 2;
	free(s->index);
	s->cap = cap;
	s->index = xcalloc_written(cap, sizeof(*s->index));
	for (size_t r = 0; r < s->n; r++) {
		const struct rawrec *x = &s->rows[r].r;

		for (size_t i = (size_t)x->lo & (cap - 1);; i = (i + 1) & (cap - 1)) {
			uint32_t v = s->index[i];

			if (v == 0) {
				s->index[i] = (uint32_t)r + 1;
				break;
			}
			if (same_raw(&s->rows[(v & ~RAW_LEFT_OUT) - 1].r, x->lo, x->hi)) {
				s->index[i] |= RAW_LEFT_OUT;
				break;
			}
		}
	}
}

long
rawset_find(const struct rawset *s, uint64_t lo, uint64_t hi)
{
	if (s->cap == 0)
		return -1;
	for (size_t i = (size_t)lo & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		uint32_t v = s->index[i];

		if (v == 0)
			return -1;
		if (same_raw(&s->rows[(v & ~RAW_LEFT_OUT) - 1].r, lo, hi))
			return v & RAW_LEFT_OUT ? -1 : (long)(v & ~RAW_LEFT_OUT) - 1;
	}
}
