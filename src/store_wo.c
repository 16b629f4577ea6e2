/* store_wo.c - read-only figures of work-order feeds (see store_wo.h). */
#include "lotsync/store_wo.h"

#include <stdlib.h>
#include <string.h>

#include "lotsync/util.h"
#include "store_p.h"

int
store_wo_counts(struct store *st, const char *feed, struct store_wo_counts *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	s = store_prep(st, "SELECT count(*) FILTER (WHERE kind = 'workorder'),"
	                   " count(*) FILTER (WHERE kind = 'workorder'"
	                   "  AND json_extract(lotsync_json(data), '$.canceled') = 'true'),"
	                   " count(*) FILTER (WHERE kind = 'person'),"
	                   " count(*) FILTER (WHERE kind = 'workorder'"
	                   "  AND json_extract(lotsync_json(data), '$.date_typo') IS NOT NULL)"
	                   " FROM cur c JOIN version_rows v ON v.id = c.version_id"
	                   " WHERE c.feed = ?1");
	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, "count work orders");
	}
	out->current = sqlite3_column_int64(s, 0);
	out->canceled = sqlite3_column_int64(s, 1);
	out->persons = sqlite3_column_int64(s, 2);
	out->typos_total = sqlite3_column_int64(s, 3);
	sqlite3_reset(s);
	if (!out->typos_total)
		return 0;
	s = store_prep(
	        st,
	        "SELECT key, j ->> '$.wo_number', j ->> '$.appointment_at',"
	        " j ->> '$.appointment_swapped_at' FROM (SELECT v.key, lotsync_json(v.data) AS j"
	        " FROM cur c JOIN version_rows v ON v.id = c.version_id WHERE c.feed = ?1"
	        " AND v.kind = 'workorder') WHERE j ->> '$.date_typo' IS NOT NULL"
	        " ORDER BY key LIMIT ?2");
	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	sqlite3_bind_int(s, 2, STORE_WO_MAX_TYPOS);
	out->typos = xcalloc(STORE_WO_MAX_TYPOS, sizeof(*out->typos));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && out->ntypos < STORE_WO_MAX_TYPOS)
		out->typos[out->ntypos++] =
		        (struct store_wo_typo){store_col_text(s, 0), store_col_text(s, 1),
		                               store_col_text(s, 2), store_col_text(s, 3)};
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : store_db_error(st, "list date typos");
}

void
store_wo_counts_release(struct store_wo_counts *c)
{
	for (size_t i = 0; i < c->ntypos; i++) {
		free(c->typos[i].key);
		free(c->typos[i].wo_number);
		free(c->typos[i].appointment_at);
		free(c->typos[i].swapped_at);
	}
	free(c->typos);
	memset(c, 0, sizeof(*c));
}

char *
store_wo_person_json(struct store *st, const char *feed, const char *key)
{
	sqlite3_stmt *s = store_prep(
	        st, "SELECT lotsync_json(data) FROM versions WHERE feed = ?1 AND key = ?2"
	            " AND to_seq IS NULL ORDER BY id DESC LIMIT 1");
	char *json = NULL;
	int rc;

	if (!s)
		return NULL;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, key);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json = store_col_text(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_db_error(st, "read a person");
	return json;
}
