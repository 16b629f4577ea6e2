#!/bin/sh
# e2e: SPEC §6 mappings (dealer-specific beats general, include-only drops an
# unmapped code, fallback to the client mapping, no client mapping =
# ignored and reported once per dealer per run), --dry-run (shows every
# decision, changes nothing, and is what the real run then does), and a
# held snapshot closing nothing.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
make_conf "$TEST_TMP"
C="$TEST_TMP/conf/lotsync.conf"
DB="$TEST_TMP/spool/lotsync.db"
IN="$TEST_TMP/spool/incoming/acme"
cat >>"$C" <<'CONF'

[type:new]
code = N
vehicle_type = New
sr_type = PDI

[type:new-d2]
code = N
dealer_id = D2
vehicle_type = New at D2
sr_type = PDI-D2

[type:d3-new-only]
code = N
dealer_id = D3
vehicle_type = New
sr_type = PDI3
include_only = yes

[client:one]
dealer_id = D1
name = One
sr_type = Recon

[client:two]
dealer_id = D2
name = Two

[client:three]
dealer_id = D3
name = Three
sr_type = Recon3
CONF
sed -i 's/^profile = generic-csv$/profile = generic-csv\nauto_close = immediately/' "$C"
# Eight vehicles move by more than 20% from file to file: this test is about rules, not the lock.
sed -i 's/^format = generic-csv$/format = generic-csv\ndeviation_lock = 1000%/' "$C"
L() { "$LOTSYNC" -c "$C" "$@"; }
mkdir -p "$IN"

# csv NAME MTIME ROW...: a drop file (rows DealerID,VIN,StockNo,Type) with its mtime.
csv() {
	_n=$1 _t=$2
	shift 2
	{
		echo "DealerID,VIN,StockNo,Type"
		for r in "$@"; do echo "$r"; done
	} >"$IN/$_n"
	touch -d "$_t" "$IN/$_n"
}

# Two files in one run; dealer D9 (no client mapping) is in both.
csv a.csv "2026-05-01 00:00" D1,000000000000000V1,S1,N D2,000000000000000V2,S2,N D1,000000000000000V3,S3,U D3,000000000000000V4,S4,U D3,000000000000000V5,S5,N D9,000000000000000V6,S6,N D9,000000000000000V7,S7,U
csv b.csv "2026-05-01 00:01" D1,000000000000000V1,S1,N D2,000000000000000V2,S2,N D1,000000000000000V3,S3,U D3,000000000000000V4,S4,U D3,000000000000000V5,S5,N D9,000000000000000V6,S6,N D9,000000000000000V7,S7,U D9,000000000000000V8,S8,N
expect_rc 0 "two files in one run" L --now 2026-05-01T08:00:00Z run
expect_eq "$(grep -c 'dealer D9 has no \[client:\] mapping for feed acme' "$TEST_TMP/err")" "1" \
	"dealer without client mapping reported once in the run"
expect_eq "$(grep -c . "$TEST_TMP/err")" "1" "nothing else on stderr"
L --json srs >"$TEST_TMP/srs.json"
q() { json "[(s['vehicle_type'], s['sr_type'], s['client']) for s in j if s['vin'] == '$1']" "$TEST_TMP/srs.json"; }
expect_eq "$(q 000000000000000V1)" "[('New', 'PDI', 'One')]" "general mapping"
expect_eq "$(q 000000000000000V2)" "[('New at D2', 'PDI-D2', 'Two')]" "dealer-specific mapping beats the general one"
expect_eq "$(q 000000000000000V3)" "[(None, 'Recon', 'One')]" "unmapped code falls back to the client mapping"
expect_eq "$(q 000000000000000V4)" "[]" "include-only drops an unmapped code"
expect_eq "$(q 000000000000000V5)" "[('New', 'PDI3', 'Three')]" "include-only dealer's mapped code"
expect_eq "$(q 000000000000000V6)$(q 000000000000000V7)$(q 000000000000000V8)" "[][][]" "no client mapping: ignored whatever the type"
expect_rc 0 "history 000000000000000V4" L --json history 000000000000000V4
expect_grep "system code U matches no \[type:\] mapping and \[type:d3-new-only\] is include-only for dealer D3" \
	"$TEST_TMP/out" "include-only: the reason is in the history"
expect_eq "$(json "[e['event'] for e in j if e['event'] == 'ignored']" "$TEST_TMP/out")" "['ignored']" \
	"a standing decision is recorded once, not for every file"
expect_rc 0 "history 000000000000000V6" L history 000000000000000V6
expect_grep "ignored .*dealer D9 has no \[client:\] mapping for feed acme" "$TEST_TMP/out" "no client mapping: in the history"
# The next run that applies a file reports the dealer again (once per run).
csv c.csv "2026-05-02 00:00" D1,000000000000000V1,S1,N D2,000000000000000V2,S2,N D1,000000000000000V3,S3,U D3,000000000000000V4,S4,U D3,000000000000000V5,S5,N D9,000000000000000V6,S6,N
expect_rc 0 "next run" L --now 2026-05-02T08:00:00Z run
expect_eq "$(grep -c 'dealer D9 has no' "$TEST_TMP/err")" "1" "reported again on the next run"

# --dry-run: every decision shown; nothing changes (database, spool, remote).
csv d.csv "2026-05-03 00:00" D1,000000000000000V1,S1b,N D2,000000000000000V2,S2,N D3,000000000000000V4,S4,U D3,000000000000000V5,S5,N D1,000000000000000V9,S9,N
sqlite3 "$DB" .dump >"$TEST_TMP/before.sql"
ls -R "$TEST_TMP/spool" "$TEST_TMP/outbox-remote" >"$TEST_TMP/before.ls"
expect_rc 0 "--dry-run run" L --now 2026-05-03T08:00:00Z --dry-run run
cp "$TEST_TMP/out" "$TEST_TMP/dry.txt"
expect_grep "VIN 000000000000000V9  created, SR [0-9]*: client One" "$TEST_TMP/dry.txt" "dry run shows the SR it would create"
expect_grep "VIN 000000000000000V3  closed, SR [0-9]*: auto_close = immediately" "$TEST_TMP/dry.txt" "dry run shows the SR it would close"
expect_grep "VIN 000000000000000V1  not updated" "$TEST_TMP/dry.txt" "dry run shows what it would not update"
expect_grep "^dry run: 3 rule decision(s) shown; nothing was changed" "$TEST_TMP/dry.txt" "dry run says it changed nothing"
expect_rc 0 "--dry-run --json run" L --now 2026-05-03T08:00:00Z --json -n run
cp "$TEST_TMP/out" "$TEST_TMP/dry.json"
expect_eq "$(json "sorted((d['vin'], d['event']) for d in j)" "$TEST_TMP/dry.json")" \
	"[('000000000000000V1', 'not updated'), ('000000000000000V3', 'closed'), ('000000000000000V9', 'created')]" "dry run --json lists the decisions"
sqlite3 "$DB" .dump >"$TEST_TMP/after.sql"
ls -R "$TEST_TMP/spool" "$TEST_TMP/outbox-remote" >"$TEST_TMP/after.ls"
cmp -s "$TEST_TMP/before.sql" "$TEST_TMP/after.sql" && pass "dry run changed nothing in the database" ||
	fail "dry run changed the database"
cmp -s "$TEST_TMP/before.ls" "$TEST_TMP/after.ls" && pass "dry run moved, archived and sent no file" ||
	fail "dry run changed the spool: $(diff "$TEST_TMP/before.ls" "$TEST_TMP/after.ls")"
test -f "$IN/d.csv" && pass "the file is still in incoming/" || fail "dry run claimed the file"
expect_rc 70 "--dry-run of export is not built" L --dry-run export
# The real run does what the dry run showed.
expect_rc 0 "the real run" L --now 2026-05-03T08:00:00Z run
run=$(sqlite3 "$DB" "SELECT max(id) FROM runs")
sqlite3 "$DB" "SELECT vin || ' ' || event FROM sr_events WHERE run_id = $run ORDER BY vin" >"$TEST_TMP/real.txt"
json "'\n'.join(sorted(d['vin'] + ' ' + d['event'] for d in j))" "$TEST_TMP/dry.json" >"$TEST_TMP/dry-events.txt"
[ -s "$TEST_TMP/real.txt" ] && cmp -s "$TEST_TMP/real.txt" "$TEST_TMP/dry-events.txt" &&
	pass "the dry run showed exactly what the run then did" ||
	fail "dry run and run differ: $(diff "$TEST_TMP/dry-events.txt" "$TEST_TMP/real.txt")"

# A held snapshot closes nothing: an empty file is held by the vanish guard,
# and runs days later (auto_close = immediately here) leave every SR open.
open_before=$(L --json srs --open | python3 -c 'import json,sys; print(sorted(s["vin"] for s in json.load(sys.stdin)))')
printf 'DealerID,VIN,StockNo,Type,Client\n' >"$IN/empty.csv"
expect_rc 3 "an empty file is held" L --now 2026-05-04T08:00:00Z run
expect_rc 3 "a run days after a held snapshot (still awaiting an operator)" L --now 2026-05-09T08:00:00Z run
expect_eq "$(L --json srs --open | python3 -c 'import json,sys; print(sorted(s["vin"] for s in json.load(sys.stdin)))')" \
	"$open_before" "a held snapshot closes nothing"
expect_eq "$open_before" "['000000000000000V1', '000000000000000V2', '000000000000000V5', '000000000000000V9']" "open SRs are the vehicles of the newest applied snapshot"
# Accepting it applies it as an ingest would: every vehicle vanished, so every SR closes.
held=$(sqlite3 "$DB" "SELECT id FROM snapshots WHERE state = 'held'")
# Exit 3: the now empty export locks the target, as SPEC §7 says an empty export must.
expect_rc 3 "accept the held snapshot" L --now 2026-05-09T09:00:00Z accept "$held"
expect_eq "$(L --json srs --open)" "[]" "accepting the empty snapshot closed every SR"
finish
