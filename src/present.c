/* present.c - amounts and vehicle names for people (see present.h). */
#include "lotsync/present.h"

#include <stdio.h>
#include <string.h>

/* Amount fields of the canonical schema (integer minor units). */
static const char *const money_fields[] = {"price", "campaign_price", "old_price", "leasing_price",
                                           "msrp"};

bool
present_is_money_n(const char *field, size_t n)
{
	/* Asked for every field shown: most names are ruled out by their first letter. */
	if (n == 0 || !strchr("pcolm", field[0]))
		return false;
	for (size_t i = 0; i < sizeof(money_fields) / sizeof(money_fields[0]); i++)
		if (strlen(money_fields[i]) == n && memcmp(field, money_fields[i], n) == 0)
			return true;
	return false;
}

bool
present_is_money(const char *field)
{
	return present_is_money_n(field, strlen(field));
}

void
present_money(const char *minor, const char *currency, char *out)
{
	const char *d = minor + (minor[0] == '-');
	size_t n = strlen(d), w = 0, whole;
	char digits[32];

	if (n == 0 || n >= sizeof(digits) - 3 || strspn(d, "0123456789") != n) {
		snprintf(out, PRESENT_MAX, "%s", minor);
		return;
	}
	/* At least three digits: "5" is 0.05. */
	snprintf(digits, sizeof(digits), "%s%s", n < 3 ? (n == 1 ? "00" : "0") : "", d);
	n = strlen(digits);
	whole = n - 2;
	if (minor[0] == '-')
		out[w++] = '-';
	for (size_t i = 0; i < whole; i++) {
		if (i > 0 && (whole - i) % 3 == 0)
			out[w++] = ',';
		out[w++] = digits[i];
	}
	out[w++] = '.';
	out[w++] = digits[whole];
	out[w++] = digits[whole + 1];
	out[w] = '\0';
	if (currency && *currency)
		snprintf(out + w, PRESENT_MAX - w, " %s", currency);
}

const char *
present_value(const char *field, const char *value, const char *currency, char *out)
{
	if (!value)
		return "(absent)";
	if (!present_is_money(field))
		return value;
	present_money(value, currency, out);
	return out;
}

const char *const present_naming[PRESENT_NAMING] = {"stock_no", "year", "make", "model"};

void
present_vehicle(const struct record *r, char *out)
{
	/* One pass over the fields (diff names every vehicle it prints a line of) */
	const char *stock = NULL, *parts[3] = {NULL, NULL, NULL};
	size_t w = 0;
	bool any = false;

	for (size_t i = 0; i < r->nfields; i++) {
		const char *n = r->fields[i].name;

		if (n[0] == 's' && !stock && strcmp(n, "stock_no") == 0)
			stock = r->fields[i].value;
		else if (n[0] == 'y' && !parts[0] && strcmp(n, "year") == 0)
			parts[0] = r->fields[i].value;
		else if (n[0] == 'm' && !parts[1] && strcmp(n, "make") == 0)
			parts[1] = r->fields[i].value;
		else if (n[0] == 'm' && !parts[2] && strcmp(n, "model") == 0)
			parts[2] = r->fields[i].value;
	}
	out[0] = '\0';
	if (stock)
		w += (size_t)snprintf(out, PRESENT_MAX, "stock %s", stock);
	for (size_t i = 0; i < 3 && w < PRESENT_MAX; i++) {
		if (!parts[i])
			continue;
		w += (size_t)snprintf(out + w, PRESENT_MAX - w, "%s%s",
		                      any ? " " : (stock ? ", " : ""), parts[i]);
		any = true;
	}
}
