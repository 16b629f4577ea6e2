/*
 * wo.h - work orders (feeds with kind = workorder): their canonical
 * fields, record keys, local date-times and the date-typo guard.
 * Pure functions: no allocation unless said, no I/O, no logging.
 *
 * A work order is a struct record keyed "<dms_number>/<wo_number>" with
 * the appointment and car fields below and its interventions as
 * "intervention.NNN.title|description|price" (NNN = 001, 002, ... in the
 * DMS's order, so the sorted fields keep that order). A person is a
 * record of its own, keyed "person:<id>", stored once per feed whatever
 * the number of work orders that name it (driver_id, owner_id,
 * contractor_id hold the ids).
 *
 * The date-typo guard (docs/workorders.md): an appointment before its
 * creation (by more than a day) or more than the horizon after it, while
 * the day/month-swapped reading is plausible, is a probable typo. The
 * record keeps the value as read and carries both readings.
 */
#ifndef LOTSYNC_WO_H
#define LOTSYNC_WO_H

#include <stdbool.h>
#include <stddef.h>

#define WO_PERSON_PREFIX "person:"
/* What an erased person's value reads as (lotsync erase-person, wo_erase.h). */
#define WO_ERASED "(erased)"
/* "intervention.NNN." */
#define WO_INTERVENTION_PREFIX "intervention."
#define WO_MAX_INTERVENTIONS   999

/* How a work-order field's value is read. */
enum wo_field_kind {
	WO_TEXT,    /* as read */
	WO_BOOL,    /* true | false (from 1/0, J/N, yes/no, true/false) */
	WO_WHEN,    /* date-time, local in the file, stored ISO 8601 UTC */
	WO_DATE,    /* a calendar date, YYYY-MM-DD */
	WO_MONEY,   /* integer minor units (hundredths) */
	WO_INTEGER, /* whole number (mileage) */
	WO_VIN      /* upper case */
};

enum wo_field_group { WO_APPOINTMENT, WO_CAR, WO_INTERVENTION, WO_PERSON };

struct wo_field {
	const char *name; /* as [fields] names it; interventions and persons without prefix */
	enum wo_field_group group;
	enum wo_field_kind kind;
};

extern const struct wo_field wo_fields[];
extern const size_t wo_nfields;

/* The field of that group and name, or NULL. */
const struct wo_field *wo_field_find(enum wo_field_group g, const char *name);

/* A person field's value is personal data (e-mail, phone, address): never logged. */
bool wo_field_personal(const char *name);

/*
 * What a person's field shows without --show-personal: the initials of a
 * name (first_name, last_name: "Jan" -> "J.", "de Vries" -> "d.V."), or
 * "(personal data)" for an address, e-mail or phone field; value itself
 * for anything else, and for an erased value (WO_ERASED). out holds at least WO_MASK_MAX bytes.
 */
#define WO_MASK_MAX 40
const char *wo_mask(const char *name, const char *value, char *out);

/* True for a person record's key. */
bool wo_key_is_person(const char *key);

/* "intervention.007.price" into out (at least 32 bytes); index is 1-based. */
void wo_intervention_field(char *out, size_t outsz, unsigned index, const char *part);

/* A local date-time as the file has it. */
struct wo_when {
	int y, mo, d, h, mi;
};

/* A compiled date format: DD, MM, YYYY, then optionally HH and MM (minutes). */
struct wo_date_format {
	char text[32];
	char parts[12]; /* 'Y' 'M' 'D' 'h' 'm' or 'L' (literal lit[i]) */
	char lit[12];
	size_t nparts;
};

/* Compile "DD-MM-YYYY HH:MM"; -1 when it is not a format of these parts. */
int wo_date_format_compile(const char *text, struct wo_date_format *out);

/*
 * Read s[0..n) by the format; a value may stop where the time part begins
 * (then 00:00). Returns NULL or a short reason.
 */
const char *wo_when_parse(const struct wo_date_format *f, const char *s, size_t n,
                          struct wo_when *out);

/* True for a real calendar date and time (leap years counted). */
bool wo_when_valid(const struct wo_when *w);

/* Minutes since 1970-01-01 00:00 of w, calendar arithmetic only (no zone). */
long long wo_when_minutes(const struct wo_when *w);

/* "YYYY-MM-DDTHH:MM" (no zone: the local reading) into out[17]. */
void wo_when_local_text(const struct wo_when *w, char out[17]);

enum wo_typo {
	WO_DATE_OK,          /* plausible as read */
	WO_DATE_TYPO,        /* implausible, the swapped reading is plausible */
	WO_DATE_IMPLAUSIBLE, /* implausible either way */
};

/*
 * Judge an appointment against its creation. horizon_days < 0 means no
 * upper bound. *swapped gets the day/month-swapped reading when there is
 * one (day <= 12 and day != month, a valid date), *has_swap says so;
 * *ambiguous is set when both readings are plausible.
 */
enum wo_typo wo_typo_check(const struct wo_when *appointment, const struct wo_when *created,
                           int horizon_days, struct wo_when *swapped, bool *has_swap,
                           bool *ambiguous);

#endif
