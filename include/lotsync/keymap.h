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

#include "lotsync/record.h"

/*
 * 40 bytes, and a million-key feed keeps a table of two million: each
 * field is as wide as it needs to be. A line fits 32 bits because a file
 * holds at most LS_MAX_INPUT_BYTES (4 GiB) and a record's line ends with
 * its newline.
 */
struct keymap_entry {
	char *key;
	uint64_t hash;      /* content hash of the current version */
	long long version;  /* versions.id, 0 when none is stored */
	uint32_t khash;     /* XXH3 of the key, low half: probes compare it before the key */
	uint32_t seen_line; /* line in the current file, 0 = not seen */
	uint32_t raw;       /* its row in the feed's rawset + 1; 0 = none */
	bool current;       /* present in the previous snapshot */
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
/*
 * Room for n entries before the table grows again (a hint: more still
 * fit). Loading a million keys into a table grown by doubling moved each
 * one about twice and touched twice the memory.
 */
void keymap_reserve(struct keymap *m, size_t n);

/*
 * The feed's current records by raw hash (the raw-record fast path,
 * reader.h): rows added while the current set loads, then an index built
 * once; after rawset_build() it is read-only and may be shared by threads.
 * A row names its key (the keymap's copy: its blocks never move, while
 * entries move when the keymap grows); the entry names its row (raw).
 * Two rows with the same raw hash (a collision, or bytes stored twice) are
 * both left out of the index: a record is matched only when it is certain.
 */
struct rawset_row {
	struct rawrec r;
	const char *key; /* the keymap's copy */
	long long version;
};

struct rawset {
	struct rawset_row *rows;
	size_t n, alloc;
	uint32_t *index; /* row + 1, 0 = empty, UINT32_MAX = left out */
	size_t cap;
};

void rawset_init(struct rawset *s);
void rawset_release(struct rawset *s);
/* Add a row for entry e (loaded current, e->version set); sets e->raw. */
void rawset_add(struct rawset *s, struct keymap_entry *e, const struct rawrec *r);
/* Room for n rows before rawset_add() reallocates (a hint). */
void rawset_reserve(struct rawset *s, size_t n);
/* Index the rows (again: rows added since are included). */
void rawset_build(struct rawset *s);
/* The row whose raw hash is (lo, hi), or -1. */
long rawset_find(const struct rawset *s, uint64_t lo, uint64_t hi);

#endif
