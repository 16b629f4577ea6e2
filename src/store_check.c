/*
 * store_check.c - the database's own checks (PRAGMA quick_check and
 * integrity_check), at once or on a thread and a read-only connection of
 * their own beside the command, and the gate that makes every commit of
 * the command wait for that verdict.
 *
 * Why beside the command: quick_check reads every page, two seconds of
 * CPU for a million vehicles, while the ingest that follows spends its
 * first seconds archiving and parsing without writing. In WAL mode nothing
 * reaches the database file before a commit (uncommitted frames are never
 * read back), so waiting for the verdict at the first commit writes
 * nothing more into a damaged database than waiting before the first
 * statement did.
 */
#include "lotsync/store.h"
#include "store_p.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lotsync/log.h"
#include "lotsync/util.h"

struct store_bgcheck {
	pthread_t thread;
	char *path;
	pthread_mutex_t mu; /* guards db and cancel: close interrupts a running check */
	sqlite3 *db;        /* the check's connection while it runs, else NULL */
	bool cancel;
	bool joined;
	int verdict; /* once joined: 0 intact, 1 damaged, -1 could not run */
	bool io;     /* the check stopped on an I/O error or damage (exit 74) */
	char first[256];
	store_verdict_fn fn;
	void *ctx;
};

static bool
is_io(int code)
{
	return code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_CORRUPT ||
	       code == SQLITE_NOTADB || code == SQLITE_CANTOPEN;
}

/* The check on db: 0 intact, 1 damaged (first message into first), -1 not run. */
static int
run_check(sqlite3 *db, bool full, char *first, size_t cap, bool *io)
{
	sqlite3_stmt *s;
	int rc, bad = 0;

	first[0] = '\0';
	*io = false;
	if (sqlite3_prepare_v2(db, full ? "PRAGMA integrity_check" : "PRAGMA quick_check", -1, &s,
	                       NULL) != SQLITE_OK) {
		snprintf(first, cap, "%s", sqlite3_errmsg(db));
		*io = is_io(sqlite3_errcode(db));
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);

		if (t && strcmp(t, "ok") != 0 && bad++ == 0)
			snprintf(first, cap, "%s", t);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		if (rc == SQLITE_INTERRUPT)
			return -1;
		/* SQLite stops at some damage with an error instead of a row */
		if (!bad)
			snprintf(first, cap, "%s", sqlite3_errmsg(db));
		*io = is_io(sqlite3_errcode(db));
		return 1;
	}
	*io = bad > 0;
	return bad ? 1 : 0;
}

int
store_check(struct store *st, bool full, char *first, size_t cap)
{
	bool io;
	int rc = run_check(st->db, full, first, cap, &io);

	if (io)
		st->full = true;
	if (rc == -1)
		log_error("%s: %s: %s", st->path, full ? "integrity_check" : "quick_check", first);
	return rc;
}

static void *
check_main(void *arg)
{
	struct store_bgcheck *c = arg;
	sqlite3 *db = NULL;

	c->verdict = -1;
	/*
	 * The lowest priority (Linux: nice is per thread): the check takes what
	 * the command leaves of both cores, and runs alone when a commit waits.
	 */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) !=
	    SQLITE_OK) {
		snprintf(c->first, sizeof(c->first), "a second connection: %s",
		         db ? sqlite3_errmsg(db) : "out of memory");
		c->io = db && is_io(sqlite3_errcode(db));
		goto out;
	}
	sqlite3_busy_timeout(db, 10000);
	/* A small cache of its own: the pages come from the OS's cache either way */
	sqlite3_exec(db, "PRAGMA cache_size=-4096", NULL, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	c->db = c->cancel ? NULL : db;
	pthread_mutex_unlock(&c->mu);
	if (c->db)
		c->verdict = run_check(db, false, c->first, sizeof(c->first), &c->io);
	pthread_mutex_lock(&c->mu);
	c->db = NULL;
	pthread_mutex_unlock(&c->mu);
out:
	sqlite3_close(db);
	return NULL;
}

/* SQLite's commit hook: a non-zero return turns the commit into a rollback. */
static int
commit_gate(void *arg)
{
	return store_check_wait(arg) == 0 ? 0 : 1;
}

int
store_check_start(struct store *st, store_verdict_fn fn, void *ctx)
{
	struct store_bgcheck *c = xcalloc(1, sizeof(*c));

	c->path = xstrdup(st->path);
	c->fn = fn;
	c->ctx = ctx;
	pthread_mutex_init(&c->mu, NULL);
	if (pthread_create(&c->thread, NULL, check_main, c) != 0) {
		pthread_mutex_destroy(&c->mu);
		free(c->path);
		free(c);
		return 1;
	}
	st->check = c;
	sqlite3_commit_hook(st->db, commit_gate, st);
	return 0;
}

int
store_check_wait(struct store *st)
{
	struct store_bgcheck *c = st ? st->check : NULL;

	if (!c)
		return 0;
	if (!c->joined) {
		pthread_join(c->thread, NULL);
		c->joined = true;
		if (c->io)
			st->full = true;
		if (c->verdict != 0 && c->fn)
			c->fn(c->ctx, c->verdict, c->first);
	}
	return c->verdict == 0 ? 0 : -1;
}

void
store_check_drop(struct store *st)
{
	struct store_bgcheck *c = st->check;

	if (!c)
		return;
	if (!c->joined) {
		pthread_mutex_lock(&c->mu);
		c->cancel = true;
		if (c->db)
			sqlite3_interrupt(c->db);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
	}
	if (st->db)
		sqlite3_commit_hook(st->db, NULL, NULL);
	pthread_mutex_destroy(&c->mu);
	free(c->path);
	free(c);
	st->check = NULL;
}
