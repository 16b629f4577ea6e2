#!/bin/sh
# e2e: check-config names every mistake of an XML profile's new syntax by
# file and line (exit 78): a bad record path, a bad element path, a broken
# predicate, an unknown unit, a value map onto a value the field does not
# have, a value map for a field the profile does not read, a bad date-time
# format. Then a file whose records are not where record_element says is
# quarantined with what the root holds and the profile line.
. "$SRCDIR/tests/e2e/lib.sh"
local_env

cat >"$TEST_TMP/conf/profiles/rss.ini" <<'INI'
[profile]
format = xml
record_element = rss//item
mileage_unit = leagues
date_format = MM/DD/YYYY hh:mm:ss XM
[fields]
vin = g:vin
price = price[@type='asking'
msrp = price[type='msrp']
mileage = 1bad/x
condition = g:condition
[values:condition]
CPO = certified-pre-owned
[values:drivetrain]
4x4 = AWD
INI
sed 's/^profile = generic-csv$/profile = rss/' "$C" >"$C.new" && mv "$C.new" "$C"
chmod 600 "$C"
expect_rc 78 "check-config refuses the profile" L check-config
P="$TEST_TMP/conf/profiles/rss.ini"
expect_grep "^.*$P:3: record_element must be 'element', a path from the root" "$TEST_TMP/err" "bad record path, line 3"
expect_grep "$P:4: mileage_unit must be km, mi or mil, not 'leagues'" "$TEST_TMP/err" "unknown unit, line 4"
expect_grep "$P:5: date_format: 'MM/DD/YYYY hh:mm:ss XM' is not a date format" "$TEST_TMP/err" "bad date-time format, line 5"
expect_grep "$P:8: field 'price': 'price\[@type='asking'' is not an element path .*: a predicate ends with ']'" \
	"$TEST_TMP/err" "unclosed predicate, line 8"
expect_grep "$P:9: field 'msrp': .*a predicate is \[@attr='value'\]" "$TEST_TMP/err" "predicate without @, line 9"
expect_grep "$P:10: field 'mileage': '1bad/x' is not an element path" "$TEST_TMP/err" "bad element path, line 10"
expect_grep "$P:13: \[values:condition\]: 'certified-pre-owned' is not a condition value (new|used|certified|demo" \
	"$TEST_TMP/err" "value map onto no condition, line 13"
expect_grep "$P:15: \[values:drivetrain\]: the profile does not map 'drivetrain'" "$TEST_TMP/err" \
	"value map of an unread field, line 15"

# A good profile whose record element is not where the file has it.
cat >"$P" <<'INI'
[profile]
format = xml
record_element = rss/item
[fields]
vin = g:vin
INI
expect_rc 0 "the fixed profile passes check-config" L check-config
cp "$SRCDIR/tests/fixtures/profiles/google-merchant-rss/input.xml" "$IN/feed.xml"
expect_rc 65 "a file without records where the profile says is quarantined" L --now 2026-11-20T08:00:00Z ingest
expect_grep "0 <item> under <rss>; found <channel> (record_element at $P:3)" \
	"$TEST_TMP/spool/failed/acme/feed.xml.reason" "the reason says what <rss> holds and names the profile line"
finish
