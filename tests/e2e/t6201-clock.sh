#!/bin/sh
# e2e (issue 12, item 5; fault matrix row 15, clock backwards or forwards):
#  - a run whose clock (--now or real) is earlier than the newest recorded
#    run is refused with exit 78, naming both times; --allow-clock-rewind
#    (or LOTSYNC_ALLOW_CLOCK_REWIND=1) lets a deliberate replay run;
#  - a run more than max_clock_jump (7d) after the newest one warns, and the
#    auto_close = 3d closes the jump made due are held, not taken: status
#    lists them (exit 3) until 'lotsync accept-clock-jump'; the next run then
#    closes them; auto_close = immediately is not held (it counts no days).
. "$SRCDIR/tests/e2e/lib.sh"
unset LOTSYNC_ALLOW_CLOCK_REWIND # lib.sh sets it for the replaying tests
cd "$TEST_TMP" || exit 1
mkdir -p conf spool/incoming/f3 spool/incoming/fimm
cat >conf/lotsync.conf <<'CONF'
[lotsync]
spool = ../spool
settle_seconds = 0

[feed:f3]
source = drop
profile = generic-csv
auto_close = 3d

[feed:fimm]
source = drop
profile = generic-csv
auto_close = immediately

[client:one]
dealer_id = D1
name = One
sr_type = Recon
CONF
chmod 600 conf/lotsync.conf
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
q() { sqlite3 spool/lotsync.db "$1"; }
# csv FEED DAY VIN...: that day's file of the feed.
csv() {
	_f=$1 _day=$2
	shift 2
	{
		echo "DealerID,VIN,StockNo,Type,Trim"
		for v in "$@"; do echo "D1,$v,S-$v,N,day$_day"; done
	} >"spool/incoming/$_f/day$_day.csv"
}
csv f3 1 000000000000000VA 000000000000000VB 000000000000000VC
csv fimm 1 000000000000000VA 000000000000000VB
expect_rc 0 "day 1" L --now 2026-03-01T00:00:00Z run
csv f3 2 000000000000000VA
csv fimm 2 000000000000000VA
expect_rc 0 "day 2: VB and VC absent" L --now 2026-03-02T00:00:00Z run
expect_eq "$(q "select feed || ':' || vin from srs where status = 'closed'")" "fimm:000000000000000VB" \
	"only the immediately feed closed"

# Backwards: refused, both times named, nothing recorded.
runs=$(q "select count(*) from runs")
expect_rc 78 "a clock before the newest run is refused" L --now 2026-02-27T00:00:00Z run
expect_grep "the clock says 2026-02-27T00:00:00Z, earlier than the newest recorded run (2026-03-02T00:00:00Z)" \
	"$TEST_TMP/err" "both times are named"
expect_grep "allow-clock-rewind" "$TEST_TMP/err" "the way out is named"
expect_eq "$(q "select count(*) from runs")" "$runs" "no run recorded"
expect_rc 0 "--allow-clock-rewind: a deliberate replay runs" \
	"$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" --allow-clock-rewind --now 2026-02-27T00:00:00Z ingest
expect_rc 0 "LOTSYNC_ALLOW_CLOCK_REWIND=1 does the same" \
	env LOTSYNC_ALLOW_CLOCK_REWIND=1 "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" --now 2026-02-27T00:00:00Z ingest

# Forward a year: VB and VC are long past 3 days, but the closes are held.
csv fimm 3 000000000000000VC
expect_rc 0 "a year later: the run goes on" L --now 2027-03-02T00:00:00Z run
expect_grep "the clock jumped from 2026-03-02T00:00:00Z (the newest recorded run) to 2027-03-02T00:00:00Z, more than max_clock_jump = 7d" \
	"$TEST_TMP/err" "the jump is warned about"
expect_grep "feed f3: 2 SR(s) due to auto-close held" "$TEST_TMP/err" "the held closes are counted"
expect_eq "$(q "select count(*) from srs where feed = 'f3' and status = 'closed'")" "0" \
	"no 3d close taken"
expect_eq "$(q "select vin from srs where feed = 'fimm' and status = 'closed' order by vin" | tr '\n' ' ')" \
	"000000000000000VA 000000000000000VB " "immediately still closes (VA left the file)"
expect_rc 0 "the next hourly run" L --now 2027-03-02T01:00:00Z run
expect_eq "$(q "select count(*) from srs where feed = 'f3' and status = 'closed'")" "0" \
	"still held on the next run"
expect_rc 3 "status: awaits an operator" L --now 2027-03-02T01:30:00Z status
expect_grep "HELD auto-close: 2 SR(s) due by auto_close = 3d" "$TEST_TMP/out" "status lists the held closes"
expect_grep "CLOCK JUMP from 2026-03-02T00:00:00Z to 2027-03-02T00:00:00Z" "$TEST_TMP/out" "status names the jump"
expect_rc 3 "status --json" L --json --now 2027-03-02T01:30:00Z status
expect_eq "$(json "j['clock_jump']['to'], [f.get('held_closes') for f in j['feeds']]" "$TEST_TMP/out")" \
	"2027-03-02T00:00:00Z [2, None]" "status --json has the jump and the count"
expect_rc 0 "accept-clock-jump" L --now 2027-03-02T02:00:00Z accept-clock-jump
expect_grep "clock jump from 2026-03-02T00:00:00Z to 2027-03-02T00:00:00Z accepted" "$TEST_TMP/out" \
	"it says what it accepted"
expect_rc 0 "the next run closes them" L --now 2027-03-02T03:00:00Z run
expect_eq "$(q "select vin from srs where feed = 'f3' and status = 'closed' order by vin" | tr '\n' ' ')" \
	"000000000000000VB 000000000000000VC " "VB and VC closed now"
expect_rc 0 "status: nothing awaits" L --now 2027-03-02T03:30:00Z status
finish
