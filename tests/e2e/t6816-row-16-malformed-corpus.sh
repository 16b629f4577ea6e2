#!/bin/sh
# e2e, fault matrix: matrix row 16 (malformed CSV/XML corpus). tests/fault/
# mkcorpus.py damages the real fixtures (tests/fixtures/profiles/*/input.*,
# one per shipped profile, and tests/fixtures/dirty/day1.*) by fixed rules:
# truncation at many cut points (mid-quote and mid-row among them), NUL
# bytes, bit flips, UTF-16/UTF-32 and Latin-1 encodings, ragged rows,
# renamed, missing and doubled header columns, broken quoting, damaged .gz
# and .zip, unclosed elements, bad entities and character references, bare
# & and <, 1,001 attributes, 100-deep nesting, DOCTYPEs, XXE and entity
# expansion; it adds the hand-written bad fixtures whose outcome is a
# quarantine or a hold (tests/fixtures/bad/CASES). tests/fault/runcorpus.py
# runs lotsync built with ASan+UBSan (build/lotsync-san) on every file, in
# three batches (one feed per file, its fixture applied first): no
# sanitizer report; each file quarantined (exit 65, the reason naming the
# file and line), held (exit 3, with a reason) or its damaged rows refused
# with line and reason; every feed's earlier data intact; verify ok. It
# prints the count and fails below 200.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
bin=$LOTSYNC
if [ "$LOTSYNC" = "$SRCDIR/lotsync" ] && [ -x "$SRCDIR/build/lotsync-san" ]; then
	bin=$SRCDIR/build/lotsync-san
	ASAN_OPTIONS=help=1 "$bin" --version 2>&1 | grep -q AddressSanitizer &&
		pass "running build/lotsync-san (ASan+UBSan)" || fail "build/lotsync-san has no ASan"
else
	echo "note: build/lotsync-san not built (make build/lotsync-san): running $LOTSYNC"
fi
/usr/bin/python3 "$SRCDIR/tests/fault/mkcorpus.py" "$SRCDIR/tests/fixtures" corpus >count.txt ||
	fail "mkcorpus.py"
echo "$(cat count.txt) files generated"
# The spools live on tmpfs: 520 claims and commits, each fsynced, cost
# minutes on a loaded disk and nothing in memory.
work=$(mktemp -d /dev/shm/lotsync-corpus.XXXXXX)
/usr/bin/python3 "$SRCDIR/tests/fault/runcorpus.py" --lotsync "$bin" --corpus corpus --work "$work" --min 200 \
	>result.txt 2>&1
rc=$?
rm -rf "$work"
cat result.txt
expect_eq "$rc" "0" "every malformed file rejected with a reason, no sanitizer report, earlier data intact"
n=$(sed -n 's/^\([0-9]*\) malformed files run:.*/\1/p' result.txt)
[ "${n:-0}" -ge 200 ] && pass "$n malformed files (at least 200)" || fail "only ${n:-0} malformed files"
finish
