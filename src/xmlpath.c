/*
 * xmlpath.c - one walker for the element/attribute paths of work-order
 * profiles (see xmlpath.h).
 */
#include "lotsync/xmlpath.h"

#include <stdlib.h>
#include <string.h>

#include "lotsync/util.h"

xmlNodePtr
xmlpath_child(xmlNodePtr node, const char *name, size_t n)
{
	for (xmlNodePtr c = node ? node->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strlen((const char *)c->name) == n &&
		    !strncmp((const char *)c->name, name, n))
			return c;
	return NULL;
}

xmlNodePtr
xmlpath_at(xmlNodePtr node, const char *path, const char **attr)
{
	const char *p = path;

	*attr = NULL;
	while (node && *p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (*p == '@') {
			*attr = p + 1;
			return node;
		}
		node = xmlpath_child(node, p, n);
		p = slash ? slash + 1 : p + n;
	}
	return node;
}

char *
xmlpath_text(xmlNodePtr node, const char *path)
{
	const char *attr;
	xmlNodePtr n = xmlpath_at(node, path, &attr);
	xmlChar *t;
	char *s;

	if (!n)
		return NULL;
	if (attr) {
		if (!(t = xmlGetProp(n, BAD_CAST attr)))
			return NULL;
	} else {
		t = xmlNodeGetContent(n);
	}
	s = xstrdup(t ? (const char *)t : "");
	xmlFree(t);
	return s;
}

size_t
xmlpath_each(xmlNodePtr node, const char *path, xmlNodePtr *out, size_t max)
{
	const char *last = strrchr(path, '/'), *attr;
	size_t n = 0;

	if (last) {
		char *parent = xstrndup(path, (size_t)(last - path));

		node = xmlpath_at(node, parent, &attr);
		free(parent);
		last++;
	} else {
		last = path;
	}
	for (xmlNodePtr c = node ? node->children : NULL; c && n < max; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, last))
			out[n++] = c;
	return n;
}
