/*
 * rules.h - SPEC §6 dealer rules as pure functions: no I/O, no SQL, no clock.
 *
 * Input: the feed's service-request state (struct rules_state, loaded by the
 * store), the vehicles of one applied snapshot, the configuration and the
 * time to decide at. Output: decisions (struct rules_result), each an event
 * for the vehicle's history with the rule that decided and why. The state
 * is updated in place to what it is after the decisions: new SRs are
 * appended with id 0, changed SRs are marked dirty, so the store only has
 * to write back what changed and append the decisions as events.
 *
 * Determinism: vehicles are evaluated in key order and SRs in state order,
 * so the same state, vehicles (in any order), configuration and time give
 * the same decisions, byte for byte.
 *
 * Semantics beyond SPEC §6's text (so operators can predict them):
 *  - A feed with no [client:] mapping that applies to it (none with its
 *    feed, none without feed) does not use rules: its vehicles are not
 *    evaluated, no SR is created and nothing is reported. Open SRs it has
 *    (from an earlier configuration) still follow presence and auto_close.
 *  - Windows are half-open, N x 24 h from their start: auto_close closes at
 *    exactly N days; track_stock_client follows while the SR is less than
 *    N days old; ignore_days ignores while the earlier SR is less than N
 *    days old (ignore_days unset: any earlier SR, however old).
 *  - "Client" is the pair (dealer_id, [client:] name): a vehicle moving to
 *    another dealer is a client change even when both map to one name.
 *  - The auto-close clock starts at creation and restarts when a vehicle
 *    that was absent comes back; a vehicle present in the snapshot keeps its
 *    SR from closing whatever its mapping says now.
 *  - Standing decisions (ignored, not updated) are recorded when they first
 *    hold, when the vehicle (re)appears, or when their reason changes, not
 *    again for every file while they hold. Transitions (created, updated,
 *    clock restarted, close postponed, left open, closed) always are.
 *  - A VIN on two keys of one snapshot (key = stock): the smaller key
 *    decides, the other is ignored. A vehicle without VIN is ignored: SRs
 *    are kept per (feed, VIN).
 *
 * Ownership: state, results and decisions own every string in them; the
 * _release functions free them. Functions here cannot fail (x*alloc).
 */
#ifndef LOTSYNC_RULES_H
#define LOTSYNC_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lotsync/config.h"

enum rules_event {
	RULES_CREATED,         /* an SR was created */
	RULES_IGNORED,         /* no SR for this vehicle, and why */
	RULES_UPDATED,         /* stock_no / client followed (track_stock_client) */
	RULES_NOT_UPDATED,     /* a difference kept out of the SR, and why */
	RULES_CLOCK_RESTARTED, /* absent vehicle back: auto-close clock restarts */
	RULES_CLOSE_POSTPONED, /* vehicle absent, SR closes no earlier than … */
	RULES_LEFT_OPEN,       /* vehicle absent, auto_close = never */
	RULES_CLOSED,          /* auto_close closed the SR */
};

/* "created", "ignored", "updated", "not updated", "clock restarted", … */
const char *rules_event_name(enum rules_event e);

/* One service request. Times are UTC seconds. */
struct rules_sr {
	long long id; /* 0: created by this evaluation, not stored yet */
	char *feed, *vin, *key, *dealer_id, *client, *stock_no, *vehicle_type, *sr_type;
	bool open;
	time_t created_at;
	time_t clock_from;   /* auto-close clock start: creation or last reappearance */
	bool absent;         /* missing from the feed's newest applied snapshot … */
	time_t absent_since; /* … since then */
	time_t closed_at;    /* when !open */
	char *close_reason;  /* when !open */
	bool dirty;          /* changed by this evaluation: write it back */
};

/* The last decision recorded about a vehicle key of the feed (its rule). */
struct rules_last {
	char *key, *rule;
	size_t seq; /* order set: the newest of a key wins */
};

struct rules_state {
	struct rules_sr *srs; /* the feed's open SRs, and any SR of the VINs evaluated */
	size_t nsrs, alloc;
	struct rules_last *last; /* sorted by key (one per key) when last_sorted */
	size_t nlast, last_alloc, last_seq;
	bool last_sorted;
	/*
	 * A clock jump awaits an operator (guard.h): an auto_close = <N>d close
	 * that is due is not taken but counted in rules_result.held_closes
	 * (auto_close = immediately does not count days and still closes).
	 */
	bool hold_timed_closes;
};

void rules_state_init(struct rules_state *s);
void rules_state_release(struct rules_state *s);
/* Append a copy of sr (strings copied; NULLs kept); returns its index. */
size_t rules_state_add_sr(struct rules_state *s, const struct rules_sr *sr);
/* Remember the rule of the last decision about key (load order; last wins). */
void rules_state_set_last(struct rules_state *s, const char *key, const char *rule);

/* A vehicle of the snapshot: the fields the rules read. NULL = absent. */
struct rules_vehicle {
	char *key, *vin, *dealer_id, *stock_no, *system_code;
	char *client;  /* as the file says; informative: SRs take the [client:] name */
	bool appeared; /* not in the feed's previous applied snapshot */
};

#define RULES_NO_SR ((size_t)-1)

struct rules_decision {
	enum rules_event event;
	char *key;    /* the vehicle's key (for SR events: the key it was last seen on) */
	char *vin;    /* NULL for a vehicle without VIN */
	size_t sr;    /* index into state->srs, or RULES_NO_SR */
	char *rule;   /* what decided, stable while the decision stands */
	char *detail; /* why, for people: mappings, earlier SRs, days */
};

/* A dealer of the snapshot with no [client:] mapping (NULL: no dealer_id). */
struct rules_unmapped {
	char *dealer_id;
	size_t vehicles;
};

struct rules_result {
	struct rules_decision *d;
	size_t n, alloc;
	struct rules_unmapped *unmapped; /* in order of first vehicle */
	size_t nunmapped, unmapped_alloc;
	size_t held_closes; /* due closes not taken: state->hold_timed_closes */
};

void rules_result_init(struct rules_result *r);
void rules_result_release(struct rules_result *r);

/* True when a [client:] mapping applies to the feed: it uses rules. */
bool rules_active(const struct config *cfg, const struct feed_conf *feed);

/*
 * Apply one snapshot of feed: v[0..n) are all its vehicles (unique keys,
 * any order). Appends to out (initialised by the caller) and updates state.
 * state must hold the feed's open SRs and, for ignore_if_vin_exists, every
 * SR of the snapshot's VINs in any feed (rules_needs_history()).
 */
void rules_apply_snapshot(const struct config *cfg, const struct feed_conf *feed,
                          struct rules_state *state, const struct rules_vehicle *v, size_t n,
                          time_t now, struct rules_result *out);

/* True when some applicable [client:] mapping has ignore_if_vin_exists. */
bool rules_needs_history(const struct config *cfg, const struct feed_conf *feed);

/*
 * Close what auto_close says is due at now among the feed's open SRs whose
 * vehicle is absent from its newest applied snapshot (state->srs[i].absent).
 * Runs on every run, with or without a new file.
 */
void rules_auto_close(const struct feed_conf *feed, struct rules_state *state, time_t now,
                      struct rules_result *out);

#endif
