#!/bin/sh
# demo.sh: the main job on the shipped demo configuration (make demo).
# Starts a real vsftpd (FTP + explicit FTPS) on 127.0.0.1, then runs three
# simulated hourly batches with --now over the demo feeds in
# conf/demo/feeds/batch{1,2,3}/, printing each batch's summary, and stops
# the server. Everything it writes lives in ./demo/ (recreated each time).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
demo=$top/demo
srv=$(mktemp -d /tmp/lotsync-demo.XXXXXX)
chmod 755 "$srv"
trap '"$top/scripts/stop-servers.sh" "$srv" >/dev/null 2>&1 || true' EXIT INT TERM

"$top/scripts/start-ftp.sh" "$srv" >/dev/null
# shellcheck disable=SC1091
. "$srv/ftp.env"

rm -rf "$demo"
mkdir -p "$demo/conf/secrets"
sed "s/@FTP_PORT@/$FTP_PORT/" "$top/conf/demo/lotsync.conf" >"$demo/conf/lotsync.conf"
cp "$FTP_PASSWORD_FILE" "$demo/conf/secrets/ftp.pw"
cp "$FTP_CACERT" "$demo/conf/secrets/ftps-ca.pem"
chmod 600 "$demo/conf/lotsync.conf" "$demo/conf/secrets/ftp.pw"
chmod 700 "$demo/conf/secrets"

lotsync() { "$top/lotsync" -c "$demo/conf/lotsync.conf" "$@"; }

lotsync check-config >/dev/null
hour=7
for batch in 1 2 3; do
	now=$(printf '2026-11-22T%02d:00:00Z' "$hour")
	for f in "$top/conf/demo/feeds/batch$batch"/*.csv; do
		name=$(basename "$f")
		feed=${name%%[-.]*}
		mkdir -p "$demo/spool/incoming/$feed"
		cp "$f" "$demo/spool/incoming/$feed/$name"
	done
	echo "== batch $batch at $now"
	rc=0
	lotsync -v --now "$now" run 2>"$demo/batch$batch.log" || rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$demo/batch$batch.log" >&2
		echo "demo: batch $batch exited $rc" >&2
		exit "$rc"
	fi
	echo "   on the FTPS server now: $(ls "$FTP_ROOT/upload" | tr '\n' ' ')"
	hour=$((hour + 1))
done
echo "== snapshots"
lotsync snapshots
echo "== status"
lotsync status
lotsync --now 2026-11-22T10:00:00Z report --html "$demo/report.html"
echo "demo: done; state is in $demo (try: ./lotsync -c demo/conf/lotsync.conf diff 1 3;"
echo "      the HTML report is $demo/report.html)"
