#!/bin/sh
# demo.sh: the main job on the shipped demo configuration (make demo).
# Starts a real vsftpd (FTP + explicit FTPS) and a webhook receiver
# (scripts/hook-server.py) on 127.0.0.1, then runs simulated hourly batches
# with --now over the demo feeds in conf/demo/feeds/batch{1,2,3}/, printing
# each batch's summary: dealer rules open and auto-close service requests, a
# file that drops half the stock is held and accepted, the target it locks
# is unlocked, metrics are written and the operator's webhook hears about
# it. Prints the commands to explore each part, and stops the servers.
# Everything it writes lives in ./demo/ (recreated each time).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
demo=$top/demo
srv=$(mktemp -d /tmp/lotsync-demo.XXXXXX)
chmod 755 "$srv"
hook_pid=""
trap '"$top/scripts/stop-servers.sh" "$srv" >/dev/null 2>&1 || true; [ -z "$hook_pid" ] || kill "$hook_pid" 2>/dev/null || true' EXIT INT TERM

"$top/scripts/start-ftp.sh" "$srv" >/dev/null
# shellcheck disable=SC1091
. "$srv/ftp.env"

rm -rf "$demo"
mkdir -p "$demo/conf/secrets" "$demo/metrics"
hook_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 "$top/scripts/hook-server.py" "$hook_port" "$demo/hook.log" "$srv/hook.pid" &
hook_pid=$!
sed -e "s/@FTP_PORT@/$FTP_PORT/" -e "s/@HOOK_PORT@/$hook_port/" "$top/conf/demo/lotsync.conf" \
	>"$demo/conf/lotsync.conf"
cp "$FTP_PASSWORD_FILE" "$demo/conf/secrets/ftp.pw"
cp "$FTP_CACERT" "$demo/conf/secrets/ftps-ca.pem"
chmod 600 "$demo/conf/lotsync.conf" "$demo/conf/secrets/ftp.pw"
chmod 700 "$demo/conf/secrets"

lotsync() { "$top/lotsync" -c "$demo/conf/lotsync.conf" "$@"; }

lotsync check-config >/dev/null
# The exit status of the newest run, from its record.
last_rc() { sqlite3 -readonly "$demo/spool/lotsync.db" 'select exit_code from runs order by id desc limit 1'; }
srs() { sqlite3 -readonly "$demo/spool/lotsync.db" "select count(*) from srs where status = '$1'"; }

# batch LABEL NOW WANT-EXIT [FILE...]: drop the files into their feeds'
# incoming folders and run the cron job once, showing its -v summary.
batch() {
	label=$1 now=$2 want=$3
	shift 3
	for f in "$@"; do
		name=$(basename "$f")
		feed=${name%%[-.]*}
		mkdir -p "$demo/spool/incoming/$feed"
		cp "$f" "$demo/spool/incoming/$feed/$name"
	done
	echo "== $label at $now"
	lotsync -v --now "$now" run >"$demo/$label.out" 2>"$demo/$label.log" || true
	sed 's/^/   /' "$demo/$label.out"
	rc=$(last_rc)
	if [ "$rc" -ne "$want" ]; then
		cat "$demo/$label.log" >&2
		echo "demo: $label exited $rc, expected $want" >&2
		exit 1
	fi
	echo "   exit $rc; on the FTPS server now: $(ls "$FTP_ROOT/upload" | tr '\n' ' ')"
}

hour=7
for n in 1 2 3; do
	batch "batch$n" "$(printf '2026-11-22T%02d:00:00Z' "$hour")" 0 "$top/conf/demo/feeds/batch$n"/*.csv
	echo "   service requests: $(srs open) open, $(srs closed) closed (auto_close = immediately)"
	hour=$((hour + 1))
done

# A dealer sells half its stock at an auction: the file that says so would
# vanish more than vanish_guard (20%) at once, so it is held, not applied.
/usr/bin/python3 - "$top/conf/demo/feeds/batch3/acme.csv" "$srv/acme-auction.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n").writerows(rows[: len(rows) // 2 + 1])
PY
batch batch4 2026-11-22T10:00:00Z 3 "$srv/acme-auction.csv"
held=$(lotsync --json status | /usr/bin/python3 -c 'import json,sys; print([h for f in json.load(sys.stdin)["feeds"] for h in f["held"]][0])')
lotsync status | grep 'HELD' | sed 's/^ */   /'
echo "== the operator looks at the held snapshot $held (lotsync show $held --rejected, status) and accepts it"
lotsync --now 2026-11-22T10:15:00Z accept "$held" 2>"$demo/accept.log" | sed 's/^/   /' || true
echo "   service requests: $(srs open) open, $(srs closed) closed"
echo "== the marketplace's vehicle count fell by more than deviation_lock: it is locked"
lotsync status | grep 'LOCKED' | sed 's/^ */   /'
lotsync --now 2026-11-22T10:20:00Z unlock marketplace | sed 's/^/   /'
batch batch5 2026-11-22T11:00:00Z 0

echo "== snapshots"
lotsync snapshots
echo "== status"
lotsync status || true
echo "== metrics after the last run ($demo/metrics/lotsync.prom)"
grep -E '^lotsync_(run_exit_code|run_last_success|feed_records|feed_held|target_locked|target_last_delivery)' \
	"$demo/metrics/lotsync.prom" | sed 's/^/   /'
echo "== what the operator's webhook received ($demo/hook.log)"
/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print("   %s %-9s %-12s %s" % (e["at"], e["event"], e.get("feed") or e.get("target"), e.get("reason") or ""))' \
	"$demo/hook.log"
lotsync --now 2026-11-22T12:00:00Z report --html "$demo/report.html" || true
vin=$(sqlite3 -readonly "$demo/spool/lotsync.db" "select vin from srs where status = 'closed' order by id limit 1")

# Work orders (conf/demo/workorders.conf, its own spool in demo/wo/): Carsys
# pushes three files over a day into its drop folder, Autoflex's export is
# polled from the FTP server each morning. One Carsys appointment was typed
# 12-01 for 01-12: stored as read, flagged, named on stderr and in status.
wo=$demo/wo
mkdir -p "$wo/conf/secrets" "$wo/spool/incoming/carsys" "$FTP_ROOT/inbox/autoflex"
chown "$FTP_USER" "$FTP_ROOT/inbox/autoflex" 2>/dev/null || true
sed -e "s/@FTP_PORT@/$FTP_PORT/" "$top/conf/demo/workorders.conf" >"$wo/conf/lotsync.conf"
cp "$FTP_PASSWORD_FILE" "$wo/conf/secrets/ftp.pw"
chmod 600 "$wo/conf/lotsync.conf" "$wo/conf/secrets/ftp.pw"
chmod 700 "$wo/conf/secrets"
wol() { "$top/lotsync" -c "$wo/conf/lotsync.conf" "$@"; }
W=$top/conf/demo/workorders
# wo_batch LABEL NOW [CARSYS-FILE] [AUTOFLEX-FILE]
wo_batch() {
	label=$1 now=$2
	[ -z "${3:-}" ] || cp "$W/$3" "$wo/spool/incoming/carsys/"
	if [ -n "${4:-}" ]; then
		cp "$W/$4" "$FTP_ROOT/inbox/autoflex/werkorders.csv"
		touch -d "$now" "$FTP_ROOT/inbox/autoflex/werkorders.csv"
	fi
	echo "== work orders: $label at $now"
	wol -v --now "$now" run >"$wo/$label.out" 2>"$wo/$label.log" || true
	grep -v '^audit chain head' "$wo/$label.out" | sed 's/^/   /'
	grep 'date typo' "$wo/$label.log" | sed -e 's/^[^ ]* warning /   stderr: /'
}
wo_batch day1-morning 2026-12-01T07:20:00Z carsys-1-morning.xml autoflex-day1.csv
wo_batch day1-noon 2026-12-01T11:45:00Z carsys-2-noon.xml
wo_batch day1-evening 2026-12-01T16:10:00Z carsys-3-evening.xml
wo_batch day2 2026-12-02T06:30:00Z "" autoflex-day2.csv
wo_batch day3 2026-12-03T06:30:00Z "" autoflex-day3.csv
echo "== work orders: status"
wol status | grep -v '^audit chain head' | sed 's/^/   /'
echo "== work orders: what Carsys changed at noon (diff 1 3) and Autoflex on day 3 (diff 5 6)"
wol diff 1 3 | sed 's/^/   /'
wol diff 5 6 | sed 's/^/   /'
cat <<EOF
demo: done; state is in $demo. Explore:
  ./lotsync -c demo/conf/lotsync.conf diff 1 3            what changed between two files
  ./lotsync -c demo/conf/lotsync.conf srs --closed        service requests the rules closed
  ./lotsync -c demo/conf/lotsync.conf history $vin
                                                          a car's versions and rule decisions
  ./lotsync -c demo/conf/lotsync.conf show $held            the held snapshot, accepted
  ./lotsync -c demo/conf/lotsync.conf status              last run, times, locks and reasons
  cat demo/metrics/lotsync.prom                           metrics after the last run
  cat demo/hook.log                                       what the webhook received
  demo/report.html                                        the self-contained HTML report
  ./lotsync -c demo/wo/conf/lotsync.conf status           work orders, canceled, the date typo
  ./lotsync -c demo/wo/conf/lotsync.conf history WO-2026-0043
                                                          a work order's versions (by WO number)
  ./lotsync -c demo/wo/conf/lotsync.conf history LR-204-T the Autoflex work order by registration
EOF
