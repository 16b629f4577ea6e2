#!/bin/sh
# e2e (interop): ProFTPD with its default AllowOverwrite off refuses to
# rename an upload over an existing file. When a different file already has
# the export's name (an older copy left by a restored database that reused
# the export id, say), lotsync deletes it and renames then: a non-atomic
# replace, said in a warning; the server ends with the export's bytes and
# no temporary name, and the delivery is recorded.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start pro proftpd tls=require facts=off overwrite=off
R=$PRO_ROOT/upload/repl
mkdir -p "$R" && chown "$FTP_USER" "$R"
DEAD=$(/usr/bin/python3 -I -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
iop_conf 0
drop_feed acme >>conf/lotsync.conf
conf_section target:repl "url = ftps://$FTP_USER@127.0.0.1:$DEAD/upload/repl/" \
	"password_file = secrets/ftp.pw" "ca_file = $PRO_CACERT" "format = generic-csv" \
	"feeds = acme" >>conf/lotsync.conf
mkdir -p spool/incoming/acme
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }

/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 40 --seed 51 --out d1.csv
cp d1.csv spool/incoming/acme/
expect_rc 69 "server unreachable: the export stays pending" L --now 2026-06-01T06:00:00Z run
P=$(ls spool/outbox/repl)
printf 'VIN\nOLDCOPY0000000001\n' >"$R/$P"
chown "$FTP_USER" "$R/$P"
sed -i "s|127.0.0.1:$DEAD/|127.0.0.1:$PRO_PORT/|" conf/lotsync.conf
expect_rc 0 "the delivery replaces the other file" L deliver
expect_grep "$P: server refused to rename over the existing file; deleted it first (non-atomic replace)" \
	"$TEST_TMP/err" "the non-atomic replace is said, with the file's name"
cmp -s "spool/sent/repl/$P" "$R/$P" && pass "the server has the export's bytes" ||
	fail "the server's $P is not the export"
expect_eq "$(vins "$R/$P")" "$(vins d1.csv)" "and so the feed's vehicles"
expect_eq "$(ls -A "$R")" "$P" "one file on the server, no temporary name left"
expect_eq "$(sqlite3 spool/lotsync.db "select group_concat(result) from deliveries")" "failed,delivered" \
	"the failed attempt and the delivery recorded"
finish
