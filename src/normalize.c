/* normalize.c - money, mileage, years, dates and VINs into canonical form. */
#include "lotsync/normalize.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lotsync/util.h"

/* Longest integer part accepted: 13 digits keep minor units within int64. */
#define INT_DIGITS_MAX 13

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of a space-like sequence at p (space, tab, no-break, narrow no-break, thin), or 0. */
static size_t
space_at(const char *p, const char *e)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t left = (size_t)(e - p);

	if (left >= 1 && (*p == ' ' || *p == '\t'))
		return 1;
	if (left >= 2 && u[0] == 0xC2 && u[1] == 0xA0)
		return 2;
	if (left >= 3 && u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0xAF || u[2] == 0x89))
		return 3;
	return 0;
}

static void
trim(const char **p, const char **e)
{
	size_t k;

	while (*p < *e && (k = space_at(*p, *e)) > 0)
		*p += k;
	while (*e > *p) {
		if ((*e)[-1] == ' ' || (*e)[-1] == '\t')
			(*e)--;
		else if (*e - *p >= 2 && (unsigned char)(*e)[-2] == 0xC2 &&
		         (unsigned char)(*e)[-1] == 0xA0)
			*e -= 2;
		else if (*e - *p >= 3 && (unsigned char)(*e)[-3] == 0xE2 &&
		         (unsigned char)(*e)[-2] == 0x80 &&
		         ((unsigned char)(*e)[-1] == 0xAF || (unsigned char)(*e)[-1] == 0x89))
			*e -= 3;
		else
			break;
	}
}

/* A thousands separator at p (not the decimal one): its length, or 0. */
static size_t
group_sep_at(const char *p, const char *e, char decimal)
{
	if (*p == (decimal == '.' ? ',' : '.') || *p == '\'')
		return 1;
	return space_at(p, e);
}

struct number {
	bool negative;
	long long whole;
	const char *frac; /* digits after the decimal separator */
	size_t nfrac;
};

/*
 * Digits with optional thousands groups and one decimal separator. Groups
 * are checked (1-3 digits, then exactly 3 each, one kind of separator) so
 * a value written for the other decimal convention is refused, not misread.
 */
static const char *
parse_number(const char *p, const char *e, char decimal, struct number *num)
{
	size_t group = 0, ndigits = 0, seplen = 0;
	char sepkind = 0;
	bool grouped = false;

	num->whole = 0;
	num->frac = NULL;
	num->nfrac = 0;
	num->negative = false;
	if (p == e)
		return "is not a number";
	if (*p == '-' || *p == '+') {
		num->negative = *p++ == '-';
		if (p == e)
			return "is not a number";
	}
	while (p < e) {
		if (is_digit(*p)) {
			if (++ndigits > INT_DIGITS_MAX)
				return "is too large";
			num->whole = num->whole * 10 + (*p - '0');
			group++;
			p++;
			continue;
		}
		if (*p == decimal)
			break;
		if ((seplen = group_sep_at(p, e, decimal)) == 0 || p + seplen >= e ||
		    !is_digit(p[seplen]))
			return "is not a number";
		/* First group 1-3 digits, later ones exactly 3, all with one separator. */
		if (group == 0 || (grouped ? group != 3 : group > 3) || (grouped && sepkind != *p))
			return "has misplaced thousands separators";
		grouped = true;
		sepkind = *p;
		group = 0;
		p += seplen;
	}
	if (ndigits == 0 || (grouped && group != 3))
		return ndigits ? "has misplaced thousands separators" : "is not a number";
	if (p < e) {
		num->frac = ++p;
		while (p < e && is_digit(*p))
			p++;
		num->nfrac = (size_t)(p - num->frac);
		if (p != e || num->nfrac == 0)
			return "is not a number";
	}
	return NULL;
}

static bool
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

/* A currency before or after the amount: symbol or ISO code. Returns its length, 0 if none. */
static size_t
currency_prefix(const char *p, const char *e, const char *pc, char out[4])
{
	size_t left = (size_t)(e - p);

	if (left >= 3 && memcmp(p, "\xE2\x82\xAC", 3) == 0) {
		memcpy(out, "EUR", 4);
		return 3;
	}
	if (left >= 2 && memcmp(p, "\xC2\xA3", 2) == 0) {
		memcpy(out, "GBP", 4);
		return 2;
	}
	if (left >= 1 && *p == '$') {
		snprintf(out, 4, "%s", pc && *pc ? pc : "USD");
		return 1;
	}
	if (left >= 4 && is_upper(p[0]) && is_upper(p[1]) && is_upper(p[2]) && !is_upper(p[3])) {
		memcpy(out, p, 3);
		out[3] = '\0';
		return 3;
	}
	return 0;
}

static size_t
currency_suffix(const char *p, const char *e, const char *pc, char out[4])
{
	size_t left = (size_t)(e - p);
	const char *s;

	if (left >= 3 && memcmp(e - 3, "\xE2\x82\xAC", 3) == 0) {
		memcpy(out, "EUR", 4);
		return 3;
	}
	if (left >= 2 && memcmp(e - 2, "\xC2\xA3", 2) == 0) {
		memcpy(out, "GBP", 4);
		return 2;
	}
	if (left >= 1 && e[-1] == '$') {
		snprintf(out, 4, "%s", pc && *pc ? pc : "USD");
		return 1;
	}
	/* Scandinavian "kr", "kr." and "21 995:-" name the profile's currency. */
	if (left >= 3 && memcmp(e - 3, "kr.", 3) == 0) {
		snprintf(out, 4, "%s", pc ? pc : "");
		return 3;
	}
	if (left >= 2 && (memcmp(e - 2, "kr", 2) == 0 || memcmp(e - 2, ":-", 2) == 0)) {
		snprintf(out, 4, "%s", pc ? pc : "");
		return 2;
	}
	s = e - 3;
	if (left >= 4 && is_upper(s[0]) && is_upper(s[1]) && is_upper(s[2]) && !is_upper(s[-1])) {
		memcpy(out, s, 3);
		out[3] = '\0';
		return 3;
	}
	return 0;
}

const char *
norm_money(const char *s, size_t n, char decimal, const char *pc, struct norm_money *out)
{
	const char *p = s, *e = s + n, *why;
	char pre[4] = "", suf[4] = "";
	struct number num;
	size_t k;
	long long frac = 0;

	memset(out, 0, sizeof(*out));
	trim(&p, &e);
	if ((k = currency_prefix(p, e, pc, pre)) > 0) {
		p += k;
		trim(&p, &e);
	}
	if ((k = currency_suffix(p, e, pc, suf)) > 0) {
		e -= k;
		trim(&p, &e);
	}
	if (k > 0 && pre[0] && suf[0] && strcmp(pre, suf) != 0)
		return "names two currencies";
	/* "21.995,-": a dash for the decimals means none. */
	if (e - p >= 2 && e[-1] == '-' && e[-2] == decimal)
		e -= 2;
	if ((why = parse_number(p, e, decimal, &num)) != NULL)
		return strcmp(why, "is not a number") == 0 ? "is not an amount" : why;
	if (num.nfrac > 2)
		return "has more than two decimals";
	if (num.nfrac >= 1)
		frac = (num.frac[0] - '0') * 10 + (num.nfrac == 2 ? num.frac[1] - '0' : 0);
	/* A negative price is a data slip (or a discount typed in the wrong column): refused. */
	if (num.negative && (num.whole || frac))
		return "is negative";
	out->minor = (num.whole * 100 + frac) * (num.negative ? -1 : 1);
	memcpy(out->currency, pre[0] ? pre : suf, 4);
	return NULL;
}

void
norm_money_text(long long minor, char out[NORM_NUM_MAX])
{
	unsigned long long a =
	        minor < 0 ? 0ULL - (unsigned long long)minor : (unsigned long long)minor;

	if (a % 100 == 0)
		snprintf(out, NORM_NUM_MAX, "%s%llu", minor < 0 ? "-" : "", a / 100);
	else
		snprintf(out, NORM_NUM_MAX, "%s%llu.%02llu", minor < 0 ? "-" : "", a / 100,
		         a % 100);
}

const char *
mileage_unit_name(enum mileage_unit u)
{
	return u == MILEAGE_KM ? "km" : u == MILEAGE_MI ? "mi" : "mil";
}

static bool
ends_with_ci(const char *p, const char *e, const char *word)
{
	size_t w = strlen(word);

	if ((size_t)(e - p) < w)
		return false;
	for (size_t i = 0; i < w; i++) {
		char c = e[-(long)w + (long)i];

		if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != word[i])
			return false;
	}
	return true;
}

static const struct {
	const char *word;
	enum mileage_unit unit;
} unit_words[] = {{"kilometres", MILEAGE_KM}, {"kilometers", MILEAGE_KM}, {"miles", MILEAGE_MI},
                  {"mile", MILEAGE_MI},       {"kms", MILEAGE_KM},        {"mil", MILEAGE_MIL},
                  {"km", MILEAGE_KM},         {"mi", MILEAGE_MI}};

/* A trailing unit: its length and which unit, or 0. Longest names first. */
static size_t
unit_suffix(const char *p, const char *e, enum mileage_unit *u)
{
	for (size_t i = 0; i < ARRAY_SIZE(unit_words); i++)
		if (ends_with_ci(p, e, unit_words[i].word)) {
			/* "12000mil" is a unit; "Kamil" or "xkm" in a word is not a number anyway
			 */
			*u = unit_words[i].unit;
			return strlen(unit_words[i].word);
		}
	return 0;
}

const char *
norm_mileage_unit(const char *s, size_t n, enum mileage_unit *out)
{
	const char *p = s, *e = s + n;

	trim(&p, &e);
	for (size_t i = 0; i < ARRAY_SIZE(unit_words); i++)
		if ((size_t)(e - p) == strlen(unit_words[i].word) &&
		    ends_with_ci(p, e, unit_words[i].word)) {
			*out = unit_words[i].unit;
			return NULL;
		}
	return "is not a mileage unit (km, mi or mil)";
}

/* Digits after p up to the next non-digit. */
static size_t
digit_run(const char *p, const char *e)
{
	size_t k = 0;

	while (p + k < e && is_digit(p[k]))
		k++;
	return k;
}

/*
 * Whole units only. Spaces and apostrophes group thousands unambiguously;
 * a dot or comma does only when the profile declares it (thousands), since
 * "45.000" is 45000 km in Germany and 45 elsewhere, and "45000.5" has a
 * fraction no odometer export means: both are refused rather than guessed.
 */
const char *
norm_mileage(const char *s, size_t n, char thousands, long long *out, enum mileage_unit *unit,
             bool *named)
{
	const char *p = s, *e = s + n;
	size_t group = 0, ndigits = 0, k;
	bool grouped = false;
	long long v = 0;

	trim(&p, &e);
	if (e > p && e[-1] == '.' && e - p >= 3 && ends_with_ci(p, e - 1, "km"))
		e--; /* "km." */
	*named = false;
	if ((k = unit_suffix(p, e, unit)) > 0) {
		*named = true;
		e -= k;
		trim(&p, &e);
	}
	if (p < e && *p == '-' && p + 1 < e && is_digit(p[1]))
		return "is negative";
	if (p < e && *p == '+')
		p++;
	if (p == e || !is_digit(*p))
		return "is not a number";
	while (p < e) {
		size_t sep;

		if (is_digit(*p)) {
			if (++ndigits > INT_DIGITS_MAX)
				return "is too large";
			v = v * 10 + (*p++ - '0');
			group++;
			continue;
		}
		sep = space_at(p, e);
		if (!sep && (*p == '\'' || (thousands && *p == thousands)))
			sep = 1;
		if (!sep && (*p == '.' || *p == ','))
			return digit_run(p + 1, e) == 3 && (p + 4 == e || !is_digit(p[4]))
			               ? (*p == '.' ? "is ambiguous: '.' and three digits may "
			                              "group thousands or start decimals "
			                              "(declare thousands in the profile)"
			                            : "is ambiguous: ',' and three digits may "
			                              "group thousands or start decimals "
			                              "(declare thousands in the profile)")
			               : "has a fractional part (mileage is whole units)";
		if (!sep || p + sep >= e || !is_digit(p[sep]))
			return "is not a number";
		if (group == 0 || (grouped ? group != 3 : group > 3))
			return "has misplaced thousands separators";
		grouped = true;
		group = 0;
		p += sep;
	}
	if (grouped && group != 3)
		return "has misplaced thousands separators";
	*out = v;
	return NULL;
}

long long
mileage_convert(long long v, enum mileage_unit from, enum mileage_unit to)
{
	/* metres per unit: km 1000, mi 1609.344, mil (Scandinavian) 10000 */
	static const double metres[] = {1000.0, 1609.344, 10000.0};
	double m;

	if (from == to)
		return v;
	m = (double)v * metres[from] / metres[to];
	return (long long)(m + 0.5);
}

const char *
norm_year(const char *s, size_t n, int *out)
{
	int y = 0;

	if (n != 4)
		return "is not a four-digit year";
	for (size_t i = 0; i < 4; i++) {
		if (!is_digit(s[i]))
			return "is not a four-digit year";
		y = y * 10 + (s[i] - '0');
	}
	if (y < 1886 || y > 2100)
		return "is not a plausible year (1886-2100)";
	*out = y;
	return NULL;
}

const char *
norm_int(const char *s, size_t n, const char *unit, long long *out)
{
	const char *p = s, *e = s + n;
	long long v = 0;
	size_t nd = 0;

	trim(&p, &e);
	if (unit) {
		size_t u = strlen(unit);

		if ((size_t)(e - p) > u && strncasecmp(e - u, unit, u) == 0) {
			e -= u;
			trim(&p, &e);
		}
	}
	if (p < e && *p == '-')
		return "is negative";
	for (; p < e; p++) {
		if (!is_digit(*p))
			return unit ? "is not a whole number (with or without its unit)"
			            : "is not a whole number";
		if (++nd > 12)
			return "is too large";
		v = v * 10 + (*p - '0');
	}
	if (nd == 0)
		return "is not a whole number";
	*out = v;
	return NULL;
}

const char *
norm_coord(const char *s, size_t n, int bound, char out[NORM_NUM_MAX])
{
	const char *p = s, *e = s + n;
	size_t k = 0, nint = 0, nfrac = 0;
	long whole = 0;
	bool dot = false, frac_nonzero = false;

	trim(&p, &e);
	if (p < e && (*p == '-' || *p == '+')) {
		if (*p == '-')
			out[k++] = '-';
		p++;
	}
	for (; p < e; p++) {
		if (is_digit(*p)) {
			if (dot) {
				if (++nfrac > 10)
					return "has more than 10 decimals";
				frac_nonzero = frac_nonzero || *p != '0';
			} else if (++nint > 3) {
				return "is not a coordinate in degrees";
			} else {
				whole = whole * 10 + (*p - '0');
			}
			out[k++] = *p;
		} else if ((*p == '.' || *p == ',') && !dot && nint) {
			dot = true;
			out[k++] = '.';
		} else {
			return "is not a coordinate in decimal degrees";
		}
	}
	if (!nint || (dot && !nfrac))
		return "is not a coordinate in decimal degrees";
	if (whole > bound || (whole == bound && frac_nonzero))
		return bound == 90 ? "is not a latitude (-90..90)"
		                   : "is not a longitude (-180..180)";
	out[k] = '\0';
	return NULL;
}

/* The tokens of a date format, longest first where one is a prefix of another. */
static const struct {
	const char *tok;
	enum date_part part;
} date_tokens[] = {{"YYYY", DATE_YEAR}, {"MM", DATE_MONTH},  {"DD", DATE_DAY},    {"hh", DATE_HOUR},
                   {"HH", DATE_HOUR},   {"mm", DATE_MINUTE}, {"ss", DATE_SECOND}, {"AM", DATE_AMPM},
                   {"PM", DATE_AMPM},   {"Z", DATE_ZONE}};

int
date_format_compile(const char *text, struct date_format *f)
{
	const char *p = text;
	int count[DATE_ZONE + 1] = {0};

	memset(f, 0, sizeof(*f));
	if (!strcasecmp(text, "iso8601"))
		text = "YYYY-MM-DDThh:mm:ssZ";
	if (strlen(text) >= sizeof(f->text))
		return -1;
	snprintf(f->text, sizeof(f->text), "%s", text);
	p = text;
	while (*p) {
		enum date_part part = DATE_LIT;
		size_t len = 1;

		for (size_t i = 0; i < ARRAY_SIZE(date_tokens); i++)
			if (!strncmp(p, date_tokens[i].tok, strlen(date_tokens[i].tok))) {
				part = date_tokens[i].part;
				len = strlen(date_tokens[i].tok);
				break;
			}
		/* Letters are tokens; the one literal letter is ISO 8601's T. */
		if (part == DATE_LIT && *p != 'T' &&
		    ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || is_digit(*p)))
			return -1;
		if (f->nparts == ARRAY_SIZE(f->parts))
			return -1;
		count[part]++;
		f->lit[f->nparts] = part == DATE_LIT ? *p : 0;
		f->parts[f->nparts++] = part;
		p += len;
	}
	if (count[DATE_YEAR] != 1 || count[DATE_MONTH] != 1 || count[DATE_DAY] > 1)
		return -1;
	for (int k = DATE_HOUR; k <= DATE_ZONE; k++)
		if (count[k] > 1)
			return -1;
	/* A time needs a day and an hour with its minutes; AM/PM and seconds need the hour. */
	if ((count[DATE_HOUR] || count[DATE_MINUTE] || count[DATE_SECOND] || count[DATE_AMPM] ||
	     count[DATE_ZONE]) &&
	    (!count[DATE_DAY] || !count[DATE_HOUR] || !count[DATE_MINUTE]))
		return -1;
	f->has_day = count[DATE_DAY] == 1;
	f->has_time = count[DATE_HOUR] == 1;
	f->has_zone = count[DATE_ZONE] == 1;
	f->order_ambiguous = f->has_day && f->parts[0] != DATE_YEAR;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* What one format read from a value. */
struct date_val {
	int y, m, d, hh, mi, ss;
	int pm;       /* -1 no AM/PM, 0 AM, 1 PM */
	int zone_min; /* offset east of UTC, minutes */
};

/* "Z", "+01:00", "+0100", "+01", "-05:00"; its length, 0 when none. */
static size_t
match_zone(const char *s, const char *e, int *min)
{
	int sign, h, m = 0;

	if (s < e && (*s == 'Z' || *s == 'z')) {
		*min = 0;
		return 1;
	}
	if (e - s < 3 || (*s != '+' && *s != '-') || !is_digit(s[1]) || !is_digit(s[2]))
		return 0;
	sign = *s == '-' ? -1 : 1;
	h = (s[1] - '0') * 10 + (s[2] - '0');
	if (e - s >= 6 && s[3] == ':' && is_digit(s[4]) && is_digit(s[5])) {
		m = (s[4] - '0') * 10 + (s[5] - '0');
		*min = sign * (h * 60 + m);
		return h <= 14 && m < 60 ? 6 : 0;
	}
	if (e - s >= 5 && is_digit(s[3]) && is_digit(s[4])) {
		m = (s[3] - '0') * 10 + (s[4] - '0');
		*min = sign * (h * 60 + m);
		return h <= 14 && m < 60 ? 5 : 0;
	}
	*min = sign * h * 60;
	return h <= 14 ? 3 : 0;
}

/* "AM", "pm", "a.m.", "P.M."; its length, 0 when none. */
static size_t
match_ampm(const char *s, const char *e, int *pm)
{
	char c = s < e ? (char)(*s | 0x20) : 0;

	if (c != 'a' && c != 'p')
		return 0;
	*pm = c == 'p';
	if (e - s >= 2 && (s[1] | 0x20) == 'm')
		return 2;
	if (e - s >= 4 && s[1] == '.' && (s[2] | 0x20) == 'm' && s[3] == '.')
		return 4;
	return 0;
}

/* Match one format's shape; 1 = matched (*v set), 0 = not this format. */
static int
match_format(const struct date_format *f, const char *s, const char *e, struct date_val *v)
{
	memset(v, 0, sizeof(*v));
	v->pm = -1;
	for (size_t i = 0; i < f->nparts; i++) {
		enum date_part part = f->parts[i];
		size_t want_min = 1, want_max = 2, k = 0;
		int n = 0;

		if (part == DATE_LIT) {
			if (s == e || *s != f->lit[i])
				return 0;
			s++;
			continue;
		}
		if (part == DATE_AMPM || part == DATE_ZONE) {
			k = part == DATE_AMPM ? match_ampm(s, e, &v->pm)
			                      : match_zone(s, e, &v->zone_min);
			if (!k)
				return 0;
			s += k;
			continue;
		}
		if (part == DATE_YEAR)
			want_min = want_max = 4;
		else if (i + 1 < f->nparts && f->parts[i + 1] != DATE_LIT)
			want_min = 2; /* YYYYMMDD: no separator, so fixed width */
		while (k < want_max && s + k < e && is_digit(s[k]))
			n = n * 10 + (s[k++] - '0');
		if (k < want_min)
			return 0;
		s += k;
		switch (part) {
		case DATE_YEAR: v->y = n; break;
		case DATE_MONTH: v->m = n; break;
		case DATE_DAY: v->d = n; break;
		case DATE_HOUR: v->hh = n; break;
		case DATE_MINUTE: v->mi = n; break;
		default:
			v->ss = n;
			/* ISO 8601 fractions of a second: read, not kept */
			if (s + 1 < e && (*s == '.' || *s == ',') && is_digit(s[1]) &&
			    !(i + 1 < f->nparts && f->parts[i + 1] == DATE_LIT &&
			      f->lit[i + 1] == *s))
				for (s++; s < e && is_digit(*s); s++)
					;
			break;
		}
	}
	return s == e;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static long
days_from_civil(int y, int m, int d)
{
	long yy = m <= 2 ? y - 1 : y;
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* A time with an offset, moved to UTC (the date may change). */
static void
to_utc(struct date_val *v)
{
	long t = days_from_civil(v->y, v->m, v->d) * 1440L + v->hh * 60L + v->mi - v->zone_min;
	long days = t >= 0 ? t / 1440 : -((-t + 1439) / 1440);
	long rest = t - days * 1440;

	civil_from_days(days, &v->y, &v->m, &v->d);
	v->hh = (int)(rest / 60);
	v->mi = (int)(rest % 60);
}

static void
two(char *o, int v)
{
	o[0] = (char)('0' + v / 10 % 10);
	o[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DDThh:mm:ss" with a "Z" when the value was moved to UTC. */
static void
iso_time(char out[NORM_DATE_MAX], const struct date_val *v, bool utc)
{
	out[10] = 'T';
	two(out + 11, v->hh);
	out[13] = ':';
	two(out + 14, v->mi);
	out[16] = ':';
	two(out + 17, v->ss);
	out[19] = utc ? 'Z' : '\0';
	out[20] = '\0';
}

/* "YYYY-MM-DD", or "YYYY-MM" when d is 0; y has four digits (the format says so). */
static void
iso_date(char out[NORM_DATE_MAX], int y, int m, int d)
{
	out[0] = (char)('0' + y / 1000 % 10);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '\0';
	if (d) {
		out[7] = '-';
		out[8] = (char)('0' + d / 10);
		out[9] = (char)('0' + d % 10);
		out[10] = '\0';
	}
}

/* The time of a matched value: a reason when it is not one. */
static const char *
check_time(const struct date_format *f, struct date_val *v)
{
	if (!f->has_time)
		return NULL;
	if (v->pm >= 0) {
		if (v->hh < 1 || v->hh > 12)
			return "has an hour outside 1-12 with AM/PM";
		v->hh = v->hh % 12 + (v->pm ? 12 : 0);
	}
	if (v->hh > 23 || v->mi > 59 || v->ss > 60)
		return "has a time that does not exist";
	if (v->ss == 60)
		v->ss = 59; /* a leap second: the stamp keeps its minute */
	return NULL;
}

const char *
norm_date(const struct date_format *fmts, size_t nfmts, const char *s, size_t n,
          char out[NORM_DATE_MAX], struct date_seen *seen)
{
	const char *calendar = NULL, *why;

	for (size_t i = 0; i < nfmts; i++) {
		const struct date_format *f = &fmts[i];
		struct date_val v;

		if (!match_format(f, s, s + n, &v))
			continue;
		if (v.m < 1 || v.m > 12) {
			calendar = calendar ? calendar : "has a month outside 1-12";
			continue;
		}
		if (f->has_day && (v.d < 1 || v.d > days_in_month(v.y, v.m))) {
			calendar = calendar ? calendar : "has a day that month does not have";
			continue;
		}
		if ((why = check_time(f, &v)) != NULL) {
			calendar = calendar ? calendar : why;
			continue;
		}
		if (f->has_zone)
			to_utc(&v);
		iso_date(out, v.y, v.m, f->has_day ? v.d : 0);
		if (f->has_time)
			iso_time(out, &v, f->has_zone);
		seen->format = (int)i;
		seen->day = f->has_day ? v.d : 0;
		return NULL;
	}
	return calendar ? calendar : "does not match the profile's date format";
}

/*
 * ISO 3779 values plus one (digits as such, letters in groups of nine),
 * 0 for characters never in a VIN, VIN_IOQ for the letters VINs skip.
 * Lower case as upper case (norm_vin upper-cases in place).
 */
#define VIN_IOQ 12
static const unsigned char vin_tab[256] = {
        ['0'] = 1,       ['1'] = 2,  ['2'] = 3,       ['3'] = 4,  ['4'] = 5,       ['5'] = 6,
        ['6'] = 7,       ['7'] = 8,  ['8'] = 9,       ['9'] = 10, ['A'] = 2,       ['B'] = 3,
        ['C'] = 4,       ['D'] = 5,  ['E'] = 6,       ['F'] = 7,  ['G'] = 8,       ['H'] = 9,
        ['I'] = VIN_IOQ, ['J'] = 2,  ['K'] = 3,       ['L'] = 4,  ['M'] = 5,       ['N'] = 6,
        ['O'] = VIN_IOQ, ['P'] = 8,  ['Q'] = VIN_IOQ, ['R'] = 10, ['S'] = 3,       ['T'] = 4,
        ['U'] = 5,       ['V'] = 6,  ['W'] = 7,       ['X'] = 8,  ['Y'] = 9,       ['Z'] = 10,
        ['a'] = 2,       ['b'] = 3,  ['c'] = 4,       ['d'] = 5,  ['e'] = 6,       ['f'] = 7,
        ['g'] = 8,       ['h'] = 9,  ['i'] = VIN_IOQ, ['j'] = 2,  ['k'] = 3,       ['l'] = 4,
        ['m'] = 5,       ['n'] = 6,  ['o'] = VIN_IOQ, ['p'] = 8,  ['q'] = VIN_IOQ, ['r'] = 10,
        ['s'] = 3,       ['t'] = 4,  ['u'] = 5,       ['v'] = 6,  ['w'] = 7,       ['x'] = 8,
        ['y'] = 9,       ['z'] = 10,
};
static const int vin_weight[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};

static bool
check_digit_matches(const char *v, int sum)
{
	int r = sum % 11;

	return v[8] == (r == 10 ? 'X' : '0' + r);
}

bool
vin_check_digit_ok(const char *v)
{
	int sum = 0;

	for (size_t i = 0; i < 17; i++) {
		unsigned char t = vin_tab[(unsigned char)v[i]];

		if (t == 0 || t == VIN_IOQ)
			return false;
		sum += (t - 1) * vin_weight[i];
	}
	return check_digit_matches(v, sum);
}

const char *
norm_vin(char *v, size_t n, bool allow_short, enum vin_status *st)
{
	bool ioq = false;
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i], t = vin_tab[c];

		if (t == 0)
			return "has a character other than A-Z and 0-9";
		if (c >= 'a')
			v[i] = (char)(c - 32);
		if (t == VIN_IOQ)
			ioq = true;
		else if (i < 17)
			sum += (t - 1) * vin_weight[i];
	}
	if (n != 17) {
		if (allow_short && n >= 5 && n < 17) {
			*st = VIN_SHORT;
			return NULL;
		}
		return allow_short ? "is not 17 characters (nor a pre-1981 VIN of 5-16)"
		                   : "is not 17 characters";
	}
	if (ioq)
		return "contains I, O or Q, which VINs never use";
	*st = check_digit_matches(v, sum) ? VIN_OK : VIN_BAD_CHECK_DIGIT;
	return NULL;
}
