#!/bin/sh
# e2e: fetch faults against the loopback servers.
#  - wrong host key: exit 78, no login, nothing downloaded;
#  - ftps:// against a server without TLS: exit 69, no clear-text login;
#  - a silent server: exit 69 within idle_timeout;
#  - the connection cut mid-download (a socat proxy killed): exit 69,
#    nothing parsed, the partial discarded, fetched by the next run;
#  - kill -9 mid-download, and at every fetch crash point: the next run
#    completes; every remote file applied exactly once.
# Fault matrix (tests/fault/MATRIX): matrix row 1 (kill -9 during fetch),
# matrix row 5 (server drops mid-download), matrix row 21 (wrong or unknown
# host key), matrix row 22 (FTPS downgrade).
. "$SRCDIR/tests/e2e/lib.sh"
need_servers
. "$SRCDIR/scripts/srvlib.sh"
cd "$TEST_TMP" || exit 1
server_creds "$TEST_TMP"
sub=ff$$
SD=$SFTP_ROOT/inbox/$sub
mkdir -p "$SD"
chown "$SFTP_USER" "$SD"
C=$TEST_TMP/conf/lotsync.conf
L() { "$LOTSYNC" -c "$C" "$@"; }
DB=spool/lotsync.db
q() { sqlite3 "$DB" "$1"; }

# conf FEED-SOURCE [EXTRA-KEY-LINES]: a config with the one feed "f".
conf() {
	cat >"$C" <<CONF
[lotsync]
spool = ../spool
settle_seconds = 0

[feed:f]
source = $1
identity = secrets/id_ed25519
known_hosts = known_hosts
profile = generic-csv
vanish_guard = 100%
$2
CONF
	chmod 600 "$C"
}
fresh() { rm -rf spool; }
# A valid feed file of a few vehicles, padded with blank lines (which the CSV
# reader skips) to SIZE_MB: big enough to be cut mid-transfer, cheap to ingest.
big_feed() { # OUT SEED SIZE_MB
	/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 5 --seed "$2" --out "$1"
	/usr/bin/python3 -I -S -c 'import sys; open(sys.argv[1], "a").write("\n" * (int(sys.argv[2]) << 20))' "$1" "$3"
}
# kill_when_partial DIR PID: SIGKILL PID once a temporary download in DIR has 1 MiB.
kill_when_partial() {
	/usr/bin/python3 -I -S - "$1" "$2" <<'PY'
import glob, os, signal, sys, time
d, pid = sys.argv[1], int(sys.argv[2])
end = time.monotonic() + 30
while time.monotonic() < end:
    for f in glob.glob(d + "/.tmp-*"):
        try:
            if os.stat(f).st_size >= 1 << 20:
                os.kill(pid, signal.SIGKILL)
                sys.exit(0)
        except OSError:
            pass
    time.sleep(0.0005)
sys.exit(1)
PY
}
free_port() {
	/usr/bin/python3 -I -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
SURL="sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SD/*.csv"

# ---- wrong host key: refused before authenticating ---------------------------
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 5 --seed 1 --out "$SD/a.csv"
ssh-keygen -q -t ed25519 -N '' -C other -f other_key
printf '[127.0.0.1]:%s %s\n' "$SFTP_PORT" "$(cut -d' ' -f1,2 other_key.pub)" >conf/wrong_hosts
conf "$SURL" "known_hosts = wrong_hosts"
sed -i '/^known_hosts = known_hosts$/d' "$C"
logins=$(grep -c "Accepted publickey" "$SFTP_LOG")
expect_rc 78 "changed host key refuses the connection" L run
expect_grep "host key CHANGED: the server shows ssh-ed25519 $SFTP_HOST_FPR" "$TEST_TMP/err" \
	"message names the key's SHA-256 fingerprint"
expect_eq "$(grep -c "Accepted publickey" "$SFTP_LOG")" "$logins" "no login was attempted"
expect_eq "$(find spool/incoming -type f | wc -l)" "0" "nothing downloaded"
expect_eq "$(q 'select count(*) from fetched')" "0" "nothing recorded"
: >conf/empty_hosts
sed -i 's/^known_hosts = wrong_hosts$/known_hosts = empty_hosts/' "$C"
expect_rc 78 "unknown host key refuses the connection (no trust on first use)" L fetch
expect_grep "host key unknown" "$TEST_TMP/err" "unknown key reported"
fresh

# ---- FTPS against a server without TLS ----------------------------------------
conf "ftps://$FTP_USER@127.0.0.1:$FTP_NOTLS_PORT/inbox/" "password_file = secrets/ftp.pw"
notls_log=$(dirname "$FTP_LOG")/vsftpd-notls.log
users=$(cat "$notls_log" 2>/dev/null | grep -c '"USER ')
expect_rc 69 "ftps:// against a server without TLS is refused" L run
expect_grep "does not offer TLS" "$TEST_TMP/err" "refusal says why"
expect_grep '"AUTH TLS"' "$notls_log" "lotsync asked the server for TLS"
expect_eq "$(grep -c '"USER ' "$notls_log")" "$users" "no clear-text USER was sent"
expect_eq "$(q 'select count(*) from fetched')" "0" "nothing fetched"
fresh

# ---- a server that accepts and says nothing -----------------------------------
HP=$(free_port)
/usr/bin/python3 -I -S -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
c = s.accept()[0]; time.sleep(30)' "$HP" &
hung=$!
srv_wait_listen "$HP" "$hung" 5 || fail "silent server did not start"
conf "sftp://$SFTP_USER@127.0.0.1:$HP/x/" "connect_timeout = 2
idle_timeout = 1"
start=$(date +%s)
expect_rc 69 "a silent server times out" L fetch
expect_eq "$(($(date +%s) - start < 5))" "1" "within idle_timeout, not minutes"
kill "$hung" 2>/dev/null
wait "$hung" 2>/dev/null
fresh

# ---- connection cut mid-download (socat proxy killed) --------------------------
rm -f "$SD"/*
big_feed "$SD/big.csv" 2 16
PP=$(free_port)
sed "s/^\[127.0.0.1\]:$SFTP_PORT /[127.0.0.1]:$PP /" conf/known_hosts >conf/proxy_hosts
socat TCP-LISTEN:"$PP",bind=127.0.0.1,reuseaddr TCP:127.0.0.1:"$SFTP_PORT" &
proxy=$!
srv_wait_listen "$PP" "$proxy" 5 || fail "socat did not listen"
conf "sftp://$SFTP_USER@127.0.0.1:$PP$SD/*.csv" "known_hosts = proxy_hosts"
sed -i '/^known_hosts = known_hosts$/d' "$C"
mkdir -p spool/incoming/f
"$LOTSYNC" -c "$C" run >out.cut 2>err.cut &
lot=$!
kill_when_partial spool/incoming/f "$proxy" && pass "proxy killed mid-download" || fail "no partial download seen"
wait "$lot"
expect_eq "$?" "69" "cut connection: exit 69"
wait "$proxy" 2>/dev/null
expect_grep "download failed" err.cut "the failed download is reported"
expect_eq "$(q 'select count(*) from snapshots')" "0" "nothing parsed"
expect_eq "$(find spool/incoming spool/work -type f | wc -l)" "0" "partial discarded"
# The proxy is back: the next run fetches the whole file.
socat TCP-LISTEN:"$PP",bind=127.0.0.1,reuseaddr TCP:127.0.0.1:"$SFTP_PORT" &
proxy=$!
srv_wait_listen "$PP" "$proxy" 5 || fail "socat did not listen again"
expect_rc 0 "next run fetches it" L run
expect_eq "$(q 'select sha256 from snapshots')" "$(sha256sum "$SD/big.csv" | cut -c1-64)" \
	"the whole file was fetched and applied once"
kill "$proxy" 2>/dev/null
wait "$proxy" 2>/dev/null
fresh

# ---- kill -9 mid-download -------------------------------------------------------
bigsha=$(sha256sum "$SD/big.csv" | cut -c1-64)
conf "$SURL"
mkdir -p spool/incoming/f
"$LOTSYNC" -c "$C" run >/dev/null 2>&1 &
lot=$!
kill_when_partial spool/incoming/f "$lot" && pass "lotsync killed mid-download" || fail "no partial download seen"
wait "$lot"
expect_eq "$?" "137" "killed by SIGKILL"
expect_eq "$(find spool/incoming/f -name '.tmp-*' | wc -l)" "1" "a partial temporary file is left"
expect_eq "$(ls "$SD")" "big.csv" "the remote is untouched: no file added or removed"
expect_eq "$(sha256sum "$SD/big.csv" | cut -c1-64)" "$bigsha" \
	"the remote file is unchanged"
expect_rc 0 "the next run completes" L run
expect_eq "$(find spool/incoming spool/work -type f | wc -l)" "0" "the partial was removed"
expect_eq "$(q "select count(*) || ':' || group_concat(sha256) from snapshots")" \
	"1:$(sha256sum "$SD/big.csv" | cut -c1-64)" "applied once, whole"
fresh

# ---- kill -9 at every fetch crash point ----------------------------------------
rm -f "$SD"/*
for i in 1 2; do
	/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 3 --seed $((20 + i)) --out "orig$i.csv"
done
put_remote() {
	rm -f "$SD"/*
	cp orig1.csv "$SD/one.csv"
	cp orig2.csv "$SD/two.csv"
	touch -d '-2 hour' "$SD/one.csv"
	touch -d '-1 hour' "$SD/two.csv"
}
conf "$SURL" "after_fetch = delete"
put_remote
LOTSYNC_CRASH_LIST=1 L run 2>points.txt >/dev/null
points=$(sed -n 's/^crash point \([0-9]*\): fetch:.*/\1/p' points.txt)
expect_eq "$(grep -c ': fetch:' points.txt)" "7" "7 fetch crash points (2 downloaded, 2 renamed, 1 recorded, 2 deleted)"
for n in $points; do
	fresh
	put_remote
	name=$(sed -n "s/^crash point $n: //p" points.txt)
	LOTSYNC_CRASH_AT=$n L run >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 137 ] || fail "crash at $n ($name): exit $rc, wanted 137"
	L run >out.$n 2>err.$n
	rc=$?
	[ "$rc" -eq 0 ] || { fail "after a crash at $n ($name): exit $rc"; cat err.$n >&2; }
	got=$(q "select group_concat(state || ':' || file) from (select state, file from snapshots order by id)")
	[ "$got" = "applied:one.csv,applied:two.csv" ] ||
		fail "after a crash at $n ($name): snapshots $got"
	[ "$(q "select group_concat(s.sha256, '') from (select sha256 from snapshots order by id) s")" = \
		"$(sha256sum orig1.csv | cut -c1-64)$(sha256sum orig2.csv | cut -c1-64)" ] ||
		fail "after a crash at $n ($name): applied content differs"
	[ "$(find spool/incoming spool/work -type f | wc -l)" = 0 ] ||
		fail "after a crash at $n ($name): leftovers $(find spool/incoming spool/work -type f)"
	[ "$(ls -A "$SD" | wc -l)" = 0 ] || fail "after a crash at $n ($name): remote not emptied"
	pass "crash at $n ($name): the next run completes, each file applied once"
done
rm -rf "$SD"
finish
