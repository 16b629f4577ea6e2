#!/bin/sh
# e2e (interop): an FTP server without passive mode (vsftpd 3.0.3 with
# pasv_enable=NO): passive fails with a sentence pointing at ftp_mode; with
# ftp_mode = active (EPRT/PORT on the control connection's address)
# check-config --connect, fetch and deliver work. Active-mode FTPS is
# refused with the reason on libcurl before 8.0 (7.87/7.88 fail its data
# connections: curl issue 10666).
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start act vsftpd active=only
iop_start acts vsftpd active=only tls=require
U="ftp://$FTP_USER@127.0.0.1:$ACT_PORT"
iop_conf 0
iop_feed vendor "$U/inbox/*.csv" "ca_file = $ACT_CACERT" "after_fetch = delete"
iop_target up "$U/upload/" vendor "ca_file = $ACT_CACERT"
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 40 --seed 95 --out "$ACT_ROOT/inbox/a.csv"
chown "$FTP_USER" "$ACT_ROOT/inbox/a.csv"
expect_rc 69 "passive mode against an active-only server" L fetch
expect_grep "set ftp_mode = active" "$TEST_TMP/err" "the failure points at ftp_mode"
passive=$(grep -c '"EPSV"\|"PASV"' "$ACT_LOG")
sed -i 's|^after_fetch = delete$|after_fetch = delete\nftp_mode = active|; s|^feeds = vendor$|feeds = vendor\nftp_mode = active|' conf/lotsync.conf
expect_rc 0 "check-config --connect in active mode" L check-config --connect
expect_grep "feed vendor: connected and logged in; 1 file(s)" "$TEST_TMP/out" "the source is listed"
expect_grep "target up: connected and logged in; a probe file was uploaded, renamed and deleted" "$TEST_TMP/out" \
	"the target is written to"
expect_rc 0 "run in active mode" L run
expect_eq "$(q "select vehicles from snapshots")" 40 "fetched and applied"
test ! -e "$ACT_ROOT/inbox/a.csv" && pass "deleted on the server" || fail "not deleted"
f=$(ls spool/sent/up)
cmp -s "spool/sent/up/$f" "$ACT_ROOT/upload/$f" && pass "delivered" || fail "delivery differs"
expect_grep '"EPRT |1|127.0.0.1|' "$ACT_LOG" "the server was told to connect back (EPRT)"
expect_eq "$(grep -c '"EPSV"\|"PASV"' "$ACT_LOG")" "$passive" "passive was asked only by the first, failing run"

# Active-mode FTPS
iop_feed secure "ftps://$FTP_USER@127.0.0.1:$ACTS_PORT/inbox/" "ca_file = $ACTS_CACERT" "ftp_mode = active"
if [ $((0x$(curl-config --vernum 2>/dev/null || echo 075801))) -lt $((0x080000)) ]; then
	expect_rc 78 "active-mode FTPS with libcurl $(curl-config --version)" L fetch secure
	expect_grep "ftp_mode = active with ftps:// needs libcurl 8.0 or later" "$TEST_TMP/err" "refused with the reason"
else
	expect_rc 0 "active-mode FTPS" L fetch secure
fi
finish
