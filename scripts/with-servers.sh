#!/bin/sh
# with-servers.sh CMD [ARGS...]
# Start the loopback SFTP and FTP/FTPS test servers in a fresh temp dir, run
# CMD with LOTSYNC_SERVERS=<dir> and every SFTP_* / FTP_* variable of
# sftp.env and ftp.env exported, stop the servers whatever happens, and exit
# with CMD's status.
#
# If the servers cannot start (including: not root, so no test user):
#   LOTSYNC_REQUIRE_SERVERS=1  print why and exit 1 without running CMD;
#   otherwise                  warn and run CMD without LOTSYNC_SERVERS, so
#                              tests skip their server cases.
# LOTSYNC_KEEP_SERVERS=1 keeps the server dir (configs, logs) for debugging.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prog=${0##*/}

[ $# -ge 1 ] || {
	echo "usage: $prog CMD [ARGS...]" >&2
	exit 2
}

srvdir=""
child=""

cleanup() {
	if [ -n "$srvdir" ]; then
		if [ "${LOTSYNC_KEEP_SERVERS:-0}" = 1 ]; then
			"$here/stop-servers.sh" "$srvdir" --keep || true
			echo "$prog: kept server dir $srvdir" >&2
		else
			"$here/stop-servers.sh" "$srvdir" || true
		fi
		srvdir=""
	fi
}

# shellcheck disable=SC2317 # called from traps
on_signal() { # SIGNAME EXITCODE
	trap - EXIT INT TERM HUP
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	cleanup
	exit "$2"
}

trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

unavailable() { # REASON
	if [ "${LOTSYNC_REQUIRE_SERVERS:-0}" = 1 ]; then
		printf '%s: cannot start the test servers (LOTSYNC_REQUIRE_SERVERS=1): %s\n' "$prog" "$1" >&2
		exit 1
	fi
	printf '%s: warning: cannot start the test servers, server tests will skip: %s\n' "$prog" "$1" >&2
}

started=0
if [ "$(id -u)" != 0 ]; then
	unavailable "not root (creating the test user lotsynctest needs root)"
else
	srvdir=$(mktemp -d /tmp/lotsync-srv.XXXXXX)
	# mktemp -d is 0700; the test user must be able to reach its data dirs.
	chmod 755 "$srvdir"
	# srv_free_ports picks free ports and the daemons bind them a moment
	# later: two suites starting at once on one machine could pick the same
	# ones. The lock keeps the other suite's pick out of that moment (-o:
	# the daemons do not inherit it, it ends when both scripts are done).
	if flock -o -w 300 /tmp/lotsync-srv-ports.lock sh -c \
		'"$1/start-sftp.sh" "$2" && "$1/start-ftp.sh" "$2"' sh "$here" "$srvdir" \
		>"$srvdir/start.log" 2>"$srvdir/start.err"; then
		started=1
	else
		why=$(tail -n 25 "$srvdir/start.err")
		cleanup
		unavailable "$why"
	fi
fi

if [ $started = 1 ]; then
	export LOTSYNC_SERVERS="$srvdir"
	# shellcheck source=/dev/null
	. "$srvdir/sftp.env"
	# shellcheck source=/dev/null
	. "$srvdir/ftp.env"
else
	unset LOTSYNC_SERVERS
fi

# Run CMD in the background and wait, so a TERM/INT sent to this script (a
# timeout, Ctrl-C) is handled at once instead of after CMD ends. A background
# command's stdin is /dev/null in a non-interactive shell, so hand our stdin
# over explicitly through fd 3.
exec 3<&0
"$@" <&3 3<&- &
child=$!
status=0
wait "$child" || status=$?
child=""
cleanup
exit $status
