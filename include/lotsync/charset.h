/*
 * charset.h - the encodings feeds arrive in (SPEC §4 charset), checked and
 * converted to UTF-8, which is all lotsync stores.
 *
 *   utf-8         strict: overlong forms, surrogates and code points past
 *                 U+10FFFF are invalid; a leading BOM is dropped by the reader
 *   windows-1252  through iconv; the five bytes it leaves undefined (0x81,
 *                 0x8D, 0x8F, 0x90, 0x9D) are undecodable
 *   iso-8859-15   through iconv; every byte decodes
 *   auto          the whole file is strict UTF-8 (BOM dropped), else it is
 *                 read as windows-1252; decided before any row is mapped
 *
 * Nothing is ever dropped or replaced (no //IGNORE, no U+FFFD): a byte that
 * does not decode is reported with its offset, and the reader turns that
 * into a row error naming row, column and byte.
 *
 * A struct charset_conv holds an iconv descriptor: one per thread.
 */
#ifndef LOTSYNC_CHARSET_H
#define LOTSYNC_CHARSET_H

#include <iconv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum charset { CHARSET_UTF8, CHARSET_WINDOWS_1252, CHARSET_ISO_8859_15, CHARSET_AUTO };

/* Parse a charset name as config and profiles spell it; -1 when unknown. */
int charset_from_name(const char *name, enum charset *out);
const char *charset_name(enum charset cs);

/*
 * True when p[0..n) is ASCII without NUL bytes: valid in every supported
 * charset and the same in UTF-8, so it needs no work. Eight bytes at a
 * time, because this runs on every field of every row.
 */
static inline bool
charset_is_plain(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	const uint64_t hi = 0x8080808080808080ULL, lo = 0x0101010101010101ULL;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t v;

		memcpy(&v, s + i, 8);
		/* A high bit set, or a zero byte (the classic haszero test). */
		if ((v & hi) || ((v - lo) & ~v & hi))
			return false;
	}
	for (; i < n; i++)
		if (s[i] == 0 || s[i] >= 0x80)
			return false;
	return true;
}

/* Offset of the first byte that is not valid UTF-8, or n when all are. NUL is valid here. */
size_t charset_utf8_check(const char *p, size_t n);

/* An 8-bit charset to UTF-8 converter. */
struct charset_conv {
	iconv_t cd;
	enum charset cs;
};

/* Open a converter for windows-1252 or iso-8859-15; -1 (logged) when iconv cannot. */
int charset_conv_open(struct charset_conv *c, enum charset cs);
void charset_conv_close(struct charset_conv *c);

/*
 * Convert in[0..n) to UTF-8 into out, which must hold 3 * n bytes (the
 * longest expansion of one byte). Returns the bytes written, or -1 with
 * *bad set to the offset of the byte that does not decode.
 */
long charset_conv_run(struct charset_conv *c, const char *in, size_t n, char *out, size_t *bad);

#endif
