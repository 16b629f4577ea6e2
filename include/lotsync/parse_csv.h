/*
 * parse_csv.h - stream a CSV file's records to a callback (libcsv, strict).
 *
 * No business logic: the callback gets each record's fields and the line
 * on which the record began (a quoted field may span lines). Strict mode
 * refuses a quote inside an unquoted field and an unterminated final quote.
 * Caps bound memory whatever the input: one field, fields per record, file.
 *
 * The callback returns LS_OK or LS_BAD_RECORD to go on, anything worse to
 * stop; parse_csv_file() returns the worst scope it saw, LS_BAD_FILE for a
 * malformed file (logged as "FILE:LINE: reason"; the same text is put in
 * *why when why != NULL, caller frees).
 */
#ifndef LOTSYNC_PARSE_CSV_H
#define LOTSYNC_PARSE_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "lotsync/status.h"

struct csv_opts {
	char delimiter;
	char quote;
	size_t max_field;  /* bytes; 0 = 1 MiB */
	size_t max_fields; /* per record; 0 = 4096 */
	uint64_t max_file; /* bytes; 0 = 4 GiB */
};

typedef enum ls_scope (*csv_record_fn)(void *ctx, unsigned long line, char **fields,
                                       const size_t *lens, size_t n);

enum ls_scope parse_csv_file(const char *path, const struct csv_opts *opts, csv_record_fn fn,
                             void *ctx, char **why);

#endif
