/*
 * cmd_builtin.c - lotsync profiles | formats: what a feed's profile or a
 * target's format may name, and where each comes from (compiled in, or a
 * file next to the configuration that overrides or adds one).
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lotsync/builtin.h"
#include "lotsync/cmd.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/status.h"
#include "lotsync/util.h"

#define SUMMARY_MAX 100

struct entry {
	char *name;
	char *path; /* local file, or NULL: built in */
	bool overrides;
	char summary[SUMMARY_MAX];
};

struct catalog {
	struct entry *v;
	size_t n, alloc;
};

/* The configuration's directory, or NULL when there is no config file. */
static char *
config_dir(const char *config_path)
{
	char *real = realpath(config_path, NULL), *slash;

	if (!real)
		return NULL;
	if ((slash = strrchr(real, '/')))
		*slash = '\0';
	return real;
}

/* The whole of a small local .ini (for its summary); NULL when unreadable. */
static char *
slurp(const char *path)
{
	char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return xstrdup(buf);
}

static struct entry *
add(struct catalog *c, const char *name)
{
	struct entry *e;

	c->v = xgrow(c->v, &c->alloc, c->n + 1, sizeof(*c->v));
	e = &c->v[c->n++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	return e;
}

static struct entry *
find(struct catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return &c->v[i];
	return NULL;
}

/* Files <dir>/<kind>/NAME.ini replace or join the built-in entries. */
static void
add_local(struct catalog *c, const char *dir, const char *kind)
{
	char *sub = xasprintf("%s/%s", dir, kind);
	struct dirent **names;
	int n = scandir(sub, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *fn = names[i]->d_name;
		size_t len = strlen(fn);

		if (fn[0] != '.' && len > 4 && str_endswith(fn, ".ini")) {
			char *name = xstrndup(fn, len - 4), *path, *text;
			struct entry *e = find(c, name);

			if (e)
				e->overrides = true;
			else
				e = add(c, name);
			path = xasprintf("%s/%s", sub, fn);
			free(e->path);
			e->path = path;
			e->summary[0] = '\0';
			if ((text = slurp(path))) {
				builtin_summary(text, name, e->summary, sizeof(e->summary));
				free(text);
			}
			free(name);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	free(sub);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static void
print_text(const struct catalog *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct entry *e = &c->v[i];

		if (!e->path)
			printf("%-20s built-in  %s\n", e->name, e->summary);
		else
			printf("%-20s %s%s\n", e->name, e->path,
			       e->overrides ? " (overrides the built-in one)" : "");
	}
}

static void
print_json(const struct catalog *c)
{
	struct json j;
	char *s;

	json_init(&j);
	json_arr(&j);
	for (size_t i = 0; i < c->n; i++) {
		const struct entry *e = &c->v[i];

		json_obj(&j);
		json_key(&j, "name");
		json_str(&j, e->name);
		json_key(&j, "source");
		json_str(&j, e->path ? e->path : "built-in");
		json_key(&j, "overrides_builtin");
		json_bool(&j, e->overrides);
		json_key(&j, "summary");
		json_str(&j, e->summary);
		json_end(&j);
	}
	json_end(&j);
	s = json_detach(&j);
	puts(s);
	free(s);
}

static int
list(struct app *app, const char *kind, int argc)
{
	struct catalog c = {0};
	char *dir;

	if (argc > 1) {
		fprintf(stderr, "usage: lotsync %s\n", kind);
		return LS_EXIT_USAGE;
	}
	for (size_t i = 0; i < builtin_nfiles; i++)
		if (strcmp(builtin_files[i].kind, kind) == 0) {
			struct entry *e = add(&c, builtin_files[i].name);

			builtin_summary(builtin_files[i].data, e->name, e->summary,
			                sizeof(e->summary));
		}
	if ((dir = config_dir(app->config_path)))
		add_local(&c, dir, kind);
	free(dir);
	qsort(c.v, c.n, sizeof(*c.v), by_name);
	if (app->json)
		print_json(&c);
	else
		print_text(&c);
	for (size_t i = 0; i < c.n; i++) {
		free(c.v[i].name);
		free(c.v[i].path);
	}
	free(c.v);
	return LS_EXIT_OK;
}

int
cmd_profiles(struct app *app, int argc, char **argv)
{
	(void)argv;
	return list(app, "profiles", argc);
}

int
cmd_formats(struct app *app, int argc, char **argv)
{
	(void)argv;
	return list(app, "formats", argc);
}
