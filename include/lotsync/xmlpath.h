/*
 * xmlpath.h - the small path language work-order profiles use to name a
 * value below an XML element: child element names joined by '/', a last
 * step "@name" for an attribute ("car/make", "@id", "seller/@key"). The
 * work-order reader (wo_map) and erase-person's rewriter (wo_erase) walk
 * the same paths over libxml2 trees, so they share one walker.
 *
 * Nodes returned belong to their document; strings returned are the
 * caller's to free.
 */
#ifndef LOTSYNC_XMLPATH_H
#define LOTSYNC_XMLPATH_H

#include <libxml/tree.h>
#include <stddef.h>

/* The first child element of node called name[0..n), or NULL. */
xmlNodePtr xmlpath_child(xmlNodePtr node, const char *name, size_t n);

/*
 * The element at path below node, or NULL. A last "@name" step stops the
 * walk at its element: *attr then points at the name inside path (else NULL).
 */
xmlNodePtr xmlpath_at(xmlNodePtr node, const char *path, const char **attr);

/* The text (or attribute value) at path, "" for an empty element; NULL if absent. */
char *xmlpath_text(xmlNodePtr node, const char *path);

/* Every element at path below node (its last step repeated), in document order, up to max. */
size_t xmlpath_each(xmlNodePtr node, const char *path, xmlNodePtr *out, size_t max);

#endif
