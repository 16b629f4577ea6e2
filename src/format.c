/* format.c - export format definitions from .ini files. */
#include "lotsync/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/conffile.h"
#include "lotsync/log.h"
#include "lotsync/profile.h"
#include "lotsync/util.h"

struct floader {
	struct format *f;
	const char *file;
	int line, errors;
};

static void
ferr(struct floader *ld, const char *msg, const char *arg)
{
	log_error("%s:%d: %s '%s'", ld->file, ld->line, msg, arg);
	ld->errors++;
}

static void
format_key(struct floader *ld, const char *key, const char *v)
{
	struct format *f = ld->f;

	if (!strcmp(key, "type")) {
		if (strcmp(v, "csv") != 0)
			ferr(ld, "only type csv is built yet, not", v);
	} else if (!strcmp(key, "delimiter")) {
		if (!strcmp(v, "tab"))
			f->delimiter = '\t';
		else if (strlen(v) == 1)
			f->delimiter = v[0];
		else
			ferr(ld, "delimiter must be one character or 'tab', not", v);
	} else if (!strcmp(key, "header")) {
		if (!strcmp(v, "yes") || !strcmp(v, "no"))
			f->header = !strcmp(v, "yes");
		else
			ferr(ld, "header must be yes or no, not", v);
	} else if (!strcmp(key, "line_ending")) {
		if (!strcmp(v, "lf") || !strcmp(v, "crlf"))
			f->crlf = !strcmp(v, "crlf");
		else
			ferr(ld, "line_ending must be lf or crlf, not", v);
	} else if (!strcmp(key, "extension")) {
		free(f->extension);
		f->extension = xstrdup(v);
	} else {
		ferr(ld, "unknown key in [format]:", key);
	}
}

static int
on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct floader *ld = user;
	struct format *f = ld->f;
	char *v = str_trim(xstrdup(value));

	if (!strcmp(section, "format")) {
		format_key(ld, key, v);
	} else if (!strcmp(section, "columns")) {
		if (!profile_is_canonical(v)) {
			ferr(ld, "unknown canonical field", v);
		} else {
			f->cols = xrealloc(f->cols, (f->ncols + 1) * sizeof(*f->cols));
			f->cols[f->ncols].header = xstrdup(key);
			f->cols[f->ncols].field = xstrdup(v);
			f->ncols++;
		}
	} else {
		ferr(ld, "unknown section", section);
	}
	free(v);
	return 1;
}

int
format_load(const char *confdir, const char *name, struct format *f)
{
	struct floader ld = {.f = f};
	int rc;

	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	f->delimiter = ',';
	f->header = true;
	f->extension = xstrdup("csv");
	if (!(f->path = conffile_locate(confdir, "formats", name)))
		return log_error("format '%s' not found in %s/formats/ or %s/formats/", name,
		                 confdir, conffile_sharedir());
	ld.file = f->path;
	if ((rc = conffile_parse(f->path, on_entry, &ld, &ld.line)) == -1)
		return -1;
	if (rc > 0) {
		ld.line = rc;
		ferr(&ld, "syntax error in", f->path);
	}
	if (f->ncols == 0) {
		ld.line = 0;
		ferr(&ld, "no [columns] in format", name);
	}
	return ld.errors;
}

void
format_release(struct format *f)
{
	for (size_t i = 0; i < f->ncols; i++) {
		free(f->cols[i].header);
		free(f->cols[i].field);
	}
	free(f->cols);
	free(f->name);
	free(f->path);
	free(f->extension);
	memset(f, 0, sizeof(*f));
}
