/*
 * store_rules.h - service requests and rule events in the SQLite store
 * (src/store_rules.c; schema version 5: tables srs and sr_events, views
 * v_srs and v_sr_events).
 *
 * srs holds one row per service request; at most one open SR per (feed,
 * VIN) (a unique index says so) and a closed SR can no longer change (a
 * trigger refuses it). sr_events is append-only (triggers refuse UPDATE and
 * DELETE): every rule decision, with the snapshot it was taken on, the run,
 * the time (the clock, --now), the rule that decided and why.
 *
 * Callers hold a transaction (store_begin) around load and save, so what
 * the rules saw is what they change. Errors are logged with the database
 * path and SQLite's message; functions return -1.
 */
#ifndef LOTSYNC_STORE_RULES_H
#define LOTSYNC_STORE_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/rules.h"
#include "lotsync/store.h"

/* What store_sr_load() reads besides the feed's open SRs. */
enum store_sr_load {
	SR_LOAD_OPEN = 0,        /* the feed's open SRs only */
	SR_LOAD_LAST = 1,        /* the last decision about each vehicle key of the feed */
	SR_LOAD_VIN_HISTORY = 2, /* every SR, any feed and state, of the feed's current VINs */
};

/*
 * Load into state (initialised by the caller) the feed's open SRs and what
 * `what` (SR_LOAD_* or'ed) asks for. SR_LOAD_VIN_HISTORY is what
 * ignore_if_vin_exists looks at; it reads the VINs of the feed's current
 * versions, so call it after the snapshot's versions are stored.
 */
int store_sr_load(struct store *st, const char *feed, unsigned what, struct rules_state *state);

/*
 * Write back what an evaluation changed: insert the SRs with id 0 (their
 * ids are set in state), update the dirty ones, then append every decision
 * of res as an event of feed at snapshot (the applied snapshot, or for
 * auto-close the feed's newest), run and at (ISO 8601). Dirty flags clear.
 */
int store_sr_save(struct store *st, const char *feed, struct rules_state *state,
                  const struct rules_result *res, long long snapshot, long long run,
                  const char *at);

/* One SR as SPEC §5's srs JSON has it. Strings NULL when absent. */
struct sr_info {
	long long id;
	char *feed, *vin, *dealer_id, *client, *stock_no, *vehicle_type, *sr_type;
	char *status; /* open | closed */
	char *created_at, *closed_at, *close_reason;
};

/* SRs, oldest first; feed and status (open | closed) filter when not NULL. Caller frees. */
int store_sr_list(struct store *st, const char *feed, const char *status, struct sr_info **out,
                  size_t *n);
void sr_list_free(struct sr_info *list, size_t n);
/* Number of open SRs, of every feed. */
long long store_sr_count_open(struct store *st);
/* Open SRs of one feed (all feeds when feed is NULL), or -1. */
long long store_sr_count_open_feed(struct store *st, const char *feed);

#endif
