#!/bin/sh
# e2e: output people can read. diff names each vehicle (stock number, year,
# make, model) and prints amounts as amounts with the currency; history
# takes a VIN, a stock number or dealer/stock (and --feed), prints what
# changed per version and a structured --json; status shows the last run,
# last file / applied / export times and the reason of every held snapshot,
# lock and quarantined file; accept and reject confirm in one line;
# --dry-run lists the keys it would add, change, refuse and vanish and names
# no snapshot id; retry puts a quarantined file back after a profile fix.
# Input: the demo feeds (conf/demo/feeds/, generic-csv) with a local
# profile override that names the currency (EUR).
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1

make_conf "$TEST_TMP"
mkdir -p spool/incoming/acme
{ cat "$SRCDIR/conf/profiles/generic-csv.ini"; } | sed 's/^\[profile\]$/[profile]\ncurrency = EUR/' \
	>conf/profiles/generic-csv.ini
grep -q '^currency = EUR$' conf/profiles/generic-csv.ini || fail "setup: currency not set"
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
b1=$SRCDIR/conf/demo/feeds/batch1/acme.csv b2=$SRCDIR/conf/demo/feeds/batch2/acme.csv
cp "$b1" spool/incoming/acme/a1.csv
expect_rc 0 "ingest batch 1" L --now 2026-11-22T07:00:00Z run
cp "$b2" spool/incoming/acme/a2.csv
# --dry-run previews the keys and changes nothing.
expect_rc 0 "dry run of batch 2" L -n --now 2026-11-22T08:00:00Z run
cp "$TEST_TMP/out" dry.txt
expect_grep '^dry run: a2.csv (feed acme): ' dry.txt "dry run: names the file and feed"
expect_grep '^  ~ WVWG1EYD9T3223205 (stock 25692E, 2026 Volkswagen ID.4)$' dry.txt "dry run: a changed key, named"
expect_eq "$(grep -c '^  + ' dry.txt) $(grep -c '^  ~ ' dry.txt) $(grep -c '^  - ' dry.txt)" \
	"$(sed -n 's/^  would apply: [0-9]* vehicles, \([0-9]*\) new, \([0-9]*\) changed, \([0-9]*\) vanished, 0 refused$/\1 \2 \3/p' dry.txt)" \
	"dry run: one line per new, changed and vanished key, as counted"
[ -e spool/incoming/acme/a2.csv ] || fail "dry run claimed the file"
expect_eq "$(sqlite3 -readonly spool/lotsync.db 'select count(*) from snapshots')" 1 "dry run: no snapshot written"
expect_rc 0 "ingest batch 2" L --now 2026-11-22T08:00:00Z run

# diff: one line per changed field, the vehicle named, amounts with currency.
expect_rc 0 "diff 1 2" L diff 1 2
expect_grep '^~ WVWG1EYD9T3223205 (stock 25692E, 2026 Volkswagen ID.4) price: 49,990.00 EUR -> 48,390.00 EUR$' \
	"$TEST_TMP/out" "diff: the price change, named, as amounts"
expect_grep '^~ WVWG1EYD9T3223205 (stock 25692E, 2026 Volkswagen ID.4) old_price: 52,190.00 EUR -> 49,990.00 EUR$' \
	"$TEST_TMP/out" "diff: old_price too"
new=$(grep -c '^+ ' "$TEST_TMP/out")
gone=$(grep -c '^- ' "$TEST_TMP/out")
expect_grep "^$new new, [0-9]* changed, $gone vanished, 0 refused$" "$TEST_TMP/out" "diff: totals line"
if grep '^[+-] ' "$TEST_TMP/out" | grep -vq '^[+-] [A-Z0-9]* (stock [^,]*, [0-9]\{4\} '; then
	fail "a new or vanished line without stock, year, make, model: $(grep '^[+-] ' "$TEST_TMP/out" | grep -v '(stock' | head -n 1)"
fi
expect_rc 0 "diff --json" L --json diff 1 2
expect_eq "$(json "[c['fields']['price'] for c in j['changed'] if c['key'] == 'WVWG1EYD9T3223205']" "$TEST_TMP/out")" \
	"[['4999000', '4839000']]" "diff --json keeps minor units for tooling"

# history by VIN, stock number and dealer/stock: the same vehicle, what changed.
for k in WVWG1EYD9T3223205 wvwg1eyd9t3223205 25692E D10003/25692E; do
	expect_rc 0 "history $k" L history "$k"
	expect_grep '^feed acme, key WVWG1EYD9T3223205$' "$TEST_TMP/out" "history $k: names the vehicle"
	expect_grep 'appeared     stock 25692E, 2026 Volkswagen ID.4, price 49,990.00 EUR (file a1.csv)$' \
		"$TEST_TMP/out" "history $k: appeared with name and price"
done
expect_grep '^ *price: 49,990.00 EUR -> 48,390.00 EUR$' "$TEST_TMP/out" "history: the price change as amounts"
if grep -q 'Family car.*"' "$TEST_TMP/out" || grep -q '{"' "$TEST_TMP/out"; then
	fail "history prints whole records"
fi
expect_rc 0 "history --json" L --json history 25692E --feed acme
cp "$TEST_TMP/out" hist.json
expect_eq "$(json "[(e['event'], e['snapshot'], e['key']) for e in j]" hist.json)" \
	"[('appeared', 1, 'WVWG1EYD9T3223205'), ('changed', 2, 'WVWG1EYD9T3223205')]" "history --json: the versions"
expect_eq "$(json "j[1]['changes']['price']" hist.json)" "['4999000', '4839000']" "history --json: changes are structured"
expect_eq "$(json "all(isinstance(v, list) for e in j for v in e['changes'].values())" hist.json)" True \
	"history --json: no JSON inside strings"
expect_rc 0 "history of nothing" L history NOPE
expect_grep "no vehicle matches 'NOPE'" "$TEST_TMP/out" "an unknown key says so"
expect_rc 64 "history --feed of an unknown feed" L history 25692E --feed nope

# status: times and reasons; accept and reject confirm.
: >spool/incoming/acme/empty.csv
printf 'DealerID,VIN\nD1,"unterminated\n' >spool/incoming/acme/broken.csv
touch -d @100 spool/incoming/acme/broken.csv
expect_rc 65 "a quarantined and a held file" L --now 2026-11-22T09:00:00Z run
expect_rc 3 "status" L --now 2026-11-22T09:30:00Z status
expect_grep '^last run 2026-11-22T09:00:00Z: run, exit 65$' "$TEST_TMP/out" "status: the last run"
expect_grep '^  last file 2026-11-22T09:00:00Z, last applied 2026-11-22T08:00:00Z$' "$TEST_TMP/out" \
	"status: last file and last applied"
expect_grep '^  HELD snapshot 3 (empty.csv, received 2026-11-22T09:00:00Z): the file has no vehicles' \
	"$TEST_TMP/out" "status: why the snapshot is held"
expect_grep '^  QUARANTINED broken.csv: broken.csv:2: .*quote' "$TEST_TMP/out" "status: why the file is quarantined"
expect_grep '^  last export 2026-11-22T08:00:00Z$' "$TEST_TMP/out" "status: the target's last export"
L --json status >status.json
expect_eq "$(json "(j['last_run']['exit_code'], j['feeds'][0]['last_applied_at'], [f['file'] for f in j['feeds'][0]['failed_files']])" status.json)" \
	"(65, '2026-11-22T08:00:00Z', ['broken.csv'])" "status --json: times and quarantined files"
expect_rc 0 "reject 3" L --now 2026-11-22T09:40:00Z reject 3
expect_eq "$(cat "$TEST_TMP/out")" "snapshot 3 of feed acme rejected: nothing applied, its file stays archived" \
	"reject confirms in one line"
printf 'DealerID,VIN,StockNo\n' >spool/incoming/acme/header-only.csv
expect_rc 3 "dry run of a file that would be held" L -n --now 2026-11-22T10:00:00Z run
expect_grep '^  would be held, nothing applied: the file has no vehicles' "$TEST_TMP/out" "dry run: says it would be held"
if grep -q 'snapshot [0-9]\|accept [0-9]' "$TEST_TMP/out" "$TEST_TMP/err"; then
	fail "dry run names a snapshot id that will not exist: $(grep -h 'snapshot [0-9]\|accept [0-9]' "$TEST_TMP/out" "$TEST_TMP/err" | head -n 1)"
fi
expect_rc 3 "a header-only file is held" L --now 2026-11-22T10:00:00Z run
n2=$(/usr/bin/python3 -c 'import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1], newline="")))))' "$b2")
expect_rc 3 "accept 4 applies it: the target locks" L --now 2026-11-22T10:30:00Z accept 4
expect_eq "$(head -n 1 "$TEST_TMP/out")" "snapshot 4 of feed acme accepted: 0 vehicles applied (0 new, 0 changed, $n2 vanished)" \
	"accept confirms in one line with the counts"
# retry: a file whose VIN column is called Chassis is quarantined; after a
# profile fix, retry puts it back (recorded in the chain) and it applies.
printf 'DealerID,Chassis,StockNo,Year,Make,Model,Price\nD10003,WVWG1EYD9T3223205,25692E,2026,Volkswagen,ID.4,47990\n' \
	>spool/incoming/acme/chassis.csv
expect_rc 65 "a file without the key column is quarantined" L --now 2026-11-22T11:00:00Z ingest
expect_rc 64 "retry of a file that is not quarantined" L retry acme/nope.csv
sed -i 's/^vin = VIN$/vin = Chassis/' conf/profiles/generic-csv.ini
expect_rc 0 "retry chassis.csv" L --now 2026-11-22T11:10:00Z retry chassis.csv
expect_eq "$(cat "$TEST_TMP/out")" \
	"failed/acme/chassis.csv is back in incoming/acme/ as chassis.csv; the next run reads it again (recorded in the audit chain)" \
	"retry confirms in one line"
[ -e spool/failed/acme/chassis.csv ] || [ -e spool/failed/acme/chassis.csv.reason ] && fail "retry left the file or its reason in failed/"
expect_eq "$(sqlite3 -readonly spool/lotsync.db "select kind, json_extract(manifest, '\$.file') from audit_chain order by id desc limit 1")" \
	"retry|chassis.csv" "the retry is an audit chain entry"
expect_rc 0 "verify covers the retry entry" L verify
expect_rc 0 "the retried file applies" L --now 2026-11-22T11:20:00Z ingest
expect_eq "$(sqlite3 -readonly spool/lotsync.db "select state, vehicles from snapshots where file = 'chassis.csv'")" \
	"applied|1" "the retried file became a snapshot"
expect_rc 3 "status after the retry (the target is still locked)" L status
if grep -q 'QUARANTINED chassis.csv' "$TEST_TMP/out"; then fail "status still lists the retried file"; fi

expect_rc 0 "unlock" L --now 2026-11-22T10:40:00Z unlock local
expect_grep "^target local unlocked (it was locked since 2026-11-22T10:30:00Z: " "$TEST_TMP/out" "unlock confirms in one line"
finish
