#!/bin/sh
# e2e, fault matrix row 7 (disk full) and row 8 (EIO) in the archive step
# (issue 12 item 1, item 9's "empty file in work/"): the oldest of three
# files cannot be archived (ENOSPC on the copy's write; then EIO on the
# fsync of archive/). The run exits 74, the feed stops (b and c wait), no
# temporary or empty file is left in work/ or archive/, and the next run
# applies a, b, c in order.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
sed -i 's/^profile = generic-csv$/profile = generic-csv\nvanish_guard = 100%/' "$C"
sed -i '/^\[target:local\]/,$d' "$C"

for fault in "write /spool/archive/acme/.tmp- 1" "fsync /spool/archive/acme 2"; do
	rm -rf spool
	mkdir -p "$IN"
	drop3 "$IN"
	# shellcheck disable=SC2086
	expect_rc 74 "$fault: local I/O" \
		env $(fault_env $fault) "$LOTSYNC" -c "$C" --now 2026-11-20T08:00:00Z run
	expect_grep "fail .*/spool/archive/acme" "$TEST_TMP/fault.report" "the shim failed: $fault"
	rm -f "$TEST_TMP/fault.report"
	expect_eq "$(applied acme)" "" "nothing applied ahead of a.csv"
	expect_eq "$(ls spool/work/acme)" "a.csv" "a.csv waits in work/"
	expect_eq "$(ls spool/incoming/acme | tr '\n' ' ')" "b.csv c.csv " "b and c wait in incoming/"
	expect_eq "$(find spool -name '.tmp-*' -o -type f -empty ! -name .lock | wc -l)" 0 \
		"no temporary or empty file left"
	expect_rc 0 "the next run" L --now 2026-11-20T09:00:00Z run
	expect_eq "$(applied acme)" "a.csv b.csv c.csv" "applied in order"
	expect_eq "$(ls spool/work/acme | wc -l)" 0 "work/ is empty"
	expect_rc 0 "verify" L verify
done
finish
