/*
 * store_zdata.h - the stored form of a version's JSON (schema 14): a zstd
 * frame compressed with a fixed dictionary compiled into lotsync (since
 * schema 15 dictionary 2, named in each frame's header; frames of
 * dictionary 0 stay readable).
 *
 * Private to the store (store_*.c) and to the SQLite extension
 * contrib/sqlite/lotsync_sqlite.c, which gives plain sqlite3 the same
 * lotsync_json() function; nothing here speaks SQL.
 *
 * Rows written before schema 14 keep their JSON as TEXT: readers tell the
 * two apart by the value's type (TEXT as is, BLOB through
 * store_zdata_unpack). A dictionary is part of the format: rows written
 * with it must stay readable, so it is never edited; a new one gets a new
 * ID and a new schema version (scripts/mkzdict.sh).
 */
#ifndef LOTSYNC_STORE_ZDATA_H
#define LOTSYNC_STORE_ZDATA_H

#include <stddef.h>

/* A compression and a decompression context; one thread at a time. */
struct store_zdata;

/* A new pair of contexts (their dictionaries made once), or NULL (out of memory). */
struct store_zdata *store_zdata_new(void);
void store_zdata_free(struct store_zdata *z);

/*
 * json[0..n) as one zstd frame (its content size in the header), in z's
 * buffer: valid until the next call on z. *len is its size. NULL: out of
 * memory. (No logging here: the SQLite extension links this file alone.)
 */
const void *store_zdata_pack(struct store_zdata *z, const char *json, size_t n, size_t *len);

/*
 * The JSON of a frame store_zdata_pack made, NUL-terminated, as a new
 * string (caller frees), its length in *len; NULL when blob is not such a
 * frame or is damaged (a reason in why[cap]).
 */
char *store_zdata_unpack(struct store_zdata *z, const void *blob, size_t n, size_t *len, char *why,
                         size_t cap);
/*
 * The same into *buf, of *alloc bytes, grown (realloc) when the frame needs
 * more: a reader of many frames reuses one buffer instead of a malloc and
 * free a frame. Returns *buf, or NULL as above (*buf stays the caller's).
 */
const char *store_zdata_unpack_into(struct store_zdata *z, const void *blob, size_t n, char **buf,
                                    size_t *alloc, size_t *len, char *why, size_t cap);

#endif
