/*
 * conffile.h - the INI vocabulary every lotsync .ini shares (lotsync.conf,
 * profiles, formats), and locating profile/format files: each is looked
 * up next to the config (<confdir>/<kind>/<name>.ini), then among the ones
 * compiled into the binary (builtin.h), which are named
 * "built-in:<kind>/<name>.ini" so that messages still read FILE:LINE: message.
 *
 * The vocabulary exists once, so the three files read a value the same way:
 *  - errors are collected and logged as "FILE:LINE: message" in line order
 *    (whole-file errors, line 0, last), so one run lists them all;
 *  - yes/no values are case-insensitive yes/no, on/off, true/false, 1/0,
 *    and so are the words of other fixed lists (csv/xml, km/mi, ...);
 *  - one character is itself or a name (tab, comma, semicolon, pipe,
 *    space): libinih takes " ;" as the start of a comment, so
 *    "delimiter = ;" reads as empty and has to be spelled out.
 */
#ifndef LOTSYNC_CONFFILE_H
#define LOTSYNC_CONFFILE_H

#include <ini.h>
#include <stdbool.h>
#include <stddef.h>

#define CONFFILE_BUILTIN "built-in:"

/*
 * Path of <confdir>/<kind>/<name>.ini when that file exists, else
 * "built-in:<kind>/<name>.ini" when one is compiled in (caller frees), or
 * NULL when there is neither or name is unsafe.
 */
char *conffile_locate(const char *confdir, const char *kind, const char *name);

/* True when path is a "built-in:" name conffile_locate() returned. */
bool conffile_is_builtin(const char *path);

/*
 * Parse path (a file or a built-in name) with libinih, keeping *line at the line being handled,
 * because Debian's inih passes no line number to handlers. Returns 0, -1 when the file cannot be
 * opened (logged), or the line of the first syntax error.
 */
int conffile_parse(const char *path, ini_handler handler, void *user, int *line);

/* Errors of one file; logged in line order by conffile_errors_flush(). */
struct conffile_errors {
	const char *file; /* as the caller spelled it; not copied */
	int count;        /* errors reported so far (flushed or not) */
	struct conffile_error *v;
	size_t n, alloc;
};

void conffile_errors_init(struct conffile_errors *e, const char *file);
/* Record one error at line (0 = the file as a whole). */
void conffile_error(struct conffile_errors *e, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Log what was recorded, in line order (ties in the order found), and free it. */
void conffile_errors_flush(struct conffile_errors *e);

/*
 * Find <kind>/<name>.ini (conffile_locate(); kind is "profiles" or
 * "formats", what "profile" or "format" for messages), set *path (caller
 * frees), start e on it and parse it with handler; a syntax error goes
 * into e. Returns 0 (errors, if any, are in e), or -1 when there is no
 * such file (logged; e is not started) or it cannot be opened (logged;
 * e is started and empty).
 */
int conffile_load(const char *confdir, const char *kind, const char *what, const char *name,
                  ini_handler handler, void *user, int *line, struct conffile_errors *e,
                  char **path);

/*
 * What loading a profile or format is: conffile_load(), then complete(user)
 * with *line 0 for the checks that need the whole file, then the errors
 * logged (conffile_errors_flush()). Returns how many errors there were, or
 * -1 as conffile_load() does.
 */
int conffile_read(const char *confdir, const char *kind, const char *what, const char *name,
                  ini_handler handler, void (*complete)(void *user), void *user, int *line,
                  struct conffile_errors *e, char **path);

/* yes/no, on/off, true/false, 1/0, any case: 0, or -1 for anything else. */
int conffile_bool(const char *v, bool *out);
/*
 * A word from a fixed list, any case ("CSV" is csv, as "YES" is yes):
 * the index of v in words (NULL-terminated), or -1.
 */
int conffile_word(const char *v, const char *const *words);
/* One character (not CR or LF) or its name: 0, or -1. */
int conffile_char(const char *v, char *out);
/* The names conffile_char() knows, for messages. */
#define CONFFILE_CHAR_NAMES "tab, comma, semicolon, pipe, space"
/* Free *dst and take v (owned, may be NULL): a default set before the key was read. */
void conffile_set_str(char **dst, char *v);
/* conffile_set_str() with a copy of v. */
void conffile_set_copy(char **dst, const char *v);

#endif
