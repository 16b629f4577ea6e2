/* conffile.c - the shared INI vocabulary; locate and parse profile/format files. */
#include "lotsync/conffile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

struct conffile_error {
	int line;
	size_t seq;
	char *msg;
};

void
conffile_errors_init(struct conffile_errors *e, const char *file)
{
	e->file = file;
	e->count = 0;
	e->v = NULL;
	e->n = e->alloc = 0;
}

/*
 * Some checks can only run at the end of a section or of the file, so
 * messages are collected and logged in line order when the file is done.
 */
void
conffile_error(struct conffile_errors *e, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->v = xgrow(e->v, &e->alloc, e->n + 1, sizeof(*e->v));
	e->v[e->n] = (struct conffile_error){line, e->n, xstrdup(msg)};
	e->n++;
	e->count++;
}

static int
cmp_error(const void *a, const void *b)
{
	const struct conffile_error *x = a, *y = b;
	/* line 0 is the file as a whole: after the lines */
	unsigned lx = x->line ? (unsigned)x->line : (unsigned)-1;
	unsigned ly = y->line ? (unsigned)y->line : (unsigned)-1;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq; /* found first, printed first */
}

void
conffile_errors_flush(struct conffile_errors *e)
{
	if (e->n == 0)
		return; /* e->v may be NULL, and qsort() wants a pointer */
	qsort(e->v, e->n, sizeof(*e->v), cmp_error);
	for (size_t i = 0; i < e->n; i++) {
		log_error("%s:%d: %s", e->file, e->v[i].line, e->v[i].msg);
		free(e->v[i].msg);
	}
	free(e->v);
	e->v = NULL;
	e->n = e->alloc = 0;
}

int
conffile_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "on", "true", "1"};
	static const char *const no[] = {"no", "off", "false", "0"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int
conffile_word(const char *v, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (strcasecmp(v, words[i]) == 0)
			return i;
	return -1;
}

int
conffile_char(const char *v, char *out)
{
	static const struct {
		const char *name;
		char c;
	} names[] = {{"tab", '\t'},      {"\\t", '\t'}, {"comma", ','},
	             {"semicolon", ';'}, {"pipe", '|'}, {"space", ' '}};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(v, names[i].name) == 0) {
			*out = names[i].c;
			return 0;
		}
	if (strlen(v) != 1 || v[0] == '\r' || v[0] == '\n')
		return -1;
	*out = v[0];
	return 0;
}

void
conffile_set_str(char **dst, char *v)
{
	free(*dst);
	*dst = v;
}

void
conffile_set_copy(char **dst, const char *v)
{
	conffile_set_str(dst, xstrdup(v));
}

int
conffile_load(const char *confdir, const char *kind, const char *what, const char *name,
              ini_handler handler, void *user, int *line, struct conffile_errors *e, char **path)
{
	int rc;

	if (!(*path = conffile_locate(confdir, kind, name)))
		return log_error("%s '%s' is not built in and there is no %s/%s/%s.ini", what, name,
		                 confdir, kind, name);
	conffile_errors_init(e, *path); /* before parsing: the handler records into e */
	if ((rc = conffile_parse(*path, handler, user, line)) == -1)
		return -1;
	if (rc > 0)
		conffile_error(e, rc, "syntax error (expected 'key = value' or '[section]')");
	return 0;
}

int
conffile_read(const char *confdir, const char *kind, const char *what, const char *name,
              ini_handler handler, void (*complete)(void *user), void *user, int *line,
              struct conffile_errors *e, char **path)
{
	if (conffile_load(confdir, kind, what, name, handler, user, line, e, path) == -1)
		return -1;
	*line = 0;
	complete(user);
	conffile_errors_flush(e);
	return e->count;
}
