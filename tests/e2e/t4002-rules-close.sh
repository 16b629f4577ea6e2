#!/bin/sh
# e2e: SPEC §6 auto_close over several days with --now (no sleeping):
# 3d (created 4 days ago and absent -> closed; created 2 days ago -> open;
# absent days 1-2, back on day 2.5, absent from day 3 -> closes at day 5.5,
# on a run without a new file), immediately, never; the decisions in
# `history`; replaying the same files at the same clock gives the same SRs.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1

# setup DIR: three feeds that differ only in auto_close; dealer D1 is client One.
setup() {
	mkdir -p "$1/conf"
	{
		conf_head
		# runs days apart on purpose: no clock-jump hold (t6201 tests it)
		echo 'max_clock_jump = never'
		drop_feed f3 "auto_close = 3d"
		drop_feed fimm "auto_close = immediately"
		drop_feed fnev "auto_close = never"
		cat <<'CONF'
[client:one]
dealer_id = D1
name = One
sr_type = Recon
CONF
	} >"$1/conf/lotsync.conf"
	chmod 600 "$1/conf/lotsync.conf"
}

# csv DIR FEED DAY VIN...: the feed's file of that day (Trim = day keeps files distinct).
csv() {
	_d=$1 _f=$2 _day=$3
	shift 3
	mkdir -p "$_d/spool/incoming/$_f"
	{
		echo "DealerID,VIN,StockNo,Type,Trim"
		for v in "$@"; do echo "D1,$v,S-$v,N,day$_day"; done
	} >"$_d/spool/incoming/$_f/day$_day.csv"
}

# run DIR DAY-TIME: one cron run at 2026-03-0DAY-TIME; it must succeed silently.
run_at() {
	expect_rc 0 "run at $2" "$LOTSYNC" -c "$1/conf/lotsync.conf" --now "2026-03-$2Z" run
	expect_eq "$(cat "$TEST_TMP/out" "$TEST_TMP/err")" "" "run at $2 is silent"
}

# timeline DIR: the SPEC §6 examples, day by day.
timeline() {
	csv "$1" f3 0 000000000000000VA 000000000000000VB 000000000000000VC 000000000000000VD
	csv "$1" fimm 0 000000000000000VA
	csv "$1" fnev 0 000000000000000VA
	run_at "$1" 01T00:00:00
	csv "$1" f3 1 000000000000000VA 000000000000000VC 000000000000000VD # 000000000000000VB absent on days 1-2
	csv "$1" fimm 1 000000000000000VZ     # 000000000000000VA absent: closes at once
	csv "$1" fnev 1 000000000000000VZ     # 000000000000000VA absent: stays open
	run_at "$1" 02T00:00:00
	csv "$1" f3 2 000000000000000VA 000000000000000VD # 000000000000000VC absent, its SR created 2 days ago
	run_at "$1" 03T00:00:00
	srs_at "$1" day2
	csv "$1" f3 25 000000000000000VA 000000000000000VB 000000000000000VD # 000000000000000VB back on day 2.5
	run_at "$1" 03T12:00:00
	csv "$1" f3 3 000000000000000VA 000000000000000VD # 000000000000000VB absent from day 3; 000000000000000VC's 3 days are up
	run_at "$1" 04T00:00:00
	srs_at "$1" day3
	csv "$1" f3 4 000000000000000VA # 000000000000000VD absent, created 4 days ago
	run_at "$1" 05T00:00:00
	srs_at "$1" day4
	run_at "$1" 06T00:00:00 # day 5, no file
	srs_at "$1" day5
	run_at "$1" 06T12:00:00 # day 5.5, no file
	srs_at "$1" day55
	run_at "$1" 31T00:00:00 # much later: never stays open
	srs_at "$1" day30
}

srs_at() {
	"$LOTSYNC" -c "$1/conf/lotsync.conf" --json srs >"$1/srs-$2.json" || fail "srs --json ($2)"
}

# st WHEN FEED VIN: status and closed_at of the feed's newest SR of VIN.
st() {
	json "[(s['status'], s['closed_at']) for s in j if s['feed'] == '$2' and s['vin'] == '$3'][-1]" \
		"$TEST_TMP/a/srs-$1.json"
}

setup "$TEST_TMP/a"
timeline "$TEST_TMP/a"
A="$TEST_TMP/a/conf/lotsync.conf"

# 3d: created 2 days ago and absent -> open; at exactly 3 days -> closed.
expect_eq "$(st day2 f3 000000000000000VC)" "('open', None)" "3d: absent, created 2 days ago: open"
expect_eq "$(st day3 f3 000000000000000VC)" "('closed', '2026-03-04T00:00:00Z')" "3d: closed at exactly 3 x 24 h"
# 3d: created 4 days ago and absent -> closed now.
expect_eq "$(st day3 f3 000000000000000VD)" "('open', None)" "3d: 000000000000000VD present on day 3"
expect_eq "$(st day4 f3 000000000000000VD)" "('closed', '2026-03-05T00:00:00Z')" "3d: created 4 days ago, absent: closed"
# 3d: absent 1-2, back 2.5, absent from 3 -> no earlier than 5.5 (a run without a file).
expect_eq "$(st day3 f3 000000000000000VB)" "('open', None)" "3d: 000000000000000VB back on 2.5 restarted its clock"
expect_eq "$(st day5 f3 000000000000000VB)" "('open', None)" "3d: 000000000000000VB still open on day 5"
expect_eq "$(st day55 f3 000000000000000VB)" "('closed', '2026-03-06T12:00:00Z')" "3d: 000000000000000VB closed on day 5.5"
expect_eq "$(json "len([s for s in j if s['vin'] == '000000000000000VB'])" "$TEST_TMP/a/srs-day55.json")" "1" \
	"reappearance created no second SR"
expect_eq "$(st day30 f3 000000000000000VA)" "('open', None)" "present vehicle keeps its SR open"
# immediately and never.
expect_eq "$(st day2 fimm 000000000000000VA)" "('closed', '2026-03-02T00:00:00Z')" "immediately: closed on the first absent snapshot"
expect_eq "$(st day30 fnev 000000000000000VA)" "('open', None)" "never: open 30 days later"

# The decisions are in the vehicle's history, in order, with the versions.
expect_rc 0 "history --json 000000000000000VB" "$LOTSYNC" -c "$A" --json history 000000000000000vb
cp "$TEST_TMP/out" "$TEST_TMP/hist.json"
expect_eq "$(json "[e['event'] for e in j if e.get('feed') == 'f3' or e['detail'].startswith('feed f3,')]" "$TEST_TMP/hist.json")" \
	"['appeared', 'created', 'vanished', 'close postponed', 'appeared', 'clock restarted', 'vanished', 'close postponed', 'closed']" \
	"history of 000000000000000VB: versions and decisions in order"
expect_eq "$(json "all({'at', 'detail', 'event', 'snapshot'} <= set(e) for e in j)" "$TEST_TMP/hist.json")" "True" \
	"history JSON keys (at, snapshot, event, detail on every entry)"
expect_eq "$(json "[e['detail'] for e in j if e['event'] == 'close postponed'][-1].split(': ', 1)[1]" "$TEST_TMP/hist.json")" \
	"absent since 2026-03-04T00:00:00Z; auto_close = 3d: closes no earlier than 2026-03-06T12:00:00Z (the clock started 2026-03-03T12:00:00Z)" \
	"close postponed says when and why"
expect_grep "auto_close = 3d: absent since 2026-03-04T00:00:00Z, clock started 2026-03-03T12:00:00Z" \
	"$TEST_TMP/a/srs-day55.json" "close_reason says which rule and how many days"
expect_rc 0 "history (text) 000000000000000VA" "$LOTSYNC" -c "$A" history 000000000000000VA
expect_grep "left open .*auto_close = never" "$TEST_TMP/out" "never: the decision is in the history"
expect_rc 0 "srs --closed --feed f3" "$LOTSYNC" -c "$A" --json srs --closed --feed f3
expect_eq "$(json "sorted(s['vin'] for s in j)" "$TEST_TMP/out")" "['000000000000000VB', '000000000000000VC', '000000000000000VD']" "srs --closed --feed f3"
expect_rc 0 "srs --open" "$LOTSYNC" -c "$A" --json srs --open
expect_eq "$(json "sorted((s['feed'], s['vin']) for s in j)" "$TEST_TMP/out")" \
	"[('f3', '000000000000000VA'), ('fimm', '000000000000000VZ'), ('fnev', '000000000000000VA'), ('fnev', '000000000000000VZ')]" "srs --open"
expect_eq "$(json "sorted(j[0].keys())" "$TEST_TMP/out")" \
	"['client', 'close_reason', 'closed_at', 'created_at', 'dealer_id', 'feed', 'id', 'sr_type', 'status', 'stock_no', 'vehicle_type', 'vin']" \
	"srs JSON keys (SPEC §5)"
expect_rc 64 "srs --open --closed is a usage error" "$LOTSYNC" -c "$A" srs --open --closed
expect_rc 64 "srs --feed of an unknown feed" "$LOTSYNC" -c "$A" srs --feed nosuch
expect_rc 0 "status --json" "$LOTSYNC" -c "$A" --json status
expect_eq "$(json "j['open_srs']" "$TEST_TMP/out")" "4" "status counts open SRs"

# Events are append-only; a closed SR is frozen.
DB="$TEST_TMP/a/spool/lotsync.db"
sqlite3 "$DB" "UPDATE sr_events SET detail = 'x'" 2>/dev/null && fail "sr_events UPDATE allowed" || pass "sr_events refuses UPDATE"
sqlite3 "$DB" "DELETE FROM sr_events" 2>/dev/null && fail "sr_events DELETE allowed" || pass "sr_events refuses DELETE"
sqlite3 "$DB" "UPDATE srs SET status = 'open', closed_at = NULL WHERE status = 'closed'" 2>/dev/null &&
	fail "a closed SR was reopened" || pass "a closed SR cannot change"

# Replaying the same files in the same order at the same clock: the same SRs and decisions.
setup "$TEST_TMP/b"
timeline "$TEST_TMP/b" >/dev/null
dumpdb() { sqlite3 "$1/spool/lotsync.db" "SELECT * FROM srs ORDER BY id; SELECT * FROM sr_events ORDER BY id"; }
dumpdb "$TEST_TMP/a" >"$TEST_TMP/a.dump"
dumpdb "$TEST_TMP/b" >"$TEST_TMP/b.dump"
[ "$(wc -l <"$TEST_TMP/a.dump")" -gt 20 ] && cmp -s "$TEST_TMP/a.dump" "$TEST_TMP/b.dump" &&
	pass "replay gives the same SRs and events" || fail "replay differs: $(diff "$TEST_TMP/a.dump" "$TEST_TMP/b.dump" | head -5)"
finish
