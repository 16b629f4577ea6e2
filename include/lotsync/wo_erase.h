/*
 * wo_erase.h - one person's data out of work-order bytes, for
 * `lotsync erase-person`: a stored record (the person's own versions and
 * the work orders that name the person), an archived feed file read
 * through its work-order profile (wo_map.h: Carsys-style XML, Autoflex-style
 * CSV) and an export file of a work-order format (wo_render.h).
 *
 * What goes: every field of the person but its id (company, title, names,
 * address, e-mails, phones) becomes WO_ERASED, and in the work orders
 * that name the person (driver_id, owner_id, contractor_id, or the row or
 * subtree that carries the person) the free-text fields (notes,
 * car_notes, intervention titles and descriptions) lose every occurrence
 * of the person's known values. Keys, ids, dates and amounts are never
 * touched, so a rewritten file still reads as the same work orders.
 *
 * The rewrite is deterministic and idempotent: the same input gives the
 * same bytes, and a rewritten file rewritten again is unchanged (hits 0),
 * so a rerun after a crash recognises its own work by SHA-256.
 *
 * Pure functions: no I/O, no logging; a file that cannot be read is an
 * error text (*why, caller frees). Ownership as each function says.
 */
#ifndef LOTSYNC_WO_ERASE_H
#define LOTSYNC_WO_ERASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lotsync/buf.h"
#include "lotsync/wo.h"
#include "lotsync/wo_map.h"
#include "lotsync/wo_render.h"

/* Known values shorter than this are not searched for inside free text. */
#define WO_ERASE_MIN_VALUE 3

/* The person's values, to find copies of them in free text. Owns its strings. */
struct wo_erase_values {
	char **v;
	size_t n, alloc;
};

void wo_erase_values_init(struct wo_erase_values *vals);
void wo_erase_values_release(struct wo_erase_values *vals);
/* Add the personal values of a stored person record (JSON); -1 when it is not one. */
int wo_erase_values_add_json(struct wo_erase_values *vals, const char *json);

/* True for a person record's field that is the person's data (all but person_id). */
bool wo_erase_person_field(const char *name);

/*
 * A stored record after the erasure of person_id: the person's own record
 * (key person:<id>) with every field but person_id WO_ERASED, or a work
 * order naming the person with its free text scrubbed. 1 when it changed
 * (*out: the canonical JSON, caller frees; *hash: its record hash), 0 when
 * there is nothing to change, -1 when json is not a stored record.
 */
int wo_erase_record(const char *key, const char *json, const char *person_id,
                    const struct wo_erase_values *vals, char **out, uint64_t *hash);

/*
 * Rewrite a feed file's bytes (already decompressed) read through profile
 * p: the person element (XML) or the person columns of the person's rows
 * (CSV) WO_ERASED, their work orders' free text scrubbed of vals and of the
 * values the file itself holds for the person. *hits counts the values
 * replaced; when it is 0, out is left empty and the file needs no rewrite.
 * Returns 0, or -1 with *why when the file cannot be read.
 */
int wo_erase_file(const struct wo_profile *p, const char *person_id,
                  const struct wo_erase_values *vals, const char *data, size_t len, struct buf *out,
                  unsigned *hits, char **why);

/*
 * The last resort for a file its profile cannot read (a quarantined,
 * truncated file): every occurrence of a known value, wherever it is,
 * becomes WO_ERASED (another person sharing a value loses it there too).
 * *hits as above; 0 always.
 */
int wo_erase_raw(const struct wo_erase_values *vals, const char *data, size_t len, struct buf *out,
                 unsigned *hits);

/* The same for an export file of format f (persons nested in their work orders). */
int wo_erase_export(enum wo_format f, const char *person_id, const struct wo_erase_values *vals,
                    const char *data, size_t len, struct buf *out, unsigned *hits, char **why);

#endif
