#!/bin/sh
# e2e: local I/O faults of export and deliver on a file:// target.
#  - the outbox is full (a 64 KiB tmpfs): the export fails with exit 74,
#    nothing is recorded, no temporary file is left; with room again the
#    next run exports and delivers it;
#  - sent/ cannot be written (a read-only bind mount in a private mount
#    namespace): the file reaches the receiver under its final name, the
#    delivery is recorded once, the run exits 74 and the file waits in the
#    outbox; the next run moves it to sent/ without delivering it again.
# Fault matrix: matrix row 7 (disk full, the outbox).
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
if [ "$(id -u)" -ne 0 ]; then
	[ "${LOTSYNC_REQUIRE_SERVERS:-0}" = 1 ] && { echo "FAIL: needs root (tmpfs, bind mounts)" >&2; exit 1; }
	echo "needs root (tmpfs, bind mounts)"
	exit 77
fi
make_conf "$TEST_TMP"
C=$TEST_TMP/conf/lotsync.conf
L() { "$LOTSYNC" -c "$C" "$@"; }
q() { sqlite3 spool/lotsync.db "$1"; }
IN=spool/incoming/acme
mkdir -p "$IN" spool/outbox/local spool/sent/local
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 2000 --seed 61 --out "$IN/a.csv"
expect_rc 0 "ingest" L --now 2026-11-20T07:00:00Z ingest

mount -t tmpfs -o size=64k tmpfs spool/outbox/local || { fail "cannot mount a tmpfs"; finish; }
trap 'umount "$TEST_TMP/spool/outbox/local" 2>/dev/null' EXIT
expect_rc 74 "outbox full: exit 74" L --now 2026-11-20T08:00:00Z run
expect_grep "No space left on device" "$TEST_TMP/err" "the error says why"
expect_eq "$(q "select count(*) from exports")" "0" "no export recorded"
expect_eq "$(ls -A spool/outbox/local)" "" "no temporary file left in the outbox"
expect_eq "$(ls -A outbox-remote)" "" "nothing delivered"
umount spool/outbox/local
trap - EXIT
expect_rc 0 "with room again" L --now 2026-11-20T09:00:00Z run
expect_eq "$(q "select file || ':' || state from exports")" "local-20261120T090000Z-1.csv:delivered" \
	"exported and delivered once"
cmp -s spool/sent/local/local-20261120T090000Z-1.csv outbox-remote/local-20261120T090000Z-1.csv &&
	pass "the receiver has the exported bytes" || fail "receiver copy differs"

# sent/ read-only: delivered, recorded, but the file cannot leave the outbox.
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --from "spool/sent/local/local-20261120T090000Z-1.csv" \
	--seed 62 --out "$IN/b.csv" 2>/dev/null ||
	/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 2000 --seed 62 --out "$IN/b.csv"
ro_sent() { unshare -m sh -c 'mount --bind -o ro "$1" "$1" && shift && exec "$@"' ro "$TEST_TMP/spool/sent/local" "$@"; }
expect_rc 74 "sent/ read-only: exit 74" ro_sent "$LOTSYNC" -c "$C" --now 2026-11-21T08:00:00Z run
f=local-20261121T080000Z-2.csv
expect_grep "cannot move .*$f" "$TEST_TMP/err" "the failed move is named"
expect_eq "$(ls outbox-remote | tr '\n' ' ')" "local-20261120T090000Z-1.csv $f " "the receiver has the file under its final name"
expect_eq "$(ls spool/outbox/local)" "$f" "the file waits in the outbox"
expect_eq "$(q "select group_concat(d.result) from deliveries d join exports e on e.id = d.export_id where e.file = '$f'")" \
	"delivered" "its delivery is recorded"
expect_rc 0 "next run" L --now 2026-11-21T09:00:00Z run
expect_eq "$(ls -A spool/outbox/local)" "" "the outbox is empty"
expect_eq "$(ls spool/sent/local | tr '\n' ' ')" "local-20261120T090000Z-1.csv $f " "moved to sent/"
expect_eq "$(q "select count(*) from deliveries d join exports e on e.id = d.export_id where e.file = '$f'")" \
	"1" "not delivered twice"
finish
