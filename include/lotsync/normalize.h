/*
 * normalize.h - one source value into its canonical form (SPEC §2, §4).
 * Pure functions: no allocation, no I/O, no logging.
 *
 *   money    "21,995.00", "$21,995.00", "13998 USD", "21.995,00 €",
 *            "21 995 kr" -> integer minor units (hundredths: 2199500) and,
 *            when the value names one, the ISO 4217 currency
 *   mileage  "41,200", "41200 miles", "12.345 km" -> integer in the
 *            profile's unit (km or mi); a value in the other unit is refused
 *   year     four digits, 1886..2100
 *   date     by the profile's formats (YYYY, MM, DD, hh, mm, ss, AM, Z and
 *            literal characters; MM, DD, hh, mm and ss take one or two
 *            digits) -> ISO 8601 YYYY-MM-DD, YYYY-MM for a format without
 *            DD, YYYY-MM-DDThh:mm:ss for one with a time, and with a Z
 *            (an offset, or "Z") the time converted to UTC and a "Z"
 *   integer  a whole number, with the field's unit word allowed after it
 *   coord    decimal degrees, '.' or ',' as the decimal separator
 *   VIN      upper-cased; 17 characters of 0-9 and A-Z without I, O, Q,
 *            check digit (position 9) verified; a shorter pre-1981 VIN
 *            (5..16 letters and digits) only when allowed
 *
 * Every function takes the value as bytes (s, n), already trimmed, and
 * returns NULL on success or a short reason ("is not an amount") that the
 * caller puts after the field and value in a row error.
 */
#ifndef LOTSYNC_NORMALIZE_H
#define LOTSYNC_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest text a normalised number or date takes, with its NUL. */
#define NORM_NUM_MAX  24
#define NORM_DATE_MAX 21

struct norm_money {
	long long minor;  /* hundredths of the currency */
	char currency[4]; /* ISO 4217 code the value carried, or "" */
};

/*
 * decimal is '.' or ','; the other one, a space, a no-break space and an
 * apostrophe may group thousands (groups of exactly three digits). A
 * currency symbol or code may lead or trail: € EUR, £ GBP, $ (the profile's
 * currency when it has one, else USD), kr and ":-" (the profile's currency).
 * At most two decimals; a negative amount is refused (no marketplace takes
 * one, and it is a data slip far more often than a discount).
 */
const char *norm_money(const char *s, size_t n, char decimal, const char *profile_currency,
                       struct norm_money *out);
/* Minor units back to text for output: 2199500 -> "21995", 2199550 -> "21995.50". */
void norm_money_text(long long minor, char out[NORM_NUM_MAX]);

/* mil is the Scandinavian mile (10 km). The order is part of mileage_convert(). */
enum mileage_unit { MILEAGE_KM, MILEAGE_MI, MILEAGE_MIL };
/* "km", "mi", "mil": the canonical mileage_unit values. */
const char *mileage_unit_name(enum mileage_unit u);

/*
 * A whole number of units; a trailing unit word ("miles", "km") sets *unit
 * and *named (else *unit is left alone). thousands is the profile's
 * declared grouping character, or 0: then a '.' or ',' followed by three
 * digits is refused as ambiguous ("45.000"), any other fraction as a
 * fraction ("45000.5"); spaces and apostrophes always group. Negative
 * values are refused.
 */
const char *norm_mileage(const char *s, size_t n, char thousands, long long *out,
                         enum mileage_unit *unit, bool *named);
/* A unit column's value: km, kilometres, mi, miles, mil ... (any case). */
const char *norm_mileage_unit(const char *s, size_t n, enum mileage_unit *out);
/* v in from converted to to, rounded to the nearest whole unit. */
long long mileage_convert(long long v, enum mileage_unit from, enum mileage_unit to);

const char *norm_year(const char *s, size_t n, int *out);

/* A whole number >= 0, optionally followed by unit (any case, "kW"); NULL = none allowed. */
const char *norm_int(const char *s, size_t n, const char *unit, long long *out);
/* Decimal degrees within -bound..bound, '.' or ',' decimals; out gets "59.3293". */
const char *norm_coord(const char *s, size_t n, int bound, char out[NORM_NUM_MAX]);

enum date_part {
	DATE_LIT,
	DATE_YEAR,
	DATE_MONTH,
	DATE_DAY,
	DATE_HOUR,   /* hh: 0-23, or 1-12 with AM */
	DATE_MINUTE, /* mm */
	DATE_SECOND, /* ss, a fraction after it is read and dropped */
	DATE_AMPM,   /* AM: AM, PM, am, pm, a.m., p.m. */
	DATE_ZONE    /* Z: "Z", +hh:mm, +hhmm, +hh, -... */
};

/* A compiled date format. */
struct date_format {
	char text[40]; /* as the profile spells it, for messages */
	enum date_part parts[24];
	char lit[24];
	size_t nparts;
	bool has_day;
	bool has_time; /* hh: the value is a date-time */
	bool has_zone; /* Z: converted to UTC */
	/* Day and month both present and the year not first: 03/04/2024 reads two ways. */
	bool order_ambiguous;
};

/* Compile a format such as "DD.MM.YYYY"; -1 when it is not one. */
int date_format_compile(const char *text, struct date_format *out);

/* What norm_date() found, for the file's ambiguity check. */
struct date_seen {
	int format; /* index of the format that matched */
	int day;    /* 0 when the format has no day */
};

/*
 * Try the formats in order; the first that matches wins. A value that
 * matches a format's shape but not the calendar (month 13, 31 April) is
 * refused with that reason rather than tried against later formats.
 * out receives the ISO text, NUL-terminated.
 */
const char *norm_date(const struct date_format *fmts, size_t nfmts, const char *s, size_t n,
                      char out[NORM_DATE_MAX], struct date_seen *seen);

enum vin_status { VIN_OK, VIN_SHORT, VIN_BAD_CHECK_DIGIT };

/* Upper-cases v[0..n) in place, then checks it. */
const char *norm_vin(char *v, size_t n, bool allow_short, enum vin_status *st);
/* The ISO 3779 check digit of a 17-character VIN matches position 9. */
bool vin_check_digit_ok(const char *v);

#endif
