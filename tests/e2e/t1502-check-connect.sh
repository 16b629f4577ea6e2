#!/bin/sh
# e2e (interop): check-config --connect does more than log in: a feed's
# source is listed (how many files match its glob; a server without MDTM is
# warned about; a missing directory fails), a target gets a probe file
# uploaded the way deliveries go and deleted (an unwritable directory
# fails); --no-write only logs in.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start pro proftpd facts=off
iop_start nomdtm pyftpd mlst=off mdtm=off
mkdir -p "$PRO_ROOT/readonly"
touch "$PRO_ROOT/inbox/a.csv" "$PRO_ROOT/inbox/b.csv" "$PRO_ROOT/inbox/notes.txt" "$NOMDTM_ROOT/inbox/c.csv"
U="ftp://$FTP_USER@127.0.0.1"
iop_conf 0
iop_feed globbed "$U:$PRO_PORT/inbox/*.csv"
iop_feed nomdtm "$U:$NOMDTM_PORT/inbox/" "after_fetch = delete"
iop_target up "$U:$PRO_PORT/upload/" globbed
expect_rc 0 "check-config --connect" L check-config --connect
expect_grep "feed globbed: connected and logged in; 2 file(s) in $U:$PRO_PORT/inbox/ match" "$TEST_TMP/out" \
	"the feed's source is listed with its glob"
expect_grep "feed nomdtm: connected and logged in; 1 file(s)" "$TEST_TMP/out" "a server without MDTM lists"
expect_grep "feed nomdtm: the server gives no modification times for 1 of them" "$TEST_TMP/err" "and is warned about"
expect_grep "target up: connected and logged in; a probe file was uploaded, renamed and deleted" "$TEST_TMP/out" \
	"the target is written to"
expect_grep "STOR .lotsync-probe-[0-9]*.tmp.part" "$IOP/pro-cmd.log" "the probe went up under the temporary name"
expect_grep "DELE lotsync-probe-[0-9]*.tmp" "$IOP/pro-cmd.log" "and was deleted"
expect_eq "$(ls -A "$PRO_ROOT/upload")" "" "nothing left in the upload directory"

stors=$(grep -c "STOR" "$IOP/pro-cmd.log")
expect_rc 0 "--no-write" L check-config --connect --no-write
expect_grep "target up: connected and logged in (nothing written: --no-write)" "$TEST_TMP/out" "--no-write says so"
expect_eq "$(grep -c "STOR" "$IOP/pro-cmd.log")" "$stors" "--no-write uploads nothing"

# A missing source directory and an unwritable target directory fail
sed -i "s|$PRO_PORT/inbox/\*.csv|$PRO_PORT/nosuchdir/*.csv|; s|$PRO_PORT/upload/|$PRO_PORT/readonly/|" conf/lotsync.conf
expect_rc 69 "wrong paths" L check-config --connect
expect_grep "feed globbed: FAILED (exit 69)" "$TEST_TMP/out" "a missing source directory fails"
expect_grep "target up: FAILED (exit 69)" "$TEST_TMP/out" "an unwritable target directory fails"
expect_grep "the directory does not exist for this account" "$TEST_TMP/err" "the missing directory is explained"
finish
