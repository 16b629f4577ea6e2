/* wo.c - work-order fields, keys, local date-times and the date-typo guard (see wo.h). */
#include "lotsync/wo.h"

#include <stdio.h>
#include <string.h>

#include "lotsync/util.h"

const struct wo_field wo_fields[] = {
        {"dms_number", WO_APPOINTMENT, WO_TEXT},
        {"wo_number", WO_APPOINTMENT, WO_TEXT},
        {"appointment_at", WO_APPOINTMENT, WO_WHEN},
        {"created_at", WO_APPOINTMENT, WO_WHEN},
        {"scheduled_in_at", WO_APPOINTMENT, WO_WHEN},
        {"scheduled_out_at", WO_APPOINTMENT, WO_WHEN},
        {"customer_waiting", WO_APPOINTMENT, WO_BOOL},
        {"billed", WO_APPOINTMENT, WO_BOOL},
        {"notes", WO_APPOINTMENT, WO_TEXT},
        {"in_shop", WO_APPOINTMENT, WO_BOOL},
        {"internal", WO_APPOINTMENT, WO_BOOL},
        {"mileage", WO_APPOINTMENT, WO_INTEGER},
        {"canceled", WO_APPOINTMENT, WO_BOOL},
        {"make", WO_CAR, WO_TEXT},
        {"model", WO_CAR, WO_TEXT},
        {"registration_number", WO_CAR, WO_TEXT},
        {"vin", WO_CAR, WO_VIN},
        {"fuel", WO_CAR, WO_TEXT},
        {"first_registration", WO_CAR, WO_DATE},
        {"apk_date", WO_CAR, WO_DATE},
        {"engine_number", WO_CAR, WO_TEXT},
        {"car_notes", WO_CAR, WO_TEXT},
        {"driver_id", WO_CAR, WO_TEXT},
        {"owner_id", WO_CAR, WO_TEXT},
        {"contractor_id", WO_CAR, WO_TEXT},
        {"title", WO_INTERVENTION, WO_TEXT},
        {"description", WO_INTERVENTION, WO_TEXT},
        {"price", WO_INTERVENTION, WO_MONEY},
        {"id", WO_PERSON, WO_TEXT},
        {"company", WO_PERSON, WO_TEXT},
        {"title", WO_PERSON, WO_TEXT},
        {"first_name", WO_PERSON, WO_TEXT},
        {"last_name", WO_PERSON, WO_TEXT},
        {"street", WO_PERSON, WO_TEXT},
        {"house_number", WO_PERSON, WO_TEXT},
        {"postcode", WO_PERSON, WO_TEXT},
        {"place", WO_PERSON, WO_TEXT},
        {"email_private", WO_PERSON, WO_TEXT},
        {"phone_private", WO_PERSON, WO_TEXT},
        {"mobile_private", WO_PERSON, WO_TEXT},
        {"email_business", WO_PERSON, WO_TEXT},
        {"phone_business", WO_PERSON, WO_TEXT},
        {"mobile_business", WO_PERSON, WO_TEXT},
};
const size_t wo_nfields = ARRAY_SIZE(wo_fields);

const struct wo_field *
wo_field_find(enum wo_field_group g, const char *name)
{
	for (size_t i = 0; i < wo_nfields; i++)
		if (wo_fields[i].group == g && !strcmp(wo_fields[i].name, name))
			return &wo_fields[i];
	return NULL;
}

bool
wo_field_personal(const char *name)
{
	static const char *const personal[] = {"street", "house_number", "postcode", "place",
	                                       "email_", "phone_",       "mobile_"};

	for (size_t i = 0; i < ARRAY_SIZE(personal); i++)
		if (!strncmp(name, personal[i], strlen(personal[i])))
			return true;
	return false;
}

const char *
wo_mask(const char *name, const char *value, char *out)
{
	size_t n = 0;
	bool word = true;

	if (!strcmp(value, WO_ERASED))
		return value; /* nothing left to hide */
	if (wo_field_personal(name))
		return "(personal data)";
	if (strcmp(name, "first_name") && strcmp(name, "last_name"))
		return value;
	/* The first character (all its UTF-8 bytes) of each word, then a dot. */
	for (const unsigned char *p = (const unsigned char *)value; *p && n + 6 < WO_MASK_MAX;
	     p++) {
		if (*p == ' ' || *p == '-') {
			word = true;
			continue;
		}
		if (!word)
			continue;
		out[n++] = (char)*p;
		while ((p[1] & 0xC0) == 0x80 && n + 6 < WO_MASK_MAX)
			out[n++] = (char)*++p;
		out[n++] = '.';
		word = false;
	}
	out[n] = '\0';
	return out;
}

bool
wo_key_is_person(const char *key)
{
	return !strncmp(key, WO_PERSON_PREFIX, strlen(WO_PERSON_PREFIX));
}

void
wo_intervention_field(char *out, size_t outsz, unsigned index, const char *part)
{
	snprintf(out, outsz, WO_INTERVENTION_PREFIX "%03u.%s", index, part);
}

int
wo_date_format_compile(const char *text, struct wo_date_format *out)
{
	const char *p = text;
	bool hour = false, have_y = false, have_m = false, have_d = false;

	memset(out, 0, sizeof(*out));
	if (strlen(text) >= sizeof(out->text))
		return -1;
	memcpy(out->text, text, strlen(text) + 1);
	while (*p) {
		char part = 'L';
		size_t len = 1;

		if (!strncmp(p, "YYYY", 4))
			part = 'Y', len = 4, have_y = true;
		else if (!strncmp(p, "DD", 2))
			part = 'D', len = 2, have_d = true;
		else if (!strncmp(p, "HH", 2))
			part = 'h', len = 2, hour = true;
		else if (!strncmp(p, "MM", 2) && hour)
			part = 'm', len = 2;
		else if (!strncmp(p, "MM", 2))
			part = 'M', len = 2, have_m = true;
		else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
			return -1;
		if (out->nparts == sizeof(out->parts))
			return -1;
		out->lit[out->nparts] = *p;
		out->parts[out->nparts++] = part;
		p += len;
	}
	return have_y && have_m && have_d ? 0 : -1;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

bool
wo_when_valid(const struct wo_when *w)
{
	return w->y >= 1900 && w->y <= 2200 && w->mo >= 1 && w->mo <= 12 && w->d >= 1 &&
	       w->d <= month_days(w->y, w->mo) && w->h >= 0 && w->h <= 23 && w->mi >= 0 &&
	       w->mi <= 59;
}

/* Up to max digits (at least one) of s from *i. */
static int
digits(const char *s, size_t n, size_t *i, size_t max, int *out)
{
	size_t k = 0;

	*out = 0;
	while (*i < n && k < max && s[*i] >= '0' && s[*i] <= '9') {
		*out = *out * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	return k ? 0 : -1;
}

const char *
wo_when_parse(const struct wo_date_format *f, const char *s, size_t n, struct wo_when *out)
{
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < f->nparts; k++) {
		int v;

		if (i == n && (f->parts[k] == 'h' ||
		               (f->parts[k] == 'L' && k + 1 < f->nparts && f->parts[k + 1] == 'h')))
			break; /* a date without its time: 00:00 */
		if (f->parts[k] == 'L') {
			if (i >= n || s[i] != f->lit[k])
				return "does not match the date format";
			i++;
			continue;
		}
		if (digits(s, n, &i, f->parts[k] == 'Y' ? 4 : 2, &v) == -1)
			return "does not match the date format";
		switch (f->parts[k]) {
		case 'Y': out->y = v; break;
		case 'M': out->mo = v; break;
		case 'D': out->d = v; break;
		case 'h': out->h = v; break;
		default: out->mi = v; break;
		}
	}
	if (i != n)
		return "does not match the date format";
	return wo_when_valid(out) ? NULL : "is not a calendar date";
}

/* Days from 1970-01-01 (Howard Hinnant's days_from_civil). */
static long long
days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

long long
wo_when_minutes(const struct wo_when *w)
{
	return days_from_civil(w->y, w->mo, w->d) * 1440 + w->h * 60 + w->mi;
}

void
wo_when_local_text(const struct wo_when *w, char out[17])
{
	snprintf(out, 17, "%04u-%02u-%02uT%02u:%02u", (unsigned)w->y % 10000u,
	         (unsigned)w->mo % 100u, (unsigned)w->d % 100u, (unsigned)w->h % 100u,
	         (unsigned)w->mi % 100u);
}

/* Not before creation (a day's grace: entered after the fact), not past the horizon. */
static bool
plausible(const struct wo_when *a, const struct wo_when *c, int horizon_days)
{
	long long d = wo_when_minutes(a) - wo_when_minutes(c);

	return d >= -1440 && (horizon_days < 0 || d <= (long long)horizon_days * 1440);
}

enum wo_typo
wo_typo_check(const struct wo_when *appointment, const struct wo_when *created, int horizon_days,
              struct wo_when *swapped, bool *has_swap, bool *ambiguous)
{
	bool ok = plausible(appointment, created, horizon_days);

	*swapped = *appointment;
	swapped->d = appointment->mo;
	swapped->mo = appointment->d;
	*has_swap = appointment->d != appointment->mo && wo_when_valid(swapped);
	*ambiguous = ok && *has_swap && plausible(swapped, created, horizon_days);
	if (ok)
		return WO_DATE_OK;
	if (*has_swap && plausible(swapped, created, horizon_days))
		return WO_DATE_TYPO;
	return WO_DATE_IMPLAUSIBLE;
}
