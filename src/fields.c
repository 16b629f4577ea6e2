/* fields.c - the canonical field table (see fields.h). */
#include "lotsync/fields.h"

#include <string.h>

#include "lotsync/util.h"

const struct field_def fields_table[] = {
        {"dealer_id", FIELD_TEXT, "the dealer (a multi-dealer feed's DealerID)", NULL},
        {"vin", FIELD_VIN, "vehicle identification number", NULL},
        {"stock_no", FIELD_TEXT, "the dealer's stock number", NULL},
        {"system_code", FIELD_TEXT, "the DMS's category code ([type:] maps it)", NULL},
        {"vehicle_type", FIELD_TEXT, "vehicle type (from a [type:] mapping)", NULL},
        {"year", FIELD_YEAR, "year of manufacture", NULL},
        {"make", FIELD_TEXT, "manufacturer", NULL},
        {"model", FIELD_TEXT, "model", NULL},
        {"trim", FIELD_TEXT, "trim level", NULL},
        {"body", FIELD_TEXT, "body style", NULL},
        {"exterior_color", FIELD_TEXT, "exterior colour", NULL},
        {"interior_color", FIELD_TEXT, "interior colour", NULL},
        {"mileage", FIELD_MILEAGE, "odometer reading", NULL},
        {"mileage_unit", FIELD_UNIT, "unit of the mileage: km, mi or mil", NULL},
        {"price", FIELD_MONEY, "asking price", NULL},
        {"campaign_price", FIELD_MONEY, "campaign price", NULL},
        {"old_price", FIELD_MONEY, "price before a reduction", NULL},
        {"leasing_price", FIELD_MONEY, "monthly leasing price", NULL},
        {"currency", FIELD_TEXT, "ISO 4217 code of the amounts", NULL},
        {"fuel", FIELD_TEXT, "fuel type", NULL},
        {"transmission", FIELD_TEXT, "gearbox", NULL},
        {"registration_number", FIELD_TEXT, "licence plate", NULL},
        {"first_registration", FIELD_DATE, "date of first registration", NULL},
        {"model_year", FIELD_YEAR, "model year", NULL},
        {"short_description", FIELD_TEXT, "one-line description", NULL},
        {"description", FIELD_TEXT, "free text", NULL},
        {"images", FIELD_LIST, "image URLs", NULL},
        {"equipment", FIELD_LIST, "equipment items", NULL},
        {"documents", FIELD_LIST, "document URLs", NULL},
        {"vat_deductible", FIELD_TEXT, "whether VAT can be deducted", NULL},
        {"warranty", FIELD_TEXT, "warranty", NULL},
        {"service_plan", FIELD_TEXT, "service plan", NULL},
        {"exchange_right", FIELD_TEXT, "right of exchange", NULL},
        {"in_stock_date", FIELD_DATE, "date the vehicle came into stock", NULL},
        {"client", FIELD_TEXT, "client name (from a [client:] mapping)", NULL},
        {"condition", FIELD_ENUM, "new, used, certified or demo", "new|used|certified|demo"},
        {"availability", FIELD_ENUM, "in_stock, sold, pending or unavailable",
         "in_stock|sold|pending|unavailable"},
        {"msrp", FIELD_MONEY, "manufacturer's suggested retail price", NULL},
        {"dealer_name", FIELD_TEXT, "dealership name", NULL},
        {"dealer_address", FIELD_TEXT, "dealership street address", NULL},
        {"dealer_city", FIELD_TEXT, "dealership city", NULL},
        {"dealer_postcode", FIELD_TEXT, "dealership postal code", NULL},
        {"dealer_country", FIELD_TEXT, "dealership country (as the feed writes it)", NULL},
        {"latitude", FIELD_COORD, "dealership or vehicle latitude, decimal degrees", "90"},
        {"longitude", FIELD_COORD, "dealership or vehicle longitude, decimal degrees", "180"},
        {"vdp_url", FIELD_TEXT, "vehicle details page URL", NULL},
        {"title", FIELD_TEXT, "listing title", NULL},
        {"body_style", FIELD_TEXT, "body style as the marketplace names it", NULL},
        {"drivetrain", FIELD_TEXT, "driven wheels (FWD, RWD, AWD, 4WD ...)", NULL},
        {"engine", FIELD_TEXT, "engine description", NULL},
        {"power_kw", FIELD_INT, "engine power in kW", "kW"},
        {"doors", FIELD_INT, "number of doors", NULL},
        {"seats", FIELD_INT, "number of seats", NULL},
        {"co2", FIELD_INT, "CO2 emissions in g/km", "g/km"},
};

const size_t fields_count = ARRAY_SIZE(fields_table);

const struct field_def *
fields_find(const char *name)
{
	for (size_t i = 0; i < fields_count; i++)
		if (strcmp(fields_table[i].name, name) == 0)
			return &fields_table[i];
	return NULL;
}

bool
fields_is_extra(const char *name)
{
	return str_startswith(name, "extra.") && name[6] != '\0';
}

bool
fields_is_canonical(const char *name)
{
	return fields_is_extra(name) || fields_find(name) != NULL;
}

enum field_kind
fields_kind(const char *name)
{
	const struct field_def *f = fields_find(name);

	return f ? f->kind : FIELD_TEXT;
}

bool
fields_is_list(const char *name)
{
	return fields_kind(name) == FIELD_LIST;
}

const char *
fields_kind_name(enum field_kind k)
{
	static const char *const names[] = {"text", "money",   "mileage",   "unit",
	                                    "year", "date",    "vin",       "list",
	                                    "enum", "integer", "coordinate"};

	return (size_t)k < ARRAY_SIZE(names) ? names[k] : "?";
}

int
fields_enum_value(const struct field_def *f, const char *s, size_t n, char out[32])
{
	const char *v;
	size_t k = 0;

	if (!f || f->kind != FIELD_ENUM || n == 0 || n >= 32)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		out[k++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c == ' ' || c == '-' ? '_' : c;
	}
	out[k] = '\0';
	for (v = f->extra; v && *v;) {
		const char *bar = strchr(v, '|');
		size_t len = bar ? (size_t)(bar - v) : strlen(v);

		if (len == k && memcmp(v, out, k) == 0)
			return 0;
		v = bar ? bar + 1 : v + len;
	}
	return -1;
}
