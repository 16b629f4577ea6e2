/*
 * store_ops.h - what operators' tooling reads and queues (src/store_ops.c):
 * the figures behind metrics_file, and the notification queue of
 * [notify:NAME] hooks (schema 8).
 *
 * Times are Unix seconds on the runs' clock (--now), 0 when there is none.
 * Every function returns 0 or -1 on a database error (logged).
 */
#ifndef LOTSYNC_STORE_OPS_H
#define LOTSYNC_STORE_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/notify_kind.h"
#include "lotsync/record.h"
#include "lotsync/store.h"

/* A feed's standing for metrics. */
struct feed_figures {
	long long last_applied;  /* received time of its newest applied snapshot */
	long long records;       /* current vehicles (or work orders) */
	long long held;          /* snapshots held now */
	long long quarantined;   /* files ever moved to failed/ */
	long long rejected_rows; /* rows ever refused */
};

/* A target's standing for metrics. */
struct target_figures {
	bool locked;
	long long pending;       /* export files waiting for delivery */
	long long last_delivery; /* time of its newest delivery */
};

int store_feed_figures(struct store *st, const char *feed, struct feed_figures *out);
int store_target_figures(struct store *st, const char *target, struct target_figures *out);
/* The clock of the newest recorded run (by id) that exited 0. */
int store_last_success(struct store *st, long long *at);

/* Times for status, ISO 8601 (caller frees; NULL when there is none). */
struct ops_times {
	char *last_run_at, *last_run_command; /* the newest finished run */
	int last_run_exit;
	char *last_file_at;    /* feed: newest snapshot received, any state */
	char *last_applied_at; /* feed: newest applied snapshot */
	char *last_export_at;  /* target: newest export rendered */
};
int store_last_run(struct store *st, struct ops_times *out);
int store_feed_times(struct store *st, const char *feed, struct ops_times *out);
int store_target_times(struct store *st, const char *target, struct ops_times *out);
void ops_times_release(struct ops_times *t);

/* Notification events (schema 8). */
/* One event found in the history since the last collection. */
struct notify_event {
	enum notify_kind kind;
	char *at;      /* ISO 8601 */
	char *payload; /* the JSON body hooks receive */
};

/*
 * Every event recorded since the previous call (snapshots held, files
 * quarantined, target locks and unlocks, failed deliveries, and with
 * want_vehicles the vehicles that appeared, changed listing state or
 * vanished), in the order they happened, and move the cursors past them.
 * Call inside a transaction together with store_notify_enqueue(), so an
 * event is queued exactly once. Caller frees with notify_events_free().
 */
int store_notify_collect(struct store *st, bool want_vehicles, struct notify_event **out,
                         size_t *n);
void notify_events_free(struct notify_event *v, size_t n);

/* Queue one event for the hook named notify. */
int store_notify_enqueue(struct store *st, const char *notify, const struct notify_event *e);

/* A queued, undelivered notification. */
struct notify_item {
	long long id;
	char *event, *at, *payload;
	long long attempts;
};

/* The hook's undelivered notifications, oldest first. Caller frees with notify_items_free(). */
int store_notify_pending(struct store *st, const char *notify, struct notify_item **out, size_t *n);
void notify_items_free(struct notify_item *v, size_t n);
int store_notify_delivered(struct store *st, long long id, const char *at);
int store_notify_failed(struct store *st, long long id, const char *error);
/*
 * Drop notifications of the hook created before `before` (ISO 8601):
 * delivered ones, and undelivered ones that are too old to matter; *dropped
 * counts the undelivered ones.
 */
int store_notify_prune(struct store *st, const char *notify, const char *before,
                       long long *dropped);

/* One stored version of a vehicle, for history (strings valid during the call). */
struct version_view {
	const char *feed, *key, *vin;
	long long snapshot; /* the snapshot that wrote it */
	const char *at, *file;
	long long end_snapshot; /* the first snapshot it is absent from, 0 = current */
	const char *end_at, *end_file;
	bool succeeded;            /* a newer version follows (changed, not vanished) */
	const struct record *r;    /* its fields */
	const struct record *prev; /* the version before it, or NULL when it appeared */
};

/*
 * Every version of the vehicles match names (a VIN, a key, a stock number,
 * or dealer/stock), of every feed or of feed when not NULL, oldest first per
 * (feed, key). Stops when fn returns non-zero and returns that value.
 */
typedef int (*store_version_fn)(void *ctx, const struct version_view *v);
int store_each_version(struct store *st, const char *match, const char *feed, store_version_fn fn,
                       void *ctx);

#endif
