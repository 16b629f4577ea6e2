/*
 * unit_db.h - what the store's unit suites share: a fixture with a fresh
 * database path per test, and the two SQLite hooks that make a real
 * database file fail on demand (every statement denied at prepare, every
 * step interrupted), so failure paths run against SQLite itself.
 */
#ifndef LOTSYNC_UNIT_DB_H
#define LOTSYNC_UNIT_DB_H

#include <sqlite3.h>
#include <stdlib.h>

#include "lotsync/util.h"
#include "unit.h"

/*
 * static char dir[64] and char *db ("<dir>/lotsync.db"), fresh per test;
 * the optional statements run at the end of setup(), e.g.
 * UNIT_DB_FIXTURE(dir, db, log_set_level(LOG_ERROR)).
 */
#define UNIT_DB_FIXTURE(dir, db, ...)                                                              \
	static char dir[64];                                                                       \
	static char *db;                                                                           \
	static void setup(void)                                                                    \
	{                                                                                          \
		unit_tmpdir(dir, sizeof(dir));                                                     \
		db = xasprintf("%s/lotsync.db", dir);                                              \
		__VA_ARGS__;                                                                       \
	}                                                                                          \
	static void teardown(void)                                                                 \
	{                                                                                          \
		free(db);                                                                          \
		unit_rmtree(dir);                                                                  \
	}

/* sqlite3_set_authorizer() hook: every statement fails to prepare. */
static inline int
unit_sqlite_deny(void *ctx, int action, const char *a, const char *b, const char *c, const char *d)
{
	(void)ctx, (void)action, (void)a, (void)b, (void)c, (void)d;
	return SQLITE_DENY;
}

/* sqlite3_progress_handler() hook: every step is interrupted. */
static inline int
unit_sqlite_interrupt(void *ctx)
{
	(void)ctx;
	return 1;
}

#endif
