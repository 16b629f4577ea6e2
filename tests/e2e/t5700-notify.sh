#!/bin/sh
# e2e: [notify:NAME] hooks against a real HTTP server on 127.0.0.1
# (scripts/hook-server.py, Python's http.server) and a command hook.
# The server is down for the first run and up from the second: every event
# (quarantined, delivery_failed, locked, unlocked, held; vehicles published
# and unpublished for the command hook) arrives exactly once and in order,
# and each run's exit code is the one the same runs give without hooks.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hook_pid=""
trap '[ -n "$hook_pid" ] && kill "$hook_pid" 2>/dev/null' EXIT
acme=$SRCDIR/conf/demo/feeds/batch1/acme.csv

# Two identical setups; only "with" has hooks.
for d in with without; do
	make_conf "$TEST_TMP/$d"
	mkdir -p "$TEST_TMP/$d/spool/incoming/acme"
	sed -i 's/^profile = generic-csv$/profile = generic-csv\nvanish_guard = 50%/' "$TEST_TMP/$d/conf/lotsync.conf"
	cat >>"$TEST_TMP/$d/conf/lotsync.conf" <<CONF

[target:dead]
url = ftp://lotsync@127.0.0.1:1/upload/
format = generic-csv
feeds = acme
deviation_lock = 1000%
CONF
done
cat >>with/conf/lotsync.conf <<CONF

[notify:ops]
url = http://127.0.0.1:$port/hook
events = quarantined, held, locked, unlocked, delivery_failed
timeout = 5

[notify:wayke]
command = test -e $TEST_TMP/up && { cat; echo; } >>$TEST_TMP/wayke.log
events = vehicle
CONF
expect_rc 0 "check-config accepts the hooks" "$LOTSYNC" -c with/conf/lotsync.conf check-config

# step NAME NOW FILE-SETUP... : run the same command in both setups, compare exit codes.
step() {
	what=$1 now=$2
	shift 2
	for d in with without; do
		"$LOTSYNC" -c "$TEST_TMP/$d/conf/lotsync.conf" --now "$now" "$@" >"$d.out" 2>"$d.err"
		echo $? >"$d.rc"
	done
	expect_eq "$(cat with.rc)" "$(cat without.rc)" "$what: same exit code with hooks ($(cat without.rc))"
}
drop() { for d in with without; do cp "$1" "$TEST_TMP/$d/spool/incoming/acme/$2"; touch -d "@$3" "$TEST_TMP/$d/spool/incoming/acme/$2"; done; }

# Run 1, hooks down: a good file, then one that is quarantined; the dead target fails.
drop "$acme" a1.csv 1000
printf 'DealerID,VIN\nD1,"unterminated\n' >broken.csv
drop broken.csv a2.csv 2000
step "run 1 (hooks down)" 2026-11-22T07:00:00Z run
expect_eq "$(cat with.rc)" 69 "run 1: the dead target wins (69 over 65)"
expect_grep "notify ops: quarantined event not delivered" with.err "the failing webhook is a warning"
expect_grep "notify wayke: vehicle event not delivered (command exited 1)" with.err "the failing command is a warning"
[ -e hook.log ] && fail "something received events while the server was down"

# Run 2, hooks up: the feed grows by 40% (the local target locks); the dead
# target's new file fails too (a delivery_failed per file, not per retry).
/usr/bin/python3 "$SRCDIR/scripts/hook-server.py" "$port" hook.log hook.pid &
hook_pid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s hook.pid ] && break; sleep 0.2; done
touch up
{ cat "$acme"; tail -n +2 "$SRCDIR/conf/demo/feeds/batch1/beta.csv"; } >grown.csv
drop grown.csv a3.csv 3000
step "run 2 (hooks up)" 2026-11-22T08:00:00Z run
expect_eq "$(cat with.rc)" 69 "run 2: exit 69 (dead target), the lock (3) is milder"
if grep -q 'notify' with.err; then fail "run 2 warned about hooks: $(grep notify with.err)"; fi
step "unlock" 2026-11-22T08:30:00Z unlock local
# Run 3: an empty file is held; run 4: back to the first file's vehicles (25
# vanish, and the local target locks again: 85 -> 60).
: >empty.csv
drop empty.csv a4.csv 4000
step "run 3 (held)" 2026-11-22T09:00:00Z run
step "reject" 2026-11-22T09:10:00Z reject 3
# The first file's vehicles again, rows reversed (the same bytes would be a duplicate).
/usr/bin/python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n").writerows([rows[0]] + rows[:0:-1])' "$acme" again.csv
drop again.csv a5.csv 5000
step "run 4 (vanish)" 2026-11-22T10:00:00Z run
step "run 5 (nothing new)" 2026-11-22T11:00:00Z run
# The server goes down again: unlock exits 0 with and without the hook, the
# unlocked event waits and arrives once the server is back.
kill "$hook_pid"
wait "$hook_pid" 2>/dev/null
hook_pid=""
step "unlock (hook down)" 2026-11-22T11:30:00Z unlock local
expect_eq "$(cat with.rc)" 0 "unlock: exit 0 although the hook failed"
expect_grep "notify ops: unlocked event not delivered" with.err "the failed hook is a warning"
rm -f hook.pid
/usr/bin/python3 "$SRCDIR/scripts/hook-server.py" "$port" hook.log hook.pid &
hook_pid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s hook.pid ] && break; sleep 0.2; done
step "run 6 (hook back)" 2026-11-22T12:00:00Z run

/usr/bin/python3 - hook.log <<'PY' >events.txt
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print(e["event"], e.get("feed") or e.get("target"), e.get("snapshot"), e["at"], (e.get("file") or ""))
PY
cat >want.txt <<'EOF2'
quarantined acme None 2026-11-22T07:00:00Z a2.csv
delivery_failed dead None 2026-11-22T07:00:00Z 
locked local None 2026-11-22T08:00:00Z 
delivery_failed dead None 2026-11-22T08:00:00Z 
unlocked local None 2026-11-22T08:30:00Z 
held acme 3 2026-11-22T09:00:00Z a4.csv
locked local None 2026-11-22T10:00:00Z 
delivery_failed dead None 2026-11-22T10:00:00Z 
unlocked local None 2026-11-22T11:30:00Z 
EOF2
# The dead target's file name varies; compare without it.
sed 's/ dead-[^ ]*$/ /' events.txt >got.txt
if cmp -s got.txt want.txt; then
	pass "webhook: every event exactly once, in order"
else
	fail "webhook events differ"
	diff want.txt got.txt >&2
fi
expect_eq "$(/usr/bin/python3 -c "import json;print(all('reason' in json.loads(l) for l in open('hook.log')))")" True \
	"every webhook event carries a reason"
expect_grep '"reason": "the file has no vehicles' hook.log "the held event says why"

# The command hook: 60 published, 25 more published, 25 unpublished; each vehicle once per change.
n1=$(/usr/bin/python3 -c 'import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1], newline="")))))' "$acme")
/usr/bin/python3 - wayke.log "$n1" <<'PY' >wayke.txt
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n1 = int(sys.argv[2])
keys = ("id", "registrationNumber", "vehicleIdentificationNumber", "status")
print("keys", all(all(k in e for k in keys) for e in ev))
print("first", [e["status"] for e in ev[:n1]] == ["Published"] * n1)
pub = [e for e in ev if e["status"] == "Published"]
unpub = [e for e in ev if e["status"] == "Unpublished"]
print("counts", len(pub), len(unpub), len(ev))
print("unique", len({(e["id"], e["status"]) for e in ev}) == len(ev))
print("order", [e["status"] for e in ev] == ["Published"] * len(pub) + ["Unpublished"] * len(unpub))
PY
nb=$(( $(/usr/bin/python3 -c 'import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1], newline="")))))' grown.csv) - n1 ))
expect_eq "$(tr '\n' ' ' <wayke.txt)" "keys True first True counts $((n1 + nb)) $nb $((n1 + 2 * nb)) unique True order True " \
	"command hook: Wayke-style vehicle events, each once, in order"
expect_eq "$(sqlite3 -readonly with/spool/lotsync.db "select count(*) from notify_queue where delivered_at is null")" 0 \
	"nothing left in the queue"
expect_eq "$(sqlite3 -readonly without/spool/lotsync.db "select count(*) from notify_queue")" 0 \
	"no hooks: nothing queued"
finish
