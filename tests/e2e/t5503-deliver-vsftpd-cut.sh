#!/bin/sh
# e2e (interop): uploads to vsftpd 3.0.3 (FTPS forced, require_ssl_reuse=YES,
# TLS 1.3) interrupted half-way, then retried. vsftpd's local_max_rate keeps
# each upload going for about two seconds, so it can be cut while the file
# grows on the server:
#  - the server's session processes killed mid-upload (rename on): the run
#    exits 69, the final name never appears, only the temporary one holds
#    the partial copy; the next run removes it and delivers the file once;
#  - lotsync itself killed mid-upload (rename on): the same, the stale
#    temporary file is removed by the next run;
#  - rename = off, the server killed mid-upload: the partial copy under the
#    final name is replaced by the whole file on the next run.
# Fault matrix: matrix row 4 (kill -9 during upload),
# matrix row 6 (server drops mid-upload).
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start vs vsftpd tls=require rate=120000
iop_conf 0
UP=$VS_ROOT/upload
mkdir -p spool/incoming/acme
drop_feed acme >>conf/lotsync.conf
iop_targets "ftps://$FTP_USER@127.0.0.1:$VS_PORT" acme "password_file = secrets/ftp.pw" \
	"ca_file = $VS_CACERT"
G() { /usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" "$@"; }
results() { q "select group_concat(d.result) from deliveries d join exports e on e.id = d.export_id where e.target = '$1' and e.file = '$2' order by d.id"; }
size() { iop_size "$1"; }
growing() { iop_growing "$1" 10; }
kill_sessions() { iop_kill_sessions "$VS_PID"; } # vsftpd's sessions, not the listener
# cut_upload TARGET FILE WHAT: deliver TARGET; once FILE on the server grows, kill
# the server's sessions: the run exits 69.
cut_upload() {
	L deliver "$1" >"cut-$1.out" 2>"cut-$1.err" &
	_lp=$!
	growing "$2" && pass "$3 is under way" || fail "$3 never grew"
	kill_sessions
	wait $_lp
	expect_eq "$?" 69 "$3, cut: exit 69"
}

# Exports waiting in the outbox (nothing delivered yet: the targets are
# asked one at a time below).
G --vehicles 800 --seed 61 --out a.orig
cp a.orig spool/incoming/acme/a.csv
expect_rc 0 "ingest and export" L ingest
L export >/dev/null 2>&1
P=$(ls spool/outbox/renamed) R=$(ls spool/outbox/direct)
[ -n "$P" ] && [ -n "$R" ] && pass "one export per target ($P, $(size "spool/outbox/renamed/$P") bytes)" ||
	fail "nothing exported"

# ---- the server killed mid-upload, rename on ----
cut_upload renamed "$UP/.$P.part" "the upload in .$P.part"
test ! -e "$UP/$P" && pass "the final name was never created" || fail "the final name exists after the cut"
[ "$(size "$UP/.$P.part")" -lt "$(size "spool/outbox/renamed/$P")" ] &&
	pass "only the temporary name holds the partial copy" || fail "the temporary file is not partial"
expect_eq "$(ls spool/outbox/renamed)" "$P" "the export stays queued"
expect_rc 0 "the next run" L deliver renamed
cmp -s "spool/sent/renamed/$P" "$UP/$P" && pass "delivered whole" || fail "the delivered file differs"
test ! -e "$UP/.$P.part" && pass "the partial temporary file is gone" || fail ".$P.part left behind"
expect_eq "$(results renamed "$P")" "failed,delivered" "one failed attempt, one delivery recorded"
expect_eq "$(grep -c "\"RNTO $P\"" "$VS_LOG")" 1 "renamed into place exactly once"

# ---- lotsync killed mid-upload, rename on ----
G --from a.orig --change-pct 10 --seed 62 --out b.orig
cp b.orig spool/incoming/acme/b.csv
L ingest >/dev/null 2>&1
L export >/dev/null 2>&1
P2=$(ls spool/outbox/renamed)
"$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" deliver renamed >cut2.out 2>cut2.err &
lp=$!
growing "$UP/.$P2.part" && pass "the second upload is under way" || fail "the second upload never grew"
kill -KILL $lp
wait $lp 2>/dev/null
expect_eq "$?" 137 "lotsync killed by SIGKILL mid-upload"
test ! -e "$UP/$P2" && pass "lotsync killed: no final name" || fail "lotsync killed: the final name exists"
expect_eq "$(ls spool/outbox/renamed)" "$P2" "the export is still pending in the outbox"
expect_rc 0 "the run after the kill" L deliver renamed
cmp -s "spool/sent/renamed/$P2" "$UP/$P2" && pass "delivered whole after the kill" || fail "differs after the kill"
test ! -e "$UP/.$P2.part" && pass "the stale temporary file was removed" || fail ".$P2.part left behind"
expect_eq "$(grep -c "\"RNTO $P2\"" "$VS_LOG")" 1 "renamed into place exactly once"

# ---- the server killed mid-upload, rename = off ----
R=$(ls spool/outbox/direct | tail -n 1) # the newest export supersedes the first
cut_upload direct "$UP/$R" "the direct upload"
expect_rc 0 "the next run" L deliver direct
cmp -s "spool/sent/direct/$R" "$UP/$R" && pass "the partial copy was replaced by the whole file" ||
	fail "the direct file differs"
expect_eq "$(results direct "$R")" "failed,delivered" "one failed attempt, one delivery recorded"
expect_eq "$(ls -A "$UP" | grep -c '^\.')" 0 "no temporary file left"
finish
