/*
 * span.h - a run of bytes inside someone else's buffer: what parsers hand
 * to mappers without copying. Not NUL-terminated; valid as long as the
 * buffer it points into, which the producer's contract states.
 */
#ifndef LOTSYNC_SPAN_H
#define LOTSYNC_SPAN_H

#include <stddef.h>
#include <string.h>

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

/*
 * memcpy for the short values of the hot path (most fields are a few
 * bytes): fixed-size copies the compiler inlines, overlapping as needed,
 * never touching a byte outside s[0..n) or d[0..n).
 */
static inline void
span_copy(char *d, const char *s, size_t n)
{
	if (n >= 8 && n <= 16) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n > 16) {
		memcpy(d, s, n);
	} else {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	}
}

#endif
