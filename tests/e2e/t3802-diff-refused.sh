#!/bin/sh
# e2e: diff reports the rows a snapshot refused, merged by key with the
# rest. A refused row whose key could be read kept its vehicle (not
# vanished) and is listed as "! KEY line N FIELD: reason"; a row without a
# readable key as "! line N FIELD: reason"; --json carries them as
# {key, line, field, reason}. Input: the dirty corpus's day files
# (tests/fixtures/dirty/, generic-csv): day 2 has the letters "abc" as one
# car's price, day 3 a placeholder row whose VIN is "N/A".
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
make_conf "$TEST_TMP"
C="$TEST_TMP/conf/lotsync.conf"
IN="$TEST_TMP/spool/incoming/acme"
D="$SRCDIR/tests/fixtures/dirty"
L() { "$LOTSYNC" -c "$C" "$@"; }
mkdir -p "$IN"

cp "$D/day1.csv" "$IN/day1.csv"
expect_rc 0 "day 1" L --now 2026-05-01T08:00:00Z ingest
cp "$D/day2-refused-price.csv" "$IN/day2.csv"
expect_rc 0 "day 2: one price refused" L --now 2026-05-02T08:00:00Z ingest
cp "$D/day2-junk-row.csv" "$IN/day3.csv"
expect_rc 0 "day 3: a row without a key" L --now 2026-05-03T08:00:00Z ingest

expect_rc 0 "diff 1 2" L diff 1 2
expect_eq "$(cat "$TEST_TMP/out")" "! JTDKB20U3LA103333 line 5 price: $(sqlite3 -readonly spool/lotsync.db \
	"select reason from rejected_rows where snapshot_id = 2")
0 new, 0 changed, 0 vanished, 1 refused" "diff 1 2: the refused price, by key, not vanished"
expect_rc 0 "diff 2 3" L diff 2 3
expect_grep "^! line 12 vin: 'N/A' has a character other than A-Z and 0-9" "$TEST_TMP/out" "diff 2 3: the row without a key, by line and field"
expect_grep '^0 new, 0 changed, 0 vanished, 1 refused$' "$TEST_TMP/out" "diff 2 3: counts"
expect_rc 0 "diff 3 1" L diff 3 1
expect_grep '^0 new, 0 changed, 0 vanished, 0 refused$' "$TEST_TMP/out" "diff 3 1: B's refused rows only (day 1 has none)"
expect_rc 0 "diff --json 1 2" L --json diff 1 2
expect_eq "$(json '[(r["key"], r["line"], r["field"]) for r in j["refused"]] + [list(j)]' "$TEST_TMP/out")" \
	"[('JTDKB20U3LA103333', 5, 'price'), ['new', 'vanished', 'changed', 'refused']]" "diff --json: refused entries"
expect_rc 0 "diff --json 2 3" L --json diff 2 3
expect_eq "$(json '[(r["key"], r["line"]) for r in j["refused"]]' "$TEST_TMP/out")" "[(None, 12)]" \
	"diff --json: a refused row without a key has key null"
finish
