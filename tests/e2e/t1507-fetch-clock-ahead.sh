#!/bin/sh
# e2e (interop): servers whose clock runs ahead, faked with libfaketime on
# the daemon (scripts/start-interop.sh clock=): vsftpd 3.0.3 2 s ahead and
# ProFTPD 1.3.8 (MLSD) 1 h ahead; the vendor's file on each carries the
# server's clock (tests/e2e/interop.sh IOP_CLOCK). settle_seconds = 2 and
# after_fetch = delete: nothing is fetched or deleted while the vendor
# writes; then the whole file is fetched and deleted; the server 1 h ahead
# is warned about.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start vs vsftpd clock=2
iop_start pro proftpd clock=3600
tr '\0' '\n' <"/proc/$VS_PID/environ" | grep -q '^FAKETIME=+2s$' && pass "vsftpd runs on a clock 2 s ahead" ||
	fail "vsftpd is not under libfaketime"
iop_conf 2
iop_feed vs "ftp://$FTP_USER@127.0.0.1:$VS_PORT/inbox/*.csv" "after_fetch = delete"
iop_feed pro "ftp://$FTP_USER@127.0.0.1:$PRO_PORT/inbox/*.csv" "after_fetch = delete"
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 200 --seed 23 --out full.csv
want=$(sha256sum full.csv | cut -c1-64)
IOP_CLOCK=2 iop_write_slowly full.csv 8 "$VS_ROOT/inbox/s.csv"
w2=$writer
IOP_CLOCK=3600 iop_write_slowly full.csv 8 "$PRO_ROOT/inbox/s.csv"
iop_run_while_writing 2.1 '[ "$(q "select count(*) from fetched")" = 0 ] &&
	[ -e "$VS_ROOT/inbox/s.csv" ] && [ -e "$PRO_ROOT/inbox/s.csv" ]'
wait "$w2"
expect_eq "$early" 0 "nothing fetched or deleted in $n runs while the file grew"
[ "$n" -ge 2 ] && pass "$n runs happened during the upload" || fail "only $n run(s) during the upload"
expect_grep "$PRO_PORT/inbox/: 1 listed file(s) have modification times in the future" run1.err \
	"the server 1 h ahead is warned about"
# ProFTPD (which overwrites its environment for its process titles) writes
# its log with its own clock: an hour ahead
ahead=$(/usr/bin/python3 -I -S - "$IOP/pro-cmd.log" <<'PY'
import re, sys, time, calendar
last = open(sys.argv[1]).read().strip().splitlines()[-1]
m = re.search(r"\[(\d+/\w+/\d+:\d+:\d+:\d+) ([+-]\d{4})\]", last)
t = calendar.timegm(time.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S"))
off = int(m.group(2)[:3]) * 3600 + int(m.group(2)[0] + m.group(2)[3:]) * 60
print(round((t - off - time.time()) / 60))
PY
)
expect_eq "$ahead" 60 "ProFTPD's own log runs 60 minutes ahead"
iop_run_until 20 '[ "$(q "select count(*) from fetched where remote_deleted_at is not null")" = 2 ]'
expect_eq "$(q "select feed || ':' || sha256 from fetched order by feed")" "pro:$want
vs:$want" "the complete file fetched once from each"
test ! -e "$VS_ROOT/inbox/s.csv" && test ! -e "$PRO_ROOT/inbox/s.csv" && pass "deleted on both once archived" ||
	fail "not deleted"
finish
