/*
 * reader.h - one feed file, read as its profile says, into canonical
 * records and row errors delivered to callbacks. This is the seam between
 * the bytes of a file (compression, charset, format, dialect, header
 * binding, normalisation) and what ingest does with the vehicles; it holds
 * no business logic.
 *
 * The charset is the feed's when it sets one, else the profile's. Records
 * arrive in file order whatever the number of threads: CSV files are cut
 * into chunks at record boundaries, parsed and mapped on every core, and
 * delivered in order from the calling thread (LOTSYNC_PARSE_THREADS=N
 * overrides the core count, LOTSYNC_PARSE_CHUNK=BYTES the chunk size; for
 * benchmarks and tests). Memory is bounded by the chunks in flight, not by
 * the file.
 *
 * The record passed to cb->record is owned by the reader and valid only
 * during the call. cb->reject receives a row error the callee releases.
 * cb->warn (may be NULL) receives the file's warnings once the whole file
 * was read (ambiguous dates, VIN check digits), valid during the call.
 * Every callback returns LS_OK / LS_BAD_RECORD to go on, worse to stop;
 * callbacks always run on the thread that called reader_read().
 *
 * The raw-record fast path (CSV): with cb->raw, the feed's current records
 * by raw hash, each record's raw bytes (cut by quote parity, with their line
 * end) are hashed (XXH3-128) with a seed that fingerprints everything that
 * gives them their meaning: this build's code, the profile as compiled, the
 * effective charset, the header line's bytes, the feed's key and dealer_id.
 * A record whose hash is a current record's is not parsed or mapped:
 * cb->same receives that row and the record's line instead of a record (its
 * findings, ambiguous dates, VIN check digit, ragged, C1 bytes, still count
 * in the file's warnings, at its line). Before the first, cb->same_fields
 * names the fields a raw.fill bit stands for (valid during that call).
 * Every other record is parsed as without it and carries its raw hash, fill
 * and findings in record.raw (has_raw), for ingest to keep. A profile or
 * charset change, another header, another build: no hash matches, and every
 * record is parsed. LOTSYNC_RAW_FASTPATH=0 turns it off (benchmarks, tests:
 * the same results, without the shortcut).
 *
 * reader_read() returns LS_OK, LS_BAD_FILE (the file cannot be read as its
 * profile says: logged, and *why set to the one-line reason, caller
 * frees), LS_BAD_FEED (the file cannot be opened or read: logged), or what
 * a callback returned to stop.
 */
#ifndef LOTSYNC_READER_H
#define LOTSYNC_READER_H

#include <stddef.h>

#include "lotsync/config.h"
#include "lotsync/keymap.h"
#include "lotsync/profile.h"
#include "lotsync/record.h"
#include "lotsync/status.h"

struct reader_cb {
	enum ls_scope (*record)(void *ctx, const struct record *r);
	enum ls_scope (*reject)(void *ctx, struct row_error *e);
	enum ls_scope (*warn)(void *ctx, const struct row_warning *w);
	/*
	 * May be NULL. For a CSV file with a header, once the whole file was
	 * read: the header's columns (names as the file spells them, trimmed)
	 * and the canonical field each maps (NULL: kept as extra); the drift
	 * guard compares them with the previous file's.
	 */
	enum ls_scope (*columns)(void *ctx, const char *const *names, const char *const *fields,
	                         size_t n);
	/*
	 * May be NULL. Work-order files only (wo_map.h): the record with this
	 * key ends here (an explicit delete entry), line = where it is named.
	 */
	enum ls_scope (*remove)(void *ctx, const char *key, unsigned long line);
	/* May be NULL (all three): the raw-record fast path, above. */
	const struct rawset *raw;
	enum ls_scope (*same_fields)(void *ctx, const char *const *names, size_t n);
	enum ls_scope (*same)(void *ctx, size_t row, unsigned long line);
	void *ctx;
};

/* Whether files of profile p can take the raw-record fast path (CSV, not switched off). */
bool reader_raw_fastpath(const struct profile *p);

enum ls_scope reader_read(const struct profile *p, const struct feed_conf *feed, const char *path,
                          const char *name, const struct reader_cb *cb, char **why);

/* The same over bytes in memory (never decompressed): tests and fuzzing. */
enum ls_scope reader_read_mem(const struct profile *p, const struct feed_conf *feed,
                              const void *data, size_t len, const char *name,
                              const struct reader_cb *cb, char **why);

#endif
