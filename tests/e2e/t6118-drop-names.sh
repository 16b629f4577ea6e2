#!/bin/sh
# e2e, fault matrix row 18 (hostile spool names; issue 12 item 9): drop
# files whose names hold control characters (ESC, newline, BEL) are warned
# about with the bytes shown as \xNN and reported as refused (exit 65,
# `status` says REFUSED) instead of being ignored silently forever; a
# 250-byte name gets a clear error and exit 65 instead of an error and exit
# 0. The good file beside them is applied. Hidden names and upload
# suffixes (.part, .tmp) stay silent.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
sed -i '/^\[target:local\]/,$d' "$C"
G=$SRCDIR/scripts/mkfeed.py
/usr/bin/python3 "$G" --vehicles 20 --seed 81 --out "$IN/good.csv"
cp "$IN/good.csv" "$IN/$(printf 'esc\033[31mred.csv')"
cp "$IN/good.csv" "$IN/$(printf 'two\nlines.csv')"
cp "$IN/good.csv" "$IN/$(printf 'bell\a.csv')"
cp "$IN/good.csv" "$IN/.hidden.csv"
cp "$IN/good.csv" "$IN/upload.csv.part"
long=$(printf 'n%.0s' $(seq 246)).csv
cp "$IN/good.csv" "$IN/$long"

expect_rc 65 "refused names: exit 65" L --now 2026-11-20T08:00:00Z run
expect_grep 'esc\\x1b\[31mred.csv: not claimed: its name holds control characters' "$TEST_TMP/err" \
	"ESC shown as \\x1b"
expect_grep 'two\\x0alines.csv: not claimed' "$TEST_TMP/err" "newline shown as \\x0a"
expect_grep 'bell\\x07.csv: not claimed' "$TEST_TMP/err" "BEL shown as \\x07"
expect_grep "$long: not claimed: its name is longer than 200 bytes" "$TEST_TMP/err" \
	"the 250-byte name gets a clear error"
if grep -q "$(printf '\033')" "$TEST_TMP/err"; then fail "a raw ESC reached the log"; else pass "no raw control byte in the log"; fi
expect_eq "$(grep -c 'hidden\|upload.csv.part' "$TEST_TMP/err")" 0 "hidden and partial names stay silent"
expect_eq "$(applied acme)" "good.csv" "the good file is applied"
expect_rc 0 "status" L status
expect_grep "REFUSED" "$TEST_TMP/out" "status reports the refused entries"
expect_rc 65 "every run keeps saying so" L --now 2026-11-20T09:00:00Z run
finish
