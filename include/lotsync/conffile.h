/*
 * conffile.h - shared plumbing for the .ini files lotsync reads besides its
 * main config: profiles and formats. Each is looked up next to the config
 * (<confdir>/<kind>/<name>.ini), then among the ones compiled into the
 * binary (builtin.h), which are named "built-in:<kind>/<name>.ini" so that
 * messages still read FILE:LINE: message.
 */
#ifndef LOTSYNC_CONFFILE_H
#define LOTSYNC_CONFFILE_H

#include <ini.h>
#include <stdbool.h>

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

#endif
