/*
 * store_zdata.c - version JSON as zstd frames with a fixed dictionary.
 *
 * Why: a stored version is ~0.9 KB of JSON whose keys are the same
 * canonical names in every row; as TEXT the version rows were ~85% of a
 * database twice the size of the feed it holds. One frame per row keeps
 * every row readable alone (show, history, erase-person's rewrite), and a
 * raw-content dictionary of the names and common words of vehicle feeds
 * gives each small frame what it could not learn from itself: 2.25x on
 * genfeed's rows (0.92 KB to 0.41 KB).
 *
 * The dictionary is written out by hand, deterministic (no training on
 * anyone's data) and part of the storage format: never edit it (see
 * store_zdata.h). zstd copies its matches from the end closest to the
 * data most cheaply, so the field names come last.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createCDict_advanced: a raw-content dictionary */
#include "store_zdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lotsync/limits.h"

/* clang-format off */
static const char dict[] =
        /* words of vehicle feeds: makes, bodies, fuels, gearboxes, colours, trims, items */
        "Alfa Romeo Aston Martin Audi Bentley BMW Citroën Cupra Dacia Ferrari Fiat Ford "
        "Honda Hyundai Jaguar Jeep Kia Land Rover Lexus Maserati Mazda Mercedes-Benz Mini "
        "Mitsubishi Nissan Opel Peugeot Polestar Porsche Renault Seat Škoda Subaru Suzuki "
        "Tesla Toyota Volkswagen Volvo "
        "Saloon Sedan Hatchback Estate Wagon Coupe Convertible Cabriolet Roadster Minivan "
        "Pickup Crossover SUV Van "
        "Petrol Gasoline Diesel Electric Plug-in Hybrid Mild Hybrid LPG CNG Hydrogen "
        "Semi-automatic Automatic Manual "
        "Black White Silver Grey Gray Blue Red Green Yellow Orange Brown Beige Gold metallic "
        "pearl leather cloth fabric vinyl "
        "Air conditioning|Climate control|Cruise control|Adaptive cruise control|"
        "Navigation system|Parking sensors|Reversing camera|Rear view camera|Heated seats|"
        "Electric windows|Alloy wheels|Tow bar|Bluetooth|Apple CarPlay|Android Auto|"
        "Keyless entry|Sunroof|Panoramic roof|LED headlights|Lane assist|Head-up display|"
        "Leather seats|Heated steering wheel|"
        "Full service history. Warranty. Price incl. VAT "
        "EUR SEK NOK DKK GBP USD certified demo used new in_stock sold pending unavailable "
        "true false km mi mil .jpg|https:// .png|https:// .pdf|https:// https://www."
        /* work-order and person fields (wo.c) */
        "{\"apk_date\":\"\",\"appointment_at\":\"\",\"billed\":\"\",\"canceled\":\"\","
        "\"car_notes\":\"\",\"company\":\"\",\"contractor_id\":\"\",\"created_at\":\"\","
        "\"customer_waiting\":\"\",\"dms_number\":\"\",\"driver_id\":\"\",\"email_business\":"
        "\"\",\"email_private\":\"\",\"engine_number\":\"\",\"first_name\":\"\",\"house_number\":"
        "\"\",\"in_shop\":\"\",\"internal\":\"\",\"last_name\":\"\",\"mobile_business\":\"\","
        "\"mobile_private\":\"\",\"notes\":\"\",\"owner_id\":\"\",\"person_id\":\"\","
        "\"phone_business\":\"\",\"phone_private\":\"\",\"place\":\"\",\"postcode\":\"\","
        "\"scheduled_in_at\":\"\",\"scheduled_out_at\":\"\",\"street\":\"\",\"wo_number\":\"\","
        "\"intervention.001.title\":\"\",\"intervention.001.price\":\"\"}"
        /* the canonical vehicle fields (fields.c), sorted as a record's keys are */
        "{\"availability\":\"\",\"body\":\"\",\"body_style\":\"\",\"campaign_price\":\"\","
        "\"client\":\"\",\"condition\":\"\",\"currency\":\"\",\"dealer_address\":\"\","
        "\"dealer_city\":\"\",\"dealer_country\":\"\",\"dealer_id\":\"\",\"dealer_name\":\"\","
        "\"dealer_postcode\":\"\",\"description\":\"\",\"documents\":\"\",\"drivetrain\":\"\","
        "\"engine\":\"\",\"equipment\":\"\",\"exchange_right\":\"\",\"exterior_color\":\"\","
        "\"first_registration\":\"\",\"fuel\":\"\",\"images\":\"\",\"in_stock_date\":\"\","
        "\"interior_color\":\"\",\"latitude\":\"\",\"leasing_price\":\"\",\"longitude\":\"\","
        "\"make\":\"\",\"mileage\":\"\",\"mileage_unit\":\"km\",\"model\":\"\","
        "\"model_year\":\"\",\"msrp\":\"\",\"old_price\":\"\",\"power_kw\":\"\",\"price\":\"\","
        "\"registration_number\":\"\",\"service_plan\":\"\",\"short_description\":\"\","
        "\"stock_no\":\"\",\"system_code\":\"\",\"title\":\"\",\"transmission\":\"\","
        "\"trim\":\"\",\"vat_deductible\":\"\",\"vdp_url\":\"\",\"vehicle_type\":\"\","
        "\"vin\":\"\",\"warranty\":\"\",\"year\":\"\"}";
/* clang-format on */

/*
 * Level 3: on genfeed's rows (0.92 KB of JSON) 407 B a row against 419 B at
 * level 1, for ~10% more time compressing; level 4 stores 395 B for 70%
 * more, and no level makes decompression (~4.5 us a row here) cheaper.
 */
#define ZDATA_LEVEL 3

struct store_zdata {
	ZSTD_CCtx *c;
	ZSTD_DCtx *d;
	ZSTD_CDict *cdict;
	ZSTD_DDict *ddict;
	void *out;
	size_t cap;
};

struct store_zdata *
store_zdata_new(void)
{
	struct store_zdata *z = calloc(1, sizeof(*z));
	/* Parameters for rows of ~1 KB: small tables, cleared for each frame. */
	ZSTD_compressionParameters cp = ZSTD_getCParams(ZDATA_LEVEL, 1024, sizeof(dict) - 1);

	if (!z)
		return NULL;
	z->c = ZSTD_createCCtx();
	z->d = ZSTD_createDCtx();
	z->cdict = ZSTD_createCDict_advanced(dict, sizeof(dict) - 1, ZSTD_dlm_byRef,
	                                     ZSTD_dct_rawContent, cp, ZSTD_defaultCMem);
	z->ddict = ZSTD_createDDict_advanced(dict, sizeof(dict) - 1, ZSTD_dlm_byRef,
	                                     ZSTD_dct_rawContent, ZSTD_defaultCMem);
	/* No checksum: SQLite and verify's digests already cover the bytes. */
	if (!z->c || !z->d || !z->cdict || !z->ddict ||
	    ZSTD_isError(ZSTD_CCtx_refCDict(z->c, z->cdict)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_checksumFlag, 0)) ||
	    /* the dictionary's tables referenced, not copied for each row: 15% less time */
	    ZSTD_isError(
	            ZSTD_CCtx_setParameter(z->c, ZSTD_c_forceAttachDict, ZSTD_dictForceAttach)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_DCtx_refDDict(z->d, z->ddict))) {
		store_zdata_free(z);
		return NULL;
	}
	return z;
}

void
store_zdata_free(struct store_zdata *z)
{
	if (!z)
		return;
	ZSTD_freeCCtx(z->c);
	ZSTD_freeDCtx(z->d);
	ZSTD_freeCDict(z->cdict);
	ZSTD_freeDDict(z->ddict);
	free(z->out);
	free(z);
}

const void *
store_zdata_pack(struct store_zdata *z, const char *json, size_t n, size_t *len)
{
	size_t bound = ZSTD_compressBound(n), r;

	if (bound > z->cap) {
		void *p = realloc(z->out, bound);

		if (!p)
			return NULL;
		z->out = p;
		z->cap = bound;
	}
	r = ZSTD_compress2(z->c, z->out, z->cap, json, n);
	if (ZSTD_isError(r)) /* out of memory: the bound always fits */
		return NULL;
	*len = r;
	return z->out;
}

char *
store_zdata_unpack(struct store_zdata *z, const void *blob, size_t n, size_t *len, char *why,
                   size_t cap)
{
	unsigned long long size = ZSTD_getFrameContentSize(blob, n);
	char *out;
	size_t r;

	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
		snprintf(why, cap, "not a stored-JSON frame (%zu bytes)", n);
		return NULL;
	}
	/* The size comes from the file: a damaged one must not allocate without bound. */
	if (size > LS_MAX_STORED_JSON) {
		snprintf(why, cap, "a stored-JSON frame claims %llu bytes (at most %zu)", size,
		         LS_MAX_STORED_JSON);
		return NULL;
	}
	if (!(out = malloc((size_t)size + 1))) {
		snprintf(why, cap, "out of memory for a stored-JSON frame of %llu bytes", size);
		return NULL;
	}
	r = ZSTD_decompressDCtx(z->d, out, (size_t)size, blob, n);
	if (ZSTD_isError(r) || r != (size_t)size) {
		snprintf(why, cap, "a damaged stored-JSON frame: %s",
		         ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short content");
		free(out);
		return NULL;
	}
	out[r] = '\0';
	*len = r;
	return out;
}
