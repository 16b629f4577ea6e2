/*
 * format.h - export formats (SPEC §4): conf/formats/<name>.ini, or a
 * shipped one under the installed share directory.
 *
 *   [format]
 *   type = csv              ; csv (xml: a later release)
 *   delimiter = ,           ; one character, or "tab"
 *   header = yes
 *   line_ending = lf        ; lf | crlf
 *   extension = csv
 *   [columns]               ; in output order: header text = canonical field
 *   VIN = vin
 *
 * Ownership: struct format owns its strings; format_release() frees them.
 */
#ifndef LOTSYNC_FORMAT_H
#define LOTSYNC_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

struct format_column {
	char *header;
	char *field;
};

struct format {
	char *name;
	char *path;
	char delimiter;
	bool header;
	bool crlf;
	char *extension;
	struct format_column *cols;
	size_t ncols;
};

/* Errors logged as "FILE:LINE: message"; returns their count, -1 if not found. */
int format_load(const char *confdir, const char *name, struct format *f);
void format_release(struct format *f);

#endif
