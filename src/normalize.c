/* normalize.c - money, mileage, years, dates and VINs into canonical form. */
#include "lotsync/normalize.h"

#include <stdio.h>
#include <string.h>

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

int
date_format_compile(const char *text, struct date_format *f)
{
	const char *p = text;
	int years = 0, months = 0, days = 0;

	memset(f, 0, sizeof(*f));
	if (strlen(text) >= sizeof(f->text))
		return -1;
	snprintf(f->text, sizeof(f->text), "%s", text);
	while (*p) {
		enum date_part part = DATE_LIT;
		size_t len = 1;

		if (strncmp(p, "YYYY", 4) == 0) {
			part = DATE_YEAR;
			len = 4;
			years++;
		} else if (strncmp(p, "MM", 2) == 0) {
			part = DATE_MONTH;
			len = 2;
			months++;
		} else if (strncmp(p, "DD", 2) == 0) {
			part = DATE_DAY;
			len = 2;
			days++;
		} else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || is_digit(*p)) {
			return -1;
		}
		if (f->nparts == ARRAY_SIZE(f->parts))
			return -1;
		f->lit[f->nparts] = part == DATE_LIT ? *p : 0;
		f->parts[f->nparts++] = part;
		p += len;
	}
	if (years != 1 || months != 1 || days > 1)
		return -1;
	f->has_day = days == 1;
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

/* Match one format's shape; 1 = matched (y, m, d set), 0 = not this format. */
static int
match_format(const struct date_format *f, const char *s, const char *e, int *y, int *m, int *d)
{
	*y = *m = *d = 0;
	for (size_t i = 0; i < f->nparts; i++) {
		enum date_part part = f->parts[i];
		size_t want_min = 1, want_max = 2, k = 0;
		int v = 0;

		if (part == DATE_LIT) {
			if (s == e || *s != f->lit[i])
				return 0;
			s++;
			continue;
		}
		if (part == DATE_YEAR)
			want_min = want_max = 4;
		else if (i + 1 < f->nparts && f->parts[i + 1] != DATE_LIT)
			want_min = 2; /* YYYYMMDD: no separator, so fixed width */
		while (k < want_max && s + k < e && is_digit(s[k]))
			v = v * 10 + (s[k++] - '0');
		if (k < want_min)
			return 0;
		s += k;
		*(part == DATE_YEAR ? y : part == DATE_MONTH ? m : d) = v;
	}
	return s == e;
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

const char *
norm_date(const struct date_format *fmts, size_t nfmts, const char *s, size_t n,
          char out[NORM_DATE_MAX], struct date_seen *seen)
{
	const char *calendar = NULL;

	for (size_t i = 0; i < nfmts; i++) {
		const struct date_format *f = &fmts[i];
		int y, m, d;

		if (!match_format(f, s, s + n, &y, &m, &d))
			continue;
		if (m < 1 || m > 12) {
			calendar = calendar ? calendar : "has a month outside 1-12";
			continue;
		}
		if (f->has_day && (d < 1 || d > days_in_month(y, m))) {
			calendar = calendar ? calendar : "has a day that month does not have";
			continue;
		}
		iso_date(out, y, m, f->has_day ? d : 0);
		seen->format = (int)i;
		seen->day = f->has_day ? d : 0;
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
