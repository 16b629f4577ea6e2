/* store_audit.c - the tamper-evident audit chain, append-only triggers, verify. */
#include "lotsync/store.h"

#include <errno.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/fsio.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/util.h"
#include "store_p.h"

#define ZERO_LINK "0000000000000000000000000000000000000000000000000000000000000000"

/*
 * Version 2: history is append-only. Triggers refuse to rewrite sealed
 * snapshots (except a held one being accepted or rejected), vehicle
 * versions (except ending an open one), rejected rows, quarantine records
 * and the chain itself. Triggers stop mistakes and casual edits; the chain
 * and `verify` catch anyone who drops them.
 */
const char store_schema_audit[] =
        "ALTER TABLE snapshots ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE snapshots ADD COLUMN hold_reason TEXT;"
        "ALTER TABLE snapshots ADD COLUMN decided TEXT;"
        "CREATE TABLE audit_chain(id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
        " snapshot_id INTEGER, at TEXT NOT NULL, by TEXT, manifest TEXT NOT NULL,"
        " prev TEXT NOT NULL, link TEXT NOT NULL);"
        "CREATE INDEX audit_chain_snapshot ON audit_chain(snapshot_id);"
        "CREATE TRIGGER audit_chain_append_only_u BEFORE UPDATE ON audit_chain"
        " BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END;"
        "CREATE TRIGGER audit_chain_append_only_d BEFORE DELETE ON audit_chain"
        " BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END;"
        "CREATE TRIGGER snapshots_append_only_d BEFORE DELETE ON snapshots"
        " BEGIN SELECT RAISE(ABORT, 'snapshots are append-only'); END;"
        "CREATE TRIGGER snapshots_sealed BEFORE UPDATE ON snapshots WHEN OLD.sealed = 1 AND NOT"
        " (OLD.state = 'held' AND NEW.state IN ('applied', 'rejected') AND NEW.id = OLD.id"
        "  AND NEW.feed = OLD.feed AND NEW.sha256 = OLD.sha256 AND NEW.size = OLD.size"
        "  AND NEW.file = OLD.file AND NEW.source = OLD.source AND NEW.profile = OLD.profile"
        "  AND NEW.received_at = OLD.received_at AND NEW.sealed = 1)"
        " BEGIN SELECT RAISE(ABORT, 'snapshot history is append-only'); END;"
        "CREATE TRIGGER versions_append_only_d BEFORE DELETE ON versions"
        " BEGIN SELECT RAISE(ABORT, 'versions are append-only'); END;"
        "CREATE TRIGGER versions_end_only BEFORE UPDATE ON versions WHEN NOT"
        " (OLD.to_seq IS NULL AND NEW.to_seq IS NOT NULL AND NEW.id = OLD.id"
        "  AND NEW.feed = OLD.feed AND NEW.key = OLD.key AND NEW.hash = OLD.hash"
        "  AND NEW.data = OLD.data AND NEW.from_seq = OLD.from_seq"
        "  AND NEW.snapshot_id = OLD.snapshot_id)"
        " BEGIN SELECT RAISE(ABORT, 'versions can only be ended'); END;"
        "CREATE TRIGGER rejected_rows_append_only_u BEFORE UPDATE ON rejected_rows"
        " BEGIN SELECT RAISE(ABORT, 'rejected_rows are append-only'); END;"
        "CREATE TRIGGER rejected_rows_append_only_d BEFORE DELETE ON rejected_rows"
        " BEGIN SELECT RAISE(ABORT, 'rejected_rows are append-only'); END;"
        "CREATE TRIGGER quarantine_append_only_u BEFORE UPDATE ON quarantine"
        " BEGIN SELECT RAISE(ABORT, 'quarantine is append-only'); END;"
        "CREATE TRIGGER quarantine_append_only_d BEFORE DELETE ON quarantine"
        " BEGIN SELECT RAISE(ABORT, 'quarantine is append-only'); END;"
        "DROP VIEW v_snapshots;"
        "CREATE VIEW v_snapshots AS SELECT id, feed, state, seq, sha256, size, file, source,"
        " profile, received_at, vehicles, new, changed, vanished, rejected_rows, hold_reason,"
        " decided FROM snapshots;"
        "CREATE VIEW v_audit_chain AS SELECT id, kind, snapshot_id, at, by, link FROM audit_chain;";

/* SHA-256 over the query's rows, each column as text and a NUL, rows ended by '\n'. */
static int
digest_rows(struct store *st, sqlite3_stmt *s, EVP_MD_CTX *ctx)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(s); c++) {
			const unsigned char *t = sqlite3_column_text(s, c);

			EVP_DigestUpdate(ctx, t ? (const char *)t : "",
			                 t ? strlen((const char *)t) : 0);
			EVP_DigestUpdate(ctx, "", 1);
		}
		EVP_DigestUpdate(ctx, "\n", 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_db_error(st, "digest rows");
}

/* A row of digest_rows() from its columns' text. */
static void
digest_cols(EVP_MD_CTX *ctx, const char *const *col, size_t n)
{
	for (size_t i = 0; i < n; i++)
		EVP_DigestUpdate(ctx, col[i], strlen(col[i]) + 1); /* its NUL too */
	EVP_DigestUpdate(ctx, "\n", 1);
}

void
store_digest_drop(struct store *st)
{
	EVP_MD_CTX_free(st->dig.md);
	st->dig.md = NULL;
	st->dig.snapshot = st->dig.rows = st->dig.last_id = 0;
}

/*
 * The bytes digest_rows() reads for a "+" row, in the order the seal's
 * query returns them (id order: each insert takes the next id). Whether
 * the stream covers exactly the snapshot's rows is checked when it is
 * used (fed_rows_match), so a row written another way only costs the
 * read-back.
 */
void
store_digest_add(struct store *st, long long snapshot, long long id, const char *key, uint64_t hash,
                 const char *json)
{
	char h[24];
	const char *col[] = {"+", key, h, json};

	if (!st->dig.md || st->dig.snapshot != snapshot || id <= st->dig.last_id) {
		store_digest_drop(st);
		if (!(st->dig.md = EVP_MD_CTX_new()))
			log_fatal("out of memory (EVP_MD_CTX_new)");
		if (EVP_DigestInit_ex(st->dig.md, EVP_sha256(), NULL) != 1)
			log_fatal("SHA-256 unavailable");
		st->dig.snapshot = snapshot;
	}
	snprintf(h, sizeof(h), "%lld", (long long)hash); /* as SQLite prints an integer */
	digest_cols(st->dig.md, col, ARRAY_SIZE(col));
	st->dig.rows++;
	st->dig.last_id = id;
}

/* The stream of store_digest_add holds exactly snapshot id's version rows. */
static int
fed_rows_match(struct store *st, long long id, bool *match)
{
	sqlite3_stmt *s = store_prep(st, "SELECT count(*), coalesce(max(id), 0) FROM version_rows"
	                                 " WHERE snapshot_id = ?");
	int rc;

	*match = false;
	if (!st->dig.md || st->dig.snapshot != id)
		return 0;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*match = sqlite3_column_int64(s, 0) == st->dig.rows &&
		         sqlite3_column_int64(s, 1) == st->dig.last_id;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store_db_error(st, "count a snapshot's versions");
}

/*
 * Digest of what a snapshot wrote: versions it created ("+" rows), versions
 * it ended, its rejected rows and its warnings, each in id order.
 */
static int
snapshot_digest(struct store *st, long long id, const char *feed, long long seq,
                char hex[FSIO_SHA256_HEX])
{
	sqlite3_stmt *created =
	        store_prep(st, "SELECT '+', key, hash, lotsync_json(data) FROM version_rows"
	                       " WHERE snapshot_id = ? ORDER BY id");
	sqlite3_stmt *ended =
	        store_prep(st, "SELECT '-', v.key, v.id FROM version_ends e"
	                       " JOIN version_rows v ON v.id = e.version_id"
	                       " WHERE e.feed = ? AND e.to_seq = ? ORDER BY e.version_id");
	sqlite3_stmt *rej = store_prep(st, "SELECT '!', line, field, reason FROM rejected_rows"
	                                   " WHERE snapshot_id = ? ORDER BY rowid");
	sqlite3_stmt *warn =
	        store_prep(st, "SELECT '~', code, line, field, message FROM"
	                       " snapshot_warnings WHERE snapshot_id = ? ORDER BY rowid");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int rc = -1;
	bool fed;

	if (!ctx)
		log_fatal("out of memory (EVP_MD_CTX_new)");
	if (!created || !ended || !rej || !warn || fed_rows_match(st, id, &fed) == -1)
		goto out;
	/* the rows ingest just wrote were digested as they were bound */
	if (fed ? EVP_MD_CTX_copy_ex(ctx, st->dig.md) != 1
	        : EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	sqlite3_bind_int64(created, 1, id);
	store_bind_text(ended, 1, feed);
	sqlite3_bind_int64(ended, 2, seq > 0 ? seq : -1);
	sqlite3_bind_int64(rej, 1, id);
	sqlite3_bind_int64(warn, 1, id);
	if ((!fed && digest_rows(st, created, ctx)) || digest_rows(st, ended, ctx) ||
	    digest_rows(st, rej, ctx) || digest_rows(st, warn, ctx))
		goto out;
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	hex_encode(md, mdlen, hex);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* The canonical manifest of a snapshot as the tables hold it now. Caller frees. */
static char *
manifest_of(struct store *st, const char *kind, long long id, const char *at, const char *by)
{
	struct snapshot_info s;
	char digest[FSIO_SHA256_HEX];
	struct json j;

	if (store_snapshot_get(st, id, &s) == -1)
		return NULL;
	if (snapshot_digest(st, id, s.feed, s.seq, digest) == -1) {
		snapshot_info_release(&s);
		return NULL;
	}
	json_init(&j);
	json_obj(&j);
	json_key(&j, "kind");
	json_str(&j, kind);
	json_key(&j, "at");
	json_str(&j, at);
	json_key(&j, "by");
	json_str(&j, by);
	json_key(&j, "snapshot");
	json_int(&j, s.id);
	json_key(&j, "feed");
	json_str(&j, s.feed);
	json_key(&j, "state");
	json_str(&j, snapshot_state_name(s.state));
	json_key(&j, "seq");
	json_int(&j, s.seq);
	json_key(&j, "sha256");
	json_str(&j, s.sha256);
	json_key(&j, "size");
	json_int(&j, s.size);
	json_key(&j, "file");
	json_str(&j, s.file);
	json_key(&j, "source");
	json_str(&j, s.source);
	json_key(&j, "profile");
	json_str(&j, s.profile);
	json_key(&j, "received_at");
	json_str(&j, s.received_at);
	json_key(&j, "counts");
	json_arr(&j);
	json_int(&j, s.vehicles);
	json_int(&j, s.new_);
	json_int(&j, s.changed);
	json_int(&j, s.vanished);
	json_int(&j, s.rejected_rows);
	json_end(&j);
	json_key(&j, "hold_reason");
	json_str(&j, s.hold_reason);
	json_key(&j, "content");
	json_str(&j, digest);
	json_end(&j);
	snapshot_info_release(&s);
	return json_detach(&j);
}

static void
chain_link(const char *prev, const char *manifest, char out[FSIO_SHA256_HEX])
{
	size_t pl = strlen(prev), ml = strlen(manifest);
	char *buf = xmalloc(pl + ml);

	memcpy(buf, prev, pl);
	memcpy(buf + pl, manifest, ml);
	fsio_sha256_buf(buf, pl + ml, out);
	free(buf);
}

int
store_chain_head(struct store *st, char hex[FSIO_SHA256_HEX])
{
	sqlite3_stmt *s = store_prep(st, "SELECT link FROM audit_chain ORDER BY id DESC LIMIT 1");
	int rc;

	if (!s)
		return -1;
	memcpy(hex, ZERO_LINK, FSIO_SHA256_HEX);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *l = (const char *)sqlite3_column_text(s, 0);

		if (l && strlen(l) == FSIO_SHA256_HEX - 1)
			memcpy(hex, l, FSIO_SHA256_HEX);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_error(st, "read chain head");
	return 0;
}

int
store_chain_snapshot(struct store *st, const char *kind, long long snapshot, const char *at,
                     const char *by)
{
	sqlite3_stmt *s;
	char prev[FSIO_SHA256_HEX], link[FSIO_SHA256_HEX];
	char *manifest;
	int rc;

	if (store_chain_head(st, prev) == -1 ||
	    !(manifest = manifest_of(st, kind, snapshot, at, by)))
		return -1;
	chain_link(prev, manifest, link);
	s = store_prep(st,
	               "INSERT INTO audit_chain(kind, snapshot_id, at, by, manifest, prev, link)"
	               " VALUES(?,?,?,?,?,?,?)");
	if (!s) {
		free(manifest);
		return -1;
	}
	store_bind_text(s, 1, kind);
	sqlite3_bind_int64(s, 2, snapshot);
	store_bind_text(s, 3, at);
	store_bind_text(s, 4, by);
	sqlite3_bind_text(s, 5, manifest, -1, free);
	store_bind_text(s, 6, prev);
	store_bind_text(s, 7, link);
	rc = store_done(st, s, "append to the audit chain");
	return rc;
}

int
store_chain_event(struct store *st, const char *kind, const char *at, const char *by,
                  const char *manifest)
{
	char prev[FSIO_SHA256_HEX], link[FSIO_SHA256_HEX];
	sqlite3_stmt *s;

	if (store_chain_head(st, prev) == -1)
		return -1;
	chain_link(prev, manifest, link);
	s = store_prep(st,
	               "INSERT INTO audit_chain(kind, snapshot_id, at, by, manifest, prev, link)"
	               " VALUES(?, NULL, ?, ?, ?, ?, ?)");
	if (!s)
		return -1;
	store_bind_text(s, 1, kind);
	store_bind_text(s, 2, at);
	store_bind_text(s, 3, by);
	store_bind_text(s, 4, manifest);
	store_bind_text(s, 5, prev);
	store_bind_text(s, 6, link);
	return store_done(st, s, "append to the audit chain");
}

/* The first top-level member where two manifests differ, for the message. */
static char *
first_difference(const char *a, const char *b)
{
	size_t i = 0, start = 0;

	while (a[i] && a[i] == b[i]) {
		if (a[i] == ',' && a[i + 1] == '"')
			start = i + 1;
		i++;
	}
	const char *colon = strchr(a + start, ':');
	size_t n = colon ? (size_t)(colon - (a + start)) : 0;

	return n ? xstrndup(a + start, n) : xstrdup("(structure)");
}

/*
 * Count a verification problem and log it; the first one is also kept in
 * r->first so that the report can show it without parsing the log.
 */
static void __attribute__((format(printf, 2, 3)))
problem(struct verify_report *r, const char *fmt, ...)
{
	char msg[sizeof(r->first)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	if (r->problems++ == 0)
		memcpy(r->first, msg, sizeof(msg));
}

static int
verify_links(struct store *st, struct verify_report *r)
{
	sqlite3_stmt *s = store_prep(st, "SELECT id, snapshot_id, manifest, prev, link"
	                                 " FROM audit_chain ORDER BY id");
	char expect_prev[FSIO_SHA256_HEX] = ZERO_LINK, link[FSIO_SHA256_HEX];
	int rc;

	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(s, 0);
		const char *manifest = (const char *)sqlite3_column_text(s, 2);
		const char *prev = (const char *)sqlite3_column_text(s, 3);
		const char *stored = (const char *)sqlite3_column_text(s, 4);
		bool broken;

		r->entries++;
		chain_link(prev ? prev : "", manifest ? manifest : "", link);
		broken = !prev || strcmp(prev, expect_prev) != 0 || !stored ||
		         strcmp(link, stored) != 0;
		if (broken && r->problems > 0)
			r->problems++; /* only the first break is named */
		else if (broken)
			problem(r, "audit chain broken at entry %lld (snapshot %lld): %s", id,
			        sqlite3_column_int64(s, 1),
			        prev && strcmp(prev, expect_prev) != 0
			                ? "it does not link to the entry before it"
			                : "its link does not match its manifest");
		memcpy(expect_prev, stored && strlen(stored) == 64 ? stored : link,
		       FSIO_SHA256_HEX);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_db_error(st, "read the audit chain");
}

/* Every snapshot row must match the manifest of its newest chain entry. */
static int
verify_snapshots(struct store *st, struct verify_report *r)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(
	            st->db,
	            "SELECT sn.id, c.id, c.kind, c.at, c.by, c.manifest FROM snapshots sn"
	            " LEFT JOIN audit_chain c ON c.id = (SELECT max(id) FROM audit_chain"
	            " WHERE snapshot_id = sn.id) ORDER BY sn.id",
	            -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "prepare snapshot verification");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(s, 0);
		const char *stored = (const char *)sqlite3_column_text(s, 5);
		char *now;

		r->snapshots++;
		if (sqlite3_column_type(s, 1) == SQLITE_NULL) {
			problem(r,
			        "snapshot %lld has no audit chain entry: it was added behind "
			        "lotsync's back",
			        id);
			continue;
		}
		now = manifest_of(st, (const char *)sqlite3_column_text(s, 2), id,
		                  (const char *)sqlite3_column_text(s, 3),
		                  (const char *)sqlite3_column_text(s, 4));
		if (!now) {
			problem(r, "snapshot %lld: its manifest cannot be rebuilt", id);
			continue;
		}
		if (strcmp(now, stored) != 0) {
			char *what = first_difference(stored, now);

			problem(r,
			        "snapshot %lld no longer matches audit chain entry %lld: %s "
			        "changed",
			        id, sqlite3_column_int64(s, 1), what);
			free(what);
		}
		free(now);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_db_error(st, "verify snapshots");
}

static int
verify_archive(struct store *st, const char *root, struct verify_report *r)
{
	sqlite3_stmt *s =
	        store_prep(st, "SELECT feed, sha256 FROM snapshots UNION SELECT feed, sha256"
	                       " FROM quarantine WHERE sha256 IS NOT NULL ORDER BY 1, 2");
	int rc;

	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *feed = (const char *)sqlite3_column_text(s, 0);
		const char *sha = (const char *)sqlite3_column_text(s, 1);
		char *path = xasprintf("%s/%s/%s", root, feed, sha);
		char got[FSIO_SHA256_HEX];

		bool ok = false;

		r->files++;
		if (fsio_sha256_file(path, got, NULL) == -1)
			problem(r, "%s: archived file missing or unreadable", path);
		else if (store_archive_expect(st, feed, sha, got, &ok) == -1) {
			free(path);
			sqlite3_reset(s);
			return -1;
		} else if (!ok)
			problem(r, "%s: archived file damaged: its SHA-256 is now %s", path, got);
		free(path);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_db_error(st, "list archived files");
}

static void
erasure_problem(void *ctx, const char *msg)
{
	problem(ctx, "%s", msg);
}

int
store_verify(struct store *st, const char *archive_root, struct verify_report *r)
{
	memset(r, 0, sizeof(*r));
	if (verify_links(st, r) == -1 || verify_snapshots(st, r) == -1 ||
	    verify_archive(st, archive_root, r) == -1 ||
	    store_verify_erasures(st, erasure_problem, r) == -1)
		return -1;
	return 0;
}
