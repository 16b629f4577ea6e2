/*
 * store_wo.h - what the store says about a work-order feed (kind =
 * workorder; src/store_wo.c): its current work orders, the canceled ones,
 * and those flagged as a probable date typo. Work orders and persons are
 * versions like vehicles (kind 'workorder' and 'person'), so no table of
 * their own: these are read-only queries.
 *
 * Every function returns 0 or -1 on a database error (logged).
 */
#ifndef LOTSYNC_STORE_WO_H
#define LOTSYNC_STORE_WO_H

#include <stddef.h>

#include "lotsync/store.h"

struct store_wo_typo {
	char *key, *wo_number, *appointment_at, *swapped_at;
};

struct store_wo_counts {
	long long current;  /* current work orders (canceled ones included) */
	long long canceled; /* of which canceled */
	long long persons;  /* current persons */
	struct store_wo_typo
	        *typos; /* current work orders flagged, by key; at most STORE_WO_MAX_TYPOS */
	size_t ntypos;
	long long typos_total; /* all flagged, also past the cap */
};

#define STORE_WO_MAX_TYPOS 50

/* The current JSON of record key of feed (a person), or NULL when none or on error; caller frees.
 */
char *store_wo_person_json(struct store *st, const char *feed, const char *key);

/* Fill out for feed; release with store_wo_counts_release() whatever the return. */
int store_wo_counts(struct store *st, const char *feed, struct store_wo_counts *out);
void store_wo_counts_release(struct store_wo_counts *c);

#endif
