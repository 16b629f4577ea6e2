/*
 * store_report.h - the read-only queries of `lotsync report` that no other
 * command needs (src/store_report.c): a feed's totals, and its newest
 * rejected rows, quarantined files and closed service requests.
 *
 * Tables that grow with history are streamed to a callback one row at a
 * time, newest first and capped by the caller's limit, so the report's
 * memory does not grow with the database. The strings a callback sees are
 * valid only during the call. Each returns 0, fn's non-zero value when it
 * stopped early, or -1 on a database error (logged with the database path).
 */
#ifndef LOTSYNC_STORE_REPORT_H
#define LOTSYNC_STORE_REPORT_H

#include "lotsync/profile.h"
#include "lotsync/store.h"
#include "lotsync/store_rules.h"

/* What a feed's history holds: headings and "newest N of M" notes. */
struct feed_totals {
	long long snapshots, applied, held, rejected, duplicate;
	long long rejected_rows; /* rows refused, over every snapshot */
	long long quarantined;   /* files recorded as moved to failed/ */
	long long srs_open, srs_closed;
};

int store_feed_totals(struct store *st, const char *feed, struct feed_totals *out);

/* Rejected rows of the feed: newest snapshot first, then in line order; at most limit. */
typedef int (*store_feed_reject_fn)(void *ctx, long long snapshot, const struct row_error *e);
int store_each_feed_reject(struct store *st, const char *feed, long long limit,
                           store_feed_reject_fn fn, void *ctx);

/* A quarantine record (SPEC §3 failed/<feed>/NAME with NAME.reason). */
struct quarantine_info {
	long long id;
	const char *feed, *file, *sha256, *reason, *at;
};

/* The feed's quarantined files, newest first, at most limit. */
typedef int (*store_quarantine_fn)(void *ctx, const struct quarantine_info *q);
int store_each_quarantine(struct store *st, const char *feed, long long limit,
                          store_quarantine_fn fn, void *ctx);

/* The feed's closed service requests, the most recently closed first, at most limit. */
typedef int (*store_sr_fn)(void *ctx, const struct sr_info *sr);
int store_each_sr_closed(struct store *st, const char *feed, long long limit, store_sr_fn fn,
                         void *ctx);

#endif
