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

void
keymap_release(struct keymap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	keymap_init(m);
}

static size_t
slot_of(const struct keymap *m, const char *key)
{
	size_t i = (size_t)XXH3_64bits(key, strlen(key)) & (m->cap - 1);

	while (m->slots[i].key && strcmp(m->slots[i].key, key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void
grow(struct keymap *m)
{
	struct keymap old = *m;

	m->cap = old.cap ? old.cap * 2 : 1024;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			m->slots[slot_of(m, old.slots[i].key)] = old.slots[i];
	free(old.slots);
}

struct keymap_entry *
keymap_get(const struct keymap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = slot_of(m, key);
	return m->slots[i].key ? &m->slots[i] : NULL;
}

struct keymap_entry *
keymap_put(struct keymap *m, const char *key)
{
	size_t i;

	/* Keep the load under 1/2 so probes stay short. */
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	i = slot_of(m, key);
	if (!m->slots[i].key) {
		m->slots[i].key = xstrdup(key);
		m->n++;
	}
	return &m->slots[i];
}
