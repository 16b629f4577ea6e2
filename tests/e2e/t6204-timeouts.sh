#!/bin/sh
# e2e (issue 12, item 4; fault matrix row 23 and the trickling rows): every
# run ends in bounded time.
#  - a hung server (accepts, then silence) as a feed and as a target:
#    connect_timeout/idle_timeout (targets have them too) cut both within
#    seconds, exit 69, the export stays queued;
#  - an SFTP fetch through a link trickling at 16 KB/s with min_speed = 50000
#    over idle_timeout = 4: cut, exit 69, no temporary file left, nothing
#    recorded; at full speed the next run fetches and applies it;
#  - an FTP delivery to a server taking 3 KB/s with run_timeout = 2: cut at
#    the deadline, exit 69, the file stays queued, no local temporary file;
#    the next run (a fast server) delivers it once.
# The slow servers are scripts/slowtcp.py and scripts/slowftp.py on 127.0.0.1.
. "$SRCDIR/tests/e2e/lib.sh"
need_servers
cd "$TEST_TMP" || exit 1
PY=/usr/bin/python3
G=$SRCDIR/scripts/mkfeed.py
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# start NAME SCRIPT ARGS...: run a slow server in the background until its pidfile appears.
start() {
	_n=$1 _s=$2
	shift 2
	$PY "$SRCDIR/scripts/$_s" --pidfile "$TEST_TMP/$_n.pid" "$@" >"$TEST_TMP/$_n.log" 2>&1 &
	pids="$pids $!"
	for _i in $(seq 50); do [ -s "$TEST_TMP/$_n.pid" ] && return 0; sleep 0.1; done
	fail "$_n did not start"
	cat "$TEST_TMP/$_n.log" >&2
	finish
}
stop() { kill "$(cat "$TEST_TMP/$1.pid")" 2>/dev/null; rm -f "$TEST_TMP/$1.pid"; }
# conf DIR LINES...: DIR/conf/lotsync.conf with the lines (sections) given.
conf() {
	_d=$1
	shift
	mkdir -p "$_d/conf" "$_d/spool/incoming/acme"
	server_creds "$_d"
	printf '%s\n' "$@" >"$_d/conf/lotsync.conf"
	chmod 600 "$_d/conf/lotsync.conf"
}
# elapsed CMD...: run it (expect_rc style output files) and set $secs.
timed() {
	_t0=$(date +%s)
	"$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	secs=$(($(date +%s) - _t0))
	timings="$timings ${secs}s"
}

# --- a hung server, as a feed and as a target ---
HANG=$(free_port)
start hang slowtcp.py --port "$HANG" --hang
sed "s/^\[127.0.0.1\]:[0-9]*/[127.0.0.1]:$HANG/" "$SFTP_KNOWN_HOSTS" >hang_known_hosts
conf "$TEST_TMP/h" "[lotsync]" "spool = ../spool" "settle_seconds = 0" "" \
	"[feed:hung]" "source = ftp://lotsynctest@127.0.0.1:$HANG/in/" "profile = generic-csv" \
	"password_file = secrets/ftp.pw" "connect_timeout = 1" "idle_timeout = 1" "" \
	"[feed:acme]" "source = drop" "profile = generic-csv" "" \
	"[target:silent]" "url = sftp://lotsynctest@127.0.0.1:$HANG/up/" "identity = secrets/id_ed25519" \
	"known_hosts = $TEST_TMP/hang_known_hosts" "format = generic-csv" "feeds = acme" \
	"connect_timeout = 1" "idle_timeout = 1"
$PY "$G" --vehicles 50 --seed 91 --out h/spool/incoming/acme/a.csv
timed "$LOTSYNC" -c h/conf/lotsync.conf --now 2026-11-20T07:00:00Z run
expect_eq "$rc" 69 "hung feed and target: exit 69"
[ "$secs" -le 8 ] && pass "bounded by the timeouts (${secs}s)" || fail "took ${secs}s"
expect_grep "127.0.0.1:$HANG" "$TEST_TMP/err" "the hung server is named"
expect_eq "$(sqlite3 h/spool/lotsync.db "select state from exports")" "pending" "the export stays queued"
stop hang

# --- an SFTP fetch over a trickling link, cut by min_speed ---
PROXY=$(free_port)
start proxy slowtcp.py --port "$PROXY" --to "$SFTP_PORT" --rate 16000
sed "s/^\[127.0.0.1\]:[0-9]*/[127.0.0.1]:$PROXY/" "$SFTP_KNOWN_HOSTS" >proxy_known_hosts
mkdir -p "$SFTP_ROOT/t6204-$$"
$PY "$G" --vehicles 1500 --seed 92 --out "$SFTP_ROOT/t6204-$$/big.csv"
conf "$TEST_TMP/s" "[lotsync]" "spool = ../spool" "settle_seconds = 0" "" \
	"[feed:acme]" "source = sftp://lotsynctest@127.0.0.1:$PROXY/~/t6204-$$/*.csv" \
	"profile = generic-csv" "identity = secrets/id_ed25519" "known_hosts = $TEST_TMP/proxy_known_hosts" \
	"idle_timeout = 4" "min_speed = 50000"
timed "$LOTSYNC" -c s/conf/lotsync.conf --now 2026-11-20T07:00:00Z run
expect_eq "$rc" 69 "trickling download: exit 69"
[ "$secs" -le 10 ] && pass "cut within seconds (${secs}s)" || fail "took ${secs}s"
expect_grep "too slow: .* min_speed is 50000 bytes/s" "$TEST_TMP/err" "the message says too slow"
expect_eq "$(ls -A s/spool/incoming/acme)" "" "no temporary file left in incoming/"
expect_eq "$(sqlite3 s/spool/lotsync.db "select count(*) from fetched")" "0" "nothing recorded as fetched"
stop proxy
start proxy2 slowtcp.py --port "$PROXY" --to "$SFTP_PORT"
expect_rc 0 "at full speed the next run fetches it" "$LOTSYNC" -c s/conf/lotsync.conf --now 2026-11-20T08:00:00Z run
expect_eq "$(sqlite3 s/spool/lotsync.db "select file || ':' || vehicles from snapshots")" "big.csv:1500" "applied"
stop proxy2
rm -rf "${SFTP_ROOT:?}/t6204-$$"

# --- an FTP delivery cut by run_timeout ---
SLOW=$(free_port) P1=$(free_port) P2=$(free_port)
mkdir -p ftproot/up
start slowftp slowftp.py --port "$SLOW" --pasv "$P1,$P2" --user lotsynctest \
	--password-file "$FTP_PASSWORD_FILE" --root "$TEST_TMP/ftproot" --rate 3000
conf "$TEST_TMP/f" "[lotsync]" "spool = ../spool" "settle_seconds = 0" "run_timeout = 2" "" \
	"[feed:acme]" "source = drop" "profile = generic-csv" "" \
	"[target:slow]" "url = ftp://lotsynctest@127.0.0.1:$SLOW/up/" "password_file = secrets/ftp.pw" \
	"format = generic-csv" "feeds = acme"
$PY "$G" --vehicles 1500 --seed 93 --out f/spool/incoming/acme/a.csv
timed "$LOTSYNC" -c f/conf/lotsync.conf --now 2026-11-20T07:00:00Z run
expect_eq "$rc" 69 "slow delivery past run_timeout: exit 69"
[ "$secs" -le 7 ] && pass "stopped at the deadline (${secs}s)" || fail "took ${secs}s"
expect_grep "run_timeout (2 s) reached" "$TEST_TMP/err" "the message names run_timeout"
expect_eq "$(sqlite3 f/spool/lotsync.db "select state from exports")" "pending" "the file stays queued"
expect_eq "$(ls -A f/spool/outbox/slow | grep -c '^\.')" "0" "no temporary file in the outbox"
ls ftproot/up | grep -qv '^\.' && fail "a final name on the server" || pass "no final name on the server"
stop slowftp
start fastftp slowftp.py --port "$SLOW" --pasv "$P1,$P2" --user lotsynctest \
	--password-file "$FTP_PASSWORD_FILE" --root "$TEST_TMP/ftproot" --rate 100000000
expect_rc 0 "the next run delivers it" "$LOTSYNC" -c f/conf/lotsync.conf --now 2026-11-20T08:00:00Z run
f=$(sqlite3 f/spool/lotsync.db "select file from exports")
expect_eq "$(ls ftproot/up)" "$f" "delivered once under its final name"
cmp -s "f/spool/sent/slow/$f" "ftproot/up/$f" && pass "the receiver has the bytes" || fail "bytes differ"
echo "timings: $timings" >&2
finish
