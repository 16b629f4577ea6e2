#!/bin/sh
# e2e: bidi override and isolate characters (U+202A-U+202E, U+2066-U+2069)
# in a dropped file's name and in a vehicle's values never reach the
# operator raw: log lines show them as <U+202E>, the HTML report replaces
# them (U+FFFD), and an export file_name pattern holding one is refused.
# Fault matrix: matrix row 18 (hostile names: bidi controls in a drop name).
. "$SRCDIR/tests/e2e/lib.sh"
local_env
RLO=$(printf '\342\200\256')
LRI=$(printf '\342\201\246')
printf 'VIN,Price,Model\nWVWZZZ1JZXW000001,abc,Golf\nWBA8E9C55GK645321,100,Polo%sxe.tab\n' "$RLO" \
	>"$IN/inv${RLO}vsc.csv"
expect_rc 0 "ingest" L --now 2026-11-20T08:00:00Z ingest
expect_grep "inv<U+202E>vsc.csv" "$TEST_TMP/err" "the log line shows the override as <U+202E>"
if grep -q "$RLO" "$TEST_TMP/err"; then fail "a raw U+202E reached stderr"; else pass "no raw U+202E on stderr"; fi
expect_rc 0 "report" L report --html "$TEST_TMP/r.html"
if grep -q "$RLO" "$TEST_TMP/r.html"; then fail "a raw U+202E is in the report"; else pass "no raw U+202E in the report"; fi
expect_grep "inv\(�\)\+vsc.csv" "$TEST_TMP/r.html" "the file is in the report (the override replaced)"
sed "s/^format = generic-csv\$/format = generic-csv\nfile_name = out${LRI}.csv/" "$C" >"$C.new" && mv "$C.new" "$C"
chmod 600 "$C"
expect_rc 78 "an export file name with a bidi isolate is refused" L --now 2026-11-20T09:00:00Z export
finish
