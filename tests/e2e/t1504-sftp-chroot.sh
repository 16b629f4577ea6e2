#!/bin/sh
# e2e (interop): OpenSSH 9.2 with ChrootDirectory + ForceCommand internal-sftp,
# the way vendors' drop accounts are set up (paths relative to the chroot).
#  - fetch with settle_seconds = 2 and after_fetch = delete while the vendor
#    is still writing: nothing fetched or deleted until the file is complete;
#  - deliver with rename on and off, twice each.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start ch sshchroot
iop_conf 2
iop_sftp_vendor "$CH_KEY" "$CH_KNOWN_HOSTS" "sftp://$FTP_USER@127.0.0.1:$CH_PORT"
G() { /usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" "$@"; }
G --vehicles 300 --seed 71 --out full.csv
want=$(sha256sum full.csv | cut -c1-64)
iop_write_slowly full.csv 10 "$CH_ROOT/inbox/stock.csv"
iop_run_while_writing 2.1 '[ "$(q "select count(*) from fetched")" = 0 ] && [ -e "$CH_ROOT/inbox/stock.csv" ]'
expect_eq "$early" 0 "nothing fetched or deleted in $n runs while the vendor wrote"
iop_run_until 20 '[ ! -e "$CH_ROOT/inbox/stock.csv" ]'
expect_eq "$(q "select sha256 from fetched")" "$want" "the complete file fetched once"
test ! -e "$CH_ROOT/inbox/stock.csv" && pass "deleted once archived" || fail "still on the server"
expect_eq "$(ls "$CH_ROOT/upload" | wc -l)" 2 "delivered to both targets (rename on and off)"

# Second delivery (a hidden file of someone else in the directory is left alone)
G --from full.csv --change-pct 10 --seed 72 --out "$CH_ROOT/inbox/stock2.csv"
LOTSYNC_TEST_SETTLE_OFFSET=-60 L fetch >/dev/null 2>&1
printf 'a hidden file of someone else\n' >"$CH_ROOT/upload/.other.part"
expect_rc 0 "second run delivers again" L run
expect_eq "$(ls "$CH_ROOT/upload" | wc -l)" 4 "two files per target, each under its own name"
for f in spool/sent/renamed/* spool/sent/direct/*; do
	cmp -s "$f" "$CH_ROOT/upload/$(basename "$f")" || fail "$(basename "$f") differs on the server"
done
pass "every delivered file is complete on the server"
expect_eq "$(ls -A "$CH_ROOT/upload" | grep '^\.')" ".other.part" "no temporary file of lotsync left, the other one kept"
finish
