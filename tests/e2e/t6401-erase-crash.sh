#!/bin/sh
# e2e: crash convergence of lotsync erase-person. kill -9 at each durable
# step (the plan committed, each file rewritten, the erasure committed) of
# erasing Carsys driver P1, whose data is in three archived files, a
# quarantined copy and queued and delivered exports; after each crash,
# erase-person again must finish the job: the same versions, audit chain,
# erasure journal and spool files as an uninterrupted erasure, none of
# P1's values left, integrity_check and verify ok.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
FX=$SRCDIR/tests/fixtures/workorders

mkdir -p base/conf base/spool/incoming/carsys remote
cat >base/conf/lotsync.conf <<CONF
[lotsync]
spool = ../spool
settle_seconds = 0

[feed:carsys]
kind = workorder
source = drop
profile = carsys-xml

[target:planner]
kind = workorder
url = file://$TEST_TMP/remote/
format = workorder-jsonl
feeds = carsys
mode = delta
CONF
chmod 600 base/conf/lotsync.conf
LB() { "$LOTSYNC" -c base/conf/lotsync.conf "$@" >/dev/null 2>&1; }
cp "$FX/carsys/1-morning.xml" base/spool/incoming/carsys/
LB --now 2026-12-01T08:20:00Z run || fail "day 1 run"
cp "$FX/erase/carsys-callback.xml" base/spool/incoming/carsys/2-callback.xml
head -c 2400 "$FX/carsys/1-morning.xml" >base/spool/incoming/carsys/3-cut.xml
touch -d '2026-01-01 00:00:00' base/spool/incoming/carsys/2-callback.xml
touch -d '2026-01-01 00:00:01' base/spool/incoming/carsys/3-cut.xml
LB --now 2026-12-02T09:00:00Z ingest
LB --now 2026-12-02T09:00:00Z export

NOW=2026-12-03T08:00:00Z
L() { "$LOTSYNC" -c "$1/conf/lotsync.conf" --now "$2" erase-person carsys P1 >/dev/null 2>&1; }
setup() { rm -rf "$1" && cp -a base "$1"; }
fingerprint() {
	db=$1/spool/lotsync.db
	{
		sqlite3 -cmd "$SQL_JSON" "$db" "select id, kind, key, hash, lotsync_json(data) from versions order by id"
		sqlite3 "$db" "select kind, snapshot_id, at, manifest from audit_chain order by id"
		sqlite3 "$db" "select id, feed, person, state, at, chain_id from erasures order by id"
		sqlite3 "$db" "select * from erasure_files order by rowid"
		(cd "$1/spool" && find archive failed outbox sent -type f -exec sha256sum {} + | sort -k2)
		grep -r -a -c -F -e Dorpsstraat -e 0612345678 -e jan@example.nl -e j.jansen@mail.example "$1/spool" |
			grep -v ':0$' | sed "s|^$1/||"
	} 2>&1
}

setup ref
expect_rc 0 "reference erasure" "$LOTSYNC" -c ref/conf/lotsync.conf --now "$NOW" erase-person carsys P1
sqlite3 ref/spool/lotsync.db "pragma wal_checkpoint(truncate)" >/dev/null
fingerprint ref >ref.txt
expect_eq "$(grep -c -e Dorpsstraat -e 0612345678 ref.txt)" 0 "reference: none of P1's values left"
expect_eq "$(sqlite3 ref/spool/lotsync.db "select count(*) from erasure_files")" 6 \
	"reference: 3 archived files, 1 quarantined copy, a queued and a sent export rewritten"

setup count
LOTSYNC_CRASH_LIST=1 "$LOTSYNC" -c count/conf/lotsync.conf --now "$NOW" erase-person carsys P1 >/dev/null 2>points.txt
n=$(grep -c '^crash point' points.txt)
expect_eq "$(sed -n 's/^crash point [0-9]*: //p' points.txt | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')" \
	"erase:committedx1 erase:plannedx1 erase:rewrittenx6 " "the durable steps: plan, 6 rewrites, commit"

crash_converge "$n" "$NOW" setup erase-person carsys P1

# Between a crash and the rerun, status and verify say what is unfinished.
setup half
LOTSYNC_CRASH_AT=erase:rewritten "$LOTSYNC" -c half/conf/lotsync.conf --now "$NOW" erase-person carsys P1 >/dev/null 2>&1
expect_rc 3 "status: an unfinished erasure awaits an operator" "$LOTSYNC" -c half/conf/lotsync.conf status
expect_grep "ERASURE 1 of person P1 in feed carsys not finished: run 'lotsync erase-person carsys P1' again" \
	out "status names it and the command that finishes it"
expect_rc 3 "status --json too" "$LOTSYNC" -c half/conf/lotsync.conf --json status
expect_grep '"erasure_pending":{"id":1,"feed":"carsys","person":"P1"}' out "status --json: erasure_pending"
expect_rc 65 "verify fails while it is unfinished" "$LOTSYNC" -c half/conf/lotsync.conf verify
expect_grep "erasure 1 (person P1 of feed carsys) is not finished" err "verify names it"
expect_rc 3 "another person's erasure waits for it" "$LOTSYNC" -c half/conf/lotsync.conf --now "$NOW" erase-person carsys P2
# Some files are rewritten, not all: the queued export may still hold P1's
# data, so a cron run in between delivers nothing of the feed's targets.
(cd half/spool && find outbox sent -type f | sort) >queued.before
ls -l remote >remote.before
expect_rc 3 "a run in between holds the feed's targets" "$LOTSYNC" -c half/conf/lotsync.conf --now "$NOW" run
expect_grep "target planner: not exported or delivered: erasure 1 of person P1 in feed carsys is not finished" \
	err "the run names the target and the erasure"
ls -l remote >remote.after
expect_eq "$(cmp -s remote.before remote.after && echo same)" same "nothing reached the receiver"
expect_eq "$( (cd half/spool && find outbox sent -type f | sort) | cmp -s - queued.before && echo same)" same \
	"the queued export waits in the outbox"
expect_rc 3 "so does deliver" "$LOTSYNC" -c half/conf/lotsync.conf --now "$NOW" deliver
expect_rc 3 "and export" "$LOTSYNC" -c half/conf/lotsync.conf --now "$NOW" export --full
ls -l remote >remote.after
expect_eq "$(cmp -s remote.before remote.after && echo same)" same "still nothing reached the receiver"
expect_rc 0 "the rerun finishes it" "$LOTSYNC" -c half/conf/lotsync.conf --now "$NOW" erase-person carsys P1
expect_rc 0 "and the next run delivers" "$LOTSYNC" -c half/conf/lotsync.conf --now "$NOW" run
expect_eq "$(ls remote | grep -c 'T090000Z-2')" 1 "the erased queued export reached the receiver"
expect_eq "$(cat remote/*T090000Z-2* | grep -c -e Dorpsstraat -e 0612345678)" 0 "without P1's values (the earlier delivery is the receiver's own)"
expect_rc 0 "status is clear again" "$LOTSYNC" -c half/conf/lotsync.conf status
expect_rc 0 "verify passes" "$LOTSYNC" -c half/conf/lotsync.conf verify
finish
