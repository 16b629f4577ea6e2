/*
 * util.h - allocation that cannot fail, small string helpers.
 *
 * x*alloc() abort through log_fatal() on OOM: a batch job has no useful way
 * to go on without memory, and every caller checking NULL hides real errors.
 */
#ifndef LOTSYNC_UTIL_H
#define LOTSYNC_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
/*
 * Zeroed like xcalloc, for a large table that is read before it is written
 * (a hash table's probes): calloc's fresh pages map the shared zero page
 * on the first read, and the first write then replaces it, flushing the
 * TLB of every core the process's threads run on (6% of the CPU samples
 * of a 1M-vehicle steady-state ingest). Writing the zeroes first faults
 * each page in once. From 4 MiB on, the table is 2 MiB-aligned and asks
 * for transparent huge pages (madvise; a hint the kernel may refuse).
 * Freed with free().
 */
void *xcalloc_written(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *p (of *alloc elements of size sz) to hold at least need elements. */
void *xgrow(void *p, size_t *alloc, size_t need, size_t sz);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Trim ASCII white space in place; returns s. */
char *str_trim(char *s);
/* ASCII a-z to A-Z in place (a VIN as typed); returns s. */
char *str_upper(char *s);
bool str_endswith(const char *s, const char *suffix);
bool str_startswith(const char *s, const char *prefix);

/* Parse a non-negative decimal integer that fills the whole string. */
int parse_uint(const char *s, unsigned long long max, unsigned long long *out);
/* The same over the n bytes at s, which end early at a NUL (a view, not a C string). */
int parse_uint_n(const char *s, size_t n, unsigned long long max, unsigned long long *out);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
/* Who runs this decision (recorded in the chain): $SUDO_USER, else the
 * invoking user, else "uid N". Caller frees. */
char *util_operator_name(void);

void hex_encode(const unsigned char *in, size_t n, char *out);

#endif
