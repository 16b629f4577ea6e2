/*
 * parse_csv.h - CSV records out of bytes with libcsv in strict mode.
 *
 * Names are pcsv_* so that they stay out of libcsv's csv_* namespace.
 *
 * No business logic: the callback gets each record's fields and the line
 * on which the record began (a quoted field may span lines). Strict mode
 * refuses a quote inside an unquoted field and an unterminated final quote.
 * Caps bound memory whatever the input: one field, fields per record, one
 * record's bytes. (The file cap is the reader's: it counts what it reads.)
 *
 * A file is parsed in chunks that begin and end at record boundaries, so
 * chunks can be parsed on several cores: pcsv_cut() finds a boundary by
 * quote parity, which in strict CSV says exactly whether a newline is
 * inside a quoted field (quotes open and close fields and come in pairs
 * inside them; anything else is a strict-mode error, reported by the
 * chunk that holds it, which comes first in file order).
 *
 * The callback returns LS_OK or LS_BAD_RECORD to go on, anything worse to
 * stop. Its fields point into the parser's buffer, valid during the call.
 */
#ifndef LOTSYNC_PARSE_CSV_H
#define LOTSYNC_PARSE_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lotsync/limits.h"
#include "lotsync/span.h"
#include "lotsync/status.h"

struct pcsv_opts {
	char delimiter;
	char quote;
	size_t max_field;  /* bytes; 0 = LS_MAX_CSV_FIELD (limits.h) */
	size_t max_fields; /* per record; 0 = LS_MAX_CSV_FIELDS */
	size_t max_row;    /* bytes of one record; 0 = LS_MAX_CSV_ROW */
};

/* plain[i]: field i is ASCII without NUL bytes (so needs no charset work). */
typedef enum ls_scope (*pcsv_row_fn)(void *ctx, unsigned long line, const struct span *f,
                                     const unsigned char *plain, size_t n);

/* The outcome of parsing one chunk. */
struct pcsv_result {
	enum ls_scope scope;      /* LS_OK, LS_BAD_FILE, or what the callback stopped with */
	unsigned long nlines;     /* newlines in the bytes consumed */
	char *error;              /* LS_BAD_FILE: the reason, without file and line (owned) */
	unsigned long error_line; /* relative to the chunk: its first byte is on line 1 */
	/*
	 * Set while the callback runs for a final record that has no line end
	 * (the file stops right after it): a short one means a cut transfer.
	 */
	bool unterminated;
};

/*
 * Parse buf[0..n), which starts at a record boundary. final says the chunk
 * ends the file, so an open quote at its end is an error; otherwise the
 * chunk must end at a boundary (pcsv_cut()). Releases nothing the caller
 * owns; res->error is the caller's to free.
 */
void pcsv_parse_chunk(const struct pcsv_opts *o, const char *buf, size_t n, bool final,
                      pcsv_row_fn fn, void *ctx, struct pcsv_result *res);

/*
 * Length of the longest prefix of buf[0..n) made of whole records: it
 * ends just after a newline outside quotes. 0 when there is none. buf
 * must start outside quotes (a record boundary).
 */
size_t pcsv_cut(const char *buf, size_t n, char quote);

/* One record as pcsv_record() found it. */
struct pcsv_rec {
	size_t len;           /* its bytes, with its line end when it has one */
	unsigned long nlines; /* LF bytes in it (its own and those inside quotes) */
	bool terminated;      /* it ends with a LF outside quotes */
	bool blank;           /* nothing before the line end (LF or CRLF): no record */
	/*
	 * No CR outside quotes but the one of a CRLF line end: libcsv reads it
	 * as exactly one record (a bare CR ends a record there too).
	 */
	bool clean;
};

/*
 * The record at the start of buf[0..n) (n > 0), which starts at a record
 * boundary: up to and including the next LF outside quotes (quote parity,
 * as pcsv_cut()), else to n. The raw-record fast path hashes records cut
 * this way without parsing them (reader.c).
 */
void pcsv_record(const char *buf, size_t n, char quote, struct pcsv_rec *out);

#endif
