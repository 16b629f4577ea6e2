/*
 * html.c - HTML text and attribute escaping for the report, below both
 * report.c (the document) and report_chart.c (its SVG): vendors' strings
 * reach the page only through html_escape().
 */
#include "lotsync/html.h"

#include <stdbool.h>

#define REPLACEMENT_CHAR "\xEF\xBF\xBD" /* U+FFFD in UTF-8 */

/* Code points the HTML parser calls errors in text: C1 controls and noncharacters. */
static bool
forbidden(unsigned long cp)
{
	/* and the bidi overrides and isolates, which could reorder what a report shows */
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0xfdd0 && cp <= 0xfdef) ||
	       (cp & 0xfffe) == 0xfffe || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* Bytes of the valid, allowed UTF-8 character at p; 0 when it must be replaced. */
static size_t
utf8_len(const unsigned char *p)
{
	static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t n;
	unsigned long cp;

	if (p[0] < 0x80)
		return (p[0] >= 0x20 && p[0] != 0x7f) || p[0] == '\t' || p[0] == '\n' ||
		                       p[0] == '\r'
		               ? 1
		               : 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	/* A NUL is no continuation byte: the scan stops before the string's end. */
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || forbidden(cp))
		return 0;
	return n;
}

void
html_escape(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (p && *p) {
		const char *ref = *p == '&'    ? "&amp;"
		                  : *p == '<'  ? "&lt;"
		                  : *p == '>'  ? "&gt;"
		                  : *p == '"'  ? "&quot;"
		                  : *p == '\'' ? "&#39;"
		                               : NULL;
		size_t n = ref ? 1 : utf8_len(p);

		if (ref)
			fputs(ref, out);
		else if (n == 0)
			fputs(REPLACEMENT_CHAR, out);
		else
			fwrite(p, 1, n, out);
		p += n ? n : 1;
	}
}
