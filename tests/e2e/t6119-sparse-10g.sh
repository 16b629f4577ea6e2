#!/bin/sh
# e2e, fault matrix row 19 (a sparse 10 GB drop file; issue 12 item 9): it
# is refused from its size alone, before a byte is read (exit 65, well
# under a second), and the feed's other file is applied. Before the fix it
# was hashed, archived and read for 27 s before being refused.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
sed -i '/^\[target:local\]/,$d' "$C"
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 20 --seed 91 --out "$IN/good.csv"
truncate -s 10G "$IN/huge.csv"
start=$(date +%s%N)
expect_rc 65 "the sparse file is refused" L --now 2026-11-20T08:00:00Z run
ms=$((($(date +%s%N) - start) / 1000000))
expect_grep "huge.csv: not claimed: 10737418240 bytes, more than the 4294967296 a feed file may have" \
	"$TEST_TMP/err" "the error names the size and the cap"
[ "$ms" -lt 2000 ] && pass "refused in $ms ms" || fail "refusing took $ms ms"
expect_eq "$(applied acme)" "good.csv" "the other file is applied"
expect_eq "$(ls spool/archive/acme | wc -l)" 1 "nothing of the big file archived"
finish
