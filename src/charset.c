/* charset.c - strict UTF-8 checking and 8-bit charsets to UTF-8 through iconv. */
#include "lotsync/charset.h"

#include <errno.h>
#include <strings.h>

#include "lotsync/log.h"
#include "lotsync/util.h"

static const char *const names[] = {"utf-8", "windows-1252", "iso-8859-15", "auto"};
/* glibc's names for the same charsets. */
static const char *const iconv_names[] = {"UTF-8", "WINDOWS-1252", "ISO-8859-15", NULL};

int
charset_from_name(const char *name, enum charset *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(name, names[i]) == 0) {
			*out = (enum charset)i;
			return 0;
		}
	return -1;
}

const char *
charset_name(enum charset cs)
{
	return names[cs];
}

/* Length of the UTF-8 sequence starting at s[0..n), or 0 when it is invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		/* E0 needs A0..BF (no overlongs), ED needs 80..9F (no surrogates). */
		unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;

		return n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		/* F0 needs 90..BF (no overlongs), F4 needs 80..8F (at most U+10FFFF). */
		unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;

		return n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 &&
		                       (s[3] & 0xC0) == 0x80
		               ? 4
		               : 0;
	}
	return 0;
}

size_t
charset_utf8_check(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	while (i < n) {
		size_t k;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seq(s + i, n - i)) == 0)
			return i;
		i += k;
	}
	return n;
}

int
charset_conv_open(struct charset_conv *c, enum charset cs)
{
	c->cs = cs;
	c->cd = (iconv_t)-1;
	if (cs != CHARSET_WINDOWS_1252 && cs != CHARSET_ISO_8859_15)
		return log_error("charset_conv_open: %s is not an 8-bit charset", charset_name(cs));
	c->cd = iconv_open("UTF-8", iconv_names[cs]);
	if (c->cd == (iconv_t)-1)
		return log_syserr("iconv cannot convert %s to UTF-8", iconv_names[cs]);
	return 0;
}

void
charset_conv_close(struct charset_conv *c)
{
	if (c->cd != (iconv_t)-1)
		iconv_close(c->cd);
	c->cd = (iconv_t)-1;
}

long
charset_conv_run(struct charset_conv *c, const char *in, size_t n, char *out, size_t *bad)
{
	char *ip = (char *)in, *op = out;
	size_t il = n, ol = 3 * n;

	/* Single-byte charsets have no shift state, but reset in case a failure left one. */
	iconv(c->cd, NULL, NULL, NULL, NULL);
	while (il > 0) {
		if (iconv(c->cd, &ip, &il, &op, &ol) != (size_t)-1)
			break;
		if (errno == E2BIG)
			log_fatal("charset_conv_run: output buffer too small");
		/* EILSEQ (undefined byte) or EINVAL (cannot happen for 8-bit input). */
		*bad = (size_t)(ip - in);
		return -1;
	}
	return (long)(op - out);
}
