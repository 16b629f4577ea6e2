# shellcheck shell=sh
# interop.sh - sourced by the interoperability tests (t15NN fetch, t55NN
# deliver) after lib.sh: starts the extra servers they name with
# scripts/start-interop.sh in a private server dir, stopped at exit.
need_servers
IOP=$TEST_TMP/srv
mkdir -p "$IOP"
chmod 755 "$IOP"
iop_stop() {
	"$SRCDIR/scripts/stop-servers.sh" "$IOP" >/dev/null 2>&1 || true
}
trap iop_stop EXIT

# iop_start NAME KIND [SETTING=VALUE...]: start it and source its NAME.env.
iop_start() {
	if ! "$SRCDIR/scripts/start-interop.sh" "$IOP" "$@" >"$TEST_TMP/start-$1.log" 2>&1; then
		cat "$TEST_TMP/start-$1.log" >&2
		echo "FAIL: cannot start the $2 server $1" >&2
		exit 1
	fi
	# shellcheck source=/dev/null
	. "$IOP/$1.env"
}

# iop_conf SETTLE: a fresh spool and conf/lotsync.conf with [lotsync] only,
# secrets in conf/secrets.
iop_conf() {
	rm -rf "$TEST_TMP/spool"
	mkdir -p "$TEST_TMP/conf/secrets" "$TEST_TMP/spool"
	cp "$FTP_PASSWORD_FILE" "$TEST_TMP/conf/secrets/ftp.pw"
	chmod 600 "$TEST_TMP/conf/secrets/ftp.pw"
	printf '[lotsync]\nspool = ../spool\nsettle_seconds = %s\n' "$1" >"$TEST_TMP/conf/lotsync.conf"
	chmod 600 "$TEST_TMP/conf/lotsync.conf"
}

# iop_feed NAME URL [LINE...]: append a generic-csv FTP feed.
iop_feed() {
	_n=$1 _u=$2
	shift 2
	{
		printf '\n[feed:%s]\nsource = %s\npassword_file = secrets/ftp.pw\nprofile = generic-csv\n' "$_n" "$_u"
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} >>"$TEST_TMP/conf/lotsync.conf"
}

# iop_target NAME URL FEED [LINE...]: append a generic-csv FTP target of FEED.
iop_target() {
	_n=$1 _u=$2 _f=$3
	shift 3
	{
		printf '\n[target:%s]\nurl = %s\npassword_file = secrets/ftp.pw\nformat = generic-csv\n' "$_n" "$_u"
		printf 'feeds = %s\n' "$_f"
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} >>"$TEST_TMP/conf/lotsync.conf"
}

# iop_sftp_vendor KEY KNOWN_HOSTS URL: key login to URL (sftp://USER@HOST:PORT):
# feed vendor (URL/inbox/*.csv, after_fetch = delete), targets renamed and
# direct (rename = off), both URL/upload/.
iop_sftp_vendor() {
	iop_sftp_feed vendor "$1" "$2" "$3/inbox/*.csv" "after_fetch = delete"
	iop_targets "$3" vendor "identity = secrets/id_ed25519" "known_hosts = known_hosts"
}

# iop_targets URL FEED [LINE...]: append targets renamed and direct (rename =
# off) of FEED, both URL/upload/, each with the (credential) LINEs.
iop_targets() {
	_u=$1 _f=$2
	shift 2
	for _t in renamed direct; do
		{
			printf '\n[target:%s]\nurl = %s/upload/\n' "$_t" "$_u"
			for _l in "$@"; do printf '%s\n' "$_l"; done
			printf 'format = generic-csv\nfeeds = %s\n' "$_f"
			[ "$_t" = direct ] && echo "rename = off"
		} >>"$TEST_TMP/conf/lotsync.conf"
	done
}

# iop_leftovers ROOT PORT: with a new export waiting, leftovers of interrupted
# uploads to ROOT/upload (targets renamed and direct on 127.0.0.1:PORT) do not
# block the retry: the exports wait while the server is unreachable, then a
# stale .NAME.part and (rename = off) a partial NAME are in the way; the next
# deliver completes both files.
iop_leftovers() {
	_root=$1 _port=$2
	_dead=$(/usr/bin/python3 -I -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	sed -i "s|127.0.0.1:$_port/upload|127.0.0.1:$_dead/upload|" "$TEST_TMP/conf/lotsync.conf"
	expect_rc 69 "targets unreachable: the exports wait" L run
	sed -i "s|127.0.0.1:$_dead/upload|127.0.0.1:$_port/upload|" "$TEST_TMP/conf/lotsync.conf"
	P=$(ls spool/outbox/renamed) R=$(ls spool/outbox/direct)
	printf 'junk\n' >"$_root/upload/.$P.part"
	head -c 1500 "spool/outbox/direct/$R" >"$_root/upload/$R"
	chown "$FTP_USER" "$_root/upload/.$P.part" "$_root/upload/$R"
	expect_rc 0 "the retry goes through the leftovers" L deliver
	cmp -s "spool/sent/renamed/$P" "$_root/upload/$P" && pass "renamed: complete" || fail "renamed: differs"
	cmp -s "spool/sent/direct/$R" "$_root/upload/$R" && pass "direct: the partial copy replaced" ||
		fail "direct: differs"
}

# iop_write_slowly FILE PIECES DEST...: the vendor's upload in the background
# (pid in $writer): FILE cut into PIECES, each appended to every DEST, 0.5 s
# apart. With IOP_CLOCK=S each DEST gets the mtime of a clock S seconds
# ahead after each piece: a file written on a server whose clock runs
# ahead carries that clock's times (libfaketime moves a daemon's clock,
# not the times the kernel stamps on files).
iop_write_slowly() {
	_f=$1 _k=$2
	shift 2
	split -n "$_k" -d "$_f" "piece$$.${IOP_CLOCK:-0}."
	(
		for _p in "piece$$.${IOP_CLOCK:-0}".*; do
			for _d in "$@"; do
				cat "$_p" >>"$_d"
				[ "${IOP_CLOCK:-0}" = 0 ] || touch -d "@$(($(date +%s) + IOP_CLOCK))" "$_d"
			done
			sleep 0.5
		done
	) &
	writer=$!
}

# iop_run_while_writing PAUSE CHECK [OPTION...]: `L OPTION... run` every PAUSE
# seconds until $writer is done. CHECK, a shell condition evaluated after each
# run, must hold, else early=1. Sets n (runs) and early; run N's stderr is kept
# as runN.err.
iop_run_while_writing() {
	_pause=$1 _check=$2
	shift 2
	n=0 early=0
	while kill -0 "$writer" 2>/dev/null; do
		L "$@" run >run.out 2>run.err
		n=$((n + 1))
		eval "$_check" || early=1
		cp run.err "run$n.err"
		sleep "$_pause"
	done
	wait "$writer"
}

# iop_run_until MAX DONE: `L run` every 0.5 s until DONE, a shell condition,
# holds (checked before each run), MAX runs at most. Sets i (runs) and rc
# (the last run's exit status, none without a run); the last run's output is
# run.out and run.err.
iop_run_until() {
	_max=$1 _done=$2
	i=0 rc=none
	while ! eval "$_done" && [ $i -lt "$_max" ]; do
		L run >run.out 2>run.err
		rc=$?
		i=$((i + 1))
		sleep 0.5
	done
}

# iop_sftp_feed NAME KEY KNOWN_HOSTS SOURCE [LINE...]: append a generic-csv
# SFTP feed logging in with KEY, the server pinned by KNOWN_HOSTS (copied
# into conf/).
iop_sftp_feed() {
	_n=$1 _src=$4
	cp "$2" "$TEST_TMP/conf/secrets/id_ed25519"
	cp "$3" "$TEST_TMP/conf/known_hosts"
	chmod 600 "$TEST_TMP/conf/secrets/id_ed25519"
	shift 4
	{
		printf '\n[feed:%s]\nsource = %s\n' "$_n" "$_src"
		printf 'identity = secrets/id_ed25519\nknown_hosts = known_hosts\nprofile = generic-csv\n'
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} >>"$TEST_TMP/conf/lotsync.conf"
}

# iop_size FILE: its size in bytes, 0 when it does not exist.
iop_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# iop_growing FILE SECS: wait (SECS at most) until FILE on the server holds
# 32 KiB: an upload is under way. True when it does.
iop_growing() {
	_i=0
	while [ "$(iop_size "$1")" -lt 32768 ] && [ $_i -lt $(($2 * 20)) ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	[ "$(iop_size "$1")" -ge 32768 ]
}

# iop_kill_sessions PID: SIGKILL every descendant of the server's listener
# PID (its sessions), not the listener.
iop_kill_sessions() {
	_todo=$(pgrep -P "$1" | tr '\n' ' ') _all=""
	while [ -n "$_todo" ]; do
		_all="$_all $_todo"
		_next=""
		for _k in $_todo; do _next="$_next $(pgrep -P "$_k" | tr '\n' ' ')"; done
		_todo=$(echo $_next)
	done
	# shellcheck disable=SC2086
	[ -n "$_all" ] && kill -KILL $_all 2>/dev/null
}

L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
q() { sqlite3 "$TEST_TMP/spool/lotsync.db" "$1"; }
