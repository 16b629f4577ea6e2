#!/bin/sh
# e2e: scripts/add-vendor.sh. A dry run changes nothing. For real (under a
# private root-owned base in /run, never the system's sshd or /srv): the
# account it creates logs in by key to a private sshd that uses the Match
# block the script printed, is chrooted (sees only /upload, cannot write
# the chroot), and its upload lands in spool/incoming/<feed>/, where
# lotsync ingests it. Account, group and directories are removed after.
. "$SRCDIR/tests/e2e/lib.sh"
need_servers # root and sshd, as for the shared test servers
. "$SRCDIR/scripts/srvlib.sh"
cd "$TEST_TMP" || exit 1
AV=$SRCDIR/scripts/add-vendor.sh
vendor_begin lsv acme
opts="--spool $B/spool --chroot-base $B/chroot --keys-dir $B/keys --vendors-group $group --lotsync-group root"

# shellcheck disable=SC2086 # opts is a word list
expect_rc 0 "dry run" "$AV" -n $opts acme "$user" vendor_key.pub
expect_grep "useradd --system .* $user" "$TEST_TMP/out" "dry run shows the useradd"
expect_grep "ChrootDirectory $B/chroot/%u" "$TEST_TMP/out" "dry run prints the Match block"
id "$user" >/dev/null 2>&1 && fail "dry run created the user" || pass "dry run created no user"
test -e "$B/chroot" && fail "dry run created $B/chroot" || pass "dry run created no directory"
test -d "$B/spool/incoming/acme" && test ! -L "$B/spool/incoming/acme" && pass "dry run left the drop folder" ||
	fail "dry run changed the drop folder"
expect_rc 1 "a chroot base under /tmp is refused" "$AV" -n --spool "$B/spool" --chroot-base "$TEST_TMP/c" acme "$user" vendor_key.pub
expect_grep "writable by group or others" "$TEST_TMP/err" "and says why"

# shellcheck disable=SC2086
expect_rc 0 "add the vendor" "$AV" $opts acme "$user" vendor_key.pub
vendor_match
expect_grep "ForceCommand internal-sftp -d /upload" match.conf "the Match block forces internal-sftp"
expect_eq "$(readlink "$B/spool/incoming/acme")" "$B/chroot/$user/upload" "drop folder points at the upload dir"
expect_eq "$(stat -c '%U:%G %a' "$B/chroot/$user")" "root:root 755" "chroot is root's"
expect_eq "$(stat -c '%U:%G %a' "$B/chroot/$user/upload")" "$user:root 2770" "upload dir is the vendor's, lotsync's group"
expect_rc 1 "the same user twice is refused" "$AV" --spool "$B/spool" acme "$user" vendor_key.pub

# A private sshd with the printed block (vendor_sshd runs sshd -t on it first).
vendor_sshd
vendor() { vendor_sftp vendor.out "$@"; }
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 25 --seed 41 --out inv.csv
vendor "pwd" "put inv.csv inv.csv" "ls /" && pass "vendor logs in by key and uploads" ||
	{ fail "vendor upload"; cat vendor.out sshd.log >&2; }
expect_grep "Remote working directory: /upload" vendor.out "session starts in /upload"
expect_eq "$(grep -c '^/' vendor.out)" "1" "the chroot shows only /upload"
cmp -s inv.csv "$B/spool/incoming/acme/inv.csv" && pass "the upload landed in spool/incoming/acme/" ||
	fail "upload not in the drop folder"
vendor "put inv.csv /x.csv" && fail "wrote into the chroot root"
expect_grep 'dest open "/x.csv": Permission denied' vendor.out "the chroot itself is not writable"
vendor "cd /etc" && fail "left the chroot"
expect_grep 'No such file' vendor.out "there is no /etc in the chroot"

{
	conf_section lotsync "spool = $B/spool" "settle_seconds = 0"
	drop_feed acme
} >lotsync.conf
chmod 600 lotsync.conf
expect_rc 0 "lotsync ingests the vendor's upload" "$LOTSYNC" -c "$TEST_TMP/lotsync.conf" run
expect_eq "$(sqlite3 "$B/spool/lotsync.db" 'select vehicles || ":" || file from snapshots')" "25:inv.csv" \
	"snapshot of the uploaded file"
test ! -e "$B/chroot/$user/upload/inv.csv" && pass "claimed out of the upload dir" || fail "upload not claimed"
finish
