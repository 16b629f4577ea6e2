/* conffile.c - locate and parse profile/format .ini files with line numbers. */
#include "lotsync/conffile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/builtin.h"
#include "lotsync/log.h"
#include "lotsync/util.h"

char *
conffile_locate(const char *confdir, const char *kind, const char *name)
{
	char *p;

	/* Names become paths: no separators, no hidden or relative names. */
	if (!name[0] || strchr(name, '/') || name[0] == '.')
		return NULL;
	p = xasprintf("%s/%s/%s.ini", confdir, kind, name);
	if (access(p, F_OK) == 0)
		return p; /* present but unreadable: the parse reports why */
	free(p);
	if (builtin_find(kind, name))
		return xasprintf("%s%s/%s.ini", CONFFILE_BUILTIN, kind, name);
	return NULL;
}

/* The compiled-in text a "built-in:<kind>/<name>.ini" path names, or NULL. */
static const struct builtin_file *
builtin_of(const char *path)
{
	char kind[32], name[128];
	const char *rest, *slash;
	size_t klen, nlen;

	if (!str_startswith(path, CONFFILE_BUILTIN))
		return NULL;
	rest = path + strlen(CONFFILE_BUILTIN);
	if (!(slash = strchr(rest, '/')) || !str_endswith(slash, ".ini"))
		return NULL;
	klen = (size_t)(slash - rest);
	nlen = strlen(slash + 1) - 4;
	if (klen >= sizeof(kind) || nlen >= sizeof(name))
		return NULL;
	memcpy(kind, rest, klen);
	kind[klen] = '\0';
	memcpy(name, slash + 1, nlen);
	name[nlen] = '\0';
	return builtin_find(kind, name);
}

bool
conffile_is_builtin(const char *path)
{
	return builtin_of(path) != NULL;
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

	const struct builtin_file *b = builtin_of(path);

	*line = 0;
	if (b)
		c.fp = fmemopen((void *)b->data, b->len, "r");
	else
		c.fp = fopen(path, "r");
	if (!c.fp)
		return log_syserr("cannot open %s", path);
	rc = ini_parse_stream(reader, &c, handler, user);
	fclose(c.fp);
	return rc;
}
