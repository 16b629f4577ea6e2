/*
 * conffile.h - shared plumbing for the .ini files lotsync reads besides its
 * main config: profiles and formats. Each is looked up next to the config
 * (<confdir>/<kind>/<name>.ini), then among the shipped ones in the
 * installed share directory.
 */
#ifndef LOTSYNC_CONFFILE_H
#define LOTSYNC_CONFFILE_H

#include <ini.h>

/* Path of <kind>/<name>.ini (caller frees), or NULL when there is none or name is unsafe. */
char *conffile_locate(const char *confdir, const char *kind, const char *name);

/*
 * Parse path with libinih, keeping *line at the line being handled, because
 * Debian's inih passes no line number to handlers. Returns 0, -1 when the
 * file cannot be opened (logged), or the line of the first syntax error.
 */
int conffile_parse(const char *path, ini_handler handler, void *user, int *line);

/* The share directory searched after the config's own. */
const char *conffile_sharedir(void);

#endif
