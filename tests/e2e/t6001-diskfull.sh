#!/bin/sh
# e2e (issue 5): the database's disk fills up mid-ingest (a 2.5 MiB tmpfs: the first
# snapshot, its write-ahead log and the next run record fit, the second snapshot not):
# the run exits 74, the database is unchanged and intact, the claimed file
# waits in work/; with room again the next run applies it.
# Fault matrix: matrix row 7 (disk full).
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
mkdir -p small
if ! mount -t tmpfs -o size=2500k tmpfs small 2>/dev/null; then
	[ "${LOTSYNC_REQUIRE_SERVERS:-0}" = 1 ] && { echo "FAIL: cannot mount a tmpfs (needs root)" >&2; exit 1; }
	echo "cannot mount a tmpfs (needs root)"
	exit 77
fi
trap 'umount "$TEST_TMP/small" 2>/dev/null' EXIT
make_conf "$TEST_TMP"
C=$TEST_TMP/conf/lotsync.conf
sed -i "s|^settle_seconds = 0|settle_seconds = 0\ndatabase = $TEST_TMP/small/lotsync.db|" "$C"
# No target: this test is about the database, not the deviation lock.
sed -i "/^\[target:local\]/,\$d" "$C"
L() { "$LOTSYNC" -c "$C" "$@"; }
IN=spool/incoming/acme
mkdir -p "$IN"
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 300 --seed 51 --out "$IN/a.csv"
expect_rc 0 "first snapshot fits" L --now 2026-11-20T08:00:00Z run
before=$(sqlite3 small/lotsync.db "select count(*) || '/' || (select count(*) from versions) from snapshots")
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --from "$IN/../../archive/acme/$(ls spool/archive/acme)" \
	--new-pct 3000 --vanish-pct 0 --seed 52 --out b.csv
cp b.csv "$IN/b.csv"
expect_rc 74 "disk full while storing the second snapshot" L --now 2026-11-21T08:00:00Z run
expect_grep "full" "$TEST_TMP/err" "the error says the disk is full"
expect_eq "$(sqlite3 small/lotsync.db "select count(*) || '/' || (select count(*) from versions) from snapshots")" "$before" "database unchanged"
expect_eq "$(sqlite3 small/lotsync.db 'pragma integrity_check')" "ok" "database intact"
test -f spool/work/acme/b.csv && pass "the claimed file waits in work/" || fail "b.csv lost from work/"
mount -o remount,size=64m "$TEST_TMP/small"
expect_rc 0 "with room again the next run applies it" L --now 2026-11-21T09:00:00Z run
expect_eq "$(sqlite3 small/lotsync.db "select state || ':' || new from snapshots where id = 2")" "applied:9000" "second snapshot applied once"
expect_rc 0 "verify" L verify
finish
