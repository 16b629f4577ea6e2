#!/bin/sh
# e2e (interop): FTPS with TLS 1.2 as the floor and 1.3 allowed.
#  - ProFTPD 1.3.8 allowing only TLS 1.3 (TLSRequired on): fetch and deliver;
#  - vsftpd 3.0.3 forcing TLS with its default require_ssl_reuse=YES, over
#    TLS 1.3: seven uploads all complete. (libcurl 7.88 closes an upload's
#    data connection before the server's TLS 1.3 session ticket arrives; the
#    ticket then draws a TCP reset that loses the data vsftpd has not read
#    yet: "426 Failure reading network stream", then "522 session reuse
#    required". lotsync half-closes and waits for the server's close; with
#    that removed about half of these uploads fail.)
#  - ProFTPD allowing only TLS 1.1: refused (exit 69) with a sentence that
#    names the cause, not just OpenSSL's alert.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start pt proftpd tls=tls13
iop_start vs vsftpd tls=require
iop_start old proftpd tls=tls11
iop_conf 0
for n in pt vs; do
	eval "port=\$$(echo "$n" | tr a-z A-Z)_PORT root=\$$(echo "$n" | tr a-z A-Z)_ROOT"
	iop_feed "in$n" "ftps://$FTP_USER@127.0.0.1:$port/inbox/*.csv" "ca_file = $PT_CACERT"
	iop_target "out$n" "ftps://$FTP_USER@127.0.0.1:$port/upload/" "in$n" "ca_file = $PT_CACERT" "mode = delta"
	/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 1500 --seed 51 --out "$root/inbox/a.csv"
done
expect_rc 0 "fetch from TLS 1.3-only ProFTPD and from vsftpd, deliver to both" L run
expect_eq "$(q "select group_concat(feed || ':' || vehicles) from (select feed, vehicles from snapshots order by feed)")" \
	"inpt:1500,invs:1500" "both feeds fetched and applied"
cmp -s "$(ls spool/sent/outpt/*)" "$(ls "$PT_ROOT"/upload/*.csv)" && pass "delivered over TLS 1.3" || fail "TLS 1.3 delivery"
iop_target outvsraw "ftps://$FTP_USER@127.0.0.1:$VS_PORT/upload/" invs "ca_file = $PT_CACERT" "rename = off"
# Three more uploads to vsftpd per target (each run sends one) on fresh sessions
for i in 2 3 4; do
	/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --from "$VS_ROOT/inbox/a.csv" --change-pct 20 --seed 5$i --out "$VS_ROOT/inbox/b$i.csv"
	expect_rc 0 "vsftpd: run $i" L run
done
expect_eq "$(ls "$VS_ROOT"/upload/*.csv | wc -l)" 7 "seven uploads to vsftpd (require_ssl_reuse=YES), rename on and off"
for f in spool/sent/outvs/* spool/sent/outvsraw/*; do
	cmp -s "$f" "$VS_ROOT/upload/$(basename "$f")" || fail "$(basename "$f") differs on vsftpd"
done
expect_eq "$(grep -c "FAIL UPLOAD" "$VS_LOG")" 0 "no failed upload in vsftpd's log"
expect_eq "$(grep -c "SSL version: TLSv1.2" "$VS_LOG")" 0 "vsftpd never spoke TLS 1.2"
v13=$(grep -c "SSL version: TLSv1.3, .*, reused" "$VS_LOG")
[ "$v13" -ge 7 ] && pass "vsftpd: $v13 data connections over TLS 1.3, each reusing the session" ||
	fail "vsftpd: only $v13 TLS 1.3 data connections with session reuse"

# A server that speaks only TLS 1.1
iop_feed tooold "ftps://$FTP_USER@127.0.0.1:$OLD_PORT/inbox/" "ca_file = $PT_CACERT"
expect_rc 69 "a TLS 1.1-only server" L fetch tooold
expect_grep "alert protocol version" "$TEST_TMP/err" "OpenSSL's alert is quoted"
expect_grep "share no TLS version: lotsync speaks TLS 1.2 and 1.3 only" "$TEST_TMP/err" "and explained"
finish
