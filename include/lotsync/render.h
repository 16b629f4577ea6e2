/*
 * render.h - write vehicles through an export format into an open file.
 *
 * A renderer owns an output buffer over a file descriptor it does not own,
 * and a thread that writes and hashes the filled buffers in order (the
 * descriptor is written by that thread until render_end() or render_stop()).
 * render_begin() writes the header row or XML prologue, render_json() one
 * vehicle (with its delta action), render_end() the XML epilogue and the
 * last bytes. Rows are written in the order given.
 *
 * Cells are formatted as format.h describes: lists joined, money from
 * minor units, dates from YYYY-MM-DD, exact-value maps, constants, the
 * formula guard on free-text cells, CSV quoting or XML escaping, and the
 * conversion to the format's charset with iconv. A character the charset
 * cannot hold is never dropped silently: CSV gets iconv's transliteration
 * (or '?') and a warning naming the file, vehicle, column and code point;
 * XML gets a numeric character reference. A value that does not fit its
 * column's kind (a price that is not an integer, a date that is not
 * YYYY-MM-DD) is written as stored, with a warning. Warnings are counted;
 * the first RENDER_WARN_SHOWN are logged, then a count.
 *
 * Errors: a write error is remembered (the first one) and reported by
 * render_end() (logged with the label, returns -1); bad stored JSON makes
 * render_json() log and return -1, and so does a vehicle one of whose cells
 * would pass LS_MAX_RENDER_CELL (limits.h). Nothing here exits.
 */
#ifndef LOTSYNC_RENDER_H
#define LOTSYNC_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/format.h"
#include "lotsync/fsio.h"

#define RENDER_WARN_SHOWN 20

/* The action column of delta files; RENDER_FULL writes none. */
enum render_action { RENDER_FULL, RENDER_NEW, RENDER_CHANGED, RENDER_DELETED, RENDER_UNCHANGED };

struct render;

struct render_stats {
	long long rows;     /* vehicles written */
	long long skipped;  /* vehicles left out: a required field missing */
	long long bytes;    /* bytes written to the file */
	long long warnings; /* cells reported (charset, kind) */
};

/*
 * A renderer for format f writing to fd; label names the file in messages
 * (not copied: it must outlive the renderer). delta adds the action column.
 */
struct render *render_new(const struct format *f, int fd, const char *label, bool delta);
void render_free(struct render *r);

void render_begin(struct render *r);
/*
 * One vehicle from its stored canonical JSON ({"field":"value",...}). 1 when
 * it lacks a field the format's required list names: it is not written,
 * and it is reported (label, key, the missing items; the first
 * RENDER_WARN_SHOWN logged). A deleted vehicle (delta) is always written.
 */
int render_json(struct render *r, const char *key, const char *json, size_t len,
                enum render_action a);
/* Epilogue and flush; -1 after any write error (logged once, errno kept). */
int render_end(struct render *r);
/*
 * Without render_end(): stop writing (what was handed to the file's
 * writer thread is written first). Before the caller closes the fd of a
 * file it discards; render_free() does it too.
 */
void render_stop(struct render *r);
void render_get_stats(const struct render *r, struct render_stats *out);
/* SHA-256 of every byte written, as lower-case hex; once, after render_end(). */
void render_sha256(struct render *r, char hex[FSIO_SHA256_HEX]);

const char *render_action_name(enum render_action a);

#endif
