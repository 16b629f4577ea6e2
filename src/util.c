/* util.c - allocation that aborts on OOM, small string helpers. */
#include "lotsync/util.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lotsync/log.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		log_fatal("out of memory allocating %zu bytes", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		log_fatal("out of memory allocating %zu x %zu bytes", nmemb, size);
	return p;
}

#define HUGE_PAGE  ((size_t)2 << 20)
#define HUGE_TABLE (2 * HUGE_PAGE)

void *
xcalloc_written(size_t nmemb, size_t size)
{
	void *p;
	size_t n;

	if (size && nmemb > SIZE_MAX / size)
		log_fatal("out of memory allocating %zu x %zu bytes", nmemb, size);
	n = nmemb * size;
	/*
	 * A table of megabytes probed at random misses the TLB as often as the
	 * cache: on 2 MiB pages (transparent huge pages, where the kernel
	 * grants them) one entry covers what 512 did. A hint; plain pages
	 * otherwise.
	 */
	if (n >= HUGE_TABLE && posix_memalign(&p, HUGE_PAGE, n) == 0)
		(void)madvise(p, n, MADV_HUGEPAGE);
	else
		p = xmalloc(n);
	memset(p, 0, n);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		log_fatal("out of memory reallocating %zu bytes", n);
	return q;
}

void *
xgrow(void *p, size_t *alloc, size_t need, size_t sz)
{
	size_t n = *alloc ? *alloc : 8;

	if (need <= *alloc)
		return p;
	while (n < need) {
		if (n > ((size_t)-1) / 2 / sz)
			log_fatal("array size overflow");
		n *= 2;
	}
	*alloc = n;
	return xrealloc(p, n * sz);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		log_fatal("vsnprintf failed for \"%s\"", fmt);
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

char *
str_trim(char *s)
{
	size_t n = strlen(s);
	char *b = s;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)*b))
		b++;
	if (b != s)
		memmove(s, b, strlen(b) + 1);
	return s;
}

char *
str_upper(char *s)
{
	for (char *p = s; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return s;
}

bool
str_endswith(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool
str_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_uint_n(const char *s, size_t n, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i = 0;

	if (n == 0 || !isdigit((unsigned char)s[0]))
		return -1;
	for (; i < n && s[i] != '\0'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (!isdigit((unsigned char)s[i]) || d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

char *
util_operator_name(void)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw;

	if (sudo && *sudo)
		return xstrdup(sudo);
	pw = getpwuid(getuid());
	return pw ? xstrdup(pw->pw_name) : xasprintf("uid %ld", (long)getuid());
}
