/*
 * rowmap.h - a file's source columns bound to its profile's canonical
 * fields, and raw rows mapped into finished records: decoded to UTF-8,
 * normalised (normalize.h), checked (mandatory fields, the key), sorted,
 * hashed (the same XXH3 as record_finish()), collected in a batch.
 *
 * This is the hot path of every feed file, so a row costs no malloc: the
 * binding fixes each column's output slot once per file (slots are sorted
 * by name, so records come out sorted), values are transformed in a
 * per-thread scratch buffer, and finished records live in the batch's
 * arena until the batch is reset.
 *
 * Threads: a bound struct rowmap is read-only and may be shared; each
 * thread has its own struct rowmap_work and struct batch.
 *
 * Errors: a bad value or row becomes a BATCH_REJECT item (field, reason),
 * and mapping goes on. A NUL byte is a file error: rowmap_map() returns
 * LS_BAD_FILE and sets the batch's error. Binding errors are file errors
 * returned as a message (caller frees).
 */
#ifndef LOTSYNC_ROWMAP_H
#define LOTSYNC_ROWMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/charset.h"
#include "lotsync/config.h"
#include "lotsync/json.h"
#include "lotsync/profile.h"
#include "lotsync/record.h"
#include "lotsync/span.h"
#include "lotsync/status.h"

struct rowmap_col {
	int slot;                      /* output slot */
	const struct profile_map *map; /* NULL: kept as extra.<source> */
	char *source;                  /* column name, "position N", or XML path */
};

struct rowmap {
	const struct profile *prof;
	const struct feed_conf *feed;
	enum charset cs; /* of the bytes: utf-8, windows-1252 or iso-8859-15 */
	bool xml;        /* values come from XML: already UTF-8, paths in messages */
	struct rowmap_col *cols;
	size_t ncols;
	char **slot_name; /* sorted by strcmp */
	size_t *slot_len;
	size_t nslots;
	int slot_vin, slot_stock, slot_dealer, slot_currency; /* -1 when absent */
	int slot_mileage, slot_unit;                          /* -1 when absent */
	int col_vin, col_stock, col_dealer; /* columns of the key's parts, -1 when absent */
	int *mandatory;                     /* slots */
	size_t nmandatory;
	bool positional;    /* CSV without header */
	size_t min_columns; /* positional: fewer is a row error */
	/*
	 * The fields ingest counts for the drift guard (every slot but
	 * extra.*), in slot order: slot i is bit fill_bit[i] of a record's
	 * raw.fill (-1: not counted, or past 64), fill_name[bit] its name.
	 */
	int *fill_bit;
	const char **fill_name;
	size_t nfill;
};

/* Bind by header row (CSV header = yes). hdr values are raw bytes in cs. */
int rowmap_bind_header(struct rowmap *m, const struct profile *p, const struct feed_conf *feed,
                       enum charset cs, const struct span *hdr, size_t n, char **why);
/* Bind by position (CSV header = no). */
int rowmap_bind_positional(struct rowmap *m, const struct profile *p, const struct feed_conf *feed,
                           enum charset cs, char **why);
/* Bind the profile's XML paths: column i is the i-th (map, source) pair in profile order. */
int rowmap_bind_xml(struct rowmap *m, const struct profile *p, const struct feed_conf *feed,
                    char **why);
void rowmap_release(struct rowmap *m);

struct rowmap_row {
	unsigned long line;
	const char *where; /* XML: the record element's path, for messages; else NULL */
	const struct span *vals;
	const unsigned char *plain; /* per value: known ASCII without NUL; NULL = look */
	size_t nvals;
	/* Values with no bound column: unmapped XML elements (name without "extra."). */
	const struct named_span *extras;
	size_t nextras;
};

/* Per-file findings that become snapshot warnings; summed over batches. */
struct rowmap_stats {
	unsigned long
	        dates_ambiguous; /* read with a day-and-month format not starting with the year */
	unsigned long dates_day_over_12;
	int date_format; /* index of the first such format, -1 */
	unsigned long date_first_line;
	unsigned long vin_bad_check; /* check digit failures, vin_check = warn */
	unsigned long vin_first_line;
	char vin_first[18];
	unsigned long vin_short;
	unsigned long ragged_extra; /* rows with extra trailing empty fields (accepted) */
	unsigned long ragged_extra_line;
	unsigned long ragged_padded; /* rows short of trailing fields, read as empty (pad) */
	unsigned long ragged_padded_line;
	unsigned long c1_bytes; /* iso-8859-15 bytes 0x80-0x9F: windows-1252 in disguise? */
	unsigned long c1_first_line;
};

enum batch_kind { BATCH_RECORD, BATCH_REJECT, BATCH_SAME };

struct batch_item {
	enum batch_kind kind;
	struct record rec; /* BATCH_RECORD; rec.line is set for both kinds */
	const char *field; /* BATCH_REJECT */
	const char *reason;
	const char *key; /* BATCH_REJECT: the row's key when readable, else NULL */
	size_t row;      /* BATCH_SAME: the rawset row the raw record matched (reader.c) */
};

struct batch_block;

struct batch {
	struct batch_item *items;
	size_t n, alloc;
	struct batch_block *head, *cur;
	struct rowmap_stats st;
	char *error; /* file error after the items, or NULL (owned) */
	unsigned long error_line;
};

void batch_init(struct batch *b);
/* Forget the items and error, keep the memory for the next use. */
void batch_reset(struct batch *b);
void batch_release(struct batch *b);
/* Memory valid until the batch is reset. */
void *batch_alloc(struct batch *b, size_t n);
/* A record not mapped: the same raw bytes as the current version in rawset row `row`. */
void batch_same(struct batch *b, unsigned long line, size_t row);
/* Record a file error at line (the first one wins). */
void batch_fail(struct batch *b, unsigned long line, char *msg_take);
/* Add the counts of one batch's stats into another's. Lines must already be absolute. */
void rowmap_stats_add(struct rowmap_stats *into, const struct rowmap_stats *from);
void rowmap_stats_init(struct rowmap_stats *s);

/* Per-thread scratch. */
struct rowmap_work {
	char *buf;
	size_t cap, len;
	struct span *slot;
	size_t slot_alloc;
	struct named_span *dyn;
	size_t ndyn, dyn_alloc;
	struct charset_conv conv;
	bool conv_open;
	struct json json; /* each record's JSON, made here and copied into the batch */
};

void rowmap_work_init(struct rowmap_work *w);
void rowmap_work_release(struct rowmap_work *w);

/* Map one row into the batch (a record or a reject). LS_BAD_FILE only for a NUL byte. */
enum ls_scope rowmap_map(const struct rowmap *m, struct rowmap_work *w,
                         const struct rowmap_row *row, struct batch *out);

/*
 * The row's key as the record would carry it (VIN upper-cased, or
 * dealer/stock), into out (size n): true when every part is present,
 * ASCII and (a VIN) well formed. Refused rows name it so ingest can keep
 * the vehicle's last good version.
 */
bool rowmap_row_key(const struct rowmap *m, const struct rowmap_row *row, char *out, size_t n);

/* Add a reject for a row refused before mapping (printf-style reason). */
void rowmap_reject(struct batch *out, unsigned long line, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#endif
