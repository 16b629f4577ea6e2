/* conffile.c - locate and parse profile/format .ini files with line numbers. */
#include "lotsync/conffile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/log.h"
#include "lotsync/util.h"

#ifndef LOTSYNC_SHAREDIR
#define LOTSYNC_SHAREDIR "/usr/local/share/lotsync"
#endif

const char *
conffile_sharedir(void)
{
	const char *env = getenv("LOTSYNC_SHAREDIR");

	return env && *env ? env : LOTSYNC_SHAREDIR;
}

char *
conffile_locate(const char *confdir, const char *kind, const char *name)
{
	const char *dirs[] = {confdir, conffile_sharedir()};

	/* Names become paths: no separators, no hidden or relative names. */
	if (!name[0] || strchr(name, '/') || name[0] == '.')
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *p = xasprintf("%s/%s/%s.ini", dirs[i], kind, name);

		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

struct counting {
	FILE *fp;
	int *line;
};

static char *
reader(char *str, int num, void *stream)
{
	struct counting *c = stream;
	char *r = fgets(str, num, c->fp);

	*c->line += r != NULL;
	return r;
}

int
conffile_parse(const char *path, ini_handler handler, void *user, int *line)
{
	struct counting c = {.line = line};
	int rc;

	*line = 0;
	if (!(c.fp = fopen(path, "r")))
		return log_syserr("cannot open %s", path);
	rc = ini_parse_stream(reader, &c, handler, user);
	fclose(c.fp);
	return rc;
}
