#!/bin/sh
# e2e (issue 5): kill -9 at every durable step of a run (LOTSYNC_CRASH_AT=N,
# looped over every crash point the run reaches); after each crash, a rerun
# must converge to exactly the state of an uninterrupted run: same
# snapshots, versions, quarantine, exports and delivered files, nothing
# applied twice, PRAGMA integrity_check ok, verify ok, no temporary files.
# Fault matrix: matrix row 3 (kill -9 during the commit; with t6803).
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
G=$SRCDIR/scripts/mkfeed.py

# The starting state: one applied snapshot and one delivered export.
make_conf "$TEST_TMP/base"
C0="$TEST_TMP/base/conf/lotsync.conf"
sed -i "s|file://$TEST_TMP/base/|file://@ROOT@/|" "$C0"
/usr/bin/python3 "$G" --vehicles 300 --seed 41 --out day1.csv
/usr/bin/python3 "$G" --from day1.csv --seed 42 --out day2.csv
printf 'DealerID,VIN,StockNo\nD1,"VINX,1\n' >bad.csv

setup() { # DIR: a copy of the base state with the next inputs dropped
	rm -rf "$1"
	cp -a "$TEST_TMP/base" "$1"
	sed -i "s|@ROOT@|$TEST_TMP/$1|" "$1/conf/lotsync.conf"
}
L() { "$LOTSYNC" -c "$1/conf/lotsync.conf" --now "$2" run >/dev/null 2>&1; }
drop() {
	mkdir -p "$1/spool/incoming/acme"
	cp day2.csv "$1/spool/incoming/acme/b-day2.csv"
	cp bad.csv "$1/spool/incoming/acme/a-bad.csv"
	cp day1.csv "$1/spool/incoming/acme/c-day1-again.csv"
	touch -d '2026-01-01 00:00:00' "$1"/spool/incoming/acme/*
}
# The state that must match, with nothing that legitimately differs (run ids, wall times).
fingerprint() {
	db=$1/spool/lotsync.db
	{
		sqlite3 "$db" "select id, feed, state, coalesce(seq,''), sha256, file, vehicles, new, changed, vanished, rejected_rows, coalesce(hold_reason,'') from snapshots order by id"
		sqlite3 "$db" "select feed, key, hash, from_seq, coalesce(to_seq,''), snapshot_id from versions order by feed, key, from_seq"
		sqlite3 "$db" "select feed, file, sha256, reason from quarantine order by id"
		sqlite3 "$db" "select target, file, sha256, vehicles, state from exports order by id"
		sqlite3 "$db" "select count(*) from deliveries where result = 'delivered'"
		sqlite3 "$db" "select kind, snapshot_id, manifest from audit_chain order by id"
		(cd "$1" && find outbox-remote spool/sent spool/failed spool/archive spool/outbox spool/incoming spool/work -type f | sort)
	} 2>&1 | sed "s|$TEST_TMP/[a-z0-9]*/|DIR/|g"
}

mkdir -p "$TEST_TMP/base/spool/incoming/acme"
cp day1.csv "$TEST_TMP/base/spool/incoming/acme/"
sed -i "s|@ROOT@|$TEST_TMP/base|" "$C0"
L "$TEST_TMP/base" 2026-11-20T08:00:00Z || fail "base run"
sed -i "s|file://$TEST_TMP/base/|file://@ROOT@/|" "$C0"

# Reference: the same inputs without a crash.
setup ref
drop ref
expect_rc 65 "reference run (a-bad.csv quarantined)" "$LOTSYNC" -c ref/conf/lotsync.conf --now 2026-11-21T08:00:00Z run
fingerprint ref >ref.txt
# What the reference must be, so that converging to it means something:
# day 2 applied as seq 2, day 1 again applied as seq 3 (a resend of an older
# snapshot is applied, only one equal to the newest is a duplicate), the bad
# file quarantined, both exports delivered.
db=ref/spool/lotsync.db
expect_eq "$(sqlite3 "$db" "select group_concat(file || ':' || state || ':' || coalesce(seq, '-'), ' ') from (select * from snapshots order by id)")" \
	"day1.csv:applied:1 b-day2.csv:applied:2 c-day1-again.csv:applied:3" "reference: day 2 applied, day 1 again applied"
expect_eq "$(sqlite3 "$db" "select file from quarantine")" "a-bad.csv" "reference: the bad file quarantined"
expect_eq "$(sqlite3 "$db" "select count(*) from versions where snapshot_id = 2")" \
	"$(sqlite3 "$db" "select new + changed from snapshots where id = 2")" "reference: day 2's versions stored"
expect_eq "$(sqlite3 "$db" "select group_concat(file || ':' || state, ' ') from (select * from exports order by id)")" \
	"local-20261120T080000Z-1.csv:delivered local-20261121T080000Z-2.csv:delivered" "reference: day 2's export delivered"
cmp -s ref/outbox-remote/local-20261121T080000Z-2.csv ref/spool/sent/local/local-20261121T080000Z-2.csv &&
	pass "reference: the delivered file is the export" || fail "reference: delivered file differs"
setup count
drop count
LOTSYNC_CRASH_LIST=1 "$LOTSYNC" -c count/conf/lotsync.conf --now 2026-11-21T08:00:00Z run >/dev/null 2>points.txt
n=$(grep -c '^crash point' points.txt)
[ "$n" -ge 8 ] && pass "$n crash points reached in one run" || fail "only $n crash points: $(cat points.txt)"

prep() { setup "$1" && drop "$1"; }
crash_converge "$n" 2026-11-21T08:00:00Z prep
finish
