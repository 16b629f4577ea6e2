# lib.sh - helpers sourced by the e2e tests (POSIX sh).
# Each test runs in $TEST_TMP with $LOTSYNC and $SRCDIR set by run-e2e.sh.

fails=0
# The suite mixes commands on the real clock with --now runs at fixed dates
# (before or after today), which lotsync refuses as a clock rewind; the tests
# are replays. t6201-clock unsets this to test the guard itself.
export LOTSYNC_ALLOW_CLOCK_REWIND=1

# A stored version's data is a zstd frame since schema 14: the plain sqlite3
# shell reads it as JSON with lotsync_json(data) from this extension,
#   sqlite3 -cmd "$SQL_JSON" DB "select json_extract(lotsync_json(data), ...)".
SQL_JSON=".load ${LOTSYNC_JSON_EXT:-$SRCDIR/build/lotsync_json.so}"

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

pass() {
	echo "ok: $*"
}

# expect_rc WANT DESCRIPTION CMD...: run CMD, compare its exit status.
expect_rc() {
	_want=$1 _what=$2
	shift 2
	"$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	_rc=$?
	if [ "$_rc" -eq "$_want" ]; then
		pass "$_what (exit $_rc)"
	else
		fail "$_what: exit $_rc, wanted $_want"
		sed 's/^/  out| /' "$TEST_TMP/out" | tail -n 20 >&2
		sed 's/^/  err| /' "$TEST_TMP/err" | tail -n 20 >&2
	fi
}

# expect_eq GOT WANT DESCRIPTION
expect_eq() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3: got '$1', wanted '$2'"
	fi
}

# expect_grep PATTERN FILE DESCRIPTION
expect_grep() {
	if grep -q -- "$1" "$2"; then
		pass "$3"
	else
		fail "$3: /$1/ not in $2"
		sed 's/^/  | /' "$2" | tail -n 20 >&2
	fi
}

# expect_golden ACTUAL EXPECTED DESCRIPTION: ACTUAL's bytes are EXPECTED's
# (the diff shown when not); UPDATE_EXPECTED=1 first copies ACTUAL over
# EXPECTED (review the diff!).
expect_golden() {
	[ "${UPDATE_EXPECTED:-0}" = 1 ] && cp "$1" "$2"
	if cmp -s "$1" "$2"; then
		pass "$3"
	else
		fail "$3: $1 differs from $2"
		diff -u "$2" "$1" | head -n 40 >&2
	fi
}

# need_servers: skip (77) without the loopback servers unless they are required.
need_servers() {
	if [ -z "${LOTSYNC_SERVERS:-}" ]; then
		if [ "${LOTSYNC_REQUIRE_SERVERS:-0}" = 1 ]; then
			echo "FAIL: servers required but LOTSYNC_SERVERS is unset" >&2
			exit 1
		fi
		echo "no test servers"
		exit 77
	fi
}

# json QUERY FILE: evaluate a Python expression over the JSON document in FILE (as j).
json() {
	/usr/bin/python3 -I -S -c "import json,sys; j=json.load(open(sys.argv[2])); print($1)" "$1" "$2"
}

# vins FILE...: the VIN column of the CSV files, sorted, one line: which
# vehicles, for asserting identities rather than counts.
vins() {
	/usr/bin/python3 -I -S - "$@" <<'PY'
import csv, sys
keys = []
for path in sys.argv[1:]:
    keys += [r["VIN"] for r in csv.DictReader(open(path, newline="", encoding="utf-8"))]
print(" ".join(sorted(keys)))
PY
}

# conf_head [SETTLE]: the [lotsync] section of a test config: the spool next
# to conf/, settle_seconds SETTLE (default 0: files are taken at once).
conf_head() {
	printf '[lotsync]\nspool = ../spool\nsettle_seconds = %s\n\n' "${1:-0}"
}

# conf_section NAME [LINE...]: [NAME], each LINE, a blank line.
conf_section() {
	echo "[$1]"
	shift
	for _l in "$@"; do
		echo "$_l"
	done
	echo
}

# drop_feed NAME [LINE...]: a drop feed read with the generic-csv profile.
drop_feed() {
	_n=$1
	shift
	conf_section "feed:$_n" "source = drop" "profile = generic-csv" "$@"
}

# wo_feed NAME PROFILE [LINE...]: a work-order drop feed (kind = workorder).
wo_feed() {
	_n=$1 _p=$2
	shift 2
	conf_section "feed:$_n" "kind = workorder" "source = drop" "profile = $_p" "$@"
}

# format_target NAME FORMAT DIR FEEDS [LINE...]: a target writing FORMAT to file://DIR/.
format_target() {
	_n=$1 _fmt=$2 _d=$3 _f=$4
	shift 4
	conf_section "target:$_n" "url = file://$_d/" "format = $_fmt" "feeds = $_f" "$@"
}

# file_target NAME DIR FEEDS [LINE...]: a generic-csv target writing to file://DIR/.
file_target() {
	_n=$1
	shift
	format_target "$_n" generic-csv "$@"
}

# conf_write DIR: stdin as DIR/conf/lotsync.conf, mode 0600 (lotsync refuses
# a config others can read when it names secrets).
conf_write() {
	mkdir -p "$1/conf"
	cat >"$1/conf/lotsync.conf"
	chmod 600 "$1/conf/lotsync.conf"
}

# make_conf DIR: a drop-feed config with one local file:// target, mode 0600.
make_conf() {
	mkdir -p "$1/conf/profiles" "$1/conf/formats" "$1/outbox-remote"
	{
		conf_head
		drop_feed acme
		file_target local "$1/outbox-remote" acme
	} >"$1/conf/lotsync.conf"
	chmod 600 "$1/conf/lotsync.conf"
}

# local_env: cd to $TEST_TMP and make_conf there; sets C (the config), DB,
# IN (feed acme's drop folder, made), G (mkfeed.py) and L (lotsync -c "$C").
local_env() {
	cd "$TEST_TMP" || exit 1
	make_conf "$TEST_TMP"
	C="$TEST_TMP/conf/lotsync.conf"
	DB="$TEST_TMP/spool/lotsync.db"
	IN="$TEST_TMP/spool/incoming/acme"
	G=$SRCDIR/scripts/mkfeed.py
	L() { "$LOTSYNC" -c "$C" "$@"; }
	mkdir -p "$IN"
}

# ingest_pair N SEED_A SEED_B: a.csv (N vehicles from $G) and b.csv, the
# next day's file (5% changed, 2% new, 2% vanished), ingested as snapshots 1
# and 2 (local_env first).
ingest_pair() {
	/usr/bin/python3 "$G" --vehicles "$1" --seed "$2" --out a.csv
	/usr/bin/python3 "$G" --from a.csv --change-pct 5 --new-pct 2 --vanish-pct 2 --seed "$3" \
		--out b.csv
	cp a.csv "$IN/a.csv"
	expect_rc 0 "first snapshot" L --now 2026-03-01T08:00:00Z ingest
	cp b.csv "$IN/b.csv"
	expect_rc 0 "second snapshot" L --now 2026-03-02T08:00:00Z ingest
}

# peak_rss OUT ARG...: lotsync -c $C ARG..., its stdout into OUT, its stderr
# into rss.txt; its exit status, and its peak RSS in MB in RSS (from the
# kernel's rusage of the child: no /usr/bin/time needed).
peak_rss() {
	_out=$1
	shift
	/usr/bin/python3 - "$LOTSYNC" "$C" "$@" >"$_out" 2>rss.txt <<'PY'
import resource, subprocess, sys
rc = subprocess.call([sys.argv[1], "-c", sys.argv[2]] + sys.argv[3:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, file=sys.stderr)
sys.exit(rc)
PY
	_rc=$?
	RSS=$(tail -n 1 rss.txt)
	return $_rc
}

# on_pty OUT CMD...: run CMD (looked up in PATH) on a pseudo-terminal, its
# output as the terminal got it (CR LF line ends) into OUT; CMD's exit status.
on_pty() {
	_out=$1
	shift
	/usr/bin/python3 - "$@" >"$_out" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        b = os.read(fd, 65536)
    except OSError:
        break
    if not b:
        break
    out += b
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(st))
PY
}

finish() {
	if [ "$fails" -gt 0 ]; then
		echo "$fails check(s) failed" >&2
		exit 1
	fi
	exit 0
}
# server_creds DIR: the loopback servers' credentials for DIR/conf (the SFTP
# key and its known_hosts, the FTP password), mode 0600, as server_section
# names them.
server_creds() {
	mkdir -p "$1/conf/secrets"
	cp "$FTP_PASSWORD_FILE" "$1/conf/secrets/ftp.pw"
	cp "$SFTP_KEY" "$1/conf/secrets/id_ed25519"
	cp "$SFTP_KNOWN_HOSTS" "$1/conf/known_hosts"
	chmod 600 "$1/conf/secrets/"*
}

# server_section feed:NAME|target:NAME URL [LINE...]: print the config section
# of a feed (source = URL) or target (url = URL) on the loopback servers, with
# the credential lines URL's scheme needs (see server_creds), then each LINE
# and a blank line. One place knows how lotsync logs in to the test servers.
server_section() {
	_sect=$1 _url=$2
	shift 2
	echo "[$_sect]"
	case $_sect in
	feed:*) echo "source = $_url" ;;
	*) echo "url = $_url" ;;
	esac
	case $_url in
	sftp://*) printf 'identity = secrets/id_ed25519\nknown_hosts = known_hosts\n' ;;
	ftps://*) printf 'password_file = secrets/ftp.pw\nca_file = %s\n' "$FTP_CACERT" ;;
	ftp://*) echo "password_file = secrets/ftp.pw" ;;
	esac
	for _l in "$@"; do
		echo "$_l"
	done
	echo
}

# fault_env CALL PATH-PART N [MODE]: the environment (as arguments for env)
# that makes the Nth CALL (fsync, write, rename, ...) on a path containing
# PATH-PART under $TEST_TMP fail once (MODE persist: it and every later one)
# through tests/shim/faultshim.c; the shim reports to $TEST_TMP/fault.report.
# Usage: env $(fault_env fsync /spool/incoming/acme 1) "$LOTSYNC" ...
fault_env() {
	_shim=$SRCDIR/build/faultshim.so
	[ -f "$_shim" ] || { echo "FAIL: $_shim missing (make build/faultshim.so)" >&2; exit 1; }
	echo "LD_PRELOAD=$_shim LOTSYNC_FAULT_PREFIX=$TEST_TMP LOTSYNC_FAULT_REPORT=$TEST_TMP/fault.report" \
		"LOTSYNC_FAULT_CALL=$1 LOTSYNC_FAULT_PATH=$2 LOTSYNC_FAULT_AT=$3 LOTSYNC_FAULT_MODE=${4:-once}"
}

# applied FEED: the files of FEED's applied snapshots in the order they were applied.
applied() {
	sqlite3 "$DB" "select group_concat(file, ' ') from (select file from snapshots where feed = '$1' and state = 'applied' order by seq)"
}

# drop3 DIR: a.csv, b.csv, c.csv (successive inventories) with mtimes a < b < c.
drop3() {
	/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 30 --seed 61 --out "$1/a.csv"
	/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --from "$1/a.csv" --change-pct 30 --seed 62 --out "$1/b.csv"
	/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --from "$1/b.csv" --change-pct 30 --seed 63 --out "$1/c.csv"
	touch -d '2026-11-19 08:00:00' "$1/a.csv"
	touch -d '2026-11-19 08:01:00' "$1/b.csv"
	touch -d '2026-11-19 08:02:00' "$1/c.csv"
}

# crash_converge N NOW PREP [COMMAND...]: kill `lotsync COMMAND` (default
# `run`) at NOW at each of its N crash
# points (points.txt, from LOTSYNC_CRASH_LIST=1, names them): PREP DIR makes a
# fresh copy of the scenario in DIR, the run is killed there (LOTSYNC_CRASH_AT),
# then the test's own `L DIR NOW` reruns it; the state (the test's `fingerprint
# DIR`) must equal ref.txt, integrity_check be ok, no temporary file be left
# and verify pass.
crash_converge() {
	_n=$1 _now=$2 _prep=$3 _i=1
	shift 3
	[ $# -gt 0 ] || set -- run
	while [ "$_i" -le "$_n" ]; do
		_name=$(sed -n "s/^crash point $_i: //p" points.txt)
		_d=run$_i
		"$_prep" "$_d"
		LOTSYNC_CRASH_AT=$_i "$LOTSYNC" -c "$_d/conf/lotsync.conf" --now "$_now" "$@" >/dev/null 2>&1
		_rc=$?
		[ "$_rc" -eq 137 ] || fail "crash point $_i ($_name): the run was not killed (exit $_rc)"
		L "$_d" "$_now"
		fingerprint "$_d" >"$_d.txt"
		if cmp -s ref.txt "$_d.txt"; then
			pass "killed at $_i ($_name): the rerun converged"
		else
			fail "killed at $_i ($_name): state differs from the uninterrupted run"
			diff ref.txt "$_d.txt" | head -n 10 >&2
		fi
		[ "$(sqlite3 "$_d/spool/lotsync.db" 'pragma integrity_check')" = ok ] ||
			fail "integrity_check after crash $_i"
		_left=$(find "$_d" -name '.tmp-*' -o -name '*.part' | wc -l)
		[ "$_left" -eq 0 ] || fail "crash $_i left $_left temporary file(s)"
		"$LOTSYNC" -c "$_d/conf/lotsync.conf" verify >/dev/null 2>&1 || fail "verify after crash $_i"
		rm -rf "$_d"
		_i=$((_i + 1))
	done
}

# ---- a DMS vendor's chrooted SFTP drop account (scripts/add-vendor.sh) ----
# vendor_begin TAG FEED: a vendor account to be made by add-vendor.sh under a
# private root-owned base in /run (sshd refuses a chroot below /tmp; never
# the system's sshd or /srv): sets user, group, B (base; spool in $B/spool,
# FEED's drop folder made) and an EXIT trap that stops the private sshd and
# removes the account, its group and $B; vendor_key(.pub) is the vendor's key.
# Needs srvlib.sh sourced.
vendor_begin() {
	user=$1$$
	group=$1g$$
	B=/run/lotsync-$1-test.$$
	sshd_pid=""
	trap vendor_cleanup EXIT
	ssh-keygen -q -t ed25519 -N '' -C "$1" -f vendor_key
	mkdir -m 0755 "$B" "$B/spool" "$B/spool/incoming" "$B/spool/incoming/$2"
}
vendor_cleanup() {
	[ -n "$sshd_pid" ] && srv_kill_tree "$sshd_pid"
	userdel "$user" 2>/dev/null
	groupdel "$group" 2>/dev/null
	rm -rf "$B"
}

# vendor_match: the Match block add-vendor.sh printed (the lines from
# "Match Group" on in $TEST_TMP/out) into match.conf.
vendor_match() {
	sed -n '/^Match Group/,$p' "$TEST_TMP/out" >match.conf
}

# vendor_sshd: a private sshd on a free port (sets port, sshd_pid) whose
# config ends with match.conf (sshd -t checks it first); known_hosts pins
# its host key.
vendor_sshd() {
	ssh-keygen -q -t ed25519 -N '' -f host_key
	port=$(srv_free_ports 1)
	cat >sshd_config <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $TEST_TMP/host_key
PidFile $TEST_TMP/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowUsers $user
LogLevel VERBOSE
# as in Debian's default sshd_config: ForceCommand needs the subsystem defined
Subsystem sftp /usr/lib/openssh/sftp-server
$(cat match.conf)
EOF
	mkdir -p /run/sshd
	/usr/sbin/sshd -t -f sshd_config 2>sshd_t.err && pass "sshd accepts the block" ||
		{ fail "sshd -t"; cat sshd_t.err >&2; }
	/usr/sbin/sshd -D -e -f "$TEST_TMP/sshd_config" >sshd.log 2>&1 &
	sshd_pid=$!
	srv_wait_listen "$port" "$sshd_pid" 5 || fail "private sshd did not listen"
	printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 host_key.pub)" >known_hosts
}

# vendor_sftp OUT BATCH-LINES...: the vendor's sftp session by key (host key
# pinned), the batch lines run in order; its output in OUT.
vendor_sftp() {
	_vs_out=$1
	shift
	printf '%s\n' "$@" >batch
	sftp -q -F /dev/null -b batch -P "$port" -i vendor_key -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=yes -o UserKnownHostsFile=known_hosts "$user@127.0.0.1" >"$_vs_out" 2>&1
}
