#!/bin/sh
# e2e: SPEC §6 track_stock_client (3d: a stock change on day 2 followed, on
# day 4 not; never: kept and logged), a dealer moving a VIN to another
# dealer (client change), and ignore_if_vin_exists with ignore_days = 30
# (VIN back 10 days after its SR: no new SR; back after 40 days: new SR).
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
mkdir -p conf
{
	conf_head
	# runs days apart on purpose: no clock-jump hold (t6201 tests it)
	echo 'max_clock_jump = never'
	drop_feed t3 "track_stock_client = 3d"
	drop_feed tnev
	drop_feed ign "auto_close = immediately"
	cat <<'CONF'
[client:one]
dealer_id = D1
name = One

[client:two]
dealer_id = D2
name = Two

; For feed ign only: wins over [client:one] there.
[client:ign-one]
feed = ign
dealer_id = D1
name = One (ign)
ignore_if_vin_exists = yes
ignore_days = 30
CONF
} >conf/lotsync.conf
chmod 600 conf/lotsync.conf
C="$TEST_TMP/conf/lotsync.conf"

# csv FEED DAY DEALER/VIN/STOCK...: the feed's file of that day.
csv() {
	_f=$1 _day=$2
	shift 2
	mkdir -p "spool/incoming/$_f"
	{
		echo "DealerID,VIN,StockNo,Type,Trim"
		for v in "$@"; do printf '%s,N,day%s\n' "$(echo "$v" | tr / ,)" "$_day"; done
	} >"spool/incoming/$_f/day$_day.csv"
}

# run_on DAY: a cron run at 2026-04-01 + DAY days.
run_on() {
	expect_rc 0 "run on day $1" "$LOTSYNC" -c "$C" --now "$(date -u -d "2026-04-01 +$1 days" +%Y-%m-%dT%H:%M:%SZ)" run
	expect_eq "$(cat "$TEST_TMP/err")" "" "run on day $1: nothing on stderr"
}

# sr FEED VIN FIELD...: fields of the feed's newest SR of VIN.
sr() {
	"$LOTSYNC" -c "$C" --json srs --feed "$1" >"$TEST_TMP/srs.json" || fail "srs --json"
	_q=$(echo "$3" | sed "s/[a-z_][a-z_]*/s['&']/g")
	json "[($_q) for s in j if s['vin'] == '$2'][-1]" "$TEST_TMP/srs.json"
}

csv t3 0 D1/000000000000000VA/S1 D1/000000000000000VM/M1
csv tnev 0 D1/000000000000000VA/S1 D1/000000000000000VM/M1
csv ign 0 D1/000000000000000VK/I1 D1/000000000000000VJ/J1
run_on 0
expect_eq "$(sr ign 000000000000000VK client)" "One (ign)" "a feed-specific [client:] mapping wins"
csv t3 1 D1/000000000000000VA/S1 D2/000000000000000VM/M1 # 000000000000000VM moves to dealer D2 (client Two)
csv tnev 1 D1/000000000000000VA/S1 D2/000000000000000VM/M1
csv ign 1 D1/000000000000000VJ/J1 # 000000000000000VK absent: its SR closes at once
run_on 1
expect_eq "$(sr t3 000000000000000VM client,dealer_id)" "('Two', 'D2')" "track 3d: the client change is followed"
expect_eq "$(sr tnev 000000000000000VM client,dealer_id)" "('One', 'D1')" "never: the SR keeps its client"
expect_eq "$(sr ign 000000000000000VK status)" "closed" "ign: 000000000000000VK's SR closed when it vanished"
csv t3 2 D1/000000000000000VA/S2 D2/000000000000000VM/M1 # stock change on day 2
csv tnev 2 D1/000000000000000VA/S2 D2/000000000000000VM/M1
run_on 2
expect_eq "$(sr t3 000000000000000VA stock_no)" "S2" "track 3d: stock change on day 2 followed"
expect_eq "$(sr tnev 000000000000000VA stock_no)" "S1" "never: stock change not followed"
csv t3 4 D1/000000000000000VA/S3 D2/000000000000000VM/M1 # stock change on day 4
run_on 4
expect_eq "$(sr t3 000000000000000VA stock_no)" "S2" "track 3d: stock change on day 4 not followed"
csv ign 10 D1/000000000000000VK/I1 D1/000000000000000VJ/J1 # 000000000000000VK back 10 days after its SR
run_on 10
"$LOTSYNC" -c "$C" --json srs --feed ign >"$TEST_TMP/srs.json"
expect_eq "$(json "len([s for s in j if s['vin'] == '000000000000000VK'])" "$TEST_TMP/srs.json")" "1" \
	"ignore_days 30: 000000000000000VK back after 10 days gets no new SR"
csv ign 11 D1/000000000000000VJ/J1
run_on 11
csv ign 40 D1/000000000000000VK/I1 D1/000000000000000VJ/J1 # back 40 days after its SR
run_on 40
"$LOTSYNC" -c "$C" --json srs --feed ign >"$TEST_TMP/srs.json"
expect_eq "$(json "[(s['status'], s['created_at']) for s in j if s['vin'] == '000000000000000VK']" "$TEST_TMP/srs.json")" \
	"[('closed', '2026-04-01T00:00:00Z'), ('open', '2026-05-11T00:00:00Z')]" \
	"ignore_days 30: 000000000000000VK back after 40 days gets a new SR"

# Every decision, with its reason, in the history.
expect_rc 0 "history --json 000000000000000VA" "$LOTSYNC" -c "$C" --json history 000000000000000VA
cp "$TEST_TMP/out" "$TEST_TMP/va.json"
# (Trim = day in every file, so versions change daily: look at the decisions.)
expect_eq "$(json "[e['event'] for e in j if 'feed t3,' in e['detail'] and ' SR ' in e['detail']]" "$TEST_TMP/va.json")" \
	"['created', 'updated', 'not updated']" "decisions about 000000000000000VA in t3"
expect_grep "stock_no S1 -> S2: track_stock_client = 3d and the SR was created 2 days ago" "$TEST_TMP/va.json" \
	"updated: says the rule and the age"
expect_grep "stock_no S2 -> S3 in the file; the SR keeps its values: it was created 4 days ago, track_stock_client = 3d" \
	"$TEST_TMP/va.json" "not updated: says why"
expect_grep "feed tnev, key 000000000000000VA, SR [0-9]*: stock_no S1 -> S2 in the file; the SR keeps its values: track_stock_client = never" \
	"$TEST_TMP/va.json" "never: the difference is logged"
expect_rc 0 "history 000000000000000VM" "$LOTSYNC" -c "$C" history 000000000000000VM
expect_grep "updated .*client One -> Two (dealer D1 -> D2): track_stock_client = 3d" "$TEST_TMP/out" \
	"client change: updated, with dealers"
expect_rc 0 "history --json 000000000000000VK" "$LOTSYNC" -c "$C" --json history 000000000000000VK
cp "$TEST_TMP/out" "$TEST_TMP/vi.json"
expect_eq "$(json "[e['event'] for e in j if e['event'] not in ('appeared', 'vanished', 'changed')]" "$TEST_TMP/vi.json")" \
	"['created', 'closed', 'ignored', 'created']" "history of 000000000000000VK: created, closed, ignored, created"
sr1=$(json "[s['id'] for s in j if s['vin'] == '000000000000000VK'][0]" "$TEST_TMP/srs.json")
expect_grep "ignore_if_vin_exists of \[client:ign-one\]: SR $sr1 (feed ign, closed) was created 2026-04-01T00:00:00Z, 10 days ago (ignore_days = 30)" \
	"$TEST_TMP/vi.json" "ignored: names the SR it defers to and the days"
finish
