/*
 * buf.c - a capped growable byte buffer (see buf.h).
 */
#include "lotsync/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lotsync/log.h"
#include "lotsync/util.h"

/* Never written: an empty buf points here so b->p is always a C string. */
static char buf_empty[1];

/* Empty, with nothing allocated; the cap stays. */
static void
buf_clear(struct buf *b)
{
	b->p = buf_empty;
	b->len = 0;
	b->alloc = 0;
}

void
buf_init(struct buf *b, size_t cap)
{
	if (cap == 0 || cap >= SIZE_MAX / 2)
		log_fatal("buf_init: a buffer needs a cap"); /* a bug, not bad input */
	buf_clear(b);
	b->cap = cap;
}

void
buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->p);
	buf_clear(b);
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p = b->alloc ? b->p : xstrdup("");

	if (len)
		*len = b->len;
	buf_clear(b);
	return p;
}

int
buf_grow(struct buf *b, size_t n)
{
	size_t want;

	if (n > b->cap - b->len)
		return -1;
	if (b->alloc && n < b->alloc - b->len)
		return 0;
	/* double, but never past cap + 1: the allocation itself stays capped */
	want = b->alloc > b->cap / 2 ? b->cap + 1 : b->alloc * 2;
	if (want < b->len + n + 1)
		want = b->len + n + 1;
	if (want < 64 && b->cap >= 63)
		want = 64;
	if (b->alloc) {
		b->p = xrealloc(b->p, want);
	} else {
		b->p = xmalloc(want);
		b->p[0] = '\0';
	}
	b->alloc = want;
	return 0;
}

void
buf_setlen(struct buf *b, size_t len)
{
	if (len > b->cap || (b->alloc ? len >= b->alloc : len > 0))
		log_fatal("buf_setlen: %zu bytes do not fit the buffer", len);
	b->len = len;
	if (b->alloc)
		b->p[len] = '\0';
}

void
buf_reset(struct buf *b)
{
	buf_setlen(b, 0);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->alloc - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}
