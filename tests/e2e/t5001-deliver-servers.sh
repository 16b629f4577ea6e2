#!/bin/sh
# e2e: the thin path against the real loopback servers: one dropped file is
# ingested and its export delivered to FTP, explicit FTPS and SFTP (temp
# name, then rename); a server that is down leaves the file queued (exit 69)
# and the next run delivers it under the same name.
. "$SRCDIR/tests/e2e/lib.sh"
need_servers
cd "$TEST_TMP" || exit 1
mkdir -p spool/incoming/acme
server_creds "$TEST_TMP"
# A port nothing listens on, for the "server down" case.
DEAD=$(/usr/bin/python3 -I -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sub=e2e$$
mkdir -p "$FTP_ROOT/upload/$sub" "$SFTP_ROOT/upload/$sub"
chown "$FTP_USER" "$FTP_ROOT/upload/$sub" "$SFTP_ROOT/upload/$sub"
{
	conf_head
	drop_feed acme
	server_section target:ftp "ftp://$FTP_USER@127.0.0.1:$FTP_PORT/upload/$sub/" "format = generic-csv" "feeds = acme"
	server_section target:ftps "ftps://$FTP_USER@127.0.0.1:$FTP_PORT/upload/$sub/" "format = generic-csv" "feeds = acme"
	server_section target:sftp "sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SFTP_ROOT/upload/$sub/" \
		"format = generic-csv" "feeds = acme"
	server_section target:down "ftp://$FTP_USER@127.0.0.1:$DEAD/upload/" "format = generic-csv" "feeds = acme"
} >conf/lotsync.conf
chmod 600 conf/lotsync.conf
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }

expect_rc 69 "check-config --connect with one target down" L check-config --connect
for t in ftp ftps sftp; do expect_grep "target $t: connected" "$TEST_TMP/out" "--connect logs in to $t"; done
expect_grep "target down: FAILED" "$TEST_TMP/out" "--connect names the unreachable target"
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 300 --seed 9 --out spool/incoming/acme/inv.csv
expect_rc 69 "run with one target down" L --now 2026-11-22T10:00:00Z run
expect_grep "down" "$TEST_TMP/err" "the unreachable target is named"
name=ftp-20261122T100000Z-1.csv
for t in ftp ftps sftp; do
	case $t in
	sftp) dir=$SFTP_ROOT/upload/$sub ;;
	*) dir=$FTP_ROOT/upload/$sub ;;
	esac
	f=$(ls "$dir" | grep "^$t-" || true)
	expect_eq "$(echo "$f" | wc -w)" "1" "$t: exactly one file delivered"
	cmp -s "$dir/$f" "spool/sent/$t/$f" && pass "$t: remote bytes equal the export" || fail "$t: remote $f differs"
done
expect_eq "$(ls -a "$FTP_ROOT/upload/$sub" "$SFTP_ROOT/upload/$sub" | grep -c part)" "0" "no temporary names left remotely"
expect_eq "$(ls spool/outbox/down | wc -l)" "1" "the undelivered export stays queued"
queued=$(ls spool/outbox/down)
expect_rc 0 "status --json" L --json status
expect_eq "$(json '[t["pending"] for t in j["targets"] if t["name"] == "down"]' "$TEST_TMP/out")" "[1]" "status shows it pending"

# The server comes back (the target now points at the live one): same name, delivered once.
sed -i "s/:$DEAD\\/upload\\//:$FTP_PORT\\/upload\\/$sub\\//" conf/lotsync.conf
expect_rc 0 "next run delivers the queued file" L --now 2026-11-22T11:00:00Z run
test -f "$FTP_ROOT/upload/$sub/$queued" && pass "queued file delivered under its own name" || fail "$queued not delivered"
expect_eq "$(ls spool/outbox/down | wc -l)" "0" "queue empty"
expect_eq "$(sqlite3 spool/lotsync.db "select group_concat(result) from deliveries d join exports e on e.id = d.export_id where e.target = 'down' order by d.id")" \
	"failed,delivered" "both attempts recorded"
# A changed host key refuses the connection before logging in: exit 78.
ssh-keygen -q -t ed25519 -N '' -f other_key
printf '[127.0.0.1]:%s %s\n' "$SFTP_PORT" "$(cut -d' ' -f1,2 other_key.pub)" >conf/known_hosts
expect_rc 78 "check-config --connect with a changed host key" L check-config --connect
expect_grep "host key CHANGED" "$TEST_TMP/err" "the refusal says the key changed"
expect_grep "SHA256:" "$TEST_TMP/err" "and shows the server's fingerprint"
rm -rf "$FTP_ROOT/upload/$sub" "$SFTP_ROOT/upload/$sub"
finish
