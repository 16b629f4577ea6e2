#!/bin/sh
# e2e: evidence cannot be edited silently. Archived files are read-only
# (0444); a quarantined file in failed/ is a copy, so fixing it in place
# (">>") leaves the archived original alone; verify re-hashes every archived
# file, those of quarantined files included, and names a damaged one (65).
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
make_conf "$TEST_TMP"
C="$TEST_TMP/conf/lotsync.conf"
IN="$TEST_TMP/spool/incoming/acme"
L() { "$LOTSYNC" -c "$C" "$@"; }
mkdir -p "$IN"

printf 'DealerID,VIN,StockNo,Price\nD1,1HGCM8263LA100000,S1,14990\nD1,WBA8E9C53LA101111,S2,15990\n' >"$IN/good.csv"
expect_rc 0 "a good file" L --now 2026-05-01T08:00:00Z ingest
# A cut transfer: the last record short and without its line end.
printf 'DealerID,VIN,StockNo,Price\nD1,1HGCM8263LA100000,S1,14990\nD1,WBA8E9C53' >"$IN/cut.csv"
expect_rc 65 "a cut file is quarantined" L --now 2026-05-02T08:00:00Z ingest
expect_grep "reason: cut.csv:3: truncated: the last record has 2 of 4 fields" \
	"$TEST_TMP/spool/failed/acme/cut.csv.reason" "the reason says truncated"

cut=$(printf 'DealerID,VIN,StockNo,Price\nD1,1HGCM8263LA100000,S1,14990\nD1,WBA8E9C53' | sha256sum | cut -c1-64)
for f in "$TEST_TMP/spool/archive/acme/"*; do
	expect_eq "$(stat -c %a "$f")" 444 "archived $(basename "$f" | cut -c1-12) is read-only"
done
[ "$(stat -c %i "$TEST_TMP/spool/failed/acme/cut.csv")" != "$(stat -c %i "$TEST_TMP/spool/archive/acme/$cut")" ] &&
	pass "failed/cut.csv is a copy, not a link to the archive" ||
	fail "failed/cut.csv is the archived inode"

# The operator "fixes" the quarantined copy in place: the archive is untouched.
printf '%s\n' '9,9999' >>"$TEST_TMP/spool/failed/acme/cut.csv"
expect_eq "$(sha256sum "$TEST_TMP/spool/archive/acme/$cut" | cut -c1-64)" "$cut" \
	"editing failed/ leaves the archived original alone"
expect_rc 0 "verify passes" L verify
expect_grep "archived files" "$TEST_TMP/out" "verify counts the archived files"
n=$(sed -n 's/.* \([0-9]*\) archived files.*/\1/p' "$TEST_TMP/out")
expect_eq "$n" 2 "verify re-hashed both archived files (the quarantined one too)"

# Someone damages the archived copy of the quarantined file: verify names it.
chmod u+w "$TEST_TMP/spool/archive/acme/$cut"
printf 'x' >>"$TEST_TMP/spool/archive/acme/$cut"
expect_rc 65 "verify fails on the damaged quarantined archive" L verify
expect_grep "$cut: archived file damaged" "$TEST_TMP/err" "verify names the damaged quarantined archive"
finish
