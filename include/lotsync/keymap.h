/*
 * keymap.h - an open-addressing hash table from record key to the stored
 * version of that record: what ingest compares every parsed row against.
 *
 * The map owns copies of its keys, packed into large blocks (one feed can
 * hold a million keys: one malloc each would fragment the heap that the
 * per-row allocations of parsing share). Entries are never removed; the
 * table is released as one unit after the file's commit.
 */
#ifndef LOTSYNC_KEYMAP_H
#define LOTSYNC_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keymap_entry {
	char *key;
	uint64_t khash;          /* XXH3 of the key: probes compare it before the key */
	uint64_t hash;           /* content hash of the current version */
	long long version;       /* versions.id, 0 when none is stored */
	unsigned long seen_line; /* line in the current file, 0 = not seen */
	bool current;            /* present in the previous snapshot */
};

struct keymap_block;

struct keymap {
	struct keymap_entry *slots;
	size_t cap, n;
	struct keymap_block *blocks; /* key storage, newest first */
};

void keymap_init(struct keymap *m);
void keymap_release(struct keymap *m);
/* The entry for key, or NULL. */
struct keymap_entry *keymap_get(const struct keymap *m, const char *key);
/* The entry for key, created zeroed (with its key copied) when absent. */
struct keymap_entry *keymap_put(struct keymap *m, const char *key);

#endif
