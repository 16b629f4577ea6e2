/* fields.c - the canonical field table (see fields.h). */
#include "lotsync/fields.h"

#include <string.h>

#include "lotsync/util.h"

const struct field_def fields_table[] = {
        {"dealer_id", FIELD_TEXT, "the dealer (a multi-dealer feed's DealerID)"},
        {"vin", FIELD_VIN, "vehicle identification number"},
        {"stock_no", FIELD_TEXT, "the dealer's stock number"},
        {"system_code", FIELD_TEXT, "the DMS's category code ([type:] maps it)"},
        {"vehicle_type", FIELD_TEXT, "vehicle type (from a [type:] mapping)"},
        {"year", FIELD_YEAR, "year of manufacture"},
        {"make", FIELD_TEXT, "manufacturer"},
        {"model", FIELD_TEXT, "model"},
        {"trim", FIELD_TEXT, "trim level"},
        {"body", FIELD_TEXT, "body style"},
        {"exterior_color", FIELD_TEXT, "exterior colour"},
        {"interior_color", FIELD_TEXT, "interior colour"},
        {"mileage", FIELD_MILEAGE, "odometer reading"},
        {"mileage_unit", FIELD_UNIT, "unit of the mileage: km, mi or mil"},
        {"price", FIELD_MONEY, "asking price"},
        {"campaign_price", FIELD_MONEY, "campaign price"},
        {"old_price", FIELD_MONEY, "price before a reduction"},
        {"leasing_price", FIELD_MONEY, "monthly leasing price"},
        {"currency", FIELD_TEXT, "ISO 4217 code of the amounts"},
        {"fuel", FIELD_TEXT, "fuel type"},
        {"transmission", FIELD_TEXT, "gearbox"},
        {"registration_number", FIELD_TEXT, "licence plate"},
        {"first_registration", FIELD_DATE, "date of first registration"},
        {"model_year", FIELD_YEAR, "model year"},
        {"short_description", FIELD_TEXT, "one-line description"},
        {"description", FIELD_TEXT, "free text"},
        {"images", FIELD_LIST, "image URLs"},
        {"equipment", FIELD_LIST, "equipment items"},
        {"documents", FIELD_LIST, "document URLs"},
        {"vat_deductible", FIELD_TEXT, "whether VAT can be deducted"},
        {"warranty", FIELD_TEXT, "warranty"},
        {"service_plan", FIELD_TEXT, "service plan"},
        {"exchange_right", FIELD_TEXT, "right of exchange"},
        {"in_stock_date", FIELD_DATE, "date the vehicle came into stock"},
        {"client", FIELD_TEXT, "client name (from a [client:] mapping)"},
        {"condition", FIELD_TEXT, "new, used, certified or demo"},
        {"msrp", FIELD_MONEY, "manufacturer's suggested retail price"},
        {"dealer_name", FIELD_TEXT, "dealership name"},
        {"dealer_address", FIELD_TEXT, "dealership address"},
        {"vdp_url", FIELD_TEXT, "vehicle details page URL"},
        {"body_style", FIELD_TEXT, "body style as the marketplace names it"},
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
	static const char *const names[] = {"text", "money", "mileage", "unit",
	                                    "year", "date",  "vin",     "list"};

	return (size_t)k < ARRAY_SIZE(names) ? names[k] : "?";
}
