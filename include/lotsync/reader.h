/*
 * reader.h - one feed file, read as its profile says, into canonical
 * records and row errors delivered to callbacks. This is the seam between
 * the bytes of a file (format, dialect, header binding, normalisation) and
 * what ingest does with the vehicles; it holds no business logic.
 *
 * The record passed to cb->record is owned by the reader and valid only
 * during the call. cb->reject receives a row error the callee releases.
 * Either callback returns LS_OK / LS_BAD_RECORD to go on, worse to stop.
 * reader_read() returns LS_OK, LS_BAD_FILE (the file cannot be read as its
 * profile says: logged, and *why set to the one-line reason, caller
 * frees), or what a callback returned to stop.
 */
#ifndef LOTSYNC_READER_H
#define LOTSYNC_READER_H

#include "lotsync/config.h"
#include "lotsync/profile.h"
#include "lotsync/record.h"
#include "lotsync/status.h"

struct reader_cb {
	enum ls_scope (*record)(void *ctx, const struct record *r);
	enum ls_scope (*reject)(void *ctx, struct row_error *e);
	void *ctx;
};

enum ls_scope reader_read(const struct profile *p, const struct feed_conf *feed, const char *path,
                          const char *name, const struct reader_cb *cb, char **why);

#endif
