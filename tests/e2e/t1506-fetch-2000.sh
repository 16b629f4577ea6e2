#!/bin/sh
# e2e (interop): 2,000 files in one directory, fetched whole and once, from
# ProFTPD without MLST (NLST + SIZE/MDTM in batches), pyftpdlib without MLSD
# and OpenSSH internal-sftp in a chroot.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start pro proftpd facts=off
iop_start py pyftpd mlst=off
iop_start ch sshchroot
iop_conf 0
iop_feed pro "ftp://$FTP_USER@127.0.0.1:$PRO_PORT/inbox/*.csv"
iop_feed py "ftp://$FTP_USER@127.0.0.1:$PY_PORT/inbox/*.csv"
iop_sftp_feed ch "$CH_KEY" "$CH_KNOWN_HOSTS" "sftp://$FTP_USER@127.0.0.1:$CH_PORT/inbox/*.csv"
/usr/bin/python3 -I -S - "$PRO_ROOT/inbox" "$PY_ROOT/inbox" "$CH_ROOT/inbox" <<'PY'
import os, sys, time
t = time.time() - 3600
for d in sys.argv[1:]:
    for i in range(500 if "/py-data/" in d else 2000):
        p = "%s/f%04d.csv" % (d, i)
        with open(p, "w") as f:
            f.write("DealerID,VIN,StockNo\nD1,FILE%013d,%d\n" % (i, i) + "x" * (i % 97))
        os.utime(p, (t + i, t + i))
PY
expect_rc 0 "fetch 2,000 files from ProFTPD and SFTP, 500 from pyftpdlib" L -v fetch
for f in pro py ch; do
	want=2000
	[ $f = py ] && want=500
	expect_grep "feed $f: fetched $want file(s)" "$TEST_TMP/out" "$f: all $want fetched"
	eval "src=\$$(echo $f | tr a-z A-Z)_ROOT/inbox"
	(cd "$src" && sha256sum f*.csv) >want
	(cd "spool/incoming/$f" && sha256sum f*.csv) >got
	cmp -s want got && pass "$f: every file complete" || fail "$f: copies differ"
done
expect_rc 0 "fetch again" L -v fetch
expect_eq "$(grep -c "fetched 0 file(s) (0 bytes), [25]00* unchanged" "$TEST_TMP/out")" 3 "nothing fetched twice"
finish
