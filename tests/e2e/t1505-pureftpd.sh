#!/bin/sh
# e2e (interop): Pure-FTPd 1.0.50 with TLS required (-Y 2), one session per
# client (-C 1) and deletes refused (-K, "keep all files"), a virtual user
# chrooted to its directory.
#  - fetch with settle_seconds = 2 and after_fetch = delete while the vendor
#    writes: nothing fetched until complete; the refused delete is recorded
#    and warned once;
#  - the feed and a target on the same one-session server in one run: exit 0;
#  - deliver with rename on and off, twice;
#  - an interrupted upload (stale .NAME.part, partial NAME) is retried.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start pd pureftpd tls=require maxperip=1 keep=on
U="ftps://$FTP_USER@127.0.0.1:$PD_PORT"
iop_conf 2
iop_feed vendor "$U/inbox/*.csv" "ca_file = $PD_CACERT" "after_fetch = delete"
iop_targets "$U" vendor "password_file = secrets/ftp.pw" "ca_file = $PD_CACERT"
G() { /usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" "$@"; }
G --vehicles 300 --seed 81 --out full.csv
want=$(sha256sum full.csv | cut -c1-64)
iop_write_slowly full.csv 10 "$PD_ROOT/inbox/stock.csv"
iop_run_while_writing 2.1 '[ "$(q "select count(*) from fetched")" = 0 ]'
expect_eq "$early" 0 "nothing fetched in $n runs while the vendor wrote"
iop_run_until 20 '[ "$(q "select count(*) from fetched")" != 0 ]'
expect_eq "$rc" 0 "the run that fetched, applied and delivered exits 0 (one session at a time)"
expect_eq "$(q "select sha256 from fetched")" "$want" "the complete file fetched once"
expect_eq "$(grep -c "the server refuses to delete the file" run.err)" 1 "the refused delete is warned"
test -e "$PD_ROOT/inbox/stock.csv" && pass "the file stays on the server (-K)" || fail "deleted despite -K"
expect_eq "$(ls "$PD_ROOT/upload" | wc -l)" 2 "delivered to both targets"

G --from full.csv --change-pct 10 --seed 82 --out "$PD_ROOT/inbox/stock2.csv"
LOTSYNC_TEST_SETTLE_OFFSET=-60 L fetch >/dev/null 2>&1
expect_rc 0 "second file: fetched, delivered twice more" L run
expect_eq "$(grep -c "refuses to delete the file" "$TEST_TMP/err")" 1 "only the new file's refusal is warned"
expect_eq "$(ls "$PD_ROOT/upload" | wc -l)" 4 "two files per target"
for f in spool/sent/renamed/* spool/sent/direct/*; do
	cmp -s "$f" "$PD_ROOT/upload/$(basename "$f")" || fail "$(basename "$f") differs on the server"
done
expect_eq "$(ls -A "$PD_ROOT/upload" | grep -c '^\.')" 0 "no temporary file left"

# Leftovers of interrupted uploads in the way of the next exports
G --from full.csv --change-pct 20 --seed 83 --out "$PD_ROOT/inbox/stock3.csv"
LOTSYNC_TEST_SETTLE_OFFSET=-60 L fetch >/dev/null 2>&1
iop_leftovers "$PD_ROOT" "$PD_PORT"
finish
