/*
 * profile.h - feed profiles (SPEC §4): how to read one DMS's files.
 *
 * A profile is conf/profiles/<name>.ini next to the config, or a shipped
 * one under the installed share directory. It names the format, the CSV
 * dialect and, in [fields], which source column (by header name, or by
 * 0-based position when header = no) feeds each canonical field of SPEC §2.
 * Every source column no field names is kept as "extra.<column>".
 *
 *   [profile]
 *   format = csv            ; csv (xml: a later release)
 *   delimiter = ,           ; one character, or "tab"
 *   quote = "
 *   header = yes
 *   charset = utf-8
 *   mandatory = vin         ; fields every row must have (the key always is)
 *   [fields]
 *   vin = VIN
 *   images = ImageURLs
 *   [lists]
 *   images = |              ; split the source value on this separator
 *
 * Ownership: struct profile owns its strings; profile_release() frees them.
 */
#ifndef LOTSYNC_PROFILE_H
#define LOTSYNC_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/config.h"
#include "lotsync/record.h"
#include "lotsync/status.h"

enum profile_format { PROFILE_CSV, PROFILE_XML };

struct profile_map {
	char *field;  /* canonical field name */
	char *column; /* header name, or NULL for positional */
	long position;
	char list_sep; /* '\0' when not a list */
};

struct profile {
	char *name;
	char *path;
	enum profile_format format;
	char delimiter, quote;
	bool header;
	char *charset;
	struct profile_map *maps;
	size_t nmaps;
	char **mandatory;
	size_t nmandatory;
};

/* Columns of one file bound to the profile's fields (from its header row). */
struct profile_binding {
	size_t ncols;
	long *map;          /* per column: index into profile->maps, or -1 = extra */
	char **extra_names; /* per column: "extra.<name>" when map is -1 */
};

/* A refused row: where and why. */
struct row_error {
	unsigned long line;
	char *field; /* canonical or source field, or NULL */
	char *reason;
};

/*
 * Load profile name: <confdir>/profiles/<name>.ini, else the shipped one.
 * Errors are logged as "FILE:LINE: message"; returns their count, or -1
 * when no such profile exists (logged). Release even after errors.
 */
int profile_load(const char *confdir, const char *name, struct profile *p);
void profile_release(struct profile *p);

/* True for the canonical field names of SPEC §2 (and "extra.*"). */
bool profile_is_canonical(const char *field);
/* True for the list fields (images, equipment, documents). */
bool profile_is_list(const char *field);

/*
 * Bind columns: from the header row when the profile has one (a mandatory
 * column missing from it is a file error, logged with the file name),
 * else by position for ncols columns.
 */
int profile_bind(const struct profile *p, const char *file, char **cols, const size_t *lens,
                 size_t ncols, struct profile_binding *b);
void profile_binding_release(struct profile_binding *b);

/*
 * Map one data row to a finished record with its key (per feed's key kind
 * and default dealer). LS_BAD_RECORD fills *err (caller releases it).
 */
enum ls_scope profile_map_row(const struct profile *p, const struct profile_binding *b,
                              const struct feed_conf *feed, char **vals, const size_t *lens,
                              size_t nvals, unsigned long line, struct record *out,
                              struct row_error *err);
void row_error_release(struct row_error *e);

#endif
