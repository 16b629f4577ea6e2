/*
 * parse_xml.h - XML records out of a byte stream with libxml2's streaming
 * reader (xmlTextReader), so memory stays bounded whatever the file size.
 *
 * No business logic: the caller names the record element and the paths it
 * wants inside each record; the callback gets, per record, each path's
 * text (repeated occurrences joined with the path's separator) and every
 * other leaf element's text by path ("Options/Item").
 *
 * When the document holds elements but none is a record, that is a file
 * error saying what the deepest matching element holds instead
 * ("0 <item> under <rss>; found <channel>").
 *
 * Safety (SPEC §9): a document with a DOCTYPE is refused before libxml2
 * sees it, so no entity can be declared; no entity is ever loaded or
 * expanded (XML_PARSE_NONET, never NOENT, DTDLOAD or HUGE; an external
 * entity loader that refuses everything). Caps: nesting depth, one value,
 * one record, attributes of one element (counted in the bytes before
 * libxml2 parses the tag). UTF-16 and other non-ASCII-compatible encodings are refused.
 *
 * Errors: LS_BAD_FILE with *why ("LINE: reason" is built by the caller from
 * *why and *why_line); what the callback returned when worse than
 * LS_BAD_RECORD.
 */
#ifndef LOTSYNC_PARSE_XML_H
#define LOTSYNC_PARSE_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/input.h"
#include "lotsync/limits.h"
#include "lotsync/span.h"
#include "lotsync/status.h"

struct xml_opts {
	const char *root;       /* required root element, or NULL for any */
	const char *const *mid; /* elements between the root and the record ("channel") */
	size_t nmid;
	const char *record;       /* the record element: a child of root/mid..., or */
	bool anywhere;            /* ... at any depth ("//item") */
	const char *origin;       /* "FILE:LINE" of the record element, for the no-match error */
	const char *const *paths; /* "VIN", "ImageURLs/URL", "@id", "seller/@key",
	                             "g:price", "price[@type='asking']", "odometer/@units" */
	const char *joins;        /* per path: separator of repeats; '\0' = a repeat is refused */
	size_t npaths;
	const char *encoding;         /* NULL: as the document declares */
	unsigned max_depth;           /* 0 = LS_MAX_XML_DEPTH (limits.h) */
	size_t max_value, max_record; /* bytes; 0 = LS_MAX_XML_VALUE, LS_MAX_XML_RECORD */
};

struct xml_record {
	unsigned long line;              /* of the record's start tag */
	unsigned long index;             /* 1-based among records */
	const char *where;               /* "/inventory/vehicle[3]" */
	const struct span *vals;         /* npaths; n == 0 when absent */
	const struct named_span *extras; /* unmapped leaf elements */
	size_t nextras;
	const char *repeated; /* a path with no separator that occurred twice, or NULL */
};

typedef enum ls_scope (*xml_record_fn)(void *ctx, const struct xml_record *r);

/* Check a path's syntax; -1 when it is not one (why: the reason, NUL-terminated). */
int parse_xml_path_check(const char *path, char *why, size_t n);
int parse_xml_path_ok(const char *path);
/* s[0..n) is an XML name (prefix:local allowed). */
bool parse_xml_name_ok(const char *s, size_t n);

enum ls_scope parse_xml(struct input *in, const struct xml_opts *o, xml_record_fn fn, void *ctx,
                        char **why, unsigned long *why_line);

#endif
