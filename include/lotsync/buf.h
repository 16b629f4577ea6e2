/*
 * buf.h - a capped growable byte buffer (curl's dynbuf, git's strbuf).
 *
 * A buf is always NUL-terminated: b->p[b->len] == '\0', also when empty
 * (b->p then points to a shared read-only "" until the first append), so
 * b->p can be passed as a C string at any time. It may hold NUL bytes;
 * b->len is the length.
 *
 * Every buf has a cap, given to buf_init(): the most bytes it may hold
 * (the NUL not counted). An append that would pass the cap changes
 * nothing and returns -1, so a caller turns "too big" into its own error
 * (a bad record, a refused listing) instead of growing without bound on
 * hostile input. Running out of memory is fatal (util.h), as everywhere.
 *
 * Ownership: the buf owns b->p. buf_detach() hands it to the caller
 * (caller frees) and leaves the buf empty with the same cap; buf_release()
 * frees it. A released or detached buf can be appended to again.
 *
 * Writing in place: buf_grow(b, n) makes room for n more bytes at
 * b->p + b->len; write them, then buf_setlen(b, b->len + n).
 */
#ifndef LOTSYNC_BUF_H
#define LOTSYNC_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *p;      /* the bytes, NUL-terminated */
	size_t len;   /* bytes held, without the NUL */
	size_t alloc; /* bytes allocated at p; 0 while p is the shared "" */
	size_t cap;   /* the most len may become */
};

/* An empty buf holding at most cap bytes (cap > 0). Allocates nothing. */
void buf_init(struct buf *b, size_t cap);
/* Free the bytes; b is empty (same cap) and usable again. */
void buf_release(struct buf *b);
/* The bytes, NUL-terminated, for the caller to free (also when empty);
 * *len gets the length when len != NULL. b is empty (same cap) after. */
char *buf_detach(struct buf *b, size_t *len);

/* Room for n more bytes (and the NUL); -1 if len + n would pass the cap. */
int buf_grow(struct buf *b, size_t n);
/* Set the length after writing in place; len must fit what buf_grow() gave. */
void buf_setlen(struct buf *b, size_t len);
/* Empty the buf, keeping its memory for reuse. */
void buf_reset(struct buf *b);

/* Append n bytes; -1 (and nothing appended) if that would pass the cap. */
static inline int
buf_append(struct buf *b, const void *s, size_t n)
{
	/* the fast path stays inline: render appends a few bytes per cell */
	if (n >= b->alloc - b->len && buf_grow(b, n) == -1)
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static inline int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

static inline int
buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

/* printf onto the end; -1 (and nothing appended) if it would pass the cap. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
