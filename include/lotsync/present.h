/*
 * present.h - values as people read them (diff, show, history, status):
 * amounts in minor units become "31,998.00 USD", a vehicle is named by its
 * stock number, year, make and model next to its key. Pure functions over
 * canonical records; machine output (--json) keeps the stored values.
 */
#ifndef LOTSYNC_PRESENT_H
#define LOTSYNC_PRESENT_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/record.h"

#define PRESENT_MAX    160
#define PRESENT_NAMING 4 /* fields a vehicle is named by: present_naming[] */

/* True for the canonical fields that hold amounts in minor units. */
bool present_is_money(const char *field);
/* The same for the n bytes at field (not NUL-terminated). */
bool present_is_money_n(const char *field, size_t n);

/*
 * An amount in minor units ("3199800", "-150") as "31,998.00" plus " " and
 * currency when it is not NULL or empty. A value that is not an integer is
 * copied as it is. out holds at least PRESENT_MAX bytes.
 */
void present_money(const char *minor, const char *currency, char *out);

/*
 * field's value as a person reads it: amounts formatted (with currency,
 * when not NULL), anything else as stored; "(absent)" for NULL. Returns out
 * (PRESENT_MAX bytes) for an amount, else value itself.
 */
const char *present_value(const char *field, const char *value, const char *currency, char *out);

/*
 * "stock 25692E, 2026 Volkswagen ID.4" from the record's stock_no, year,
 * make and model (whichever it has; empty when none). out: PRESENT_MAX.
 */
void present_vehicle(const struct record *r, char *out);
/* The fields present_vehicle() reads, for a caller that decodes only those. */
extern const char *const present_naming[PRESENT_NAMING];

#endif
