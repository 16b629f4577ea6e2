/* store_rules.c - service requests and rule events (schema version 5). */
#include "lotsync/store_rules.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/clock.h"
#include "lotsync/log.h"
#include "lotsync/util.h"
#include "store_p.h"

/*
 * Version 5. An SR row changes while it is open (clock, absence, followed
 * stock_no/client) and is frozen once closed; its history is sr_events,
 * which only ever grows. The lead renumbers at merge if 5 is taken.
 */
const char schema_v5_rules[] =
        "CREATE TABLE srs(id INTEGER PRIMARY KEY, feed TEXT NOT NULL, vin TEXT NOT NULL,"
        " key TEXT NOT NULL, dealer_id TEXT, client TEXT NOT NULL, stock_no TEXT,"
        " vehicle_type TEXT, sr_type TEXT,"
        " status TEXT NOT NULL CHECK(status IN ('open','closed')),"
        " created_at TEXT NOT NULL, clock_from TEXT NOT NULL, absent_since TEXT,"
        " closed_at TEXT, close_reason TEXT,"
        " CHECK((status = 'open') = (closed_at IS NULL)));"
        "CREATE UNIQUE INDEX srs_open ON srs(feed, vin) WHERE status = 'open';"
        "CREATE INDEX srs_vin ON srs(vin);"
        "CREATE INDEX srs_feed ON srs(feed, status);"
        "CREATE TRIGGER srs_closed_frozen BEFORE UPDATE ON srs WHEN OLD.status = 'closed'"
        " BEGIN SELECT RAISE(ABORT, 'a closed service request cannot change'); END;"
        "CREATE TRIGGER srs_no_delete BEFORE DELETE ON srs"
        " BEGIN SELECT RAISE(ABORT, 'service requests are never deleted'); END;"
        "CREATE TABLE sr_events(id INTEGER PRIMARY KEY, feed TEXT NOT NULL, vin TEXT, key TEXT,"
        " sr_id INTEGER REFERENCES srs(id), snapshot_id INTEGER REFERENCES snapshots(id),"
        " run_id INTEGER, at TEXT NOT NULL, event TEXT NOT NULL, rule TEXT NOT NULL,"
        " detail TEXT NOT NULL);"
        "CREATE INDEX sr_events_vin ON sr_events(vin);"
        "CREATE INDEX sr_events_key ON sr_events(feed, key, id);"
        "CREATE TRIGGER sr_events_no_update BEFORE UPDATE ON sr_events"
        " BEGIN SELECT RAISE(ABORT, 'sr_events is append-only'); END;"
        "CREATE TRIGGER sr_events_no_delete BEFORE DELETE ON sr_events"
        " BEGIN SELECT RAISE(ABORT, 'sr_events is append-only'); END;"
        "CREATE VIEW v_srs AS SELECT id, feed, vin, dealer_id, client, stock_no, vehicle_type,"
        " sr_type, status, created_at, closed_at, close_reason, clock_from, absent_since"
        " FROM srs;"
        "CREATE VIEW v_sr_events AS SELECT id, at, feed, vin, key, sr_id, snapshot_id, run_id,"
        " event, rule, detail FROM sr_events;";

#define SR_COLS                                                                                    \
	"id, feed, vin, key, dealer_id, client, stock_no, vehicle_type, sr_type, status,"          \
	" created_at, clock_from, absent_since, closed_at, close_reason"

/* An ISO time column into *t; NULL leaves it 0 and *set false. */
static int
col_time(struct store *st, sqlite3_stmt *s, int i, time_t *t, bool *set)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	*t = 0;
	if (set)
		*set = v != NULL;
	if (v && clock_parse(v, t) == -1)
		return log_error("%s: service request %lld: bad time '%s'", st->path,
		                 sqlite3_column_int64(s, 0), v);
	return 0;
}

static int
read_sr(struct store *st, sqlite3_stmt *s, struct rules_state *state)
{
	struct rules_sr sr = {
	        .id = sqlite3_column_int64(s, 0),
	        .feed = (char *)sqlite3_column_text(s, 1),
	        .vin = (char *)sqlite3_column_text(s, 2),
	        .key = (char *)sqlite3_column_text(s, 3),
	        .dealer_id = (char *)sqlite3_column_text(s, 4),
	        .client = (char *)sqlite3_column_text(s, 5),
	        .stock_no = (char *)sqlite3_column_text(s, 6),
	        .vehicle_type = (char *)sqlite3_column_text(s, 7),
	        .sr_type = (char *)sqlite3_column_text(s, 8),
	        .close_reason = (char *)sqlite3_column_text(s, 14),
	};
	const char *status = (const char *)sqlite3_column_text(s, 9);

	sr.open = status && strcmp(status, "open") == 0;
	if (col_time(st, s, 10, &sr.created_at, NULL) == -1 ||
	    col_time(st, s, 11, &sr.clock_from, NULL) == -1 ||
	    col_time(st, s, 12, &sr.absent_since, &sr.absent) == -1 ||
	    col_time(st, s, 13, &sr.closed_at, NULL) == -1)
		return -1;
	rules_state_add_sr(state, &sr);
	return 0;
}

/* The latest event of each vehicle key of the feed: what standing decisions compare to. */
static int
load_last(struct store *st, const char *feed, struct rules_state *state)
{
	static const char sql[] =
	        "SELECT e.key, e.rule FROM sr_events e JOIN (SELECT max(id) AS id FROM sr_events"
	        " WHERE feed = ? AND key IS NOT NULL GROUP BY key) m ON e.id = m.id ORDER BY e.id";
	sqlite3_stmt *s = store_prep(st, sql);
	int rc;

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		rules_state_set_last(state, (const char *)sqlite3_column_text(s, 0),
		                     (const char *)sqlite3_column_text(s, 1));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "load last rule decisions");
	return 0;
}

int
store_sr_load(struct store *st, const char *feed, unsigned what, struct rules_state *state)
{
	static const char sql[] =
	        "SELECT " SR_COLS
	        " FROM srs WHERE (feed = ?1 AND status = 'open') OR (?2 AND vin IN"
	        " (SELECT v.vin FROM cur c JOIN version_rows v ON v.id = c.version_id"
	        " WHERE c.feed = ?1 AND v.vin IS NOT NULL))"
	        " ORDER BY id";
	sqlite3_stmt *s = store_prep(st, sql);
	int rc, ret = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	sqlite3_bind_int(s, 2, (what & SR_LOAD_VIN_HISTORY) != 0);
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = read_sr(st, s, state);
	sqlite3_reset(s);
	if (ret == 0 && rc != SQLITE_DONE)
		return store_db_error(st, "load service requests");
	if (ret == 0 && (what & SR_LOAD_LAST))
		ret = load_last(st, feed, state);
	return ret;
}

static void
bind_time(sqlite3_stmt *s, int i, time_t t, bool set)
{
	char buf[CLOCK_ISO_LEN];

	if (set)
		sqlite3_bind_text(s, i, clock_format(t, buf), -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static int
insert_sr(struct store *st, struct rules_sr *sr)
{
	sqlite3_stmt *s = store_prep(
	        st, "INSERT INTO srs(feed, vin, key, dealer_id, client, stock_no, vehicle_type,"
	            " sr_type, status, created_at, clock_from, absent_since, closed_at,"
	            " close_reason) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");

	if (!s)
		return -1;
	store_bind_text(s, 1, sr->feed);
	store_bind_text(s, 2, sr->vin);
	store_bind_text(s, 3, sr->key);
	store_bind_text(s, 4, sr->dealer_id);
	store_bind_text(s, 5, sr->client);
	store_bind_text(s, 6, sr->stock_no);
	store_bind_text(s, 7, sr->vehicle_type);
	store_bind_text(s, 8, sr->sr_type);
	store_bind_text(s, 9, sr->open ? "open" : "closed");
	bind_time(s, 10, sr->created_at, true);
	bind_time(s, 11, sr->clock_from, true);
	bind_time(s, 12, sr->absent_since, sr->absent);
	bind_time(s, 13, sr->closed_at, !sr->open);
	store_bind_text(s, 14, sr->close_reason);
	sr->id = store_insert(st, s, "create service request");
	return sr->id < 0 ? -1 : 0;
}

static int
update_sr(struct store *st, const struct rules_sr *sr)
{
	sqlite3_stmt *s = store_prep(
	        st,
	        "UPDATE srs SET dealer_id = ?, client = ?, stock_no = ?, status = ?,"
	        " clock_from = ?, absent_since = ?, closed_at = ?, close_reason = ? WHERE id = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, sr->dealer_id);
	store_bind_text(s, 2, sr->client);
	store_bind_text(s, 3, sr->stock_no);
	store_bind_text(s, 4, sr->open ? "open" : "closed");
	bind_time(s, 5, sr->clock_from, true);
	bind_time(s, 6, sr->absent_since, sr->absent);
	bind_time(s, 7, sr->closed_at, !sr->open);
	store_bind_text(s, 8, sr->close_reason);
	sqlite3_bind_int64(s, 9, sr->id);
	return store_done(st, s, "update service request");
}

static int
insert_event(struct store *st, const char *feed, const struct rules_state *state,
             const struct rules_decision *d, long long snapshot, long long run, const char *at)
{
	sqlite3_stmt *s = store_prep(st, "INSERT INTO sr_events(feed, vin, key, sr_id, snapshot_id,"
	                                 " run_id, at, event, rule, detail)"
	                                 " VALUES(?,?,?,?,?,?,?,?,?,?)");

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, d->vin);
	store_bind_text(s, 3, d->key);
	if (d->sr != RULES_NO_SR)
		sqlite3_bind_int64(s, 4, state->srs[d->sr].id);
	else
		sqlite3_bind_null(s, 4);
	if (snapshot > 0)
		sqlite3_bind_int64(s, 5, snapshot);
	else
		sqlite3_bind_null(s, 5);
	if (run > 0)
		sqlite3_bind_int64(s, 6, run);
	else
		sqlite3_bind_null(s, 6);
	store_bind_text(s, 7, at);
	store_bind_text(s, 8, rules_event_name(d->event));
	store_bind_text(s, 9, d->rule);
	store_bind_text(s, 10, d->detail);
	return store_insert(st, s, "record rule decision") < 0 ? -1 : 0;
}

int
store_sr_save(struct store *st, const char *feed, struct rules_state *state,
              const struct rules_result *res, long long snapshot, long long run, const char *at)
{
	for (size_t i = 0; i < state->nsrs; i++) {
		struct rules_sr *sr = &state->srs[i];

		if (sr->id == 0 ? insert_sr(st, sr) == -1 : sr->dirty && update_sr(st, sr) == -1)
			return -1;
		sr->dirty = false;
	}
	for (size_t i = 0; i < res->n; i++)
		if (insert_event(st, feed, state, &res->d[i], snapshot, run, at) == -1)
			return -1;
	return 0;
}

int
store_sr_list(struct store *st, const char *feed, const char *status, struct sr_info **out,
              size_t *n)
{
	static const char sql[] =
	        "SELECT id, feed, vin, dealer_id, client, stock_no, vehicle_type, sr_type, status,"
	        " created_at, closed_at, close_reason FROM srs"
	        " WHERE (?1 IS NULL OR feed = ?1) AND (?2 IS NULL OR status = ?2) ORDER BY id";
	sqlite3_stmt *s = store_prep(st, sql);
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, status);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = xgrow(*out, &alloc, *n + 1, sizeof(**out));
		(*out)[(*n)++] = (struct sr_info){
		        .id = sqlite3_column_int64(s, 0),
		        .feed = store_col_text(s, 1),
		        .vin = store_col_text(s, 2),
		        .dealer_id = store_col_text(s, 3),
		        .client = store_col_text(s, 4),
		        .stock_no = store_col_text(s, 5),
		        .vehicle_type = store_col_text(s, 6),
		        .sr_type = store_col_text(s, 7),
		        .status = store_col_text(s, 8),
		        .created_at = store_col_text(s, 9),
		        .closed_at = store_col_text(s, 10),
		        .close_reason = store_col_text(s, 11),
		};
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "list service requests");
	return 0;
}

void
sr_list_free(struct sr_info *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sr_info *r = &list[i];

		free(r->feed);
		free(r->vin);
		free(r->dealer_id);
		free(r->client);
		free(r->stock_no);
		free(r->vehicle_type);
		free(r->sr_type);
		free(r->status);
		free(r->created_at);
		free(r->closed_at);
		free(r->close_reason);
	}
	free(list);
}

long long
store_sr_count_open(struct store *st)
{
	return store_sr_count_open_feed(st, NULL);
}

long long
store_sr_count_open_feed(struct store *st, const char *feed)
{
	sqlite3_stmt *s = store_prep(st, "SELECT count(*) FROM srs WHERE status = 'open'"
	                                 " AND (?1 IS NULL OR feed = ?1)");
	long long n = -1;

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		store_db_error(st, "count open service requests");
	sqlite3_reset(s);
	return n;
}

/* Rule decisions about a VIN, appended to a history list, oldest first. */
int
store_sr_history(struct store *st, const char *vin, struct history_event **out, size_t *n,
                 size_t *alloc)
{
	static const char sql[] = "SELECT at, COALESCE(snapshot_id, 0), event, feed, key, sr_id,"
	                          " detail FROM sr_events WHERE vin = ? ORDER BY at, id";
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare rule history");
	store_bind_text(s, 1, vin);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct history_event *h;
		char *sr = sqlite3_column_type(s, 5) == SQLITE_NULL
		                   ? xstrdup("")
		                   : xasprintf(", SR %lld", sqlite3_column_int64(s, 5));

		*out = xgrow(*out, alloc, *n + 1, sizeof(**out));
		h = &(*out)[(*n)++];
		h->at = store_col_text(s, 0);
		h->snapshot = sqlite3_column_int64(s, 1);
		h->event = store_col_text(s, 2);
		h->detail =
		        xasprintf("feed %s, key %s%s: %s", (const char *)sqlite3_column_text(s, 3),
		                  (const char *)sqlite3_column_text(s, 4), sr,
		                  (const char *)sqlite3_column_text(s, 6));
		free(sr);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "read rule history");
	return 0;
}
