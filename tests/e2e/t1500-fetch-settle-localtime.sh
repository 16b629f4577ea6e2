#!/bin/sh
# e2e (interop): remote files settle by lotsync's own listings, not by the
# server's clock. Two real vsftpd 3.0.3 with Debian's stock use_localtime=YES
# (MDTM in local time) under TZ=America/New_York (listed times 5 h behind)
# and TZ=Europe/Berlin (1 h ahead), plus ProFTPD 1.3.8 over FTPS (TLS
# required, no MLST facts) and over mod_sftp; after_fetch = delete,
# settle_seconds = 2.
# A vendor writes the feed slowly: while it writes, nothing is fetched and
# nothing deleted; once it stops, the complete file is fetched, applied,
# then deleted; each skewed server is warned about once per run.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start nyc vsftpd tz=America/New_York
iop_start ber vsftpd tz=Europe/Berlin
iop_start pro proftpd tls=require facts=off
iop_start ps proftpd sftp=on
iop_conf 2
iop_feed nyc "ftp://$FTP_USER@127.0.0.1:$NYC_PORT/inbox/*.csv" "after_fetch = delete"
iop_feed ber "ftp://$FTP_USER@127.0.0.1:$BER_PORT/inbox/*.csv" "after_fetch = delete"
iop_feed pro "ftps://$FTP_USER@127.0.0.1:$PRO_PORT/inbox/*.csv" "after_fetch = delete" "ca_file = $PRO_CACERT"
iop_sftp_feed ps "$PS_KEY" "$PS_KNOWN_HOSTS" "sftp://$FTP_USER@127.0.0.1:$PS_PORT/inbox/*.csv" \
	"after_fetch = delete"

/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 300 --seed 21 --out full.csv
want=$(sha256sum full.csv | cut -c1-64)
# The vendor's upload: 14 pieces, one every 0.5 s, into both servers' inboxes.
iop_write_slowly full.csv 14 "$NYC_ROOT/inbox/stock.csv" "$BER_ROOT/inbox/stock.csv" \
	"$PRO_ROOT/inbox/stock.csv" "$PS_ROOT/inbox/stock.csv"

# Listings 2.2 s apart (more than settle_seconds) while the file grows.
iop_run_while_writing 2.2 '[ "$(q "select count(*) from fetched")" = 0 ] &&
	[ -e "$NYC_ROOT/inbox/stock.csv" ] && [ -e "$BER_ROOT/inbox/stock.csv" ] &&
	[ -e "$PRO_ROOT/inbox/stock.csv" ] && [ -e "$PS_ROOT/inbox/stock.csv" ]' -v
expect_eq "$early" 0 "nothing fetched or deleted in $n runs while the vendor was writing"
[ "$n" -ge 2 ] && pass "$n runs happened during the upload" || fail "only $n run(s) during the upload"
expect_grep "waiting for the file to settle" run1.err "the growing file waits to settle"
expect_eq "$(grep -c "ftp://$FTP_USER@127.0.0.1:$BER_PORT/inbox/: 1 listed file(s) have modification times in the future" run2.err)" 1 \
	"Berlin server (MDTM 1 h ahead) warned about once in a run"
expect_eq "$(grep -c "ftp://$FTP_USER@127.0.0.1:$NYC_PORT/inbox/: 1 file(s) changed since the last listing but show modification times" run2.err)" 1 \
	"New York server (MDTM 5 h behind) warned about once in a run"

# The upload is complete: the next listings settle it, by lotsync's clock.
iop_run_until 30 '[ "$(q "select count(*) from remote_seen")" = 0 ]'
expect_eq "$(q "select feed || ':' || sha256 from fetched order by feed")" "ber:$want
nyc:$want
pro:$want
ps:$want" "each server's file fetched once, complete"
expect_eq "$(q "select feed || ':' || vehicles from snapshots order by feed")" "ber:300
nyc:300
pro:300
ps:300" "all 300 vehicles applied from each"
expect_eq "$(q "select count(*) from fetched where remote_deleted_at is not null")" 4 "every deletion recorded"
gone=1
for r in "$NYC_ROOT" "$BER_ROOT" "$PRO_ROOT" "$PS_ROOT"; do
	[ ! -e "$r/inbox/stock.csv" ] || gone=0
done
expect_eq "$gone" 1 "deleted on every server once archived"
finish
