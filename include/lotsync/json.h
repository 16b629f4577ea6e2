/*
 * json.h - a small streaming JSON writer for --json output and canonical
 * manifests. It tracks commas itself, so callers write values in order:
 *
 *	json_obj(&j); json_key(&j, "id"); json_int(&j, 7); json_end(&j);
 *
 * Output is compact, with object keys in the order written. Strings are
 * escaped per RFC 8259 (control characters as \uXXXX). The buffer is
 * always NUL-terminated; json_detach() hands it to the caller. A document
 * past LS_MAX_JSON (limits.h) is fatal, like running out of memory: no
 * caller could use half of one.
 */
#ifndef LOTSYNC_JSON_H
#define LOTSYNC_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/buf.h"

#define JSON_MAX_DEPTH 16

struct json {
	struct buf out;
	int depth;
	bool first[JSON_MAX_DEPTH];
	char closer[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j);
void json_release(struct json *j);
char *json_detach(struct json *j); /* caller frees; j is reset */
/* Print the document and a newline on stdout; j is reset. */
void json_print(struct json *j);

void json_obj(struct json *j);
void json_arr(struct json *j);
void json_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s); /* NULL writes null */
void json_int(struct json *j, long long v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Empty the document for reuse, keeping its buffer (one allocation for many rows). */
void json_reset(struct json *j);

#endif
