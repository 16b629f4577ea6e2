#!/bin/sh
# e2e, fault matrix: matrix row 15 (clock backwards or forwards) on the
# real clock, moved by faketime (libfaketime) as the matrix says, no --now:
#  - after a run at the real time, a run 3 hours back and one in 2001 are
#    refused (exit 78) naming both times, and record nothing;
#  - a run a year ahead (+365 d) warns about the jump and holds the closes
#    auto_close = 3d made due (status exits 3 and lists them) instead of
#    closing every SR; auto_close = immediately still closes;
#  - the applied snapshots keep their sequence order whatever the clock.
# t6201 tests the same guard through --now, and accept-clock-jump.
. "$SRCDIR/tests/e2e/lib.sh"
unset LOTSYNC_ALLOW_CLOCK_REWIND
cd "$TEST_TMP" || exit 1
mkdir -p conf spool/incoming/f3 spool/incoming/fimm
{
	conf_head
	drop_feed f3 "auto_close = 3d"
	drop_feed fimm "auto_close = immediately"
	printf '[client:one]\ndealer_id = D1\nname = One\nsr_type = Recon\n'
} >conf/lotsync.conf
chmod 600 conf/lotsync.conf
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
FT() { # OFFSET CMD...: CMD on a clock moved by OFFSET (faketime's -f syntax)
	_o=$1
	shift
	faketime -f "$_o" "$@"
}
q() { sqlite3 spool/lotsync.db "$1"; }
csv() { # FEED NAME VIN...
	_f=$1 _n=$2
	shift 2
	{
		echo "DealerID,VIN,StockNo,Type,Trim"
		for v in "$@"; do echo "D1,$v,S-$v,N,x"; done
	} >"spool/incoming/$_f/$_n.csv"
}
command -v faketime >/dev/null || { echo "faketime not installed"; exit 77; }
expect_eq "$(FT '@2001-01-01 00:00:00' date -u +%Y)" "2001" "faketime moves the clock"

csv f3 d1 000000000000000VA 000000000000000VB 000000000000000VC
csv fimm d1 000000000000000VA 000000000000000VB
expect_rc 0 "a run at the real time" L run
runs=$(q "select count(*) from runs")
newest=$(q "select max(clock) from runs")

csv f3 d2 000000000000000VA
csv fimm d2 000000000000000VA
for off in -3h '@2001-01-01 00:00:00'; do
	expect_rc 78 "clock $off: refused" FT "$off" "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" run
	expect_grep "earlier than the newest recorded run ($newest)" "$TEST_TMP/err" "clock $off: the newest run's time named"
	expect_grep "the clock says $(FT "$off" date -u +%Y-%m-%dT%H)" "$TEST_TMP/err" "clock $off: its own time named"
done
expect_eq "$(q "select count(*) from runs"):$(q "select count(*) from snapshots")" "$runs:2" \
	"nothing recorded by the refused runs"
expect_eq "$(ls spool/incoming/f3 spool/incoming/fimm | grep -c d2)" "2" "their files wait"

expect_rc 0 "a year ahead: the run goes on" FT +365d "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" run
expect_grep "the clock jumped from $newest (the newest recorded run) to " "$TEST_TMP/err" "the jump is warned about"
expect_grep "feed f3: 2 SR(s) due to auto-close held" "$TEST_TMP/err" "the 3d closes are held"
expect_eq "$(q "select count(*) from srs where feed = 'f3' and status = 'closed'")" "0" "no SR of f3 closed"
expect_eq "$(q "select vin from srs where feed = 'fimm' and status = 'closed'")" "000000000000000VB" \
	"auto_close = immediately still closes"
expect_rc 3 "status a year ahead: awaits an operator" FT +365d "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" status
expect_grep "HELD auto-close: 2 SR(s)" "$TEST_TMP/out" "status lists the held closes"
expect_eq "$(q "select group_concat(feed || ':' || file || ':' || seq, ' ') from (select * from snapshots where state = 'applied' order by id)")" \
	"f3:d1.csv:1 fimm:d1.csv:1 f3:d2.csv:2 fimm:d2.csv:2" "snapshots applied in sequence order"
finish
