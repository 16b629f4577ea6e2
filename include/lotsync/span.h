/*
 * span.h - a run of bytes inside someone else's buffer: what parsers hand
 * to mappers without copying. Not NUL-terminated; valid as long as the
 * buffer it points into, which the producer's contract states.
 */
#ifndef LOTSYNC_SPAN_H
#define LOTSYNC_SPAN_H

#include <stddef.h>

struct span {
	const char *p;
	size_t n;
};

/* A value with a name, both spans (the name need not be NUL-terminated either). */
struct named_span {
	const char *name;
	size_t nlen;
	const char *p;
	size_t n;
};

#endif
