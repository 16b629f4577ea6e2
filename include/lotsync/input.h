/*
 * input.h - a feed file as a stream of bytes: the file itself, or the one
 * feed inside a .gz or .zip, decompressed by libarchive as a stream. Members
 * are read into memory, never extracted, so their names cannot reach the
 * file system; the name is only shown in messages (sanitised).
 *
 * Compression is found by content (gzip and zip magic numbers), not by the
 * file name. A zip must hold exactly one feed member: a regular file whose
 * name ends in the profile format's extensions (.csv .txt .tsv .tab for
 * CSV, .xml for XML), or its only regular file; others (photos) are skipped.
 *
 * Caps against bombs: at most LS_MAX_INPUT_BYTES out in total, and beyond
 * LS_INPUT_RATIO_FLOOR bytes out, at most LS_MAX_INPUT_RATIO bytes out per byte in.
 *
 * Errors: input_open() returns LS_BAD_FEED when the file cannot be opened
 * (logged: local trouble, retry next run) and LS_BAD_FILE with *why for a
 * file that cannot be read as a feed (corrupt archive, no or several feed
 * members): quarantine. input_read() returns -1 on failure, input_why()
 * and input_scope() say why and how bad. Nothing is logged but open
 * failures; the reader reports the rest once.
 */
#ifndef LOTSYNC_INPUT_H
#define LOTSYNC_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lotsync/limits.h"
#include "lotsync/status.h"

enum input_kind { INPUT_PLAIN, INPUT_GZIP, INPUT_ZIP, INPUT_MEMORY };

struct input;

/* ext: "csv" or "xml", which zip members count as the feed. */
enum ls_scope input_open(const char *path, const char *ext, struct input **out, char **why);
/* Bytes in memory (tests, fuzzing): never decompressed. Not copied. */
struct input *input_open_mem(const void *data, size_t n);

/* Up to n bytes: the count, 0 at the end, -1 on failure. */
ssize_t input_read(struct input *in, void *buf, size_t n);
const char *input_why(const struct input *in);
enum ls_scope input_scope(const struct input *in);
/* Read from the start again (the auto charset check reads twice). */
int input_rewind(struct input *in);

enum input_kind input_kind(const struct input *in);
/* "gzip", "zip member 'feed.csv'", or NULL for a plain file. */
const char *input_describe(const struct input *in);
void input_close(struct input *in);

#endif
