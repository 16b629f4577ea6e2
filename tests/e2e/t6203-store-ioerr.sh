#!/bin/sh
# e2e (issue 12, item 9, store and outbox): an fsync that fails with EIO
# is local I/O, exit 74, not an internal error (70):
#  - in SQLite's commit (SQLITE_IOERR_FSYNC): the file's snapshot is not
#    committed, its work file waits, the next run applies it;
#  - on an outbox file: no export is recorded, no temporary file is left.
# A small LD_PRELOAD shim (built here) fails fsync/fdatasync on the files
# whose path contains $SHIM_EIO, after the first $SHIM_EIO_SKIP such calls
# ($SHIM_EIO_TIMES of them, else all).
# Fault matrix: matrix row 8 (EIO on fsync, SQLite and the outbox).
. "$SRCDIR/tests/e2e/lib.sh"
local_env
q() { sqlite3 "$DB" "$1"; }
command -v cc >/dev/null || { echo "no C compiler for the shim"; exit 77; }
cat >shim.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static int hit(int fd)
{
	static int seen;
	const char *want = getenv("SHIM_EIO"), *skip = getenv("SHIM_EIO_SKIP");
	const char *times = getenv("SHIM_EIO_TIMES");
	char link[64], path[4096];
	ssize_t n;

	if (!want || !*want)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return 0;
	path[n] = '\0';
	if (!strstr(path, want))
		return 0;
	seen++;
	return seen > (skip ? atoi(skip) : 0) &&
	       (!times || seen <= (skip ? atoi(skip) : 0) + atoi(times));
}
int fsync(int fd)
{
	static int (*real)(int);
	if (hit(fd)) { errno = EIO; return -1; }
	if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real(fd);
}
int fdatasync(int fd)
{
	static int (*real)(int);
	if (hit(fd)) { errno = EIO; return -1; }
	if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	return real(fd);
}
C
cc -shared -fPIC -o shim.so shim.c -ldl || { fail "cannot build the shim"; finish; }
/usr/bin/python3 "$G" --vehicles 200 --seed 81 --out a.csv
/usr/bin/python3 "$G" --from a.csv --seed 82 --out b.csv
cp a.csv "$IN/a.csv"
expect_rc 0 "first run" L --now 2026-11-20T07:00:00Z run

cp b.csv "$IN/b.csv"
# The run record is written by the command's first transaction (the snapshot's),
# whose commit syncs the new -wal's header (passes) and then its frames (fails).
expect_rc 74 "EIO on the fsync of the snapshot commit (the -wal header's before it passes): exit 74" \
	env LD_PRELOAD="$TEST_TMP/shim.so" SHIM_EIO=lotsync.db SHIM_EIO_SKIP=1 SHIM_EIO_TIMES=1 "$LOTSYNC" -c "$C" --now 2026-11-20T08:00:00Z ingest
expect_grep "disk I/O error" "$TEST_TMP/err" "SQLite's error is shown"
grep -q "finish run" "$TEST_TMP/err" && fail "the run record failed too (the exit code would not tell)" ||
	pass "only the commit failed"
expect_eq "$(q "select count(*) from snapshots")" "1" "the snapshot was not committed"
expect_eq "$(ls spool/work/acme)" "b.csv" "its file waits in work/"
expect_rc 0 "the next run applies it" L --now 2026-11-20T09:00:00Z ingest
expect_eq "$(q "select group_concat(file) from snapshots where state = 'applied'")" "a.csv,b.csv" \
	"both applied, in order"

expect_rc 74 "EIO on an outbox file's fsync: exit 74" \
	env LD_PRELOAD="$TEST_TMP/shim.so" SHIM_EIO=/outbox/ SHIM_EIO_TIMES=1 "$LOTSYNC" -c "$C" --now 2026-11-20T10:00:00Z export
expect_grep "outbox" "$TEST_TMP/err" "the outbox file is named"
expect_eq "$(q "select count(*) from exports")" "1" "no second export recorded"
expect_eq "$(ls -A spool/outbox/local)" "" "no temporary file left"
expect_rc 0 "export again" L --now 2026-11-20T11:00:00Z run
expect_eq "$(q "select count(*) from exports where state = 'delivered'")" "2" "exported and delivered"
finish
