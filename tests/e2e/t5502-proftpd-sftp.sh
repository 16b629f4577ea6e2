#!/bin/sh
# e2e (interop): ProFTPD 1.3.8 mod_sftp (publickey, DefaultRoot chroot) with
# its default AllowOverwrite off, as an SFTP feed and target:
#  - fetch with after_fetch = delete;
#  - deliver with rename on and off, twice; a run killed after the upload
#    is finished by the next one;
#  - leftovers of interrupted uploads (a stale .NAME.part; with rename = off
#    a partial NAME) do not block the retry.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start ps proftpd sftp=on overwrite=off
iop_conf 0
iop_sftp_vendor "$PS_KEY" "$PS_KNOWN_HOSTS" "sftp://$FTP_USER@127.0.0.1:$PS_PORT"
G() { /usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" "$@"; }
G --vehicles 100 --seed 91 --out a.orig
cp a.orig "$PS_ROOT/inbox/a.csv"
expect_rc 0 "fetch, apply, delete, deliver over mod_sftp" L run
expect_eq "$(q "select vehicles from snapshots")" 100 "applied"
test ! -e "$PS_ROOT/inbox/a.csv" && pass "deleted on the server once archived" || fail "not deleted"
expect_eq "$(ls "$PS_ROOT/upload" | wc -l)" 2 "delivered to both targets"
G --from a.orig --change-pct 10 --seed 92 --out "$PS_ROOT/inbox/b.csv"
expect_rc 137 "killed right after the upload" env LOTSYNC_CRASH_AT=deliver-renamed "$LOTSYNC" \
	-c "$TEST_TMP/conf/lotsync.conf" run
expect_rc 0 "the next run finishes the deliveries" L run
expect_eq "$(ls "$PS_ROOT/upload" | wc -l)" 4 "two files per target"
for f in spool/sent/renamed/* spool/sent/direct/*; do
	cmp -s "$f" "$PS_ROOT/upload/$(basename "$f")" || fail "$(basename "$f") differs on the server"
done
expect_eq "$(ls spool/outbox/renamed spool/outbox/direct | grep -c csv)" 0 "nothing left pending"
expect_eq "$(ls -A "$PS_ROOT/upload" | grep -c '^\.')" 0 "no temporary file left"

# Leftovers of interrupted uploads in the way of the next files
G --from a.orig --change-pct 20 --seed 93 --out "$PS_ROOT/inbox/c.csv"
iop_leftovers "$PS_ROOT" "$PS_PORT"
expect_eq "$(ls -A "$PS_ROOT/upload" | grep -c '^\.')" 0 "the stale temporary file is gone"
finish
