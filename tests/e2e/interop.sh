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

L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
q() { sqlite3 "$TEST_TMP/spool/lotsync.db" "$1"; }
