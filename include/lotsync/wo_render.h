/*
 * wo_render.h - work orders into a workshop target's file (targets with
 * kind = workorder): the built-in formats
 *
 *   workorder-csv    one row per work order: its fields, the interventions
 *                    joined ("title: description (price)" with " | ") and
 *                    their total; persons by id only. Header, ',', quoted
 *                    when needed, CRLF, formula guard on text cells.
 *   workorder-xml    <workorders><workorder> with one element per field,
 *                    <interventions><intervention> in order and
 *                    <persons><person role="driver|owner|contractor" id="..">.
 *   workorder-jsonl  one JSON object per line per work order, interventions
 *                    and persons nested.
 *
 * Amounts are written with two decimals ("45.00"). Delta files carry the
 * action (new, changed, deleted, unchanged): a CSV column, an XML
 * attribute, a JSON key. Persons are personal data: the CSV names them by
 * id only; XML and JSONL carry them for the planning system they are for.
 *
 * The file is built in memory (at most LS_MAX_WO_FILE bytes, wo_map.h) and
 * written at wo_render_end(), its SHA-256 computed then.
 * Ownership: wo_render_new() returns an object wo_render_free() frees; the
 * fd stays the caller's.
 */
#ifndef LOTSYNC_WO_RENDER_H
#define LOTSYNC_WO_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/fsio.h"
#include "lotsync/render.h"

enum wo_format { WO_FORMAT_CSV, WO_FORMAT_XML, WO_FORMAT_JSONL };

/* "workorder-csv", "workorder-xml", "workorder-jsonl": 0, else -1. */
int wo_format_from_name(const char *name, enum wo_format *out);
/* "csv", "xml", "jsonl". */
const char *wo_format_extension(enum wo_format f);

/*
 * The current JSON of person key ("person:P1") of the feed being written,
 * or NULL (caller frees a non-NULL result).
 */
typedef char *(*wo_person_fn)(void *ctx, const char *key);

struct wo_render;

struct wo_render *wo_render_new(enum wo_format f, int fd, bool delta, wo_person_fn person,
                                void *ctx);
void wo_render_free(struct wo_render *r);
void wo_render_begin(struct wo_render *r);
/* One stored work order (record JSON); 0, or -1 when the file passes its cap (logged). */
int wo_render_json(struct wo_render *r, const char *key, const char *json, size_t len,
                   enum render_action a);
/* Write the file; 0 or -1 (logged: local I/O). */
int wo_render_end(struct wo_render *r);
void wo_render_get_stats(const struct wo_render *r, struct render_stats *out);
void wo_render_sha256(const struct wo_render *r, char hex[FSIO_SHA256_HEX]);

#endif
