/*
 * view.h - what awaits an operator, as one model read from the store (and,
 * on request, the spool): `status`, `status --json` and the HTML report
 * render this one struct, so they cannot disagree about what is held,
 * locked, queued or failed.
 *
 * Per feed: the newest applied snapshot's id and vehicles, the held
 * snapshots (oldest first, each read back), and with VIEW_SPOOL the files
 * waiting in incoming/, quarantined in failed/ and refused by the incoming
 * scan (which names each refused entry on stderr). Per target: its status
 * (queue length, last delivery, last unresolved error), its lock and
 * baseline, its newest export (vehicles awaiting release) and its pending
 * queue, oldest first. Then the open service requests and the audit chain
 * head.
 *
 * Reading never stops at a failed query: each one is logged where it
 * fails, counted in errors, and leaves its part zero (a held snapshot that
 * could not be read keeps its id with a zeroed snapshot_info), so status
 * shows what it can. Only the chain head is fatal (view_load() returns -1:
 * without it there is nothing to compare). A report must not show a
 * partial view: it refuses one with errors > 0. Caller releases the view
 * with view_release() in every case.
 */
#ifndef LOTSYNC_VIEW_H
#define LOTSYNC_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/config.h"
#include "lotsync/fsio.h"
#include "lotsync/spool.h"
#include "lotsync/store.h"
#include "lotsync/store_ops.h"
#include "lotsync/store_wo.h"

/* A file in failed/<feed>/ and the "reason:" line of its NAME.reason. */
struct view_failed {
	char *file, *reason;
};

struct view_feed {
	const struct feed_conf *conf;
	long long last_snapshot;    /* id of the newest applied snapshot; 0 = none */
	long long vehicles;         /* its vehicles (work orders: current ones) */
	struct store_wo_counts wo;  /* kind = workorder: canceled, persons, date typos */
	long long *held_ids;        /* held snapshots, oldest first */
	struct snapshot_info *held; /* held[i] read back; id 0 when it could not be */
	size_t nheld;
	/* With VIEW_SPOOL only: */
	long long incoming; /* entries waiting in incoming/<feed>/ (no markers, no hidden) */
	long long failed;   /* quarantined files in failed/<feed>/ (no .reason files) */
	long long work;     /* claimed files in work/<feed>/ a stopped run left for the next */
	unsigned refused;   /* entries the incoming scan refused (named on stderr) */
	struct view_failed *failed_files; /* each quarantined file, by name */
	size_t nfailed_files;
	struct ops_times times; /* last_file_at, last_applied_at */
	long long held_closes;  /* with a clock jump pending: SRs auto_close would close now */
};

struct view_target {
	const struct target_conf *conf;
	struct target_status st;
	struct target_info ti;     /* ti.baseline -1 = nothing delivered yet */
	struct export_info last;   /* newest export: last.held vehicles await release */
	struct export_info *queue; /* pending exports, oldest first */
	size_t nqueue;
	struct ops_times times; /* last_export_at */
};

struct view {
	struct view_feed *feeds; /* in configuration order */
	size_t nfeeds;
	struct view_target *targets; /* in configuration order */
	size_t ntargets;
	long long open_srs;
	bool jump_pending;      /* a clock jump awaits 'lotsync accept-clock-jump' */
	struct clock_jump jump; /* the oldest such jump */
	long long erasure;      /* an unfinished erase-person (its id), or 0 */
	char *erasure_feed, *erasure_person;
	struct ops_times last_run;        /* the newest finished run, if any */
	char chain_head[FSIO_SHA256_HEX]; /* 64 zeros while the chain is empty */
	int errors;                       /* failed queries (logged) */
};

enum view_flags {
	VIEW_SPOOL = 1, /* also count incoming/, failed/ and refused entries */
};

/*
 * Read the view of cfg's feeds and targets from st (NULL = no database
 * yet: everything empty) and, with VIEW_SPOOL, from sp. only_feed, when
 * not NULL, keeps that feed and the targets that take it. Returns 0, or -1
 * when the chain head could not be read (logged). Caller releases v.
 */
int view_load(struct view *v, const struct config *cfg, const struct spool *sp, struct store *st,
              int flags, const char *only_feed);
void view_release(struct view *v);

/*
 * Something awaits an operator: a held snapshot, a locked target, a clock
 * jump or an unfinished erasure.
 */
bool view_awaits_operator(const struct view *v);

#endif
