#!/bin/sh
# e2e (issue 12, Tests: the fault enumeration), the sampled version for
# `make check`: tests/fault/enumerate.py counts the fsync, fdatasync,
# rename, renameat, renameat2, link, linkat, close (of descriptors open for
# writing), write and pwrite calls of one run of the scenario (two drop
# feeds of three files each, rules, a full and a delta file:// target),
# then fails 24 of them (the first, the last and 22 spread by a fixed
# seed), each once and persistently: exit 74 (69 for a target's remote
# directory), integrity_check ok, verify 0, and after clean reruns the
# state of the uninterrupted run, the order of the applied files included,
# with no temporary file left. `make torture` tries every call.
# Fault matrix: matrix row 8 (every counted call failed; disk full too).
. "$SRCDIR/tests/e2e/lib.sh"
SHIM=$SRCDIR/build/faultshim.so
[ -f "$SHIM" ] || { echo "FAIL: $SHIM missing (make build/faultshim.so)" >&2; exit 1; }
if /usr/bin/python3 "$SRCDIR/tests/fault/enumerate.py" --lotsync "$LOTSYNC" --shim "$SHIM" \
	--sample 24 --seed 12 --workdir "$TEST_TMP" -v >"$TEST_TMP/enum" 2>&1; then
	pass "$(tail -n 1 "$TEST_TMP/enum")"
else
	grep -v '^ok ' "$TEST_TMP/enum" | cut -c1-400 >&2
	fail "fault enumeration"
fi
finish
