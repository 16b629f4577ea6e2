#!/bin/sh
# e2e, fault matrix: matrix row 10 (empty or 90%-shrunk feed). A feed of
# 200 vehicles with auto_close = immediately (every absent vehicle's SR
# would close at once) receives a file with only 20 of them, then an empty
# file, then a header-only file: each is held (exit 3) with the counts or
# the emptiness in the reason, zero vehicles vanish, zero SRs close, nothing
# is exported; status shows the held snapshots (exit 3).
. "$SRCDIR/tests/e2e/lib.sh"
local_env
sed -i 's/^profile = generic-csv$/profile = generic-csv\nauto_close = immediately/' "$C"
printf '\n[client:d]\ndealer_id = D001\nname = D\nsr_type = Recon\n' >>"$C"
open_srs() { sqlite3 "$DB" "select count(*) from srs where status = 'open'"; }
current() { sqlite3 "$DB" "select count(*) from versions where to_seq is null"; }

/usr/bin/python3 "$G" --vehicles 200 --dealers 1 --seed 101 --out day1.csv
cp day1.csv "$IN/"
expect_rc 0 "day 1: 200 vehicles" L --now 2026-11-20T08:00:00Z run
expect_eq "$(open_srs):$(current)" "200:200" "200 open SRs, 200 current vehicles"
exports=$(ls outbox-remote | wc -l)

# 90% shrunk: the header and the first 20 vehicles.
/usr/bin/python3 -I -S -c 'import csv, sys; r = list(csv.reader(open("day1.csv", newline="")))
csv.writer(sys.stdout, lineterminator="\n").writerows(r[:21])' >"$IN/day2-shrunk.csv"
expect_rc 3 "a 90%-shrunk file is held" L --now 2026-11-21T08:00:00Z run
expect_grep "snapshot 2 held" "$TEST_TMP/err" "the hold is reported"
expect_grep "180 of 200" "$TEST_TMP/err" "the reason gives the counts"
expect_eq "$(open_srs):$(current)" "200:200" "zero SRs closed, zero vehicles vanished"
expect_eq "$(ls outbox-remote | wc -l)" "$exports" "nothing exported"
expect_rc 0 "reject it" L --now 2026-11-21T09:00:00Z reject 2

: >"$IN/day3-empty.csv"
expect_rc 3 "an empty file is held" L --now 2026-11-22T08:00:00Z run
expect_grep "no vehicles" "$TEST_TMP/err" "the reason says it is empty"
expect_eq "$(open_srs):$(current)" "200:200" "zero SRs closed, zero vehicles vanished"
expect_rc 0 "reject it" L --now 2026-11-22T09:00:00Z reject 3

head -n 1 day1.csv >"$IN/day4-header-only.csv"
expect_rc 3 "a header-only file is held" L --now 2026-11-23T08:00:00Z run
expect_grep "no vehicles" "$TEST_TMP/err" "the reason says it is empty"
expect_eq "$(open_srs):$(current)" "200:200" "zero SRs closed, zero vehicles vanished"
expect_eq "$(ls outbox-remote | wc -l)" "$exports" "still nothing exported"
expect_rc 3 "status while held" L status
expect_grep "HELD snapshot 4 (day4-header-only.csv" "$TEST_TMP/out" "status names the held snapshot"
expect_eq "$(sqlite3 "$DB" "select group_concat(state, ' ') from (select state from snapshots order by id)")" \
	"applied rejected rejected held" "snapshot states"
finish
