#!/bin/sh
# e2e (interop): delivery to ProFTPD 1.3.8 with its default AllowOverwrite
# off, FTPS with TLS required (mod_tls, TLS 1.2 and 1.3), no MLST facts.
# A server that refuses overwrites must not block deliveries for ever:
#  - a stale ".NAME.part" of an interrupted upload is removed, the file sent;
#  - a run killed after the rename: the retry finds the same SHA-256 there;
#  - rename = off: an interrupted partial copy is replaced, the same content
#    counts as delivered, another file under the name is a clear error.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start pro proftpd tls=require facts=off overwrite=off
DEAD=$(/usr/bin/python3 -I -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$PRO_ROOT/upload/raw" && chown "$FTP_USER" "$PRO_ROOT/upload/raw"
mkconf() { # PORT
	iop_conf 0
	mkdir -p spool/incoming/acme
	drop_feed acme >>conf/lotsync.conf
	iop_target pro "ftps://$FTP_USER@127.0.0.1:$1/upload/" acme "ca_file = $PRO_CACERT"
	iop_target raw "ftps://$FTP_USER@127.0.0.1:$1/upload/raw/" acme "ca_file = $PRO_CACERT" "rename = off"
}
G() { /usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" "$@"; }
pending() { ls "spool/outbox/$1"; }
setport() { sed -i "s|127.0.0.1:[0-9]*/upload|127.0.0.1:$1/upload|" conf/lotsync.conf; }

# ---- the exports wait while the server is unreachable ----
mkconf "$DEAD"
G --vehicles 50 --seed 41 --out a.orig
cp a.orig spool/incoming/acme/a.csv
expect_rc 69 "server unreachable: exports stay pending" L run
P=$(pending pro) R=$(pending raw)
[ -n "$P" ] && [ -n "$R" ] && pass "one file pending per target ($P)" || fail "nothing pending"
# Leftovers of interrupted uploads on the server, in lotsync's own naming
# (pro) and, with rename = off, under the final name (raw): its first half.
printf 'partial junk\n' >"$PRO_ROOT/upload/.$P.part"
head -c 2000 "spool/outbox/raw/$R" >"$PRO_ROOT/upload/raw/$R"
chown "$FTP_USER" "$PRO_ROOT/upload/.$P.part" "$PRO_ROOT/upload/raw/$R"
setport "$PRO_PORT"
expect_rc 0 "the next run delivers both despite the leftovers" L -v deliver
cmp -s "spool/sent/pro/$P" "$PRO_ROOT/upload/$P" && pass "pro: delivered complete" || fail "pro: content differs"
test ! -e "$PRO_ROOT/upload/.$P.part" && pass "the stale temporary file is gone" || fail "stale .part still there"
cmp -s "spool/sent/raw/$R" "$PRO_ROOT/upload/raw/$R" && pass "raw: the partial copy was replaced by the whole file" ||
	fail "raw: content differs"
expect_grep "removed an interrupted upload of this file (2000 of" "$TEST_TMP/err" "the replaced partial copy is reported"

# ---- killed after the upload, before it was recorded ----
G --from a.orig --change-pct 10 --seed 42 --out b.orig
cp b.orig spool/incoming/acme/b.csv
expect_rc 137 "killed right after the rename" env LOTSYNC_CRASH_AT=deliver-renamed "$LOTSYNC" \
	-c "$TEST_TMP/conf/lotsync.conf" run
expect_rc 0 "the rerun" L -v deliver
expect_grep "already on the server with the same SHA-256" "$TEST_TMP/err" "the copy there is recognised"
expect_eq "$(ls spool/outbox/pro spool/outbox/raw | grep -c csv)" 0 "nothing left pending"

# ---- rename = off, another file already under the name ----
G --from b.orig --change-pct 10 --seed 43 --out spool/incoming/acme/c.csv
setport "$DEAD"
L run >/dev/null 2>&1
setport "$PRO_PORT"
R=$(pending raw)
printf 'somebody else\n' >"$PRO_ROOT/upload/raw/$R"
chown "$FTP_USER" "$PRO_ROOT/upload/raw/$R"
expect_rc 69 "a different file under the final name" L deliver raw
expect_grep "$R: a different file of this name is already on the server, and the server refuses to overwrite it" \
	"$TEST_TMP/err" "the error names the file and the cause"
expect_eq "$(cat "$PRO_ROOT/upload/raw/$R")" "somebody else" "the other file is left alone"
expect_eq "$(pending raw)" "$R" "the export stays pending"
finish
