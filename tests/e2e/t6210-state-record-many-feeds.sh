#!/bin/sh
# e2e (issue 16, the 2,000-feed run): the state record is rewritten after
# each commit while the next feed's spool steps are staged on a thread of
# their own. After a run of 20 feeds the record names the newest snapshot
# and the chain head. When its fsync fails (the fault shim, from the 5th
# rewrite on) the run still applies every feed, exits 74 and says why; the
# record is left behind the database, which the next run accepts, and its
# first commit rewrites it to the head again.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
q() { sqlite3 "$DB" "$1"; }
DB=$TEST_TMP/spool/lotsync.db
G=$SRCDIR/scripts/mkfeed.py
feeds() {
	i=0
	while [ $i -lt 20 ]; do
		printf 'f%02d ' $i
		i=$((i + 1))
	done
}
{
	conf_head
	for f in $(feeds); do drop_feed "$f"; done
} | conf_write "$TEST_TMP"
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
seed=100
for f in $(feeds); do
	mkdir -p "spool/incoming/$f"
	/usr/bin/python3 "$G" --vehicles 12 --seed $seed --out "spool/incoming/$f/inv.csv"
	seed=$((seed + 1))
done
expect_rc 0 "20 feeds in one run" L --now 2026-11-20T07:00:00Z ingest
expect_eq "$(q "select count(*) from snapshots where state = 'applied'")" 20 "every feed applied"
expect_grep "^snapshot $(q "select max(id) from snapshots")$" spool/lotsync.state \
	"the record names the newest snapshot"
expect_grep "^chain_link $(q "select link from audit_chain order by id desc limit 1")$" \
	spool/lotsync.state "the record holds the chain head"
ls -a spool | grep -q '^\.tmp-' && fail "a temporary record was left" || pass "no temporary record left"

# The 5th rewrite's fsync and every later one fail
for f in $(feeds); do
	/usr/bin/python3 "$G" --from "spool/incoming/../archive/$f/$(ls "spool/archive/$f" | head -n 1)" \
		--change-pct 50 --seed $seed --out "spool/incoming/$f/inv2.csv"
	seed=$((seed + 1))
done
# shellcheck disable=SC2046 # fault_env prints words for env
expect_rc 74 "the record's fsync fails: exit 74" \
	env $(fault_env fsync lotsync.state 5 persist) "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" \
	--now 2026-11-20T08:00:00Z ingest
expect_grep "the state record could not be written" "$TEST_TMP/err" "the run says why"
expect_eq "$(q "select count(*) from snapshots where state = 'applied'")" 40 \
	"every feed of the run still applied"
rec=$(sed -n 's/^snapshot //p' spool/lotsync.state)
[ "$rec" -lt 40 ] && pass "the record is behind the database (snapshot $rec)" ||
	fail "the record says snapshot $rec after a failed rewrite"

/usr/bin/python3 "$G" --from spool/incoming/../archive/f00/"$(ls spool/archive/f00 | head -n 1)" \
	--change-pct 50 --seed 999 --out spool/incoming/f00/inv3.csv
expect_rc 0 "the next run accepts a record behind the database" L --now 2026-11-20T09:00:00Z ingest
expect_grep "^snapshot 41$" spool/lotsync.state "its commit rewrote the record to the head"
expect_rc 0 "verify" L verify
finish
