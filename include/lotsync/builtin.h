/*
 * builtin.h - the shipped profiles and formats, compiled into the binary.
 *
 * The build turns every conf/profiles/NAME.ini and conf/formats/NAME.ini into byte
 * arrays (scripts/embed-conf.sh writes build/gen/builtin_data.c), so a copy
 * of lotsync alone needs no install step to read its feeds. A file of the
 * same name in <confdir>/profiles/ or <confdir>/formats/ overrides one
 * (conffile_locate() looks there first).
 *
 * The data is static and read-only: nothing to free.
 */
#ifndef LOTSYNC_BUILTIN_H
#define LOTSYNC_BUILTIN_H

#include <stddef.h>

struct builtin_file {
	const char *kind; /* "profiles" or "formats" */
	const char *name; /* file name without .ini */
	const char *data; /* the .ini text, NUL-terminated */
	size_t len;       /* bytes, without the NUL */
};

/* Every built-in file, in the order the build listed them (sorted by path). */
extern const struct builtin_file builtin_files[];
extern const size_t builtin_nfiles;

/*
 * The identity of the code that was built (a hash of its sources): what
 * reads a file's bytes into records may differ between two builds, so the
 * raw-record fast path (reader.h) trusts only raw hashes this build made.
 */
extern const char builtin_code_id[];

/* The built-in file of that kind and name, or NULL. */
const struct builtin_file *builtin_find(const char *kind, const char *name);

/*
 * What an .ini text says it is: the first phrase of its leading comment
 * block, without the "name:" it starts with (the shipped files begin
 * "; name: what it is, ..."), into out (at most outsz bytes, NUL-terminated;
 * empty when the text has no leading comment).
 */
void builtin_summary(const char *text, const char *name, char *out, size_t outsz);

#endif
