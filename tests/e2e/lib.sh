# lib.sh - helpers sourced by the e2e tests (POSIX sh).
# Each test runs in $TEST_TMP with $LOTSYNC and $SRCDIR set by run-e2e.sh.

fails=0

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

# make_conf DIR: a drop-feed config with one local file:// target, mode 0600.
make_conf() {
	mkdir -p "$1/conf/profiles" "$1/conf/formats" "$1/outbox-remote"
	cat >"$1/conf/lotsync.conf" <<CONF
[lotsync]
spool = ../spool
settle_seconds = 0

[feed:acme]
source = drop
profile = generic-csv

[target:local]
url = file://$1/outbox-remote/
format = generic-csv
feeds = acme
CONF
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

finish() {
	if [ "$fails" -gt 0 ]; then
		echo "$fails check(s) failed" >&2
		exit 1
	fi
	exit 0
}
