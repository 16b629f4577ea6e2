/*
 * limits.h - every cap on what lotsync reads, in one place.
 *
 * Feeds, listings and secret files come from outside: each is read into
 * memory only up to a cap, and what passes it is refused with a message
 * naming the cap (a bad record, a bad file, a refused listing), never
 * truncated silently and never grown without bound. Profiles may lower
 * the parser caps (max_field, ...); these are the defaults and ceilings.
 * Output buffers that hold derived data carry caps too (struct buf has a
 * mandatory one): they are named here so that a reader sees all of them.
 */
#ifndef LOTSYNC_LIMITS_H
#define LOTSYNC_LIMITS_H

#include <stddef.h>
#include <stdint.h>

/* --- a feed file (input, parse_csv, parse_xml) --- */
#define LS_MAX_INPUT_BYTES   ((uint64_t)4 << 30) /* bytes read from one file, decompressed */
#define LS_MAX_INPUT_RATIO   100                 /* decompressed : compressed, past ... */
#define LS_INPUT_RATIO_FLOOR ((uint64_t)1 << 20) /* ... this many decompressed bytes */
#define LS_MAX_CSV_FIELD     ((size_t)1 << 20)   /* bytes of one CSV field */
#define LS_MAX_CSV_FIELDS    ((size_t)4096)      /* fields of one CSV record */
#define LS_MAX_CSV_ROW       ((size_t)4 << 20)   /* bytes of one CSV record */
#define LS_MAX_XML_DEPTH     64                  /* element nesting */
#define LS_MAX_XML_VALUE     ((size_t)1 << 20)   /* bytes of one XML value */
#define LS_MAX_XML_RECORD    ((size_t)4 << 20)   /* text bytes of one XML record */
#define LS_MAX_XML_ATTRS                                                                           \
	1000                       /* attributes of one element (libxml2's                         \
	                              duplicate check is quadratic) */
#define LS_MAX_KEPT_REJECTS 100000 /* rejected rows and warnings kept per file */

/* --- remote listings and files (transfer) --- */
#define LS_MAX_LIST_ENTRIES 100000                     /* files in one listing */
#define LS_MAX_SFTP_DIR     (10 * LS_MAX_LIST_ENTRIES) /* entries read, files or not */
#define LS_MAX_FTP_LISTING  ((size_t)64 << 20)         /* bytes of one MLSD/NLST reply */
/* A remote or spool file name: NAME_MAX bytes (<limits.h>), spool_name_is_safe(). */

/* --- configuration --- */
#define LS_MAX_SECRET      1024 /* bytes of a password_file's secret */
#define LS_MAX_CONFIG_NAME 64   /* a section's name after the colon */

/* --- derived output held in memory (render, json) --- */
/*
 * One rendered cell: formatted, escaped and converted from one stored
 * value, itself capped at ingest by the field caps above. Escaping grows a
 * byte to at most 10 ("&#x10FFFF;" for 4 bytes, "&amp;" for 1).
 */
#define LS_MAX_RENDER_CELL ((size_t)64 << 20)
/*
 * One stored version's JSON, decompressed (store_zdata.c): what a stored
 * frame may claim, so a damaged database cannot ask for any size. Its
 * record was capped when read (an XML record's 4 MiB of text, each byte
 * escaped to at most 6).
 */
#define LS_MAX_STORED_JSON ((size_t)64 << 20)
/* One JSON document lotsync builds in memory (--json output, manifests). */
#define LS_MAX_JSON ((size_t)1 << 30)

#endif
