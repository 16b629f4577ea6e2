/*
 * store_erase.c - the erasure of a person (`lotsync erase-person`): its
 * journal (erasures, erasure_files, erasure_versions), the one rewrite of
 * versions the append-only triggers allow, the audit chain event and
 * verify's view of rewritten files.
 *
 * An erasure is planned first (state pending: the files to rewrite with
 * their old and new SHA-256), the files are rewritten, then one
 * transaction rewrites the versions, re-seals the snapshots whose content
 * digest changed, appends the "erase" chain entry and marks it done. A
 * crash leaves a pending erasure that the next erase-person finishes and
 * verify names.
 */
#include "lotsync/store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/util.h"
#include "store_p.h"

/*
 * Version 11. The versions trigger keeps "versions can only be ended" and
 * adds one exception: the data and hash of a version listed by a pending
 * erasure (everything else unchanged). Journal rows are append-only; an
 * erasure only goes from pending to done, once, with its chain entry.
 */
const char store_schema_erase[] =
        "CREATE TABLE erasures(id INTEGER PRIMARY KEY, feed TEXT NOT NULL,"
        " person TEXT NOT NULL, state TEXT NOT NULL CHECK(state IN ('pending','done')),"
        " at TEXT NOT NULL, by TEXT, last_snapshot INTEGER NOT NULL, chain_id INTEGER);"
        "CREATE TABLE erasure_files(erasure_id INTEGER NOT NULL REFERENCES erasures(id),"
        " place TEXT NOT NULL CHECK(place IN ('archive','failed','outbox','sent')),"
        " owner TEXT NOT NULL, name TEXT NOT NULL, old_sha256 TEXT NOT NULL,"
        " new_sha256 TEXT NOT NULL);"
        "CREATE INDEX erasure_files_name ON erasure_files(owner, name);"
        "CREATE TABLE erasure_versions(erasure_id INTEGER NOT NULL REFERENCES erasures(id),"
        " version_id INTEGER NOT NULL, snapshot_id INTEGER NOT NULL);"
        "CREATE INDEX erasure_versions_version ON erasure_versions(version_id);"
        "CREATE TRIGGER erasures_u BEFORE UPDATE ON erasures WHEN NOT"
        " (OLD.state = 'pending' AND NEW.state = 'done' AND NEW.id = OLD.id"
        "  AND NEW.feed = OLD.feed AND NEW.person = OLD.person AND NEW.at = OLD.at"
        "  AND NEW.by IS OLD.by AND NEW.last_snapshot = OLD.last_snapshot"
        "  AND OLD.chain_id IS NULL AND NEW.chain_id IS NOT NULL)"
        " BEGIN SELECT RAISE(ABORT, 'erasures are append-only'); END;"
        "CREATE TRIGGER erasures_d BEFORE DELETE ON erasures"
        " BEGIN SELECT RAISE(ABORT, 'erasures are append-only'); END;"
        "CREATE TRIGGER erasure_files_i BEFORE INSERT ON erasure_files WHEN"
        " (SELECT state FROM erasures WHERE id = NEW.erasure_id) IS NOT 'pending'"
        " BEGIN SELECT RAISE(ABORT, 'an erasure is planned once'); END;"
        "CREATE TRIGGER erasure_files_u BEFORE UPDATE ON erasure_files"
        " BEGIN SELECT RAISE(ABORT, 'erasure_files are append-only'); END;"
        "CREATE TRIGGER erasure_files_d BEFORE DELETE ON erasure_files"
        " BEGIN SELECT RAISE(ABORT, 'erasure_files are append-only'); END;"
        "CREATE TRIGGER erasure_versions_i BEFORE INSERT ON erasure_versions WHEN"
        " (SELECT state FROM erasures WHERE id = NEW.erasure_id) IS NOT 'pending'"
        " BEGIN SELECT RAISE(ABORT, 'an erasure is recorded once'); END;"
        "CREATE TRIGGER erasure_versions_u BEFORE UPDATE ON erasure_versions"
        " BEGIN SELECT RAISE(ABORT, 'erasure_versions are append-only'); END;"
        "CREATE TRIGGER erasure_versions_d BEFORE DELETE ON erasure_versions"
        " BEGIN SELECT RAISE(ABORT, 'erasure_versions are append-only'); END;"
        "DROP TRIGGER versions_end_only;"
        "CREATE TRIGGER versions_end_only BEFORE UPDATE ON versions WHEN NOT"
        " (OLD.to_seq IS NULL AND NEW.to_seq IS NOT NULL AND NEW.id = OLD.id"
        "  AND NEW.feed = OLD.feed AND NEW.key = OLD.key AND NEW.hash = OLD.hash"
        "  AND NEW.data = OLD.data AND NEW.from_seq = OLD.from_seq"
        "  AND NEW.snapshot_id = OLD.snapshot_id)"
        " AND NOT (NEW.id = OLD.id AND NEW.kind = OLD.kind AND NEW.feed = OLD.feed"
        "  AND NEW.key = OLD.key AND NEW.vin IS OLD.vin AND NEW.from_seq = OLD.from_seq"
        "  AND NEW.to_seq IS OLD.to_seq AND NEW.snapshot_id = OLD.snapshot_id"
        "  AND EXISTS (SELECT 1 FROM erasure_versions ev JOIN erasures e"
        "   ON e.id = ev.erasure_id WHERE ev.version_id = OLD.id AND e.state = 'pending'))"
        " BEGIN SELECT RAISE(ABORT, 'versions can only be ended'); END;"
        "CREATE VIEW v_erasures AS SELECT e.id, e.feed, e.person, e.state, e.at, e.by,"
        " e.chain_id, f.place, f.owner, f.name, f.old_sha256, f.new_sha256 FROM erasures e"
        " LEFT JOIN erasure_files f ON f.erasure_id = e.id;";

int
store_erasure_pending(struct store *st, long long *id, char **feed, char **person)
{
	sqlite3_stmt *s = store_prep(st, "SELECT id, feed, person FROM erasures"
	                                 " WHERE state = 'pending' ORDER BY id LIMIT 1");
	int rc;

	*id = 0;
	*feed = *person = NULL;
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*feed = store_col_text(s, 1);
		*person = store_col_text(s, 2);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_db_error(st, "read erasures");
}

long long
store_erasure_begin(struct store *st, const char *feed, const char *person, const char *at,
                    const char *by)
{
	sqlite3_stmt *s = store_prep(st, "INSERT INTO erasures(feed, person, state, at, by,"
	                                 " last_snapshot) VALUES(?, ?, 'pending', ?, ?,"
	                                 " (SELECT coalesce(max(id), 0) FROM snapshots))");

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, person);
	store_bind_text(s, 3, at);
	store_bind_text(s, 4, by);
	return store_insert(st, s, "record an erasure");
}

int
store_erasure_add_file(struct store *st, long long id, const struct erasure_file *f)
{
	sqlite3_stmt *s = store_prep(st, "INSERT INTO erasure_files(erasure_id, place, owner, name,"
	                                 " old_sha256, new_sha256) VALUES(?, ?, ?, ?, ?, ?)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, f->place);
	store_bind_text(s, 3, f->owner);
	store_bind_text(s, 4, f->name);
	store_bind_text(s, 5, f->old_sha);
	store_bind_text(s, 6, f->new_sha);
	return store_done(st, s, "record an erased file");
}

void
erasure_files_release(struct erasure_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].place);
		free(f[i].owner);
		free(f[i].name);
		free(f[i].old_sha);
		free(f[i].new_sha);
	}
	free(f);
}

int
store_erasure_files(struct store *st, long long id, struct erasure_file **out, size_t *n)
{
	sqlite3_stmt *s = store_prep(st, "SELECT place, owner, name, old_sha256, new_sha256 FROM"
	                                 " erasure_files WHERE erasure_id = ? ORDER BY rowid");
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			*out = xrealloc(*out, alloc * sizeof(**out));
		}
		(*out)[*n] = (struct erasure_file){store_col_text(s, 0), store_col_text(s, 1),
		                                   store_col_text(s, 2), store_col_text(s, 3),
		                                   store_col_text(s, 4)};
		(*n)++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		erasure_files_release(*out, *n);
		*out = NULL;
		*n = 0;
		return store_db_error(st, "read erased files");
	}
	return 0;
}

int
store_erased_sha(struct store *st, const char *place, const char *owner, const char *name,
                 char **sha)
{
	sqlite3_stmt *s = store_prep(st, "SELECT f.new_sha256 FROM erasure_files f JOIN erasures e"
	                                 " ON e.id = f.erasure_id WHERE e.state = 'done'"
	                                 " AND f.place = ? AND f.owner = ? AND f.name = ?"
	                                 " ORDER BY f.rowid DESC LIMIT 1");
	int rc;

	*sha = NULL;
	if (!s)
		return -1;
	store_bind_text(s, 1, place);
	store_bind_text(s, 2, owner);
	store_bind_text(s, 3, name);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*sha = store_col_text(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_db_error(st, "read erased files");
}

int
store_person_known(struct store *st, const char *feed, const char *person, bool *known)
{
	sqlite3_stmt *s = store_prep(st, "SELECT count(*) FROM versions WHERE feed = ?"
	                                 " AND key = 'person:' || ?");
	long long n = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, person);
	if (store_one_int(st, s, &n, "look the person up") == -1)
		return -1;
	*known = n > 0;
	return 0;
}

int
store_each_person_version(struct store *st, const char *feed, const char *person, store_raw_fn fn,
                          void *ctx)
{
	sqlite3_stmt *s;

	/* The person's own versions and those of the work orders that name the person. */
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT id, key, lotsync_json(data) FROM versions WHERE feed = ?1"
	                       " AND (key = 'person:' || ?2 OR (kind = 'workorder' AND"
	                       " (SELECT ?2 IN (j ->> '$.driver_id', j ->> '$.owner_id',"
	                       "  j ->> '$.contractor_id') FROM (SELECT lotsync_json(data) AS j))))"
	                       " ORDER BY id",
	                       -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare the person's versions");
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, person);
	return store_each_raw(st, s, fn, ctx, "read the person's versions");
}

int
store_erase_version(struct store *st, long long erasure, long long version, const char *data,
                    uint64_t hash)
{
	sqlite3_stmt *j = store_prep(st, "INSERT INTO erasure_versions(erasure_id, version_id,"
	                                 " snapshot_id) SELECT ?, id, snapshot_id FROM versions"
	                                 " WHERE id = ?");
	sqlite3_stmt *u;

	if (!j)
		return -1;
	sqlite3_bind_int64(j, 1, erasure);
	sqlite3_bind_int64(j, 2, version);
	if (store_done(st, j, "record an erased version") == -1 ||
	    !(u = store_prep(st, "UPDATE version_rows SET data = ?, hash = ? WHERE id = ?")))
		return -1;
	/* stored compressed, like any version written since schema 14 */
	if (store_bind_data(st, u, 1, data) == -1)
		return -1;
	sqlite3_bind_int64(u, 2, (long long)hash);
	sqlite3_bind_int64(u, 3, version);
	if (store_done(st, u, "erase a version") == -1)
		return -1;
	/* A current version's hash is in cur too: the next file compares against it; its
	 * raw record no longer stands for the rewritten data (the next file is parsed) */
	if (!(u = store_prep(st, "UPDATE cur SET hash = ?2, raw = NULL WHERE version_id = ?1 AND"
	                         " feed = (SELECT feed FROM version_rows WHERE id = ?1)")))
		return -1;
	sqlite3_bind_int64(u, 1, version);
	sqlite3_bind_int64(u, 2, (long long)hash);
	return store_done(st, u, "erase a current version");
}

/* The manifest of an erasure as the journal holds it. Caller frees. */
static char *
erasure_manifest(struct store *st, long long id)
{
	sqlite3_stmt *e = store_prep(st, "SELECT feed, person, at, by FROM erasures WHERE id = ?");
	sqlite3_stmt *v = store_prep(st, "SELECT count(*), coalesce(group_concat(snapshot_id), '')"
	                                 " FROM (SELECT DISTINCT snapshot_id FROM erasure_versions"
	                                 " WHERE erasure_id = ? ORDER BY snapshot_id)");
	struct erasure_file *f = NULL;
	size_t nf = 0;
	struct json j;
	char *out = NULL;

	if (!e || !v)
		return NULL;
	sqlite3_bind_int64(e, 1, id);
	if (sqlite3_step(e) != SQLITE_ROW) {
		sqlite3_reset(e);
		store_db_error(st, "read an erasure");
		return NULL;
	}
	if (store_erasure_files(st, id, &f, &nf) == -1) {
		sqlite3_reset(e);
		return NULL;
	}
	json_init(&j);
	json_obj(&j);
	json_key(&j, "kind");
	json_str(&j, "erase");
	json_key(&j, "at");
	json_str(&j, (const char *)sqlite3_column_text(e, 2));
	json_key(&j, "by");
	json_str(&j, (const char *)sqlite3_column_text(e, 3));
	json_key(&j, "erasure");
	json_int(&j, id);
	json_key(&j, "feed");
	json_str(&j, (const char *)sqlite3_column_text(e, 0));
	json_key(&j, "person");
	json_str(&j, (const char *)sqlite3_column_text(e, 1));
	sqlite3_reset(e);
	json_key(&j, "files");
	json_arr(&j);
	for (size_t i = 0; i < nf; i++) {
		json_obj(&j);
		json_key(&j, "place");
		json_str(&j, f[i].place);
		json_key(&j, "owner");
		json_str(&j, f[i].owner);
		json_key(&j, "name");
		json_str(&j, f[i].name);
		json_key(&j, "old_sha256");
		json_str(&j, f[i].old_sha);
		json_key(&j, "new_sha256");
		json_str(&j, f[i].new_sha);
		json_end(&j);
	}
	json_end(&j);
	erasure_files_release(f, nf);
	sqlite3_bind_int64(v, 1, id);
	if (sqlite3_step(v) == SQLITE_ROW) {
		json_key(&j, "versions");
		json_int(&j, sqlite3_column_int64(v, 0));
		json_key(&j, "snapshots");
		json_str(&j, (const char *)sqlite3_column_text(v, 1));
		json_end(&j);
		out = json_detach(&j);
	} else {
		store_db_error(st, "count erased versions");
	}
	sqlite3_reset(v);
	json_release(&j);
	return out;
}

long long
store_erasure_finish(struct store *st, long long id)
{
	sqlite3_stmt *s;
	long long *snaps = NULL, chain = -1;
	size_t n = 0, alloc = 0;
	char *at = NULL, *by = NULL, *m = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db,
	                       "SELECT DISTINCT snapshot_id FROM erasure_versions"
	                       " WHERE erasure_id = ? ORDER BY 1",
	                       -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare the re-seal");
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			snaps = xrealloc(snaps, alloc * sizeof(*snaps));
		}
		snaps[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_db_error(st, "list the snapshots to re-seal");
		goto out;
	}
	s = store_prep(st, "SELECT at, by FROM erasures WHERE id = ?");
	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		at = store_col_text(s, 0);
		by = store_col_text(s, 1);
	}
	sqlite3_reset(s);
	if (!at) {
		store_db_error(st, "read an erasure");
		goto out;
	}
	/* Each snapshot's content digest changed: a new entry seals what it holds now. */
	for (size_t i = 0; i < n; i++)
		if (store_chain_snapshot(st, "erased", snaps[i], at, by) == -1)
			goto out;
	if (!(m = erasure_manifest(st, id)) || store_chain_event(st, "erase", at, by, m) == -1)
		goto out;
	chain = sqlite3_last_insert_rowid(st->db);
	if (!(s = store_prep(st, "UPDATE erasures SET state = 'done', chain_id = ? WHERE id = ?")))
		goto out;
	sqlite3_bind_int64(s, 1, chain);
	sqlite3_bind_int64(s, 2, id);
	if (store_done(st, s, "finish an erasure") == -1)
		chain = -1;
out:
	free(snaps);
	free(at);
	free(by);
	free(m);
	return chain;
}

int
store_secure_delete(struct store *st)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, "PRAGMA secure_delete = ON", NULL, NULL, &err) != SQLITE_OK) {
		log_error("%s: secure_delete: %s", st->path, err ? err : "failed");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
store_checkpoint(struct store *st)
{
	int log = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);

	if (rc == SQLITE_BUSY)
		return log_error("%s: a reader kept the write-ahead log from being emptied; "
		                 "run 'lotsync erase-person' again when no reader is open",
		                 st->path);
	if (rc != SQLITE_OK)
		return store_db_error(st, "checkpoint the write-ahead log");
	return 0;
}

/*
 * verify: every erasure done and matching its chain entry (a pending one
 * names the command that finishes it), and every "erase" entry belonging
 * to an erasure.
 */
int
store_verify_erasures(struct store *st, void (*problem)(void *, const char *), void *ctx)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(
	            st->db,
	            "SELECT e.id, e.feed, e.person, e.state, c.kind, c.manifest, e.chain_id"
	            " FROM erasures e LEFT JOIN audit_chain c ON c.id = e.chain_id"
	            " ORDER BY e.id",
	            -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare the erasure check");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(s, 0);
		const char *feed = (const char *)sqlite3_column_text(s, 1);
		const char *person = (const char *)sqlite3_column_text(s, 2);
		const char *state = (const char *)sqlite3_column_text(s, 3);
		const char *kind = (const char *)sqlite3_column_text(s, 4);
		const char *stored = (const char *)sqlite3_column_text(s, 5);
		char *msg = NULL, *now;

		if (state && !strcmp(state, "pending"))
			msg = xasprintf("erasure %lld (person %s of feed %s) is not finished: run "
			                "'lotsync erase-person %s %s' again",
			                id, person, feed, feed, person);
		else if (!kind || strcmp(kind, "erase") || !stored)
			msg = xasprintf(
			        "erasure %lld has no audit chain entry: it was changed behind "
			        "lotsync's back",
			        id);
		else if (!(now = erasure_manifest(st, id)))
			msg = xasprintf("erasure %lld: its manifest cannot be rebuilt", id);
		else {
			if (strcmp(now, stored))
				msg = xasprintf(
				        "erasure %lld no longer matches audit chain entry %lld: "
				        "its files or versions changed",
				        id, sqlite3_column_int64(s, 6));
			free(now);
		}
		if (msg)
			problem(ctx, msg);
		free(msg);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "verify erasures");
	if (sqlite3_prepare_v2(
	            st->db,
	            "SELECT c.id FROM audit_chain c WHERE c.kind = 'erase' AND NOT EXISTS"
	            " (SELECT 1 FROM erasures e WHERE e.chain_id = c.id) ORDER BY c.id",
	            -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare the erasure check");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *msg = xasprintf("audit chain entry %lld records an erasure the database no "
		                      "longer has",
		                      sqlite3_column_int64(s, 0));

		problem(ctx, msg);
		free(msg);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_db_error(st, "verify erasures");
}

int
store_archive_expect(struct store *st, const char *feed, const char *sha, const char *got, bool *ok)
{
	sqlite3_stmt *s = store_prep(
	        st,
	        "SELECT f.new_sha256, e.last_snapshot, e.state, f.old_sha256 FROM erasure_files f"
	        " JOIN erasures e ON e.id = f.erasure_id WHERE f.place = 'archive'"
	        " AND f.owner = ? AND f.name = ? ORDER BY f.rowid DESC");
	sqlite3_stmt *later;
	bool any = false;
	long long last = 0;
	int rc;

	*ok = !strcmp(got, sha);
	if (!s)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, sha);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *nw = (const char *)sqlite3_column_text(s, 0);
		const char *state = (const char *)sqlite3_column_text(s, 2);
		const char *old = (const char *)sqlite3_column_text(s, 3);
		bool pending = state && !strcmp(state, "pending");

		/* A pending erasure is named by store_verify_erasures(); either content is fine. */
		if (pending && ((nw && !strcmp(got, nw)) || (old && !strcmp(got, old))))
			*ok = true;
		if (pending)
			continue;
		if (!any) {
			any = true;
			*ok = *ok || (nw && !strcmp(got, nw));
			last = sqlite3_column_int64(s, 1);
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, "read erased files");
	if (!any || strcmp(got, sha))
		return 0;
	/* The original content again: fine only when it arrived again after the erasure. */
	later = store_prep(st, "SELECT count(*) FROM snapshots WHERE feed = ? AND sha256 = ?"
	                       " AND id > ?");
	long long n = 0;

	if (!later)
		return -1;
	store_bind_text(later, 1, feed);
	store_bind_text(later, 2, sha);
	sqlite3_bind_int64(later, 3, last);
	if (store_one_int(st, later, &n, "look for a later copy") == -1)
		return -1;
	*ok = n > 0;
	return 0;
}
