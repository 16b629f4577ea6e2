#!/bin/sh
# e2e: what the reading layer shows at the command line: a .gz and a .zip
# drop read as streams and archived as received; a corrupt .gz quarantined;
# the feed's charset overriding the profile's; file warnings stored and
# printed by show (text and --json); check-config naming a broken profile's
# file and line (exit 78).
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
make_conf "$TEST_TMP"
C="$TEST_TMP/conf/lotsync.conf"
IN="$TEST_TMP/spool/incoming/acme"
F=$SRCDIR/tests/fixtures/bad
L() { "$LOTSYNC" -c "$C" "$@"; }
# last: the id of the newest snapshot
last() {
	"$LOTSYNC" -c "$C" --json snapshots >"$TEST_TMP/snaps.json"
	json 'j[-1]["id"]' "$TEST_TMP/snaps.json"
}
mkdir -p "$IN"

# A gzip-compressed feed: read through libarchive, archived byte for byte.
cp "$F/feed.csv.gz" "$IN/day1.csv.gz"
expect_rc 0 "gzip feed ingested" L --now 2026-11-20T08:00:00Z ingest
expect_rc 0 "show --json" L --json show "$(last)"
expect_eq "$(json 'j["vehicles"][0]["key"]' "$TEST_TMP/out")" "1HGCM82690A004352" "vehicle read from the .gz"
sha=$(sha256sum "$F/feed.csv.gz" | cut -c1-64)
cmp -s "$F/feed.csv.gz" "$TEST_TMP/spool/archive/acme/$sha" && pass "the .gz archived as received" ||
	fail "archive/acme/$sha is not the .gz"

# A zip with photos and one CSV; the CSV member is read, photos skipped, nothing extracted.
cp "$F/feed-and-photos.zip" "$IN/day2.zip"
expect_rc 0 "zip feed ingested" L --now 2026-11-21T08:00:00Z ingest
expect_eq "$(find "$TEST_TMP/spool" -name '*.jpg' | wc -l)" "0" "no zip member written to disk"
expect_rc 0 "snapshots --json" L --json snapshots
expect_eq "$(json '[s["vehicles"] for s in j]' "$TEST_TMP/out")" "[1, 1]" "one vehicle from each"

# A corrupt .gz is quarantined with its reason; the run says so (65).
cp "$F/corrupt.csv.gz" "$IN/day3.csv.gz"
expect_rc 65 "corrupt gzip quarantined" L --now 2026-11-22T08:00:00Z ingest
expect_grep "reason: day3.csv.gz: cannot read as gzip" "$TEST_TMP/spool/failed/acme/day3.csv.gz.reason" \
	".reason names the gzip failure"

# The feed's charset overrides the profile's (generic-csv says utf-8).
printf 'DealerID,VIN,StockNo,Description\nD1,WBA8E9C55GK645321,S2,500 \200 deposit\n' >"$IN/day4.csv"
# Its only row refused, the file has no vehicles: held by the vanish guard (exit 3).
expect_rc 3 "windows-1252 bytes under utf-8 are a row error, not a crash" L --now 2026-11-23T08:00:00Z ingest
expect_rc 0 "show --rejected" L show "$(last)" --rejected
expect_grep "line 2: field description: invalid UTF-8: byte 0x80 at byte 5 of column 4 (Description)" \
	"$TEST_TMP/out" "row error names line, field, byte and column"
expect_rc 0 "reject the held snapshot" L reject "$(last)"
sed 's/^profile = generic-csv$/profile = generic-csv\ncharset = windows-1252/' "$C" >"$C.new" && mv "$C.new" "$C"
chmod 600 "$C"
printf 'DealerID,VIN,StockNo,Description\nD1,WBA8E9C55GK645321,S2,500 \200 deposit.\n' >"$IN/day5.csv"
# Day 2's file had more columns (Make, Model, Price ...): the drift guard holds this one
# until an operator accepts it as it is.
expect_rc 3 "the same bytes with charset = windows-1252: held by the drift guard" L --now 2026-11-24T08:00:00Z ingest
expect_grep "drift: column" "$TEST_TMP/err" "the hold names the missing column"
expect_rc 0 "accept it as it is" L --now 2026-11-24T09:00:00Z accept "$(last)"
expect_rc 0 "show --json" L --json show "$(last)"
expect_eq "$(json 'j["vehicles"][0]["fields"]["description"]' "$TEST_TMP/out")" "500 € deposit." \
	"0x80 decoded as the euro sign"

# A VIN failing its check digit: a warning stored with the snapshot and shown.
printf 'DealerID,VIN,StockNo,Description\nD1,1HGCM82600A004352,S1,ok\n' >"$IN/day6.csv"
expect_rc 0 "check digit failure is a warning, not an error" L --now 2026-11-25T08:00:00Z ingest
expect_eq "$(cat "$TEST_TMP/err")" "" "a warning alone keeps the run silent (cron)"
expect_rc 0 "show" L show "$(last)"
expect_grep "^warning: line 2: 1 VIN fails the check digit (first: 1HGCM82600A004352)" "$TEST_TMP/out" \
	"show prints the warning"
expect_rc 0 "show --json" L --json show "$(last)"
expect_eq "$(json '[w["code"] for w in j["warnings"]]' "$TEST_TMP/out")" "['vin_check_digit']" \
	"show --json has the warning"

# check-config validates the feed's profile: a broken one is named by file and line.
printf '[profile]\nformat = csv\ndelimiter = ;;\n[fields]\nvin = VIN\nprice = Price, Cost\n' \
	>"$TEST_TMP/conf/profiles/broken.ini"
sed 's/^profile = generic-csv$/profile = broken/' "$C" >"$C.new" && mv "$C.new" "$C"
chmod 600 "$C"
expect_rc 78 "check-config refuses a broken profile" L check-config
expect_grep "broken.ini:3: delimiter must be one character" "$TEST_TMP/err" "bad delimiter named with its line"
expect_grep "broken.ini:6: field 'price' is not a list: it takes one source, not 2" "$TEST_TMP/err" \
	"scalar field with two sources named with its line"
finish
