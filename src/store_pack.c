/*
 * store_pack.c - schema 14: version data stored compressed, and the
 * versions_vin index only where the VIN is not already the key.
 *
 * version_rows.data of a row written since schema 14 is a BLOB: one zstd
 * frame of the record's canonical JSON (store_zdata.c). Rows written
 * before keep their TEXT: nothing is rewritten (a 1M-vehicle history
 * would be copied once, and the chain's digests hash the JSON, which is
 * the same either way). Every reader of data goes through the SQL
 * function lotsync_json(data), registered on each connection, so the
 * store's callers see JSON whatever the row's age.
 *
 * versions_vin: for a feed keyed by VIN (most are) every entry repeated
 * versions_key's; a lookup by VIN reads the two halves instead
 * (STORE_VIN_MATCH in store_p.h), and a first load of 1M vehicles no
 * longer inserts 1M random entries into a second index.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lotsync/handoff.h"
#include "lotsync/limits.h"
#include "lotsync/log.h"
#include "lotsync/util.h"
#include "store_p.h"
#include "store_zdata.h"
#include "store_zdata_sql.h"

const char store_schema_pack[] = "DROP INDEX versions_vin;"
                                 "CREATE INDEX versions_vin ON version_rows(vin) WHERE vin <> key;";

/*
 * Schema 15 changes no table: frames written since use dictionary 2
 * (store_zdata.c), which a lotsync of schema 14 cannot read. The bump makes
 * such a lotsync refuse the database by its version instead of failing on
 * the first new frame; frames of dictionary 0 stay readable.
 */
const char store_schema_zdict2[] = "SELECT 1";

int
store_pack_register(struct store *st)
{
	struct store_zdata_fn *fn = store_zdata_sqlnew();

	if (!fn || !(st->zdata = store_zdata_new())) {
		store_zdata_sqlfree(fn);
		log_fatal("out of memory (zstd contexts)");
	}
	/* SQLite frees fn with the connection, or now when the call fails */
	if (sqlite3_create_function_v2(st->db, "lotsync_json", 1, STORE_ZDATA_SQL_FLAGS, fn,
	                               store_zdata_sqlfn, NULL, NULL,
	                               store_zdata_sqlfree) != SQLITE_OK)
		return store_db_error(st, "register lotsync_json()");
	return 0;
}

int
store_bind_data(struct store *st, sqlite3_stmt *s, int i, const char *json)
{
	size_t n = strlen(json), len;
	const void *z;

	if (n > LS_MAX_STORED_JSON)
		return log_error("%s: a record of %zu bytes of JSON is more than a version holds "
		                 "(%zu)",
		                 st->path, n, LS_MAX_STORED_JSON);
	if (!(z = store_zdata_pack(st->zdata, json, n, &len)))
		log_fatal("out of memory (zstd)");
	/* z lives in st->zdata until the next pack: the statement steps before that */
	return sqlite3_bind_blob64(s, i, z, len, SQLITE_STATIC) == SQLITE_OK
	               ? 0
	               : store_db_error(st, "bind a version's data");
}

/* ---- store_vbatch: versions compressed on a thread of their own ---- */

/*
 * A batch's frames, one after another in arena. The writer takes each row
 * as soon as it is packed, not the whole batch: a feed of 150 vehicles is
 * one batch, and waiting for all of it left the writer idle for as long as
 * the packer worked (~0.7 ms a feed, across 2000 feeds 1.3 s of a 7 s run).
 * So arena is sized for the worst case when submitted and never moves, and
 * ready counts the rows packed: rows below it are the writer's to read.
 */
struct store_vpack {
	const struct version_row *rows;
	size_t n;
	char *arena;
	size_t used, cap;
	size_t *off, *len;
	size_t too_large;    /* rows[too_large - 1] is more than a version holds; 0 = none */
	atomic_size_t ready; /* rows packed, in order (released after each) */
	atomic_bool stopped; /* the packer is through with it: no row will be added */
	atomic_bool waiting; /* the writer sleeps on cv for the next row */
	pthread_mutex_t mu;  /* cv's; held by the packer only to wake the writer */
	pthread_cond_t cv;
	uint64_t ticket; /* its turn with the packer */
};

/* The packer thread: one batch in its hands at a time. */
struct store_packer {
	struct handoff *h;
	struct store_zdata *z;
};

/*
 * On the packer thread: publish (*count = n, or nothing) and wake the
 * writer if it sleeps. Both sides' flags are sequentially consistent, so
 * either the writer sees the new count before it sleeps or the packer
 * sees it waiting and takes the mutex the writer holds until it sleeps.
 */
static void
vpack_wake(struct store_vpack *v, atomic_size_t *count, size_t n)
{
	if (count)
		atomic_store(count, n);
	if (!atomic_load(&v->waiting))
		return;
	pthread_mutex_lock(&v->mu);
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
}

/* On the packer thread: the batch's frames, or too_large set. */
static int
pack(void *item, void *arg)
{
	struct store_zdata *z = arg;
	struct store_vpack *v = item;

	for (size_t i = 0; i < v->n; i++) {
		size_t n = strlen(v->rows[i].json), len;
		const void *f;

		if (n > LS_MAX_STORED_JSON) {
			v->too_large = i + 1; /* the caller's to report, when it writes the batch */
			break;
		}
		if (!(f = store_zdata_pack(z, v->rows[i].json, n, &len)))
			log_fatal("out of memory (zstd)");
		/* the bound of every row was reserved at submit: arena never moves */
		memcpy(v->arena + v->used, f, len);
		v->off[i] = v->used;
		v->len[i] = len;
		v->used += len;
		vpack_wake(v, &v->ready, i + 1);
	}
	atomic_store(&v->stopped, true);
	vpack_wake(v, NULL, 0);
	return 0;
}

static struct store_packer *
packer_get(struct store *st)
{
	struct store_packer *p = st->packer;

	if (p)
		return p;
	p = xcalloc(1, sizeof(*p));
	if (!(p->z = store_zdata_new()))
		log_fatal("out of memory (zstd contexts)");
	p->h = handoff_new(pack, p->z, 1);
	st->packer = p;
	return p;
}

void
store_packer_stop(struct store *st)
{
	struct store_packer *p = st->packer;

	if (!p)
		return;
	handoff_free(p->h); /* after the batch it has, if any */
	store_zdata_free(p->z);
	free(p);
	st->packer = NULL;
}

void
store_vbatch_submit(struct store *st, struct store_vbatch *b)
{
	struct store_packer *p = packer_get(st);
	struct store_vpack *v = xcalloc(1, sizeof(*v));

	v->rows = b->rows;
	v->n = b->n;
	v->off = xcalloc(b->n + 1, sizeof(*v->off));
	v->len = xcalloc(b->n + 1, sizeof(*v->len));
	for (size_t i = 0; i < b->n; i++) {
		size_t n = strlen(b->rows[i].json);

		/* a row too large stops the packer there: the rest need no room */
		if (n > LS_MAX_STORED_JSON)
			break;
		v->cap += ZSTD_compressBound(n);
	}
	v->arena = xmalloc(v->cap ? v->cap : 1);
	atomic_init(&v->ready, 0);
	atomic_init(&v->stopped, false);
	atomic_init(&v->waiting, false);
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->cv, NULL);
	b->pack = v;
	v->ticket = handoff_put(p->h, v);
}

/* Wait until row i of the batch is packed: false when it never will be (too large). */
static bool
vpack_row(struct store_vpack *v, size_t i)
{
	if (atomic_load(&v->ready) > i)
		return true;
	pthread_mutex_lock(&v->mu);
	atomic_store(&v->waiting, true);
	while (atomic_load(&v->ready) <= i && !atomic_load(&v->stopped))
		pthread_cond_wait(&v->cv, &v->mu);
	atomic_store(&v->waiting, false);
	pthread_mutex_unlock(&v->mu);
	return atomic_load(&v->ready) > i;
}

/* Wait until the packer is through with b's batch; then it is the caller's alone. */
static struct store_vpack *
vbatch_wait(struct store *st, struct store_vbatch *b)
{
	struct store_vpack *v = b->pack;

	handoff_wait(st->packer->h, v->ticket);
	return v;
}

static void
vpack_free(struct store_vbatch *b)
{
	struct store_vpack *v = b->pack;

	if (!v)
		return;
	pthread_mutex_destroy(&v->mu);
	pthread_cond_destroy(&v->cv);
	free(v->arena);
	free(v->off);
	free(v->len);
	free(v);
	b->pack = NULL;
}

int
store_vbatch_write(struct store *st, struct store_vbatch *b)
{
	struct store_vpack *v = b->pack;
	int rc = -1;

	for (size_t i = 0; i < b->n; i++) {
		if (!vpack_row(v, i)) {
			log_error("%s: a record of %zu bytes of JSON is more than a version holds "
			          "(%zu)",
			          st->path, strlen(b->rows[v->too_large - 1].json),
			          LS_MAX_STORED_JSON);
			goto out;
		}
		if ((b->ids[i] = store_version_insert(st, b->feed, b->seq, b->snapshot, &b->rows[i],
		                                      v->arena + v->off[i], v->len[i])) < 0)
			goto out;
	}
	rc = 0;
out:
	vbatch_wait(st, b); /* the packer may still be waking us */
	vpack_free(b);
	return rc;
}

void
store_vbatch_drop(struct store *st, struct store_vbatch *b)
{
	if (!b->pack)
		return;
	vbatch_wait(st, b);
	vpack_free(b);
}
