#!/bin/sh
# e2e: crash convergence for work orders. kill -9 at every durable step of a
# run that ingests two Carsys upsert files (an updated intervention, then a
# cancelation and a delete entry) and one Autoflex full file; after each
# crash a rerun must reach exactly the state of an uninterrupted run: the
# same snapshots, work-order and person versions, audit chain and spool
# files, integrity_check and verify ok, no temporary files.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
FX=$SRCDIR/tests/fixtures/workorders

mkdir -p base/spool/incoming/carsys base/spool/incoming/autoflex
{
	conf_head
	wo_feed carsys carsys-xml
	wo_feed autoflex autoflex-csv
} | conf_write base
L() { "$LOTSYNC" -c "$1/conf/lotsync.conf" --now "$2" run >/dev/null 2>&1; }
cp "$FX/carsys/1-morning.xml" base/spool/incoming/carsys/
cp "$FX/autoflex/day1.csv" base/spool/incoming/autoflex/
L base 2026-12-01T08:20:00Z || fail "base run"

setup() { # DIR: a copy of the base state with the next inputs dropped
	rm -rf "$1"
	cp -a base "$1"
	cp "$FX/carsys/2-noon.xml" "$FX/carsys/3-evening.xml" "$1/spool/incoming/carsys/"
	cp "$FX/autoflex/day3.csv" "$1/spool/incoming/autoflex/"
	touch -d '2026-01-01 00:00:00' "$1/spool/incoming/carsys/2-noon.xml"
	touch -d '2026-01-01 00:00:01' "$1/spool/incoming/carsys/3-evening.xml"
}
fingerprint() {
	db=$1/spool/lotsync.db
	{
		sqlite3 "$db" "select id, feed, state, coalesce(seq,''), sha256, file, vehicles, new, changed, vanished from snapshots order by id"
		sqlite3 "$db" "select feed, kind, key, hash, from_seq, coalesce(to_seq,''), snapshot_id from versions order by feed, key, from_seq"
		sqlite3 "$db" "select snapshot_id, code, line, message from snapshot_warnings order by snapshot_id, line"
		sqlite3 "$db" "select kind, snapshot_id, manifest from audit_chain order by id"
		(cd "$1" && find spool/archive spool/incoming spool/work spool/failed -type f | sort)
	} 2>&1
}

setup ref
expect_rc 0 "reference run" "$LOTSYNC" -c ref/conf/lotsync.conf --now 2026-12-03T08:00:00Z run
fingerprint ref >ref.txt
db=ref/spool/lotsync.db
expect_eq "$(sqlite3 "$db" "select group_concat(feed || ':' || file || ':' || state, ' ') from (select * from snapshots order by id)")" \
	"carsys:1-morning.xml:applied autoflex:day1.csv:applied carsys:2-noon.xml:applied carsys:3-evening.xml:applied autoflex:day3.csv:applied" \
	"reference: every file applied in order"
expect_eq "$(sqlite3 "$db" "select group_concat(key, ' ') from (select key from versions where kind = 'workorder' and to_seq is null order by key)")" \
	"12345/WO-2026-0042 12345/WO-2026-0043 700/A-1002 700/A-1003 700/A-1004" "reference: the current work orders"

setup count
LOTSYNC_CRASH_LIST=1 "$LOTSYNC" -c count/conf/lotsync.conf --now 2026-12-03T08:00:00Z run >/dev/null 2>points.txt
n=$(grep -c '^crash point' points.txt)
[ "$n" -ge 12 ] && pass "$n crash points reached in one run" || fail "only $n crash points: $(cat points.txt)"

crash_converge "$n" 2026-12-03T08:00:00Z setup
finish
