#!/bin/sh
# e2e (issue 12 item 1, found by the fault enumeration with a fetched
# feed): the fetch of a file:// feed places two files in incoming/ but
# fails to make them durable (EIO on the fsync of incoming/), so they are
# not recorded as fetched. The run exits 74 and does not ingest that feed;
# the next run fetches them again (recognising the copies already placed),
# records them and applies them once each, in order. Before the fix the
# first run ingested them as drop files and the next fetch, not knowing
# them, applied the older one again on top of the newer.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
SRC=$TEST_TMP/src
mkdir -p "$SRC"
sed -i '/^\[target:local\]/,$d' "$C"
cat >>"$C" <<CONF
[feed:cnet]
source = file://$SRC/*.csv
profile = generic-csv
vanish_guard = 100%
CONF
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 20 --seed 21 --out "$SRC/c1.csv"
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --from "$SRC/c1.csv" --change-pct 40 --seed 22 --out "$SRC/c2.csv"
touch -d '2026-11-19 08:00:00' "$SRC/c1.csv"
touch -d '2026-11-19 08:01:00' "$SRC/c2.csv"

expect_rc 74 "EIO on the fsync of incoming/cnet after the downloads" \
	env $(fault_env fsync /spool/incoming/cnet\$ 1) "$LOTSYNC" -c "$C" --now 2026-11-20T08:00:00Z run
expect_grep "fail 1 fsync .*/spool/incoming/cnet" "$TEST_TMP/fault.report" "the shim failed that fsync"
expect_grep "feed cnet: not ingested in this run" "$TEST_TMP/err" "the log says the feed waits"
expect_eq "$(applied cnet)" "" "nothing of cnet applied"
expect_rc 0 "the next run" L --now 2026-11-20T09:00:00Z run
expect_eq "$(applied cnet)" "c1.csv c2.csv" "applied once each, in order"
expect_rc 0 "a run with nothing new" L --now 2026-11-20T10:00:00Z run
expect_eq "$(applied cnet)" "c1.csv c2.csv" "nothing applied again"
expect_eq "$(sqlite3 "$DB" "select count(*) from fetched where feed = 'cnet'")" 2 "both recorded as fetched"
expect_rc 0 "verify" L verify
finish
