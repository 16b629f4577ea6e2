/* builtin.c - look up the profiles and formats compiled into lotsync. */
#include "lotsync/builtin.h"

#include <string.h>

const struct builtin_file *
builtin_find(const char *kind, const char *name)
{
	for (size_t i = 0; i < builtin_nfiles; i++)
		if (strcmp(builtin_files[i].kind, kind) == 0 &&
		    strcmp(builtin_files[i].name, name) == 0)
			return &builtin_files[i];
	return NULL;
}

/* Append the comment text of one "; ..." line to out, a space between lines. */
static size_t
add_line(const char *line, size_t len, char *out, size_t n, size_t outsz)
{
	while (len && (*line == ';' || *line == ' ' || *line == '\t'))
		line++, len--;
	if (n && n + 1 < outsz)
		out[n++] = ' ';
	for (size_t i = 0; i < len && n + 1 < outsz; i++)
		out[n++] = line[i];
	out[n] = '\0';
	return n;
}

/* Remove " (...)" asides in place: a summary is the main phrase. */
static void
drop_parens(char *s)
{
	char *w = s;
	int depth = 0;

	for (char *r = s; *r; r++) {
		if (*r == '(') {
			if (depth++ == 0 && w > s && w[-1] == ' ')
				w--;
		} else if (*r == ')' && depth > 0) {
			depth--;
		} else if (depth == 0) {
			*w++ = *r;
		}
	}
	*w = '\0';
}

void
builtin_summary(const char *text, const char *name, char *out, size_t outsz)
{
	size_t nlen = strlen(name), n = 0, cut;
	char all[1024], *p;

	if (outsz == 0)
		return;
	all[0] = '\0';
	/* The leading comment block, joined. */
	while (*text == ';') {
		size_t len = strcspn(text, "\r\n");

		n = add_line(text, len, all, n, sizeof(all));
		text += len;
		text += strspn(text, "\r\n");
	}
	/* "generic-csv: the generic ..." says its own name first: skip it. */
	p = all;
	if (strncmp(p, name, nlen) == 0 && p[nlen] == ':')
		p += nlen + 1 + strspn(p + nlen + 1, " ");
	drop_parens(p);
	/* One phrase: up to the first ':', ';' or sentence end; a long one up
	 * to its last ", " within a line's width. */
	cut = strcspn(p, ":;");
	for (char *dot = strstr(p, ". "); dot; dot = NULL)
		if ((size_t)(dot - p) < cut)
			cut = (size_t)(dot - p);
	if (cut > 60) {
		size_t comma = 0;

		for (size_t i = 0; i + 1 < cut && i < 60; i++)
			if (p[i] == ',' && p[i + 1] == ' ')
				comma = i;
		if (comma)
			cut = comma;
	}
	while (cut && (p[cut - 1] == ' ' || p[cut - 1] == ','))
		cut--;
	if (cut >= outsz)
		cut = outsz - 1;
	memcpy(out, p, cut);
	out[cut] = '\0';
}
