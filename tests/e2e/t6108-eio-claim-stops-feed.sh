#!/bin/sh
# e2e, fault matrix row 8 (fsync/rename EIO) on the claim (issue 12 items 1
# and 2): one EIO on the fsync of incoming/ while the oldest of three files
# is claimed. The run exits 74, the feed stops (nothing newer is applied
# ahead of it), `status` says so (exit 74, the claimed file in work/); the
# next run applies a, b, c in that order. Then a failed rename of the claim:
# the same; and a failed move of the file's .done marker leaves no marker
# behind. Before the fix the runs exited 0 and applied b and c first.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
sed -i 's/^profile = generic-csv$/profile = generic-csv\nvanish_guard = 100%/' "$C"
sed -i '/^\[target:local\]/,$d' "$C"
drop3 "$IN"

expect_rc 74 "EIO on the claim's fsync of incoming/: local I/O" \
	env $(fault_env fsync /spool/incoming/acme\$ 1) "$LOTSYNC" -c "$C" --now 2026-11-20T08:00:00Z run
expect_grep "fail 1 fsync .*/spool/incoming/acme" "$TEST_TMP/fault.report" "the shim failed that fsync"
expect_grep "cannot fsync directory" "$TEST_TMP/err" "the error names the failed fsync"
expect_eq "$(applied acme)" "" "nothing applied ahead of the file that failed"
expect_eq "$(ls spool/work/acme)" "a.csv" "a.csv waits in work/"
expect_eq "$(ls spool/incoming/acme | tr '\n' ' ')" "b.csv c.csv " "b and c wait in incoming/"
expect_rc 74 "status reflects the stopped run" L status
expect_grep "exit 74" "$TEST_TMP/out" "status names the exit code"
expect_grep "CLAIMED 1 file" "$TEST_TMP/out" "status shows the claimed file"
expect_rc 0 "the next run" L --now 2026-11-20T09:00:00Z run
expect_eq "$(applied acme)" "a.csv b.csv c.csv" "applied in order"
expect_rc 0 "status is clean again" L status

# A rename that fails (EIO) while claiming: the file stays in incoming/, the feed stops
rm -rf spool
mkdir -p "$IN"
drop3 "$IN"
expect_rc 74 "EIO on the claim's rename" \
	env $(fault_env rename /spool/incoming/acme/a.csv 1) "$LOTSYNC" -c "$C" --now 2026-11-20T08:00:00Z run
expect_eq "$(applied acme)" "" "nothing applied"
expect_rc 0 "the next run" L --now 2026-11-20T09:00:00Z run
expect_eq "$(applied acme)" "a.csv b.csv c.csv" "applied in order"

# The sender's .done marker: its move fails (EIO) after the file reached work/.
# The marker must not stay behind in incoming/ (it would let a later a.csv be
# claimed unsettled): the next run takes it along with the leftover.
rm -rf spool
mkdir -p "$IN"
drop3 "$IN"
touch "$IN/a.csv.done"
expect_rc 74 "EIO on the rename of the .done marker" \
	env $(fault_env rename /spool/incoming/acme/a.csv.done 1) "$LOTSYNC" -c "$C" --now 2026-11-20T08:00:00Z run
expect_eq "$(applied acme)" "" "nothing applied"
expect_rc 0 "the next run" L --now 2026-11-20T09:00:00Z run
expect_eq "$(applied acme)" "a.csv b.csv c.csv" "applied in order"
expect_eq "$(ls -A spool/incoming/acme spool/work/acme | grep -c done)" 0 "no marker left behind"
expect_rc 0 "verify" L verify
finish
