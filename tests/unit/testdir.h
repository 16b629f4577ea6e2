/*
 * testdir.h - one private temporary directory per unit test, shared by the
 * suites that need real files (Check forks per test, so each gets its own).
 */
#ifndef LOTSYNC_TESTDIR_H
#define LOTSYNC_TESTDIR_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* Make a fresh /tmp/lotsync-unit.XXXXXX into dir (at least 32 bytes). */
static inline void
testdir_make(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/lotsync-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Remove dir and everything below it. */
static inline void
testdir_remove(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

#endif
